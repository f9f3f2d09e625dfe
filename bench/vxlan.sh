#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/vxlan.sh - throughput and latency on one LAN, on one machine and
# across machines over the rootless VXLAN underlay (docs/multi-machine.md).
#
# usage: sudo bench/vxlan.sh [MIB]     (default 256 MiB for the host pairs)
# env:   VACMLAB (binary), IMAGE (stand-in image), UNDERLAY_MTU (default
#        1500), GUESTS=0 (host pairs only: no TCG guests competing for CPU)
#
# Two "machines" are two network + mount namespaces made here with
# `unshare --net --mount` (as tests/90-multi-machine.t does), joined by a
# veth pair (the underlay, MTU 1500). One lab: guests a1, b1 and test-service
# hosts s1 (a TCP server), c1 on m1; guest a2 and host c2 on m2; one LAN.
#   guests  b1 -> a1 (same machine) vs a2 -> a1 (across): ping RTT (20
#           pings) and an HTTP fetch of a1's /big.bin (8 MiB, 3 times),
#           timed by the guest's /proc/uptime. Under TCG the guests are
#           the bottleneck, so this shows what a guest sees, not the path's
#           ceiling.
#   hosts   c1 -> s1 (same machine: bridge) vs c2 -> s1 (across: bridge,
#           vxlan, pasta, host UDP sockets, veth, and back): ping RTT (50
#           pings) and a TCP transfer of MIB MiB (bench/fwd-xfer.py); the
#           namespaces run at kernel speed, so this is the path's ceiling.
set -u
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
VACMLAB=${VACMLAB:-$SRCDIR/build/vacmlab}
IMAGE=${IMAGE:-$SRCDIR/images/image.bin}
MIB=${1:-256}
UNDERLAY_MTU=${UNDERLAY_MTU:-1500}
GUESTS=${GUESTS:-1}
X=$SRCDIR/bench/fwd-xfer.py
GSH=$SRCDIR/tests/guest-sh.py
[ "$(id -u)" = 0 ] || { echo "bench: needs root (unshare --net for the two machines)" >&2; exit 2; }
for c in python3 pasta nft unshare nsenter; do
	command -v $c >/dev/null || { echo "bench: $c not installed" >&2; exit 2; }
