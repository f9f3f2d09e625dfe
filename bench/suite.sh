#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/suite.sh - a suite of N tests (default 10) that each need a clean
# two-node lab, run three ways, timed as a whole:
#   cold     `vacmlab run TOPO -- TEST` per test (a full boot each);
#   warm     `vacmlab run --warm TOPO -- TEST` per test (the warm snapshot
#            is made once, by a run before the timed ones);
#   restore  one `vacmlab up --warm` lab, `vacmlab restore` before each test
#            (the pytest-vacmlab way; the up and the graceful down are
#            timed too);
#   run-restore  the same inside one `vacmlab run --warm TOPO -- SUITE`
#            (`vacmlab run --warm TOPO -- pytest` with pytest-vacmlab): a
#            throwaway lab, so its end is a kill, not a power-off.
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
OUT=${OUT:-$ROOT/bench/out/suite}
rm -rf "$OUT"; mkdir -p "$OUT"
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
# One console session: fails (exit 1) if the file is there, else writes it.
python3 "$ROOT/tests/guest-sh.py" "\$d/vacm1/ttyS0.sock" 60 \
	'test ! -e /tmp/bench-dirty && echo x > /tmp/bench-dirty' ||
	{ echo "lab not clean (or no console)" >&2; exit 1; }
ping -c1 -W5 192.168.0.12 >/dev/null
EOF
chmod +x "$T/test.sh"
now() { date +%s.%N; }
secs() { python3 -c "print('%.1f' % ($2 - $1))"; }
fail=0
# each WAY I CMD...: run one test, its output and time kept in $OUT.
each() {
	local way=$1 i=$2 t rc=0; shift 2
	t=$(now)
	"$@" >"$OUT/$way.$i.log" 2>&1 || rc=$?
	echo "$way $i $(secs "$t" "$(now)") $rc" >>"$OUT/tests.txt"
	return $rc
}

t0=$(now)
for i in $(seq "$N"); do
	each cold "$i" "$VACMLAB" run --quiet "$T/two.conf" -- "$T/test.sh" || { echo "cold test $i failed" >&2; fail=1; }
done
cold=$(secs "$t0" "$(now)")

"$VACMLAB" run --warm --quiet "$T/two.conf" -- true >"$OUT/warm.make.log" 2>&1 # makes the snapshot
t0=$(now)
for i in $(seq "$N"); do
	each warm "$i" "$VACMLAB" run --warm --quiet "$T/two.conf" -- "$T/test.sh" || { echo "warm test $i failed" >&2; fail=1; }
done
warm=$(secs "$t0" "$(now)")

t0=$(now)
"$VACMLAB" up --warm "$T/two.conf" >/dev/null 2>&1
for i in $(seq "$N"); do
	[ "$i" = 1 ] || each restore "$i" "$VACMLAB" restore "$LAB" || { echo "restore $i failed" >&2; fail=1; }
	each restore-test "$i" "$VACMLAB" exec "$LAB" -- "$T/test.sh" "$VACMLAB_RUNTIME_DIR/$LAB" || { echo "restore test $i failed" >&2; fail=1; }
done
# Control, not timed: the test must fail on the lab it just dirtied.
c0=$(now)
if "$VACMLAB" exec "$LAB" -- "$T/test.sh" "$VACMLAB_RUNTIME_DIR/$LAB" >"$OUT/control.log" 2>&1; then
	echo "control: the test passed on a dirty lab" >&2; fail=1
fi
c1=$(now)
"$VACMLAB" down "$LAB" >/dev/null 2>&1
rest=$(python3 -c "print('%.1f' % ($(now) - $t0 - ($c1 - $c0)))")

# The suite inside one run --warm: restore before each test but the first.
cat >"$T/suite-in-run.sh" <<EOF
#!/bin/sh
for i in \$(seq $N); do
	[ "\$i" = 1 ] || "$VACMLAB" restore "\$VACMLAB_LAB" >/dev/null || exit 1
	"$T/test.sh" || exit 1
done
EOF
chmod +x "$T/suite-in-run.sh"
t0=$(now)
"$VACMLAB" run --warm --quiet "$T/two.conf" -- "$T/suite-in-run.sh" >"$OUT/run-restore.log" 2>&1 ||
	{ echo "run-restore failed (see $OUT/run-restore.log)" >&2; fail=1; }
runrest=$(secs "$t0" "$(now)")

printf '%-34s %8s %8s\n' "way ($N tests)" "total s" "vs cold"
printf '%-34s %8s %8s\n' "cold: vacmlab run per test" "$cold" "1.0x"
printf '%-34s %8s %8s\n' "warm: vacmlab run --warm per test" "$warm" "$(python3 -c "print('%.1fx' % ($cold / $warm))")"
printf '%-34s %8s %8s\n' "one warm lab, restore per test" "$rest" "$(python3 -c "print('%.1fx' % ($cold / $rest))")"
printf '%-34s %8s %8s\n' "the same in one run --warm" "$runrest" "$(python3 -c "print('%.1fx' % ($cold / $runrest))")"
echo "per test (s): way min median max (each in $OUT/tests.txt, outputs beside it)"
for w in cold warm restore restore-test; do
	awk -v w="$w" '$1 == w {print $3}' "$OUT/tests.txt" | sort -n |
		awk -v w="$w" '{a[NR]=$1} END {if (NR) printf "  %-13s %5.1f %5.1f %5.1f\n", w, a[1], (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[NR]}'
done
exit $fail
