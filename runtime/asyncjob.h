/*
 * asyncjob.h: the libasyncjob runtime, the only header it installs.
 *
 * A job is a directed acyclic graph of steps, described in a .job file and
 * compiled by ajc into static tables (an aj_job_def) plus one typed wrapper
 * per step. This header is both the contract that generated code compiles
 * against and the API a program uses to run, observe and draw jobs.
 *
 * Ownership, once for the whole API:
 * - Option structs (aj_runtime_opts, aj_start_opts and what they point to)
 *   are copied at the call; the caller may free or reuse them right after.
 * - Strings returned by the library are lent: valid until the object they
 *   come from is freed (the instance, the definition's static tables).
 * - An instance owns every step output. Freeing the instance runs each
 *   produced output's free function once, unless the output was taken.
 *   An output stored by an attempt that then fails (an error, a timeout,
 *   a cancel), is freed once, at once, whatever the attempt returned: a
 *   step's output slot is all zero bytes before each attempt, so one that
 *   is not was stored by it (a value that is all zero bytes, a NULL
 *   pointer, is never passed to the free function that way).
 * - Every *_free function accepts NULL.
 *
 * Errors: functions return int, AJ_OK (0) on success or a negative AJ_E*
 * code from the range [-1999, -1000]. AJ_PENDING, in that range too, is no
 * error: an async step's function returns it (see "Async steps"). A step's own non-zero return code is
 * never translated: it reaches aj_instance_wait() unchanged. The library
 * never prints and never aborts on bad input.
 *
 * Threads: everything may be called from any thread unless a function says
 * otherwise. Any number of instances of any jobs may run at once.
 */
#ifndef ASYNCJOB_H
#define ASYNCJOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the library's API: the only symbols libasyncjob.so exports, as it
 * is built with -fvisibility=hidden. */
#if defined(__GNUC__) || defined(__clang__)
#define AJ_API __attribute__((visibility("default")))
#else
#define AJ_API
#endif

/* Version of the interface between ajc's output and this runtime. ajc emits
 * a check against it; aj_instance_start() refuses a definition built for
 * another version with AJ_EABI. */
#define AJ_GEN_ABI 9

/* The release, the one place it is written: make, the pkg-config and CMake
 * files and `ajc --version` read these lines. AJ_VERSION_STRING is the
 * version of the header; aj_version() that of the library linked. */
#define AJ_VERSION_MAJOR 0
#define AJ_VERSION_MINOR 2
#define AJ_VERSION_PATCH 0
#define AJ_VERSION_STR__(x) #x
#define AJ_VERSION_STR_(x) AJ_VERSION_STR__(x)
#define AJ_VERSION_STRING                                                      \
    AJ_VERSION_STR_(AJ_VERSION_MAJOR) "." AJ_VERSION_STR_(AJ_VERSION_MINOR) "." \
    AJ_VERSION_STR_(AJ_VERSION_PATCH)
#define AJ_VERSION AJ_VERSION_STRING /* the 0.1 name, kept */

/* "MAJOR.MINOR.PATCH" of the library, which may be newer than the header a
 * program was compiled with (a shared library of the same major version). */
AJ_API const char *aj_version(void);

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */

/* One list generates the enum, aj_strerror() and aj_err_name(). */
#define AJ_ERRORS(X)                                                           \
    X(ECANCELED, -1001, "instance was cancelled")                              \
    X(ETIMEDOUT, -1002, "wait timed out before the instance finished")         \
    X(ENOMEM, -1003, "out of memory")                                          \
    X(EINVAL, -1004, "invalid argument")                                       \
    X(ESTEPTIMEOUT, -1005, "step returned after its deadline")                 \
    X(ESKIPPED, -1006, "step skipped: a step it depends on did not complete")  \
    X(ENORESULT, -1007, "no result: the result step did not complete")         \
    X(ETAKEN, -1008, "the output was already taken")                           \
    X(EBUSY, -1009, "instance has not finished")                               \
    X(EABI, -1010, "job definition was generated for another runtime ABI")     \
    X(EIO, -1011, "write failed")                                              \
    X(EAGAIN, -1012, "could not create a thread")                              \
    X(EDEADLK, -1013, "would wait for itself: called from its own observer")      \
    X(PENDING, -1014, "not an error: the step will complete through its done function")

enum {
    AJ_OK = 0,
#define AJ_ENUM_(name, code, text) AJ_##name = code,
    AJ_ERRORS(AJ_ENUM_)
#undef AJ_ENUM_
};

#define AJ_ERR_MIN (-1999)  /* the runtime's own codes lie in [AJ_ERR_MIN, AJ_ERR_MAX] */
#define AJ_ERR_MAX (-1000)

/* A sentence for any code: the runtime's own, 0, or a step's code (which
 * gets a generic text). Never NULL. */
AJ_API const char *aj_strerror(int code);

/* The symbolic name ("AJ_ECANCELED"), or NULL for a code not in the list. */
AJ_API const char *aj_err_name(int code);

/* ------------------------------------------------------------------------ */
/* Types shared with generated code                                          */

typedef struct aj_ctx aj_ctx;           /* a step's view of its run */
typedef struct aj_runtime aj_runtime;   /* worker pool, shared by instances */
typedef struct aj_instance aj_instance; /* one running job */

typedef enum aj_backoff {
    AJ_BACKOFF_NONE = 0,  /* retry at once */
    AJ_BACKOFF_FIXED,     /* delay_ns before every retry */
    AJ_BACKOFF_LINEAR,    /* delay_ns * (k + 1) before retry k */
    AJ_BACKOFF_EXPONENTIAL /* delay_ns * factor^k before retry k, capped */
} aj_backoff;

/* A custom policy decides alone. It is called after a failed attempt that
 * was not marked permanent; retry is 0 before the first retry. Return true
 * to run again after *delay_ns (negative is taken as 0), false to give up. */
