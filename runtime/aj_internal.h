/*
 * aj_internal.h: how the runtime's files depend on each other, and the
 * one header the tests include (every internal header, and the test
 * hooks). Not installed; no runtime file includes it.
 *
 * LAYERS
 * Each file belongs to one layer and includes only headers of its own
 * layer and those below, so it calls nothing above it; following a step
 * from exec.c's run_step down to the release of its successors never
 * enters a file it has left. scripts/check-layers (run by make test)
 * reads the table between BEGIN and END below and checks every #include
 * in runtime/.
 *
 *   base    services that know no instance: memory and threads, locks,
 *           clocks, random numbers, the barrier, spin budgets, the timer
 *           heap, retry policies, time formats, the pictures' writer
 *   def     a job's tables: their invariants and checks, their DOT
 *   data    what an instance, a runtime, a runner and a context are made
 *           of; the step records' seqlock; ids and snapshots; the cancel
 *           hooks of contexts and who may call them
 *   state   deciding: the state machine (runnable, skipped, root cause,
 *           fail-fast); records, counts and answers, runs nothing; the
 *           expansions of mapped steps (expand.c)
 *   observe telling the observers
 *   queue   where runnable steps wait: roots, shared lists, the runtime
 *           queue, the timer heap, wake-ups; limits' slots and queues
 *   exec    doing: runners, the drain loop, the solo-runner protocol
 *           (exec.c), worker threads and runtimes (pool.c), the blocking
 *           pool's queue and threads (blocking.c), async attempts and
 *           their done (async.c), slots taken and handed on (admit.c),
 *           mapped steps' releases and elements (map.c)
 *   wait    waiting and cancelling
 *   api     the public functions on top
 *   tests   this header
 *
 * BEGIN layer table: number, name, then its headers and files
 *    1 base    asyncjob.h aj_base.h aj_write.h aj_test_hooks.h
 *    1 base    alloc.c barrier.c clock.c err.c fmt.c rand.c retry.c
 *    1 base    spin.c sync.c timer.c write.c
 *    2 def     aj_def.h def.c dot.c
 *    3 data    aj_data.h record.c cancel_hook.c
 *    4 state   aj_state.h instance.c expand.c
 *    5 observe aj_observe.h observe.c
 *    6 queue   aj_queue.h sched.c limit.c
 *    7 exec    aj_exec.h exec.c pool.c canceller.c blocking.c async.c map.c
 *    7 exec    admit.c
 *    8 wait    aj_wait.h wait.c
 *    9 api     api.c ctx.c inst_dot.c timeline.c trace.c version.c
 *   10 tests   aj_internal.h
 * END layer table
 *
 * PROCESS-WIDE STATE
 * Everything the runtime keeps outside a runtime or an instance:
 * - pool.c: the default runtime (default_rt, default_mu), made on first
 *   use; a failed creation is tried again by the next use.
 * - fork(): pool.c, clock.c and rand.c each install, on first use, the
 *   pthread_atfork handler that keeps their state usable in a child
 *   (a new default runtime, no half-written clock line, a new seed).
 * - clock.c: the clock's line (clk: mode, anchor, slope, span, wall
 *   offset, under its seqlock), the calibration base (cal_tsc, cal_ns)
 *   and the reading held since the TSC was given up (held_ns); the
 *   environment's AJ_CLOCK, read once.
 * - sync.c: the condition variables' attributes, made once.
 * - barrier.c: whether membarrier is registered (ready).
 * - rand.c: one generator per thread (thread-local), seeded on its first
 *   use on that thread.
 * - alloc.c, test build only (-DAJ_TEST_HOOKS): the fault countdowns and
 *   the allocation and thread counters of aj_test_hooks.h.
 */
#ifndef AJ_INTERNAL_H
#define AJ_INTERNAL_H

#include "aj_test_hooks.h"
#include "aj_wait.h"
#include "aj_write.h"

#endif
