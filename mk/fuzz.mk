# Fuzzing the compiler: fuzz/fuzz_ajc.c runs every input through
# ajc_compile() to C and to DOT (fuzz/fuzz_check.c says what must hold).
#
#   make fuzz                   build with clang (libFuzzer, ASan + UBSan) in
#                               build-fuzz/ and fuzz for FUZZ_SECONDS (300)
#   make fuzz FUZZ_SECONDS=1800 longer; the corpus in build-fuzz/corpus grows
#                               from run to run
#
# The corpus is seeded from the examples, the good and bad test cases and
# tests/cases/fuzz/, with fuzz/ajc.dict as the dictionary. A crash, a
# sanitizer report, a leak or an input slower than FUZZ_TIMEOUT seconds
# stops the run and is saved under build-fuzz/artifacts/; minimise it, add
# it to tests/cases/fuzz/ and `make test` replays it from then on
# (tests/reliability/test_fuzz_replay.c, in the normal build).

FUZZ_SECONDS ?= 300
FUZZ_TIMEOUT ?= 10
FUZZ_B       := build-fuzz
FUZZ_BIN     := $(FUZZ_B)/fuzz/fuzz_ajc
FUZZ_SEEDS   := $(wildcard examples/*/*.job tests/cases/good/*/*.job tests/cases/bad/*.job \
                  tests/examples/defs/*.job bench/seed.job tests/cases/fuzz/*.job)
# Replayed by make test (mk/tests.mk).
FUZZ_CASES   := $(wildcard tests/cases/fuzz/*.job)
ALL_OBJS     += $(B)/fuzz/fuzz_check.o $(B)/fuzz/fuzz_ajc.o

$(B)/fuzz/fuzz_check.o $(B)/fuzz/fuzz_ajc.o: private CPPFLAGS += $(AJC_CPPFLAGS)
$(B)/fuzz/fuzz_check.o $(B)/fuzz/fuzz_ajc.o: | $(GRAMMAR_H)

# Only built inside `make fuzz`, whose flags add the coverage hooks.
$(B)/fuzz/fuzz_ajc: $(B)/fuzz/fuzz_ajc.o $(B)/fuzz/fuzz_check.o $(AJC_LIB) $(LIBAJ)
	$(call Q,LD,$@)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^

.PHONY: fuzz fuzz-build
fuzz-build:
	$(call need,clang)
	$(call Q,MAKE,$(FUZZ_BIN))$(MAKE) B=$(FUZZ_B) CC=clang SAN=address,undefined \
	    CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" $(FUZZ_BIN)

fuzz: fuzz-build
	$(Q)mkdir -p $(FUZZ_B)/corpus $(FUZZ_B)/seeds $(FUZZ_B)/artifacts
	$(call Q,CP,$(FUZZ_B)/seeds)cp $(FUZZ_SEEDS) $(FUZZ_B)/seeds/
	$(call Q,RUN,$(FUZZ_BIN))$(FUZZ_BIN) -dict=fuzz/ajc.dict -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_B)/artifacts/ $(FUZZ_B)/corpus $(FUZZ_B)/seeds
