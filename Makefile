# SPDX-License-Identifier: GPL-2.0-or-later
# vacmlab build. `make` builds the programs, `make check` runs every test
# tier, `make appliance` builds the stand-in image, `make deps` installs the
# Debian packages everything needs. See README.md.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
DATADIR ?= $(PREFIX)/share/vacmlab
SYSCONFDIR ?= /etc
# systemd user units (contrib/systemd): $(PREFIX)/lib/systemd/user is on
# systemd's user unit path for /usr and /usr/local alike.
USERUNITDIR ?= $(PREFIX)/lib/systemd/user
DESTDIR ?=
BUILD ?= build
CC ?= cc
PKG_CONFIG ?= pkg-config

PKGS := libnl-3.0 libnl-route-3.0 inih jansson zlib nettle libmicrohttpd
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wswitch-enum -Wundef -Wpointer-arith -Wwrite-strings \
	-Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS ?= -O2 -g
# ATTACH_CONF is the allow file of the privileged helper: fixed at build time
# so that nothing the invoking user controls can point it elsewhere.
ATTACH_CONF ?= $(SYSCONFDIR)/vacmlab/attach.conf
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) $(CPPFLAGS) $(CFLAGS) \
	$(shell $(PKG_CONFIG) --cflags $(PKGS)) -I. \
	-DVACMLAB_ATTACH_CONF='"$(ATTACH_CONF)"' -DVACMLAB_DATADIR='"$(DATADIR)"' \
	-DVACMLAB_VERSION='"$(shell git describe --always --dirty 2>/dev/null || echo 0.1)"'
LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS)) -lpcap -lm -lpthread

