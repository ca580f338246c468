# edgeaudit — one hand-written Makefile.
#   make          build ./edgeaudit
#   make check    build and run every test (unit, end-to-end, shared captures)
#   make demo     audit the bundled example captures and print the report
#   make asan     build and test with AddressSanitizer + UBSan (in build/asan)
#   make bench    throughput and memory against ndpiReader on a synthetic corpus
#   make bench-live  monitor's zero-drop rate beside tcpdump, memory over 1 M flows (root)
#   make pcaps    rebuild the lab captures in pcaps/ (needs root)
#   make lint     include boundaries (one library per module)
#   make install  binary, data files, man page, systemd unit under PREFIX
#                 (default /usr/local; DESTDIR stages); make uninstall
#   make check-system  make install and the unit on a fresh Debian 12 booted
#                 with systemd in a container (root; tests/system/debian12.sh)
#   make fuzz     libFuzzer harnesses (tests/fuzz/), FUZZ_SECONDS each (clang);
#                 FUZZ_ONLY="source" runs only the harnesses named

.DEFAULT_GOAL := all

PKGS      := libpcap libndpi sqlite3 libcrypto libcap jansson
TEST_PKGS := cmocka
BUILD     ?= build
CC        ?= cc
SAN       ?=

# pkg-config is asked once; when it cannot find a library the install script
# runs first, so a fresh Debian 12 machine needs nothing but `make demo`.
CONFIG := $(BUILD)/config.mk
ifeq ($(filter clean lint,$(MAKECMDGOALS)),)
-include $(CONFIG)
endif
$(CONFIG): scripts/install-deps.sh
	@mkdir -p $(@D)
	@{ pkg-config --exists $(PKGS) $(TEST_PKGS) && command -v sqlite3 >/dev/null && \
	   command -v editcap >/dev/null && command -v mergecap >/dev/null && command -v jq >/dev/null && \
	   test -x /usr/sbin/rsyslogd; } || scripts/install-deps.sh
	@{ echo "DEP_CFLAGS := $$(pkg-config --cflags $(PKGS))"; \
	   echo "DEP_LIBS := $$(pkg-config --libs $(PKGS))"; \
	   echo "TEST_CFLAGS := $$(pkg-config --cflags $(TEST_PKGS))"; \
	   echo "TEST_LIBS := $$(pkg-config --libs $(TEST_PKGS))"; } > $@

WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter
CFLAGS   ?= -O2 -g
# Where the binary finds its data files (src/cli/datadir.h): a build
# uses the tree's signatures/; the installed binary (make install) is
# linked from its own main.o that knows PKGDATADIR instead.
DATA_DEFS = -DEA_DATADIR='"$(CURDIR)/signatures"'
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(CFLAGS) $(SAN) -MMD -MP \
             -Isrc -I$(BUILD) $(DEP_CFLAGS) $(DATA_DEFS)
LDLIBS_ALL = $(DEP_LIBS) -pthread

LIB_SRCS  := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
LIB_OBJS  := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/schema_sql.o
LIB       := $(BUILD)/libedgeaudit.a
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BIN       := $(if $(filter build,$(BUILD)),edgeaudit,$(BUILD)/edgeaudit)

.PHONY: all check check-system unit e2e demo asan bench bench-live pcaps lint clean deps fuzz install uninstall FORCE
all: $(BIN)

deps: $(CONFIG)

$(BUILD)/obj/%.o: src/%.c $(CONFIG)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The schema is data (db/schema.sql); the binary carries a copy so that a
# database can be created or upgraded anywhere.
$(BUILD)/schema_sql.c: db/schema.sql
	@mkdir -p $(@D)
	@{ echo '/* generated from db/schema.sql by the Makefile */'; \
	   echo 'const char ea_schema_sql[] = {'; \
	   od -An -v -tx1 $< | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	   echo '0};'; } > $@
$(BUILD)/obj/schema_sql.o: $(BUILD)/schema_sql.c $(CONFIG)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/obj/cli/main.o $(LIB)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/unit/%.c $(LIB) tests/unit/testutil.h $(CONFIG)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Itests/unit -DEA_TOPDIR='"$(CURDIR)"' \
	  -o $@ $< $(LIB) $(LDLIBS_ALL) $(TEST_LIBS)

unit: $(TEST_BINS)
	@fail=0; for t in $(TEST_BINS); do \
	  TZ=UTC LC_ALL=C EA_BIN=$(CURDIR)/$(BIN) $$t || fail=1; done; exit $$fail

# Test tools: programs the end-to-end tests run (tests/tools/).
$(BUILD)/tests/mkflows: tests/tools/mkflows.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN) -o $@ $<

