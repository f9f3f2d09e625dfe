#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/snapshot-vs-boot.sh - time a two-node `vacmlab up` to ready from a
# cold boot against `vacmlab up --snapshot`, interleaved in one run (so both
# see the same machine load), REPS repetitions each; prints every sample,
# the medians and their ratio.
#
#   bench/snapshot-vs-boot.sh [REPS]      (default 3; env VACMLAB, IMAGE)
#
# Both sides use the same lab and the same overlays: the snapshot "bench" is
# taken once, from a ready lab, and lives in each node's overlay. Times are
# wall clock from starting `vacmlab up` until it returns with every node
# ready (ready = console "login:"; a restored node is ready once QEMU runs
# it, see docs/state.md). `down` is not timed.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VACMLAB=${VACMLAB:-$ROOT/build/vacmlab}
IMAGE=${IMAGE:-$ROOT/images/image.bin}
REPS=${1:-3}
[ -x "$VACMLAB" ] || { echo "no $VACMLAB: run make" >&2; exit 2; }
[ -f "$IMAGE" ] || { echo "no $IMAGE: run make appliance" >&2; exit 2; }

T=$(mktemp -d /tmp/vacmlab-bench.XXXXXX)
export VACMLAB_RUNTIME_DIR=$T/run VACMLAB_STATE_DIR=$T/state
LAB=bench-snap
cleanup() { "$VACMLAB" down --timeout 5 "$LAB" >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT

cat > "$T/two.conf" <<EOF
[lab]
name = $LAB
[lan lan]
subnet  = 192.168.0.0/24
address = 192.168.0.254
[node vacm1]
image   = $IMAGE
memory  = 256
nic     = lan 192.168.0.11
serial  = console
ready   = console "login:"
timeout = 180
[node vacm2]
image   = $IMAGE
memory  = 256
nic     = lan 192.168.0.12
serial  = console
ready   = console "login:"
timeout = 180
EOF

ms() { date +%s%N | cut -b1-13; }
# time_up ARGS...: milliseconds until `vacmlab up ARGS` returns ready
time_up() {
	local t0 t1
	t0=$(ms)
	"$VACMLAB" up "$@" "$T/two.conf" >/dev/null 2>"$T/up.err" ||
		{ echo "vacmlab up $* failed:" >&2; cat "$T/up.err" >&2; exit 1; }
	t1=$(ms)
	echo $((t1 - t0))
}
down() { "$VACMLAB" down "$LAB" >/dev/null 2>&1; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "# two-node up to ready: cold boot vs --snapshot; $REPS reps each, interleaved"
echo "# preparing: cold up, snapshot 'bench' of both nodes, down"
time_up >/dev/null
accel=$("$VACMLAB" status --json "$LAB" | sed -n 's/.*"accel": *"\([a-z]*\)".*/\1/p')
echo "# $(nproc) CPUs, accel ${accel:-?}, image $IMAGE"
for n in vacm1 vacm2; do "$VACMLAB" snapshot "$LAB" $n save bench >/dev/null; done
down

cold=() snap=()
printf '%-4s %12s %12s\n' rep cold_ms snapshot_ms
for i in $(seq 1 "$REPS"); do
	c=$(time_up); down
	s=$(time_up --snapshot bench)
	# the restored lab must really work: both nodes answer ping
	for a in 192.168.0.11 192.168.0.12; do
		"$VACMLAB" exec "$LAB" -- ping -c 1 -W 3 $a >/dev/null ||
			{ echo "restored node $a does not answer ping" >&2; exit 1; }
	done
	down
	cold+=("$c") snap+=("$s")
	printf '%-4s %12s %12s\n' "$i" "$c" "$s"
done
mc=$(median "${cold[@]}") msn=$(median "${snap[@]}")
printf '%-4s %12s %12s\n' median "$mc" "$msn"
awk -v c="$mc" -v s="$msn" 'BEGIN { printf "ratio cold/snapshot: %.1fx (%.2f s vs %.2f s)\n", c / s, c / 1000, s / 1000 }'
