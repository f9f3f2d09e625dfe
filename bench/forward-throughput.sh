#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/forward-throughput.sh - throughput of a rootless port forward
# (lab/sv_fwd.c) against socat doing the same job, side by side in one run,
# and the throughput of the pasta uplink (guest -> host loopback server).
#
# usage: bench/forward-throughput.sh [REPS [MIB]]     (default 5 reps, 512 MiB)
# env:   VACMLAB (binary), IMAGE (stand-in image)
#
# Design (see bench/README.md "Forwards and uplink"): the service must be
# faster than either relay, so it is not the guest. The lab boots one guest
# (a forward needs a running node), then the guest's address is added to
# the lab namespace's own loopback, so that inside the lab that address is
# local: a Python server bound to it (bench/fwd-xfer.py, 1 MiB writes) is
# what the forward's connect() reaches. Every path starts at a client on
# the HOST's 127.0.0.1 and ends at that server inside the lab:
#   forward   host 127.0.0.1:PF -> vacmlab supervisor (splice loop) -> server
#   socat     host socat TCP-LISTEN:PS,fork -> EXEC `vacmlab exec LAB --
#             socat - TCP:server` (the rootless way without vacmlab forward:
#             two socats and a pipe pair, since one socat cannot hold
#             sockets in two namespaces)
# and, for reference, the same relay job done by one socat inside the lab
# (client, socat and server all in the lab's namespace), and the server read
# directly from inside the lab (no relay).
# The uplink: a guest (under KVM if usable, else TCG: then the guest is the
# bottleneck) fetches a file from a server on the host's loopback through
# pasta, timed by the guest's own `time`.
set -u
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
VACMLAB=${VACMLAB:-$SRCDIR/build/vacmlab}
IMAGE=${IMAGE:-$SRCDIR/images/image.bin}
REPS=${1:-5}
MIB=${2:-512}
X=$SRCDIR/bench/fwd-xfer.py
GSH=$SRCDIR/tests/guest-sh.py
for c in python3 socat pasta nft; do
	command -v $c >/dev/null || { echo "bench: $c not installed" >&2; exit 2; }
done

T=$(mktemp -d /tmp/vacmlab-bench.XXXXXX)
export VACMLAB_RUNTIME_DIR=$T/run VACMLAB_STATE_DIR=$T/state
LAB=fwbench-$$
SUB=10.133.$(( $$ % 200 + 20 ))
pids=()
cleanup() {
	"$VACMLAB" down --timeout 5 "$LAB" >/dev/null 2>&1
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

read -r PF PS PL PH < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
SVC=$SUB.11 SVC_PORT=9000

cat > "$T/lab.conf" <<EOF
[lab]
name = $LAB
[lan lan]
subnet = $SUB.0/24
dhcp   = $SUB.100-$SUB.150
uplink = pasta
[node n1]
image   = $IMAGE
nic     = lan $SUB.11
serial  = console
ready   = console "login:"
timeout = 120
forward = tcp 127.0.0.1:$PF $SVC_PORT
EOF
"$VACMLAB" up "$T/lab.conf" > "$T/up.log" 2>&1 || { cat "$T/up.log"; exit 1; }
ACCEL=$("$VACMLAB" status --json "$LAB" | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(d.get("accel","?"))')

# ---- uplink first (needs the real guest address) -------------------------
mkdir -p "$T/www"
head -c $((64 << 20)) /dev/urandom > "$T/www/blob"
(cd "$T/www" && exec python3 -m http.server -b 127.0.0.1 "$PH" > /dev/null 2>&1) &
pids+=($!)
GW=$("$VACMLAB" exec "$LAB" -- ip -4 route show default | awk '/dev vl-pasta/ { print $3 }')
sleep 0.5
up_res=()
for ((i = 0; i < REPS; i++)); do
	out=$(python3 "$GSH" "$VACMLAB_RUNTIME_DIR/$LAB/n1/ttyS0.sock" 120 \
		"read s x < /proc/uptime; wget -q -O /dev/null http://$GW:$PH/blob; read e x < /proc/uptime; echo T \$s \$e")
	st=$(sed -n 's/.*T \([0-9.]*\) \([0-9.]*\).*/\1 \2/p' <<<"$out")
	[ -n "$st" ] && up_res+=("$(awk -v s="${st% *}" -v e="${st#* }" 'BEGIN { printf "%.1f", 64 * 1.048576 / (e - s) }')")
done

# ---- shadow the guest's address with a local one in the lab namespace ----
"$VACMLAB" exec "$LAB" -- ip addr add "$SVC/32" dev lo
"$VACMLAB" exec "$LAB" -- python3 "$X" serve "$SVC" "$SVC_PORT" "$MIB" > "$T/svc.log" 2>&1 &
pids+=($!)
for i in $(seq 50); do grep -q listening "$T/svc.log" 2>/dev/null && break; sleep 0.1; done
# socat the rootless way: host listener, a lab-side socat per connection
socat TCP-LISTEN:$PS,bind=127.0.0.1,reuseaddr,fork \
	EXEC:"$VACMLAB exec $LAB -- socat - TCP\:$SVC\:$SVC_PORT" 2>/dev/null &
pids+=($!)
# one socat relaying inside the lab (reference)
"$VACMLAB" exec "$LAB" -- socat TCP-LISTEN:$PL,bind=$SUB.254,reuseaddr,fork TCP:$SVC:$SVC_PORT 2>/dev/null &
pids+=($!)
sleep 0.5

mbs() { awk '{ printf "%.0f", $1 / $2 / 1e6 }'; }
declare -A R
for ((i = 0; i < REPS; i++)); do
	R[fwd]+=" $(python3 "$X" fetch 127.0.0.1 "$PF" | mbs)"
	R[socat]+=" $(python3 "$X" fetch 127.0.0.1 "$PS" | mbs)"
	R[lab_socat]+=" $("$VACMLAB" exec "$LAB" -- python3 "$X" fetch "$SUB.254" "$PL" | mbs)"
	R[direct]+=" $("$VACMLAB" exec "$LAB" -- python3 "$X" fetch "$SVC" "$SVC_PORT" | mbs)"
done

med() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "vacmlab forward throughput, $MIB MiB per transfer, $REPS reps, $(nproc) CPUs, $(uname -r), guest accel $ACCEL"
printf '%-46s %8s   %s\n' "path" "median" "each rep (MB/s)"
for k in fwd socat lab_socat direct; do
	case $k in
	fwd) d="host lo -> vacmlab forward -> lab server" ;;
	socat) d="host lo -> socat | vacmlab exec socat -> lab" ;;
	lab_socat) d="(ref) in lab: one socat relay -> server" ;;
	direct) d="(ref) in lab: server read directly" ;;
	esac
	printf '%-46s %8s  %s\n' "$d" "$(med <<<"${R[$k]}")" "${R[$k]}"
done
f=$(med <<<"${R[fwd]}") s=$(med <<<"${R[socat]}") l=$(med <<<"${R[lab_socat]}")
awk -v f="$f" -v s="$s" -v l="$l" 'BEGIN {
	printf "ratio forward / socat(rootless): %.2f   forward / one in-lab socat: %.2f\n", f / s, f / l }'
echo "uplink (guest n1 -> pasta -> host 127.0.0.1 http.server, 64 MiB, accel $ACCEL): ${up_res[*]:-failed} MB/s"
