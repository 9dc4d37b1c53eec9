# libasyncjob: the runtime library and its one public header.
RUNTIME_SRCS := $(wildcard runtime/*.c)
RUNTIME_OBJS := $(RUNTIME_SRCS:%.c=$(B)/%.o)
LIBAJ        := $(B)/libasyncjob.a

# The version: the AJ_VERSION_* lines of asyncjob.h, the one place it is written.
AJ_VERSION_PARTS := $(shell sed -n 's/^\#define AJ_VERSION_[A-Z]* \([0-9][0-9]*\)$$/\1/p' runtime/asyncjob.h)
AJ_MAJOR     := $(word 1,$(AJ_VERSION_PARTS))
AJ_VERSION   := $(word 1,$(AJ_VERSION_PARTS)).$(word 2,$(AJ_VERSION_PARTS)).$(word 3,$(AJ_VERSION_PARTS))

# The shared library: libasyncjob.so.MAJOR.MINOR.PATCH, its soname
# libasyncjob.so.MAJOR and the development link libasyncjob.so.
LIBAJ_SONAME := libasyncjob.so.$(AJ_MAJOR)
LIBAJ_SO     := $(B)/libasyncjob.so.$(AJ_VERSION)
LIBAJ_LINKS  := $(B)/$(LIBAJ_SONAME) $(B)/libasyncjob.so

PROGRAMS += $(LIBAJ) $(LIBAJ_SO) $(LIBAJ_LINKS)
ALL_OBJS += $(RUNTIME_OBJS)

# One set of objects for both libraries: position-independent, so that the
# static library also links into a user's shared library, and exporting only
# what asyncjob.h marks AJ_API. Static linking ignores visibility, so the
# tests still reach the aj__test_* hooks through libasyncjob.a.
$(RUNTIME_OBJS): ALL_CFLAGS += -fPIC -fvisibility=hidden

$(LIBAJ): $(RUNTIME_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(LIBAJ_SO): $(RUNTIME_OBJS)
	$(CC) -shared -Wl,-soname,$(LIBAJ_SONAME) -o $@ $^ $(ALL_LDFLAGS)

$(LIBAJ_LINKS): $(LIBAJ_SO)
	ln -sf $(<F) $@

# The test build of the library, which the runtime tests link: the files
# with test hooks (runtime/aj_test_hooks.h) compiled again with
# -DAJ_TEST_HOOKS, the others shared. The installed library has no hooks.
RUNTIME_HOOKED    := $(shell grep -l '^\#ifdef AJ_TEST_HOOKS' $(RUNTIME_SRCS))
RUNTIME_TEST_OBJS := $(filter-out $(RUNTIME_HOOKED:%.c=$(B)/%.o),$(RUNTIME_OBJS)) \
                     $(RUNTIME_HOOKED:runtime/%.c=$(B)/runtime/test-hooks/%.o)
LIBAJ_TEST        := $(B)/libasyncjob-test.a
ALL_OBJS += $(RUNTIME_HOOKED:runtime/%.c=$(B)/runtime/test-hooks/%.o)

$(B)/runtime/test-hooks/%.o: runtime/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DAJ_TEST_HOOKS $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBAJ_TEST): $(RUNTIME_TEST_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# Runtime tests: one cmocka binary per module, all linked with the test
# jobs of tests/runtime/tjob.c. (Latency is measured by make bench, W1.)
RT_TESTS     := test_clock test_timer test_retry test_instance test_pool test_cancel test_dot test_stress \
                test_ring test_trace
RT_TEST_BINS := $(RT_TESTS:%=$(B)/tests/runtime/%)
RT_SUPPORT   := $(B)/tests/runtime/tjob.o

TEST_BINS += $(RT_TEST_BINS)
ALL_OBJS  += $(RT_TEST_BINS:%=%.o) $(RT_SUPPORT)

$(RT_TEST_BINS): %: %.o $(RT_SUPPORT) $(LIBAJ_TEST)
	$(call need_cmocka)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lcmocka

.PHONY: test-valgrind

# A small configuration of the runtime suite under valgrind's memcheck.
test-valgrind: $(B)/tests/runtime/test_instance $(B)/tests/runtime/test_stress
	valgrind -q --error-exitcode=1 --leak-check=full --show-possibly-lost=no \
	    --errors-for-leak-kinds=definite $(B)/tests/runtime/test_instance
	AJ_STRESS_INSTANCES=20 valgrind -q --error-exitcode=1 --leak-check=full \
	    --show-possibly-lost=no --errors-for-leak-kinds=definite $(B)/tests/runtime/test_stress
