# libasyncjob: the runtime library and its one public header.
RUNTIME_SRCS := $(wildcard runtime/*.c)
RUNTIME_OBJS := $(RUNTIME_SRCS:%.c=$(B)/%.o)
LIBAJ        := $(B)/libasyncjob.a

PROGRAMS += $(LIBAJ)
ALL_OBJS += $(RUNTIME_OBJS)

$(LIBAJ): $(RUNTIME_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^
