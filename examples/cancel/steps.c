/* steps.c: the crawl job's steps. Crawl looks at its context's
 * cancellation flag between pages: cancellation is cooperative, nothing
 * interrupts a running step. */
#include "cancel.job.h"

#include <time.h>

int crawl_Crawl(aj_ctx *ctx, Crawler *crawler, int *pages)
{
    const struct timespec page = { 0, 100000 }; /* 0.1 ms a page */

    printf("Crawl: started\n");
    sem_post(&crawler->started);
    /* Up to a minute of pages, or until the instance is cancelled. */
    while (!aj_ctx_cancelled(ctx) && crawler->pages < 600000) {
        nanosleep(&page, NULL);
        crawler->pages++;
    }
    if (aj_ctx_cancelled(ctx)) {
        printf("Crawl: cancelled, stopping\n");
        return AJ_ECANCELED;
    }
    *pages = crawler->pages;
    return 0;
}

int crawl_Index(aj_ctx *ctx, Crawler *crawler, int pages)
{
    (void)ctx;
    (void)crawler;
    printf("Index: %d pages\n", pages);
    return 0;
}
