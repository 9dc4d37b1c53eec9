# Every test of `make test`: one cmocka program per module or area, each
# run from the top directory by scripts/run-tests. The sections follow the
# tree: runtime, compiler, generated code, examples, reliability, build.
# Longer checks outside make test are in mk/reliability.mk and mk/fuzz.mk.

TEST_BINS :=       # cmocka programs run by `make test`
TEST_DEPS :=       # anything else the tests need built first

# Helpers for tests that run the tools as a user does (tests/support).
TEST_SUPPORT := $(B)/tests/support/shell.o
ALL_OBJS += $(TEST_SUPPORT) $(B)/tests/support/json.o

# Every test program links the same way; TEST_LDFLAGS adds what one needs.
LINK_TEST = $(call need_cmocka)$(call Q,LD,$@)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(TEST_LDFLAGS) -lcmocka

## Runtime: one program per module, all linked with the test jobs of
## tests/runtime/tjob.c (with tjob_many.c, tjob_done.c and tjob_use.c) and the test
## build of the library (hooks included).
## Latency is measured by make bench, W1.
RT_TESTS     := test_clock test_timer test_retry test_instance test_pool test_cancel test_dot test_stress \
                test_limit test_limit_map \
                test_ring test_blocking test_trace test_hooks test_async test_gates test_rerun test_trees
RT_TEST_BINS := $(RT_TESTS:%=$(B)/tests/runtime/%)
RT_SUPPORT   := $(patsubst %,$(B)/tests/runtime/%.o,tjob tjob_many tjob_done tjob_use)
# The limits' tests also share their instances' fleet.
RT_FLEET     := $(B)/tests/runtime/fleet.o
RT_LIMIT_BINS := $(B)/tests/runtime/test_limit $(B)/tests/runtime/test_limit_map

TEST_BINS += $(RT_TEST_BINS)
ALL_OBJS  += $(RT_TEST_BINS:%=%.o) $(RT_SUPPORT) $(RT_FLEET)

$(filter-out $(RT_LIMIT_BINS),$(RT_TEST_BINS)): %: %.o $(RT_SUPPORT) $(LIBAJ_TEST)
	$(LINK_TEST)
$(RT_LIMIT_BINS): %: %.o $(RT_FLEET) $(RT_SUPPORT) $(LIBAJ_TEST)
	$(LINK_TEST)

## The compiler: the case catalogue, special inputs, the command line.
AJC_TEST_DIR   := $(B)/tests/gen
AJC_TEST_UTIL  := $(AJC_TEST_DIR)/testutil.o
AJC_TESTS      := $(patsubst tests/gen/%.c,$(AJC_TEST_DIR)/%,$(filter-out tests/gen/testutil.c,$(wildcard tests/gen/test_*.c)))

TEST_BINS += $(AJC_TESTS)
ALL_OBJS  += $(AJC_TESTS:=.o) $(AJC_TEST_UTIL)

$(AJC_TESTS:=.o) $(AJC_TEST_UTIL): private CPPFLAGS += $(AJC_CPPFLAGS) -I$(AJC_TEST_DIR)
$(AJC_TESTS:=.o) $(AJC_TEST_UTIL): | $(GRAMMAR_H)

# One CASE(stem) per bad case; the directory is a prerequisite so that a
# deleted case also regenerates the list.
$(AJC_TEST_DIR)/bad_cases.inc: tests/cases/bad $(wildcard tests/cases/bad/*.job)
	$(Q)mkdir -p $(@D)
	$(call Q,GEN,$@)for f in tests/cases/bad/*.job; do n=$${f##*/}; echo "CASE($${n%.job})"; done > $@