done
T=$(mktemp -d /tmp/vacmlab-bench.XXXXXX)
LAB=vxb-$$
SUB=10.192.$(($$ % 200 + 20))
UND=10.193.$(($$ % 200 + 20))
H=()
on() {
	local m=$1
	shift
	nsenter -t "${H[${m#m} - 1]}" -n -m -- env VACMLAB_RUNTIME_DIR="$T/$m/run" \
		VACMLAB_STATE_DIR="$T/$m/state" "$@"
}
cleanup() {
	local p
	on m2 "$VACMLAB" down --timeout 5 "$LAB" >/dev/null 2>&1
	on m1 "$VACMLAB" down --timeout 5 "$LAB" >/dev/null 2>&1
	for p in "${H[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
for i in 1 2; do
	unshare --net --mount --propagation private -- sleep 3600 &
	H+=($!)
done
for i in 1 2; do
	for _ in $(seq 50); do
		[ "$(readlink /proc/${H[$i - 1]}/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
		sleep 0.1
	done
	[ "$(nsenter -t "${H[$i - 1]}" -n ip -o link | grep -vc ': lo:')" = 0 ] ||
		{ echo "bench: m$i is not a fresh namespace" >&2; exit 1; }
done
on m1 ip link add u1 type veth peer name u2 netns "${H[1]}"
on m1 ip addr add "$UND.1/24" dev u1
on m2 ip addr add "$UND.2/24" dev u2
for i in 1 2; do
	on m$i ip link set lo up
	on m$i ip link set u$i mtu "$UNDERLAY_MTU" up
	on m$i ip route add default via "$UND.254" dev u$i
done
cat >"$T/lab.conf" <<EOF
[lab]
name = $LAB
[machine m1]
address = $UND.1
[machine m2]
address = $UND.2
[lan lan]
subnet = $SUB.0/24
[host s1]
on = m1
nic = lan $SUB.5
command = exec python3 $X serve $SUB.5 5001 $MIB
[host c1]
on = m1
nic = lan $SUB.6
[host c2]
on = m2
nic = lan $SUB.7
EOF
[ "$GUESTS" = 0 ] || for n in a1:11:m1 b1:13:m1 a2:12:m2; do
	cat >>"$T/lab.conf" <<EOF
[node ${n%%:*}]
on = ${n##*:}
image = $IMAGE
nic = lan $SUB.$(cut -d: -f2 <<<"$n")
ready = console "login:"
timeout = 180
EOF
done
on m1 "$VACMLAB" up --machine m1 "$T/lab.conf" >"$T/up1" 2>&1 || { cat "$T/up1"; exit 1; }
on m2 "$VACMLAB" up --machine m2 "$T/lab.conf" >"$T/up2" 2>&1 || { cat "$T/up2"; exit 1; }
R1=$T/m1/run/$LAB R2=$T/m2/run/$LAB
# Let the guests' boot settle (DHCP, httpd) before measuring.
[ "$GUESTS" = 0 ] || python3 "$GSH" "$R2/a2/ttyS0.sock" 60 'for i in $(seq 40); do ping -c1 -W1 a1 >/dev/null && break; done' >/dev/null
[ "$GUESTS" = 0 ] || python3 "$GSH" "$R1/b1/ttyS0.sock" 60 'for i in $(seq 40); do ping -c1 -W1 a1 >/dev/null && break; done' >/dev/null

echo "underlay MTU $UNDERLAY_MTU"
printf '%-34s %12s %14s\n' "path" "rtt avg ms" "throughput"
guest() { # guest MACHINE-RUNDIR NODE LABEL
	local out rtt secs
	out=$(python3 "$GSH" "$1/$2/ttyS0.sock" 60 "ping -q -c 20 -i 0.2 $SUB.11 | tail -1")
	rtt=$(sed -n 's#.*= [0-9.]*/\([0-9.]*\)/.*#\1#p' <<<"$out")
	out=$(python3 "$GSH" "$1/$2/ttyS0.sock" 240 \
		"a=\$(cut -d' ' -f1 /proc/uptime); for i in 1 2 3; do wget -q -O /dev/null http://$SUB.11/big.bin || echo FAIL; done; b=\$(cut -d' ' -f1 /proc/uptime); echo T \$a \$b")
	secs=$(awk '/^T /{print $3 - $2}' <<<"$out")
	printf '%-34s %12s %11s MiB/s\n' "$3" "${rtt:-?}" \
		"$(awk -v s="${secs:-0}" 'BEGIN { if (s > 0) printf "%.1f", 24 / s; else print "?" }')"
	grep -q FAIL <<<"$out" && echo "  (a transfer failed)"
}
host() { # host MACHINE HOST LABEL
	local rtt out
	rtt=$(on "$1" "$VACMLAB" exec "$LAB" --host "$2" -- ping -q -c 50 -i 0.01 $SUB.5 | sed -n 's#.*= [0-9.]*/\([0-9.]*\)/.*#\1#p')
	out=$(on "$1" "$VACMLAB" exec "$LAB" --host "$2" -- python3 "$X" fetch $SUB.5 5001)
	printf '%-34s %12s %11s MiB/s\n' "$3" "${rtt:-?}" \
		"$(awk -v o="$out" 'BEGIN { split(o, a, " "); if (a[2] > 0) printf "%.0f", a[1] / 1048576 / a[2]; else print "?" }')"
}
if [ "$GUESTS" != 0 ]; then
	guest "$R1" b1 "guests, same machine (b1 -> a1)"
	guest "$R2" a2 "guests, across VXLAN (a2 -> a1)"
fi
host m1 c1 "hosts, same machine (c1 -> s1)"
host m2 c2 "hosts, across VXLAN (c2 -> s1)"
# Underlay IP fragmentation (docs/multi-machine.md, "MTU"), per machine.
for m in m1 m2; do
	on $m awk -v m=$m '/^Ip:/ { if (!h) { for (i = 1; i <= NF; i++) k[i] = $i; h = 1 } else
		for (i = 1; i <= NF; i++) if (k[i] ~ /^(FragCreates|FragOKs|ReasmOKs|ReasmFails)$/) s = s " " k[i] "=" $i }
		END { print m " underlay:" s }' /proc/net/snmp
done
on m2 "$VACMLAB" status "$LAB" | grep -E 'machine|tunnel' | sed 's/^ */m2: /'

