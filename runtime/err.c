/* err.c: texts and names of the runtime's error codes, from AJ_ERRORS,
 * and of step states. */
#include "asyncjob.h"

const char *aj_strerror(int code)
{
    switch (code) {
    case AJ_OK:
        return "success";
#define AJ_TEXT_(name, num, text) \
    case num:                      \
        return text;
        AJ_ERRORS(AJ_TEXT_)
#undef AJ_TEXT_
    default:
        return code >= AJ_ERR_MIN && code <= AJ_ERR_MAX ? "unknown asyncjob error"
                                                         : "step failed";
    }
}

const char *aj_err_name(int code)
{
    switch (code) {
    case AJ_OK:
        return "AJ_OK";
#define AJ_NAME_(name, num, text) \
    case num:                      \
        return "AJ_" #name;
        AJ_ERRORS(AJ_NAME_)
#undef AJ_NAME_
    default:
        return NULL;
    }
}

const char *aj_step_state_name(aj_step_state state)
{
    static const char *const names[AJ_STEP_STATE_COUNT] = {
        "pending", "running", "completed", "failed", "skipped", "cancelled", "waiting",
    };

    return (unsigned)state < AJ_STEP_STATE_COUNT ? names[state] : "unknown";
}

const char *aj_skip_reason_name(aj_skip_reason reason)
{
    static const char *const names[AJ_SKIP_REASON_COUNT] = {
        "none", "condition", "upstream failed", "upstream skipped", "upstream cancelled",
        "no failure",
    };

    return (unsigned)reason < AJ_SKIP_REASON_COUNT ? names[reason] : "unknown";
}
