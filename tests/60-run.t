#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 60-run.t - `vacmlab run`: exit statuses (CMD's, 125 for a lab that cannot
# come up, 128+N on a signal), the lab in CMD's environment, artifacts,
# JUnit, --capture, parallel runs of one topology, nothing left behind.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd tcpdump python3 jq
lab_env
plan 28

T=$TMPDIR_TEST
cd "$T" || exit 1
cat > one.conf <<CONF
[lab]
name = runt
[lan lan]
subnet = 10.60.0.0/24
dhcp = 10.60.0.100-10.60.0.150
[node vacm1]
image = $IMAGE
memory = 256
nic = lan 10.60.0.11
ready = console "login:"
timeout = 90
CONF
# Processes lab_pids cannot see (run, up and the supervisor carry run's
# argv): find them by the topology path, and the test command by its argv.
run_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q -e "$T/" -e "sleep 61.234" && echo "${p#/proc/}"
	done
}
nothing_left() {
	local i p
	for i in $(seq 50); do [ -z "$(run_pids)$(lab_pids)" ] && return 0; sleep 0.1; done
	for p in $(run_pids) $(lab_pids); do echo "# left: $p $(tr '\0' ' ' < /proc/$p/cmdline)"; done
	return 1
}

# 1. Two runs of the same topology in parallel, both passing; CMD sees the lab.
CHECK='test -n "$VACMLAB_LAB" && test "$VACMLAB_NODES" = vacm1 && test "$VACMLAB_NODE_vacm1_ADDR" = 10.60.0.11 && ping -c1 -W5 vacm1 && echo "LAB=$VACMLAB_LAB"'
"$VACMLAB" run "$T/one.conf" -- sh -c "$CHECK" > p1.out 2> p1.err & P1=$!
"$VACMLAB" run "$T/one.conf" -- sh -c "$CHECK" > p2.out 2> p2.err & P2=$!
wait $P1; r1=$?; wait $P2; r2=$?
is "$r1" 0 "run 1 with a passing command returns 0"
is "$r2" 0 "run 2 (in parallel, same topology) returns 0"
[ "$r1" = 0 ] && [ "$r2" = 0 ] || { sed 's/^/# /' p1.err p2.err | tail -40; }
l1=$(sed -n 's/^LAB=//p' p1.out); l2=$(sed -n 's/^LAB=//p' p2.out)
like "$l1" '^runt-[0-9]+-[0-9a-f]{4}$' "a unique lab name per run ($l1)"
ok $([ -n "$l1" ] && [ "$l1" != "$l2" ]; echo $?) "the parallel runs had different names ($l1, $l2)"
like "$(tail -n1 p1.err)" '^ok 1 - ' "a TAP line ends the run"
ok $([ ! -e vacmlab-artifacts ]; echo $?) "no artifacts for a passing run without --artifacts"
ok $([ -n "$l1" ] && [ ! -e "$VACMLAB_STATE_DIR/$l1" ]; echo $?) "the throwaway lab's state dir is gone"
ok $(nothing_left; echo $?) "nothing left after the passing runs"

# 2. A failing command: its status, every artifact, JUnit, a capture.
"$VACMLAB" run --capture --junit "$T/j.xml" "$T/one.conf" -- \
	sh -c 'ping -c3 -i0.3 -W5 vacm1; echo "bad <&> \"quoted\" output"; exit 3' > f.out 2> f.err
is "$?" 3 "a failing command's status is returned"
A=$(ls -d vacmlab-artifacts/runt-* 2>/dev/null | head -1)
ok $([ -n "$A" ]; echo $?) "the default artifacts dir exists ($A)"
missing=
for f in vacm1.ttyS0.log vacm1.qemu.log dnsmasq.log dnsmasq.leases status.json \
	supervisor.log lan.pcap run-output.log; do
	[ -f "$A/$f" ] || missing="$missing $f"
