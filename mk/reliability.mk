# Reliability: allocation failure at every point, output failures, time
# and backoff boundaries, concurrency under stress (tests/reliability/),
# and the long or slow checks that make test leaves out:
#
#   make stress       the concurrency stress at full size (STRESS_ROUNDS,
#                     RING_ROUNDS)
#   make helgrind     a small stress configuration under valgrind's helgrind
#   make cppcheck     cppcheck over the hand-written sources
#   make scan-build   clang's static analyzer over the same build
#   make test-valgrind  the runtime tests under valgrind's memcheck
#
# The reliability tests that make test runs are in mk/tests.mk.

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
	$(call Q,MAKE,$(STRESS_TSAN))$(MAKE) B=$(STRESS_TSAN) SAN=thread CFLAGS="-O1 -g" \
	    $(STRESS_TSAN)/tests/reliability/test_chaos $(STRESS_TSAN)/tests/runtime/test_stress \
	    $(STRESS_TSAN)/tests/runtime/test_ring
	$(call Q,RUN,$(STRESS_TSAN)/tests/reliability/test_chaos)AJ_CHAOS_INSTANCES=$(STRESS_ROUNDS) \
	    CMOCKA_TEST_ABORT=1 $(STRESS_TSAN)/tests/reliability/test_chaos
	$(call Q,RUN,$(STRESS_TSAN)/tests/runtime/test_stress)AJ_STRESS_INSTANCES=$(STRESS_ROUNDS) \
	    CMOCKA_TEST_ABORT=1 $(STRESS_TSAN)/tests/runtime/test_stress
	$(call Q,RUN,$(B)/tests/runtime/test_ring)AJ_RING_INSTANCES=$(RING_ROUNDS) \
	    CMOCKA_TEST_ABORT=1 $(B)/tests/runtime/test_ring
	$(call Q,RUN,$(STRESS_TSAN)/tests/runtime/test_ring)AJ_RING_INSTANCES=$$(($(RING_ROUNDS) / 10)) \
	    CMOCKA_TEST_ABORT=1 $(STRESS_TSAN)/tests/runtime/test_ring

# A small configuration of the chaos test under helgrind. Helgrind does not
# model C11 atomics: tests/reliability/helgrind.supp lists, with reasons,
# the functions whose accesses it cannot judge.
HELGRIND_ROUNDS ?= 30
helgrind: $(B)/tests/reliability/test_chaos
	$(call Q,HELGRIND,$<)AJ_CHAOS_INSTANCES=$(HELGRIND_ROUNDS) valgrind --tool=helgrind -q --error-exitcode=1 \
	    --suppressions=tests/reliability/helgrind.supp $(B)/tests/reliability/test_chaos

.PHONY: cppcheck scan-build

# cppcheck over the hand-written C. Findings are fixed, or suppressed
# inline with a reason, except one kind suppressed here: varFuncNullUB,
# the NULL that ends arena_cat()'s arguments. C11 lets va_arg read a
# void * (glibc's NULL) as a char * (7.16.1.1), and gcc and clang, the
# compilers the project supports, define NULL as ((void *)0).
CPPCHECK_DIRS := runtime gen fuzz tests examples bench
cppcheck:
	$(call need,cppcheck)
	$(call Q,CPPCHECK,$(CPPCHECK_DIRS))cppcheck --enable=warning,style,performance,portability --std=c11 --inline-suppr \
	    --error-exitcode=1 -q -D_POSIX_C_SOURCE=200809L -Iruntime -Igen -Igrammar \
	    --suppress=missingIncludeSystem --suppress=varFuncNullUB $(CPPCHECK_DIRS)

# clang's static analyzer over a clang build of everything make test
# builds (build-scan/); the HTML reports land in build-scan/report.
scan-build:
	$(call need,scan-build)
	$(Q)rm -rf build-scan
	$(call Q,SCAN,build-scan)scan-build --status-bugs -o build-scan/report $(MAKE) B=build-scan CC=clang all test-bins

.PHONY: test-valgrind

# A small configuration of the runtime suite under valgrind's memcheck.
MEMCHECK := valgrind -q --error-exitcode=1 --leak-check=full --show-possibly-lost=no \
            --errors-for-leak-kinds=definite
test-valgrind: $(B)/tests/runtime/test_instance $(B)/tests/runtime/test_stress
	$(call Q,MEMCHECK,$(B)/tests/runtime/test_instance)$(MEMCHECK) $(B)/tests/runtime/test_instance
	$(call Q,MEMCHECK,$(B)/tests/runtime/test_stress)AJ_STRESS_INSTANCES=20 $(MEMCHECK) \
	    $(B)/tests/runtime/test_stress
