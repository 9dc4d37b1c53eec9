/*
 * tjob.h: jobs for the runtime's tests, built at run time in exactly the
 * shape ajc generates (steps in declaration order, order[] by level then
 * index, edges grouped by source in that order), all run by one generic
 * step whose behaviour each test scripts per step: fail so many times,
 * wait on a gate, wait for cancellation or the deadline, box its output.
 * Every run is written to a ledger that the main thread checks after wait.
 */
#ifndef TJOB_H
#define TJOB_H

#include "asyncjob.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

/* A gate stays open once opened. */
typedef struct tj_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool open;
} tj_gate;

void tj_gate_init(tj_gate *g);
void tj_gate_destroy(tj_gate *g);
void tj_gate_open(tj_gate *g);
void tj_gate_wait(tj_gate *g);

typedef struct tj_job {
    aj_job_def def;
    aj_step_def *steps;
    aj_step_exec *exec;
    uint32_t *order;
    aj_edge_def *edges;
    uint32_t *succs;
    uint32_t **preds;     /* preds[i]: n_preds step indexes */
    aj_step_gate *gates;  /* n_steps, made by the first tj_set_gate */
    aj_job_memo *memo;    /* made by tj_remember; NULL: none */
} tj_job;

/* n steps called names[i] (NULL: "s<i>"); types[i] NULL gives no output
 * (types NULL: every step outputs "int64_t"). The edges may come in any
 * order; NULL on a cycle. */
tj_job *tj_new(const char *name, uint32_t n, const char *const *names,
               const char *const *types, const aj_edge_def *edges, uint32_t n_edges);
void tj_free(tj_job *j);
/* j gets a memo with room, as ajc gives each definition: from its next
 * start on, its tables count as checked and skipped steps take their
 * trees with them. Call it once the tables are final: the runtime
 * checks them no more. */
void tj_remember(tj_job *j);
/* Step i's timeout, in its row and in its run row's flags. */
void tj_set_timeout(tj_job *j, uint32_t i, int64_t ns);
/* Step i is `blocking` (runs on the blocking pool) or not. */
void tj_set_blocking(tj_job *j, uint32_t i, bool blocking);
/* Step i is `async` or not: its attempts end with aj_reply_done(), called
 * as its tj_behave says (done_*). */
void tj_set_async(tj_job *j, uint32_t i, bool async);

/* The job's limits: a copy of limits[0..n) (the caller sorts them, or
 * not, to see the check refuse them); step i uses the limits at the n
 * positions uses (copied; AJ_STEP_LIMITED when n > 0). */
void tj_set_limits(tj_job *j, uint32_t n, const aj_limit_def *limits);
void tj_set_uses(tj_job *j, uint32_t i, uint32_t n, const uint32_t *uses);

/* Fan-out (tjob_many.c), in the shape ajc gives `-> int64_t[]` and
 * `int64_t x = S[]`. Step i returns an array (AJ_STEP_ARRAY) of its
 * tj_behave.n_items elements, value + k for element k, which the instance
 * frees; it may not be async. */
void tj_set_array(tj_job *j, uint32_t i);
/* Step i runs once per element of source, an array or mapped step with a
 * data edge into i (AJ_STEP_MAPPED): each run takes that element as its
 * input from source and stores its own element. A data input from any
 * other array or mapped step is collected: the sum of its elements. */
void tj_set_map(tj_job *j, uint32_t i, uint32_t source);
/* Whether step i returns an array or is mapped. */
bool tj_many(const tj_job *j, uint32_t i);

/* Step i is gated (AJ_STEP_GATED): by rule, and by condition (a step
 * index, -1: none) unless negate. Its required predecessors are the
 * sources of its edges without AJ_EDGE_OPTIONAL. */
void tj_set_gate(tj_job *j, uint32_t i, aj_trigger_rule rule, int32_t condition, bool negate);
/* Step i is `nonfatal` or not. */
void tj_set_nonfatal(tj_job *j, uint32_t i, bool nonfatal);

/* A seed for tj_rnd from the environment variable env (a decimal number,
 * to replay a run) or else the time, never 0; printed so that a failing run
 * can be replayed. */
uint64_t tj_rng_seed(const char *env);

