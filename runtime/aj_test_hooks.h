/*
 * aj_test_hooks.h: what the tests reach inside the runtime, in the test
 * build of the library only ($(B)/libasyncjob-test.a, whose objects are
 * compiled with -DAJ_TEST_HOOKS; Lua's LUA_USER_H and ltests.c work the
 * same way). The installed libasyncjob.a has none of it: its allocations
 * and thread creations never fail on purpose and count nothing.
 */
#ifndef AJ_TEST_HOOKS_H
#define AJ_TEST_HOOKS_H

#include "asyncjob.h"

/* The nth allocation from now fails (1: the next one); 0 turns it off. */
void aj__test_fail_alloc(long nth);
/* The nth allocation from now and every one after it fail, until
 * aj__test_fail_alloc(0). */
void aj__test_fail_alloc_from(long nth);
/* Allocations made since the process started (successful ones). */
long aj__test_alloc_count(void);
/* Allocations failed by the hooks since the process started. */
long aj__test_alloc_failed(void);
/* pthread_create, with the same kind of hooks, and counters of the
 * threads created and joined. */
void aj__test_fail_thread(long nth);
void aj__test_fail_thread_from(long nth);
long aj__test_thread_failed(void);
long aj__test_threads_created(void);
long aj__test_threads_joined(void);
/* What aj_now_ns() reads now: "tsc", "calibrating" (its first 2 ms on a
 * TSC) or "monotonic" (clock_gettime). */
const char *aj__test_clock_source(void);
/* Adds ticks to every TSC reading the clock takes from now on (x86-64):
 * a TSC that jumps. Kept lines (aj__line_now) do not see it. */
void aj__test_tsc_jump(uint64_t ticks);

#endif
