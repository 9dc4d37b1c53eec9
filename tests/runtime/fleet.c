/*
 * fleet.c: instances of limited test jobs on one runtime (fleet.h). The
 * waits on a limit's queue are seen through the runtime's own counts.
 */
#include "fleet.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

const aj_limit_def DB[1] = { { "db", 3 } };
const aj_limit_def AB[2] = { { "a", 1 }, { "b", 1 } };
const uint32_t USE0[1] = { 0 }, USE1[1] = { 1 }, USE01[2] = { 0, 1 };

tj_job *fleet_job(const char *name, uint32_t n, const aj_limit_def *limits, uint32_t n_limits,
                  const uint32_t *uses, uint32_t n_uses)
{
    tj_job *j = tj_new(name, n, NULL, NULL, NULL, 0);

    assert_non_null(j);
    tj_set_limits(j, n_limits, limits);
    for (uint32_t i = 0; i < n; i++)
        tj_set_uses(j, i, n_uses, uses);
    return j;
}

fleet *fleet_new(unsigned workers)
{
    fleet *f = calloc(1, sizeof *f);

    assert_non_null(f);
    f->rt = tj_workers(workers);
    tj_gate_init(&f->gate);
    sem_init(&f->started, 0, 0);
    return f;
}

tj_run *fleet_run(fleet *f, const tj_job *j, uint32_t tag)
{
    tj_run *r = tj_run_new(j);

    for (uint32_t i = 0; i < j->def.n_steps; i++) {
        r->behave[i].within = &f->within;
        r->behave[i].within_peak = &f->peak;
        r->behave[i].log = f->log;
        r->behave[i].log_n = &f->log_n;
        r->behave[i].tag = tag;
    }
    return r;
}

aj_instance *fleet_start(fleet *f, tj_run *r, const aj_start_opts *o)
{
    assert_true(f->n < MAX_FLEET);
    f->run[f->n] = r;
    f->inst[f->n] = tj_start(f->rt, r->job, r, o);
    return f->inst[f->n++];
}

aj_instance *fleet_holder(fleet *f, const tj_job *j, uint32_t tag)
{
    tj_run *r = fleet_run(f, j, tag);

    for (uint32_t i = 0; i < j->def.n_steps; i++) {
        r->behave[i].gate = &f->gate;
        r->behave[i].started = &f->started;
    }
    return fleet_start(f, r, NULL);
}

void fleet_wait_all(fleet *f, uint32_t k, int rc)
{
    for (; k < f->n; k++)
        assert_int_equal(aj_instance_wait(f->inst[k], -1), rc);
}

void fleet_check_end(fleet *f, const char *name, int max_peak, uint32_t n_log)
{
    assert_true(atomic_load(&f->peak) >= 1 && atomic_load(&f->peak) <= max_peak);
    assert_int_equal(atomic_load(&f->log_n), n_log);
    assert_int_equal(fleet_peek(f->rt, name).in_use, 0);
    assert_int_equal(fleet_peek(f->rt, name).n_waiting, 0);
}

void fleet_free(fleet *f)
{
    tj_gate_open(&f->gate);
    for (uint32_t k = 0; k < f->n; k++) {
        aj_instance_free(f->inst[k]);
        assert_int_equal(atomic_load(&f->run[k]->violations), 0);
        tj_run_free(f->run[k]);
    }
    aj_runtime_free(f->rt);
    sem_destroy(&f->started);
    tj_gate_destroy(&f->gate);
    free(f);
}

fleet *fleet_slot_held(unsigned workers, tj_job **j)
{
    static const aj_limit_def one = { "db", 1 };
    fleet *f = fleet_new(workers);

    *j = fleet_job("one", 1, &one, 1, USE0, 1);
    fleet_holder(f, *j, 0);
    sem_wait(&f->started);
    return f;
}

aj__limit_stat fleet_peek(aj_runtime *rt, const char *name)
{
    aj__limit_stat st = { 0, 0, 0 };

    assert_int_equal(aj__limit_peek(rt, name, &st), AJ_OK);
    return st;
}

void fleet_await_waiting(aj_runtime *rt, const char *name, uint32_t n)
{
    struct timespec nap = { 0, 200000 };

    for (int k = 0; k < 100000 && fleet_peek(rt, name).n_waiting != n; k++)
        nanosleep(&nap, NULL);
    assert_int_equal(fleet_peek(rt, name).n_waiting, n);
}

void fleet_open_once_waiting_off_pool(fleet *f, uint32_t n)
{
    aj_runtime_stats st;

    fleet_await_waiting(f->rt, "db", n);
    assert_int_equal(aj_runtime_get_stats(f->rt, &st), AJ_OK);
    assert_int_equal(st.blocking_peak, 0);
    tj_gate_open(&f->gate);
}

aj_step_info fleet_info(aj_instance *inst, uint32_t step)
{
    aj_step_info info;

    assert_int_equal(aj_instance_step_info(inst, step, &info), AJ_OK);
    return info;
}

/* The observer of a sequential start: the instance, once it runs. */
static void seen_start(void *arg, const aj_step_event *ev)
{
    fleet_seq *s = arg;

    atomic_store(&s->seen, ev->instance);
}

void *fleet_seq_main(void *arg)
{
    fleet_seq *s = arg;
    aj_observer obs = { .step_start = seen_start, .arg = s };
    aj_start_opts o = { .sequential = true, .observer = &obs };
    tj_inputs in = { s->run };

    s->rc = aj_instance_start(s->f->rt, &s->run->job->def, &in, &o, &s->inst);
    return NULL;
}

pthread_t fleet_seq_pair(fleet *f, fleet_seq *a, fleet_seq *b)
{
    pthread_t ta, tb;

    assert_int_equal(pthread_create(&ta, NULL, fleet_seq_main, a), 0);
    fleet_await_waiting(f->rt, "db", 1);
    assert_int_equal(pthread_create(&tb, NULL, fleet_seq_main, b), 0);
    fleet_await_waiting(f->rt, "db", 2);
    aj_instance_cancel((aj_instance *)atomic_load(&b->seen));
    assert_int_equal(pthread_join(tb, NULL), 0);
    assert_int_equal(b->rc, AJ_OK);
    assert_int_equal(aj_instance_wait(b->inst, -1), AJ_ECANCELED);
    return ta;
}

void fleet_seq_finish(fleet *f, pthread_t ta, fleet_seq *a)
{
    tj_gate_open(&f->gate);
    assert_int_equal(pthread_join(ta, NULL), 0);
    assert_int_equal(a->rc, AJ_OK);
    assert_int_equal(aj_instance_wait(a->inst, -1), AJ_OK);
}

void fleet_seq_free(fleet_seq *s)
{
    aj_instance_free(s->inst);
    tj_run_free(s->run);
}
