/*
 * fleet.h: instances of test jobs that use limits (tjob.h), started on one
 * runtime and sharing its counters, a log and a gate, for the limits'
 * tests (test_limit.c, test_limit_map.c). It asserts with cmocka: only the
 * main thread calls it.
 */
#ifndef FLEET_H
#define FLEET_H

#include "aj_internal.h"
#include "tjob.h"

#define MAX_FLEET 64

/* Limits and uses the tests share: db of 3; a and b of 1 each. */
extern const aj_limit_def DB[1], AB[2];
extern const uint32_t USE0[1], USE1[1], USE01[2];

/* Instances of jobs, each with its own script, and what they share. */
typedef struct fleet {
    aj_runtime *rt;
    uint32_t n;
    tj_run *run[MAX_FLEET];
    aj_instance *inst[MAX_FLEET];
    _Atomic int within, peak;
    uint32_t log[MAX_FLEET * 4];
    _Atomic uint32_t log_n;
    tj_gate gate;
    sem_t started;
} fleet;

/* A job of n independent steps, each using the limits at uses (n_uses of
 * them). */
tj_job *fleet_job(const char *name, uint32_t n, const aj_limit_def *limits, uint32_t n_limits,
                  const uint32_t *uses, uint32_t n_uses);

/* A fleet on a runtime of that many workers. */
fleet *fleet_new(unsigned workers);
/* A new script for j, counted and logged with tag, not started yet. */
tj_run *fleet_run(fleet *f, const tj_job *j, uint32_t tag);
/* Starts r (with opts) as the fleet's next instance. */
aj_instance *fleet_start(fleet *f, tj_run *r, const aj_start_opts *o);
/* An instance of j whose steps wait on the fleet's gate, posting started. */
aj_instance *fleet_holder(fleet *f, const tj_job *j, uint32_t tag);
/* Every instance of the fleet from the k-th on ends with rc. */
void fleet_wait_all(fleet *f, uint32_t k, int rc);
/* After the fleet's instances ended: the most inside at once was 1 to
 * max_peak, n_log attempts were logged, and limit name is idle again. */
void fleet_check_end(fleet *f, const char *name, int max_peak, uint32_t n_log);
/* Opens the gate, frees every instance (none broke the ledger's rules),
 * then the runtime. */
void fleet_free(fleet *f);
/* A fleet on workers whose only slot of db is held by an instance of *j,
 * a one-step job that uses db, waiting on the fleet's gate. */
fleet *fleet_slot_held(unsigned workers, tj_job **j);

/* Once n attempts wait for db's slots, the blocking pool has made no
 * thread (none waits there); then the gate opens. */
void fleet_open_once_waiting_off_pool(fleet *f, uint32_t n);
/* What rt's limit name is now: size, slots in use, waiters. */
aj__limit_stat fleet_peek(aj_runtime *rt, const char *name);
/* Polls until n steps or elements wait for name's slots, or 20 s. */
void fleet_await_waiting(aj_runtime *rt, const char *name, uint32_t n);
aj_step_info fleet_info(aj_instance *inst, uint32_t step);

/* A sequential instance started on a thread of its own (fleet_seq_main,
 * for pthread_create): its start returns once it has run, so the thread
 * waits wherever its steps wait. */
typedef struct fleet_seq {
    fleet *f;
    tj_run *run;
    aj_instance *inst;
    _Atomic(const aj_instance *) seen;  /* by the observer, at the first step */
    int rc;
} fleet_seq;

void *fleet_seq_main(void *arg);
/* While db's only slot is held: a, then b, start on threads of their own
 * and wait for it; b is cancelled, and its thread returns at once, its
 * instance cancelled. Returns a's thread, which still waits. */
pthread_t fleet_seq_pair(fleet *f, fleet_seq *a, fleet_seq *b);
/* Opens the gate: a's thread returns, its instance completed. */
void fleet_seq_finish(fleet *f, pthread_t ta, fleet_seq *a);
/* Frees s's instance and script. */
void fleet_seq_free(fleet_seq *s);

#endif
