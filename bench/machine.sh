#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/machine.sh - topo/two-node.conf (two stand-ins, 256 MiB, one LAN,
# ready = console "login:") from `vacmlab up` to all-ready on QEMU's pc
# machine (the default, the seed's: the boot disk on PIIX IDE) and on q35
# (AHCI), interleaved rep by rep in one run. Each boot must have mounted its
# config partition (no "cannot mount partition" on a console), else the rep
# counts as failed. `down` is not timed.
#
# usage: bench/machine.sh [REPS]     (default 3; env VACMLAB, ACCEL=tcg)
set -eu
cd "$(dirname "$0")/.."
SRC=$PWD
REPS=${1:-3}
VACMLAB=${VACMLAB:-$SRC/build/vacmlab}
IMAGE=$SRC/images/image.bin
ACCEL=${ACCEL:-tcg}
OUT=${OUT:-$SRC/bench/out/machine}
[ -f "$IMAGE" ] || { echo "machine.sh: no $IMAGE (make appliance)" >&2; exit 2; }
rm -rf "$OUT"; mkdir -p "$OUT"
export VACMLAB_RUNTIME_DIR=$OUT/run VACMLAB_STATE_DIR=$OUT/state
now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for m in pc q35; do
	sed -e "s/^name = .*/name = bm-$m\nmachine = $m/" -e "s#^image *= .*#image = $IMAGE#" \
		topo/two-node.conf > "$OUT/$m.conf"
done
one() { # MACHINE -> ms, or FAIL
	local m=$1 t0 rc t
	t0=$(now_ms)
	"$VACMLAB" up --fresh --accel "$ACCEL" "$OUT/$m.conf" >> "$OUT/$m.log" 2>&1 && rc=0 || rc=$?
	t=$(( $(now_ms) - t0 ))
	if [ $rc = 0 ] && grep -q "cannot mount partition" "$VACMLAB_STATE_DIR/bm-$m"/logs/*.ttyS0.log; then
		rc=nomount
	fi
	"$VACMLAB" down "bm-$m" >> "$OUT/$m.log" 2>&1 || true
	[ "$rc" = 0 ] && echo "$t" || echo "FAIL($rc)"
}
printf '%-6s %10s %10s\n' rep pc_ms q35_ms | tee "$OUT/result.txt"
for r in $(seq "$REPS"); do
	a=$(one pc); b=$(one q35)
	echo "$a" >> "$OUT/pc.ms"; echo "$b" >> "$OUT/q35.ms"
	printf '%-6s %10s %10s\n' "$r" "$a" "$b" | tee -a "$OUT/result.txt"
done
PC=$(grep -v FAIL "$OUT/pc.ms" | median); Q=$(grep -v FAIL "$OUT/q35.ms" | median)
{
	printf '%-6s %10s %10s\n' median "$PC" "$Q"
	awk -v a="$PC" -v b="$Q" 'BEGIN {printf "q35 / pc: %.2f (accel '"$ACCEL"', two-node up to all-ready)\n", b / a}'
} | tee -a "$OUT/result.txt"
! grep -q FAIL "$OUT/pc.ms" "$OUT/q35.ms"
