/* test_timer.c: the timer heap pops in due order and removes any record. */
#include "aj_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#define N 500

static aj__timer recs[N];

static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005u + 1442695040888963407u;
    return *x >> 33;
}

static void test_timer_pops_in_due_order(void **state)
{
    aj__timer *heap = NULL;
    uint64_t seed = 42;
    int64_t last = INT64_MIN;

    (void)state;
    for (int i = 0; i < N; i++) {
        recs[i].due_ns = (int64_t)(lcg(&seed) % 1000);
        aj__timer_insert(&heap, &recs[i]);
    }
    for (int i = 0; i < N; i++) {
        aj__timer *s = aj__timer_pop(&heap);
        assert_non_null(s);
        assert_true(s->due_ns >= last);
        last = s->due_ns;
    }
    assert_null(aj__timer_pop(&heap));
}

static void test_timer_removes_any_record(void **state)
{
    aj__timer *heap = NULL;
    bool removed[N] = { false };
    uint64_t seed = 7;
    int64_t last = INT64_MIN;
    int left = N;

    (void)state;
    for (int i = 0; i < N; i++) {
        recs[i].due_ns = (int64_t)(lcg(&seed) % 100000);
        aj__timer_insert(&heap, &recs[i]);
    }
    /* Pop a few first, so that removals hit inner nodes of a real tree. */
    for (int k = 0; k < 10; k++) {
        aj__timer *s = aj__timer_pop(&heap);
        removed[s - recs] = true;
        left--;
    }
    for (int i = 0; i < N; i += 3) {
        if (removed[i])
            continue;
        aj__timer_remove(&heap, &recs[i]);
        removed[i] = true;
        left--;
    }
    while (heap != NULL) {
        aj__timer *s = aj__timer_pop(&heap);
        assert_false(removed[s - recs]);
        assert_true(s->due_ns >= last);
        last = s->due_ns;
        removed[s - recs] = true;
        left--;
    }
    assert_int_equal(left, 0);
}

static void test_timer_remove_root_and_only(void **state)
{
    aj__timer *heap = NULL;

    (void)state;
    recs[0].due_ns = 5;
    aj__timer_insert(&heap, &recs[0]);
    aj__timer_remove(&heap, &recs[0]);
    assert_null(heap);
    recs[1].due_ns = 3;
    recs[2].due_ns = 1;
    aj__timer_insert(&heap, &recs[1]);
    aj__timer_insert(&heap, &recs[2]);
    aj__timer_remove(&heap, &recs[2]);
    assert_ptr_equal(aj__timer_pop(&heap), &recs[1]);
    assert_null(heap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timer_pops_in_due_order),
        cmocka_unit_test(test_timer_removes_any_record),
        cmocka_unit_test(test_timer_remove_root_and_only),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
