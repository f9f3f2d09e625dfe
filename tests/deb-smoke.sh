#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package, end to end (TAP; run as root by .ci/run, not by make
# check, since it installs and removes a system package):
#  1. build it with `dpkg-buildpackage -us -uc -b` in a copy of the tree
#     (the package build never touches this tree or its build dirs);
#  2. lintian: no errors (warnings are printed);
#  3. `apt-get install ./vacmlab_*.deb`, dependencies resolved by apt;
#  4. smoke-test the installed /usr/bin/vacmlab against the stand-in: up a
#     two-node lab under a private runtime/state dir, exec ping between the
#     guests, down; man pages, completion, conffile, helper not setuid;
#  5. `apt-get purge`, so the rest of CI uses the tree's build again.
# Usage: tests/deb-smoke.sh [WORKDIR]   (default: a fresh mktemp dir)
set -u
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
W=${1:-$(mktemp -d /tmp/vacmlab-deb.XXXXXX)}
# What the tree's build dir holds now (names, sizes, times): the package
# build must leave it exactly so.
build_state() { (cd "$SRCDIR" && find build -printf '%P %s %T@\n' 2>/dev/null | sort | md5sum); }
BUILD_BEFORE=$(build_state)
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi; }
diag() { sed 's/^/# /'; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (installs a package)"; exit 0; }
[ -f "$SRCDIR/images/image.bin" ] || { echo "1..0 # SKIP no images/image.bin (make appliance)"; exit 0; }
echo "1..15"

# An allow file of the user's is kept: the package's purge would remove it.
saved=
if [ -e /etc/vacmlab/attach.conf ] && ! dpkg -S /etc/vacmlab/attach.conf >/dev/null 2>&1; then
	saved=$W/attach.conf.saved
	cp -a /etc/vacmlab/attach.conf "$saved"
fi

# 1. build in a copy: tracked and untracked-but-not-ignored files, no images
mkdir -p "$W/src"
(cd "$SRCDIR" && git ls-files -co --exclude-standard 2>/dev/null || find . -path ./build -prune -o -type f -print) |
	grep -v '^images/' | (cd "$SRCDIR" && tar -cf - -T -) | tar -xf - -C "$W/src"
(cd "$W/src" && dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1
rc=$?
deb=$(ls "$W"/vacmlab_*_amd64.deb 2>/dev/null | head -1)
ok $((rc == 0 && ${#deb} > 0 ? 0 : 1)) "dpkg-buildpackage -us -uc -b builds ${deb##*/}"
[ "$rc" = 0 ] || tail -n 30 "$W/build.log" | diag
[ -n "$deb" ] || { echo "# no package: stopping"; exit 1; }

# 2. lintian
if command -v lintian >/dev/null; then
	lintian --no-tag-display-limit "$deb" >"$W/lintian.log" 2>&1
	errs=$(grep -c '^E: ' "$W/lintian.log")
	ok $((errs == 0 ? 0 : 1)) "lintian: no errors ($(grep -c '^W: ' "$W/lintian.log") warnings)"
	grep -E '^[EW]: ' "$W/lintian.log" | diag
else
	echo "ok $((n += 1)) # SKIP lintian not installed"
fi

contents=$(dpkg -c "$deb")
echo "$contents" | awk '{ print $1, $NF }' | diag
want="./usr/bin/vacmlab ./usr/bin/vacmlab-attach ./usr/share/man/man1/vacmlab.1.gz ./usr/share/man/man5/vacmlab.conf.5.gz ./usr/share/man/man8/vacmlab-attach.8.gz ./usr/share/bash-completion/completions/vacmlab ./usr/share/zsh/vendor-completions/_vacmlab ./usr/share/vacmlab/ansible/connection_plugins/vacmlab.py ./usr/lib/systemd/user/vacmlab@.service ./etc/vacmlab/attach.conf"
miss=
for f in $want; do grep -q " $f\$" <<<"$contents" || miss="$miss $f"; done
ok $((${#miss} == 0 ? 0 : 1)) "the package carries the binaries, man pages, completions and allow file${miss:+ (missing:$miss)}"
# The docs a desk user needs offline (dh_installdocs; big ones gzipped).
miss=
for f in README.md desk.md attach.md suites.md harness.md; do
	grep -qE " ./usr/share/doc/vacmlab/$f(\.gz)?\$" <<<"$contents" || miss="$miss $f"
done
ok $((${#miss} == 0 ? 0 : 1)) "the package carries the docs (desk.md, attach.md, ...) in /usr/share/doc/vacmlab${miss:+ (missing:$miss)}"
ok "$(dpkg-deb -e "$deb" "$W/ctrl" && grep -qx /etc/vacmlab/attach.conf "$W/ctrl/conffiles"; echo $?)" \
	"/etc/vacmlab/attach.conf is a conffile"

# 3. install with apt
DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Options::=--force-confold "$deb" \
	>"$W/install.log" 2>&1
rc=$?
ok "$rc" "apt-get install -y ./${deb##*/} (dependencies resolved by apt)"
[ "$rc" = 0 ] || tail -n 20 "$W/install.log" | diag

# 4. smoke test of the installed program
V=/usr/bin/vacmlab
ok "$(stat -c %a /usr/bin/vacmlab-attach | grep -qx 755; echo $?)" \
	"vacmlab-attach is installed 0755, not setuid ($(stat -c %A /usr/bin/vacmlab-attach))"
ok "$(man -w vacmlab.conf >/dev/null 2>&1 && man -w vacmlab-attach >/dev/null 2>&1 &&
	MANWIDTH=80 man vacmlab 2>/dev/null | grep -q 'vacmlab - rootless'; echo $?)" \
	"man vacmlab, vacmlab.conf and vacmlab-attach are found"
ok "$(bash -c '. /usr/share/bash-completion/completions/vacmlab && complete -p vacmlab' >/dev/null 2>&1; echo $?)" \
	"the installed bash completion loads"
export VACMLAB_RUNTIME_DIR=$W/run VACMLAB_STATE_DIR=$W/state
out=$(cd "$SRCDIR" && timeout 180 "$V" up --name debsmoke topo/two-node.conf 2>&1)
rc=$?
ok "$rc" "/usr/bin/vacmlab up --name debsmoke topo/two-node.conf"
[ "$rc" = 0 ] || echo "$out" | tail -n 20 | diag
ok "$(timeout 30 "$V" exec debsmoke -- ping -c1 -W5 vacm2 >/dev/null 2>&1; echo $?)" \
	"/usr/bin/vacmlab exec debsmoke -- ping -c1 vacm2"
ok "$(timeout 10 "$V" inventory --format json debsmoke | grep -q '"address": "192.168.0.12"'; echo $?)" \
	"/usr/bin/vacmlab inventory lists the lab's addresses"
ok "$(timeout 60 "$V" down debsmoke >/dev/null 2>&1; echo $?)" "/usr/bin/vacmlab down debsmoke"
# anything of the lab still alive was ours: end it by pid
for p in /proc/[0-9]*; do
	tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "$W/run" && kill -9 "${p#/proc/}" 2>/dev/null
done 2>/dev/null

# 5. purge
DEBIAN_FRONTEND=noninteractive apt-get purge -y vacmlab >"$W/purge.log" 2>&1
ok "$( [ $? = 0 ] && [ ! -e /usr/bin/vacmlab ] && [ ! -e /etc/vacmlab/attach.conf ]; echo $?)" \
	"apt-get purge -y vacmlab removes the programs and the conffile"
if [ -n "$saved" ]; then
	mkdir -p /etc/vacmlab && cp -a "$saved" /etc/vacmlab/attach.conf
fi
ok "$( [ "$(build_state)" = "$BUILD_BEFORE" ]; echo $?)" \
	"the tree's build dir is untouched"
[ -n "${1:-}" ] || rm -rf "$W"
[ "$failed" = 0 ]