$(AJC_TEST_DIR)/good_cases.inc: tests/cases/good $(wildcard tests/cases/good/*/*.job)
	$(Q)mkdir -p $(@D)
	$(call Q,GEN,$@)for d in $(GOOD_CASES); do echo "GOOD($$d)"; done > $@

$(AJC_TEST_DIR)/test_cases.o: $(AJC_TEST_DIR)/bad_cases.inc $(AJC_TEST_DIR)/good_cases.inc

$(AJC_TESTS): %: %.o $(AJC_TEST_UTIL) $(AJC_LIB) $(LIBAJ)
	$(LINK_TEST)

# ajc's link line holds no runtime object (mk/compiler.mk says why).
.PHONY: check-ajc-link
check-ajc-link: $(AJC) $(B)/ajc.link scripts/check-ajc-link
	$(call Q,CHECK,$(B)/ajc.link)scripts/check-ajc-link $(B)
TEST_DEPS += check-ajc-link

## Generated code: per good case, its .job.c and .job.h (from the pattern
## rule of mk/compiler.mk) pass gcc, clang, g++ and clang++, and a test program
## runs it on the runtime.
GOOD_CASES     := $(notdir $(wildcard tests/cases/good/*))
GEN_DIR        := $(B)/tests/generated
GEN_OUT        := $(B)/tests/cases/good
GEN_TESTS      := $(GOOD_CASES:%=$(GEN_DIR)/test_%)
GEN_STAMPS     := $(GOOD_CASES:%=$(GEN_DIR)/%/compilers.ok)
# The generated code must pass these flags with every compiler, as users build it.
GEN_STRICT     := -std=c11 -Wall -Wextra -Wpedantic -Werror -Iruntime
# And no warning about what ajc wrote itself (casts, conversions): none
# could point at a .job line, since #line covers only what the user wrote.
GEN_CASTS      := -Wcast-align=strict -Wconversion

TEST_BINS += $(GEN_TESTS)
TEST_DEPS += $(AJC) $(GEN_STAMPS)
ALL_OBJS  += $(GEN_TESTS:=.o) $(foreach c,$(GOOD_CASES),$(GEN_OUT)/$(c)/$(c).job.o) \
             $(GEN_DIR)/check_def.o

define gen_case
$(GEN_DIR)/$(1)/compilers.ok: $(GEN_OUT)/$(1)/$(1).job.c $(GEN_OUT)/$(1)/$(1).job.h
	$$(call need,clang)
	$$(call need,g++)
	$$(call need,clang++)
	$$(Q)mkdir -p $$(@D)
	$$(call Q,CHECK,$$<)gcc $(GEN_STRICT) $(GEN_CASTS) -Itests/cases/good/$(1) -fsyntax-only $$<
	$$(Q)clang $(GEN_STRICT) -Itests/cases/good/$(1) -fsyntax-only $$<
	$$(Q)g++ -x c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -Iruntime -Itests/cases/good/$(1) \
	    -fsyntax-only $(GEN_OUT)/$(1)/$(1).job.h
	$$(Q)clang++ -x c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -Iruntime \
	    -Itests/cases/good/$(1) -fsyntax-only -include $(GEN_OUT)/$(1)/$(1).job.h /dev/null
	$$(Q)touch $$@

$(GEN_OUT)/$(1)/$(1).job.o: private CPPFLAGS += -Itests/cases/good/$(1)
$(GEN_DIR)/test_$(1).o: private CPPFLAGS += -Itests/cases/good/$(1) -I$(GEN_OUT)/$(1) -Itests/generated
$(GEN_DIR)/test_$(1).o: $(GEN_OUT)/$(1)/$(1).job.h

$(GEN_DIR)/test_$(1): $(GEN_DIR)/test_$(1).o $(GEN_OUT)/$(1)/$(1).job.o $(GEN_DIR)/check_def.o $(LIBAJ)
	$$(LINK_TEST)
endef
$(foreach c,$(GOOD_CASES),$(eval $(call gen_case,$(c))))
# test_subjobs counts and fails the runtime's allocations.
$(GEN_DIR)/test_subjobs: private TEST_LDFLAGS = -Wl,--wrap=malloc

# After a deliberate change of the generated text: rewrite the golden files
# from the current ajc, then review them with git diff.
.PHONY: update-golden
update-golden: $(AJC)
	$(call Q,GEN,tests/cases/good/*/expected.*)for c in $(GOOD_CASES); do \
	    (cd tests/cases/good/$$c && $(CURDIR)/$(AJC) $$c.job && \
	     mv $$c.job.h expected.h.golden && mv $$c.job.c expected.c.golden && \
	     $(CURDIR)/$(AJC) --dot $$c.job > expected.dot) || exit 1; \
	done

