#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/73-apply.t - `vacmlab apply` changes a running lab (real guests,
# dnsmasq, bridges): on the two-node lab of topo/two-node.conf, a third
# node (on the old LAN and a new one) and a host are added; the two old
# nodes keep their QEMU (same PIDs, uptime only grew) and a forward to one
# of them keeps working; the new node is ready, reachable on the new LAN
# and known to the lab's DNS. --dry-run prints the plan and changes
# nothing; a changed subnet is refused with the reason and changes
# nothing; going back removes the node (gracefully) and the host and
# restarts a node whose memory changed; `up` of a running lab points at
# apply; nothing is left after down.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd qemu-system-x86_64 dnsmasq jq curl python3
lab_env
plan 32

LAB=apply73-$$
N=$(($$ % 200 + 20))
SUB=10.173.$N
SUB2=10.174.$N
T=$TMPDIR_TEST
st() { "$VACMLAB" status --json "$LAB" | jq -r "$1"; }

# The two-node lab of the README, with this test's name, subnet and image.
sed -e "s/^name = .*/name = $LAB/" -e "s/192\.168\.0\./$SUB./g" \
	-e "s|^image *= .*|image   = $IMAGE|" "$SRCDIR/topo/two-node.conf" > "$T/two.conf"
cat "$T/two.conf" - > "$T/three.conf" <<EOF

[lan lan2]
subnet  = $SUB2.0/24

[node vacm3]
image   = $IMAGE
nic     = lan $SUB.13
nic     = lan2 $SUB2.13
serial  = console
ready   = console "login:"
timeout = 120

[host svc]
nic     = lan2 $SUB2.50
command = sleep 1000
EOF
sed -e "s/$SUB\./10.175.$N./g" "$T/three.conf" > "$T/subnet.conf"
# Back to two nodes, vacm2 with more memory: a changed definition.
awk '/^\[node vacm2\]/ { n2 = 1 } n2 && /^memory/ { $0 = "memory  = 288"; n2 = 0 } 1' \
	"$T/two.conf" > "$T/two-b.conf"

