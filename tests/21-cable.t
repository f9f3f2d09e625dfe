#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/21-cable.t - serial cables between nodes against real guests: the
# stand-in on vacm1 logs in to vacm2 through the cable on its ttyS1 with
# busybox microcom and runs a command there; the cable's log holds both
# directions in order and reads the same from either end; `console --ro`
# watches it; a pulled cable carries nothing and a plugged one works again;
# a restart of vacm2 keeps the cable; a bad declaration is refused before
# anything starts. Devices: a UPS on ttyS2 (APC Smart protocol), a device
# that exits and is restarted on ttyS3; a pty port on ttyS4 a host program
# talks through. One lab of two nodes, booted once, hosts every case.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd python3
lab_env

LAB=cab21
cat > "$TMPDIR_TEST/$LAB.conf" <<EOF
[lab]
name = $LAB

; vacm1 boots once vacm2 is up: vacm2's boot messages find vacm1 down and
; are lost, so none wait in the cable to be echoed back by vacm1's ttyS1
; before the test makes it raw (a tty's default is to echo, and the
; getty on the other end would take the echo for a login name).
[node vacm1]
image = $IMAGE
serial = console cable:vacm2 device:ups device:blip pty
after = vacm2

; a UPS speaking APC's Smart protocol on ttyS2
[device ups]
command = exec python3 $PWD/contrib/devices/apc-smart-ups.py

; a device that says BYE and exits 3 on its first byte, started again
[device blip]
command = stty raw -echo; head -c 1 > /dev/null; printf 'BYE\r\n'; sleep 0.2; exit 3
restart = yes

; vacm2's ttyS0, its console, is the cable's far end: vacm2 is ready when
; its login prompt comes out of the cable.
[node vacm2]
image = $IMAGE
EOF

# --- a bad declaration: FILE:LINE, exit 1, nothing started ---------------
sed 's/cable:vacm2 /cable:vacm3 /' "$TMPDIR_TEST/$LAB.conf" > "$TMPDIR_TEST/bad.conf"
out=$("$VACMLAB" up "$TMPDIR_TEST/bad.conf" 2>&1); rc=$?
ok $([ $rc = 1 ] && [ ! -e "$VACMLAB_RUNTIME_DIR/$LAB" ]; echo $?) "cable to an unknown node: exit 1 ($rc), no lab dir"
like "$out" "^$TMPDIR_TEST/bad.conf:10: cable from vacm1:ttyS1 to unknown node 'vacm3'; did you mean" "... with FILE:LINE and a suggestion"

# --- the lab -------------------------------------------------------------
t0=$SECONDS
lab_up "$TMPDIR_TEST/$LAB.conf" > "$TMPDIR_TEST/up.out" 2>&1
ok $? "two nodes joined by a cable are up, vacm2 ready through it ($((SECONDS - t0)) s)" ||
	{ sed 's/^/# /' "$TMPDIR_TEST/up.out"; lab_logs $LAB; done_testing; }
LOG="$VACMLAB_STATE_DIR/$LAB/logs/vacm1.ttyS1.log"

port_json() { # port_json NODE IDX: that port's ports[] object
	"$VACMLAB" status --json $LAB | python3 -c "import json,sys
st=json.load(sys.stdin)
n=[n for n in st['nodes'] if n['name']=='$1'][0]
print(json.dumps(n['ports'][$2], sort_keys=True))"
}
p1=$(port_json vacm1 1)
like "$p1" '"kind": "cable".*"peer": "vacm2:ttyS0".*"plugged": true' "status: vacm1 ttyS1 is a plugged cable to vacm2:ttyS0"
like "$(port_json vacm2 0)" '"kind": "cable".*"peer": "vacm1:ttyS1"' "status: vacm2 ttyS0 is the cable's far end"