## Examples: test_NAME links an example's objects but its main.
define example_test
$(B)/tests/examples/test_$(1).o: private CPPFLAGS += -Iexamples/$(1) -I$$($(1)_B) -Itests/support
$(B)/tests/examples/test_$(1).o: | $$($(1)_GEN)
$(B)/tests/examples/test_$(1): $(B)/tests/examples/test_$(1).o $$($(1)_OBJS) $(TEST_SUPPORT) $(LIBAJ)
	$$(LINK_TEST)
TEST_BINS += $(B)/tests/examples/test_$(1)
ALL_OBJS  += $(B)/tests/examples/test_$(1).o
endef
$(foreach e,$(EXAMPLES),$(eval $(call example_test,$(e))))

# test_features runs each feature program as examples/README.md shows it
# and compares what it prints with the page; test_sql_summary_defs,
# go-asyncjob's definition-time errors as ajc diagnostics, runs ajc and the
# C compiler on the generated header.
EXAMPLE_TESTS := $(B)/tests/examples/test_features $(B)/tests/examples/test_sql_summary_defs
$(EXAMPLE_TESTS:=.o): private CPPFLAGS += -Itests/support
$(B)/tests/examples/test_features: %: %.o $(TEST_SUPPORT) $(B)/tests/support/json.o
	$(LINK_TEST)
$(B)/tests/examples/test_sql_summary_defs: %: %.o $(TEST_SUPPORT)
	$(LINK_TEST)
TEST_BINS += $(EXAMPLE_TESTS)
TEST_DEPS += $(AJC) $(sql_summary_GEN)
ALL_OBJS  += $(EXAMPLE_TESTS:=.o)

## Reliability: allocation failure at every point, output failures, time
## and backoff boundaries, concurrency under stress. Runtime tests link the
## test jobs of tests/runtime; compiler tests the helpers of tests/gen.
REL_DIR     := $(B)/tests/reliability
REL_RT      := $(patsubst %,$(REL_DIR)/%,test_oom_runtime test_time test_chaos test_regress test_limits)
REL_AJC     := $(patsubst %,$(REL_DIR)/%,test_oom_ajc)
REL_BOTH    := $(REL_DIR)/test_output

TEST_BINS += $(REL_RT) $(REL_AJC) $(REL_BOTH)
ALL_OBJS  += $(REL_RT:=.o) $(REL_AJC:=.o) $(REL_BOTH:=.o)

$(REL_RT:=.o): private CPPFLAGS += -Itests/runtime
$(REL_AJC:=.o): private CPPFLAGS += $(AJC_CPPFLAGS) -Itests/gen
$(REL_BOTH:=.o): private CPPFLAGS += $(AJC_CPPFLAGS) -Itests/gen -Itests/runtime
$(REL_AJC:=.o) $(REL_BOTH:=.o): | $(GRAMMAR_H)

$(REL_BOTH): %: %.o $(AJC_TEST_UTIL) $(RT_SUPPORT) $(AJC_LIB) $(LIBAJ)
	$(LINK_TEST)

# test_chaos also links its instances' steps and its completers, the
# threads that call its async steps' done, before the library.
CHAOS_OBJS := $(REL_DIR)/chaos_step.o $(REL_DIR)/chaos_done.o
ALL_OBJS   += $(CHAOS_OBJS)
$(CHAOS_OBJS): private CPPFLAGS += -Itests/runtime
$(REL_DIR)/test_chaos: $(REL_DIR)/%: $(REL_DIR)/%.o $(CHAOS_OBJS) $(RT_SUPPORT) $(LIBAJ_TEST)
	$(LINK_TEST)

$(filter-out $(REL_DIR)/test_chaos,$(REL_RT)): %: %.o $(RT_SUPPORT) $(LIBAJ_TEST)
	$(LINK_TEST)

# test_time watches the runtime's clock reads and condition waits.
$(REL_DIR)/test_time: private TEST_LDFLAGS = -Wl,--wrap=clock_gettime,--wrap=pthread_cond_init \
    -Wl,--wrap=pthread_cond_wait,--wrap=pthread_cond_timedwait

$(REL_AJC): %: %.o $(AJC_TEST_UTIL) $(AJC_LIB) $(LIBAJ)
	$(LINK_TEST)

