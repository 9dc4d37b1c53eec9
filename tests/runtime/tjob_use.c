/*
 * tjob_use.c: running the test jobs of tjob.c: runtimes and starts that
 * abort the test when they cannot be had, cmocka fixtures (a runtime for
 * a group, a seed job for a test), what an instance's steps ended as and
 * output, and an observer that records every event. The step function
 * and the tables are tjob.c's.
 */
#include "tjob.h"

#include <stdio.h>
#include <stdlib.h>

aj_runtime *tj_workers(unsigned n)
{
    aj_runtime_opts o = { .n_workers = n };
    aj_runtime *rt = aj_runtime_new(&o);

    if (rt == NULL) {
        fprintf(stderr, "tjob: no runtime of %u workers\n", n);
        abort();
    }
    return rt;
}

aj_instance *tj_start(aj_runtime *rt, const tj_job *j, tj_run *r, const aj_start_opts *o)
{
    tj_inputs in = { r };
    aj_instance *inst = NULL;
    int rc = aj_instance_start(rt, &j->def, &in, o, &inst);

    if (rc != AJ_OK || inst == NULL) {
        fprintf(stderr, "tjob: start of %s: %s\n", j->def.name, aj_strerror(rc));
        abort();
    }
    return inst;
}

aj_runtime *tj_rt;

int tj_rt_setup(void **state)
{
    (void)state;
    tj_rt = tj_workers(2);
    return 0;
}

int tj_rt_teardown(void **state)
{
    (void)state;
    aj_runtime_free(tj_rt);
    return 0;
}

tj_job *seed_job;
tj_run *seed_run;

int seed_setup(void **state)
{
    (void)state;
    seed_job = tj_seed();
    seed_run = tj_run_new(seed_job);
    return 0;
}

int seed_teardown(void **state)
{
    (void)state;
    tj_run_free(seed_run);
    tj_free(seed_job);
    return 0;
}

tj_gate seed_gate;
sem_t seed_started;

int seed_gate_setup(void **state)
{
    seed_setup(state);
    tj_gate_init(&seed_gate);
    sem_init(&seed_started, 0, 0);
    return 0;
}

int seed_gate_teardown(void **state)
{
    sem_destroy(&seed_started);
    tj_gate_destroy(&seed_gate);
    return seed_teardown(state);
}

int tj_state(const aj_instance *inst, uint32_t step)
{
    aj_step_info info;

    return aj_instance_step_info(inst, step, &info) == AJ_OK ? (int)info.state : -1;
}

int64_t tj_output(aj_instance *inst, uint32_t step)
{
    void *slot = NULL;

    if (aj_instance_output(inst, step, false, &slot) != AJ_OK)
        return -1;
    return *(int64_t *)slot;
}

static void record(void *arg, int which, const aj_step_event *ev)
{
    tj_rec *rec = arg;

    pthread_mutex_lock(&rec->mu);
    if (rec->n < TJ_REC_MAX) {
        tj_event *e = &rec->ev[rec->n++];
        e->which = which;
        e->step = ev->step_index;
        e->attempt = ev->attempt;
        e->state = ev->state;
        e->skip_reason = ev->skip_reason;
        e->err = ev->err;
        e->delay_ns = ev->delay_ns;
        snprintf(e->message, sizeof e->message, "%s", ev->message);
        e->on_main = pthread_equal(pthread_self(), rec->main);
    }
    pthread_mutex_unlock(&rec->mu);
}

static void on_start(void *arg, const aj_step_event *ev)
{
    record(arg, 0, ev);
}

static void on_retry(void *arg, const aj_step_event *ev)
{
    record(arg, 1, ev);
}

static void on_finish(void *arg, const aj_step_event *ev)
{
    record(arg, 2, ev);
}

aj_observer tj_rec_init(tj_rec *rec)
{
    pthread_mutex_init(&rec->mu, NULL);
    rec->main = pthread_self();
    rec->n = 0;
    return (aj_observer){ on_start, on_retry, on_finish, rec };
}

uint32_t tj_rec_count(tj_rec *rec, int which, uint32_t step)
{
    uint32_t n = 0;

    pthread_mutex_lock(&rec->mu);
    for (uint32_t k = 0; k < rec->n; k++)
        n += rec->ev[k].which == which && (step == UINT32_MAX || rec->ev[k].step == step);
    pthread_mutex_unlock(&rec->mu);
    return n;
}
