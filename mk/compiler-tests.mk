# Tests of ajc: the case catalogue, special inputs, the command line, and
# generated code compiled by gcc, clang, g++ and clang++ and run on the runtime.

AJC_TEST_DIR   := $(B)/tests/gen
AJC_TEST_UTIL  := $(AJC_TEST_DIR)/testutil.o
AJC_TESTS      := $(patsubst tests/gen/%.c,$(AJC_TEST_DIR)/%,$(filter-out tests/gen/testutil.c,$(wildcard tests/gen/test_*.c)))
GOOD_CASES     := $(notdir $(wildcard tests/cases/good/*))
GEN_DIR        := $(B)/tests/generated
# Each case's .job.c and .job.h, from the pattern rule of mk/compiler.mk.
GEN_OUT        := $(B)/tests/cases/good
GEN_TESTS      := $(GOOD_CASES:%=$(GEN_DIR)/test_%)
GEN_STAMPS     := $(GOOD_CASES:%=$(GEN_DIR)/%/compilers.ok)
# The generated code must pass these flags with every compiler, as users build it.
GEN_STRICT     := -std=c11 -Wall -Wextra -Wpedantic -Werror -Iruntime
# And no warning about what ajc wrote itself (casts, conversions): none
# could point at a .job line, since #line covers only what the user wrote.
GEN_CASTS      := -Wcast-align=strict -Wconversion

TEST_BINS += $(AJC_TESTS) $(GEN_TESTS)
TEST_DEPS += $(AJC) $(GEN_STAMPS)
ALL_OBJS  += $(AJC_TESTS:=.o) $(AJC_TEST_UTIL)
ALL_OBJS  += $(GEN_TESTS:=.o) $(foreach c,$(GOOD_CASES),$(GEN_OUT)/$(c)/$(c).job.o)

$(AJC_TESTS:=.o) $(AJC_TEST_UTIL): CPPFLAGS += $(AJC_CPPFLAGS) -I$(AJC_TEST_DIR)
$(AJC_TESTS:=.o) $(AJC_TEST_UTIL): | $(GRAMMAR_H)

# One CASE(stem) per bad case; the directory is a prerequisite so that a
# deleted case also regenerates the list.
$(AJC_TEST_DIR)/bad_cases.inc: tests/cases/bad $(wildcard tests/cases/bad/*.job)
	@mkdir -p $(@D)
	for f in tests/cases/bad/*.job; do n=$${f##*/}; echo "CASE($${n%.job})"; done > $@

$(AJC_TEST_DIR)/good_cases.inc: tests/cases/good $(wildcard tests/cases/good/*/*.job)
	@mkdir -p $(@D)
	for d in $(GOOD_CASES); do echo "GOOD($$d)"; done > $@

$(AJC_TEST_DIR)/test_cases.o: $(AJC_TEST_DIR)/bad_cases.inc $(AJC_TEST_DIR)/good_cases.inc

$(AJC_TESTS): %: %.o $(AJC_TEST_UTIL) $(AJC_LIB) $(LIBAJ)
	$(call need_cmocka)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka

# Per good case: check the generated code with every compiler, build and
# link the case's test program with the runtime.
define AJC_GEN_CASE
$(GEN_DIR)/$(1)/compilers.ok: $(GEN_OUT)/$(1)/$(1).job.c $(GEN_OUT)/$(1)/$(1).job.h
	@mkdir -p $$(@D)
	$$(call need,clang)
	$$(call need,g++)
	$$(call need,clang++)
	gcc $(GEN_STRICT) $(GEN_CASTS) -Itests/cases/good/$(1) -fsyntax-only $$<
	clang $(GEN_STRICT) -Itests/cases/good/$(1) -fsyntax-only $$<
	g++ -x c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -Iruntime -Itests/cases/good/$(1) -fsyntax-only $(GEN_OUT)/$(1)/$(1).job.h
	clang++ -x c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -Iruntime -Itests/cases/good/$(1) -fsyntax-only -include $(GEN_OUT)/$(1)/$(1).job.h /dev/null
	touch $$@

$(GEN_OUT)/$(1)/$(1).job.o: $(GEN_OUT)/$(1)/$(1).job.c
	$(CC) $(CPPFLAGS) -Itests/cases/good/$(1) $(ALL_CFLAGS) -MMD -MP -c -o $$@ $$<

$(GEN_DIR)/test_$(1).o: tests/generated/test_$(1).c $(GEN_OUT)/$(1)/$(1).job.h
	@mkdir -p $$(@D)
	$(CC) $(CPPFLAGS) -Itests/cases/good/$(1) -I$(GEN_OUT)/$(1) -Itests/generated $(ALL_CFLAGS) -MMD -MP -c -o $$@ $$<

$(GEN_DIR)/test_$(1): $(GEN_DIR)/test_$(1).o $(GEN_OUT)/$(1)/$(1).job.o $(GEN_DIR)/check_def.o $(LIBAJ)
	$$(call need_cmocka)
	$(CC) $(ALL_LDFLAGS) -o $$@ $$^ -lcmocka
endef
$(foreach c,$(GOOD_CASES),$(eval $(call AJC_GEN_CASE,$(c))))

$(GEN_DIR)/check_def.o: tests/generated/check_def.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<
ALL_OBJS += $(GEN_DIR)/check_def.o

# After a deliberate change of the generated text: rewrite the golden files
# from the current ajc, then review them with git diff.
.PHONY: update-golden
update-golden: $(AJC)
	for c in $(GOOD_CASES); do \
	    (cd tests/cases/good/$$c && $(CURDIR)/$(AJC) $$c.job && \
	     mv $$c.job.h expected.h.golden && mv $$c.job.c expected.c.golden && \
	     $(CURDIR)/$(AJC) --dot $$c.job > expected.dot) || exit 1; \
	done
