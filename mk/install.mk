# make install, uninstall and dist.
#
#   make install PREFIX=/usr/local LIBDIR=/usr/local/lib64 DESTDIR=/tmp/stage
#   make uninstall (the same variables)   removes exactly what install put,
#                                         then the directories left empty
#   make dist                             asyncjob-VERSION.tar.gz, which
#                                         builds without flex and bison
#
# The GNU directory variables, each overridable on the command line.
AJC ?= $(B)/ajc
BINDIR       ?= $(PREFIX)/bin
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
DATADIR      ?= $(PREFIX)/share
MANDIR       ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

# What install puts, one MODE|SOURCE|DESTINATION a word; uninstall removes
# the same list. Templates (*.in) get the directories and the version.
INSTALL_FILES = \
    755|$(AJC)|$(BINDIR)/ajc \
    644|runtime/asyncjob.h|$(INCLUDEDIR)/asyncjob.h \
    644|$(LIBAJ)|$(LIBDIR)/libasyncjob.a \
    755|$(LIBAJ_SO)|$(LIBDIR)/$(notdir $(LIBAJ_SO)) \
    644|asyncjob.pc.in|$(PKGCONFIGDIR)/asyncjob.pc
# LINK|TARGET: the shared library's soname and development links.
INSTALL_LINKS = $(LIBDIR)/$(LIBAJ_SONAME)|$(notdir $(LIBAJ_SO)) \
                $(LIBDIR)/libasyncjob.so|$(LIBAJ_SONAME)
INSTALL_SUBST = -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
                -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
                -e 's|@VERSION@|$(AJ_VERSION)|g' -e 's|@MAJOR@|$(AJ_MAJOR)|g' \
                -e 's|@SONAME@|$(LIBAJ_SONAME)|g'
install_field = $(word $(2),$(subst |, ,$(1)))

.PHONY: install uninstall
install: $(foreach f,$(INSTALL_FILES),$(call install_field,$(f),2))
	@set -e; for f in $(foreach f,$(INSTALL_FILES),'$(f)'); do \
	    mode=$${f%%|*}; src=$${f#*|}; dst="$(DESTDIR)$${src#*|}"; src=$${src%%|*}; \
	    echo "install $$src $$dst"; install -d "$${dst%/*}"; \
	    case $$src in \
	    *.in) sed $(INSTALL_SUBST) "$$src" > "$$dst.tmp" && chmod $$mode "$$dst.tmp" && \
	          mv "$$dst.tmp" "$$dst";; \
	    *) install -m $$mode "$$src" "$$dst";; \
	    esac; \
	done; \
	for l in $(foreach l,$(INSTALL_LINKS),'$(l)'); do \
	    echo "ln -sf $${l#*|} $(DESTDIR)$${l%%|*}"; ln -sf "$${l#*|}" "$(DESTDIR)$${l%%|*}"; \
	done

# Removes the files, then each of their directories inside the prefix that
# is left empty, and its parents, up to the prefix itself.
uninstall:
	@for f in $(foreach f,$(INSTALL_FILES),'$(f)') $(foreach l,$(INSTALL_LINKS),'|x|$(l)'); do \
	    dst="$(DESTDIR)$${f#*|*|}"; dst=$${dst%%|*}; \
	    if [ -e "$$dst" ] || [ -L "$$dst" ]; then echo "rm $$dst"; rm -f "$$dst"; fi; \
	    d=$${dst%/*}; \
	    while case $$d in "$(DESTDIR)$(PREFIX)"/*) true;; *) false;; esac && \
	          rmdir "$$d" 2>/dev/null; do echo "rmdir $$d"; d=$${d%/*}; done; \
	done

# The build and install tests drive make themselves: they install from $(B)
# into a temporary prefix and build user projects with what was installed.
BUILD_TESTS := $(patsubst %,$(B)/tests/build/%,test_build test_install)
BUILD_UTIL  := $(B)/tests/build/project.o
$(BUILD_TESTS:=.o) $(BUILD_UTIL): CPPFLAGS += -Itests/support
$(BUILD_TESTS): %: %.o $(BUILD_UTIL) $(TEST_SUPPORT)
	$(call need_cmocka)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lcmocka
TEST_BINS += $(BUILD_TESTS)
TEST_DEPS += $(AJC) $(LIBAJ) $(LIBAJ_SO) $(LIBAJ_LINKS)
ALL_OBJS  += $(BUILD_TESTS:=.o) $(BUILD_UTIL)

# The release: version, changelog, licence, the shared library's exports.
RELEASE_TEST := $(B)/tests/build/test_release
$(B)/tests/build/test_release.o: CPPFLAGS += -Itests/support
$(RELEASE_TEST): $(B)/tests/build/test_release.o $(TEST_SUPPORT) $(LIBAJ)
	$(call need_cmocka)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lcmocka
TEST_BINS += $(RELEASE_TEST)
TEST_DEPS += $(LIBAJ_SO) $(LIBAJ_LINKS)
ALL_OBJS  += $(B)/tests/build/test_release.o