typedef bool (*aj_retry_fn)(const aj_ctx *ctx, int err, uint32_t retry,
                            int64_t *delay_ns);

typedef struct aj_retry_policy {
    uint32_t max_retries; /* retries after the first failure: max_retries+1 runs */
    aj_backoff backoff;
    int64_t delay_ns;     /* base delay, >= 0 */
    double factor;        /* exponential only; >= 1 (ajc writes 2 by default) */
    int64_t cap_ns;       /* upper bound of any delay; 0: no cap */
    uint32_t jitter_pct;  /* 0..100: each delay spread by up to +-jitter_pct% */
    aj_retry_fn custom;   /* non-NULL: decides alone, other fields ignored */
} aj_retry_policy;

/* The generated wrapper of a step's function: reads the job inputs and the
 * outputs of the step's producers, calls the user's function, stores its
 * output. Steps calling the same function share it; slots (the step's
 * aj_step_exec.slots) says where in the outputs block its inputs and its
 * output are. */
typedef int (*aj_step_run_fn)(aj_ctx *ctx, void *inputs, void *outputs, const size_t *slots);

/* Frees the value in one step's output slot (generated from the free
 * function of the output's type). */
typedef void (*aj_output_free_fn)(void *slot);

enum {
    AJ_EDGE_DATA = 1u,      /* the target consumes the source's output */
    AJ_EDGE_AFTER = 2u,     /* the target runs after the source (ordering only) */
    AJ_EDGE_CONDITION = 4u, /* the source's bool output decides whether the
                               target runs (when / unless) */
    AJ_EDGE_OPTIONAL = 8u   /* the target takes the source's output if it
                               completed, NULL otherwise, and nothing else
                               makes the source required: the target waits
                               for it to be final, whatever its state */
};

typedef struct aj_edge_def {
    uint32_t from;  /* step index */
    uint32_t to;    /* step index */
    uint32_t kind;  /* AJ_EDGE_DATA, AJ_EDGE_AFTER or both */
} aj_edge_def;

/* What running a step and releasing its successors read, in a table of
 * their own (aj_job_def.exec): 32 bytes a step, against 88 when they lay
 * in the rows of aj_step_def, so that a large job's hot loop streams a
 * third as much memory. Everything else about a step is in aj_step_def. */
typedef struct aj_step_exec {
    aj_step_run_fn run;
    const size_t *slots;           /* for run: offsets in the outputs block of
                                      each input's producer slot, in declared
                                      order, then of its own; NULL: none */
    uint32_t n_preds;              /* distinct steps it waits for (data or after) */
    uint32_t first_succ;           /* its successors: succs[first_succ..+n_succs),
                                      the targets of its out-edges in order */
    uint32_t n_succs;
    uint32_t flags;                /* AJ_STEP_* bits below, or 0 */
} aj_step_exec;

/* In aj_step_exec.flags. */
enum {
    AJ_STEP_TIMED = 1u,    /* its timeout_ns is > 0 */
    AJ_STEP_BLOCKING = 2u, /* declared `blocking`: its attempts run on the
                              runtime's blocking pool, never on a worker */
    AJ_STEP_ASYNC = 4u,    /* declared `async`: its run function returns
                              AJ_PENDING and each attempt ends with
                              aj_reply_done(); never with AJ_STEP_BLOCKING */
    AJ_STEP_NONFATAL = 8u, /* declared `nonfatal`: its failure is recorded
                              (state, observers, pictures) but is no root
                              cause, fails no wait and cancels nothing */
    AJ_STEP_GATED = 16u,   /* aj_step_def.gate is not NULL: a trigger rule,
                              a condition or optional inputs decide whether
                              it runs once its predecessors are final */
    AJ_STEP_LIMITED = 32u, /* aj_step_def.n_uses > 0: each attempt first
                              takes a slot of every limit it uses */
    AJ_STEP_ARRAY = 64u,   /* `-> T[]`: its function returns an array; its
                              slot holds an aj_array */
    AJ_STEP_MAPPED = 128u  /* runs once per element of aj_step_def.map_source's
                              array (or elements); its slot holds an aj_array
                              of its elements' outputs, in the instance's
                              memory (one allocation per expansion), unless
                              it produces nothing (no output_type, no slot);
                              its free_output frees one element's output. Each
                              element has its own attempts, retries,
                              deadline, state and observer events; the step
                              fails when an element fails for good (the root
                              cause's step_name is then "Query[3]") */
};

/* What an array output (`-> T[]`), or the outputs of a mapped step's
 * elements, look like in the step's slot: n elements of the element type,
 * in element order, owned by the instance. */
typedef struct aj_array {
    void *items;   /* NULL when n is 0 */
    size_t n;
} aj_array;

/* A limit, `limit NAME = N;`: at most size attempts of steps (and
 * elements) that use NAME run at once, across every instance of every job
 * on one runtime. */
typedef struct aj_limit_def {
    const char *name;
    uint32_t size;     /* N >= 1, a runtime's size for NAME until
                          aj_runtime_set_limit() says otherwise */
} aj_limit_def;

/* Trigger rules, over a step's required predecessors (its data inputs
 * that are not optional, its `after` steps, its condition). */
typedef enum aj_trigger_rule {
    AJ_ON_SUCCESS = 0, /* runs when every one completed (the default) */
    AJ_ON_DONE,        /* runs when every one is final, whatever its state */
    AJ_ON_FAILURE      /* runs when at least one did not complete because of
                          a failure (it failed, or was skipped because of
                          one upstream); skipped otherwise. Needs at least
                          one required predecessor: with none it could
                          never run, and start refuses it (AJ_EINVAL) */
} aj_trigger_rule;

/* What decides whether a gated step (AJ_STEP_GATED) runs once all its
 * predecessors, required or optional, are final: its rule must hold and,
 * with a condition, the condition step must have completed with true
 * (false for `unless`). Under `on success`, a required predecessor that
 * did not complete gives the upstream reason (aj_skip_reason), before the
 * condition is looked at. */
