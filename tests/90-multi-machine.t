#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 90-multi-machine.t - one lab over two "machines" (docs/multi-machine.md).
# The machines are two network + mount namespaces this test makes with
# `unshare --net --mount`, joined by a veth pair with an underlay address
# each (the "underlay network"); each runs its own vacmlab with its own
# runtime and state dirs, `up --machine m1` and `up --machine m2` of one
# topology: a1 on m1, a2 on m2, one LAN between them over VXLAN through
# each machine's pasta. a2 takes its lease from m1's dnsmasq and pings a1 by
# name; 8 MiB over HTTP from a1 to a2 arrive byte-identical; `down` on m1
# leaves a2 running on m2, and `up` on m1 again re-joins. The real host
# namespace is never touched: every link is made inside the test's own
# namespaces.
. "$(dirname "$0")/lib.sh"
need_root
need_image
need_cmd unshare nsenter ip python3 jq
command -v pasta >/dev/null || skip_all "pasta not installed (Debian package passt)"
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"
lab_env
T=$TMPDIR_TEST
GSH=$SRCDIR/tests/guest-sh.py
LAB=mm90-$$
SUB=10.190.$(($$ % 200 + 20))
UND=10.191.$(($$ % 200 + 20))
HOLDERS=()

# Every process of this test's labs: their command lines name $T.
t_pids() {
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- "$T/m[12]" && echo "${p#/proc/}"
	done | sort -u
}
# on M CMD...: run CMD on machine M (its namespaces, its vacmlab dirs).
on() {
	local m=$1 pid
	shift
	pid=${HOLDERS[${m#m} - 1]}
	nsenter -t "$pid" -n -m -- env VACMLAB_RUNTIME_DIR="$T/$m/run" \
		VACMLAB_STATE_DIR="$T/$m/state" "$@"
}
cleanup() {
	local p i
	for i in 1 2; do
		[ ${#HOLDERS[@]} -ge $i ] && on m$i "$VACMLAB" down --timeout 5 "$LAB" >/dev/null 2>&1
	done
	for p in $(t_pids); do kill -9 "$p" 2>/dev/null; done
	for p in "${HOLDERS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
logs() {
	local m f
	for m in m1 m2; do
		for f in "$T/$m/state/$LAB"/logs/*; do
			[ -f "$f" ] || continue
			echo "# --- $m: ${f##*/}"
			tail -n 15 "$f" | sed 's/^/#   /'
		done
	done
}

# Two machines: holders of fresh net + mount namespaces.
for i in 1 2; do
	mkdir -p "$T/m$i"
	unshare --net --mount --propagation private -- sleep 600 &
	HOLDERS+=($!)
done
for i in 1 2; do
	pid=${HOLDERS[$i - 1]}
	wait_for 5 test "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/self/ns/net)" ||
		{ echo "Bail out! machine m$i: no namespace of its own"; exit 1; }
	# Safety: a fresh namespace has nothing but lo.
	[ "$(nsenter -t "$pid" -n ip -o link | grep -vc ': lo:')" = 0 ] ||
		{ echo "Bail out! machine m$i: not a fresh network namespace"; exit 1; }
done
plan 33
# The underlay: a veth pair between the two machines. On m1 the default
# route goes to an address nobody has (pasta maps its gateway to the host
# itself, so the gateway must not be a peer: docs/multi-machine.md,
# "Limits"); m2 has no default route at all, only its underlay subnet
# (pasta is then pointed at the interface that routes to the peers).
on m1 ip link add u1 type veth peer name u2 netns "${HOLDERS[1]}"
on m1 ip addr add "$UND.1/24" dev u1
on m2 ip addr add "$UND.2/24" dev u2
for i in 1 2; do
	on m$i ip link set lo up
	on m$i ip link set u$i up
done
on m1 ip route add default via "$UND.254" dev u1
ok_cmd "the underlay works (m1 pings m2)" on m1 ping -c1 -W2 "$UND.2"
# The machines' names: an /etc/hosts of their own in each one's mount
# namespace, so `[machine] address` can be a DNS name.
printf '127.0.0.1 localhost\n%s m1.underlay.test\n%s m2.underlay.test\n' "$UND.1" "$UND.2" >"$T/hosts"
for i in 1 2; do
	nsenter -t "${HOLDERS[$i - 1]}" -m mount --bind "$T/hosts" /etc/hosts
done

cat >"$T/lab.conf" <<EOF
[lab]
name = $LAB

[machine m1]
address = m1.underlay.test

[machine m2]
address = m2.underlay.test

[lan lan]
subnet = $SUB.0/24
dhcp   = $SUB.100-$SUB.150

[node a1]
on = m1
image   = $IMAGE
nic     = lan $SUB.11
serial  = console
ready   = console "login:"
timeout = 120

[node a2]
on = m2
image   = $IMAGE
nic     = lan
serial  = console
ready   = console "login:"
timeout = 120
EOF

t0=$SECONDS
R1=$T/m1/run/$LAB R2=$T/m2/run/$LAB
# Both parts boot at once; m2's starts once m1's dnsmasq runs (a2's DHCP
# needs it; a2 asks well after its QEMU starts).
on m1 "$VACMLAB" up --machine m1 "$T/lab.conf" >"$T/up1.out" 2>&1 &
UP1=$!
wait_for 30 test -s "$R1/dnsmasq.pid"
if ! on m2 "$VACMLAB" up --machine m2 "$T/lab.conf" >"$T/up2.out" 2>&1; then
	sed 's/^/# /' "$T/up2.out"; logs
	echo "Bail out! m2's part did not come up"; exit 1
fi
if ! wait $UP1; then
	sed 's/^/# /' "$T/up1.out"; logs
	echo "Bail out! m1's part did not come up"; exit 1
fi
diag "both parts up in $((SECONDS - t0)) s"

st1=$(on m1 "$VACMLAB" status --here --json "$LAB")
st2=$(on m2 "$VACMLAB" status --here --json "$LAB")
is "$(jq -r '[.machine, (.nodes | map(.name) | join(",")), (.away | map(.name + "@" + .machine) | join(","))] | join(" ")' <<<"$st1")" \
	"m1 a1 a2@m2" "m1's status --here shows its part (a1) and where a2 is"
is "$(jq -r '.tunnels[0] | [.device, .home, (.peers | map(.machine + "=" + .address) | join(","))] | join(" ")' <<<"$st2")" \
	"vx-lan m1 m1=$UND.1" "m2's tunnel: vx-lan, home m1, peer m1"
fdb=$(on m2 "$VACMLAB" exec "$LAB" -- bridge fdb show dev vx-lan 2>&1)
like "$fdb" "^00:00:00:00:00:00 dst $UND\.1 .*self permanent" "m2's vx-lan has a static all-zeros entry towards m1"
ok_cmd "m2's dnsmasq serves no DHCP (no range), m1's does" bash -c \
	"test -s $R2/dnsmasq.conf && ! grep -q '^dhcp-range' $R2/dnsmasq.conf && grep -q '^dhcp-range' $R1/dnsmasq.conf"

# a2's lease comes from m1's dnsmasq, over the VXLAN.
addr=$(python3 "$GSH" "$R2/a2/ttyS0.sock" 60 \
	'for i in $(seq 40); do ip -4 -o addr show eth0 | grep -q "inet " && break; sleep 1; done; ip -4 -o addr show eth0')
like "$addr" "inet $SUB\.1[0-5][0-9]/24" "a2 (on m2) has an address of the range by DHCP"
A2=$(grep -o "$SUB\.1[0-5][0-9]" <<<"$addr" | head -1)
leases=$(cat "$R1/dnsmasq.leases" 2>/dev/null)
like "$leases" " $A2 a2" "the lease is m1's dnsmasq's"

# Every machine sees the whole lab: its own part from its supervisor, the
# others' over the underlay (the read-only status endpoint).
st2=$(on m2 "$VACMLAB" status --json "$LAB")
is "$(jq -r '[.nodes[] | "\(.name)@\(.machine)=\(.state)/\(.nics[0].address)"] | sort | join(" ")' <<<"$st2")" \
	"a1@m1=ready/$SUB.11 a2@m2=ready/$A2" "status --json on m2: both nodes, their machines, states and addresses (a2's from m1's lease)"
is "$(jq -r '[.machines[] | "\(.name):\(.address):\(.here):\(.reached)"] | join(" ")' <<<"$st2")" \
	"m1:$UND.1:false:true m2:$UND.2:true:null" "status --json on m2: the machines, by address (resolved from their names), m1 answered"
st1=$(on m1 "$VACMLAB" status --json "$LAB")
is "$(jq -r '[.nodes[] | "\(.name)@\(.machine)=\(.nics[0].address)"] | sort | join(" ")' <<<"$st1")" \
	"a1@m1=$SUB.11 a2@m2=$A2" "status --json on m1: both nodes too"
tbl=$(on m2 "$VACMLAB" status "$LAB")
like "$tbl" "a1 +ready .*$SUB\.11 .*on m1: vacmlab console $LAB a1" "the table on m2 shows a1 with its address and where it is"
like "$tbl" "machine m1 $UND\.1:4789: answered" "and that m1 answered"
inv=$(on m2 "$VACMLAB" inventory --format json "$LAB")
is "$(jq -r '[.nodes[] | "\(.name)@\(.machine)=\(.address)"] | sort | join(" ")' <<<"$inv")" \
	"a1@m1=$SUB.11 a2@m2=$A2" "inventory on m2 lists both nodes with their machine"
like "$(on m2 "$VACMLAB" graph --format dot "$LAB")" 'node a1\\non m1 \(ready\)' "graph on m2 draws a1 on m1"
out=$(on m2 "$VACMLAB" wait --timeout 2 "$LAB" a1 --console x 2>&1); rc=$?
[ $rc != 0 ] && [[ "$out" == *"node a1 is on machine m1 ($UND.1)"* ]]
ok $? "wait for a1 on m2 says where a1 is (rc $rc: $out)"
out=$(on m2 "$VACMLAB" console "$LAB" a1 </dev/null 2>&1); rc=$?
[ $rc != 0 ] && [[ "$out" == *"node a1 is on machine m1"* ]]
ok $? "console a1 on m2 says where a1 is (rc $rc)"
out=$(on m2 "$VACMLAB" send --break "$LAB" a1 2>&1); rc=$?
[ $rc != 0 ] && [[ "$out" == *"node a1 is on machine m1"* ]]
ok $? "send --break to a1 on m2 says where a1 is (rc $rc: $out)"
# exec on any machine reaches every address of its LANs, its own nodes' too
# (m2's bridge has an address of its own, derived: .252, m1 would have .253).
like "$(on m2 "$VACMLAB" exec "$LAB" -- ip -4 -o addr show dev lan)" "inet $SUB\.252/24" \
	"m2's bridge has its derived address"
ok_cmd "exec on m2 reaches a1 by name (on m1)" on m2 "$VACMLAB" exec "$LAB" -- ping -c1 -W3 a1
ok_cmd "exec on m2 reaches a2 (its own node)" on m2 "$VACMLAB" exec "$LAB" -- ping -c1 -W3 "$A2"
ok_cmd "exec on m1 reaches a2 (on m2)" on m1 "$VACMLAB" exec "$LAB" -- ping -c1 -W3 "$A2"
# Who may ask: an address that is not one of the lab's machines gets nothing.
on m1 ip addr add "$UND.9/24" dev u1
got=$(on m1 python3 -c "
import socket, sys
s = socket.socket(); s.settimeout(3); s.bind(('$UND.9', 0)); s.connect(('$UND.2', 4789))
d = s.recv(100); print('data' if d else 'closed')" 2>&1)
is "$got" "closed" "m2's status endpoint refuses an address that is not one of the lab's machines"
on m1 ip addr del "$UND.9/24" dev u1
# An underlay that cannot work says why and what to do: m2 has no default
# route and none to a machine m3 on another network.
sed -e "s/^name = $LAB/name = ${LAB}x/" -e 's/^address = m2.underlay.test/&\nport = 4790/' \
	-e "s/^\[node a1\]/[machine m3]\naddress = 10.250.0.1\n\n&/" -e 's/^on = m1/on = m3/' \
	"$T/lab.conf" >"$T/bad.conf"
out=$(on m2 "$VACMLAB" up --machine m2 "$T/bad.conf" 2>&1); rc=$?
[ $rc != 0 ] && [[ "$out" == *"no route to machine m3 (10.250.0.1)"* ]] && [[ "$out" == *"ip route add 10.250.0.1"* ]]
ok $? "no route to a peer: up fails naming the cause and the fix (rc $rc)" || diag "$out"
out=$(python3 "$GSH" "$R2/a2/ttyS0.sock" 40 'ping -c 3 -W 2 a1 && echo PING-OK')
like "$out" "PING-OK" "a2 pings a1 by name across the machines"
[ "${out#*PING-OK}" = "$out" ] && { diag "$out"; logs; }

want=$(python3 "$GSH" "$R1/a1/ttyS0.sock" 30 'md5sum /www/big.bin')
got=$(python3 "$GSH" "$R2/a2/ttyS0.sock" 150 \
	'wget -q -O /tmp/big.bin http://a1/big.bin && ls -l /tmp/big.bin && md5sum /tmp/big.bin')
like "$got" " 8388608 " "8 MiB arrived over HTTP from a1 to a2"
is "$(grep -o '^[0-9a-f]\{32\}' <<<"$got")" "$(grep -o '^[0-9a-f]\{32\}' <<<"$want")" \
	"and byte-identical (md5 on both guests)"
names=$(on m2 "$VACMLAB" exec "$LAB" -- getent hosts a1 a2 2>&1)
like "$names" "^$SUB\.11 +a1" "a1 resolves in vacmlab exec on m2"
rx=$(on m2 "$VACMLAB" status --json "$LAB" | jq '.tunnels[0] | "\(.rx_bytes) \(.rx_packets) \(.tx_packets)"' -r)
[ "${rx%% *}" -gt 8388608 ] 2>/dev/null
ok $? "m2's tunnel counted the transfer (rx bytes, rx and tx packets: $rx)"
like "$(on m2 "$VACMLAB" status "$LAB")" "tunnel vx-lan lan lan vni [0-9]+ \(home m1\): m1=$UND\.1:4789; rx [1-9]" \
	"status on m2 shows the tunnel, its peer and its counters"

# down on m1 leaves a2 running; up on m1 again re-joins.
on m1 "$VACMLAB" down --timeout 10 "$LAB" >"$T/down1.out" 2>&1
is "$(on m2 "$VACMLAB" status --json "$LAB" | jq -r '[.nodes[] | "\(.name)=\(.state)"] | join(" ")')" \
	"a2=ready a1=unreachable" "down on m1 leaves a2 running on m2 (a1: m1 does not answer)"
out=$(python3 "$GSH" "$R2/a2/ttyS0.sock" 20 "ping -c 1 -W 2 $SUB.11 >/dev/null && echo UP || echo DOWN")
like "$out" "DOWN" "a1 is gone while m1 is down"
if ! on m1 "$VACMLAB" up --machine m1 "$T/lab.conf" >"$T/up1b.out" 2>&1; then
	sed 's/^/# /' "$T/up1b.out"; logs
fi
out=$(python3 "$GSH" "$R2/a2/ttyS0.sock" 60 \
	'for i in $(seq 20); do ping -c 1 -W 2 a1 >/dev/null && { echo PING-OK; break; }; sleep 1; done')
like "$out" "PING-OK" "after up on m1 again, a2 pings a1 again"
on m1 "$VACMLAB" down --timeout 10 "$LAB" >/dev/null 2>&1
on m2 "$VACMLAB" down --timeout 10 "$LAB" >/dev/null 2>&1
for i in $(seq 50); do [ -z "$(t_pids)" ] && break; sleep 0.2; done
is "$(t_pids | wc -l)" 0 "nothing of either part survives down"
diag "total $((SECONDS - t0)) s"
