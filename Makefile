# asyncjob for C: one entry point. Each part of the tree has a fragment in
# mk/ that adds its programs, libraries and tests to the lists below.
#
#   make                 build ajc, libasyncjob and the examples
#   make run             generate, build and run the main example
#   make test            every test (cmocka), from a clean tree
#   make test-asan       the suite under AddressSanitizer + UBSan
#   make test-tsan       the suite under ThreadSanitizer
#   make bench           benchmarks, with figures printed (bench-g100k: gcc
#                        on 100,000 generated steps, minutes)
#   make fuzz, stress, helgrind, cppcheck, scan-build: see mk/fuzz.mk and
#                        mk/reliability.mk
#   make install PREFIX=/usr/local DESTDIR=   (LIBDIR=..., see mk/install.mk)
#   make uninstall, make dist
#
# One build directory per configuration: B=build-asan SAN=address,undefined.
#
# make runs as many jobs at once as there are CPUs; -jN on the command line
# or JOBS=N says otherwise (JOBS=1: one at a time). Each command prints one
# line, "  CC      runtime/pool.c"; V=1 prints the commands themselves and
# make -s nothing.

# Read before anything below adds to MAKEFLAGS: its first word holds the
# one-letter options of the command line, s among them.
SILENT   := $(findstring s,$(firstword -$(MAKEFLAGS)))
NPROC    := $(shell getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)
JOBS     ?= $(NPROC)
# Only the top make: a recursive one shares its parent's job slots, and a
# -j of its own would leave them.
ifeq ($(MAKELEVEL),0)
MAKEFLAGS += -j$(JOBS)
endif
MAKEFLAGS += --no-print-directory

# $(call Q,TAG,WHAT) before a command prints "  TAG     WHAT" instead of
# the command; $(Q) alone only hides it.
V ?= 0
ifeq ($(V),1)
Q =
else ifneq ($(SILENT),)
Q = @
else
Q = @$(if $(1),printf '  %-7s %s\n' '$(1)' '$(2)';)
endif

B        ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
WERROR   ?= -Werror
CFLAGS   ?= -O2 -g
SAN      ?=
SANFLAGS  = $(if $(SAN),-fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all)
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -Iruntime
ALL_CFLAGS = -std=c11 $(WARN) $(WERROR) $(CFLAGS) $(SANFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS) -pthread
AR       ?= ar

MAKEFLAGS += --no-builtin-rules
.SUFFIXES:
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

# Building needs flex and bison; the tests also need cmocka, and they check
# the generated code with clang and g++, draw with graphviz and build a
# user project with pkg-config. A missing tool stops make with one line.
INSTALL_HINT := apt-get install -y flex bison libcmocka-dev clang g++ graphviz pkg-config
need = $(if $(shell command -v $(1) 2>/dev/null),,$(error $(1) not found; install the build tools with: $(INSTALL_HINT)))
CMOCKA_H ?= $(firstword $(wildcard /usr/include/cmocka.h /usr/local/include/cmocka.h))
need_cmocka = $(if $(CMOCKA_H),,$(error cmocka not found; install it with: $(INSTALL_HINT)))
ifneq ($(filter test test-asan test-tsan,$(MAKECMDGOALS)),)
$(foreach t,clang g++ dot pkg-config,$(call need,$(t)))
endif

# Filled in by the fragments.
PROGRAMS :=        # built by `make`
ALL_OBJS :=        # for dependency files
CLEAN_EXTRA :=

# Every fragment is needed: a missing one stops make rather than building
# half a tree. Every test is in mk/tests.mk.
include mk/runtime.mk
include mk/compiler.mk
include mk/examples.mk
include mk/bench.mk
include mk/fuzz.mk
include mk/install.mk
include mk/tests.mk
include mk/reliability.mk

.PHONY: all clean clean-all

all: $(PROGRAMS)

# Every object, of a source of the tree or of one generated into $(B).
COMPILE = $(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<
$(B)/%.o: %.c
	$(Q)mkdir -p $(@D)
	$(call Q,CC,$<)$(COMPILE)
$(B)/%.o: $(B)/%.c
	$(call Q,CC,$<)$(COMPILE)

# clean removes one configuration's build directory; clean-all every one.
clean:
	$(call Q,CLEAN,$(strip $(B) $(CLEAN_EXTRA)))rm -rf $(B) $(CLEAN_EXTRA)

clean-all:
	$(call Q,CLEAN,$(strip build build-* $(CLEAN_EXTRA)))rm -rf build build-* $(CLEAN_EXTRA)

-include $(ALL_OBJS:.o=.d)
