# make install PREFIX=/usr/local DESTDIR=: ajc, the one header, the static
# library and its pkg-config file.
AJC ?= $(B)/ajc
INSTALL_ROOT = $(DESTDIR)$(PREFIX)

.PHONY: install
install: $(AJC) $(LIBAJ)
	install -d $(INSTALL_ROOT)/bin $(INSTALL_ROOT)/include $(INSTALL_ROOT)/lib/pkgconfig
	install -m 755 $(AJC) $(INSTALL_ROOT)/bin/ajc
	install -m 644 runtime/asyncjob.h $(INSTALL_ROOT)/include/asyncjob.h
	install -m 644 $(LIBAJ) $(INSTALL_ROOT)/lib/libasyncjob.a
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(AJ_VERSION)|' asyncjob.pc.in \
	    > $(INSTALL_ROOT)/lib/pkgconfig/asyncjob.pc

# The install test drives make itself: it installs from $(B) into a
# temporary prefix and builds a user project with what was installed.
BUILD_TEST := $(B)/tests/build/test_build
$(B)/tests/build/test_build.o: CPPFLAGS += -Itests/support
$(BUILD_TEST): $(B)/tests/build/test_build.o $(TEST_SUPPORT)
	$(call need_cmocka)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lcmocka
TEST_BINS += $(BUILD_TEST)
TEST_DEPS += $(AJC) $(LIBAJ)
ALL_OBJS  += $(B)/tests/build/test_build.o

# The release: version, changelog, licence (later: exports, dist).
RELEASE_TEST := $(B)/tests/build/test_release
$(B)/tests/build/test_release.o: CPPFLAGS += -Itests/support
$(RELEASE_TEST): $(B)/tests/build/test_release.o $(TEST_SUPPORT) $(LIBAJ)
	$(call need_cmocka)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lcmocka
TEST_BINS += $(RELEASE_TEST)
ALL_OBJS  += $(B)/tests/build/test_release.o
