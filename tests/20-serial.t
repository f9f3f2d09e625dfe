#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/20-serial.t - serial ports and consoles against real guests: bad
# serial specs, loopbacks on ttyS1..ttyS7 (ISA and pci-serial-4x), a tcp
# port from the host's loopback, unix and log ports, console fan-out
# (two clients, read-only, late joiner, a real pty with Ctrl-]),
# wait/send/logs. One lab of two nodes hosts every guest check.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd python3 socat
lab_env

LAB=ser20
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
TCP=$(free_port)
TAKEN=$(free_port)

topo() { # topo NAME SERIAL_A SERIAL_B
	cat > "$TMPDIR_TEST/$1.conf" <<EOF
[lab]
name = $1

[lan lan]
subnet = 10.20.0.0/24
dhcp = 10.20.0.100-10.20.0.199

[node a]
image = $IMAGE
nic = lan 10.20.0.11
serial = $2
ready = console "login:"

[node b]
image = $IMAGE
nic = lan 10.20.0.12
serial = $3
ready = console "login:"
EOF
}

# --- bad serial specs: FILE:LINE errors, exit 1, nothing started --------
bad() { # bad DESC SERIAL_A SERIAL_B REGEX
	local out rc
	topo badser "$2" "$3"
	out=$("$VACMLAB" up "$TMPDIR_TEST/badser.conf" 2>&1); rc=$?
	ok $([ $rc = 1 ] && [ ! -e "$VACMLAB_RUNTIME_DIR/badser" ] && [ ! -e "$VACMLAB_STATE_DIR/badser" ]; echo $?) \
		"bad spec ($1): exit 1 ($rc), no lab dir"
	like "$out" "^$TMPDIR_TEST/badser.conf:$4" "bad spec ($1): FILE:LINE: message"
}
bad "unknown kind" "console bogus" "console" "11: unknown serial port kind 'bogus'"
bad "tcp out of range" "console tcp:65536" "console" "11: serial port 'tcp:65536' out of range"
bad "tcp port 0" "console loop tcp:0" "console" "11: serial port 'tcp:0' out of range"
bad "tcp used twice" "console tcp:$TCP" "console log tcp:$TCP" "17: tcp port 127.0.0.1:$TCP is already used by serial ttyS1 of node a"
python3 -c "import socket,time,sys; s=socket.socket(); s.bind(('127.0.0.1',$TAKEN)); s.listen(); print('x',flush=True); time.sleep(30)" > "$TMPDIR_TEST/taken.out" &
HOLDER=$!
wait_for 5 grep -q x "$TMPDIR_TEST/taken.out"
bad "tcp port taken on the host" "console tcp:$TAKEN" "console" "[0-9]+: serial port ttyS1 of node a: tcp:$TAKEN: cannot listen: Address already in use"
kill $HOLDER 2>/dev/null; wait $HOLDER 2>/dev/null

# --- the lab -----------------------------------------------------------
# a: console + 7 loopbacks (ttyS1..3 ISA, ttyS4..7 on a pci-serial-4x card)
# b: console, telnet listener, QEMU unix socket, log-only port
topo $LAB "console loop loop loop loop loop loop loop" "console tcp:$TCP unix log"
t0=$SECONDS
lab_up "$TMPDIR_TEST/$LAB.conf" > "$TMPDIR_TEST/up.out" 2>&1
ok $? "lab with 2 nodes and 12 serial ports is up ($((SECONDS - t0)) s)" || { cat "$TMPDIR_TEST/up.out" | sed 's/^/# /'; lab_logs $LAB; done_testing; }

# wait --console: success on the login prompt (no newline after it) ...
"$VACMLAB" wait $LAB a --console 'login: $' --timeout 10
ok $? "wait --console matches the login prompt (partial last line)"
# ... and a bounded, clean timeout on a regex that never comes
t0=$(date +%s%N)
out=$("$VACMLAB" wait $LAB a --console 'never-ever-[0-9]{9}' --timeout 2 2>&1); rc=$?
el=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
is "$rc" 4 "wait --console times out with exit 4"
ok $(awk -v e="$el" 'BEGIN { exit !(e >= 1.9 && e < 6) }'; echo $?) "timeout is bounded (${el}s for --timeout 2)"
like "$out" "timed out after 2 s.*" "timeout says what it waited for"
like "$out" "\| .*login:" "timeout prints the last lines of the console"
"$VACMLAB" wait $LAB a --new --console 'login: $' --timeout 1 2>/dev/null
is $? 4 "wait --new ignores output from before the call"

