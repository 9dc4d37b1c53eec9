# Examples: complete programs built from a .job file, step implementations
# and a main(). Generated sources live under $(B)/examples/NAME/.

# The .job.c and .job.h come from the pattern rule of mk/compiler.mk.
$(B)/examples/%.job.o: $(B)/examples/%.job.c
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# $(call example,NAME,SOURCES): examples/NAME/NAME.job with SOURCES (the .c
# files besides main.c) becomes the program $(B)/examples/NAME/NAME and the
# test $(B)/tests/examples/test_NAME, which links everything but main.
define example
$(1)_B    := $(B)/examples/$(1)
$(1)_GEN  := $$($(1)_B)/$(1).job.c $$($(1)_B)/$(1).job.h
$(1)_OBJS := $$($(1)_B)/$(1).job.o $(2:%.c=$$($(1)_B)/%.o)
$(1)_BIN  := $$($(1)_B)/$(1)
$(1)_TEST := $(B)/tests/examples/test_$(1)

$$($(1)_OBJS) $$($(1)_B)/main.o $(B)/tests/examples/test_$(1).o: \
    CPPFLAGS += -Iexamples/$(1) -I$$($(1)_B) -Itests/support
$$($(1)_OBJS) $$($(1)_B)/main.o $(B)/tests/examples/test_$(1).o: | $$($(1)_GEN)

$$($(1)_BIN): $$($(1)_OBJS) $$($(1)_B)/main.o $(LIBAJ)
	$$(CC) -o $$@ $$^ $$(ALL_LDFLAGS)

$$($(1)_TEST): $(B)/tests/examples/test_$(1).o $$($(1)_OBJS) $(TEST_SUPPORT) $(LIBAJ)
	$$(call need_cmocka)
	$$(CC) -o $$@ $$^ $$(ALL_LDFLAGS) -lcmocka

PROGRAMS  += $$($(1)_BIN)
TEST_BINS += $$($(1)_TEST)
ALL_OBJS  += $$($(1)_OBJS) $$($(1)_B)/main.o $(B)/tests/examples/test_$(1).o
endef

$(eval $(call example,sql_summary,sql_lib.c steps.c))
$(eval $(call example,logstats,tally.c logio.c generate.c steps.c))

# One small program per runtime feature (examples/README.md): each is
# examples/NAME/{NAME.job,steps.c,main.c} and builds $(B)/examples/NAME/NAME.
FEATURES := observer custom_retry retry_override fail_fast trace cancel take own_runtime

define feature
$(1)_OBJS := $(B)/examples/$(1)/$(1).job.o $(B)/examples/$(1)/steps.o $(B)/examples/$(1)/main.o
$$($(1)_OBJS): CPPFLAGS += -Iexamples/$(1) -I$(B)/examples/$(1)
$$($(1)_OBJS): | $(B)/examples/$(1)/$(1).job.c $(B)/examples/$(1)/$(1).job.h
$(B)/examples/$(1)/$(1): $$($(1)_OBJS) $(LIBAJ)
	$$(CC) -o $$@ $$^ $$(ALL_LDFLAGS)
ALL_OBJS += $$($(1)_OBJS)
endef
$(foreach f,$(FEATURES),$(eval $(call feature,$(f))))
FEATURE_BINS := $(foreach f,$(FEATURES),$(B)/examples/$(f)/$(f))
PROGRAMS     += $(FEATURE_BINS)

# tests/examples/test_features runs each one as examples/README.md shows it
# and compares what it prints with the page.
FEATURES_TEST := $(B)/tests/examples/test_features
$(FEATURES_TEST).o: CPPFLAGS += -Itests/support
$(FEATURES_TEST): $(FEATURES_TEST).o $(TEST_SUPPORT) $(B)/tests/support/json.o
	$(call need_cmocka)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lcmocka
TEST_BINS += $(FEATURES_TEST)
ALL_OBJS  += $(FEATURES_TEST).o $(B)/tests/support/json.o

# go-asyncjob's definition-time errors, as ajc diagnostics; the test runs
# ajc and the C compiler on the generated header.
DEFS_TEST := $(B)/tests/examples/test_sql_summary_defs
$(B)/tests/examples/test_sql_summary_defs.o: CPPFLAGS += -Itests/support
$(DEFS_TEST): $(B)/tests/examples/test_sql_summary_defs.o $(TEST_SUPPORT)
	$(call need_cmocka)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lcmocka
TEST_BINS += $(DEFS_TEST)
TEST_DEPS += $(AJC) $(sql_summary_GEN)
ALL_OBJS  += $(B)/tests/examples/test_sql_summary_defs.o

.PHONY: run run-logstats

# The main example: its step log, result and instance picture.
run: $(sql_summary_BIN)
	$(sql_summary_BIN) $(sql_summary_B)/instance.dot
	@if command -v dot >/dev/null 2>&1; then \
	    dot -Tsvg $(sql_summary_B)/instance.dot -o $(sql_summary_B)/instance.svg && \
	    echo "picture of this instance: $(sql_summary_B)/instance.svg"; \
	else \
	    echo "DOT of this instance: $(sql_summary_B)/instance.dot" \
	         "(apt-get install -y graphviz to draw it)"; \
	fi

# The second example on 8 synthetic logs of 150,000 lines (about 90 MB),
# sequential and then parallel.
LOGSTATS_DATA := $(logstats_B)/data
run-logstats: $(logstats_BIN)
	@if [ ! -f $(LOGSTATS_DATA)/access-007.log ]; then \
	    mkdir -p $(LOGSTATS_DATA) && $(logstats_BIN) --generate $(LOGSTATS_DATA) 8 150000; fi
	$(logstats_BIN) --compare $(LOGSTATS_DATA) $(logstats_B)/report.txt
	cat $(logstats_B)/report.txt