# Scripts in the guest, driving busybox microcom through a FIFO and waiting
# on what comes back (no fixed sleeps): mc.sh's functions; cable.sh logs in
# to vacm2 through the cable if asked and runs CMD; dev.sh sends bytes to a
# device and waits for its answer. Raw, no echo (also between runs:
# microcom puts back what it found): a tty that echoes would send vacm2's
# output back to its getty as a name.
"$VACMLAB" send -q $LAB vacm1 --expect '# $' 'root\n' > /dev/null
"$VACMLAB" send -q $LAB vacm1 --expect '# $' - > /dev/null < "$(dirname "$0")/guest-microcom.sh"
# cable_run CMD [TENTHS]: on vacm1, microcom on ttyS1 wakes vacm2's getty,
# logs in as root (if asked), runs CMD, and prints what came back; each
# wait on vacm2's answer lasts at most TENTHS/10 s (default 30 s).
cable_run() {
	local t=$SECONDS
	"$VACMLAB" send $LAB vacm1 --timeout 60 --expect '^CABLEDONE' "sh /tmp/cable.sh '$1' ${2:-}\n" 2>&1
	echo "cable_run took $((SECONDS - t)) s" >&2
}
out=$(cable_run 'echo RAN-ON-$(cat /sys/class/tty/ttyS0/type)-$((6*7))')
like "$out" "RAN-ON-[0-9]+-42" "vacm1 logs in to vacm2 through the cable with microcom and runs a command there" ||
	{ diag "$out"; tail -5 "$LOG" | sed 's/^/# /'; }

# The cable's log: one line per chunk, TIME FROM>TO "BYTES", in order.
streams() { # streams FROM>TO=STRING...: line numbers (of $SLOG, default $LOG)
	# where each direction's bytes, chunks joined, first hold the string
	python3 - "${SLOG:-$LOG}" "$@" <<'EOF'
import re, sys
log, want = sys.argv[1], sys.argv[2:]
acc = {}
first = {}
for no, line in enumerate(open(log, encoding="utf-8", errors="replace"), 1):
    m = re.match(r'^\S+Z (\S+)>(\S+) (lost )?"(.*)"$', line.rstrip("\n"))
    if not m or m.group(3):
        continue
    d = m.group(1) + ">" + m.group(2)
    acc[d] = acc.get(d, "") + m.group(4).encode().decode("unicode_escape")
    for w in want:
        dd, s = w.split("=", 1)
        if dd == d and s in acc[d] and w not in first:
            first[w] = no
print(" ".join(str(first.get(w, 0)) for w in want))
EOF
}
read -r a b c <<< "$(streams 'vacm2:ttyS0>vacm1:ttyS1=login:' 'vacm1:ttyS1>vacm2:ttyS0=root' 'vacm2:ttyS0>vacm1:ttyS1=-42')"
ok $([ "$a" -gt 0 ] && [ "$b" -gt "$a" ] && [ "$c" -gt "$b" ]; echo $?) \
	"cable log: login: from vacm2 (line $a), then root from vacm1 (line $b), then the answer from vacm2 (line $c)"
like "$(head -1 "$LOG")" '^[0-9-]+T[0-9:.]+Z ' "each log line starts with its time"
is "$("$VACMLAB" logs $LAB vacm2 0 | md5sum)" "$("$VACMLAB" logs $LAB vacm1 1 | md5sum)" "vacmlab logs prints the same cable log from either end"
like "$("$VACMLAB" logs $LAB vacm2 ttyS0)" 'vacm1:ttyS1>vacm2:ttyS0 "' "vacmlab logs marks the direction"

# console --ro on either end: the recent lines of both directions, marked.
out=$(timeout 10 "$VACMLAB" console --ro -q --timeout 1 $LAB vacm2 0 < /dev/null 2>&1)
like "$out" 'vacm2:ttyS0>vacm1:ttyS1 ' "console --ro on vacm2 ttyS0 shows what vacm2 sent"
like "$out" 'vacm1:ttyS1>vacm2:ttyS0 ' "... and what vacm1 sent"
out=$("$VACMLAB" console $LAB vacm1 1 < /dev/null 2>&1)
like "$out" "serial cable: watch it with .vacmlab console --ro." "console read-write on a cable end is refused with a hint"