typedef struct aj_step_gate {
    aj_trigger_rule rule;
    int32_t condition;        /* step index of `when` / `unless`, whose
                                 output is a bool; -1: none */
    bool negate;              /* `unless`: runs when the condition is false */
    uint32_t n_required;
    const uint32_t *required; /* step indexes of its required predecessors,
                                 ascending; NULL when n_required is 0 */
} aj_step_gate;

typedef struct aj_step_def {
    const char *name;              /* as written in the .job file */
    const char *output_type;       /* C type text; NULL when it produces nothing */
    size_t output_offset;          /* of its slot within the outputs block */
    size_t output_size;            /* sizeof its output type, the slot's size;
                                      0 when it produces nothing. What tells
                                      whether an attempt stored an output,
                                      and how much to clear */
    aj_output_free_fn free_output; /* NULL when the output needs no free */
    const aj_retry_policy *retry;  /* NULL: a failure is final */
    int64_t timeout_ns;            /* cooperative deadline per attempt; 0 (or
                                      negative): none. An attempt that returns
                                      0 after it fails with AJ_ESTEPTIMEOUT,
                                      and the output it stored is freed. An
                                      async step's is enforced: the attempt
                                      fails at the deadline */
    uint32_t level;                /* longest path from a step with no preds */
    uint32_t line;                 /* line of the step in the .job file */
    const aj_step_gate *gate;      /* NULL: on success, no condition, every
                                      input required (exactly when
                                      aj_step_exec.flags has no AJ_STEP_GATED) */
    uint32_t n_uses;               /* limits it takes a slot of (`uses`) */
    const uint32_t *uses;          /* n_uses indexes into aj_job_def.limits,
                                      ascending: limits are taken in that
                                      order; NULL when n_uses is 0 */
    int32_t map_source;            /* AJ_STEP_MAPPED: the step whose array
                                      output (or whose elements, when it is
                                      mapped too) it runs over; else -1 */
    size_t element_size;           /* AJ_STEP_ARRAY or AJ_STEP_MAPPED: sizeof
                                      one element of its output; else 0, and
                                      0 for a mapped step without output */
} aj_step_def;

/* A sub-job step (`step T1(...) -> Rows job fetch_table;`), which ajc
 * inlines: the job's steps become steps of the parent, named "T1/Open",
 * "T1/Query", ... (nested: "T1/Audit/Log"), contiguous in declaration
 * order, with their own retries, timeouts and states, in the parent's one
 * instance. The runtime needs nothing of this to run them; pictures draw
 * each sub-job as a cluster labelled "T1: fetch_table". */
typedef struct aj_subjob_def {
    const char *name;     /* "T1", or "T1/Audit" inside T1 */
    const char *job;      /* the job it runs: "fetch_table" */
    uint32_t first_step;  /* its steps are first_step .. first_step + n_steps - 1 */
    uint32_t n_steps;     /* >= 1 */
} aj_subjob_def;

/* What the runtime remembers about a definition from one start to the
 * next: that its tables were checked, so that later starts skip the check,
 * and what it learnt from them. ajc gives each definition its own, with
 * room for AJ_MEMO_ROOM(n_steps) numbers and the rest zero-initialised;
 * generated code never touches it. The first start that finds the tables
 * good fills it, once. A definition without one (memo NULL) is checked at
 * every start, which suits tables built or changed at run time; one without
 * room runs as well, only skips long branches a step at a time and finds an
 * async step's record by a search. */
typedef struct aj_job_memo {
    uint64_t checked;  /* the runtime's, read and written atomically */
    uint64_t facts;    /* the runtime's */
    uint32_t *room;    /* n_room numbers, the runtime's to fill with what it
                          derives from the tables (which steps a skipped
                          step takes with it, where each async step's
                          record lies); NULL when n_room is 0 */
    size_t n_room;
    uint32_t claimed;  /* the runtime's: 1 once a start fills the memo */
} aj_job_memo;

/* Numbers of room a memo needs for a definition of n steps. */
#define AJ_MEMO_ROOM(n_steps) (4 * (size_t)(n_steps) + ((size_t)(n_steps) + 31) / 32)

/* A job definition: static tables written by ajc, read-only at run time.
 * Steps are in declaration order. order[] lists every step sorted by
 * (level, declaration index), so it is topological and its first n_roots
 * entries are the steps with no predecessors. edges[] is sorted by the
 * position in order[] of the source, then of the target, so that each
 * step's out-edges form one run. succs[] repeats their targets in step
 * order instead (the order in which a wavefront or a chain runs them),
 * each step's run in the order of its edges: its successor list. */
typedef struct aj_job_def {
    uint32_t abi;              /* AJ_GEN_ABI of the generator */
    const char *name;          /* job name */
    const char *source;        /* .job file as given to ajc */
    uint32_t n_steps;
    const aj_step_def *steps;
    const aj_step_exec *exec;  /* n_steps, in the same order as steps */
    const uint32_t *order;     /* n_steps step indexes, topological */
    uint32_t n_roots;
    uint32_t n_levels;
    uint32_t n_edges;
    const aj_edge_def *edges;  /* NULL when n_edges is 0 */
    const uint32_t *succs;     /* n_edges: each step's out-edge targets, in the
                                  order of its edges, the steps in step order;
                                  NULL when n_edges is 0 */
    int32_t result;            /* index of the result step; -1: none */
    size_t inputs_size;        /* job inputs, copied into each instance */
    size_t inputs_align;
    size_t outputs_size;       /* one slot per step that produces a value */
    size_t outputs_align;
    aj_job_memo *memo;         /* NULL: the tables are checked at every start */
    uint32_t n_limits;
    const aj_limit_def *limits; /* the limits its steps use, sorted by name
                                   (strcmp), so that any two jobs take any
                                   two limits in the same order; NULL when
                                   n_limits is 0 */
    uint32_t n_subjobs;
    const aj_subjob_def *subjobs; /* the inlined sub-jobs, for pictures only,
                                     sorted by first_step, an enclosing one
                                     before those inside it; two are nested
                                     or apart. NULL when n_subjobs is 0 */
} aj_job_def;

