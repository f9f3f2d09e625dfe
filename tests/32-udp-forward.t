#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/32-udp-forward.t - UDP forwards on a real guest: the stand-in's UDP
# echo (port 7) answers through `forward = udp` and through `vacmlab forward
# --udp` from the host's loopback; two clients at once each get their own
# replies; a paced burst of 1000 datagrams with the loss counted, reported,
# and accounted for exactly by the counters in status; clients closed after
# the idle time; the 256-client cap; a datagram to a stopped guest dropped
# and counted; bad input is a FILE:LINE error before anything starts; down
# frees the ports.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd python3 jq
lab_env
plan 34

LAB=udp32-$$
SUB=10.132.$(( $$ % 200 + 20 ))
T=$TMPDIR_TEST
PROBE="python3 $SRCDIR/tests/udp-probe.py"

# Free UDP ports on 127.0.0.1 (bind to 0, read, close).
read -r P1 P2 P3 P4 PBUSY < <(python3 - <<'EOF'
import socket
ss = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(5)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])
EOF
)

topo() {	# topo FILE FORWARD_LINE
	cat > "$1" <<EOF
[lab]
name = $LAB

[lan lan]
subnet = $SUB.0/24
dhcp   = $SUB.100-$SUB.150

[node n1]
image   = $IMAGE
nic     = lan $SUB.11
serial  = console
ready   = console "login:"
timeout = 90
$2
EOF
}

# --- bad input: FILE:LINE errors, nothing started ----------------------------
topo "$T/bad1.conf" "forward = udp 99999 7"
out=$("$VACMLAB" up "$T/bad1.conf" 2>&1); rc=$?
is "$rc" 1 "forward = udp 99999 7: up exits 1"
like "$out" "^$T/bad1.conf:14: forward host port '99999' out of range: 1\.\.65535" \
	"... with FILE:LINE and the range"
topo "$T/bad2.conf" "forward = udp $P1 7 idle=0"
like "$("$VACMLAB" check "$T/bad2.conf" 2>&1)" \
	"^$T/bad2.conf:14: forward idle time '0' out of range: 1\.\.86400 seconds" \
	"idle=0 is out of range"
topo "$T/bad3.conf" "forward = tcp $P1 80 idle=5"
like "$("$VACMLAB" check "$T/bad3.conf" 2>&1)" \
	"^$T/bad3.conf:14: forward option 'idle=5' is for udp forwards only" \
	"idle= on a tcp forward is refused"
python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', $PBUSY)); print('ready', flush=True); time.sleep(60)" > "$T/busy.out" &
BUSY=$!
wait_for 30 grep -q ready "$T/busy.out" || { echo "Bail out! the port holder did not start"; exit 1; }
topo "$T/busy.conf" "forward = udp 127.0.0.1:$PBUSY 7"
out=$("$VACMLAB" up "$T/busy.conf" 2>&1); rc=$?
is "$rc" 1 "up with a udp forward on a taken port exits 1"
like "$out" "^$T/busy.conf:14: forward udp 127\.0\.0\.1:$PBUSY -> n1:7: cannot listen: Address already in use" \
	"the error names FILE:LINE, the forward and the reason"
ok "$( [ ! -e "$VACMLAB_RUNTIME_DIR/$LAB" ] && [ -z "$(lab_pids)" ]; echo $?)" \
	"nothing started: no run dir, no process"
kill "$BUSY"; wait "$BUSY" 2>/dev/null

# --- the lab: a topology forward with a short idle time -----------------------
topo "$T/lab.conf" "forward = udp 127.0.0.1:$P1 7 idle=3"
if ! lab_up "$T/lab.conf" > "$T/up.out" 2>&1; then
	sed 's/^/# /' "$T/up.out"; lab_logs "$LAB"
	echo "Bail out! the lab did not come up"; exit 1
