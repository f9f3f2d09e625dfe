#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/suite.sh - a suite of N tests (default 10) that each need a clean
# two-node lab, run three ways, timed as a whole:
#   cold     `vacmlab run TOPO -- TEST` per test (a full boot each);
#   warm     `vacmlab run --warm TOPO -- TEST` per test (the warm snapshot
#            is made once, by a run before the timed ones);
#   restore  one `vacmlab up --warm` lab, `vacmlab restore` before each test
#            (the pytest-vacmlab way; the up is timed too).
# Each test checks that its lab is clean (no /tmp/bench-dirty in vacm1),
# dirties it, and pings vacm2 from the lab: a lab that was not clean fails.
#
#   bench/suite.sh [N]        (env VACMLAB, IMAGE)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VACMLAB=${VACMLAB:-$ROOT/build/vacmlab}
IMAGE=${IMAGE:-$ROOT/images/image.bin}
N=${1:-10}
[ -x "$VACMLAB" ] || { echo "no $VACMLAB: run make" >&2; exit 2; }
[ -f "$IMAGE" ] || { echo "no $IMAGE: run make appliance" >&2; exit 2; }

T=$(mktemp -d /tmp/vacmlab-bench.XXXXXX)
export VACMLAB_RUNTIME_DIR=$T/run VACMLAB_STATE_DIR=$T/state
LAB=bsuite$$
cleanup() { "$VACMLAB" down --timeout 5 "$LAB" >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT
sed -e "s/^name = .*/name = $LAB/" -e "s#^image *= .*#image = $IMAGE#" \
	"$ROOT/topo/two-node.conf" >"$T/two.conf"

# The test: in a run's CMD (VACMLAB_LAB_DIR set) or with LAB_DIR given.
cat >"$T/test.sh" <<EOF
#!/bin/sh
d=\${VACMLAB_LAB_DIR:-\$1}
g() { python3 "$ROOT/tests/guest-sh.py" "\$d/vacm1/ttyS0.sock" 60 "\$@"; }
[ "\$(g 'ls /tmp/bench-dirty 2>/dev/null | wc -l')" = 0 ] || { echo "lab not clean" >&2; exit 1; }
g 'echo x > /tmp/bench-dirty' >/dev/null || exit 1
ping -c1 -W5 192.168.0.12 >/dev/null
EOF
chmod +x "$T/test.sh"
now() { date +%s.%N; }
secs() { python3 -c "print('%.1f' % ($2 - $1))"; }
fail=0

t0=$(now)
for i in $(seq "$N"); do
	"$VACMLAB" run --quiet "$T/two.conf" -- "$T/test.sh" >/dev/null 2>&1 || { echo "cold test $i failed" >&2; fail=1; }
done
cold=$(secs "$t0" "$(now)")

"$VACMLAB" run --warm --quiet "$T/two.conf" -- true >/dev/null 2>&1 # makes the snapshot
t0=$(now)
for i in $(seq "$N"); do
	"$VACMLAB" run --warm --quiet "$T/two.conf" -- "$T/test.sh" >/dev/null 2>&1 || { echo "warm test $i failed" >&2; fail=1; }
done
warm=$(secs "$t0" "$(now)")

t0=$(now)
"$VACMLAB" up --warm "$T/two.conf" >/dev/null 2>&1
for i in $(seq "$N"); do
	[ "$i" = 1 ] || "$VACMLAB" restore "$LAB" >/dev/null 2>&1 || { echo "restore $i failed" >&2; fail=1; }
	"$VACMLAB" exec "$LAB" -- "$T/test.sh" "$VACMLAB_RUNTIME_DIR/$LAB" >/dev/null 2>&1 || { echo "restore test $i failed" >&2; fail=1; }
done
"$VACMLAB" down "$LAB" >/dev/null 2>&1
rest=$(secs "$t0" "$(now)")

printf '%-34s %8s %8s\n' "way ($N tests)" "total s" "vs cold"
printf '%-34s %8s %8s\n' "cold: vacmlab run per test" "$cold" "1.0x"
printf '%-34s %8s %8s\n' "warm: vacmlab run --warm per test" "$warm" "$(python3 -c "print('%.1fx' % ($cold / $warm))")"
printf '%-34s %8s %8s\n' "one warm lab, restore per test" "$rest" "$(python3 -c "print('%.1fx' % ($cold / $rest))")"
exit $fail
