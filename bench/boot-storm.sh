#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/boot-storm.sh - N stand-ins (128 MiB, one NIC, ready = dhcp) on
# this machine, all to ready, with the default boot queue (boot_parallel =
# the CPUs under TCG, ready nodes yielding to the boots), with the same
# queue and boot_yield = no, and with everything at once (--parallel N, the
# old behaviour; STORM_ALL=0 leaves it out: it takes 600 s to fail here).
# The baseline, measured in the same run:
# one node's boot time (median of 3) x N / CPUs, the ideal for CPU-bound TCG
# boots; beside it, CPUS nodes booting side by side x N / CPUS, the best a
# queue of CPUS slots can do when guests slow each other down. One node
# alone is timed again after the storms, to show how far the machine's
# speed drifted meanwhile (not used in the ratios).
# Prints a table; results in bench/out/boot-storm/.
#
# usage: bench/boot-storm.sh [N]      (default 48)
set -eu
cd "$(dirname "$0")/.."
SRC=$PWD
N=${1:-48}
VACMLAB=${VACMLAB:-$SRC/build/vacmlab}
OUT=${OUT:-$SRC/bench/out/boot-storm}
IMAGE=$SRC/images/image.bin
CPUS=$(nproc)
rm -rf "$OUT"; mkdir -p "$OUT"
export VACMLAB_RUNTIME_DIR=$OUT/run VACMLAB_STATE_DIR=$OUT/state
now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

topo() { # NAME NODES TIMEOUT [LAB_LINE]
	local extra=
	[ -z "${4:-}" ] || extra="$4"$'\n'
	{
		printf '[lab]\nname = %s\n%s[lan lan]\nsubnet = 10.200.0.0/16\ndhcp = 10.200.1.1-10.200.9.254\n' "$1" "$extra"
		for i in $(seq 1 "$2"); do
			printf '[node s%d]\nimage = %s\nmemory = 128\nnic = lan\nready = dhcp\ntimeout = %d\n' \
				"$i" "$IMAGE" "$3"
		done
	} > "$OUT/$1.conf"
}

# cpu_jiffies: busy and idle jiffies of the whole machine so far.
cpu_jiffies() { awk '/^cpu / {print $2+$3+$4+$7+$8, $5+$6}' /proc/stat; }
run_up() { # NAME LOG [up args] -> ms to all-ready, or FAIL; idle CPU share to LOG.idle
	local name=$1 log=$OUT/$2.log t0 rc b0 i0 b1 i1; shift 2
	read -r b0 i0 < <(cpu_jiffies)
	t0=$(now_ms)
	"$VACMLAB" up --fresh "$@" "$OUT/$name.conf" >> "$log" 2>&1; rc=$?
	local t=$(( $(now_ms) - t0 ))
	read -r b1 i1 < <(cpu_jiffies)
	awk -v b=$((b1 - b0)) -v i=$((i1 - i0)) 'BEGIN {printf "%.0f%%\n", 100 * i / (b + i)}' > "$log.idle"
	"$VACMLAB" down --timeout 30 "$name" >> "$log" 2>&1 || true
	[ $rc = 0 ] && echo "$t" || echo "FAIL($rc after $t ms)"
}

topo one 1 300
for r in 1 2 3; do run_up one one; done > "$OUT/one.ms"
ONE=$(grep -v FAIL "$OUT/one.ms" | median)
IDEAL=$(( ONE * N / CPUS ))

# What CPUS guests booting side by side take (they slow each other down):
# the best a queue of CPUS slots can do is that x N / CPUS.
topo pair "$CPUS" 300
for r in 1 2 3; do run_up pair pair; done > "$OUT/pair.ms"
PAIR=$(grep -v FAIL "$OUT/pair.ms" | median)
BEST=$(( PAIR * N / CPUS ))

topo storm "$N" 600
topo storm-noyield "$N" 600 "boot_yield = no"
# Each variant keeps its own log.
QUEUED=$(run_up storm storm-queued)
# The same queue, ready nodes keeping their full CPU share (before 2026-12-02).
NOYIELD=$(run_up storm-noyield storm-noyield)
if [ "${STORM_ALL:-1}" = 1 ]; then ALL=$(run_up storm storm-all --parallel "$N"); else ALL="not run"; fi
for r in 1 2 3; do run_up one one-after; done > "$OUT/one-after.ms"
ONE_AFTER=$(grep -v FAIL "$OUT/one-after.ms" | median)

ratio() { case $1 in FAIL* | not*) echo "-" ;; *) awk -v a="$1" -v b="$IDEAL" 'BEGIN {printf "%.2fx", a / b}' ;; esac; }
{
	echo "$N stand-ins (128 MiB, 1 NIC, ready = dhcp) on $CPUS CPUs, $(date -u +%F)"
	printf '%-44s %12s %10s %9s\n' "variant" "all ready" "vs ideal" "CPU idle"
	printf '%-44s %10s ms %10s %9s\n' "one node alone (median of 3)" "$ONE" "" "$(cat "$OUT/one.log.idle")"
	printf '%-44s %10s ms %10s\n' "ideal: one x $N / $CPUS CPUs" "$IDEAL" "1.00x"
	printf '%-44s %10s ms %10s %9s\n' "$CPUS booting at once (median of 3)" "$PAIR" "" "$(cat "$OUT/pair.log.idle")"
	printf '%-44s %10s ms %10s\n' "queue bound: $CPUS at once x $N / $CPUS" "$BEST" "$(ratio "$BEST")"
	printf '%-44s %10s ms %10s %9s\n' "default queue (boot_parallel = $CPUS)" "$QUEUED" "$(ratio "$QUEUED")" "$(cat "$OUT/storm-queued.log.idle")"
	printf '%-44s %10s ms %10s %9s\n' "the same, boot_yield = no" "$NOYIELD" "$(ratio "$NOYIELD")" "$(cat "$OUT/storm-noyield.log.idle")"
	printf '%-44s %10s ms %10s %9s\n' "all at once (--parallel $N)" "$ALL" "$(ratio "$ALL")" "$(cat "$OUT/storm-all.log.idle" 2>/dev/null)"
	printf '%-44s %10s ms %10s %9s\n' "one node alone, after the storms (median of 3)" "$ONE_AFTER" "" "$(cat "$OUT/one-after.log.idle")"
} | tee "$OUT/result.txt"
