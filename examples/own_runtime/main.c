/*
 * main.c: a runtime of its own instead of the process-wide default (the
 * one a NULL runtime means): a pool of 2 worker threads with an observer
 * that sees every step of every instance started on it, here to count
 * them. Four invoices run on it at once.
 */
#include "own_runtime.job.h"

#include <stdatomic.h>

static void count_step(void *arg, const aj_step_event *ev)
{
    /* Called on worker threads and waiting threads alike. */
    (void)ev;
    atomic_fetch_add((atomic_uint *)arg, 1);
}

int main(void)
{
    static atomic_uint finished;
    aj_observer counter = { .step_finish = count_step, .arg = &finished };
    aj_runtime_opts ropts = { .n_workers = 2, .observer = &counter };
    aj_runtime *rt = aj_runtime_new(&ropts);
    invoice *jobs[4];
    int ok = 0;

    if (rt == NULL)
        return 1;
    printf("runtime: %u workers\n", aj_runtime_workers(rt));
    for (int i = 0; i < 4; i++) {
        char id[32];
        snprintf(id, sizeof id, "invoice-%d", i + 1);
        aj_start_opts opts = { .instance_id = id };  /* the id is copied */
        if (invoice_start(rt, i + 1, &opts, &jobs[i]) != AJ_OK)
            jobs[i] = NULL;
    }
    for (int i = 0; i < 4; i++) {
        int total;
        if (jobs[i] != NULL && invoice_wait(jobs[i], -1) == AJ_OK &&
            invoice_result(jobs[i], &total) == AJ_OK) {
            printf("%s: %d.%02d\n", aj_instance_id(invoice_instance(jobs[i])), total / 100,
                   total % 100);
            ok++;
        }
    }
    printf("observer: %u steps finished\n", atomic_load(&finished));
    for (int i = 0; i < 4; i++)
        invoice_free(jobs[i]);
    /* Joins the workers. It would wait for instances still running on rt;
     * it never frees them: that stays their owner's job, as above. */
    aj_runtime_free(rt);
    return ok == 4 ? 0 : 1;
}
