#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/flaky.sh - run one guest test N times in a row and count failures.
# Not part of `make check` (20 runs of a two-node test take ~15 minutes).
#
#   bench/flaky.sh [N [TEST]]      default: 20 runs of tests/10-lab.t
#
# Every run's TAP output is kept in bench/out/flaky-RUN.log; a failed run's
# "not ok" lines are printed as they happen, and the summary line is
#   flaky: TEST: F failed of N (runs: ...), median S s per run
# Exit status: 0 if no run failed, 1 otherwise.
set -u
cd "$(dirname "$0")/.." || exit 2
N=${1:-20}
TEST=${2:-tests/10-lab.t}
export VACMLAB=${VACMLAB:-$PWD/build/vacmlab}
export BUILD=${BUILD:-$PWD/build}
[ -x "$VACMLAB" ] || { echo "flaky: no $VACMLAB (run make)" >&2; exit 2; }
[ -f "$TEST" ] || { echo "flaky: no test $TEST" >&2; exit 2; }
mkdir -p bench/out
fails=0 failed_runs= times=()
for i in $(seq 1 "$N"); do
	log=bench/out/flaky-$i.log
	t0=$(date +%s.%N)
	# bound each run: a hung run is a failure too, not a hung benchmark
	timeout -k 10 600 prove -v "$TEST" > "$log" 2>&1
	rc=$?
	t=$(echo "$(date +%s.%N) - $t0" | bc)
	times+=("$t")
	if [ "$rc" != 0 ]; then
		fails=$((fails + 1)); failed_runs="$failed_runs $i"
		echo "run $i: FAILED (rc $rc, ${t%.*} s, $log)"
		grep -E '^not ok|^# ' "$log" | head -20 | sed 's/^/    /'
	else
		echo "run $i: ok (${t%.*} s)"
	fi
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "flaky: $TEST: $fails failed of $N${failed_runs:+ (runs:$failed_runs)}, median ${median%.*} s per run"
[ "$fails" = 0 ]