# Mapped steps under stress: the generated ledger.job, on the test build of
# the library.
MAP_LEDGER := $(REL_DIR)/test_map_ledger
TEST_BINS  += $(MAP_LEDGER)
ALL_OBJS   += $(MAP_LEDGER).o $(REL_DIR)/ledger.job.o
$(MAP_LEDGER).o: private CPPFLAGS += -Itests/runtime -Itests/reliability -I$(REL_DIR)
$(MAP_LEDGER).o: $(REL_DIR)/ledger.job.h
$(REL_DIR)/ledger.job.o: private CPPFLAGS += -Itests/reliability
$(MAP_LEDGER): $(MAP_LEDGER).o $(REL_DIR)/ledger.job.o $(RT_SUPPORT) $(LIBAJ_TEST)
	$(LINK_TEST)

# The ajc command out of memory: an LD_PRELOAD library fails the Nth malloc.
FAILMALLOC := $(REL_DIR)/failmalloc.so
TEST_DEPS  += $(FAILMALLOC)
$(FAILMALLOC): tests/reliability/failmalloc.c
	$(Q)mkdir -p $(@D)
	$(call Q,CC,$<)$(CC) $(CPPFLAGS) -std=c11 $(WARN) $(WERROR) -O2 -fPIC -shared -o $@ $<

# The fuzzer's regression inputs, replayed: each is its own cmocka test.
FUZZ_REPLAY := $(REL_DIR)/test_fuzz_replay
TEST_BINS   += $(FUZZ_REPLAY)
ALL_OBJS    += $(FUZZ_REPLAY).o

$(REL_DIR)/fuzz_cases.inc: tests/cases/fuzz $(FUZZ_CASES)
	$(Q)mkdir -p $(@D)
	$(call Q,GEN,$@)for f in $(FUZZ_CASES); do n=$${f##*/}; echo "CASE($${n%.job})"; done > $@

$(FUZZ_REPLAY).o: private CPPFLAGS += $(AJC_CPPFLAGS) -Ifuzz -I$(REL_DIR)
$(FUZZ_REPLAY).o: $(REL_DIR)/fuzz_cases.inc | $(GRAMMAR_H)

$(FUZZ_REPLAY): $(FUZZ_REPLAY).o $(B)/fuzz/fuzz_check.o $(AJC_LIB) $(LIBAJ)
	$(LINK_TEST)

## Build and install: these drive make themselves. They install from $(B)
## into a temporary prefix and build user projects with what was installed,
## make a tarball and build it; test_docs checks the man pages and
## test_release the version, changelog, licence and the shared library's
## exports.
BUILD_TESTS := $(patsubst %,$(B)/tests/build/%,test_build test_install test_dist test_docs)
BUILD_UTIL  := $(B)/tests/build/project.o
RELEASE_TEST := $(B)/tests/build/test_release

TEST_BINS += $(BUILD_TESTS) $(RELEASE_TEST)
TEST_DEPS += $(AJC) $(LIBAJ) $(LIBAJ_SO) $(LIBAJ_LINKS)
ALL_OBJS  += $(BUILD_TESTS:=.o) $(BUILD_UTIL) $(RELEASE_TEST).o

$(BUILD_TESTS:=.o) $(BUILD_UTIL) $(RELEASE_TEST).o: private CPPFLAGS += -Itests/support
$(BUILD_TESTS): %: %.o $(BUILD_UTIL) $(TEST_SUPPORT)
	$(LINK_TEST)
$(RELEASE_TEST): %: %.o $(TEST_SUPPORT) $(LIBAJ)
	$(LINK_TEST)

## Running them. Each test program runs under a watchdog; a hang fails
## like an assertion.
.PHONY: test test-asan test-tsan test-bins

test: $(PROGRAMS) $(TEST_BINS) $(TEST_DEPS)
	@B=$(B) SAN=$(SAN) scripts/run-tests $(TEST_BINS)

test-asan:
	$(call Q,MAKE,test B=build-asan)$(MAKE) test B=build-asan SAN=address,undefined CFLAGS="-O1 -g"

test-tsan:
	$(call Q,MAKE,test B=build-tsan)$(MAKE) test B=build-tsan SAN=thread CFLAGS="-O1 -g"

# Every test program and what the tests need, without running them.
test-bins: $(TEST_BINS) $(TEST_DEPS)