fi
st() {	# st PORT: the UDP forward listening on 127.0.0.1:PORT, from status --json
	"$VACMLAB" status --json "$LAB" | jq -c --arg l "127.0.0.1:$1" \
		'(if type=="array" then .[0] else . end) | .nodes[].forwards[] | select(.proto=="udp" and .listen==$l)'
}
is "$($PROBE 127.0.0.1 "$P1" echo "hello-udp-$$")" "hello-udp-$$" \
	"a datagram to 127.0.0.1:$P1 comes back from n1's UDP echo"
pair=$($PROBE 127.0.0.1 "$P1" pair)
is "$pair" "one-0 one-1 one-2 one-3 one-4
two-0 two-1 two-2 two-3 two-4" "two clients at once each get their own replies, in order"
s0=$(st "$P1")
is "$(jq -r '"\(.guest_port) \(.idle_s) \(.connections)"' <<<"$s0")" "7 3 3" \
	"status: guest port 7, idle 3 s, 3 clients seen (one echo, one pair)"
is "$(jq -r '"\(.datagrams_to_guest) \(.datagrams_from_guest) \(.bytes_to_guest)"' <<<"$s0")" \
	"11 11 $(( ${#$} + 10 + 50 ))" "status counts 11 datagrams each way and their bytes"

# --- a burst of 1000, paced at one a millisecond ------------------------------
b=$($PROBE 127.0.0.1 "$P1" burst 1000 1)
s1=$(st "$P1")
read -r _ sent _ recvd _ dup _ ovfl <<<"$b"
d() { echo $(( $(jq -r ".$1" <<<"$s1") - $(jq -r ".$1" <<<"$s0") )); }
to=$(d datagrams_to_guest) from=$(d datagrams_from_guest)
dto=$(d dropped_to_guest) dfrom=$(d dropped_from_guest)
# The guest's own count of datagrams its echo socket had no room for.
rcvbuf=$(python3 "$SRCDIR/tests/guest-sh.py" "$VACMLAB_RUNTIME_DIR/$LAB/n1/ttyS0.sock" 30 \
	"awk '/^Udp: [0-9]/ { print \"rcvbuf=\" \$6 }' /proc/net/snmp" 2>/dev/null | sed -n 's/.*rcvbuf=\([0-9][0-9]*\).*/\1/p' | tail -n1)
diag "burst: sent $sent, received $recvd, duplicates $dup, client overflow $ovfl;" \
	"relay: $to to the guest, $from back, dropped $dto on the way in and $dfrom on the way out;" \
	"lost in the lab or the guest: $(( to - from - dfrom )) (guest Udp RcvbufErrors: ${rcvbuf:-?})"
ok "$( [ "${recvd:-0}" -ge 950 ]; echo $?)" "at least 95% of the burst comes back ($recvd of 1000)"
is "$dup" 0 "no duplicates"
is "$(( to + dto ))" 1000 "every datagram sent is counted: to the guest + dropped on the way = 1000"
is "$from" "$(( recvd + ovfl ))" "datagrams relayed back = received by the client (+ its own overflow)"

# --- vacmlab forward --udp at run time -----------------------------------------
out=$("$VACMLAB" forward --udp --idle 2 "$LAB" n1 "127.0.0.1:$P2" 7 2>&1); rc=$?
is "$rc" 0 "vacmlab forward --udp on the running lab succeeds"
is "$($PROBE 127.0.0.1 "$P2" echo "run-$$")" "run-$$" "... and 127.0.0.1:$P2 echoes through it"
is "$(st "$P2" | jq -r '"\(.guest_port) \(.idle_s) \(.connections)"')" "7 2 1" \
	"status lists it: guest port 7, idle 2 s, one client"
out=$("$VACMLAB" forward --udp "$LAB" n1 "$P2" 7 2>&1); rc=$?
like "$rc $out" "^1 .*forward udp 127\.0\.0\.1:$P2 -> n1:7: cannot listen: Address already in use" \
	"a UDP port in use is refused with the reason"
out=$("$VACMLAB" forward --idle 5 "$LAB" n1 "$P2" 80 2>&1); rc=$?
like "$rc $out" "^1 .*--idle is for UDP forwards" "--idle without --udp is a usage error"
out=$("$VACMLAB" forward --udp --idle 0 "$LAB" n1 "$P2" 7 2>&1); rc=$?
like "$rc $out" "^1 .*bad --idle '0'" "--idle 0 is refused"
like "$("$VACMLAB" forward "$LAB" --list)" "127\.0\.0\.1:$P2 +n1 +7 +udp" \
	"vacmlab forward --list shows the UDP forwards"
