#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/21-cable.t - serial cables between nodes against real guests: the
# stand-in on vacm1 logs in to vacm2 through the cable on its ttyS1 with
# busybox microcom and runs a command there; the cable's log holds both
# directions in order and reads the same from either end; `console --ro`
# watches it; a pulled cable carries nothing and a plugged one works again;
# a restart of vacm2 keeps the cable; a bad declaration is refused before
# anything starts. One lab of two nodes, booted once, hosts every case.
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
serial = console cable:vacm2
after = vacm2

; vacm2's ttyS0, its console, is the cable's far end: vacm2 is ready when
; its login prompt comes out of the cable.
[node vacm2]
image = $IMAGE
EOF

# --- a bad declaration: FILE:LINE, exit 1, nothing started ---------------
sed 's/cable:vacm2/cable:vacm3/' "$TMPDIR_TEST/$LAB.conf" > "$TMPDIR_TEST/bad.conf"
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

# cable_run TAG CMD: on vacm1, microcom on ttyS1 wakes vacm2's getty, logs
# in as root (if asked), runs CMD, and prints what came back.
"$VACMLAB" send -q $LAB vacm1 --expect '# $' 'root\n' > /dev/null
"$VACMLAB" send -q $LAB vacm1 --expect '# $' - > /dev/null <<'EOF'
cat > /tmp/cable.sh <<'XEOF'
# raw, no echo, also between runs (microcom puts back what it found): a
# tty that echoes would send vacm2's output back to its getty as a name.
stty -F /dev/ttyS1 115200 raw -echo
{ printf '\r'; sleep 2; printf 'root\r'; sleep 2; printf '%s\r' "$1"; sleep 3; } |
	microcom -s 115200 -t 4000 /dev/ttyS1 > /tmp/cable.out 2>&1
tr -d '\r' < /tmp/cable.out
echo
echo "CABLE""DONE"
XEOF
EOF
cable_run() {
	"$VACMLAB" send $LAB vacm1 --timeout 60 --expect '^CABLEDONE' "sh /tmp/cable.sh '$1'\n" 2>&1
}
out=$(cable_run 'echo RAN-ON-$(cat /sys/class/tty/ttyS0/type)-$((6*7))')
like "$out" "RAN-ON-[0-9]+-42" "vacm1 logs in to vacm2 through the cable with microcom and runs a command there" ||
	{ diag "$out"; tail -5 "$LOG" | sed 's/^/# /'; }

# The cable's log: one line per chunk, TIME FROM>TO "BYTES", in order.
streams() { # streams LOG: line numbers where each direction first holds a string
	python3 - "$LOG" "$@" <<'EOF'
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
out=$(cable_run 'echo PULLED-$((6*7))')
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

"$VACMLAB" down $LAB > /dev/null 2>&1
ok $? "down"
no_leftovers
ok $? "no process of the lab is left"
done_testing
