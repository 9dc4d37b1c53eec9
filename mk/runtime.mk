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
$(RUNTIME_OBJS): private ALL_CFLAGS += -fPIC -fvisibility=hidden

# A static library is written anew: ar would keep members removed since.
$(LIBAJ): $(RUNTIME_OBJS)
	$(call Q,AR,$@)rm -f $@ && $(AR) rcs $@ $^

$(LIBAJ_SO): $(RUNTIME_OBJS)
	$(call Q,LD,$@)$(CC) -shared -Wl,-soname,$(LIBAJ_SONAME) -o $@ $^ $(ALL_LDFLAGS)

$(LIBAJ_LINKS): $(LIBAJ_SO)
	$(call Q,LN,$@)ln -sf $(<F) $@

# The test build of the library, which the runtime tests link: the files
# with test hooks (runtime/aj_test_hooks.h) compiled again with
# -DAJ_TEST_HOOKS, the others shared. The installed library has no hooks.
RUNTIME_HOOKED    := $(shell grep -l '^\#ifdef AJ_TEST_HOOKS' $(RUNTIME_SRCS))
RUNTIME_TEST_OBJS := $(filter-out $(RUNTIME_HOOKED:%.c=$(B)/%.o),$(RUNTIME_OBJS)) \
                     $(RUNTIME_HOOKED:runtime/%.c=$(B)/runtime/test-hooks/%.o)
LIBAJ_TEST        := $(B)/libasyncjob-test.a
ALL_OBJS += $(RUNTIME_HOOKED:runtime/%.c=$(B)/runtime/test-hooks/%.o)

$(B)/runtime/test-hooks/%.o: private CPPFLAGS += -DAJ_TEST_HOOKS
$(B)/runtime/test-hooks/%.o: runtime/%.c
	$(Q)mkdir -p $(@D)
	$(call Q,CC,$< (test hooks))$(COMPILE)

$(LIBAJ_TEST): $(RUNTIME_TEST_OBJS)
	$(call Q,AR,$@)rm -f $@ && $(AR) rcs $@ $^
