#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/udp-forward.sh - round-trip time and throughput of a rootless UDP
# forward (lab/sv/sv_udp.c) against the same traffic sent directly from
# inside the lab's namespace (`vacmlab exec`), side by side in one run.
#
# usage: bench/udp-forward.sh [REPS [SECONDS]]   (default 3 reps, 3 s each)
# env:   VACMLAB (binary), IMAGE (stand-in image)
#
# Two endpoints, each measured through the forward (a client on the host's
# 127.0.0.1) and directly (the same client run in the lab by `vacmlab exec`):
#   guest   the stand-in's UDP echo on port 7 (what a user sees; under TCG
#           the guest is the bottleneck, so the ratio is near 1);
#   local   a Python echo server in the lab's namespace bound to the
#           guest's address, added to the lab's own lo (as
#           bench/forward-throughput.sh does), so the relay's own cost shows.
# The client is tests/udp-probe.py: `rtt` does 500 round trips one after
# another (median and p90), `tput` keeps 32 datagrams of 512 bytes in
# flight for SECONDS (replies per second).
set -u
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
VACMLAB=${VACMLAB:-$SRCDIR/build/vacmlab}
IMAGE=${IMAGE:-$SRCDIR/images/image.bin}
REPS=${1:-3}
SECS=${2:-3}
PROBE=$SRCDIR/tests/udp-probe.py
command -v python3 >/dev/null || { echo "bench: python3 not installed" >&2; exit 2; }

T=$(mktemp -d /tmp/vacmlab-bench.XXXXXX)
export VACMLAB_RUNTIME_DIR=$T/run VACMLAB_STATE_DIR=$T/state
LAB=udpbench-$$
SUB=10.134.$(( $$ % 200 + 20 ))
SVC=$SUB.11 LPORT=9007
pids=()
cleanup() {
	"$VACMLAB" down --timeout 5 "$LAB" >/dev/null 2>&1
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

read -r PG PL < <(python3 -c '
import socket
ss = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

cat > "$T/lab.conf" <<EOF
[lab]
name = $LAB
[lan lan]
subnet = $SUB.0/24
dhcp   = $SUB.100-$SUB.150
[node n1]
image   = $IMAGE
nic     = lan $SVC
serial  = console
ready   = console "login:"
timeout = 120
forward = udp 127.0.0.1:$PG 7
forward = udp 127.0.0.1:$PL $LPORT
EOF
"$VACMLAB" up "$T/lab.conf" > "$T/up.log" 2>&1 || { cat "$T/up.log"; exit 1; }
ACCEL=$("$VACMLAB" status --json "$LAB" | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(d.get("accel","?"))')

declare -A RTT TP
run() {	# run KEY HOST PORT [exec]: one rep of rtt and tput
	local k=$1 h=$2 p=$3 pre=()
	[ "${4:-}" = exec ] && pre=("$VACMLAB" exec "$LAB" --)
	RTT[$k]+=" $("${pre[@]}" python3 "$PROBE" "$h" "$p" rtt 500 | awk '{ print $3 }')"
	TP[$k]+=" $("${pre[@]}" python3 "$PROBE" "$h" "$p" tput "$SECS" 512 32 | awk '{ print $3 }')"
}
for ((i = 0; i < REPS; i++)); do
	run guest_fwd 127.0.0.1 "$PG"
	run guest_direct "$SVC" 7 exec
done

# A guest whose virtio-net TX queue stalled (seen once under TCG after ~180k
# datagrams at full rate: "NETDEV WATCHDOG: ... transmit queue 0 timed out")
# stops answering; say so rather than print its rows as if they were rates.
wd=$(python3 "$SRCDIR/tests/guest-sh.py" "$VACMLAB_RUNTIME_DIR/$LAB/n1/ttyS0.sock" 30 \
	'echo wd=$(dmesg | grep -c "transmit queue .* timed out")' 2>/dev/null |
	sed -n 's/.*wd=\([0-9][0-9]*\).*/\1/p' | tail -n1)

# ---- shadow the guest's address with a local echo server in the lab -------
"$VACMLAB" exec "$LAB" -- ip addr add "$SVC/32" dev lo
"$VACMLAB" exec "$LAB" -- python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind(('$SVC', $LPORT)); print('listening', flush=True)
while True:
    d, a = s.recvfrom(65536); s.sendto(d, a)" > "$T/echo.log" 2>&1 &
pids+=($!)
for i in $(seq 50); do grep -q listening "$T/echo.log" 2>/dev/null && break; sleep 0.1; done
for ((i = 0; i < REPS; i++)); do
	run local_fwd 127.0.0.1 "$PL"
	run local_direct "$SVC" "$LPORT" exec
done

med() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "vacmlab UDP forward, $REPS reps, rtt: 500 round trips, tput: ${SECS} s of 512-byte datagrams, 32 in flight; $(nproc) CPUs, $(uname -r), guest accel $ACCEL"
printf '%-44s %10s %10s   %s\n' "path" "rtt us" "pps" "each rep (rtt us / pps)"
for k in guest_fwd guest_direct local_fwd local_direct; do
	case $k in
	guest_fwd) d="host lo -> forward -> guest echo :7" ;;
	guest_direct) d="in lab (exec) -> guest echo :7" ;;
	local_fwd) d="host lo -> forward -> lab echo server" ;;
	local_direct) d="in lab (exec) -> lab echo server" ;;
	esac
	printf '%-44s %10s %10s   %s /%s\n' "$d" "$(med <<<"${RTT[$k]}")" "$(med <<<"${TP[$k]}")" \
		"${RTT[$k]}" "${TP[$k]}"
done
[ "${wd:-0}" = 0 ] || echo "WARNING: the guest's virtio-net TX queue timed out $wd times (guest dmesg): its rows are not rates"
awk -v gr="$(med <<<"${RTT[guest_fwd]}")" -v gd="$(med <<<"${RTT[guest_direct]}")" \
    -v gt="$(med <<<"${TP[guest_fwd]}")" -v gu="$(med <<<"${TP[guest_direct]}")" \
    -v lr="$(med <<<"${RTT[local_fwd]}")" -v ld="$(med <<<"${RTT[local_direct]}")" \
    -v lt="$(med <<<"${TP[local_fwd]}")" -v lu="$(med <<<"${TP[local_direct]}")" 'BEGIN {
	printf "ratio forward / direct, guest echo: rtt %.2f, throughput %.2f\n", gr / gd, gt / gu
	printf "ratio forward / direct, lab echo:   rtt %.2f, throughput %.2f\n", lr / ld, lt / lu }'
"$VACMLAB" status --json "$LAB" | python3 -c '
import json, sys
d = json.load(sys.stdin); d = d[0] if isinstance(d, list) else d
for f in d["nodes"][0]["forwards"]:
    print("counters %s -> :%d: %d to the guest, %d back, dropped %d in / %d out" % (f["listen"],
          f["guest_port"], f["datagrams_to_guest"], f["datagrams_from_guest"],
          f["dropped_to_guest"], f["dropped_from_guest"]))'
