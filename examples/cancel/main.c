/*
 * main.c: cancels a running crawl from another thread, as a thread that
 * waits for Ctrl-C with sigwait(), a server shutting down or a deadline
 * kept elsewhere would: crawl_cancel() may be called from any thread, at
 * any time.
 *
 * Steps not started yet (Index) never run; the running step (Crawl) sees
 * aj_ctx_cancelled() and returns. wait then returns AJ_ECANCELED.
 */
#include "cancel.job.h"

#include <pthread.h>

typedef struct canceller {
    Crawler *crawler;
    crawl *job;
} canceller;

static void *cancel_once_started(void *arg)
{
    canceller *c = arg;

    /* Waiting for Crawl to start makes the output the same on every run;
     * cancelling earlier, or twice, or after the end is just as safe. */
    sem_wait(&c->crawler->started);
    printf("canceller: cancelling\n");
    crawl_cancel(c->job);
    return NULL;
}

int main(void)
{
    Crawler crawler = { .pages = 0 };
    canceller c = { &crawler, NULL };
    aj_step_info index;
    pthread_t thread;
    int rc;

    sem_init(&crawler.started, 0, 0);
    if (crawl_start(NULL, &crawler, NULL, &c.job) != AJ_OK)
        return 1;
    if (pthread_create(&thread, NULL, cancel_once_started, &c) != 0) {
        crawl_free(c.job); /* cancels a running instance and waits for it */
        return 1;
    }
    rc = crawl_wait(c.job, -1);
    pthread_join(thread, NULL);
    aj_instance_step_info(crawl_instance(c.job), 1, &index); /* Index is step 1 */
    printf("wait: %s\n", aj_strerror(rc));
    printf("Index: %s\n", index.attempts == 0 ? "never ran" : "ran");
    crawl_free(c.job);
    sem_destroy(&crawler.started);
    return rc == AJ_ECANCELED ? 0 : 1;
}
