# ajc: the .job compiler. grammar/ holds the flex and bison sources, gen/
# everything after parsing. The compiler is built as a library (libajc.a)
# that the ajc command and the tests link, plus the runtime for its DOT.

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

$(AJC_OBJS) $(B)/gen/main.o: CPPFLAGS += $(AJC_CPPFLAGS)

# One tool run writes both outputs: a pattern rule with two targets is a group.
$(B)/grammar/%.c $(B)/grammar/%.h: grammar/%.y
	$(call need,bison)
	@mkdir -p $(@D)
	bison -Wall -Werror --header=$(B)/grammar/$*.h -o $(B)/grammar/$*.c $<

$(B)/grammar/%.c $(B)/grammar/%.h: grammar/%.l
	$(call need,flex)
	@mkdir -p $(@D)
	flex --header-file=$(B)/grammar/$*.h -o $(B)/grammar/$*.c $<

$(B)/grammar/%.o: $(B)/grammar/%.c
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The first build only: after it, the .d files know who includes what.
$(AJC_OBJS) $(B)/gen/main.o: | $(GRAMMAR_H)

$(AJC_LIB): $(AJC_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(AJC): $(B)/gen/main.o $(AJC_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

-include mk/compiler-tests.mk
