# Reliability: allocation failure at every point, output failures, time
# and backoff boundaries, concurrency under stress (tests/reliability/),
# and the long or slow checks that make test leaves out:
#
#   make stress       the concurrency stress at full size (STRESS_ROUNDS,
#                     RING_ROUNDS)
#   make helgrind     a small stress configuration under valgrind's helgrind
#   make cppcheck     cppcheck over the hand-written sources
#   make scan-build   clang's static analyzer over the same build

REL_DIR     := $(B)/tests/reliability
# Runtime tests link the test jobs of tests/runtime; compiler tests the
# helpers of tests/gen.
REL_RT      := $(patsubst %,$(REL_DIR)/%,test_oom_runtime test_time test_chaos test_regress)
REL_AJC     := $(patsubst %,$(REL_DIR)/%,test_oom_ajc)
REL_BOTH    := $(REL_DIR)/test_output

TEST_BINS += $(REL_RT) $(REL_AJC) $(REL_BOTH)
ALL_OBJS  += $(REL_RT:=.o) $(REL_AJC:=.o) $(REL_BOTH:=.o)

$(REL_RT:=.o): CPPFLAGS += -Itests/runtime
$(REL_AJC:=.o): CPPFLAGS += $(AJC_CPPFLAGS) -Itests/gen
$(REL_BOTH:=.o): CPPFLAGS += $(AJC_CPPFLAGS) -Itests/gen -Itests/runtime
$(REL_AJC:=.o) $(REL_BOTH:=.o): | $(GRAMMAR_H)

$(REL_BOTH): %: %.o $(AJC_TEST_UTIL) $(RT_SUPPORT) $(AJC_LIB) $(LIBAJ)
	$(call need_cmocka)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lcmocka

$(REL_RT): %: %.o $(RT_SUPPORT) $(LIBAJ_TEST)
	$(call need_cmocka)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(REL_LDFLAGS) -lcmocka

# test_time watches the runtime's clock reads and condition waits.
$(REL_DIR)/test_time: REL_LDFLAGS = -Wl,--wrap=clock_gettime,--wrap=pthread_cond_init \
    -Wl,--wrap=pthread_cond_wait,--wrap=pthread_cond_timedwait

$(REL_AJC): %: %.o $(AJC_TEST_UTIL) $(AJC_LIB) $(LIBAJ)
	$(call need_cmocka)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lcmocka

# The ajc command out of memory: an LD_PRELOAD library fails the Nth malloc.
FAILMALLOC := $(REL_DIR)/failmalloc.so
TEST_DEPS  += $(FAILMALLOC)
$(FAILMALLOC): tests/reliability/failmalloc.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -std=c11 $(WARN) $(WERROR) -O2 -fPIC -shared -o $@ $<

.PHONY: stress helgrind

# The concurrency stress at full size, under ThreadSanitizer: STRESS_ROUNDS
# instances per worker count (1, 2, 4 and 8 workers for the chaos test; 1, 2
# and 4 for test_stress). A seed printed at the start replays a run
# (AJ_CHAOS_SEED, AJ_STRESS_SEED).
# The ring of test_ring (make bench's W1 throughput row) runs RING_ROUNDS
# instances per clock in the optimised build, where its timing is W1's, and
# a tenth of that under ThreadSanitizer.
STRESS_ROUNDS ?= 10000
RING_ROUNDS ?= 2000000
STRESS_TSAN := build-tsan
stress: $(B)/tests/runtime/test_ring
	$(MAKE) B=$(STRESS_TSAN) SAN=thread CFLAGS="-O1 -g" \
	    $(STRESS_TSAN)/tests/reliability/test_chaos $(STRESS_TSAN)/tests/runtime/test_stress \
	    $(STRESS_TSAN)/tests/runtime/test_ring
	AJ_CHAOS_INSTANCES=$(STRESS_ROUNDS) CMOCKA_TEST_ABORT=1 $(STRESS_TSAN)/tests/reliability/test_chaos
	AJ_STRESS_INSTANCES=$(STRESS_ROUNDS) CMOCKA_TEST_ABORT=1 $(STRESS_TSAN)/tests/runtime/test_stress
	AJ_RING_INSTANCES=$(RING_ROUNDS) CMOCKA_TEST_ABORT=1 $(B)/tests/runtime/test_ring
	AJ_RING_INSTANCES=$$(($(RING_ROUNDS) / 10)) CMOCKA_TEST_ABORT=1 $(STRESS_TSAN)/tests/runtime/test_ring

# A small configuration of the chaos test under helgrind. Helgrind does not
# model C11 atomics: tests/reliability/helgrind.supp lists, with reasons,
# the functions whose accesses it cannot judge.
HELGRIND_ROUNDS ?= 30
helgrind: $(REL_DIR)/test_chaos
	AJ_CHAOS_INSTANCES=$(HELGRIND_ROUNDS) valgrind --tool=helgrind -q --error-exitcode=1 \
	    --suppressions=tests/reliability/helgrind.supp $(REL_DIR)/test_chaos

.PHONY: cppcheck scan-build test-bins

# Every test program and what the tests need, without running them.
test-bins: $(TEST_BINS) $(TEST_DEPS)

# cppcheck over the hand-written C. Findings are fixed, or suppressed
# inline with a reason, except one kind suppressed here: varFuncNullUB,
# the NULL that ends arena_cat()'s arguments. C11 lets va_arg read a
# void * (glibc's NULL) as a char * (7.16.1.1), and gcc and clang, the
# compilers the project supports, define NULL as ((void *)0).
CPPCHECK_DIRS := runtime gen fuzz tests examples bench
cppcheck:
	$(call need,cppcheck)
	cppcheck --enable=warning,style,performance,portability --std=c11 --inline-suppr \
	    --error-exitcode=1 -q -D_POSIX_C_SOURCE=200809L -Iruntime -Igen -Igrammar \
	    --suppress=missingIncludeSystem --suppress=varFuncNullUB $(CPPCHECK_DIRS)

# clang's static analyzer over a clang build of everything make test
# builds (build-scan/); the HTML reports land in build-scan/report.
scan-build:
	$(call need,scan-build)
	rm -rf build-scan
	scan-build --status-bugs -o build-scan/report $(MAKE) B=build-scan CC=clang all test-bins
