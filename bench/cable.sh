#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/cable.sh - a vacmlab serial cable (the supervisor relays both QEMU
# ends, logs every chunk) against a direct QEMU-to-QEMU socket chardev pair
# (`-chardev socket,path=P,server=on` on one guest, `server=off` on the
# other), in one run, interleaved: one-byte round trip and bulk throughput,
# every byte checked and logged (bench/cable-probe.py).
#
# Six guests of images/image.bin, same QEMU flags, devices (qemu-xhci
# included) and accelerator as `vacmlab check --qemu` shows for a node
# (the pairs by hand are started outside vacmlab, from a throw-away qcow2
# overlay each):
#   vacmlab lab:  a:ttyS1 = cable:b:ttyS1   a:ttyS2 = unix (QEMU socket)
#   by hand:      A:ttyS1 = socket server   B:ttyS1 = socket client
#                 R:ttyS1 = socket server   S:ttyS1 = socket server,
#                 socat connected to both (a plain relay, no log)
#                 A:ttyS2, R:ttyS2 = unix socket; ttyS0 = unix socket (login)
# In a, A and R, `cat` relays ttyS2 <-> ttyS1; in b, B and S, `cat` echoes
# ttyS1. The host writes into ttyS2 of a, A and R, so the paths differ only
# in what joins the two guests: vacmlab's cable, nothing, or socat.
# Usage: bench/cable.sh [ROUNDS [RTT_N [BULK_BYTES]]]   (default 5 40 16384)
# CABLE_STRACE=1: also count the supervisor's system calls during the run
# (strace -c; slows the cable path, so its figures are not comparable).
# CABLE_PERF=1: also `perf stat` the supervisor during the run (CPU time,
# context switches, wake-ups), which costs the cable path next to nothing.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
V=${VACMLAB:-$SRC/build/vacmlab}
ROUNDS=${1:-5} RTT_N=${2:-40} BULK=${3:-16384}
IMAGE=$SRC/images/image.bin
LAB=bcab$$
tmp=$(mktemp -d /tmp/vacmlab-bench.XXXXXX)
LOGDIR=$SRC/build/bench/cable
mkdir -p "$LOGDIR" && rm -f "$LOGDIR"/*
export VACMLAB_RUNTIME_DIR=$tmp/run VACMLAB_STATE_DIR=$tmp/state
QPIDS=()
cleanup() {
	for p in "${QPIDS[@]}"; do kill "$p" 2> /dev/null; done
	"$V" down --timeout 10 $LAB > /dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- the vacmlab pair ----------------------------------------------------
cat > "$tmp/cable.conf" <<EOF
[lab]
name = $LAB
[node b]
image = $IMAGE
serial = console console
[node a]
image = $IMAGE
serial = console cable:b:ttyS1 unix
EOF
"$V" up "$tmp/cable.conf" > "$tmp/up.out" 2>&1 || { cat "$tmp/up.out" >&2; exit 3; }
ACCEL=$("$V" status --json $LAB | jq -r '.accel')
RELAY='stty -F /dev/ttyS1 raw -echo; stty -F /dev/ttyS2 raw -echo; (cat /dev/ttyS2 > /dev/ttyS1 &); (cat /dev/ttyS1 > /dev/ttyS2 &); echo relay-ready'
ECHO='stty -F /dev/ttyS1 raw -echo; (cat /dev/ttyS1 > /dev/ttyS1 &); echo echo-ready'
for n in a b; do
	"$V" send -q $LAB $n --timeout 60 --expect '# $' 'root\n' > /dev/null || exit 3
done
"$V" send -q $LAB b --expect '^echo-ready' "$ECHO\n" > /dev/null || exit 3
"$V" send -q $LAB a --expect '^relay-ready' "$RELAY\n" > /dev/null || exit 3

# --- the direct pair, by hand --------------------------------------------
# qemu_start NAME CHARDEV-FOR-ttyS1 [ttyS2]
qemu_start() {
	local d=$tmp/$1 extra=()
	mkdir -p "$d"
	qemu-img create -q -f qcow2 -b "$IMAGE" -F qcow2 "$d/disk.qcow2" || exit 3
	[ "${3:-}" ] && extra=(-chardev "socket,id=s2,path=$d/ttyS2.sock,server=on,wait=off" -serial chardev:s2)
	qemu-system-x86_64 -name "guest=$1" -machine pc -accel "$ACCEL" -nodefaults -display none \
		-device pvpanic -action panic=pause \
		-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny \
		-m 256 -smp 1 -drive "file=$d/disk.qcow2,format=qcow2,if=ide,index=0,media=disk" \
		-device qemu-xhci,id=usb \
		-chardev "socket,id=s0,path=$d/ttyS0.sock,server=on,wait=off" -serial chardev:s0 \
		-chardev "socket,id=s1,$2" -serial chardev:s1 "${extra[@]}" \
		> "$d/qemu.log" 2>&1 &
	QPIDS+=($!)
}
# shell_on NAME CMD MARK: log in on NAME's ttyS0 socket as root, run CMD,
# wait for MARK at the start of a line.
shell_on() {
	python3 - "$tmp/$1/ttyS0.sock" "$2" "$3" <<'EOF'
import re, socket, sys, time
path, cmd, mark = sys.argv[1:]
for _ in range(100):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(path); break
    except OSError:
        time.sleep(0.1)
s.settimeout(0.5)
buf = b""
def wait(rx, secs, poke=None):
    global buf
    end = time.time() + secs
    last = 0
    while time.time() < end:
        if re.search(rx, buf.decode("latin-1"), re.M):
            buf = b""; return
        if poke and time.time() - last >= 1:  # a booting guest reads nothing
            last = time.time()
            try: s.send(poke)
            except (socket.timeout, BlockingIOError): pass
        try: buf += s.recv(4096)
        except socket.timeout: pass
    sys.exit(f"{path}: no {rx!r} within {secs} s; last: {buf[-200:]!r}")
wait(r"login: *$", 120, b"\r")
s.sendall(b"root\r"); wait(r"# (\x1b\[6n)?$", 30)
s.sendall(cmd.encode() + b"\r"); wait("^" + mark, 30)
EOF
}
qemu_start A "path=$tmp/direct.sock,server=on,wait=off" ttyS2
sleep 0.5
qemu_start B "path=$tmp/direct.sock,server=off,reconnect=1"
# The same pair with a plain relay in the middle: socat copying between
# two QEMU server sockets, no log. It tells what any process between two
# guests costs here from what vacmlab's relay adds to that.
qemu_start R "path=$tmp/relay-r.sock,server=on,wait=off" ttyS2
qemu_start S "path=$tmp/relay-s.sock,server=on,wait=off"
for _ in $(seq 100); do
	[ -S "$tmp/relay-r.sock" ] && [ -S "$tmp/relay-s.sock" ] && break
	sleep 0.1
done
socat UNIX-CONNECT:"$tmp/relay-r.sock" UNIX-CONNECT:"$tmp/relay-s.sock" &
QPIDS+=($!)
shell_on B "$ECHO" echo-ready || exit 3
shell_on A "$RELAY" relay-ready || exit 3
shell_on S "$ECHO" echo-ready || exit 3
shell_on R "$RELAY" relay-ready || exit 3
sleep 0.5

# --- measure -------------------------------------------------------------
echo "serial cable vs direct QEMU socket pair: $ROUNDS rounds x ($RTT_N one-byte round trips +" \
	"$BULK bytes bulk, window 1024) per path, interleaved; accel $ACCEL; $(nproc) CPUs"
spid=
if [ "${CABLE_STRACE:-}" = 1 ]; then
	strace -c -o "$tmp/strace" -p "$(cat "$VACMLAB_RUNTIME_DIR/$LAB/supervisor.pid")" &
	spid=$!
	sleep 0.5
elif [ "${CABLE_PERF:-}" = 1 ]; then
	perf stat -e task-clock,context-switches,cpu-migrations -o "$tmp/strace" \
		-p "$(cat "$VACMLAB_RUNTIME_DIR/$LAB/supervisor.pid")" &
	spid=$!
	sleep 0.5
fi
python3 "$SRC/bench/cable-probe.py" "$LOGDIR" "$ROUNDS" "$RTT_N" "$BULK" \
	cable="$VACMLAB_RUNTIME_DIR/$LAB/a/ttyS2.sock" direct="$tmp/A/ttyS2.sock" \
	relay="$tmp/R/ttyS2.sock" > "$tmp/res"
rc=$?
if [ "$spid" ]; then
	kill -INT $spid
	wait $spid
	echo "the supervisor during the run:"
	grep -v '^$' "$tmp/strace" | head -n 20
fi
printf '%-30s %5s %8s %8s %8s %8s %9s %9s %6s\n' PATH RTT_N MEDIAN P90 MIN MAX BULK_B KIB/S ERRORS
while read -r l n med p90 mn mx bb rate err; do
	case $l in
	cable) name="vacmlab cable (a:ttyS1-b:ttyS1)" ;;
	direct) name="direct QEMU socket pair" ;;
	*) name="socat relay between 2 QEMUs" ;;
	esac
	printf '%-30s %5d %8d %8d %8d %8d %9d %9.1f %6d\n' "$name" $n $med $p90 $mn $mx $bb $rate $err
done < "$tmp/res"
awk '{ m[$1] = $3; r[$1] = $8 } END {
	d = m["cable"] - m["direct"]; x = r["direct"] ? r["cable"] / r["direct"] : 0
	printf "cable overhead: median round trip %+d us (target <= +200: %s); throughput %.2fx (target >= 0.9: %s)\n",
		d, (d <= 200 ? "met" : "MISSED"), x, (x >= 0.9 ? "met" : "MISSED")
	d = m["relay"] - m["direct"]; x = r["direct"] ? r["relay"] / r["direct"] : 0
	printf "socat relay overhead: median round trip %+d us; throughput %.2fx\n", d, x
	d = m["cable"] - m["relay"]; x = r["relay"] ? r["cable"] / r["relay"] : 0
	printf "vacmlab cable against the socat relay: median round trip %+d us; throughput %.2fx\n", d, x }' "$tmp/res"
logb=$(wc -c < "$VACMLAB_STATE_DIR/$LAB/logs/a.ttyS1.log" 2> /dev/null || echo 0)
echo "bytes logged: $LOGDIR/{cable,direct}.{sent,recv}; the cable's own log a.ttyS1.log: $logb bytes"
[ $rc = 0 ] || echo "some bytes were lost or wrong (see above)" >&2
exit $rc
