#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/22-cable-apply.t - `vacmlab apply` on serial ports, against real
# guests: a device added live answers the guest (the UPS of
# contrib/devices/apc-smart-ups.py); a cable moved from vacm2's console to
# the device and back (vacm1 and vacm2 keep their QEMU: same PIDs, uptime
# grew), each time a login through the new wiring; a device whose command
# changed is restarted; a removed device is stopped, its log kept; a far
# node restarted by apply is noted in the cable's log and the cable works
# after; the dry-run plan names each change; the refusals that remain,
# each with its message. One lab of two nodes, booted once.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd python3 jq
lab_env

LAB=cap22
T=$TMPDIR_TEST
UPS="exec python3 $PWD/contrib/devices/apc-smart-ups.py"
conf() { # conf FILE VACM1_SERIAL [DEVICE_COMMAND [VACM2 EXTRA]]
	{
		printf '[lab]\nname = %s\n\n' $LAB
		printf '[node vacm1]\nimage = %s\nserial = %s\nafter = vacm2\n\n' "$IMAGE" "$2"
		[ -n "${3:-}" ] && printf '[device ups]\ncommand = %s\n\n' "$3"
		printf '[node vacm2]\nimage = %s\n%s\n' "$IMAGE" "${4:-}"
	} > "$T/$1"
}
# A: the cable; B: the UPS added on ttyS2; C: the cable moved to the UPS
# (vacm2's ttyS0 a console again, vacm1's ttyS2 too); back to B; E: the
# UPS's command changed; F: the UPS removed; G: vacm2 restarted (memory).
conf a.conf "console cable:vacm2 console"
conf b.conf "console cable:vacm2 device:ups" "$UPS"
conf c.conf "console device:ups console" "$UPS"
conf e.conf "console cable:vacm2 device:ups" "$UPS # v2"
conf f.conf "console cable:vacm2 console"
conf g.conf "console cable:vacm2 console" "" "memory = 288"
conf ports.conf "console cable:vacm2 device:ups console" "$UPS"
conf tcp.conf "console cable:vacm2 device:ups" "$UPS # v2" "memory = 288
serial = console tcp:47123"
sed 's/^name = .*/&\naccel = tcg/' "$T/e.conf" > "$T/accel.conf"

lab_up "$T/a.conf" > "$T/up.out" 2>&1
ok $? "two nodes joined by a cable are up" || { sed 's/^/# /' "$T/up.out"; lab_logs $LAB; done_testing; }
st() { "$VACMLAB" status --json $LAB | jq -r "$1"; }
port() { st ".nodes[] | select(.name == \"$1\") | .ports[$2] | $3"; }
pid1=$(st '.nodes[0].pid') pid2=$(st '.nodes[1].pid') up1=$(st '.nodes[0].uptime_s')
same_qemu() { # same_qemu WHAT: both nodes kept their QEMU
	local u
	u=$(st '.nodes[0].uptime_s')
	is "$(st '.nodes[0].pid') $(st '.nodes[1].pid') $(st '.nodes[0].state') $(st '.nodes[1].state')" \
		"$pid1 $pid2 ready ready" "$1: vacm1 and vacm2 keep their QEMU (same PIDs, ready)"
	ok $(awk -v a="$u" -v b="$up1" 'BEGIN { exit !(a > b) }'; echo $?) "... vacm1's uptime grew ($up1 -> $u s)"
}
apply() { # apply CONF: runs apply, prints its output
	"$VACMLAB" apply "$T/$1" 2>&1
}

# The guest's helpers (as in 21-cable.t): microcom on a port through a FIFO.
"$VACMLAB" send -q $LAB vacm1 --expect '# $' 'root\n' > /dev/null
"$VACMLAB" send -q $LAB vacm1 --expect '# $' - > /dev/null < "$(dirname "$0")/guest-microcom.sh"
cable_run() { # cable_run CMD: vacm1 logs in to vacm2 through ttyS1, runs CMD
	"$VACMLAB" send $LAB vacm1 --timeout 60 --expect '^CABLEDONE' "sh /tmp/cable.sh '$1'\n" 2>&1
}
dev_run() { # dev_run PORT BYTES WANT: what the device on vacm1's ttySPORT answers
	"$VACMLAB" send $LAB vacm1 --timeout 40 --expect '^DEVDONE' "sh /tmp/dev.sh $1 '$2' '$3'\n" 2>&1 |
		tr -d '\r' | sed -n 's/^ANSWER: //p'
}
out=$(cable_run 'echo A-$((6*7))')
like "$out" "A-42" "A: vacm1 logs in to vacm2 through the cable" || diag "$out"

