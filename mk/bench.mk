# make bench: figures W1-W5 and G (see bench/main.c); not part of make test.
AJC ?= $(B)/ajc
BENCH_B    := $(B)/bench
BENCH_JOBS := $(BENCH_B)/jobs
BENCH_GEN  := $(foreach j,seed chain fanin wave cpu,$(BENCH_JOBS)/$(j).job.c $(BENCH_JOBS)/$(j).job.h)
BENCH_OBJS := $(patsubst %.c,$(B)/%.o,$(wildcard bench/*.c)) \
              $(foreach j,seed chain fanin wave cpu,$(BENCH_JOBS)/$(j).job.o)
BENCH_BIN  := $(BENCH_B)/bench
BENCH_G    := $(foreach n,1000 10000 100000,$(BENCH_B)/g/mixed_$(n).job)

$(BENCH_JOBS)/seed.job: bench/seed.job
	@mkdir -p $(@D)
	cp $< $@
$(BENCH_JOBS)/chain.job: bench/genjob.sh
	@mkdir -p $(@D)
	bench/genjob.sh chain 1000 > $@
$(BENCH_JOBS)/fanin.job: bench/genjob.sh
	@mkdir -p $(@D)
	bench/genjob.sh fanin 1000 > $@
$(BENCH_JOBS)/wave.job: bench/genjob.sh
	@mkdir -p $(@D)
	bench/genjob.sh wave 100 > $@
$(BENCH_JOBS)/cpu.job: bench/genjob.sh
	@mkdir -p $(@D)
	bench/genjob.sh cpu 64 > $@
$(BENCH_B)/g/mixed_%.job: bench/genjob.sh
	@mkdir -p $(@D)
	bench/genjob.sh mixed $* > $@

$(BENCH_JOBS)/%.job.c $(BENCH_JOBS)/%.job.h: $(BENCH_JOBS)/%.job $(AJC)
	$(AJC) -o $(@D) $<
$(BENCH_JOBS)/%.job.o: $(BENCH_JOBS)/%.job.c
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BENCH_OBJS): CPPFLAGS += -Ibench -I$(BENCH_JOBS)
$(BENCH_OBJS): | $(BENCH_GEN)

$(BENCH_BIN): $(BENCH_OBJS) $(LIBAJ)
	$(CC) -o $@ $^ $(ALL_LDFLAGS)

ALL_OBJS += $(BENCH_OBJS)

.PHONY: bench
bench: $(BENCH_BIN) $(BENCH_G) $(AJC)
	$(BENCH_BIN) $(AJC) $(BENCH_B)/g
