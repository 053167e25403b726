# ctdb checksamba / checktcpport: plain GNU make, no generated build system.
#
#   make                  build build/ctdb
#   make check            unit, scenario, integration and cluster tests
#   make install          PREFIX=/usr/local DESTDIR=
#   make install-eventscript CTDB_BASE=/etc/ctdb
#   make demo             the whole point, against a real smbd (root)
#   make bench            side-by-side benchmarks (root)
#   make check-deps       prove scripts/deps.txt lists every command run

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SCRIPTDIR  ?= $(PREFIX)/share/ctdb-checksamba
CTDB_BASE  ?= /etc/ctdb
STOCK_CTDB ?= /usr/bin/ctdb

CC         ?= cc
CFLAGS     ?= -O2 -g
WARNFLAGS  := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
	      -Wstrict-prototypes -Wno-unused-parameter
PKG_CONFIG ?= pkg-config

# Every dependency is checked here, so that a missing one names its
# Debian package instead of failing deep inside the compiler.
NEED_BUILD := $(filter-out clean help,$(or $(MAKECMDGOALS),all))
ifneq ($(NEED_BUILD),)
ifneq ($(shell $(PKG_CONFIG) --version 2>/dev/null),)
else
$(error pkg-config not found: apt-get install pkg-config)
endif
ifneq ($(shell $(PKG_CONFIG) --exists popt && echo y),y)
$(error libpopt not found: apt-get install libpopt-dev)
endif
ifneq ($(shell $(PKG_CONFIG) --exists talloc && echo y),y)
$(error libtalloc not found: apt-get install libtalloc-dev)
endif
# the commands of the build (scripts/deps.txt): "missing: CMD (PKG)" lines
ifneq ($(shell tests/preflight.sh build >&2 || echo n),)
$(error commands missing: scripts/install-deps.sh installs them)
endif
endif

# libwbclient: its headers at build time; the library itself is loaded
# with dlopen() when the winbind ping runs (checks/winbind.c)
HAVE_WBCLIENT ?= $(shell $(PKG_CONFIG) --exists wbclient && echo 1 || echo 0)
PKGS := popt talloc
ifeq ($(HAVE_WBCLIENT),1)
WB_SONAME := $(shell objdump -p \
	$$($(PKG_CONFIG) --variable=libdir wbclient)/libwbclient.so \
	2>/dev/null | awk '$$1 == "SONAME" { print $$2 }')
WB_CPPFLAGS := -DHAVE_WBCLIENT=1 \
	$(if $(WB_SONAME),-DWBCLIENT_SONAME='"$(WB_SONAME)"') \
	$(shell $(PKG_CONFIG) --cflags wbclient 2>/dev/null)
# the unit tests link libwbclient (test_winbind passes some calls on
# to it), and export their own wbcCtxPing for dlsym() to find
WB_TEST_LIBS := -rdynamic -Wl,--no-as-needed \
	$(shell $(PKG_CONFIG) --libs wbclient 2>/dev/null)
endif

CPPFLAGS += -I. -D_GNU_SOURCE $(WB_CPPFLAGS) \
	    -DSTOCK_CTDB='"$(STOCK_CTDB)"' \
	    $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -pthread -ldl

