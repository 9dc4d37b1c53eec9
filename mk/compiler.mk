# ajc: the .job compiler. grammar/ holds the flex and bison sources, gen/
# everything after parsing. The compiler is built as a library (libajc.a)
# that the ajc command and the tests link.
#
# The link rule: ajc links only objects built from gen/ and grammar/, never
# an object of runtime/ nor libasyncjob.a, so that editing the runtime's
# code rebuilds neither ajc nor the generated .job.c files. It takes the
# runtime's ABI number and version from asyncjob.h's macros (gen/abi.h) and
# writes DOT with a writer of its own. scripts/check-ajc-link checks the
# rule on every `make test`, from the link inputs recorded in $(B)/ajc.link.

AJC          := $(B)/ajc
AJC_LIB      := $(B)/libajc.a
GRAMMAR_C    := $(B)/grammar/parser.c $(B)/grammar/lexer.c
GRAMMAR_H    := $(B)/grammar/parser.h $(B)/grammar/lexer.h
AJC_SRCS     := $(filter-out gen/main.c,$(wildcard gen/*.c))
AJC_OBJS     := $(AJC_SRCS:%.c=$(B)/%.o) $(GRAMMAR_C:.c=.o)
AJC_CPPFLAGS := -Igen -Igrammar -I$(B)/grammar

PROGRAMS += $(AJC)
ALL_OBJS += $(AJC_OBJS) $(B)/gen/main.o
CLEAN_EXTRA +=

$(AJC_OBJS) $(B)/gen/main.o: private CPPFLAGS += $(AJC_CPPFLAGS)

# One tool run writes both outputs: a pattern rule with two targets is a group.
$(B)/grammar/%.c $(B)/grammar/%.h: grammar/%.y
	$(call need,bison)
	$(Q)mkdir -p $(@D)
	$(call Q,BISON,$<)bison -Wall -Werror --header=$(B)/grammar/$*.h -o $(B)/grammar/$*.c $<

$(B)/grammar/%.c $(B)/grammar/%.h: grammar/%.l
	$(call need,flex)
	$(Q)mkdir -p $(@D)
	$(call Q,FLEX,$<)flex --header-file=$(B)/grammar/$*.h -o $(B)/grammar/$*.c $<

# The first build only: after it, the .d files know who includes what.
$(AJC_OBJS) $(B)/gen/main.o: | $(GRAMMAR_H)

$(AJC_LIB): $(AJC_OBJS)
	$(call Q,AR,$@)rm -f $@ && $(AR) rcs $@ $^

# Everything ajc's link line holds, and that list as a file for the check.
AJC_LINK := $(B)/gen/main.o $(AJC_LIB)

$(AJC): $(AJC_LINK)
	$(call Q,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^

$(B)/ajc.link: $(AJC_LINK)
	$(call Q,GEN,$@)printf '%s\n' $^ > $@

# Generated sources: one ajc run writes both outputs of a .job file (a
# pattern rule with two targets is a group). A new ajc regenerates them; a
# change to the runtime's code does not. $(call ajc_rule,DIR) writes
# $(B)/X.job.c and $(B)/X.job.h from DIR/X.job, where DIR is the top of the
# tree (the examples and the test cases) or $(B) itself (the .job files
# that make generates, as bench's are).
define ajc_rule
$(B)/%.job.c $(B)/%.job.h: $(1)%.job $$(AJC)
	$$(Q)mkdir -p $$(@D)
	$$(call Q,AJC,$$<)$$(AJC) -o $$(@D) $$<
endef
$(eval $(call ajc_rule,))
$(eval $(call ajc_rule,$(B)/))