/* Index of the step called name, or -1. */
AJ_API int32_t aj_job_def_find_step(const aj_job_def *def, const char *name);

/* ------------------------------------------------------------------------ */
/* Observers                                                                 */

typedef enum aj_step_state {
    AJ_STEP_PENDING = 0, /* not started yet */
    AJ_STEP_RUNNING,     /* started; also while waiting out a retry delay */
    AJ_STEP_COMPLETED,   /* final: returned 0 */
    AJ_STEP_FAILED,      /* final: failed, retries exhausted or not allowed */
    AJ_STEP_SKIPPED,     /* final: a step it depends on did not complete */
    AJ_STEP_CANCELLED,   /* final: the instance was cancelled before it ran
                            (never skipped then), while it waited to retry,
                            or it failed after the cancel; or it returned
                            AJ_ECANCELED */
    AJ_STEP_WAITING      /* an async step's function returned AJ_PENDING
                            and its done has not come yet (after the final
                            states, so that their values stay those of 0.2) */
} aj_step_state;

#define AJ_STEP_STATE_COUNT 7

/* "pending", "running", ...; "unknown" outside the enum. */
AJ_API const char *aj_step_state_name(aj_step_state state);

/* Why a step ended skipped. */
typedef enum aj_skip_reason {
    AJ_SKIP_NONE = 0,         /* it was not skipped */
    AJ_SKIP_CONDITION,        /* its when / unless did not hold (or its
                                 condition step did not complete) */
    AJ_SKIP_UPSTREAM_FAILED,  /* a required predecessor failed, or was
                                 skipped because of a failure upstream */
    AJ_SKIP_UPSTREAM_SKIPPED, /* a required predecessor was skipped, for a
                                 condition or a trigger rule */
    AJ_SKIP_UPSTREAM_CANCELLED, /* a required predecessor ended cancelled
                                   (it returned AJ_ECANCELED) */
    AJ_SKIP_NO_FAILURE        /* `on failure`: nothing upstream failed */
} aj_skip_reason;

#define AJ_SKIP_REASON_COUNT 6

/* "condition", "upstream failed", ...; "unknown" outside the enum. */
AJ_API const char *aj_skip_reason_name(aj_skip_reason reason);

typedef enum aj_fail_kind {
    AJ_FAIL_NONE = 0,
    AJ_FAIL_ERROR,     /* the step returned a non-zero code */
    AJ_FAIL_TIMEOUT,   /* the step returned after its deadline */
    AJ_FAIL_CANCELLED  /* the instance was cancelled */
} aj_fail_kind;

typedef struct aj_step_event {
    const aj_instance *instance;
    const char *job;          /* job name */
    const char *instance_id;
    const char *step;         /* step name */
    uint32_t step_index;
    uint32_t attempt;         /* 1-based attempt the event is about; 0: never ran */
    aj_step_state state;      /* finish: the final state */
    int err;                  /* retry, finish: code of the last attempt */
    int64_t delay_ns;         /* retry: delay before the next attempt */
    int64_t duration_ns;      /* finish: first start to final state */
    const char *message;      /* retry, finish: the step's message, or "" */
    void *user;               /* aj_start_opts.user */
    int64_t time_ns;          /* monotonic (aj_now_ns()), when it happened:
                                 start, just before the attempt; retry, once
                                 the attempt was judged; finish, the final
                                 state (for a step that never ran, when it
                                 was settled) */
    aj_skip_reason skip_reason; /* finish: why it was skipped, or AJ_SKIP_NONE */
    int64_t element;          /* a mapped step's element the event is about
                                 (0 .. n-1): each element has its own start,
                                 retry and finish events, and the step one
                                 finish event of its own; -1 for a step's */
} aj_step_event;

/* Callbacks run on the thread that ran (or skipped, or cancelled) the step,
 * with no runtime lock held. Any of them may be NULL. step_finish is called
 * once for every step of every instance, whatever its final state.
 * step_start comes just before the attempt: the step's start time and its
 * timeout count from when the callback returns, so time spent in callbacks
 * is never charged to a step. A callback must not wait for or free its own
 * instance: that would wait for itself. */
typedef struct aj_observer {
    void (*step_start)(void *arg, const aj_step_event *ev);
    void (*step_retry)(void *arg, const aj_step_event *ev);
    void (*step_finish)(void *arg, const aj_step_event *ev);
    void *arg;
} aj_observer;

/* ------------------------------------------------------------------------ */
/* Runtime                                                                   */

typedef struct aj_runtime_opts {
    unsigned n_workers;          /* 0: number of online CPUs */
    const aj_observer *observer; /* copied; NULL: none */
    unsigned max_blocking;       /* threads of the blocking pool, at most;
                                    0: 512 */
    int64_t blocking_keep_alive_ns; /* an idle blocking thread exits after
                                       this long; 0 (or negative): 10 s */
} aj_runtime_opts;

/* fork(): only the calling thread goes on in the child. There, the default
 * runtime is a new one (made on first use, as in any process), and so are
 * the instance ids; runtimes and instances from before the fork belong to
 * the parent: the child must not start on, wait for, cancel or free them
 * (their threads do not exist in the child). Runtimes the child makes
 * itself work as usual. */

/* A pool of worker threads (at most 1024). opts NULL means defaults.
 * Returns NULL, having released everything, when memory or threads run
 * out. Idle workers spin before they sleep (up to a millisecond while
 * instances run, 50 us otherwise), and while instances keep starting one
 * sleeping worker looks for work every 250 us, so that starting an
 * instance costs no wake-up. At most as many threads as there are CPUs
 * work on one instance, unless more workers than CPUs were asked for. */