# The measurement behind the duplicate window (README, "SPAN duplicates").
$(BUILD)/tests/dupwindow: tests/tools/dupwindow.c $(LIB) $(CONFIG)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS_ALL)

# A pass-through FUSE file system that turns read-only on demand: the test
# of a database whose file system becomes read-only under monitor. Built
# only where libfuse3 is installed (scripts/install-deps.sh installs it);
# without it that test says it is skipped.
ROFS := $(if $(shell pkg-config --exists fuse3 2>/dev/null && echo y),$(BUILD)/tests/rofs)
$(BUILD)/tests/rofs: tests/tools/rofs.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN) $$(pkg-config --cflags fuse3) -o $@ $< \
	  $$(pkg-config --libs fuse3)

e2e: $(BIN) $(BUILD)/tests/mkflows $(ROFS)
	@TZ=UTC LC_ALL=C EA_MKFLOWS=$(CURDIR)/$(BUILD)/tests/mkflows $(if $(ROFS),EA_ROFS=$(CURDIR)/$(ROFS)) \
	  tests/e2e/run.sh $(CURDIR)/$(BIN)

check: $(BIN) $(TEST_BINS) $(BUILD)/tests/mkflows $(ROFS)
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e

# A fresh Debian 12 (debootstrap, cached in build/system) booted with
# systemd as PID 1 (systemd-nspawn): the README's install commands, then
# the unit started, reloaded, killed and stopped (root).
check-system:
	@scripts/install-deps.sh
	@tests/system/debian12.sh

# The bundled example: the lab's captures of the Edge's two NICs.
demo: $(BIN)
	@rm -f $(BUILD)/demo.db $(BUILD)/demo.db-wal $(BUILD)/demo.db-shm
	./$(BIN) read --site pcaps/site.ini --db $(BUILD)/demo.db \
	  --external pcaps/lab-external.pcap --internal pcaps/lab-internal.pcap
	./$(BIN) report --db $(BUILD)/demo.db

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" check

bench: $(BIN)
	@scripts/install-deps.sh --bench
	@bench/run.sh $(CURDIR)/$(BIN)

# Live capture: monitor on two veth pairs fed by tcpreplay at rising rates,
# beside tcpdump in the same run; memory over a million flows (root).
bench-live: $(BIN) $(BUILD)/tests/mkflows
	@scripts/install-deps.sh --bench
	@bench/live.sh $(CURDIR)/$(BIN)

pcaps:
	@scripts/install-deps.sh --lab
	@pcaps/lab/build.sh
	@pcaps/lab/natsnat.sh
	@pcaps/lab/icmp.sh

# Coverage-guided fuzzing of the code that reads hostile bytes (the
# decoder, the capture reader, the data-file loaders, fragment reassembly,
# the whole pipeline on a capture): the library
# again, compiled by clang with coverage and sanitizers in build/fuzz/obj,
# and one libFuzzer binary per harness. Seeds are copied into build/fuzz/
# (libFuzzer writes new inputs to its corpus; the repository stays clean).
# Long: not part of `make check`.
FUZZ_SECONDS ?= 60
FUZZ_CC      := clang
FUZZ         := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE $(WARN) -O1 -g $(FUZZ_SAN) -Isrc -Ibuild $(DEP_CFLAGS) \
                -DEA_DATADIR='"$(CURDIR)/signatures"' -DEA_TOPDIR='"$(CURDIR)"'
FUZZ_OBJS    := $(LIB_SRCS:src/%.c=$(FUZZ)/obj/%.o) $(FUZZ)/obj/schema_sql.o
FUZZ_BINS    := $(FUZZ)/fuzz_decode $(FUZZ)/fuzz_config $(FUZZ)/fuzz_capture $(FUZZ)/fuzz_source $(FUZZ)/fuzz_frag

$(FUZZ)/obj/%.o: src/%.c $(CONFIG)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
$(FUZZ)/obj/schema_sql.o: build/schema_sql.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<
$(FUZZ_BINS): $(FUZZ)/%: tests/fuzz/%.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(DEP_LIBS)