B := build
# libchecks.a: the check module and the compat checkers, never cmd/
# (the unit tests link the library alone)
LIB_SRC  := $(sort $(wildcard checks/*.c compat/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
CMD_SRC  := $(sort $(wildcard cmd/*.c))
CMD_OBJ  := $(CMD_SRC:%.c=$(B)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(B)/tests/helpers/%)

all: $(B)/ctdb

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARNFLAGS) -MMD -MP -c -o $@ $<

$(B)/libchecks.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/ctdb: $(CMD_OBJ) $(B)/libchecks.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/test_%: tests/unit/test_%.c $(B)/libchecks.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARNFLAGS) -Wno-missing-prototypes \
		$(shell $(PKG_CONFIG) --cflags cmocka) -o $@ $< \
		$(B)/libchecks.a $(LDLIBS) $(shell $(PKG_CONFIG) --libs cmocka) \
		$(WB_TEST_LIBS)

$(B)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARNFLAGS) -Wno-missing-prototypes -o $@ $< $(LDLIBS)

# tests/helpers/hangfs (a FUSE filesystem whose stat hangs) needs libfuse3
HAVE_FUSE3 ?= $(shell $(PKG_CONFIG) --exists fuse3 && echo 1 || echo 0)
ifneq ($(HAVE_FUSE3),1)
HELPER_BIN := $(filter-out $(B)/tests/helpers/hangfs,$(HELPER_BIN))
endif
$(B)/tests/helpers/hangfs: tests/helpers/hangfs.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARNFLAGS) -Wno-missing-prototypes \
		$(shell $(PKG_CONFIG) --cflags fuse3) -o $@ $< \
		$(shell $(PKG_CONFIG) --libs fuse3)

# The front-end with the test hooks of cmd/checktcpport.c compiled in
# (CTDB_TEST_PROC_ROOT, CTDB_TEST_TCPPORT_METHOD): for the test suite
# only; build/ctdb has no such hooks.
HOOKS_OBJ := $(filter-out $(B)/cmd/checktcpport.o,$(CMD_OBJ)) \
	     $(B)/tests/hooks/checktcpport.o
$(B)/tests/hooks/checktcpport.o: cmd/checktcpport.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DCTDB_TEST_HOOKS=1 $(CFLAGS) $(WARNFLAGS) -MMD -MP \
		-c -o $@ $<
$(B)/tests/ctdb-hooks: $(HOOKS_OBJ) $(B)/libchecks.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

unit-tests: $(UNIT_BIN) $(HELPER_BIN) $(B)/tests/ctdb-hooks

# The whole suite: unit (cmocka), scenario (stubs on PATH, real sockets),
# integration (real smbd, winbindd, ctdbd; root) and cluster (three
# ctdbd nodes in namespaces; root).  One summary line.
check: all unit-tests
	@tests/run-all.sh

check-unit: all unit-tests
	@tests/run-all.sh unit

check-scenarios: all unit-tests
	@tests/run-all.sh scenarios

check-integration: all unit-tests
	@tests/run-all.sh integration

# PREFLIGHT SUITE: stop at once, naming each missing command and package
PREFLIGHT = @tests/preflight.sh

demo: all
	$(PREFLIGHT) demo
	@tests/integration/demo.sh

# AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/,
# running the unit and scenario suites.
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=undefined
check-asan:
	$(MAKE) B=build-asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="$(ASAN_FLAGS)" \
		all unit-tests
	@BUILD_DIR=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
		UBSAN_OPTIONS=print_stacktrace=1 tests/run-all.sh unit scenarios

# memcheck over the unit tests and every checksamba run of the scenarios
check-valgrind: all unit-tests
	$(PREFLIGHT) valgrind
	@TEST_WRAPPER="valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=99" \
		CTDB_FRONTEND="$(CURDIR)/tests/valgrind-ctdb.sh" \
		tests/run-all.sh unit scenarios

# libFuzzer targets (clang), each for FUZZ_SECONDS
FUZZ_SECONDS ?= 60
fuzz:
	$(PREFLIGHT) fuzz
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: all
	$(PREFLIGHT) bench
	@tests/bench/run.sh

check-cluster: all
	$(PREFLIGHT) cluster
	@tests/cluster/run.sh

# every suite under strace with a PATH of the listed commands only (root)
check-deps: all unit-tests
	@tests/deps/run.sh

install: all
	@scripts/install-frontend.sh "$(B)/ctdb" "$(DESTDIR)$(BINDIR)/ctdb"
	install -d "$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(SCRIPTDIR)"
	install -m 0644 man/*.1 "$(DESTDIR)$(MANDIR)/man1/"
	for s in 50.samba 50.samba.script; do \
		sed -e 's|@CTDB_FRONTEND@|$(BINDIR)/ctdb|g' scripts/$$s \
			> "$(DESTDIR)$(SCRIPTDIR)/$$s.tmp" && \
		chmod 0755 "$(DESTDIR)$(SCRIPTDIR)/$$s.tmp" && \
		mv "$(DESTDIR)$(SCRIPTDIR)/$$s.tmp" "$(DESTDIR)$(SCRIPTDIR)/$$s" || exit 1; \
	done

install-eventscript:
	@scripts/install-eventscript.sh "$(DESTDIR)$(SCRIPTDIR)/50.samba.script" \
		"$(DESTDIR)$(CTDB_BASE)"

# The Debian package ctdb-checksamba (debian/), built in a copy of the
# tree: dpkg-buildpackage cleans its tree ("make clean" would remove
# build/) and writes the package to the parent directory, so both stay
# inside build/deb/.  lintian fails the target on an error.
DEB_OUT := build/deb
DEB_SRC := $(DEB_OUT)/src/ctdb-checksamba
deb:
	rm -rf $(DEB_OUT)
	mkdir -p $(DEB_SRC)
	tar -cf - --anchored --exclude=./build --exclude=./build-asan \
		--exclude=./build-fuzz --exclude=./.git . | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	cp $(DEB_OUT)/src/*.deb $(DEB_OUT)/src/*.buildinfo \
		$(DEB_OUT)/src/*.changes $(DEB_OUT)/
	lintian --fail-on error $(DEB_OUT)/*.changes
	@ls -1 $(DEB_OUT)/*.deb

# Installs the package on this machine and removes it again (root): see
# tests/deb/run.sh.  It builds the package first.
check-deb:
	@tests/deb/run.sh

.PHONY: deb check-deb

clean:
	rm -rf build build-asan build-fuzz

help:
	@sed -n '2,9p' Makefile | sed 's/^# *//'

.PHONY: all check check-unit check-scenarios check-integration unit-tests \
	demo install install-eventscript clean help check-asan check-valgrind \
	fuzz bench check-cluster check-deps

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d)