/* A xorshift step of *rng (not 0): a number in [0, n). */
uint32_t tj_rnd(uint64_t *rng, uint32_t n);
/* A random DAG of n steps in ajc's table shape, every step outputs int64_t. */
tj_job *tj_random(uint32_t n, uint64_t *rng);

/* The examples/sql_summary job: its tables as ajc writes them. */
tj_job *tj_seed(void);
/* The limits tests/cases/good/sql gives the seed: db (8) for both
 * queries, and replica (2) for QueryTable2 as well. */
void tj_seed_limits(tj_job *j);
enum { SEED_GETCONNECTION, SEED_CHECKAUTH, SEED_CLIENT1, SEED_CLIENT2, SEED_QUERY1,
       SEED_QUERY2, SEED_SUMMARIZE, SEED_EMAIL };

typedef struct tj_behave {
    int fails;              /* attempts that fail before one succeeds; -1: all */
    int code;               /* what a failing attempt returns (default -7) */
    bool permanent;         /* failing attempts are marked permanent */
    const char *message;    /* set on failing attempts */
    tj_gate *opens;         /* every attempt opens it first */
    int64_t busy_ns;        /* every attempt keeps its thread this long */
    tj_gate *gate;          /* every attempt waits for it */
    sem_t *started;         /* posted when an attempt starts */
    bool until_cancelled;   /* each attempt waits until cancelled */
    bool until_expired;     /* each attempt waits until past its deadline */
    int after_expired;      /* ... then returns this (an async step ends
                               its attempt as below instead) */
    bool box;               /* output is a malloc'd int64_t * (free_output) */
    bool is_bool;           /* output is a bool, truth (tj_set_bool) */
    bool truth;
    bool store_on_fail;     /* failing attempts store their output first */
    bool cancel_async;      /* every attempt asks to cancel its instance
                               (aj_instance_cancel_async) first */
    int64_t sleep_ns;       /* every attempt sleeps this long (nanosleep) */
    bool hook_wait;         /* then (after any wait above) registers an
                               aj_ctx_on_cancel hook that posts a semaphore
                               on its stack, blocks on that semaphore,
                               removes the hook, and fails (code,
                               permanent) */
    bool hook_keep;         /* then registers a hook that only counts and
                               leaves it registered as it returns */
    _Atomic int *inside;    /* attempts inside a step now, across runs ... */
    _Atomic int *peak;      /* ... and the most at once, when not NULL */
    _Atomic int *within;    /* as inside and peak, from the step function's */
    _Atomic int *within_peak; /* call to its return, whatever it does, or
                               for an async attempt whose done the
                               completer calls, to just before that done */
    uint32_t *log;          /* each attempt first writes tag (an element:
                               tag + its index) at log[(*log_n)++] */
    _Atomic uint32_t *log_n;
    uint32_t tag;
    /* Async steps: an attempt decides its outcome as a plain one does, then
     * calls done before it returns AJ_PENDING, or has the completer thread
     * call it done_after_ns later (done_later). */
    bool done_later;
    int64_t done_after_ns;
    int slow_attempts;      /* > 0: only the first so many are done_later */
    bool done_twice;        /* done is called twice, in a row, before the return */
    bool done_refuse;       /* a failing attempt returns its code, no done */
    bool done_on_hook;      /* an attempt registers an aj_ctx_on_cancel hook
                               that calls done (code 125, ECANCELED) and
                               returns AJ_PENDING: only a cancel or the
                               deadline ends it */
    uint32_t n_items;       /* an array step's elements (tj_set_array) */
    _Atomic int *policy;    /* each attempt stores its thread's scheduling
                               policy (sched_getscheduler) here */
} tj_behave;

/* One instance's script and ledger. */
typedef struct tj_run {
    const tj_job *job;
    tj_behave *behave;            /* n_steps, zeroed: succeed at once */
    _Atomic uint32_t *attempts;   /* attempts seen by the step */
    _Atomic uint32_t *successes;
    _Atomic uint32_t *cancel_seen;
    _Atomic uint32_t *hook_calls;    /* calls of the step's cancel hooks ... */
    _Atomic uint32_t *hook_inline;   /* ... of them on the step's own thread */
    pthread_t *thread;            /* thread of the last attempt */
    _Atomic uint32_t *on_pool;    /* attempts run by a blocking-pool thread
                                     (named "aj-block") */
    _Atomic uint32_t violations;  /* started before a predecessor completed
                                     (a gated step: before every one was
                                     final), or succeeded twice */
} tj_run;

