#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 62-impair-capture.t - link impairment and packet capture on a running lab.
# `vacmlab impair LAB vacm1 delay 100ms` raises the ping RTT from the lab to
# the guest by roughly 100 ms (a loose band over the baseline median) and
# `clear` restores it; a capture during a ping holds ICMP packets, checked
# by tcpdump/tshark reading the file (never by our own writer).
# The delay checks need the kernel's netem qdisc (sch_netem); where the
# kernel lacks it they are skipped, and the error message is checked instead.
# Direction: `from rate 8mbit` (an IFB on the tap's ingress) caps a download
# from the guest; `to rate 8mbit` does not; `clear` removes both.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd tcpdump python3
lab_env
plan 36

T=$TMPDIR_TEST
LAB=imp62
cat > "$T/i.conf" <<CONF
[lab]
name = $LAB
[lan lan]
subnet = 10.62.0.0/24
dhcp = 10.62.0.100-10.62.0.150
[node vacm1]
image = $IMAGE
memory = 256
nic = lan 10.62.0.11
ready = console "login:"
timeout = 90
CONF

# median RTT in ms of N pings from the lab to the guest
rtt_median() {
	"$VACMLAB" exec $LAB -- ping -n -c "$1" -s "${2:-56}" -i 0.2 -W 3 10.62.0.11 2>/dev/null |
		sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' |
		python3 -c 'import sys,statistics; v=[float(x) for x in sys.stdin]; print(round(statistics.median(v),1) if v else -1)'
}
skip_one() { _t_n=$((_t_n + 1)); echo "ok $_t_n # SKIP $*"; }
# Does this kernel have netem? Probe in a throwaway namespace of our own.
have_netem() { unshare -rn sh -c 'ip link set lo up && tc qdisc add dev lo root netem delay 1ms' 2>/dev/null; }

lab_up "$T/i.conf" > "$T/up.out" 2>&1
ok $? "lab is up" || { sed 's/^/# /' "$T/up.out"; lab_logs $LAB; }

# --- capture ---------------------------------------------------------------
"$VACMLAB" capture $LAB lan -w "$T/lan.pcap" --duration 20 > "$T/cap.out" 2> "$T/cap.err" & CP=$!
wait_for 5 test -s "$T/lan.pcap"
ok $? "capture on the LAN bridge started (pcap header written)"
"$VACMLAB" exec $LAB -- ping -c 3 -i 0.3 -W 3 10.62.0.11 > /dev/null 2>&1
kill -INT $CP; wait $CP
is "$?" 0 "capture stops cleanly on SIGINT"
n=$(tcpdump -nr "$T/lan.pcap" 'icmp[icmptype] = icmp-echo' 2>/dev/null | wc -l)
m=$(tcpdump -nr "$T/lan.pcap" 'icmp[icmptype] = icmp-echoreply' 2>/dev/null | wc -l)
ok $([ "$n" -ge 3 ] && [ "$m" -ge 3 ]; echo $?) "tcpdump reads $n echo requests and $m replies from the capture"
if command -v tshark >/dev/null; then
	like "$(tshark -r "$T/lan.pcap" -Y icmp 2>/dev/null | head -3)" '10\.62\.0\.11.*ICMP' "tshark reads the file too"
else
	skip_one "tshark not installed"
fi

# -c COUNT on a node's NIC, streamed to stdout (-w -), read by tcpdump live.
"$VACMLAB" capture $LAB vacm1:eth0 -w - -c 4 icmp 2> "$T/cap2.err" > "$T/stream.pcap" & CP=$!
sleep 1
"$VACMLAB" exec $LAB -- ping -c 3 -i 0.3 -W 3 10.62.0.11 > /dev/null 2>&1
for i in $(seq 50); do kill -0 $CP 2>/dev/null || break; sleep 0.1; done
ok $(! kill -0 $CP 2>/dev/null; echo $?) "-c 4 stops the capture by itself"
wait $CP
is "$(tcpdump -nr "$T/stream.pcap" 2>/dev/null | grep -c ICMP)" 4 "the stdout stream is a valid pcap with exactly 4 ICMP packets"
"$VACMLAB" capture $LAB nosuch -w "$T/x.pcap" > /dev/null 2> "$T/cap3.err"
like "$?:$(cat "$T/cap3.err")" "^1:.*no LAN, node or host named 'nosuch'" "an unknown target is a usage error"

