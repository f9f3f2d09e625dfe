#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Desk sessions, part 2: `vacmlab up --foreground` as a systemd service of
# Type=notify. A real NOTIFY_SOCKET (an AF_UNIX datagram socket made here,
# as systemd makes it) receives STATUS= lines as the node changes state,
# READY=1 once the node is ready, and STOPPING=1 on SIGTERM, which is the
# graceful down. Then the same with an abstract '@' socket name.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd jq python3
lab_env
plan 12

# listen.py ADDR OUT: print each datagram, one per line, \n as '|'.
cat > "$TMPDIR_TEST/listen.py" <<'EOT'
import socket, sys
addr, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr[0] == "@" else addr)
open(out + ".bound", "w").close()
with open(out, "a", buffering=1) as f:
    while True:
        d = s.recv(4096).decode()
        f.write(d.replace("\n", "|") + "\n")
EOT
listen() {
	python3 "$TMPDIR_TEST/listen.py" "$1" "$2" &
	lpid=$!
	wait_for 10 test -e "$2.bound"
}

cat > "$TMPDIR_TEST/svc.conf" <<EOT
[lab]
name = svc
[lan lan]
subnet = 192.168.73.0/24
[node n1]
image = $IMAGE
nic = lan 192.168.73.11
ready = console "login:"
EOT
_t_labs+=(svc)
msgs=$TMPDIR_TEST/notify.txt
listen "$TMPDIR_TEST/notify.sock" "$msgs"
NOTIFY_SOCKET=$TMPDIR_TEST/notify.sock "$VACMLAB" up --foreground "$TMPDIR_TEST/svc.conf" \
	>"$TMPDIR_TEST/up.log" 2>&1 &
up=$!
ok "$(wait_for 120 grep -q '^READY=1' "$msgs"; echo $?)" "READY=1 arrives on the notify socket"
is "$("$VACMLAB" status --json svc | jq -r '.nodes[0].state')" ready "when READY=1 came, the node was ready"
like "$(cat "$msgs")" "STATUS=lab svc: 0/1 nodes ready; n1 booting" "a STATUS= line while the node boots"
like "$(grep -n READY=1 "$msgs")" "STATUS=lab svc: 1/1 nodes ready" "READY=1 comes with STATUS 1/1 nodes ready"
ok "$(awk '/n1 booting/{b=NR} /^READY=1/{r=NR} END{exit !(b && r && b < r)}' "$msgs"; echo $?)" \
	"booting was told before READY=1"
ok "$(grep -q STOPPING "$msgs"; echo $((!$?)))" "no STOPPING=1 while the lab runs"
kill -TERM "$up"
wait "$up"; rc=$?
is "$rc" 0 "SIGTERM to up --foreground: the graceful down, exit 0"
ok "$(grep -q '^STOPPING=1' "$msgs"; echo $?)" "STOPPING=1 arrives on SIGTERM"
like "$(cat "$VACMLAB_STATE_DIR/svc/logs/supervisor.log")" "D powerdown" "the lab went down through the power button"
ok "$(no_leftovers; echo $?)" "no process of the lab is left"
kill "$lpid" 2>/dev/null
sed "s/^/# notify: /" "$msgs"

# An abstract socket name (systemd's own NOTIFY_SOCKET is often one). A
# lab without nodes is ready at once: READY=1, then STOPPING=1.
cat > "$TMPDIR_TEST/svc2.conf" <<EOT
[lab]
name = svc2
[lan lan]
subnet = 192.168.74.0/24
EOT
_t_labs+=(svc2)
msgs2=$TMPDIR_TEST/notify2.txt
listen "@vacmlab-test-$$" "$msgs2"
NOTIFY_SOCKET=@vacmlab-test-$$ "$VACMLAB" up --foreground "$TMPDIR_TEST/svc2.conf" \
	>"$TMPDIR_TEST/up2.log" 2>&1 &
up=$!
ok "$(wait_for 30 grep -q '^READY=1' "$msgs2"; echo $?)" "an abstract @ socket receives READY=1"
wait_for 10 "$VACMLAB" status svc2
kill -TERM "$up"; wait "$up"
ok "$(wait_for 10 grep -q '^STOPPING=1' "$msgs2"; echo $?)" "and STOPPING=1 on SIGTERM"
kill "$lpid" 2>/dev/null
done_testing