# --- B: a device added live ------------------------------------------------
out=$("$VACMLAB" apply --dry-run "$T/b.conf" 2>&1); rc=$?
is "$rc" 0 "apply --dry-run on a lab gaining a device" || diag "$out"
like "$out" "add +device ups" "the plan adds device ups"
like "$out" "plug +cable vacm1:ttyS2-device:ups" "... plugs vacm1's ttyS2 into it"
like "$out" "keep +node +vacm1" "... and keeps vacm1"
is "$(port vacm1 2 .kind)" "console" "a dry run changes nothing"
out=$(apply b.conf); rc=$?
is "$rc" 0 "B: apply adds the UPS on vacm1's ttyS2" || { diag "$out"; lab_logs $LAB; }
same_qemu "B"
is "$(port vacm1 2 '.kind + " " + .device_state + " " + .peer')" "device running device:ups" \
	"status: vacm1 ttyS2 is the UPS's port, the UPS running"
out=$(dev_run 2 'Y' SM)
like "$out" "SM" "the guest talks to the device added live: Y -> SM" || diag "$out"

# --- C: the cable moved from vacm2's console to the device ------------------
out=$("$VACMLAB" apply --dry-run "$T/c.conf" 2>&1)
like "$out" "pull +cable vacm1:ttyS1-vacm2:ttyS0" "C plan: the cable to vacm2 is pulled"
like "$out" "pull +cable vacm1:ttyS2-device:ups" "... the UPS's cable on ttyS2 too"
like "$out" "plug +cable vacm1:ttyS1-device:ups" "... and the UPS plugged into ttyS1"
like "$out" "keep +node +vacm2" "... vacm2 kept (its ttyS0 a console again)"
out=$(apply c.conf); rc=$?
is "$rc" 0 "C: apply moves the cable" || { diag "$out"; lab_logs $LAB; }
same_qemu "C"
is "$(port vacm1 1 .kind) $(port vacm1 2 .kind) $(port vacm2 0 .kind)" "device console console" \
	"status: vacm1 ttyS1 the UPS, ttyS2 and vacm2's ttyS0 consoles"
out=$(dev_run 1 'Y' SM)
like "$out" "SM" "the UPS answers on vacm1's ttyS1 now" || diag "$out"
out=$("$VACMLAB" send $LAB vacm2 --timeout 30 --expect '# $' '\nroot\n' 2>&1)
ok $? "a login on vacm2's ttyS0, a console again" || diag "$out"
out=$("$VACMLAB" send $LAB vacm2 --timeout 30 --expect 'C-42' 'echo C-$((6*7))\n' 2>&1)
like "$out" "C-42" "... runs a command there"
like "$(cat "$VACMLAB_STATE_DIR/$LAB/logs/vacm1.ttyS1.log.prev")" 'cable vacm1:ttyS1-vacm2:ttyS0 pulled by apply' \
	"the old cable's log (now LOG.prev) says it was pulled"
grep -q 'login:' "$VACMLAB_STATE_DIR/$LAB/logs/vacm1.ttyS0.log"
ok $? "vacm1's console log still holds its boot (the console was not touched)"

# --- back to B: the cable back on vacm2's console ------------------------------
out=$(apply b.conf); rc=$?
is "$rc" 0 "back to B: apply moves the cable back" || { diag "$out"; lab_logs $LAB; }
same_qemu "back to B"
"$VACMLAB" send -q $LAB vacm2 --timeout 30 --expect '# $' 'exit\n' > /dev/null 2>&1
out=$(cable_run 'echo B-$((6*7))')
like "$out" "B-42" "vacm1 logs in to vacm2 through the cable again" || diag "$out"
is "$(port vacm1 1 .kind) $(port vacm2 0 .kind) $(port vacm2 0 .peer)" "cable cable vacm1:ttyS1" \
	"status: the cable is back, seen from vacm2"