# --- impairment ------------------------------------------------------------
out=$("$VACMLAB" impair $LAB vacm1 delay 5 2>&1)
like "$?:$out" "^1:.*bad delay '5'" "a bad spec is refused before reaching the lab"
out=$("$VACMLAB" impair $LAB vacm1:eth3 clear 2>&1)
like "$out" 'no such NIC' "an unknown NIC is refused"

base=$(rtt_median 10)
ok $(python3 -c "import sys; sys.exit(0 if 0 <= $base < 60 else 1)"; echo $?) "baseline median RTT ${base} ms"
if have_netem; then
	"$VACMLAB" impair $LAB vacm1:eth0 delay 100ms > /dev/null 2>&1
	ok $? "impair vacm1:eth0 delay 100ms"
	slow=$(rtt_median 10)
	ok $(python3 -c "import sys; d=$slow-$base; sys.exit(0 if 70 <= d <= 400 else 1)"; echo $?) \
		"with delay 100ms the median RTT rises by 70..400 ms (${base} -> ${slow} ms)"
	"$VACMLAB" impair $LAB vacm1 clear > /dev/null 2>&1
	ok $? "impair vacm1 clear"
	back=$(rtt_median 10)
	ok $(python3 -c "import sys; sys.exit(0 if $back < $base + 40 else 1)"; echo $?) \
		"clear restores the RTT (${back} ms, baseline ${base} ms)"
else
	out=$("$VACMLAB" impair $LAB vacm1:eth0 delay 100ms 2>&1)
	like "$out" 'netem' "without netem in the kernel, impair says so ($out)"
	skip_one "the kernel has no netem qdisc (CONFIG_NET_SCH_NETEM): delay not measurable"
	ok_cmd "impair clear works without netem (nothing to clear)" "$VACMLAB" impair $LAB vacm1 clear
	skip_one "the kernel has no netem qdisc: restore not measurable"
fi

# Rate limiting is a token bucket (tbf) with no netem, so it is measurable on
# every kernel: an 8000-byte echo request at 1 Mbit/s waits ~39 ms (the
# bucket passes its first 3200 bytes at once).
bigbase=$(rtt_median 6 8000)
"$VACMLAB" impair $LAB vacm1 rate 1mbit > /dev/null 2>&1
ok $? "impair vacm1 rate 1mbit"
bigslow=$(rtt_median 6 8000)
ok $(python3 -c "import sys; d=$bigslow-$bigbase; sys.exit(0 if 20 <= d <= 1000 else 1)"; echo $?) \
	"with rate 1mbit, 8000-byte pings take 20..1000 ms longer (${bigbase} -> ${bigslow} ms)"
"$VACMLAB" impair $LAB vacm1 clear > /dev/null 2>&1
ok $? "impair vacm1 clear (rate)"
bigback=$(rtt_median 6 8000)
ok $(python3 -c "import sys; sys.exit(0 if $bigback < $bigbase + 30 else 1)"; echo $?) \
	"clear restores the RTT (${bigback} ms, baseline ${bigbase} ms)"

# --- direction: what the node sends (from), through an IFB ---------------
# A download from the stand-in's web server (www/big.bin, 8 MiB) is traffic
# the node sends. `from rate 8mbit` caps it near 1 MB/s (3 s: about 3 MB);
# `to rate 8mbit` shapes only the ACKs going to the node and leaves it alone.
dl_bytes() {
	"$VACMLAB" exec $LAB -- curl -s -o /dev/null -w '%{size_download}' --max-time 3 \
		http://10.62.0.11/big.bin 2>/dev/null
}
tcq() { "$VACMLAB" exec $LAB -- tc "$@" 2>&1; }
free=$(dl_bytes)
"$VACMLAB" impair $LAB vacm1 from rate 8mbit > "$T/from.out" 2>&1
ok $? "impair vacm1 from rate 8mbit" || sed 's/^/# /' "$T/from.out"
q=$(tcq qdisc show; tcq filter show dev vacm1-0 ingress)
ifb=$(printf '%s\n' "$q" | sed -n 's/.*qdisc tbf 1: dev \(vlifb[0-9]*\) root.*rate 8Mbit.*/\1/p')
ok $([ -n "$ifb" ] && printf '%s\n' "$q" | grep -q "qdisc ingress ffff: dev vacm1-0" &&
	printf '%s\n' "$q" | grep -q "mirred (Egress Redirect to device $ifb)"; echo $?) \
	"from: the tap's ingress is redirected to an IFB (${ifb:-none}) that carries the tbf" ||
	printf '%s\n' "$q" | sed 's/^/#   /'