tj_run *tj_run_new(const tj_job *job);
void tj_run_free(tj_run *r);
/* The job input block: what aj_instance_start copies. */
typedef struct tj_inputs {
    tj_run *run;
} tj_inputs;

/* The completer (tjob_done.c): one thread that calls
 * aj_reply_done(reply, rc, &out) when each is due, in due order, like an
 * event loop's timers. Started on first use; tj_done_pending() tells how
 * many calls it still has. */
void tj_done_after(aj_reply *reply, int rc, int64_t out, int64_t after_ns);
/* The same, and *within (when not NULL) goes down by one just before
 * the call: the attempt counted in it is over then. */
void tj_done_after_counted(aj_reply *reply, int rc, int64_t out, int64_t after_ns,
                           _Atomic int *within);
unsigned tj_done_pending(void);
/* Returns once every call queued so far has been made. */
void tj_done_drain(void);

/* Calls of the boxed outputs' free function, over the whole process. */
extern _Atomic long tj_boxes_freed;
extern _Atomic long tj_boxes_made;

/* Observer events, recorded under a lock from any thread. */
#define TJ_REC_MAX 4096
typedef struct tj_event {
    int which;            /* 0 start, 1 retry, 2 finish */
    uint32_t step;
    uint32_t attempt;
    aj_step_state state;
    aj_skip_reason skip_reason;
    int err;
    int64_t delay_ns;
    char message[AJ_MESSAGE_MAX];
    bool on_main;         /* ran on the thread that called tj_rec_init */
} tj_event;

typedef struct tj_rec {
    pthread_mutex_t mu;
    pthread_t main;
    uint32_t n;
    tj_event ev[TJ_REC_MAX];
} tj_rec;

/* Initialises rec and returns an observer that fills it. */
aj_observer tj_rec_init(tj_rec *rec);
/* Events of one kind (and one step, or UINT32_MAX for any). */
uint32_t tj_rec_count(tj_rec *rec, int which, uint32_t step);

/* Step i of r's job outputs a box, freed by the instance. */
void tj_box(tj_job *j, tj_run *r, uint32_t i);
/* Step i of r's job outputs a bool, value (a condition's step). */
void tj_set_bool(tj_job *j, tj_run *r, uint32_t i, bool value);

/* Running them (tjob_use.c). A cmocka group fixture: a runtime of two
 * workers, tj_rt, for every test of the group. */
extern aj_runtime *tj_rt;
int tj_rt_setup(void **state);
int tj_rt_teardown(void **state);
/* A cmocka fixture: a fresh seed job and its script for every test. */
extern tj_job *seed_job;
extern tj_run *seed_run;
int seed_setup(void **state);
int seed_teardown(void **state);
/* The same, with a closed gate and a semaphore at 0 for its steps. */
extern tj_gate seed_gate;
extern sem_t seed_started;
int seed_gate_setup(void **state);
int seed_gate_teardown(void **state);

/* A runtime of n workers, and an instance of j scripted by r started on
 * it (rt NULL: the default runtime): the test aborts when either cannot
 * be had, as cmocka's asserts do under CMOCKA_TEST_ABORT. */
aj_runtime *tj_workers(unsigned n);
aj_instance *tj_start(aj_runtime *rt, const tj_job *j, tj_run *r, const aj_start_opts *o);

/* The state of one step; -1 when it cannot be read. */
int tj_state(const aj_instance *inst, uint32_t step);

/* A step's int64 output slot (not boxed). */
int64_t tj_output(aj_instance *inst, uint32_t step);

/* Between tjob.c and tjob_many.c: the value a data edge from step from
 * brings to ctx's run, of a step that maps over from or collects it; where
 * ctx's run of a mapped step stores its output; an array step's output,
 * n items from v up, stored in its slot. */
int64_t tj_many_input(const tj_job *j, uint32_t from, const aj_ctx *ctx, const void *outputs);
int64_t *tj_elem_slot(const tj_job *j, aj_ctx *ctx, void *outputs);
void tj_produce_array(const tj_job *j, uint32_t i, uint32_t n, int64_t v, void *outputs);

#endif