done
is "$missing" "" "artifacts hold every listed file"
# Console logs hold what was typed on them, passwords too: private.
is "$(stat -c %a "$A" vacmlab-artifacts 2>&1 | sort -u)" 700 "the artifacts dirs are 0700"
is "$(find "$A" -type f ! -perm 600 -printf '%m %f\n' 2>&1)" "" "every artifact file is 0600"
is "$(stat -c %a "$T/j.xml" 2>&1)" 600 "so is the JUnit file (it quotes the output)"
like "$(cat "$A/dnsmasq.leases" 2>/dev/null)" '10\.60\.0\.11' "the leases file names the node's address"
like "$(jq -r '.nodes[0].state' "$A/status.json" 2>/dev/null)" '^ready$' "status.json was taken while the lab was up"
like "$(cat "$A/vacm1.ttyS0.log" 2>/dev/null)" 'login:' "the serial log is the node's console"
like "$(tcpdump -nr "$A/lan.pcap" icmp 2>/dev/null | grep -c 'ICMP echo request')" '^[3-9]$' \
	"the LAN capture holds the test's pings (read by tcpdump)"
python3 - "$T/j.xml" <<'PY' 2>&1 | sed 's/^/# /'
import sys, xml.dom.minidom as m
d = m.parse(sys.argv[1])
f = d.getElementsByTagName("failure")
assert len(f) == 1 and f[0].getAttribute("message").endswith(" 3"), "failure element"
assert '"quoted"' in f[0].firstChild.data, "output tail in the failure"
assert d.getElementsByTagName("testcase")[0].getAttribute("classname") == "runt", "classname"
PY
ok "${PIPESTATUS[0]}" "the JUnit file is well-formed, with the failure and the output"
like "$(cat "$T/j.xml")" 'artifacts: vacmlab-artifacts/runt-' "the JUnit file references the artifacts"

# 3. A lab that cannot come up: 125, with artifacts.
head -c 3000000 "$IMAGE" > trunc.img
python3 -c '
import sys; d = bytearray(open(sys.argv[1], "rb").read())
for i in range(512 * 1024, len(d)): d[i] ^= 0x5a
open(sys.argv[2], "wb").write(d)' "$IMAGE" garbled.img
sed "s#^image = .*#image = $T/trunc.img#; s/^name = runt/name = trunc/" one.conf > trunc.conf
sed "s#^image = .*#image = $T/garbled.img#; s/^name = runt/name = garbled/; s/^timeout = .*/timeout = 10/" \
	one.conf > garbled.conf
"$VACMLAB" run "$T/trunc.conf" -- true > /dev/null 2> t.err
is "$?" 125 "a truncated image: exit 125 (infrastructure)"
like "$(cat vacmlab-artifacts/trunc-*/up.log 2>/dev/null)" 'truncated' "its artifacts say why"
"$VACMLAB" run --junit "$T/jg.xml" "$T/garbled.conf" -- true > /dev/null 2> g.err
is "$?" 125 "a garbled image that never boots: exit 125"
G=$(ls -d vacmlab-artifacts/garbled-* 2>/dev/null | head -1)
ok $([ -n "$G" ] && [ -f "$G/supervisor.log" ] && [ -f "$G/vacm1.ttyS0.log" ] && [ -f "$G/vacm1.qemu.log" ]; echo $?) \
	"its artifacts hold the supervisor, serial and QEMU logs"
like "$(python3 -c 'import sys,xml.dom.minidom as m; print(m.parse(sys.argv[1]).getElementsByTagName("error")[0].getAttribute("type"))' "$T/jg.xml" 2>&1)" \
	'^infrastructure$' "JUnit reports it as an error, not a test failure"

# 4. SIGTERM to run mid-test: CMD stopped, lab down, 128+15, nothing left.
rm -f started
"$VACMLAB" run "$T/one.conf" -- sh -c 'touch "$0"; sleep 61.234; echo not reached' "$T/started" \
	> s.out 2> s.err & RP=$!
wait_for 90 test -e started
ok $? "the test command started"
kill -TERM $RP
wait $RP
is "$?" 143 "SIGTERM to run: exit 128+15"
ok $(nothing_left; echo $?) "nothing left behind after SIGTERM (no_leftovers)"
[ "$_t_failed" = 0 ] || { sed 's/^/# /' f.err s.err g.err | tail -40; }
done_testing