like "$("$VACMLAB" status "$LAB")" "forward udp 127\.0\.0\.1:$P1 -> n1:7 \([0-9]+ clients, [0-9]+ datagrams to the guest" \
	"the status table shows UDP forwards with their counters"

# --- idle clients are closed ----------------------------------------------------
all_idle() { [ "$(st "$P1" | jq .active)" = 0 ] && [ "$(st "$P2" | jq .active)" = 0 ]; }
wait_for 20 all_idle
s2=$(st "$P1")
is "$(jq -r .active <<<"$s2")" 0 "after the idle time no client socket is left"
is "$(jq -r .expired <<<"$s2")" 4 "all 4 clients of the topology forward expired"
is "$($PROBE 127.0.0.1 "$P1" echo "again-$$")" "again-$$" "a client after that gets a fresh socket and its reply"
is "$(st "$P1" | jq -r '"\(.active) \(.connections)"')" "1 5" "... counted as a new client"

# --- the client cap: 256 per forward, the 257th dropped and logged -----------
# (a forward with an idle time long enough that none of them expires)
"$VACMLAB" forward --udp --idle 60 "$LAB" n1 "127.0.0.1:$P3" 7 >/dev/null
cap=$(python3 - "$P3" <<'PY'
import socket, sys, time
ss = []
for i in range(257):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", int(sys.argv[1])))
    s.send(b"c%d" % i)
    ss.append(s)
    time.sleep(0.001)
got, end = 0, time.monotonic() + 5
for s in ss:
    s.settimeout(max(0.05, end - time.monotonic()))
    try:
        got += s.recv(100) == b"c%d" % ss.index(s)
    except OSError:
        pass
print(got)
PY
)
s5=$(st "$P3")
is "$cap $(jq -r '"\(.active) \(.connections) \(.dropped_to_guest)"' <<<"$s5")" \
	"256 256 256 1" "257 clients at once: 256 get a socket and their reply, the 257th is dropped and counted"
like "$(cat "$VACMLAB_STATE_DIR/$LAB"/logs/supervisor.log 2>/dev/null)" \
	"forward udp 127\.0\.0\.1:$P3 -> n1:7: 256 clients, the most one forward serves" \
	"the supervisor's log says the cap was hit"

# --- a guest port nothing listens on: the guest's ICMP counts as refused -------
"$VACMLAB" forward --udp "$LAB" n1 "127.0.0.1:$P4" 9 >/dev/null
python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b'anyone?', ('127.0.0.1', $P4)); time.sleep(0.5)"
refused_once() { [ "$(st "$P4" | jq .refused)" = 1 ]; }
wait_for 10 refused_once
is "$(st "$P4" | jq -r '"\(.datagrams_to_guest) \(.datagrams_from_guest) \(.refused)"')" "1 0 1" \
	"a datagram to guest port 9 (closed) is sent, nothing comes back, the refusal is counted"

# --- a stopped guest: dropped, counted, no hang ---------------------------------
"$VACMLAB" node stop "$LAB" n1 >/dev/null 2>&1
s3=$(st "$P1")
is "$($PROBE 127.0.0.1 "$P1" echo "gone-$$")" "timeout" "no reply from a stopped guest"
is "$(( $(st "$P1" | jq .dropped_to_guest) - $(jq .dropped_to_guest <<<"$s3") ))" 3 \
	"its 3 tries are counted as dropped on the way in"

# --- down frees the ports --------------------------------------------------------
"$VACMLAB" down "$LAB" >/dev/null 2>&1
ok "$(no_leftovers; echo $?)" "down leaves no process"
ok "$(python3 -c "
import socket
for p in ($P1, $P2, $P3, $P4):
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(('127.0.0.1', p))" 2>/dev/null; echo $?)" \
	"all four UDP ports are free after down"
done_testing
