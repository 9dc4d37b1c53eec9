/*
 * test_time.c: time at its boundaries. Step deadlines (timeout_ns in
 * hand-built definitions) and what a late step leaves behind.
 */
#include "aj_internal.h"
#include "tjob.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static _Atomic long boxes_made, boxes_freed;

static void box_free(void *slot)
{
    free(*(int64_t **)slot);
    atomic_fetch_add(&boxes_freed, 1);
}

/* Stores a boxed output and returns 0, but only once its deadline passed. */
static int late_step(aj_ctx *ctx, void *inputs, void *outputs)
{
    int64_t *b = malloc(sizeof *b);

    (void)inputs;
    while (!aj_ctx_expired(ctx))
        ;
    assert_non_null(b); /* on the calling thread: sequential mode */
    *b = 42;
    memcpy(outputs, &b, sizeof b);
    atomic_fetch_add(&boxes_made, 1);
    return 0;
}

/* A step that stores its output and returns 0 after its deadline failed:
 * the output it stored is freed, on every attempt, not leaked. */
static void test_time_late_output_is_freed(void **state)
{
    static const aj_retry_policy twice = { .max_retries = 2 };
    tj_job *j = tj_new("late", 1, NULL, NULL, NULL, 0);
    aj_start_opts o = { .sequential = true };
    tj_inputs in = { NULL };
    aj_instance *inst;
    aj_step_info info;

    (void)state;
    j->steps[0].run = late_step;
    j->steps[0].free_output = box_free;
    j->steps[0].timeout_ns = 1000;
    j->steps[0].retry = &twice;
    assert_int_equal(aj_instance_start(NULL, &j->def, &in, &o, &inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ESTEPTIMEOUT);
    assert_int_equal(aj_instance_step_info(inst, 0, &info), AJ_OK);
    assert_int_equal(info.state, AJ_STEP_FAILED);
    assert_int_equal(info.kind, AJ_FAIL_TIMEOUT);
    assert_int_equal(info.attempts, 3);
    aj_instance_free(inst);
    assert_int_equal(atomic_load(&boxes_made), 3);
    assert_int_equal(atomic_load(&boxes_freed), 3);
    tj_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_late_output_is_freed),
    };

    return cmocka_run_group_tests_name("time", tests, NULL, NULL);
}