# scripted login over the console: send + expect, no expect(1)
out=$("$VACMLAB" send $LAB a --expect '# $' 'root\n' 2>&1)
ok $? "send root --expect '# \$' logs in" || echo "$out" | sed 's/^/# /'
out=$("$VACMLAB" send $LAB a --expect '# $' 'cat /proc/cmdline\n' 2>&1)
like "$out" "console=ttyS0" "scripted 'cat /proc/cmdline' shows console=ttyS0"

# loopbacks: 4 KiB of random bytes out and back on every loop port
"$VACMLAB" send -q $LAB a --expect '# $' - > /dev/null <<'EOF'
cat > /tmp/loop.sh <<'XEOF'
for i in "$@"; do
  d=/dev/ttyS$i
  stty -F $d raw -echo
  head -c 4096 /dev/urandom > /tmp/s$i
  rm -f /tmp/r$i
  timeout 10 head -c 4096 $d > /tmp/r$i &
  p=$!
  sleep 0.3
  cat /tmp/s$i > $d
  wait $p
  if cmp -s /tmp/s$i /tmp/r$i; then echo "LOOP ttyS$i ok"; else echo "LOOP ttyS$i FAIL $(wc -c < /tmp/r$i) bytes back"; fi
done
echo "LOOP""DONE"
XEOF
EOF
out=$("$VACMLAB" send $LAB a --timeout 60 --expect '^LOOPDONE' 'sh /tmp/loop.sh 1 2 3 4 5 6 7\n' 2>&1)
for i in 1 2 3 4 5 6 7; do
	like "$out" "^LOOP ttyS$i ok" "loop on ttyS$i: 4096 random bytes read back identical"
done
out=$("$VACMLAB" send $LAB a --expect '# $' 'grep -c uart:16550A /proc/tty/driver/serial; dmesg | grep -E "ttyS[4-7] at I/O"\n' 2>&1)
like "$out" "^8$" "guest sees 8 UARTs in /proc/tty/driver/serial"
for i in 4 5 6 7; do
	like "$out" "0000:[0-9a-f]{2}:[0-9a-f.]+: ttyS$i at I/O" "ttyS$i is on the PCI card (pci-serial-4x)"
done

# tcp: a plain TCP client on the host's loopback sees the guest's output
# tcp_hello OUT: log in on b, connect to tcp:$TCP, have the guest write to ttyS1.
tcp_hello() {
"$VACMLAB" send -q $LAB b --expect '# $' 'root\n' > /dev/null
python3 - "$TCP" > "$1" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
print("connected", flush=True)
data, end = b"", time.time() + 15
while b"hello-tcp-" not in data or not data.endswith(b"\n"):
    s.settimeout(max(0.1, end - time.time()))
    try:
        d = s.recv(4096)
    except socket.timeout:
        break
    if not d:
        break
    data += d
print(data.decode(errors="replace"))
EOF
TCPC=$!
wait_for 10 grep -q connected "$1"
"$VACMLAB" send -q $LAB b --expect '# $' 'stty -F /dev/ttyS1 raw -echo; echo hello-tcp-$((40+2)) > /dev/ttyS1\n' > /dev/null
wait $TCPC
}
tcp_hello "$TMPDIR_TEST/tcp.out"
like "$(tr -d '\0' < "$TMPDIR_TEST/tcp.out")" "hello-tcp-42" "tcp:$TCP: a plain TCP client on 127.0.0.1 gets the guest's ttyS1 output"

# unix: QEMU's own socket; log: a file only
socat -u UNIX-CONNECT:"$VACMLAB_RUNTIME_DIR/$LAB/b/ttyS2.sock" - > "$TMPDIR_TEST/unix.out" 2>&1 &
UC=$!
sleep 0.5
"$VACMLAB" send -q $LAB b --expect '# $' 'stty -F /dev/ttyS2 raw -echo; echo hello-unix-$((6*7)) > /dev/ttyS2; echo hello-log-$((6*7)) > /dev/ttyS3\n' > /dev/null
wait_for 5 grep -q hello-unix-42 "$TMPDIR_TEST/unix.out"
ok $? "unix port: the guest's ttyS2 output on RUNDIR/b/ttyS2.sock"
kill $UC 2>/dev/null; wait $UC 2>/dev/null
"$VACMLAB" wait $LAB b --port 3 --console 'hello-log-42' --timeout 5
ok $? "log port: wait --port 3 finds the guest's ttyS3 output"
like "$("$VACMLAB" logs $LAB b ttyS3)" "^hello-log-42" "logs LAB b ttyS3 prints the log port"
out=$("$VACMLAB" send $LAB b --port 1 'x' 2>&1); rc=$?
like "$rc $out" "^1 .*'tcp' port, not a console.*telnet 127.0.0.1 $TCP" "send to a tcp port: exit 1 and what to use instead"
out=$("$VACMLAB" console $LAB a ttyS9 2>&1); rc=$?
like "$rc $out" "^1 .*no ttyS9" "console on a missing port: exit 1"