AJ_API aj_runtime *aj_runtime_new(const aj_runtime_opts *opts);

/* Waits until every instance started on rt has reached a final state (it
 * does not cancel them), sequential ones included, then joins the workers
 * and frees the pool. Those instances stay valid and must still be freed
 * by their owners; nothing they do afterwards (wait, cancel, pictures,
 * free) touches the freed runtime. Must not be called from a step, nor
 * twice, and no instance may be started on rt once it has begun. */
AJ_API void aj_runtime_free(aj_runtime *rt);

/* Number of worker threads of rt (NULL: the default runtime's, creating it). */
AJ_API unsigned aj_runtime_workers(aj_runtime *rt);

/* Blocking steps (declared `blocking`) never run on a worker: their
 * attempts wait in the runtime's blocking queue for a thread of its
 * blocking pool, which is created when no idle one is there, up to
 * max_blocking, with a small stack (256 KiB) and named "aj-block". A
 * thread idle for blocking_keep_alive_ns exits. When no thread can be
 * created, the threads there are serve the queue; with none at all, the
 * thread that reached the step runs it. The blocking thread runs the
 * attempt (retries, timeout and observers as for any step) and the
 * blocking steps it makes runnable; the other steps it makes runnable go
 * to the workers. In sequential mode blocking steps run on the caller's
 * thread like the others. */

/* What a runtime is doing, read at one instant. */
typedef struct aj_runtime_stats {
    unsigned n_workers;        /* worker threads */
    unsigned blocking_threads; /* threads of the blocking pool */
    unsigned blocking_idle;    /* of those, waiting for work */
    unsigned blocking_queued;  /* blocking attempts waiting for a thread */
    unsigned blocking_peak;    /* most blocking threads at once so far */
    unsigned max_blocking;     /* the cap */
} aj_runtime_stats;

/* Fills *out for rt (NULL: the default runtime, creating it). AJ_OK;
 * AJ_EINVAL when out is NULL; AJ_EAGAIN when the default runtime cannot
 * be created. */
AJ_API int aj_runtime_get_stats(aj_runtime *rt, aj_runtime_stats *out);

/* Sets the size of limit name on rt (NULL: the default runtime) to size:
 * from then on at most size attempts that use it run at once; attempts
 * waiting for a slot are let in, first come first served, as the new size
 * allows. A limit a runtime has not met yet takes the size of the first
 * definition that names it, unless this set it first. AJ_OK; AJ_EINVAL
 * for a NULL name or a size of 0; AJ_ENOMEM; AJ_EAGAIN when the default
 * runtime cannot be created. */
AJ_API int aj_runtime_set_limit(aj_runtime *rt, const char *name, uint32_t size);

/* ------------------------------------------------------------------------ */
/* Instances                                                                 */

#define AJ_ID_MAX 64 /* instance id bytes, including the terminating NUL */

/* A step named by more than one override takes the last one's policy;
 * a name shared by several steps is the first of them (as for
 * aj_job_def_find_step). Start resolves the names in time linear in the
 * overrides and steps. */
typedef struct aj_retry_override {
    const char *step;        /* step name; an unknown name fails with AJ_EINVAL */
    aj_retry_policy policy;  /* replaces the step's policy for this instance */
} aj_retry_override;

typedef struct aj_start_opts {
    const char *instance_id;   /* copied; NULL: a random UUID v4. Longer than
                                  AJ_ID_MAX - 1 bytes: AJ_EINVAL */
    bool sequential;           /* run every step inside start, on the caller's
                                  thread, in topological order */
    bool fail_fast;            /* on the first failure cancel the instance:
                                  steps not yet started are cancelled, running
                                  ones see aj_ctx_cancelled() (default:
                                  independent branches run to the end) */
    size_t n_retry_overrides;
    const aj_retry_override *retry_overrides;  /* copied */
    void *user;                /* returned by aj_ctx_user(), passed to on_done */
    const aj_observer *observer; /* copied; called besides the runtime's */
    /* Called once, when the instance has reached its final state: from
     * then on aj_instance_wait(inst, 0) returns the final result, and
     * wait, done, failure, step_info and output may be called from inside
     * it. It runs on the thread that settled the last step (a worker, a
     * blocking thread, a waiter, the canceller, a thread in
     * aj_instance_cancel), after the observers' last step_finish; for a
     * sequential instance, and an instance of a job without steps, inside
     * aj_instance_start, before it returns. It must not free the instance
     * (that thread still holds it when on_done returns) nor block for
     * long; another thread told by it may free it, and aj_instance_free
     * then waits the few instructions until that thread lets go. NULL:
     * none. */
    void (*on_done)(aj_instance *inst, void *user);
} aj_start_opts;

/* Starts an instance of def with a copy of def->inputs_size bytes at inputs.
 * rt NULL means the process-wide default runtime, created on first use (not
 * in sequential mode, which needs no threads). Its steps are the waiting
 * thread's to run (it usually comes within microseconds, and a job of
 * short steps then never leaves that core); workers take those nobody
 * has begun after 50 us, and steps made runnable by a long one (20 us
 * or more) at once. One allocation. Returns
 * AJ_OK; AJ_EINVAL for a bad argument or tables that contradict themselves
 * (edges, order, counts); AJ_EABI; AJ_ENOMEM; AJ_EAGAIN when the default
 * runtime cannot be created (memory or threads; the next start tries
 * again). On error *out is NULL and nothing runs.
 * In sequential mode every step has run when it returns AJ_OK, whatever
 * their outcome: wait returns it. Generated JOB_start() calls this. */
AJ_API int aj_instance_start(aj_runtime *rt, const aj_job_def *def, const void *inputs,
                             const aj_start_opts *opts, aj_instance **out);