# A pulled cable carries nothing, and its bytes are lost; plugged, it works.
out=$("$VACMLAB" link down $LAB vacm1:ttyS1 2>&1)
ok $? "link down LAB vacm1:ttyS1" || diag "$out"
like "$(port_json vacm2 0)" '"plugged": false' "status: the cable is pulled (seen from either end)"
out=$(cable_run 'echo PULLED-$((6*7))' 15) # nothing comes: wait 1.5 s
unlike "$out" "PULLED-42" "a pulled cable carries nothing"
like "$(port_json vacm1 1)" '"lost_sent": [1-9]' "status counts what was lost on the pulled cable"
grep -q 'vacm1:ttyS1>vacm2:ttyS0 lost "' "$LOG"
ok $? "the log shows the lost bytes as lost"
"$VACMLAB" link up $LAB vacm1:ttyS1 > /dev/null 2>&1
ok $? "link up LAB vacm1:ttyS1"
out=$(cable_run 'echo PLUGGED-$((6*7))')
like "$out" "PLUGGED-42" "a plugged cable works again" || diag "$out"
out=$("$VACMLAB" link down $LAB vacm1:ttyS0 2>&1)
is $? 1 "link down on a port that is no cable: exit 1"
like "$out" "vacm1:ttyS0 is not a cable" "... saying so"

# A restart of vacm2 keeps the cable: re-plugged when QEMU is back.
out=$("$VACMLAB" node restart $LAB vacm2 2>&1)
ok $? "node restart vacm2 (ready again through the cable)" || diag "$out"
out=$(cable_run 'echo AFTER-RESTART-$((6*7))')
like "$out" "AFTER-RESTART-42" "after vacm2's restart the cable still carries both ways" || diag "$out"
like "$(port_json vacm1 1)" '"plugged": true' "status: plugged after the restart"

t_cable=$SECONDS
# --- devices: a program on a pty, the far end of a cable ------------------
DLOG="$VACMLAB_STATE_DIR/$LAB/logs/vacm1.ttyS2.log"
dev_run() { # dev_run PORT BYTES WANT [TENTHS]: what the device on vacm1's ttySPORT answers
	"$VACMLAB" send $LAB vacm1 --timeout 30 --expect '^DEVDONE' "sh /tmp/dev.sh $1 '$2' '$3' ${4:-}\n" 2>&1 |
		tr -d '\r' | sed -n 's/^ANSWER: //p'
}
p2=$(port_json vacm1 2)
like "$p2" '"device": "ups".*"device_state": "running".*"kind": "device".*"peer": "device:ups".*"plugged": true' \
	"status: vacm1 ttyS2 is a device port, the UPS running, plugged"
out=$(dev_run 2 'Y' SM)
like "$out" "SM" "the UPS on ttyS2 answers Y (smart mode) with SM" || diag "$out"
out=$(dev_run 2 'Qf' '100.0')
like "$out" "08 100.0" "... Q: status 08 (on line), f: battery 100.0 %" || diag "$out"
grep -q 'vacm1:ttyS2>device:ups "Y"' "$DLOG"
ok $? "the device's log holds what vacm1 sent" || tail -5 "$DLOG" | sed 's/^/# /'
read -r a b <<< "$(SLOG=$DLOG streams 'vacm1:ttyS2>device:ups=Y' 'device:ups>vacm1:ttyS2=SM')"
ok $([ "$a" -gt 0 ] && [ "$b" -gt "$a" ]; echo $?) "... and, after it, what the device answered (lines $a, $b)" ||
	tail -5 "$DLOG" | sed 's/^/# /'
out=$(timeout 10 "$VACMLAB" console --ro -q --timeout 1 $LAB vacm1 2 < /dev/null 2>&1)
like "$out" 'device:ups>vacm1:ttyS2 ' "console --ro on the device port shows both directions"
like "$out" 'vacm1:ttyS2>device:ups ' "... what vacm1 sent too"
"$VACMLAB" link down $LAB vacm1:ttyS2 > /dev/null 2>&1
ok $? "link down LAB vacm1:ttyS2 pulls the device's cable"
out=$(dev_run 2 'Y' SM 15) # nothing comes: wait 1.5 s
unlike "$out" "SM" "a pulled device cable carries nothing"
like "$(port_json vacm1 2)" '"lost_sent": [1-9]' "... and counts the lost bytes"
"$VACMLAB" link up $LAB vacm1:ttyS2 > /dev/null 2>&1
out=$(dev_run 2 'Y' SM)
like "$out" "SM" "plugged again, the UPS answers" || diag "$out"

# restart = yes: the device exits (status 3) and comes back.
out=$(dev_run 3 'x' BYE)
like "$out" "BYE" "the blip device on ttyS3 answers and exits" || diag "$out"
for _ in $(seq 50); do
	p3=$(port_json vacm1 3)
	case $p3 in *'"device_restarts": 0'*) sleep 0.2 ;; *) break ;; esac