# console fan-out: two clients at once, a read-only watcher, a late joiner
(sleep 5 | "$VACMLAB" console -q $LAB b > "$TMPDIR_TEST/c1.out") &
C1=$!
"$VACMLAB" console --ro --timeout 5 $LAB b > "$TMPDIR_TEST/w.out" 2> "$TMPDIR_TEST/w.err" &
W=$!
sleep 1
printf 'echo TWO-$((6*7))\n' | "$VACMLAB" console --linger 2 $LAB b > "$TMPDIR_TEST/c2.out" 2> "$TMPDIR_TEST/c2.err"
like "$(cat "$TMPDIR_TEST/c2.err")" "^Connected to b ttyS0; escape is Ctrl-\]" "attach message on stderr"
like "$(cat "$TMPDIR_TEST/c2.out")" "^TWO-42" "client 2's input reached the guest and it sees the answer"
# read-only: neither the CLI (stdin unread) nor a raw write to the ro socket reaches the guest
printf 'echo RO-$((5*5))\n' | "$VACMLAB" console --ro --timeout 1 $LAB b > /dev/null 2>&1
printf 'echo RO-$((5*5))\n' | socat -t 1 - UNIX-CONNECT:"$VACMLAB_RUNTIME_DIR/$LAB/b/ttyS0.ro.sock" > /dev/null 2>&1
"$VACMLAB" send -q $LAB b --expect '^SYNC-7$' 'echo SYNC-$((3+4))\n' > /dev/null
ok $(! grep -q 'RO-25' "$VACMLAB_STATE_DIR/$LAB/logs/b.ttyS0.log"; echo $?) "read-only clients cannot write to the guest"
wait $C1 $W
like "$(cat "$TMPDIR_TEST/c1.out")" "^TWO-42" "client 1, attached at the same time, sees the output too"
like "$(cat "$TMPDIR_TEST/w.out")" "^TWO-42" "a read-only watcher sees the output"
like "$(cat "$TMPDIR_TEST/w.err")" "read-only" "the watcher is told it is read-only"
out=$("$VACMLAB" console --ro --timeout 1 -q $LAB b 2>&1)
like "$out" "^TWO-42" "a late joiner first sees the recent output (replay)"

# A QEMU started again (node restart; also the KVM -> TCG fallback) gets
# the same tcp listener: the port keeps working.
out=$("$VACMLAB" node restart $LAB b 2>&1)
ok $? "node restart b (a node with a tcp: port)" || diag "$out"
"$VACMLAB" wait $LAB b --console 'login:' --timeout 60 > /dev/null 2>&1
tcp_hello "$TMPDIR_TEST/tcp2.out"
like "$(tr -d '\0' < "$TMPDIR_TEST/tcp2.out")" "hello-tcp-42" "after the restart, tcp:$TCP still reaches the guest's ttyS1"

# a real terminal: raw mode, input reaches the guest, Ctrl-] . leaves
out=$(timeout 20 python3 "$(dirname "$0")/pty-console.py" "$VACMLAB" $LAB b \
	'<3:escape is Ctrl-]' '>echo PTY-$((3*3))\r' '<5:PTY-9\r\n' '>\x1d' '<2:leave]' '>.' '<3:')
like "$out" "^PTY-9$" "on a pty: typed input reaches the guest"
like "$out" "RAW True EXIT 0" "on a pty: raw mode, Ctrl-] . leaves with exit 0"

# logs: -f follows and ends when the lab goes down; logs survive down
"$VACMLAB" logs -f $LAB a > "$TMPDIR_TEST/follow.out" &
F=$!
sleep 0.5
"$VACMLAB" send -q $LAB a --expect '# $' 'echo FOLLOW-$((7*6))\n' > /dev/null
"$VACMLAB" down --timeout 20 $LAB > /dev/null 2>&1
ok $? "down"
for i in $(seq 50); do kill -0 $F 2>/dev/null || break; sleep 0.1; done
ok $(! kill -0 $F 2>/dev/null; echo $?) "logs -f ends when the lab goes down"
kill $F 2>/dev/null; wait $F 2>/dev/null
like "$(tr -d '\r' < "$TMPDIR_TEST/follow.out")" "^FOLLOW-42" "logs -f followed new output"
out=$("$VACMLAB" logs $LAB a 2>&1)
like "$out" "console=ttyS0" "logs after down: the console log is kept in the state dir"
"$VACMLAB" wait $LAB a --console login --timeout 1 > /dev/null 2>&1
is $? 5 "wait on a lab that is down: exit 5"
ok_cmd "no process of the lab is left" no_leftovers

done_testing
