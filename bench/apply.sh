#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/apply.sh - what `vacmlab apply` saves: adding one node to a running
# two-node lab (apply of the three-node topology) against the baseline,
# measured in the same run, of taking the lab down and bringing the
# three-node topology up (down + up). The stand-ins of topo/two-node.conf
# (ready = console "login:"); disks are kept between runs, as on a desk.
# Prints a table with the medians and the ratio; results in bench/out/apply/.
#
# usage: bench/apply.sh [RUNS]      (default 3)
set -eu
cd "$(dirname "$0")/.."
SRC=$PWD
RUNS=${1:-3}
VACMLAB=${VACMLAB:-$SRC/build/vacmlab}
OUT=${OUT:-$SRC/bench/out/apply}
IMAGE=$SRC/images/image.bin
LAB=apb-$$
rm -rf "$OUT"; mkdir -p "$OUT"
export VACMLAB_RUNTIME_DIR=$OUT/run VACMLAB_STATE_DIR=$OUT/state
now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
trap '"$VACMLAB" down --timeout 10 "$LAB" >/dev/null 2>&1 || true' EXIT

sed -e "s/^name = .*/name = $LAB/" -e "s/192\.168\.0\./10.176.0./g" \
	-e "s|^image *= .*|image   = $IMAGE|" topo/two-node.conf > "$OUT/two.conf"
cat "$OUT/two.conf" - > "$OUT/three.conf" <<EOF

[node vacm3]
image   = $IMAGE
memory  = 256
nic     = lan 10.176.0.13
serial  = console
ready   = console "login:"
timeout = 120
EOF

timed() { # LOG CMD... -> ms
	local log=$1 t0; shift
	t0=$(now_ms)
	"$@" >> "$OUT/$log" 2>&1 || { echo "FAILED: $* (see $OUT/$log)" >&2; exit 1; }
	echo $(( $(now_ms) - t0 ))
}

for r in $(seq 1 "$RUNS"); do
	timed up.log "$VACMLAB" up "$OUT/two.conf" > /dev/null
	timed apply.log "$VACMLAB" apply "$OUT/three.conf" >> "$OUT/apply.ms"
	# The baseline: the same change by down and up.
	timed downup.log sh -c "'$VACMLAB' down '$LAB' && '$VACMLAB' up '$OUT/three.conf'" \
		>> "$OUT/downup.ms"
	timed down.log "$VACMLAB" down "$LAB" > /dev/null
done
A=$(median < "$OUT/apply.ms")
B=$(median < "$OUT/downup.ms")
{
	echo "add one node to a running two-node lab, $RUNS runs, $(nproc) CPUs, $(date -u +%F)"
	printf '%-40s %10s  %s\n' "variant" "median ms" "runs (ms)"
	printf '%-40s %10s  %s\n' "apply (two -> three nodes)" "$A" "$(tr '\n' ' ' < "$OUT/apply.ms")"
	printf '%-40s %10s  %s\n' "baseline: down + up of three nodes" "$B" "$(tr '\n' ' ' < "$OUT/downup.ms")"
	awk -v a="$A" -v b="$B" 'BEGIN { printf "apply takes %.2fx the time of down + up (%.1fx faster)\n", a / b, b / a }'
} | tee "$OUT/result.txt"
