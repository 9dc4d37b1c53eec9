# Reliability: allocation failure at every point, output failures, time
# and backoff boundaries, concurrency under stress (tests/reliability/),
# and the long or slow checks that make test leaves out:
#
#   make stress       the concurrency stress at full size (STRESS_ROUNDS)
#   make helgrind     a small stress configuration under valgrind's helgrind
#   make cppcheck     cppcheck over the hand-written sources
#   make scan-build   clang's static analyzer over the same build

REL_DIR     := $(B)/tests/reliability
REL_TESTS   := test_oom_runtime
REL_BINS    := $(REL_TESTS:%=$(REL_DIR)/%)

TEST_BINS += $(REL_BINS)
ALL_OBJS  += $(REL_BINS:=.o)

$(REL_BINS:=.o): CPPFLAGS += -Itests/runtime

$(REL_BINS): %: %.o $(RT_SUPPORT) $(LIBAJ)
	$(call need_cmocka)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lcmocka