# Each harness: its own corpus, crashes written to $(FUZZ)/artifacts/.
# A large capture seed is cut at -max_len (its tail reads as a truncated
# record, which is a case worth fuzzing too).
fuzz: $(FUZZ_BINS)
	@mkdir -p $(FUZZ)/artifacts $(FUZZ)/corpus/decode $(FUZZ)/corpus/config $(FUZZ)/corpus/capture $(FUZZ)/corpus/source \
	  $(FUZZ)/corpus/frag
	@cp signatures/* pcaps/site.ini $(FUZZ)/corpus/config/
	@cp pcaps/*.pcap* $(FUZZ)/corpus/capture/
	@for f in ../shared/pcaps/external/*.pcap* ../shared/cases/*.pcap*; do [ -f "$$f" ] && cp "$$f" $(FUZZ)/corpus/capture/; done; true
	@cp $(FUZZ)/corpus/capture/* $(FUZZ)/corpus/source/
	@fail=0; for h in $(or $(FUZZ_ONLY),decode config capture source frag); do \
	  case $$h in capture|source) len=131072;; frag) len=32768;; *) len=8192;; esac; \
	  echo "== fuzz_$$h for $(FUZZ_SECONDS)s"; \
	  $(FUZZ)/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -max_len=$$len -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ)/artifacts/$$h- $(FUZZ)/corpus/$$h || fail=1; \
	done; exit $$fail

# Installation, Linux conventions (FHS 3.0): the binary in BINDIR, its
# data in PKGDATADIR (which the installed binary is built to find, also
# relative to itself, so a DESTDIR-staged or moved tree finds its own),
# edgeaudit(1), the systemd unit and its system user, the site's files in
# SYSCONFDIR/edgeaudit (examples installed only where none exist: an
# operator's files are never overwritten) and the database in
# LOCALSTATEDIR/lib/edgeaudit. With DESTDIR (a package being staged) no
# user is created: the package's postinst runs
#   systemd-sysusers edgeaudit.conf   (or: useradd --system --user-group
#   --home-dir /var/lib/edgeaudit --shell /usr/sbin/nologin edgeaudit)
# UNITDIR follows PREFIX, which suits /usr and /usr/local; for another
# PREFIX (/opt/edgeaudit) systemd does not look there: install says so,
# and UNITDIR=/etc/systemd/system puts the unit where it does.
PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
PKGDATADIR    ?= $(PREFIX)/share/edgeaudit
MANDIR        ?= $(PREFIX)/share/man
UNITDIR       ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR   ?= $(PREFIX)/lib/sysusers.d
SYSCONFDIR    ?= /etc
LOCALSTATEDIR ?= /var
DESTDIR       ?=
INSTALL       ?= install
DATA_FILES    := signatures/lync2013-edge.matrix signatures/ports.sig signatures/README.md
INST          := $(BUILD)/install
# The data directory as seen from the binary's own directory.
DATA_FROM_BIN  = $(shell realpath -m --relative-to='$(BINDIR)' '$(PKGDATADIR)')

# The installed binary: the command line (src/cli/, where the data
# directory is used) compiled again with the installation's paths, linked
# before the library so that its objects are the ones used; rebuilt when
# the paths change.
INST_CLI_OBJS := $(patsubst src/%.c,$(INST)/obj/%.o,$(wildcard src/cli/*.c))
$(INST)/paths: FORCE
	@mkdir -p $(@D)
	@echo '$(PKGDATADIR) $(DATA_FROM_BIN)' | cmp -s - $@ || echo '$(PKGDATADIR) $(DATA_FROM_BIN)' > $@
$(INST_CLI_OBJS): DATA_DEFS = -DEA_DATADIR='"$(PKGDATADIR)"' -DEA_DATADIR_FROM_BIN='"$(DATA_FROM_BIN)"'
$(INST_CLI_OBJS): $(INST)/obj/%.o: src/%.c $(CONFIG) $(INST)/paths
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(INST)/edgeaudit: $(INST_CLI_OBJS) $(LIB)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS_ALL)
# Text files with the installation's paths in them.
$(INST)/%: dist/%.in $(INST)/paths
	@mkdir -p $(@D)
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@PKGDATADIR@|$(PKGDATADIR)|g' \
	    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@LOCALSTATEDIR@|$(LOCALSTATEDIR)|g' $< > $@
$(INST)/%: dist/% $(INST)/paths
	@mkdir -p $(@D)
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@PKGDATADIR@|$(PKGDATADIR)|g' \
	    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@LOCALSTATEDIR@|$(LOCALSTATEDIR)|g' $< > $@

install: $(INST)/edgeaudit $(INST)/edgeaudit-monitor.service $(INST)/monitor.env $(INST)/sysusers.conf \
	 $(INST)/logrotate.conf
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGDATADIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/edgeaudit \
	  $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	$(INSTALL) -m 755 $(INST)/edgeaudit $(DESTDIR)$(BINDIR)/edgeaudit
	$(INSTALL) -m 644 $(DATA_FILES) $(DESTDIR)$(PKGDATADIR)/
	$(INSTALL) -m 644 pcaps/site.ini $(DESTDIR)$(PKGDATADIR)/site.ini.example
	$(INSTALL) -m 644 man/edgeaudit.1 $(DESTDIR)$(MANDIR)/man1/edgeaudit.1
	$(INSTALL) -m 644 $(INST)/edgeaudit-monitor.service $(DESTDIR)$(UNITDIR)/edgeaudit-monitor.service
	$(INSTALL) -m 644 $(INST)/sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/edgeaudit.conf
	@case '$(UNITDIR)' in \
	  /etc/systemd/system|/usr/lib/systemd/system|/lib/systemd/system|/usr/local/lib/systemd/system) ;; \
	  *) echo "install: note: $(UNITDIR) is not a folder systemd reads units from (systemd.unit(5)):" \
	          "systemctl will not see edgeaudit-monitor.service; install with" \
	          "UNITDIR=/etc/systemd/system (and SYSUSERSDIR=/etc/sysusers.d), or link it there";; \
	esac
	@[ -e $(DESTDIR)$(SYSCONFDIR)/edgeaudit/monitor.env ] || \
	  { echo "$(INSTALL) -m 640 monitor.env $(DESTDIR)$(SYSCONFDIR)/edgeaudit/monitor.env"; \
	    $(INSTALL) -m 640 $(INST)/monitor.env $(DESTDIR)$(SYSCONFDIR)/edgeaudit/monitor.env; }
	@[ -e $(DESTDIR)$(SYSCONFDIR)/logrotate.d/edgeaudit ] || \
	  { echo "$(INSTALL) -m 644 logrotate.conf $(DESTDIR)$(SYSCONFDIR)/logrotate.d/edgeaudit"; \
	    $(INSTALL) -m 644 $(INST)/logrotate.conf $(DESTDIR)$(SYSCONFDIR)/logrotate.d/edgeaudit; }
ifeq ($(DESTDIR),)
	@if [ "$$(id -u)" -ne 0 ]; then \
	  echo "install: not root: no system user created (as root: useradd --system --user-group" \
	       "--home-dir $(LOCALSTATEDIR)/lib/edgeaudit --shell /usr/sbin/nologin edgeaudit)"; \
	elif ! getent passwd edgeaudit >/dev/null; then \
	  echo "useradd --system --user-group edgeaudit"; \
	  useradd --system --user-group --home-dir $(LOCALSTATEDIR)/lib/edgeaudit --no-create-home \
	    --shell /usr/sbin/nologin --comment "edgeaudit sensor" edgeaudit; \
	fi
	@if [ "$$(id -u)" -eq 0 ]; then \
	  $(INSTALL) -d -m 750 -o edgeaudit -g edgeaudit $(LOCALSTATEDIR)/lib/edgeaudit $(LOCALSTATEDIR)/log/edgeaudit; \
	  chgrp edgeaudit $(SYSCONFDIR)/edgeaudit/monitor.env; \
	  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	fi
endif

# The binary, data, man page, unit and user files; the site's files in
# SYSCONFDIR, the database in LOCALSTATEDIR and the user stay (evidence
# and configuration are never deleted by an uninstall).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/edgeaudit $(DESTDIR)$(MANDIR)/man1/edgeaudit.1 \
	  $(DESTDIR)$(UNITDIR)/edgeaudit-monitor.service $(DESTDIR)$(SYSUSERSDIR)/edgeaudit.conf \
	  $(addprefix $(DESTDIR)$(PKGDATADIR)/,$(notdir $(DATA_FILES)) site.ini.example)
	-rmdir $(DESTDIR)$(PKGDATADIR)
	@echo "uninstall: kept $(SYSCONFDIR)/edgeaudit, $(SYSCONFDIR)/logrotate.d/edgeaudit," \
	      "$(LOCALSTATEDIR)/lib/edgeaudit and the user edgeaudit (remove them by hand: userdel edgeaudit)"

# Each external library stays behind one module. libpcap's is the live
# capture module (capture files are read by capture/capfile.c).
lint:
	@bad=0; \
	for pair in pcap.h:src/capture/source_pcap.c ndpi_api.h:src/engine/classify.c sqlite3.h:src/store/store.c \
	            sys/capability.h:src/cli/privdrop.c jansson.h:src/report/eve.c; do \
	  h=$${pair%%:*}; own=$${pair#*:}; \
	  for f in $$(grep -rl "include *<.*$$h>" src 2>/dev/null); do \
	    [ "$$f" = "$$own" ] || { echo "lint: $$f includes <$$h> (only $$own may)"; bad=1; }; \
	  done; \
	done; exit $$bad

clean:
	rm -rf build edgeaudit

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/obj/*/*.d $(BUILD)/tests/*.d $(FUZZ)/obj/*.d $(FUZZ)/obj/*/*.d \
  $(INST)/obj/*/*.d)
