# make bench: figures W1-W5, W7, W12 and G (see bench/main.c); not part of make test.
BENCH_B    := $(B)/bench
BENCH_JOBS := $(BENCH_B)/jobs
BENCH_JOB_NAMES := seed chain fanin wave cpu sleepy
BENCH_GEN  := $(foreach j,$(BENCH_JOB_NAMES),$(BENCH_JOBS)/$(j).job.c $(BENCH_JOBS)/$(j).job.h)
BENCH_OBJS := $(patsubst %.c,$(B)/%.o,$(wildcard bench/*.c)) \
              $(foreach j,$(BENCH_JOB_NAMES),$(BENCH_JOBS)/$(j).job.o)
BENCH_BIN  := $(BENCH_B)/bench
BENCH_G    := $(foreach n,1000 10000 100000,$(BENCH_B)/g/mixed_$(n).job)

$(BENCH_JOBS)/seed.job: bench/seed.job
	@mkdir -p $(@D)
	cp $< $@
# The other jobs are generated: genjob.sh SHAPE SIZE, the shape being the
# file's name.
BENCH_SIZE_chain := 1000
BENCH_SIZE_fanin := 1000
BENCH_SIZE_wave  := 100
BENCH_SIZE_cpu   := 64
# Row W7s's steps: plain (they sleep on a CPU worker) or, once ajc knows the
# word, blocking: make bench BENCH_W7S=blocking. The choice is kept in
# sleepy.kind, rewritten only when it changes, so that changing it
# regenerates the job and relabels the row.
BENCH_W7S ?= plain
BENCH_SIZE_sleepy := $(BENCH_W7S)
ifneq ($(filter bench %/bench,$(MAKECMDGOALS)),)
$(shell mkdir -p $(BENCH_JOBS) && (echo $(BENCH_W7S) | cmp -s - $(BENCH_JOBS)/sleepy.kind || echo $(BENCH_W7S) > $(BENCH_JOBS)/sleepy.kind))
endif
$(BENCH_JOBS)/sleepy.kind:
	@mkdir -p $(@D)
	echo $(BENCH_W7S) > $@
$(BENCH_JOBS)/sleepy.job: $(BENCH_JOBS)/sleepy.kind
$(B)/bench/idle.o: $(BENCH_JOBS)/sleepy.kind
$(B)/bench/idle.o: CPPFLAGS += -DBENCH_W7S_KIND='"$(BENCH_W7S)"'
$(BENCH_JOBS)/%.job: bench/genjob.sh
	@mkdir -p $(@D)
	bench/genjob.sh $* $(BENCH_SIZE_$*) > $@
# Kept after the build: the generated C's #line directives point into them.
.SECONDARY: $(BENCH_JOB_NAMES:%=$(BENCH_JOBS)/%.job)
$(BENCH_B)/g/mixed_%.job: bench/genjob.sh
	@mkdir -p $(@D)
	bench/genjob.sh mixed $* > $@

# These .job files are themselves generated into $(B), which the pattern
# rule of mk/compiler.mk (for .job files of the tree) does not cover.
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
