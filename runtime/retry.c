/*
 * retry.c: retry policies. The delay arithmetic saturates: an exponential
 * factor raised to a large power, a delay near INT64_MAX or a wide jitter
 * gives the cap (or INT64_MAX), never a wrapped, negative or zero value.
 */
#include "aj_base.h"

/* Below 2^63, so that converting the double back to int64_t is defined. */
#define AJ__DOUBLE_SAT 9.2e18

static int64_t mul_sat(int64_t base, uint64_t n)
{
    if (base == 0 || n == 0)
        return 0;
    return (uint64_t)base > (uint64_t)INT64_MAX / n ? INT64_MAX : base * (int64_t)n;
}

/* base * factor^k; a factor below 1 (or NaN) counts as 1. */
static int64_t exp_sat(int64_t base, double factor, uint32_t k)
{
    double d = (double)base;

    /* The double would round base: keep it exact where nothing grows. */
    if (!(factor > 1.0) || k == 0)
        return base;
    for (uint32_t i = 0; i < k && d > 0; i++) {
        d *= factor;
        if (d >= AJ__DOUBLE_SAT)
            return INT64_MAX;
    }
    return (int64_t)d;
}

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* v moved by a uniform amount in [-pct% of v, +pct% of v], at most limit. */
static int64_t jitter(int64_t v, uint32_t pct, uint64_t seed, int64_t limit)
{
    int64_t j, low;
    uint64_t offset;

    if (pct > 100)
        pct = 100;
    j = v / 100 * pct + v % 100 * pct / 100;
    if (j == 0)
        return v;
    low = v - j;
    offset = mix64(seed) % (2 * (uint64_t)j + 1);
    return offset > (uint64_t)(limit - low) ? limit : low + (int64_t)offset;
}

int64_t aj_retry_delay_ns(const aj_retry_policy *p, uint32_t k, uint64_t jitter_seed)
{
    int64_t base, v, limit;

    if (p == NULL)
        return 0;
    base = p->delay_ns < 0 ? 0 : p->delay_ns;
    limit = p->cap_ns > 0 ? p->cap_ns : INT64_MAX;
    switch (p->backoff) {
    case AJ_BACKOFF_FIXED:
        v = base;
        break;
    case AJ_BACKOFF_LINEAR:
        v = mul_sat(base, (uint64_t)k + 1);
        break;
    case AJ_BACKOFF_EXPONENTIAL:
        v = exp_sat(base, p->factor, k);
        break;
    default:
        v = 0;
        break;
    }
    if (v > limit)
        v = limit;
    return jitter(v, p->jitter_pct, jitter_seed, limit);
}

bool aj__retry_next(const aj_retry_policy *p, const aj_ctx *ctx, int err,
                    uint32_t retry, int64_t *delay_ns)
{
    *delay_ns = 0;
    if (p == NULL)
        return false;
    if (p->custom != NULL) {
        int64_t d = 0;
        if (!p->custom(ctx, err, retry, &d))
            return false;
        *delay_ns = d < 0 ? 0 : d;
        return true;
    }
    if (retry >= p->max_retries)
        return false;
    *delay_ns = aj_retry_delay_ns(p, retry, aj__rand64());
    return true;
}