/* Waits until every step is final. timeout_ns < 0 waits for ever, running
 * ready steps of this instance on the calling thread meanwhile (also those
 * whose retry delay ends); with none to run it spins up to a millisecond,
 * then sleeps. With a timeout (on the monotonic clock) the calling thread
 * runs no step, since a step may take longer than the time left: it hands
 * the instance to the workers at once and sleeps until the end or the
 * deadline, which holds whatever the steps do; the timeout does not cancel
 * the instance. Returns AJ_OK, AJ_ETIMEDOUT, the root cause's code, or
 * AJ_ECANCELED when a step was cancelled and none failed; AJ_EDEADLK,
 * at once, from one of the instance's own observer callbacks, which the
 * instance waits for. Must not be called from one of its own steps. */
AJ_API int aj_instance_wait(aj_instance *inst, int64_t timeout_ns);

/* Cancels: steps not started become cancelled (never skipped) and never
 * run; running steps see aj_ctx_cancelled(); a step waiting out a retry
 * delay becomes cancelled at once (its step_info keeps the code of its last
 * attempt). A running step that then returns 0 completes; one that returns
 * a non-zero code ends cancelled, with that code in its step_info, is not
 * retried and is no root cause. wait then returns AJ_ECANCELED, unless a
 * step failed before the cancel (fail-fast: the failure's code). A step
 * that returns AJ_ECANCELED by itself ends cancelled too. Idempotent;
 * after the instance finished it changes nothing and touches nothing but
 * the instance (its runtime may have been freed since). */
AJ_API void aj_instance_cancel(aj_instance *inst);

/* The same cancel, safe to call from a signal handler (a SIGINT handler,
 * say), which aj_instance_cancel is not: it takes locks the interrupted
 * thread may hold. It marks the instance cancelled (running steps see
 * aj_ctx_cancelled() at once) and asks the runtime's canceller thread to
 * do the rest, so it returns before steps are settled; wait as usual.
 * An instance started sequentially without a runtime settles what is left
 * as cancelled between two steps. Only atomics and sem_post(); the
 * instance must not be freed while the call may run. Generated
 * JOB_cancel_async() calls this. */
AJ_API void aj_instance_cancel_async(aj_instance *inst);

/* True once every step is final. */
AJ_API bool aj_instance_done(const aj_instance *inst);

/* Points *slot at the output of step, lent (take false) or handed over
 * (take true). An array or mapped step's slot is an aj_array; a taken
 * array is the caller's to free (each element, then items); a mapped
 * step's elements lie in the instance's expansion and are only lent.
 * AJ_EBUSY if the step is not final yet, AJ_ENORESULT if it did not
 * complete or produces nothing, AJ_ETAKEN if already taken, AJ_EINVAL for
 * a take of a mapped step's outputs. A taken output is not freed by
 * aj_instance_free(). */
AJ_API int aj_instance_output(aj_instance *inst, uint32_t step, bool take, void **slot);

/* Runs again, on a finished instance, every step that did not complete
 * (failed, skipped, cancelled), with fresh attempts and the same inputs,
 * keeping the outputs of the steps that completed (they are neither
 * recomputed nor freed; one taken stays taken, so no step run again may
 * need it); its root cause and cancel are cleared. Then wait
 * as after a start (a sequential instance has run again when it returns;
 * on_done is called again). AJ_OK; AJ_EBUSY when the instance has not
 * finished; AJ_EINVAL for NULL; AJ_ENOMEM. With nothing left to run it
 * changes nothing. A mapped step that did not complete runs its whole
 * expansion again, every element with fresh attempts (the outputs of its
 * elements that completed are freed first). Its runtime must still exist. Not from one of its own
 * steps, observers or on_done (it waits until no other thread holds the
 * instance, as aj_instance_free does). Generated JOB_rerun() calls this. */
AJ_API int aj_instance_rerun(aj_instance *inst);

/* Frees the instance and every produced output not taken. An instance that
 * has not finished is cancelled and waited for first. Must not be called
 * from one of its own steps. */
AJ_API void aj_instance_free(aj_instance *inst);

AJ_API const aj_job_def *aj_instance_def(const aj_instance *inst);
AJ_API const char *aj_instance_id(const aj_instance *inst);

typedef struct aj_step_info {
    aj_step_state state;
    aj_fail_kind kind;       /* why it failed or was cancelled; else AJ_FAIL_NONE */
    int err;                 /* code of the last attempt; 0 if none */
    uint32_t attempts;       /* runs started: 1 + retries used */
    int64_t start_ns;        /* monotonic, first attempt; 0 if never started */
    int64_t start_wall_ns;   /* the same instant on CLOCK_REALTIME */
    int64_t duration_ns;     /* first start to final state; 0 until final */
    aj_skip_reason skip_reason; /* why it was skipped; AJ_SKIP_NONE otherwise */
} aj_step_info;

/* A consistent snapshot of one step, also while the instance runs. */
AJ_API int aj_instance_step_info(const aj_instance *inst, uint32_t step, aj_step_info *out);

typedef struct aj_failure {
    int32_t step;            /* root-cause step index; -1 when none */
    const char *step_name;   /* NULL when step is -1 */
    int code;                /* its code; AJ_ECANCELED if cancelled first */
    aj_fail_kind kind;
    uint32_t attempts;
    const char *message;     /* its message, "" when it set none; lent */
} aj_failure;

/* Fills *out with the root cause (the first step to fail) and returns its
 * code; returns 0 and sets out->step = -1 when nothing failed. When nothing
 * failed but a step was cancelled: step -1, AJ_ECANCELED, AJ_FAIL_CANCELLED. */
AJ_API int aj_instance_failure(const aj_instance *inst, aj_failure *out);

/* ------------------------------------------------------------------------ */
/* Step context                                                              */

