/*
 * retry.c: retry policies. The delay arithmetic saturates: an exponential
 * factor raised to a large power, a delay near INT64_MAX or a wide jitter
 * gives the cap (or INT64_MAX), never a wrapped, negative or zero value.
 */
#include "aj_base.h"

#include <math.h>

/* Below 2^63, so that converting the double back to int64_t is defined. */
#define AJ__DOUBLE_SAT 9.2e18

static int64_t mul_sat(int64_t base, uint64_t n)
{
    if (base == 0 || n == 0)
        return 0;
    return (uint64_t)base > (uint64_t)INT64_MAX / n ? INT64_MAX : base * (int64_t)n;
}

/* Retries up to this one multiply the delay by the factor one at a time,
 * as they always have; a factor of about 2 or more saturates before it. */
#define AJ__EXP_STEPS 64

/* A double-double: hi + lo with |lo| at most half an ulp of hi. */
typedef struct dd {
    double hi, lo;
} dd;

/* Half of a double with the low 26 bits of its significand cleared
 * (Veltkamp's split): a product of two halves is exact. */
static double high_half(double x)
{
    double t = 134217729.0 * x; /* 2^27 + 1 */

    return t - (t - x);
}

/* a * b to about 2^-104, from exact products (Dekker), so without FMA
 * and without libm. Both below 2^900: nothing overflows. Needs doubles
 * rounded at each statement, as -std=c11 compiles them (no -ffast-math,
 * no -ffp-contract=fast). */
static dd dd_mul(dd a, dd b)
{
    double ah = high_half(a.hi), al = a.hi - ah;
    double bh = high_half(b.hi), bl = b.hi - bh;
    double p = a.hi * b.hi;
    double e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
    double s;

    e += a.hi * b.lo + a.lo * b.hi;
    s = p + e;
    return (dd){ s, e - (s - p) };
}

/* factor^n for 1 < factor < 2 by squaring: at most 64 products, whatever
 * n. Its error (about n * 2^-104) is far below the factor's step, so the
 * rounded result never decreases as n grows. Past 2^64 (any delay is then
 * saturated) returns INFINITY. */
static double pow_dd(double factor, uint32_t n)
{
    dd r = { 1.0, 0.0 }, sq = { factor, 0.0 };

    for (;;) {
        if (n & 1)
            r = dd_mul(r, sq);
        if (r.hi >= 0x1p64)
            return INFINITY;
        if ((n >>= 1) == 0)
            return r.hi + r.lo;
        sq = dd_mul(sq, sq);
        if (sq.hi >= 0x1p64)
            return INFINITY; /* a higher bit of n is set: r would pass it */
    }
}

/* base * factor^k; a factor below 1 (or NaN) counts as 1. The first
 * AJ__EXP_STEPS products are done one by one, so that those delays are
 * what they always were (and a factor of 2 gives exact powers); the rest
 * come in one product with factor^(k - AJ__EXP_STEPS), in constant time.
 * Where the two meet, factor^0 and factor^1 are exact: no step back. */
static int64_t exp_sat(int64_t base, double factor, uint32_t k)
{
    double d = (double)base;
    uint32_t i;

    /* The double would round base: keep it exact where nothing grows. */
    if (!(factor > 1.0) || k == 0)
        return base;
    for (i = 0; i < k && i < AJ__EXP_STEPS && d > 0; i++) {
        d *= factor;
        if (d >= AJ__DOUBLE_SAT)
            return INT64_MAX;
    }
    /* Not saturated after 64 products of at least 1 ns: factor < 1.98. */
    if (i < k && d > 0 && (d *= pow_dd(factor, k - i)) >= AJ__DOUBLE_SAT)
        return INT64_MAX;
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
