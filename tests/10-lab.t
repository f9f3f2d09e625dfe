#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The lab end to end on real QEMU guests of the stand-in appliance, real
# dnsmasq and real kernel bridges: up, reachability by address and name,
# guest to guest, status, down without leftovers, name clash, two labs on
# one subnet, SIGKILLed supervisors, images that fail.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd jq ping qemu-img
lab_env
cd "$SRCDIR"
RUN=$VACMLAB_RUNTIME_DIR

out=$(lab_up topo/two-node.conf 2>&1); rc=$?
is "$rc" 0 "up topo/two-node.conf"
like "$out" "vacm1 +ready" "the table shows vacm1 ready"
like "$out" "vacm2 +ready .*192\.168\.0\.12" "the table shows vacm2 ready with its address"
[ "$rc" = 0 ] || lab_logs two-node

ok_cmd "exec ping reaches vacm1 by address" "$VACMLAB" exec two-node -- ping -c1 -W5 192.168.0.11
ok_cmd "exec ping reaches vacm2 by address" "$VACMLAB" exec two-node -- ping -c1 -W5 192.168.0.12
ok_cmd "exec ping reaches vacm2 by DNS name" "$VACMLAB" exec two-node -- ping -c1 -W5 vacm2
ok_cmd "exec ping reaches vacm1.two-node (FQDN)" "$VACMLAB" exec two-node -- ping -c1 -W5 vacm1.two-node
out=$("$VACMLAB" exec two-node -- sh -c 'exit 7'); is "$?" 7 "exec returns the command's exit status"

out=$(python3 tests/guest-sh.py "$RUN/two-node/vacm1/ttyS0.sock" 40 "ping -c2 -W5 vacm2 && ip -4 addr show eth0" 2>&1); rc=$?
is "$rc" 0 "vacm1 pings vacm2 by name from inside the guest (over its console)"
like "$out" "inet 192\.168\.0\.11/24" "vacm1 got its fixed address over DHCP"

st=$("$VACMLAB" status --json two-node)
is "$(jq -r '[.nodes[].nics[0].address] | join(" ")' <<<"$st")" "192.168.0.11 192.168.0.12" "status --json shows both fixed addresses"
is "$(jq -r '[.nodes[].state] | join(" ")' <<<"$st")" "ready ready" "status --json shows both nodes ready"
is "$(jq -r '.nodes[0].dns' <<<"$st")" "vacm1.two-node" "status --json shows the DNS name"
like "$(jq -r '.nodes[0].nics[0].mac' <<<"$st")" '^52:54:00:' "MACs carry the locally administered QEMU prefix"
like "$("$VACMLAB" ls)" "^two-node +running +2/2" "ls lists the lab with 2/2 nodes ready"

out=$("$VACMLAB" up topo/two-node.conf 2>&1); rc=$?
is "$rc" 5 "the same lab name twice is refused (exit 5)"
like "$out" "lab 'two-node' is already up \(supervisor pid [0-9]+" "the message names the running lab and its pid"

# A second lab on the very same subnet and address, isolated from the first.
cat > "$TMPDIR_TEST/iso.conf" <<EOT
[lab]
name = iso
[lan lan]
subnet = 192.168.0.0/24
address = 192.168.0.254
[node vacm1]
image = $IMAGE
nic = lan 192.168.0.11
ready = console "login:"
EOT
out=$(lab_up "$TMPDIR_TEST/iso.conf" 2>&1); is "$?" 0 "a second lab with the same subnet comes up beside the first"
mac_two=$(jq -r '.nodes[0].nics[0].mac' <<<"$st")
mac_iso=$("$VACMLAB" status --json iso | jq -r '.nodes[0].nics[0].mac')
ok_cmd "lab iso reaches its own 192.168.0.11" "$VACMLAB" exec iso -- ping -c1 -W5 192.168.0.11
ok_cmd "lab two-node still reaches its 192.168.0.11" "$VACMLAB" exec two-node -- ping -c1 -W5 192.168.0.11
like "$("$VACMLAB" exec iso -- ip neigh show 192.168.0.11)" "$mac_iso" "in lab iso, 192.168.0.11 is iso's guest ($mac_iso)"
like "$("$VACMLAB" exec two-node -- ip neigh show 192.168.0.11)" "$mac_two" "in lab two-node, 192.168.0.11 is two-node's guest ($mac_two)"

