#!/bin/sh
# genjob.sh SHAPE N: writes a generated benchmark job on stdout.
#   chain N      s0 -> s1 -> ... -> s(N-1), each adds 1 to its input
#   branch N     a condition step, then a chain of N steps that runs only
#                when it yields true (when take): what skipping costs
#   fanin N      N independent steps, then one step after all of them
#   cpu N        N independent steps of about 1 ms of CPU each, then a join
#   wave N       an N x N wavefront: w_i_j consumes w_(i-1)_j and w_i_(j-1)
#   mixed N      N steps, each consuming the previous one and ordered after
#                the one 7 back: a long, narrow DAG for timing ajc itself
#   distinct N   mixed, but each step calls a function of its own, as in a
#                real job: a wrapper per step, for timing the C compiler
#   stubs N      C: the user's own step functions of distinct N (from
#                distinct_N.job), the baseline for the generated code's
#                compile time
#   sleepy KIND  the seed job's graph (bench/seed.job) by order alone, every
#                step sleeping 1 ms; KIND plain: ordinary steps, blocking:
#                steps marked blocking
set -eu
shape=$1 n=$2
case $shape in
chain) awk -v n="$n" 'BEGIN {
    print "include \"bench_steps.h\";\njob chain(BenchIn *bench) {"
    print "    step s0() -> long impl bench_first;"
    for (i = 1; i < n; i++)
        printf "    step s%d(long x = s%d) -> long impl bench_add1;\n", i, i - 1
    printf "    result s%d;\n}\n", n - 1 }' ;;
branch) awk -v n="$n" 'BEGIN {
    print "include \"bench_steps.h\";\njob branch(BenchIn *bench) {"
    print "    step take() -> bool impl bench_take;"
    print "    step b0() -> long impl bench_first when take;"
    for (i = 1; i < n; i++)
        printf "    step b%d(long x = b%d) -> long impl bench_add1;\n", i, i - 1
    printf "    result b%d;\n}\n", n - 1 }' ;;
fanin|cpu) awk -v n="$n" -v job="$shape" 'BEGIN {
    impl = job == "cpu" ? "bench_spin" : "bench_leaf"
    printf "include \"bench_steps.h\";\njob %s(BenchIn *bench) {\n", job
    for (i = 0; i < n; i++)
        printf "    step p%d() impl %s;\n", i, impl
    printf "    step join() impl bench_join after p0"
    for (i = 1; i < n; i++)
        printf ", p%d", i
    print ";\n}" }' ;;
wave) awk -v n="$n" 'BEGIN {
    print "include \"bench_steps.h\";\njob wave(BenchIn *bench) {"
    for (i = 0; i < n; i++) for (j = 0; j < n; j++) {
        if (i == 0 && j == 0)
            printf "    step w_0_0() -> long impl bench_first;\n"
        else if (i == 0)
            printf "    step w_0_%d(long x = w_0_%d) -> long impl bench_add1;\n", j, j - 1
        else if (j == 0)
            printf "    step w_%d_0(long x = w_%d_0) -> long impl bench_add1;\n", i, i - 1
        else
            printf "    step w_%d_%d(long up = w_%d_%d, long left = w_%d_%d) -> long impl bench_add2;\n", i, j, i - 1, j, i, j - 1
    }
    printf "    result w_%d_%d;\n}\n", n - 1, n - 1 }' ;;
mixed|distinct) awk -v n="$n" -v job="$shape" 'BEGIN {
    # mixed: every step calls one of two shared functions; distinct: its own
    first = job == "mixed" ? " impl bench_first" : ""
    add = job == "mixed" ? " impl bench_add1" : ""
    printf "include \"bench_steps.h\";\nretry again = max 2, exponential 1ms cap 10ms;\njob %s(BenchIn *bench) {\n", job
    printf "    step m0() -> long%s;\n", first
    for (i = 1; i < n; i++) {
        printf "    step m%d(long x = m%d) -> long%s", i, i - 1, add
        if (i >= 7) printf " after m%d", i - 7
        if (i % 100 == 0) printf " retry again"
        print ";"
    }
    printf "    result m%d;\n}\n", n - 1 }' ;;
stubs) awk -v n="$n" 'BEGIN {
    printf "#include \"distinct_%d.job.h\"\n\n", n
    print "int distinct_m0(aj_ctx *ctx, BenchIn *bench, long *out)\n{\n    (void)ctx;\n    *out = bench->base;\n    return 0;\n}"
    for (i = 1; i < n; i++)
        printf "\nint distinct_m%d(aj_ctx *ctx, BenchIn *bench, long x, long *out)\n{\n    (void)ctx;\n    (void)bench;\n    *out = x + %d;\n    return 0;\n}\n", i, i }' ;;
sleepy) awk -v kind="$n" 'BEGIN {
    attr = kind == "blocking" ? " blocking" : ""
    print "include \"bench_steps.h\";\njob sleepy(BenchIn *bench) {"
    split("GetConnection CheckAuth GetTableClient1 GetTableClient2 QueryTable1 QueryTable2 Summarize EmailNotification", name, " ")
    split("- - GetConnection GetConnection GetTableClient1,CheckAuth GetTableClient2,CheckAuth QueryTable1,QueryTable2 Summarize", after, " ")
    for (i = 1; i <= 8; i++)
        printf "    step %s() impl bench_nap%s%s;\n", name[i], after[i] == "-" ? "" : " after " after[i], attr
    print "}" }' | sed 's/,/, /' ;;
*) echo "genjob.sh: unknown shape '$shape' (chain, branch, fanin, cpu, wave, mixed, distinct, stubs, sleepy)" >&2; exit 2 ;;
esac