read -r PF < <(python3 -c '
import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

lab_up "$T/two.conf" > "$T/up.out" 2>&1
ok $? "the two-node lab is up" || { sed 's/^/# /' "$T/up.out"; lab_logs "$LAB"; }
"$VACMLAB" forward "$LAB" vacm1 "127.0.0.1:$PF" 80 > /dev/null 2>&1
H1=$(curl -sS -m 20 "http://127.0.0.1:$PF/index.html")
like "$H1" "<h1>vacm1</h1>" "a forward to vacm1 reaches its httpd"
pid1=$(st '.nodes[0].pid') pid2=$(st '.nodes[1].pid')
up1=$(st '.nodes[0].uptime_s') up2=$(st '.nodes[1].uptime_s')

out=$("$VACMLAB" up "$T/two.conf" 2>&1)
like "$out" "vacmlab apply" "up of a running lab points at apply"

# --- dry run: the plan, nothing changes ------------------------------------
out=$("$VACMLAB" apply --dry-run "$T/three.conf" 2>&1); rc=$?
is "$rc" 0 "apply --dry-run"
like "$out" "add +node +vacm3" "the plan adds vacm3"
like "$out" "keep +node +vacm1" "and keeps vacm1"
like "$out" "add +lan +lan2" "and adds lan2"
is "$(st '.nodes | length')" 2 "a dry run starts nothing"

# --- a change that cannot be made live: refused, nothing changes -----------
out=$("$VACMLAB" apply "$T/subnet.conf" 2>&1); rc=$?
is "$rc" 1 "a changed subnet is refused (exit 1)"
like "$out" "subnet.conf:[0-9]+: lan lan would change \(subnet $SUB.0/24.*-> subnet 10.175.$N.0/24" \
	"naming the LAN, the file line and both subnets"
is "$(st '.nodes | length') $(st '.nodes[0].pid') $(st '.nodes[1].pid')" "2 $pid1 $pid2" \
	"nothing changed: same nodes, same QEMUs"

# --- nodes that do not fit in memory: refused before anything starts ------
# vacm3 asks for 2 GiB more than MemAvailable (if that is within memory's
# 65536 MiB limit; else this machine has too much memory to test it).
big=$(awk '/^MemAvailable:/ { print int($2 / 1024) + 2048 }' /proc/meminfo)
if [ "$big" -le 65536 ]; then
	awk -v m="$big" '/^\[node vacm3\]/ { print; print "memory  = " m; next } 1' \
		"$T/three.conf" > "$T/big.conf"
	out=$("$VACMLAB" apply "$T/big.conf" 2>&1); rc=$?
	is "$rc" 2 "a node bigger than MemAvailable is refused (exit 2)"
	like "$out" "the 1 node that would start need $big MiB more guest memory, more than the [0-9]+ MiB available \(MemAvailable\).*--force.*nothing was changed" \
		"saying how much, what is available, and --force"
	is "$(st '.nodes | length') $(st '[.lans[].name] | join(" ")') $(st '.nodes[0].pid') $(st '.nodes[1].pid')" \
		"2 lan $pid1 $pid2" "nothing changed: no new LAN or node, same QEMUs"
else
	for i in 1 2 3; do _t_n=$((_t_n + 1)); echo "ok $_t_n # SKIP MemAvailable + 2 GiB is over memory's 65536 MiB limit here"; done
fi

# --- add a node (and a LAN and a host) to the running lab ------------------
out=$("$VACMLAB" apply "$T/three.conf" 2>&1); rc=$?
is "$rc" 0 "apply adds vacm3" || { echo "$out" | sed 's/^/# /'; lab_logs "$LAB"; }
is "$(st '.nodes[2].name') $(st '.nodes[2].state')" "vacm3 ready" "vacm3 is ready when apply returns"
is "$(st '.nodes[0].pid') $(st '.nodes[1].pid')" "$pid1 $pid2" "vacm1 and vacm2 keep their QEMU"
ok $(awk -v a="$up1" -v b="$(st '.nodes[0].uptime_s')" -v c="$up2" -v d="$(st '.nodes[1].uptime_s')" \
	'BEGIN { exit !(b > a && d > c) }'; echo $?) "their uptimes only grew"
is "$(curl -sS -m 20 "http://127.0.0.1:$PF/index.html")" "$H1" "the forward to vacm1 still works"
is "$(st '.nodes[0].forwards | length')" 1 "and is still listed"
ok_cmd "vacm3 answers on the new LAN" "$VACMLAB" exec "$LAB" -- ping -c 1 -W 5 "$SUB2.13"
like "$("$VACMLAB" exec "$LAB" -- getent hosts "vacm3.$LAB")" "^$SUB.13 " \
	"the lab's DNS knows vacm3 (dnsmasq has the new config)"
is "$(st '.hosts[0].name') $(st '.hosts[0].state')" "svc running" "the new host runs its command"

# --- back to two nodes: vacm3 and the host go, gracefully; vacm2 restarts --
pid3=$(st '.nodes[2].pid') hpid=$(st '.hosts[0].pid')
out=$("$VACMLAB" apply "$T/two-b.conf" 2>&1); rc=$?
is "$rc" 0 "apply removes vacm3, lan2 and svc, restarts vacm2" || echo "$out" | sed 's/^/# /'
like "$out" "restart +node +vacm2 \(memory changed\)" "saying why vacm2 restarts"
is "$(st '.nodes[1].state') $(st '.nodes[1].pid' | grep -vx "$pid2" | grep -c .)" "ready 1" \
	"vacm2 runs a new QEMU and is ready"
is "$(st '[.nodes[].name] | join(" ")') $(st '.hosts | length') $(st '[.lans[].name] | join(" ")')" \
	"vacm1 vacm2 0 lan" "status: two nodes, no host, one LAN"
like "$(grep "S vacm3 exited" "$VACMLAB_STATE_DIR/$LAB/logs/supervisor.log")" "exited with status 0" \
	"vacm3 powered off by itself (the ACPI button, not a kill)"
ok $([ ! -e "/proc/$pid3" ] && [ ! -e "/proc/$hpid" ]; echo $?) "its QEMU and the host's command are gone"
is "$(st '.nodes[0].pid') $(curl -sS -m 20 "http://127.0.0.1:$PF/index.html")" "$pid1 $H1" \
	"vacm1 and its forward are untouched"

"$VACMLAB" down "$LAB" > /dev/null 2>&1
is "$?" 0 "down"
no_leftovers
ok $? "no process of the lab is left"