#define AJ_MESSAGE_MAX 256 /* message bytes kept, including the NUL; a longer
                              message ends in "..." */

AJ_API const char *aj_ctx_job_name(const aj_ctx *ctx);
AJ_API const char *aj_ctx_instance_id(const aj_ctx *ctx);
AJ_API const char *aj_ctx_step_name(const aj_ctx *ctx);
AJ_API uint32_t aj_ctx_step_index(const aj_ctx *ctx);
/* The element a mapped step's run is for (0 .. n-1); 0 for a step that is
 * not mapped. */
AJ_API size_t aj_ctx_index(const aj_ctx *ctx);
AJ_API uint32_t aj_ctx_attempt(const aj_ctx *ctx);     /* 1 for the first run */
AJ_API int64_t aj_ctx_deadline_ns(const aj_ctx *ctx);  /* monotonic; INT64_MAX: none */
AJ_API bool aj_ctx_expired(const aj_ctx *ctx);         /* deadline passed */
AJ_API bool aj_ctx_cancelled(const aj_ctx *ctx);
AJ_API void *aj_ctx_user(const aj_ctx *ctx);
AJ_API const aj_instance *aj_ctx_instance(const aj_ctx *ctx);
/* Whether step (an index of ctx's job) completed in ctx's instance: how a
 * generated wrapper passes an optional input, which is NULL when its
 * producer did not complete. */
AJ_API bool aj_ctx_step_completed(const aj_ctx *ctx, uint32_t step);

/* A context is valid during the step function's call only; an async
 * step's, until its attempt's done (below).
 * aj_ctx_expired: the monotonic clock is past the deadline. */

/* Registers fn(arg) to interrupt what this attempt is blocked on (close a
 * socket, abort a request, post a semaphore). fn is called at most once,
 * on some thread, if while the attempt runs:
 * - the instance is cancelled (aj_instance_cancel, a fail-fast failure,
 *   aj_instance_cancel_async): on the cancelling thread, or the runtime's
 *   canceller thread for a request from a signal handler;
 * - the attempt's deadline (its step's timeout) passes: on the runtime's
 *   canceller thread, within a scheduling delay of the deadline (the
 *   deadline is on the monotonic clock; the thread sleeps on the
 *   realtime one, so a step of the system clock may delay it by up to a
 *   second). An instance started sequentially without a runtime has no
 *   such thread: there fn is called for a deadline only as below.
 * If the instance is already cancelled, or the deadline has passed, fn is
 * called at once, on the calling thread, before this returns. Registering
 * again replaces the earlier fn (which is then not called); fn NULL
 * removes it. When this returns, no earlier fn of the attempt is running.
 * The registration ends with the attempt: once the step function has
 * returned, fn is never called, and if it is running on another thread
 * then, the attempt does not end until it has returned. The step
 * function's own frame is gone before that: if arg points into it (or the
 * step frees what fn touches), the step removes the registration (fn
 * NULL) first. fn must be short and must not wait for the instance; it may
 * cancel it. Call from the step's own thread (for an async step: before
 * its completion; its hook lives until its done, and the first one an
 * async step registers allocates: AJ_ENOMEM without memory, else AJ_OK;
 * AJ_EINVAL for a NULL ctx). */
AJ_API int aj_ctx_on_cancel(aj_ctx *ctx, void (*fn)(void *arg), void *arg);

