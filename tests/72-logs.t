#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Desk sessions, part 3: bounded logs. With [lab] log_max = 1M a guest that
# writes 3 MB to its console leaves a log of at most 1 MiB plus one rotated
# part (.1), the newest line in the current file; `vacmlab logs` prints
# both in order and `logs -f` follows across the rotations. The next run
# keeps the last one's log as .prev, apart from its own.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd jq python3
lab_env
plan 19
RUN=$VACMLAB_RUNTIME_DIR
cat > "$TMPDIR_TEST/logs.conf" <<EOT
[lab]
name = logs
log_max = 1M
[lan lan]
subnet = 192.168.75.0/24
[node n1]
image = $IMAGE
nic = lan 192.168.75.11
ready = console "login:"
EOT
out=$(lab_up "$TMPDIR_TEST/logs.conf" 2>&1); rc=$?
is "$rc" 0 "up a lab with log_max = 1M"
[ "$rc" = 0 ] || { echo "$out" | sed 's/^/# /'; lab_logs logs; }
L=$VACMLAB_STATE_DIR/logs/logs/n1.ttyS0.log
"$VACMLAB" logs -f logs n1 >"$TMPDIR_TEST/follow.out" 2>"$TMPDIR_TEST/follow.err" &
fpid=$!
t0=$SECONDS
# 3 MB of 46-byte lines (65218 whole lines, 3000028 bytes: no partial
# line that a rotation could leave at the start of a file), then a marker line. Sent with
# `vacmlab send` and awaited with `vacmlab wait`: nothing reads the flood
# but the supervisor (and logs -f).
python3 "$SRCDIR/tests/guest-sh.py" "$RUN/logs/n1/ttyS0.sock" 60 true >/dev/null 2>&1
"$VACMLAB" send logs n1 'yes 0123456789abcdef0123456789abcdef0123456789abc | head -n 65218; echo newest-line-$((6*7))\n' &&
	"$VACMLAB" wait logs n1 --new --timeout 240 --console '^newest-line-42' >/dev/null
ok $? "the guest wrote 3 MB to its console ($((SECONDS - t0)) s)"
wait_for 20 grep -q newest-line-42 "$L"
size=$(stat -c %s "$L"); size1=$(stat -c %s "$L.1" 2>/dev/null || echo 0)
diag "log $size bytes, log.1 $size1 bytes"
ok "$([ "$size" -le 1048576 ]; echo $?)" "the current log is at most 1 MiB ($size)"
ok "$([ "$size1" -gt 0 ] && [ "$size1" -le 1048576 ]; echo $?)" "one rotated part, at most 1 MiB ($size1)"
ok "$(ls "$L".* | grep -qvE '\.log\.1$'; echo $((!$?)))" "and no other part (no .2, no .prev on a first run)"
ok "$(grep -q newest-line-42 "$L"; echo $?)" "the newest line is in the current file"
like "$(head -n 1 "$L" | tr -d '\r')" '^(0123456789abcdef0123456789abcdef0123456789abc|newest-line-42)$' \
	"the current file starts at a line start (rotated at a line end)"
cmp -s <("$VACMLAB" logs logs n1) <(cat "$L.1" "$L")
ok $? "vacmlab logs prints the rotated part, then the current log"
wait_for 10 grep -q newest-line-42 "$TMPDIR_TEST/follow.out"
kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null
fsize=$(stat -c %s "$TMPDIR_TEST/follow.out")
ok "$(grep -q newest-line-42 "$TMPDIR_TEST/follow.out"; echo $?)" "logs -f followed across the rotations to the newest line"
ok "$([ "$(grep -c '^0123456789abcdef0123456789abcdef0123456789abc' "$TMPDIR_TEST/follow.out")" -ge 59999 ]; echo $?)" \
	"and lost no line of the 3 MB ($fsize bytes followed)"
ok "$(grep -q 'a new run started' "$TMPDIR_TEST/follow.err"; echo $((!$?)))" "a rotation is not taken for a new run"

# The next run: this run's log becomes .prev, its .1 goes.
"$VACMLAB" down logs >/dev/null 2>&1
out=$(lab_up "$TMPDIR_TEST/logs.conf" 2>&1); is "$?" 0 "up again"
ok "$(grep -q newest-line-42 "$L.prev" && [ ! -e "$L.1" ]; echo $?)" \
	"the previous run's log is .prev, this run has no .1 yet"
ok "$("$VACMLAB" logs --previous logs n1 | grep -q newest-line-42; echo $?)" "logs --previous prints it"
"$VACMLAB" down logs >/dev/null 2>&1

# dnsmasq writes its own log: renamed, then SIGUSR2 makes it reopen. A
# host with 32 DHCP clients in a loop makes it chatty (no guest needed).
cat > "$TMPDIR_TEST/dns.conf" <<'EOT'
[lab]
name = dnslog
log_max = 64K
[lan lan]
subnet = 192.168.76.0/24
[host h1]
nic = lan 192.168.76.20
command = for i in $(seq 32); do (while :; do busybox udhcpc -i eth0 -n -q -f -s /bin/true -t 1 -T 1; done) & done; wait
EOT
D=$VACMLAB_STATE_DIR/dnslog/logs
out=$(lab_up "$TMPDIR_TEST/dns.conf" 2>&1); is "$?" 0 "up a lab whose dnsmasq is chatty, log_max = 64K"
dpid=$(pgrep -f -- "$RUN/dnslog/dnsmasq" | head -1)
ok "$(wait_for 60 test -s "$D/dnsmasq.log.1"; echo $?)" "dnsmasq.log rotated to dnsmasq.log.1"
sleep 2
ok "$([ -n "$dpid" ] && kill -0 "$dpid"; echo $?)" "dnsmasq lives on after the rotation (SIGUSR2, pid $dpid)"
ok "$(grep -q DHCPDISCOVER "$D/dnsmasq.log" && [ "$(stat -c %i "$D/dnsmasq.log")" != "$(stat -c %i "$D/dnsmasq.log.1")" ]; echo $?)" \
	"and writes on in a new dnsmasq.log"
s1=$(stat -c %s "$D/dnsmasq.log.1")
ok "$([ "$s1" -le $((2 * 65536)) ]; echo $?)" "the rotated part is bounded ($s1 bytes: log_max plus at most a second of writing)"
diag "$(grep rotated "$D/supervisor.log" | head -3)"
"$VACMLAB" down dnslog >/dev/null 2>&1
done_testing