done
like "$p3" '"device_exit": "exited with status 3".*"device_restarts": 1.*"device_state": "running"' \
	"status: it exited with status 3, was restarted once, runs again" || diag "$p3"
out=$(dev_run 3 'x' BYE)
like "$out" "BYE" "the restarted device answers again" || diag "$out"
grep -q 'device blip exited with status 3' "$VACMLAB_STATE_DIR/$LAB/logs/vacm1.ttyS3.log"
ok $? "the device's log says it exited"

# --- a pty port: a program on the host talks to the guest's ttyS4 ---------
PTY="$VACMLAB_RUNTIME_DIR/$LAB/vacm1/ttyS4.pty"
like "$(port_json vacm1 4)" '"kind": "pty".*"peer": "pty".*"pty": "/dev/pts/[0-9]+"' \
	"status: vacm1 ttyS4 is a pty port, with its path"
ok $([ -L "$PTY" ] && [ -c "$PTY" ]; echo $?) "RUNDIR/vacm1/ttyS4.pty links to it"
python3 - "$PTY" > "$TMPDIR_TEST/pty.out" 2>&1 <<'EOF' &
import os, select, sys, time, tty
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
buf, end = b"", time.monotonic() + 60
while b"HELLO-PTY" not in buf and time.monotonic() < end:
    if select.select([fd], [], [], 1)[0]:
        buf += os.read(fd, 100)
os.write(fd, b"world")
print("host got:", buf.decode(errors="replace").strip())
EOF
pypid=$!
out=$("$VACMLAB" send $LAB vacm1 --timeout 60 --expect 'GUEST-GOT world' \
	'stty -F /dev/ttyS4 raw -echo; head -c 5 /dev/ttyS4 > /tmp/pty.in & sleep 0.5; echo HELLO-PTY > /dev/ttyS4; wait; echo GUEST-GOT $(cat /tmp/pty.in)\n' 2>&1)
like "$out" "GUEST-GOT world" "the guest reads on ttyS4 what the host program wrote on the pty" || diag "$out"
wait $pypid
like "$(cat "$TMPDIR_TEST/pty.out")" "host got: HELLO-PTY" "the host program reads on the pty what the guest wrote on ttyS4"
PLOG="$VACMLAB_STATE_DIR/$LAB/logs/vacm1.ttyS4.log"
read -r a b <<< "$(SLOG=$PLOG streams 'vacm1:ttyS4>pty=HELLO-PTY' 'pty>vacm1:ttyS4=world')"
ok $([ "$a" -gt 0 ] && [ "$b" -gt "$a" ]; echo $?) "the pty port's log holds both directions, in order (lines $a, $b)" ||
	tail -5 "$PLOG" | sed 's/^/# /'
diag "timing: up to cables $((t_cable - t0)) s (boot included), devices $((SECONDS - t_cable)) s"