# --- E: the device's command changed: restarted -------------------------------
dpid=$(port vacm1 2 .device_pid)
out=$("$VACMLAB" apply --dry-run "$T/e.conf" 2>&1)
like "$out" "restart +device ups \(command changed\)" "E plan: the UPS restarts, its command changed"
out=$(apply e.conf); rc=$?
is "$rc" 0 "E: apply restarts the UPS" || diag "$out"
dpid2=$(port vacm1 2 .device_pid)
ok $([ "$dpid2" != "$dpid" ] && [ "$(port vacm1 2 .device_state)" = running ]; echo $?) \
	"the UPS runs as a new process ($dpid -> $dpid2)"
ok $(kill -0 "$dpid" 2>/dev/null; [ $? != 0 ]; echo $?) "... the old one is gone"
out=$(dev_run 2 'Y' SM)
like "$out" "SM" "the restarted UPS answers" || diag "$out"
grep -q 'device ups restarted by apply' "$VACMLAB_STATE_DIR/$LAB/logs/vacm1.ttyS2.log"
ok $? "its log says it was restarted by apply"

# --- refusals that remain --------------------------------------------------
out=$("$VACMLAB" apply "$T/accel.conf" 2>&1); rc=$?
is "$rc" 1 "a changed accelerator is refused (exit 1)"
like "$out" "\[lab\] accel would change \(decided at up\).*nothing was changed" "... saying why"
out=$("$VACMLAB" apply "$T/tcp.conf" 2>&1); rc=$?
is "$rc" 1 "a restarted node with a tcp: port is refused (exit 1)"
like "$out" "node vacm2 would restart with a tcp: serial port" "... saying why"
out=$("$VACMLAB" apply --dry-run "$T/ports.conf" 2>&1)
like "$out" "restart +node +vacm1 \(serial changed\)" "a port more is one QEMU must see: the node restarts"
sed 's/^command = .*/command = /' "$T/e.conf" > "$T/bad.conf"
out=$("$VACMLAB" apply "$T/bad.conf" 2>&1); rc=$?
is "$rc" 1 "a device without a command is refused (exit 1)"
like "$out" "bad.conf:[0-9]+: " "... FILE:LINE"
same_qemu "after the refusals"

# --- F: the device removed -------------------------------------------------
dpid=$(port vacm1 2 .device_pid)
out=$("$VACMLAB" apply --dry-run "$T/f.conf" 2>&1)
like "$out" "remove +device ups" "F plan: the UPS is removed"
like "$out" "pull +cable vacm1:ttyS2-device:ups" "... its cable pulled"
out=$(apply f.conf); rc=$?
is "$rc" 0 "F: apply removes the UPS" || diag "$out"
ok $(kill -0 "$dpid" 2>/dev/null; [ $? != 0 ]; echo $?) "the UPS's process is gone"
is "$(port vacm1 2 .kind) $(st '.nodes[0].pid')" "console $pid1" "vacm1's ttyS2 is a console, vacm1 kept"
grep -q 'device ups removed by apply' "$VACMLAB_STATE_DIR/$LAB/logs/vacm1.ttyS2.log.prev"
ok $? "the UPS's log is kept (LOG.prev) and says it was removed"
grep -q 'device:ups>vacm1:ttyS2 "SM' "$VACMLAB_STATE_DIR/$LAB/logs/vacm1.ttyS2.log.prev"
ok $? "... with what it said"

# --- G: the far node restarted by apply -----------------------------------------
out=$(apply g.conf); rc=$?
is "$rc" 0 "G: apply restarts vacm2 (memory)" || diag "$out"
ok $([ "$(st '.nodes[1].pid')" != "$pid2" ] && [ "$(st '.nodes[0].pid')" = "$pid1" ]; echo $?) \
	"vacm2 has a new QEMU, vacm1 the same"
LOG="$VACMLAB_STATE_DIR/$LAB/logs/vacm1.ttyS1.log"
like "$(cat "$LOG")" 'vacm2:ttyS0 restarted by apply.*' "the cable's log notes vacm2's restart"
like "$(cat "$LOG")" 'end back' "... and its end coming back"
out=$(cable_run 'echo G-$((6*7))')
like "$out" "G-42" "the cable carries after vacm2's restart" || diag "$out"

"$VACMLAB" down $LAB > /dev/null 2>&1
ok $? "down"
no_leftovers
ok $? "no process of the lab is left"
done_testing
