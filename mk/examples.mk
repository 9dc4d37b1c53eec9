# Examples: complete programs built from a .job file, step implementations
# and a main(). Generated sources live under $(B)/examples/NAME/, from the
# pattern rule of mk/compiler.mk; their tests are in mk/tests.mk.

# $(call example,NAME,SOURCES): examples/NAME/NAME.job with SOURCES (the .c
# files besides main.c) becomes the program $(B)/examples/NAME/NAME.
EXAMPLES :=
define example
$(1)_B    := $(B)/examples/$(1)
$(1)_GEN  := $$($(1)_B)/$(1).job.c $$($(1)_B)/$(1).job.h
$(1)_OBJS := $$($(1)_B)/$(1).job.o $(2:%.c=$$($(1)_B)/%.o)
$(1)_BIN  := $$($(1)_B)/$(1)

$$($(1)_OBJS) $$($(1)_B)/main.o: private CPPFLAGS += -Iexamples/$(1) -I$$($(1)_B)
$$($(1)_OBJS) $$($(1)_B)/main.o: | $$($(1)_GEN)

$$($(1)_BIN): $$($(1)_OBJS) $$($(1)_B)/main.o $(LIBAJ)
	$$(call Q,LD,$$@)$$(CC) -o $$@ $$^ $$(ALL_LDFLAGS)

EXAMPLES  += $(1)
PROGRAMS  += $$($(1)_BIN)
ALL_OBJS  += $$($(1)_OBJS) $$($(1)_B)/main.o
endef

$(eval $(call example,sql_summary,sql_lib.c steps.c))
$(eval $(call example,logstats,tally.c logio.c generate.c steps.c))

# One small program per runtime feature (examples/README.md): each is
# examples/NAME/{NAME.job,steps.c,main.c} and builds $(B)/examples/NAME/NAME.
FEATURES := observer custom_retry retry_override fail_fast trace cancel take own_runtime \
            event_loop release catalog

define feature
$(1)_OBJS := $(B)/examples/$(1)/$(1).job.o $(B)/examples/$(1)/steps.o $(B)/examples/$(1)/main.o
$$($(1)_OBJS): private CPPFLAGS += -Iexamples/$(1) -I$(B)/examples/$(1)
$$($(1)_OBJS): | $(B)/examples/$(1)/$(1).job.c $(B)/examples/$(1)/$(1).job.h
$(B)/examples/$(1)/$(1): $$($(1)_OBJS) $(LIBAJ)
	$$(call Q,LD,$$@)$$(CC) -o $$@ $$^ $$(ALL_LDFLAGS)
ALL_OBJS += $$($(1)_OBJS)
endef
$(foreach f,$(FEATURES),$(eval $(call feature,$(f))))
FEATURE_BINS := $(foreach f,$(FEATURES),$(B)/examples/$(f)/$(f))
PROGRAMS     += $(FEATURE_BINS)

.PHONY: run run-logstats

# The main example: it prints its step log and result, and leaves pictures
# of the job and of the instance that ran in $(sql_summary_B); V=1 also
# prints the instance's DOT. Without graphviz the pictures stay DOT files.
PICTURE := $(if $(shell command -v dot 2>/dev/null),svg,dot)
RUN_PICTURES := $(sql_summary_B)/definition.$(PICTURE) $(sql_summary_B)/instance.$(PICTURE)

run: $(sql_summary_BIN) $(sql_summary_B)/definition.$(PICTURE)
	$(call Q,RUN,$(sql_summary_BIN))$(sql_summary_BIN) $(sql_summary_B)/instance.dot
	$(if $(filter 1,$(V)),cat $(sql_summary_B)/instance.dot)
	$(if $(filter svg,$(PICTURE)),$(call Q,DOT,$(sql_summary_B)/instance.svg)$(DRAW_SVG) \
	    $(sql_summary_B)/instance.dot -o $(sql_summary_B)/instance.svg)
	@echo "pictures: $(RUN_PICTURES)"
	$(if $(filter dot,$(PICTURE)),@echo "(apt-get install -y graphviz to draw them)")

$(sql_summary_B)/definition.dot: examples/sql_summary/sql_summary.job $(AJC)
	$(Q)mkdir -p $(@D)
	$(call Q,AJC,--dot $<)$(AJC) --dot $< > $@

DRAW_SVG := dot -Tsvg
$(B)/%.svg: $(B)/%.dot
	$(call Q,DOT,$@)$(DRAW_SVG) $< -o $@

# The second example on 8 synthetic logs of 150,000 lines (about 90 MB),
# sequential and then parallel.
LOGSTATS_DATA := $(logstats_B)/data
run-logstats: $(logstats_BIN)
	$(Q)if [ ! -f $(LOGSTATS_DATA)/access-007.log ]; then \
	    mkdir -p $(LOGSTATS_DATA) && $(logstats_BIN) --generate $(LOGSTATS_DATA) 8 150000; fi
	$(call Q,RUN,$(logstats_BIN) --compare)$(logstats_BIN) --compare $(LOGSTATS_DATA) $(logstats_B)/report.txt
	$(Q)cat $(logstats_B)/report.txt