from=$(dl_bytes)
ok $([ "${from:-0}" -gt 0 ] && [ "$from" -le 4500000 ] && [ "$free" -ge $((from * 3 / 2)) ]; echo $?) \
	"from rate 8mbit: a 3 s download from the guest gets $from bytes (unimpaired: $free; at most 4.5 MB expected)"
"$VACMLAB" impair $LAB vacm1 to rate 8mbit > /dev/null 2>&1
ok $? "impair vacm1 to rate 8mbit"
unlike "$(tcq qdisc show dev vacm1-0)" "ingress" "to: replacing from removes the ingress redirect"
to=$(dl_bytes)
ok $([ "${to:-0}" -ge $((from * 3 / 2)) ]; echo $?) \
	"to rate 8mbit leaves the download alone: $to bytes (from-limited: $from)"
"$VACMLAB" impair $LAB vacm1 both rate 8mbit > /dev/null 2>&1
ok $? "impair vacm1 both rate 8mbit"
both=$(dl_bytes)
ok $([ "${both:-0}" -gt 0 ] && [ "$both" -le 4500000 ]; echo $?) \
	"both rate 8mbit caps the download too: $both bytes"
"$VACMLAB" impair $LAB vacm1 clear > /dev/null 2>&1
ok $? "impair vacm1 clear (both directions)"
q=$(tcq qdisc show)
unlike "$q" "ingress|tbf" "clear leaves no ingress qdisc and no tbf"
back=$(dl_bytes)
ok $([ "${back:-0}" -ge $((from * 3 / 2)) ]; echo $?) "after clear the download is fast again: $back bytes"

# --- duplicate, corrupt, reorder (netem) -----------------------------------
if have_netem; then
	"$VACMLAB" impair $LAB vacm1 duplicate 100% > /dev/null 2>&1
	ok $? "impair vacm1 duplicate 100%"
	like "$("$VACMLAB" exec $LAB -- ping -n -c 3 -i 0.3 -W 2 10.62.0.11 2>&1)" "DUP!" \
		"duplicate 100%: ping sees duplicate replies"
	"$VACMLAB" impair $LAB vacm1 both delay 20ms reorder 50% corrupt 1% > /dev/null 2>&1
	ok $? "impair vacm1 both delay 20ms reorder 50% corrupt 1%"
	like "$(tcq qdisc show dev vacm1-0)" "netem.*reorder 50%.*corrupt 1%" "the netem qdisc has reorder and corrupt"
	"$VACMLAB" impair $LAB vacm1 clear > /dev/null 2>&1
else
	out=$("$VACMLAB" impair $LAB vacm1 duplicate 100% 2>&1)
	like "$?:$out" "^3:.*netem" "without netem, duplicate fails naming netem ($out)"
	skip_one "the kernel has no netem qdisc (CONFIG_NET_SCH_NETEM): duplicate not measurable"
	out=$("$VACMLAB" impair $LAB vacm1 from delay 20ms reorder 50% corrupt 1% 2>&1)
	like "$out" "netem" "without netem, from reorder/corrupt fails naming netem"
	skip_one "the kernel has no netem qdisc: reorder and corrupt not measurable"
fi
unlike "$(tcq qdisc show)" "ingress|tbf|netem" "a failed or cleared impairment leaves no qdisc behind"

"$VACMLAB" down $LAB > /dev/null 2>&1
ok $(no_leftovers; echo $?) "nothing left after down (captures and lab)"
[ "$_t_failed" = 0 ] || lab_logs $LAB
done_testing
