# make bench: figures W1-W12 and G (see bench/main.c); not part of make test.
BENCH_B    := $(B)/bench
BENCH_JOBS := $(BENCH_B)/jobs
BENCH_JOB_NAMES := seed chain branch fanin wave cpu seed_blocking seed_async seed_limited sleepy \
                   maps seed_sub
BENCH_GEN  := $(foreach j,$(BENCH_JOB_NAMES),$(BENCH_JOBS)/$(j).job.c $(BENCH_JOBS)/$(j).job.h)
BENCH_OBJS := $(patsubst %.c,$(B)/%.o,$(wildcard bench/*.c)) \
              $(foreach j,$(BENCH_JOB_NAMES),$(BENCH_JOBS)/$(j).job.o)
BENCH_BIN  := $(BENCH_B)/bench
BENCH_G    := $(foreach n,1000 10000 100000,$(BENCH_B)/g/mixed_$(n).job)
# For gcc's time on generated C against the user's own step functions;
# 100,000 steps only for make bench-g100k, which takes minutes.
bench_cc    = $(foreach n,$(1),$(BENCH_B)/g/distinct_$(n).job.c $(BENCH_B)/g/stubs_$(n).c)
BENCH_CC   := $(call bench_cc,1000 10000)
BENCH_CC_BIG := $(call bench_cc,100000)

# The jobs' .job files are made in $(BENCH_JOBS), and their .job.c and
# .job.h beside them by the pattern rule of mk/compiler.mk.
$(BENCH_JOBS)/seed.job $(BENCH_JOBS)/seed_blocking.job $(BENCH_JOBS)/seed_async.job \
$(BENCH_JOBS)/seed_limited.job $(BENCH_JOBS)/maps.job $(BENCH_JOBS)/seed_sub.job: \
$(BENCH_JOBS)/%.job: bench/%.job
	$(Q)mkdir -p $(@D)
	$(call Q,CP,$@)cp $< $@
# The other jobs are generated: genjob.sh SHAPE SIZE, the shape being the
# file's name.
BENCH_SIZE_chain := 1000
BENCH_SIZE_branch := 1000
BENCH_SIZE_fanin := 1000
BENCH_SIZE_wave  := 100
BENCH_SIZE_cpu   := 64
# Row W7s's steps: blocking (the default, the seed job's I/O as it should be
# written) or plain (they sleep on a CPU worker): make bench BENCH_W7S=plain.
# The choice is kept in sleepy.kind, rewritten only when it changes, so that
# changing it regenerates the job and relabels the row.
BENCH_W7S ?= blocking
BENCH_SIZE_sleepy := $(BENCH_W7S)
ifneq ($(filter bench %/bench,$(MAKECMDGOALS)),)
$(shell mkdir -p $(BENCH_JOBS) && (echo $(BENCH_W7S) | cmp -s - $(BENCH_JOBS)/sleepy.kind || echo $(BENCH_W7S) > $(BENCH_JOBS)/sleepy.kind))
endif
$(BENCH_JOBS)/sleepy.kind:
	$(Q)mkdir -p $(@D)
	$(call Q,GEN,$@)echo $(BENCH_W7S) > $@
$(BENCH_JOBS)/sleepy.job: $(BENCH_JOBS)/sleepy.kind
$(B)/bench/idle.o: $(BENCH_JOBS)/sleepy.kind
$(B)/bench/idle.o: private CPPFLAGS += -DBENCH_W7S_KIND='"$(BENCH_W7S)"'
$(BENCH_JOBS)/%.job: bench/genjob.sh
	$(Q)mkdir -p $(@D)
	$(call Q,GEN,$@)bench/genjob.sh $* $(BENCH_SIZE_$*) > $@
# Kept after the build: the generated C's #line directives point into them.
.SECONDARY: $(BENCH_JOB_NAMES:%=$(BENCH_JOBS)/%.job)
$(BENCH_B)/g/mixed_%.job: bench/genjob.sh
	$(Q)mkdir -p $(@D)
	$(call Q,GEN,$@)bench/genjob.sh mixed $* > $@
$(BENCH_B)/g/distinct_%.job: bench/genjob.sh
	$(Q)mkdir -p $(@D)
	$(call Q,GEN,$@)bench/genjob.sh distinct $* > $@
$(BENCH_B)/g/stubs_%.c: bench/genjob.sh
	$(Q)mkdir -p $(@D)
	$(call Q,GEN,$@)bench/genjob.sh stubs $* > $@
.SECONDARY: $(BENCH_CC) $(BENCH_CC_BIG) \
            $(foreach n,1000 10000 100000,$(BENCH_B)/g/distinct_$(n).job $(BENCH_B)/g/distinct_$(n).job.h)

$(BENCH_OBJS): private CPPFLAGS += -Ibench -I$(BENCH_JOBS)
$(BENCH_OBJS): | $(BENCH_GEN)

$(BENCH_BIN): $(BENCH_OBJS) $(LIBAJ)
	$(call Q,LD,$@)$(CC) -o $@ $^ $(ALL_LDFLAGS)

ALL_OBJS += $(BENCH_OBJS)

.PHONY: bench bench-g100k
bench: $(BENCH_BIN) $(BENCH_G) $(BENCH_CC) $(AJC)
	$(call Q,RUN,$(BENCH_BIN))$(BENCH_BIN) $(AJC) $(BENCH_B)/g
# The G row of gcc -O2 on 100,000 steps, generated against the user's.
bench-g100k: $(BENCH_BIN) $(BENCH_CC_BIG) $(AJC)
	$(call Q,RUN,$(BENCH_BIN))$(BENCH_BIN) $(AJC) $(BENCH_B)/g G100k
