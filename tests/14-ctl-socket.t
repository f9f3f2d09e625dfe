#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/14-ctl-socket.t - who may talk to a lab's supervisor. Its control
# socket (RUNDIR/ctl.sock) is 0600 whatever the umask `up` ran under, and a
# connection from a uid that is not the lab's is refused (SO_PEERCRED) and
# logged, even where the file's mode would let it in. QMP passthrough is
# one of the methods, and QEMU's monitor runs commands (migrate exec:).
. "$(dirname "$0")/lib.sh"
need_image
need_root
need_cmd setpriv jq qemu-system-x86_64 dnsmasq
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"
lab_env
T=$TMPDIR_TEST
plan 9

cat > "$T/c.conf" <<EOF
[lab]
name = ctlsock
[lan lan]
subnet = 10.59.0.0/24
[node n1]
image = $IMAGE
nic = lan 10.59.0.11
EOF
out=$(umask 000; lab_up --no-boot "$T/c.conf" 2>&1); rc=$?
_t_labs+=(ctlsock) # lab_up ran in a subshell
is "$rc" 0 "up --no-boot under umask 000" || echo "$out" | sed 's/^/# /'
RUN=$VACMLAB_RUNTIME_DIR/ctlsock
SOCK=$RUN/ctl.sock
is "$(stat -c '%a %F' "$SOCK")" "600 socket" "ctl.sock is 0600 although the umask was 000"

# Another uid: only the directories are opened up for it (in this test).
chmod 711 "$VACMLAB_RUNTIME_DIR" "$RUN"
ask_as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect:", e.strerror); sys.exit(0)
s.settimeout(10)
try:
    s.sendall(b"{\"cmd\":\"qmp\",\"node\":\"n1\",\"execute\":\"query-status\"}\n")
    data = s.recv(65536)
except OSError:
    data = b""  # reset or broken pipe: closed
print("reply:", data.decode(errors="replace").strip() or "(closed, no reply)")
' "$SOCK"
}
like "$(ask_as_nobody)" "^connect: Permission denied" \
	"uid 65534 cannot connect: the socket's mode keeps it out"

# Were the mode wrong, the supervisor still refuses the peer.
chmod 666 "$SOCK"
got=$(ask_as_nobody)
is "$got" "reply: (closed, no reply)" "uid 65534 connecting to a 0666 socket is closed without a reply"
LOG=$VACMLAB_STATE_DIR/ctlsock/logs/supervisor.log
wait_for 5 grep -q "control: refused a connection from pid [0-9]* uid 65534: not the lab's user" "$LOG"
ok $? "the refusal is in the supervisor's log" || tail -5 "$LOG" | sed 's/^/# /'

# The lab's own user still gets its answers.
is "$("$VACMLAB" status --json ctlsock | jq -r .state)" running "the lab's user: status answers"
out=$("$VACMLAB" node stop ctlsock n1 2>&1); rc=$?
is "$rc" 5 "the lab's user: a node request gets its own answer (n1 is not running: 5)"

"$VACMLAB" down ctlsock >/dev/null 2>&1
is "$?" 0 "down"
no_leftovers; ok $? "no process of the lab is left"