/* Attaches a printf-formatted message to this attempt's failure. */
AJ_API void aj_ctx_set_message(aj_ctx *ctx, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Marks this attempt's failure permanent: it is not retried. */
AJ_API void aj_ctx_set_permanent(aj_ctx *ctx);

/* ------------------------------------------------------------------------ */
/* Async steps                                                               */

/*
 * A step declared `async` starts an operation and returns; the operation
 * ends later, on any thread, with one call of the step's generated
 * JOB_STEP_done(reply, rc, out), which calls aj_reply_done(). No thread
 * waits for it meanwhile: the step is AJ_STEP_WAITING.
 * - The step function returns AJ_PENDING once it has arranged for done to
 *   be called (done may have been called already, on any thread), or a
 *   non-zero code without calling done: the attempt failed with it. 0 is
 *   taken as AJ_PENDING.
 * - done is called exactly once per attempt. rc 0 completes the attempt
 *   with *out (output_size bytes, copied into the step's slot); out is
 *   ignored when rc is not 0 (nothing is freed then).
 * - The context (and the reply) stays valid until done is called: the
 *   operation may call aj_ctx_set_message() and aj_ctx_set_permanent() on
 *   it until then. Observers hear step_start before the function is
 *   called and step_retry, step_finish on the thread that made the
 *   attempt final: usually done's.
 * - The step's timeout is enforced: at the deadline the attempt fails
 *   with AJ_ESTEPTIMEOUT (and may be retried) whether done came or not.
 *   A done after the deadline is late, whatever its rc: it is accepted
 *   and discarded, its output freed with the type's free function, once.
 * - Each step has one reply, handed to every attempt: a retry after a
 *   timed-out attempt starts only once that attempt's late done has come,
 *   so a late done is never taken for the next attempt's. Every done must
 *   therefore eventually be called: aj_instance_free() waits for every
 *   attempt's done, and so do the retries of a timed-out attempt.
 * - A second done for one attempt is ignored while the step has not
 *   started another attempt and the instance exists; it is a bug the
 *   runtime cannot catch after that.
 * - Cancelling the instance does not end a waiting attempt: it ends,
 *   cancelled unless its done reports success, when done comes (or at its
 *   deadline).
 * - done's thread makes the attempt final and releases the steps that
 *   follow: it starts async ones itself (their functions return at once)
 *   and hands the others to the workers; it never runs a plain step. In
 *   sequential mode the starting thread waits for each done in turn.
 */
typedef struct aj_reply aj_reply;

/* The reply of ctx's attempt, for its step function; NULL when ctx is not
 * an async step's. Generated wrappers call it. */
AJ_API aj_reply *aj_ctx_reply(aj_ctx *ctx);

/* Ends the attempt of reply with rc and, when rc is 0, the output at out
 * (NULL when the step produces nothing). Any thread; at most once per
 * attempt (see above). Generated JOB_STEP_done() calls it. */
AJ_API void aj_reply_done(aj_reply *reply, int rc, const void *out);

/* ------------------------------------------------------------------------ */
/* Clocks and retry arithmetic                                               */

/* CLOCK_MONOTONIC, read through the TSC where the CPU says it is
 * invariant (calibrated against clock_gettime() and given up if it runs
 * ahead), else, or with AJ_CLOCK=monotonic in the environment, with
 * clock_gettime(). Never goes back, also from one thread to another. */
AJ_API int64_t aj_now_ns(void);
AJ_API int64_t aj_wall_now_ns(void);  /* CLOCK_REALTIME */

/* The delay before retry k (0-based) of a non-custom policy, in
 * [0, cap_ns] (or [0, INT64_MAX] without a cap): never negative, never
 * wrapped, never shorter than the one before k (jitter aside), in the same
 * time for any k. jitter_seed picks the jitter deterministically. */
AJ_API int64_t aj_retry_delay_ns(const aj_retry_policy *p, uint32_t k, uint64_t jitter_seed);

/* ------------------------------------------------------------------------ */
/* Pictures                                                                  */

enum {
    AJ_DOT_NO_TIMES = 1u  /* leave times out of tooltips: output to diff */
};

/* Graphviz DOT of a definition: gray boxes, bold data edges, dashed
 * ordering edges, a triangle for the job. Byte-identical to `ajc --dot`.
 * Returns AJ_OK or AJ_EIO. */
AJ_API int aj_job_def_dot(const aj_job_def *def, FILE *out);

/* DOT of an instance, safe while it runs: hexagons filled by state (gray
 * pending, yellow running, green completed, red failed, orange skipped,
 * lightblue cancelled, plum waiting for an async step's done), tooltips
 * with state, start (UTC), duration and attempts, edges coloured by the state of the step they leave, the job's
 * triangle by the instance's state. A mapped step is drawn once, its label
 * "Query[n]" once it knows its n elements, its tooltip how many elements
 * are in each state. The instance pictures below copy every step record
 * first: AJ_OK, AJ_EIO, AJ_ENOMEM or AJ_EINVAL. */
AJ_API int aj_instance_dot(const aj_instance *inst, FILE *out, unsigned flags);

/* Timeline as Chrome trace-event JSON (Perfetto, chrome://tracing): one
 * complete event per step that started, one thread row per step, times in
 * microseconds from the instance's start. An instance keeps only a step's
 * first start and its end, so a step's bar spans all its attempts and the
 * retry waits between them: aj_trace below draws each attempt, wait and
 * thread, for many instances in one file (a mapped step's own events
 * only: its elements' are drawn here and by aj_instance_mermaid). Every
 * element of a mapped step that started has a row of its own after the
 * steps' (category "element", args.element its index). */
AJ_API int aj_instance_trace_json(const aj_instance *inst, FILE *out);

/* Timeline as a Mermaid gantt chart: a section per step that started, with
 * its waiting and running bars, in microseconds from the instance's start;
 * under a mapped step, a bar per element that started ("element 3"). */
AJ_API int aj_instance_mermaid(const aj_instance *inst, FILE *out);

/* A trace collector: fed by its observer, it keeps the attempts of the
 * steps of any number of instances, of any jobs, and writes them into one
 * Chrome trace-event file. Its memory grows in chunks of 64 KiB (a
 * thousand attempts or so each), not with every event, until
 * aj_trace_free(). */
typedef struct aj_trace aj_trace;

/* A new, empty collector; NULL when memory runs out. */
AJ_API aj_trace *aj_trace_new(void);

/* The observer that feeds t: pass it in aj_runtime_opts.observer to trace
 * every instance of a runtime, or in aj_start_opts.observer to trace one
 * instance, but not both for the same instance (it would see every event
 * twice). Lent: valid until aj_trace_free(t). NULL when t is NULL. */
AJ_API const aj_observer *aj_trace_observer(aj_trace *t);

/* Writes what t has collected so far as Chrome trace-event JSON, for
 * Perfetto (https://ui.perfetto.dev) or chrome://tracing:
 * - each instance is a process (pid 1, 2, ... in the order they were
 *   first seen) named "JOB ID";
 * - each OS thread that ran one of its steps is a row, "thread N", with
 *   the same N (its tid) for the same thread in every process;
 * - each attempt is a complete event named after its step, cat "attempt",
 *   with args instance, attempt, outcome ("completed", "failed",
 *   "cancelled", "retried", or "running" while it runs) and, when it
 *   failed, error, error_name (the runtime's codes) and message;
 * - each wait before a retry is a complete event on the step's own row
 *   "retry wait: STEP", cat "retry wait", args instance, attempt (the one
 *   it leads to) and outcome ("waited", "cancelled", or "waiting");
 * - flow arrows lead from a step's last attempt to the first attempt of
 *   each step that ran after it (an edge of the job).
 * Times are microseconds since the first attempt t saw start. What has not
 * ended yet is drawn up to now. The definitions of the instances traced
 * must still exist (ajc's are static); the instances need not. Events
 * that come during the write wait for its end.
 * Returns AJ_OK; AJ_EIO when a write fails; AJ_ENOMEM, having written what
 * it kept, when memory ran out while collecting, which stopped collecting;
 * AJ_EINVAL when t or out is NULL. */
AJ_API int aj_trace_write(aj_trace *t, FILE *out);

/* Frees t; no instance may still be running with its observer. */
AJ_API void aj_trace_free(aj_trace *t);

#ifdef __cplusplus
}
#endif

#endif /* ASYNCJOB_H */