# One source list per folder; the layers link one way (docs/architecture.md):
# cli -> sv -> lib -> netns. Each lower layer is a static archive, so a unit
# test links only the objects it really uses.
CLI_SRCS := $(sort $(wildcard lab/cli/*.c))
SV_SRCS := $(sort $(wildcard lab/sv/*.c))
LIB_SRCS := $(sort $(wildcard lab/lib/*.c))
NETNS_SRCS := $(sort $(wildcard netns/*.c))
CLI_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRCS))
SV_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(SV_SRCS))
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
NETNS_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(NETNS_SRCS))
ARCHIVES := $(BUILD)/libsv.a $(BUILD)/liblab.a $(BUILD)/libnetns.a
ATTACH_SRCS := $(sort $(wildcard attach/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

# The page of `vacmlab web` (docs/web.md), installed under $(DATADIR)/web.
WEB_FILES := index.html app.js app.css xterm/xterm.js xterm/xterm.css xterm/LICENSE

# Man pages: scdoc sources in docs/man/NAME.SECTION.scd.
MAN_SRCS := $(sort $(wildcard docs/man/*.scd))
MAN_PAGES := $(patsubst docs/man/%.scd,$(BUILD)/man/%,$(MAN_SRCS))

all: programs vacmlab vacmlab-attach
# What `make install` installs (no convenience symlinks in the tree).
programs: $(BUILD)/vacmlab $(BUILD)/vacmlab-attach $(MAN_PAGES)
man: $(MAN_PAGES)

$(BUILD)/man/%: docs/man/%.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@.tmp && mv $@.tmp $@

vacmlab: $(BUILD)/vacmlab
	ln -sf $< $@
vacmlab-attach: $(BUILD)/vacmlab-attach
	ln -sf $< $@

$(BUILD)/libsv.a: $(SV_OBJS)
$(BUILD)/liblab.a: $(LIB_OBJS)
$(BUILD)/libnetns.a: $(NETNS_OBJS)
$(ARCHIVES):
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/vacmlab: $(CLI_OBJS) $(ARCHIVES)
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJS) $(ARCHIVES) $(LDFLAGS) $(LIBS)

# The helper links libmnl (and nettle, for SHA-256 names) and nothing of
# lab/ or netns/: it must stay small
# enough to audit and must not contain the topology parser.
$(BUILD)/vacmlab-attach: $(ATTACH_SRCS) $(wildcard attach/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $(ATTACH_SRCS) $(LDFLAGS) $(shell $(PKG_CONFIG) --libs libmnl nettle)

# Header dependencies are generated (-MMD) and included below.
$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Test binaries keep their dependency files apart: `prove $(BUILD)/tests/*`.
# A test of a CLI module (the CLI is no archive) names its objects below.
$(BUILD)/tests/%: tests/unit/%.c $(ARCHIVES)
	@mkdir -p $(dir $@) $(BUILD)/tests-deps
	$(CC) $(ALL_CFLAGS) -MMD -MP -MF $(BUILD)/tests-deps/$*.d -o $@ $< $(filter %.o,$^) \
		$(ARCHIVES) $(LDFLAGS) $(LIBS)
$(BUILD)/tests/test_status: $(BUILD)/lab/cli/client_status.o
$(BUILD)/tests/test_web_auth: $(BUILD)/lab/cli/web_auth.o
$(BUILD)/tests/test_match: $(BUILD)/lab/cli/client_console.o $(BUILD)/lab/cli/client_ctl.o \
	$(BUILD)/lab/cli/client_status.o $(BUILD)/lab/cli/client_peers.o

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

unit: $(UNIT_BINS)

# Tier 1: unit tests, no privileges. Tier 2/3: namespace and guest tests
# (tests/*.t), which boot the stand-in appliance; `make appliance` first.
check-unit: all unit
	VACMLAB=$(CURDIR)/$(BUILD)/vacmlab BUILD=$(CURDIR)/$(BUILD) prove -f $(UNIT_BINS)

check: all unit appliance
	VACMLAB=$(CURDIR)/$(BUILD)/vacmlab BUILD=$(CURDIR)/$(BUILD) prove -f --timer $(UNIT_BINS) $(sort $(wildcard tests/*.t))

# The stand-in appliance. Never overwrites an existing image: it may be a
# user's real image.bin.
appliance: images/image.bin
images/image.bin:
	tests/appliance/build.sh $@

# Fuzzing (clang libFuzzer under ASan/UBSan): every tests/fuzz/fuzz_NAME.c
# is a target, run for FUZZ_SECONDS each by `make fuzz` (or alone by `make
# fuzz-NAME`). Its inputs: tests/fuzz/corpus/NAME/ (seeds, committed),
# tests/fuzz/regress/NAME/ (inputs that once failed: replayed first, so a
# regression fails at once), $(FUZZ)/seeds/NAME/ (made at run time by
# FUZZ_SEEDS_NAME, a shell command, if set); new inputs go to
# $(FUZZ)/work/NAME/. Any crash, leak, UB, timeout or OOM stops `make fuzz`
# with a non-zero status and leaves the input in $(FUZZ)/crash-NAME-*: fix
# the parser, then keep that file under tests/fuzz/regress/NAME/.
# A target links the library built for fuzzing ($(FUZZ)/liblab.a); one that
# needs more layers adds them as prerequisites, e.g. for a control-request
# target in lab/sv:
#   $(FUZZ)/fuzz_ctl: $(FUZZ)/libsv.a $(FUZZ)/libnetns.a
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ := $(BUILD)/fuzz
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined \
	$(shell $(PKG_CONFIG) --cflags $(PKGS)) -I.
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_RUN_FLAGS := -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
FUZZ_SEEDS_topo = cp topo/*.conf tests/topo/invalid/*.conf tests/topo/valid/*.conf $(FUZZ)/seeds/topo/
FUZZ_SEEDS_image = tests/fuzz/make-image-seeds.sh $(FUZZ)/seeds/image
FUZZ_FLAGS_image := -max_len=262144
FUZZ_SEEDS_qcow2_refs = tests/fuzz/make-image-seeds.sh $(FUZZ)/seeds/qcow2_refs
FUZZ_FLAGS_qcow2_refs := -max_len=262144
FUZZ_FLAGS_tar := -max_len=65536

$(FUZZ)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
$(FUZZ)/libsv.a: $(patsubst %.c,$(FUZZ)/obj/%.o,$(SV_SRCS))
$(FUZZ)/liblab.a: $(patsubst %.c,$(FUZZ)/obj/%.o,$(LIB_SRCS))
$(FUZZ)/libnetns.a: $(patsubst %.c,$(FUZZ)/obj/%.o,$(NETNS_SRCS))
$(FUZZ)/libsv.a $(FUZZ)/liblab.a $(FUZZ)/libnetns.a:
	@rm -f $@
	$(AR) rcs $@ $^

# The control-request target runs the supervisor's real request path.
$(FUZZ)/fuzz_ctl: $(FUZZ)/libsv.a $(FUZZ)/libnetns.a

# Archives in layer order (sv, lab, netns), whichever the target has.
$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ)/liblab.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -MF $@.d -o $@ $< \
		$(filter %/libsv.a,$^) $(filter %/liblab.a,$^) $(filter %/libnetns.a,$^) \
		$(LDFLAGS) $(LIBS)

$(addprefix fuzz-,$(FUZZ_TARGETS)): fuzz-%: $(FUZZ)/fuzz_%
	@rm -rf $(FUZZ)/seeds/$*
	@mkdir -p $(FUZZ)/work/$* $(FUZZ)/seeds/$* tests/fuzz/corpus/$* tests/fuzz/regress/$*
	$(FUZZ_SEEDS_$*)
	@echo "== fuzz_$*: $(FUZZ_SECONDS) s"
	$< -max_total_time=$(FUZZ_SECONDS) $(FUZZ_RUN_FLAGS) $(FUZZ_FLAGS_$*) \
		-artifact_prefix=$(FUZZ)/crash-$*- $(FUZZ)/work/$* \
		tests/fuzz/corpus/$* tests/fuzz/regress/$* $(FUZZ)/seeds/$*

fuzz: $(addprefix fuzz-,$(FUZZ_TARGETS))

DEBIAN_DEPS := build-essential pkg-config clang libclang-rt-14-dev \
	libnl-3-dev libnl-route-3-dev libmnl-dev libinih-dev libjansson-dev \
	libpcap-dev nettle-dev zlib1g-dev dnsmasq-base qemu-system-x86 qemu-utils iproute2 \
	busybox-static syslinux syslinux-common mtools fdisk dosfstools \
	e2fsprogs kmod cpio xz-utils jq socat tcpdump passt util-linux \
	procps expect python3 iputils-ping wget curl netcat-openbsd nftables \
	clang-format scdoc graphviz debhelper lintian bash-completion ansible-core time \
	python3-venv python3-pytest python3-setuptools \
	libmicrohttpd-dev chromium chromium-driver python3-selenium \
	podman runc netavark aardvark-dns iptables catatonit mmdebstrap python3-yaml

deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEBIAN_DEPS)

# The helper is installed 0755, never setuid: it is meant for sudo only.
install: programs
	install -D -m 0755 $(BUILD)/vacmlab $(DESTDIR)$(BINDIR)/vacmlab
	install -D -m 0755 $(BUILD)/vacmlab-attach $(DESTDIR)$(BINDIR)/vacmlab-attach
	for p in $(MAN_PAGES); do \
		install -D -m 0644 $$p $(DESTDIR)$(MANDIR)/man$${p##*.}/$${p##*/} || exit 1; done
	install -D -m 0644 contrib/completion/vacmlab.bash $(DESTDIR)$(BASHCOMPDIR)/vacmlab
	install -D -m 0644 contrib/completion/_vacmlab $(DESTDIR)$(ZSHCOMPDIR)/_vacmlab
	install -D -m 0644 contrib/ansible/connection_plugins/vacmlab.py \
		$(DESTDIR)$(DATADIR)/ansible/connection_plugins/vacmlab.py
	for f in $(WEB_FILES); do \
		install -D -m 0644 web/$$f $(DESTDIR)$(DATADIR)/web/$$f || exit 1; done
	@if [ -e $(DESTDIR)$(ATTACH_CONF) ]; then echo "keeping $(DESTDIR)$(ATTACH_CONF)"; \
	else install -D -m 0644 attach/attach.conf.example $(DESTDIR)$(ATTACH_CONF); fi
	install -d $(DESTDIR)$(USERUNITDIR)
	sed 's|/usr/bin/vacmlab|$(BINDIR)/vacmlab|' contrib/systemd/vacmlab@.service \
		> $(DESTDIR)$(USERUNITDIR)/vacmlab@.service
	chmod 0644 $(DESTDIR)$(USERUNITDIR)/vacmlab@.service

format-check:
	clang-format --dry-run --Werror $(wildcard lab/*/*.[ch] netns/*.[ch] attach/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c bench/*.c)

clean:
	rm -rf $(BUILD) build-* vacmlab vacmlab-attach

.PHONY: all programs man unit check check-unit appliance fuzz $(addprefix fuzz-,$(FUZZ_TARGETS)) \
	deps install clean format-check

# The README's first command: build everything and bring up the two-node
# lab on the stand-in appliance (or on a real images/image.bin).
demo: all appliance
	$(BUILD)/vacmlab up topo/two-node.conf
	@echo "Try: ./vacmlab exec two-node -- ping -c1 vacm2;  ./vacmlab console two-node vacm1;  ./vacmlab down two-node"

.PHONY: demo