# --- BREAK: `send --break` raises a break on a guest's UART ---------------
# (QMP chardev-send-break; Linux counts it as brk:N in
# /proc/tty/driver/serial, and on the console it starts a magic SysRq.)
t_brk=$SECONDS
"$VACMLAB" send -q $LAB vacm1 --expect '# $' - > /dev/null <<'EOF'
cat > /tmp/brk.sh <<'XEOF'
awk -v p="$1:" '$1 == p { n = 0; for (i = 2; i <= NF; i++) if ($i ~ /^brk:/) n = substr($i, 5); print "BRK=" n }' /proc/tty/driver/serial
XEOF
EOF
brk1() { # brk1 PORT: vacm1's break count on ttySPORT (Ctrl-U first: a clean line)
	"$VACMLAB" send $LAB vacm1 --timeout 20 --expect '^BRK=[0-9]+' "\x15sh /tmp/brk.sh $1\n" 2>&1 |
		tr -d '\r' | sed -n 's/^BRK=\([0-9]*\).*/\1/p' | tail -1
}
b0=$(brk1 0)
out=$("$VACMLAB" send --break $LAB vacm1 2>&1)
ok $? "send --break LAB vacm1 (its console, ttyS0)" || diag "$out"
# The key after a break on the console is a SysRq command: h, help.
out=$("$VACMLAB" send $LAB vacm1 --timeout 10 --expect 'sysrq: HELP' 'h' 2>&1)
like "$out" '^\[ *[0-9.]+\] sysrq: HELP' "... the guest took it as a break: the next key (h) is a SysRq command" || diag "$out"
b1=$(brk1 0)
is "$b1" "$((${b0:-0} + 1))" "vacm1 counts one more break on ttyS0 ($b0 -> $b1)"
grep -aq '\[vacmlab: break sent\]' "$VACMLAB_STATE_DIR/$LAB/logs/vacm1.ttyS0.log"
ok $? "the console's log notes the break"
# A cable end: the break reaches the node's own UART (held open: a closed
# port ignores its line), and the cable's log notes it.
"$VACMLAB" send -q $LAB vacm1 --expect '# $' 'exec 4</dev/ttyS1\n' > /dev/null
c0=$(brk1 1)
out=$("$VACMLAB" send --break $LAB vacm1 ttyS1 2>&1)
ok $? "send --break LAB vacm1 ttyS1 (a cable end)" || diag "$out"
c1=$(brk1 1)
is "$c1" "$((${c0:-0} + 1))" "vacm1 counts one more break on ttyS1 ($c0 -> $c1)"
like "$(grep -a 'break' "$LOG")" 'cable vacm1:ttyS1-vacm2:ttyS0 break -> vacm1:ttyS1' "the cable's log notes the break and where it went"
# A guest's own break (LCR bit 6 on vacm1's ttyS1, through /dev/port) is
# not carried: QEMU hands it to the chardev as an ioctl, which a socket
# ignores. vacm2 sees no break on its end.
"$VACMLAB" send -q $LAB vacm1 --expect '# $' - > /dev/null <<'EOF'
exec 4<&-; l=$(dd if=/dev/port bs=1 skip=763 count=1 2>/dev/null | od -An -tu1); printf "\\$(printf %o $((l | 64)))" | dd of=/dev/port bs=1 seek=763 count=1 2>/dev/null; sleep 0.5; printf "\\$(printf %o $l)" | dd of=/dev/port bs=1 seek=763 count=1 2>/dev/null
EOF
out=$(cable_run 'echo BRKS=$(grep ^0: /proc/tty/driver/serial | grep -c brk:)')
like "$out" "BRKS=0" "a guest's own break is not carried over the cable: vacm2 counts none" || diag "$out"
# The interactive console: Ctrl-] b sends a break, Ctrl-] . leaves.
out=$(timeout 30 python3 "$(dirname "$0")/pty-console.py" "$VACMLAB" $LAB vacm1 \
	'<5:escape is Ctrl-]' '>\x1d' '<2:leave]' '>b' '<5:break sent' '>h' '<10:sysrq: HELP' '>\x1d.' '<3:')
like "$out" "break sent to vacm1 ttyS0" "console: Ctrl-] b sends a break" || diag "$out"
like "$out" '\] sysrq: HELP' "... which the guest takes as one (SysRq h)"
like "$out" "EXIT 0" "... and Ctrl-] . leaves with exit 0"
is "$(brk1 0)" "$((${b1:-0} + 1))" "vacm1 counts the console's break on ttyS0"
# Errors: a port the node does not have, an unknown node, a stopped node.
out=$("$VACMLAB" send --break $LAB vacm1 9 2>&1)
is $? 1 "send --break to a port vacm1 does not have: exit 1"
like "$out" "vacm1 has no ttyS9" "... saying so" || diag "$out"
out=$("$VACMLAB" send --break $LAB vacm1 extra text 2>&1)
is $? 1 "send --break with TEXT: a usage error, exit 1"
out=$("$VACMLAB" send --break $LAB vacm9 2>&1)
is $? 1 "send --break to an unknown node: exit 1"
like "$out" "has no node 'vacm9'" "... saying so" || diag "$out"
"$VACMLAB" node kill $LAB vacm2 > /dev/null 2>&1
out=$("$VACMLAB" send --break $LAB vacm2 2>&1)
is $? 5 "send --break to a stopped node: exit 5"
like "$out" "node vacm2 is not running" "... saying so" || diag "$out"
diag "timing: breaks $((SECONDS - t_brk)) s"
"$VACMLAB" down $LAB > /dev/null 2>&1
ok $? "down"
no_leftovers
ok $? "no process of the lab is left"
done_testing
