/*
 * chaos.h: what test_chaos.c shares with chaos_step.c, which makes its
 * instances: each step's script (and, in half the instances, gates), the
 * step function that follows it on every thread (plain, blocking and async
 * steps, these with their dones on the completers of chaos_done.c), the
 * observers, and the ledger they all write for test_chaos.c to check on
 * the main thread.
 */
#ifndef CHAOS_H
#define CHAOS_H

#include "chaos_done.h"
#include "tjob.h"

#define CHAOS_MAX_ATTEMPTS 3   /* 1 + max_retries, for every policy used */

enum { CHAOS_PLAIN, CHAOS_BLOCKING, CHAOS_ASYNC }; /* a step's kind */

/* What one step does on each attempt. */
typedef struct script {
    int fails;          /* attempts that fail before one succeeds; -1: all */
    int overruns;       /* attempts that run past their deadline first (async:
                           whose done comes after it) */
    bool permanent;     /* failing attempts are marked permanent */
    bool spin;          /* every attempt waits until the instance is cancelled
                           (async: gets its done only from its hook) */
    bool box;           /* output is a malloc'd int64_t *, freed by the instance */
    bool is_bool;       /* output is a bool, truth: some step's condition */
    bool truth;
    int code;
    int kind;           /* CHAOS_PLAIN, CHAOS_BLOCKING or CHAOS_ASYNC */
    bool refuse;        /* async: failing attempts return the code, no done */
    bool hooked;        /* async: attempts hurry their done from a cancel hook */
    uint32_t mix;       /* async: 4 random bits per attempt, for its done */
} script;

typedef struct chaos chaos;

/* The done of one async attempt, queued on the completers. */
typedef struct done_call {
    cd_call call;       /* first: the completers hand it back */
    chaos *c;
    aj_reply *reply;
    uint32_t step;
    int rc;             /* what done says, unless hurried (a failure then) */
    int64_t value;      /* the output done gives when rc is 0 */
    int64_t deadline_ns; /* the attempt's */
} done_call;

/* One instance: its script, its ledger (written by steps and observers on
 * any thread, read by the main thread after wait). */
struct chaos {
    tj_job *job;
    script *steps;
    aj_instance *inst;
    bool cancel;                   /* the canceller thread cancels it */
    bool fail_fast, sequential;
    bool gates;                    /* has gated and nonfatal steps */
    bool free_first;               /* checked and freed as it ends, maybe
                                      before its late dones came */
    char id[AJ_ID_MAX];            /* the instance's, kept past its free */
    _Atomic bool cancel_returned;  /* aj_instance_cancel has returned */
    _Atomic uint32_t *attempts;    /* attempts the step function saw */
    _Atomic uint32_t *returned_ok; /* ... that returned 0 (late ones fail;
                                      async: dones that said 0) */
    _Atomic uint32_t *retries, *finishes, *completions; /* observer events */
    _Atomic uint32_t *dones;       /* async: done calls made */
    _Atomic uint32_t *refused;     /* async: attempts that failed by their
                                      return code, without done */
    done_call *calls;              /* async: CHAOS_MAX_ATTEMPTS a step */
    _Atomic int outstanding;       /* dones queued and not yet made */
    _Atomic uint32_t violations;   /* started before a predecessor completed
                                      (gated: before every one was final),
                                      or completed twice */
    _Atomic uint32_t unaware;      /* began after cancel returned, saw no flag */
    _Atomic uint32_t misplaced;    /* ran on a thread its kind rules out */
    _Atomic uint32_t early;        /* began before the last attempt's done */
    _Atomic uint32_t misrecorded;  /* an overrunning step's retry, with a code
                                      other than AJ_ESTEPTIMEOUT */
    int64_t cancel_ns, done_ns;    /* main thread's view, for the figures */
};

/* A number in [0, n) from the run's generator, seeded by main(). */
extern uint64_t chaos_rng;
uint32_t chaos_rnd(uint32_t n);

/* The thread that starts the instances, and so runs sequential ones. */
extern pthread_t chaos_main_thread;

/* Boxed outputs made and freed, over the process. */
extern _Atomic long chaos_boxes_made, chaos_boxes_freed;

/* What the runs did, printed after each: each path of the ledger was
 * taken. */
typedef struct chaos_tally {
    _Atomic long blocking, async;        /* attempts */
    _Atomic long at_once, late, hurried; /* dones: before the function
                                            returned, after the deadline,
                                            brought forward by a hook */
    _Atomic long free_waited;            /* frees with dones still to come */
    _Atomic long gated[3];               /* attempts of gated steps, by kind */
    long gate_runs, gate_skips;          /* gated steps that ran though a
                                            required predecessor did not
                                            complete, or that a rule or
                                            condition skipped (main thread) */
} chaos_tally;
extern chaos_tally chaos_seen;

/* Makes c a random instance on rt (on the main thread: it asserts) and
 * starts it; a sequential one has run when this returns. */
void chaos_launch(chaos *c, aj_runtime *rt);
/* Frees c's script and ledger, once its instance is freed and no done of
 * it is queued. */
void chaos_drop(chaos *c);

#endif
