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
CMAKEDIR     ?= $(LIBDIR)/cmake/asyncjob
VIMDIR       ?= $(DATADIR)/vim/vimfiles
EMACSDIR     ?= $(DATADIR)/emacs/site-lisp

# What install puts, one MODE|SOURCE|DESTINATION a word; uninstall removes
# the same list. Templates (*.in) get the directories and the version.
INSTALL_FILES = \
    755|$(AJC)|$(BINDIR)/ajc \
    644|runtime/asyncjob.h|$(INCLUDEDIR)/asyncjob.h \
    644|$(LIBAJ)|$(LIBDIR)/libasyncjob.a \
    755|$(LIBAJ_SO)|$(LIBDIR)/$(notdir $(LIBAJ_SO)) \
    644|asyncjob.pc.in|$(PKGCONFIGDIR)/asyncjob.pc \
    644|cmake/asyncjob-config.cmake.in|$(CMAKEDIR)/asyncjob-config.cmake \
    644|cmake/asyncjob-config-version.cmake.in|$(CMAKEDIR)/asyncjob-config-version.cmake \
    644|man/ajc.1|$(MANDIR)/man1/ajc.1 \
    644|man/asyncjob.3|$(MANDIR)/man3/asyncjob.3 \
    644|man/asyncjob.7|$(MANDIR)/man7/asyncjob.7 \
    644|editors/vim/syntax/asyncjob.vim|$(VIMDIR)/syntax/asyncjob.vim \
    644|editors/vim/ftdetect/asyncjob.vim|$(VIMDIR)/ftdetect/asyncjob.vim \
    644|editors/emacs/asyncjob-mode.el|$(EMACSDIR)/asyncjob-mode.el
# LINK|TARGET: the shared library's soname and development links.
INSTALL_LINKS = $(LIBDIR)/$(LIBAJ_SONAME)|$(notdir $(LIBAJ_SO)) \
                $(LIBDIR)/libasyncjob.so|$(LIBAJ_SONAME)
INSTALL_SUBST = -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
                -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
                -e 's|@VERSION@|$(AJ_VERSION)|g' -e 's|@MAJOR@|$(AJ_MAJOR)|g' \
                -e 's|@MINOR@|$(word 2,$(AJ_VERSION_PARTS))|g' \
                -e 's|@SONAME@|$(LIBAJ_SONAME)|g' -e 's|@SIZEOF_VOID_P@|$(SIZEOF_VOID_P)|g'
# For CMake's version check; computed only when install runs.
SIZEOF_VOID_P = $(shell echo __SIZEOF_POINTER__ | $(CC) -E -P - | tail -n 1)
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

# make dist: asyncjob-VERSION.tar.gz (into DIST_DIR) of the tracked files,
# or in an unpacked tarball of those its MANIFEST lists, plus the generated
# parser and lexer in generated/grammar/, as bison's own releases ship
# theirs, so that the tarball builds without flex and bison.
DIST_NAME    := asyncjob-$(AJ_VERSION)
DIST_DIR     ?= .
DIST_STAGE   := $(B)/dist/$(DIST_NAME)
SHIPPED_GRAMMAR := generated/grammar

.PHONY: dist
dist: $(GRAMMAR_C) $(GRAMMAR_H)
	$(Q)rm -rf $(B)/dist
	$(Q)mkdir -p $(DIST_STAGE)/$(SHIPPED_GRAMMAR)
	$(call Q,GEN,$(B)/dist/MANIFEST){ if [ -e .git ]; then git ls-files; else cat MANIFEST; fi; } | \
	    grep -v -x -e MANIFEST -e '$(SHIPPED_GRAMMAR)/.*' > $(B)/dist/MANIFEST
	$(Q)tar -cf - -T $(B)/dist/MANIFEST | tar -xf - -C $(DIST_STAGE)
	$(Q)cp $(B)/dist/MANIFEST $(DIST_STAGE)/MANIFEST
	$(Q)cp $(GRAMMAR_C) $(GRAMMAR_H) $(DIST_STAGE)/$(SHIPPED_GRAMMAR)/
	$(call Q,TAR,$(DIST_DIR)/$(DIST_NAME).tar.gz)tar -C $(B)/dist --sort=name --owner=0 \
	    --group=0 --numeric-owner -czf $(DIST_DIR)/$(DIST_NAME).tar.gz $(DIST_NAME)
	@echo "$(DIST_DIR)/$(DIST_NAME).tar.gz"

# In a tarball, where flex or bison is missing, the build copies the shipped
# grammar instead of running them (explicit rules win over compiler.mk's
# pattern rules). With both tools the grammar is generated as in git.
ifneq ($(wildcard $(SHIPPED_GRAMMAR)/parser.c),)
ifeq ($(and $(shell command -v flex 2>/dev/null),$(shell command -v bison 2>/dev/null)),)
$(GRAMMAR_C) $(GRAMMAR_H): $(B)/grammar/%: $(SHIPPED_GRAMMAR)/%
	$(Q)mkdir -p $(@D)
	$(call Q,CP,$<)cp $< $@
endif
endif
