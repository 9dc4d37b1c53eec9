# asyncjob for C: one entry point. Each part of the tree has a fragment in
# mk/ that adds its programs, libraries and tests to the lists below.
#
#   make                 build ajc, libasyncjob and the examples
#   make run             generate, build and run the main example
#   make test            every test (cmocka), from a clean tree
#   make test-asan       the suite under AddressSanitizer + UBSan
#   make test-tsan       the suite under ThreadSanitizer
#   make bench           benchmarks, with figures printed
#   make fuzz, stress, helgrind, cppcheck, scan-build: see mk/fuzz.mk and
#                        mk/reliability.mk
#   make install PREFIX=/usr/local DESTDIR=   (LIBDIR=..., see mk/install.mk)
#   make uninstall, make dist
#
# One build directory per configuration: B=build-asan SAN=address,undefined.

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
TEST_BINS :=       # cmocka binaries run by `make test`, from the top directory
TEST_DEPS :=       # anything else the tests need built first
ALL_OBJS :=        # for dependency files
CLEAN_EXTRA :=

# Helpers for tests that run the tools as a user does (tests/support).
TEST_SUPPORT := $(B)/tests/support/shell.o
ALL_OBJS += $(TEST_SUPPORT)

# Every fragment is needed: a missing one stops make rather than building
# half a tree.
include mk/runtime.mk
include mk/compiler.mk
include mk/examples.mk
include mk/bench.mk
include mk/fuzz.mk
include mk/reliability.mk
include mk/install.mk

.PHONY: all test test-asan test-tsan clean clean-all

all: $(PROGRAMS)

# Each test binary runs under a watchdog; a hang fails like an assertion.
test: $(PROGRAMS) $(TEST_BINS) $(TEST_DEPS)
	@B=$(B) SAN=$(SAN) scripts/run-tests $(TEST_BINS)

test-asan:
	$(MAKE) test B=build-asan SAN=address,undefined CFLAGS="-O1 -g"

test-tsan:
	$(MAKE) test B=build-tsan SAN=thread CFLAGS="-O1 -g"

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# clean removes one configuration's build directory; clean-all every one.
clean:
	rm -rf $(B) $(CLEAN_EXTRA)

clean-all:
	rm -rf build build-* $(CLEAN_EXTRA)

-include $(ALL_OBJS:.o=.d)