out=$("$VACMLAB" down two-node 2>&1); is "$?" 0 "down two-node"
ok "$(test -e "$RUN/two-node"; echo $((!$?)))" "the runtime dir of two-node is gone"
# QEMU's and dnsmasq's command lines name this test's runtime dir: other
# labs on the machine (same name, other dirs) never match.
left=$(ps -eo pid,args | grep -F "$RUN/two-node/" | grep -v grep)
ok "$([ -z "$(grep qemu <<<"$left")" ]; echo $?)" "no QEMU of two-node is left"
ok "$([ -z "$(grep dnsmasq <<<"$left")" ]; echo $?)" "no dnsmasq of two-node is left"
[ -z "$left" ] || diag "left: $left"
like "$(tail -c 3000 "$VACMLAB_STATE_DIR/two-node/logs/vacm1.ttyS0.log")" "(reboot: Power down|power|Power)" "vacm1 powered off gracefully (its console shows the shutdown)"

# SIGKILL of the supervisor after ready: no orphans, re-up works.
sup=$(jq -r .supervisor_pid < <("$VACMLAB" status --json iso))
kill -9 "$sup"
ok "$(wait_for 20 sh -c "! ps -eo args | grep -F '$RUN/iso/' | grep qemu | grep -qv grep"; echo $?)" "after SIGKILL of the supervisor, iso's QEMU exits by itself (PDEATHSIG)"
ok "$(wait_for 10 sh -c "! ps -eo args | grep -F '$RUN/iso/' | grep -qv grep"; echo $?)" "and its dnsmasq too"
out=$(lab_up "$TMPDIR_TEST/iso.conf" 2>&1); rc=$?
is "$rc" 0 "up again after a SIGKILLed supervisor works"
like "$out" "cleaning up after a previous run" "it says it cleaned the stale runtime dir"

# SIGKILL mid-up: while the guest is still booting.
"$VACMLAB" down iso >/dev/null 2>&1
"$VACMLAB" up "$TMPDIR_TEST/iso.conf" >/dev/null 2>&1 &
uppid=$!
wait_for 20 sh -c "ps -eo args | grep -F '$RUN/iso/' | grep qemu | grep -qv grep"
sup=$(cat "$RUN/iso/supervisor.pid" 2>/dev/null)
kill -9 "$sup" 2>/dev/null; ok $? "killed the supervisor while the guest was booting"
wait "$uppid"; rc=$?
ok "$([ "$rc" != 0 ]; echo $?)" "up reports the failure (exit $rc)"
ok "$(wait_for 20 sh -c "! ps -eo args | grep -F '$RUN/iso/' | grep qemu | grep -qv grep"; echo $?)" "no QEMU is left after a SIGKILL mid-up"
out=$(lab_up "$TMPDIR_TEST/iso.conf" 2>&1); is "$?" 0 "up again after a SIGKILL mid-up works"
"$VACMLAB" down iso >/dev/null 2>&1

# Images that are bad: caught before anything starts, or failing to boot.
cp "$IMAGE" "$TMPDIR_TEST/garbled.bin"
printf 'XXXX' | dd of="$TMPDIR_TEST/garbled.bin" conv=notrunc status=none
sed "s|^image = .*|image = $TMPDIR_TEST/garbled.bin|; s/^name = iso/name = bad1/" "$TMPDIR_TEST/iso.conf" > "$TMPDIR_TEST/bad1.conf"
out=$(lab_up "$TMPDIR_TEST/bad1.conf" 2>&1); rc=$?
is "$rc" 2 "a garbled image is refused before anything starts (exit 2)"
like "$out" "node vacm1: .*garbled.bin: not a QCOW2 image" "the message names the node and what is wrong"
ok "$(test -e "$RUN/bad1"; echo $((!$?)))" "nothing was left in the runtime dir"

# A well-formed disk whose boot partition is zeroed: boots nothing.
start=$("$VACMLAB" image info --json "$IMAGE" | jq '.partitions[0].start_lba')
qemu-img convert -O raw "$IMAGE" "$TMPDIR_TEST/noboot.raw"
dd if=/dev/zero of="$TMPDIR_TEST/noboot.raw" bs=512 seek="$start" count=8192 conv=notrunc status=none
qemu-img convert -O qcow2 "$TMPDIR_TEST/noboot.raw" "$TMPDIR_TEST/noboot.bin"
sed "s|^image = .*|image = $TMPDIR_TEST/noboot.bin\ntimeout = 12|; s/^name = iso/name = bad2/" "$TMPDIR_TEST/iso.conf" > "$TMPDIR_TEST/bad2.conf"
out=$(lab_up "$TMPDIR_TEST/bad2.conf" 2>&1); rc=$?
is "$rc" 4 "a guest that never becomes ready fails up with the timeout code (4)"
like "$out" "node vacm1: not ready after 12 s" "the failure names the node"
like "$out" "last lines of its serial console" "and shows its serial log"
like "$out" "QEMU stderr" "and its QEMU stderr"
ok "$(test -e "$RUN/bad2"; echo $((!$?)))" "nothing of the failed lab is left in the runtime dir"
ok "$(no_leftovers; echo $?)" "no process of any lab of this test is left"
done_testing
