#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `vacmlab up --foreground`: stays attached, prints node state changes as
# they happen (booting, ready, exited), and on SIGTERM or Ctrl-C powers the
# lab off gracefully and leaves nothing behind.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd jq
lab_env
cat > "$TMPDIR_TEST/fg.conf" <<EOT
[lab]
name = fg
[lan lan]
subnet = 192.168.68.0/24
[node n1]
image = $IMAGE
nic = lan 192.168.68.11
ready = console "login:"
EOT
_t_labs+=(fg)
log=$TMPDIR_TEST/fg.log
"$VACMLAB" up --foreground "$TMPDIR_TEST/fg.conf" >"$log" 2>&1 &
up=$!
ok "$(wait_for 90 grep -q 'n1 .*ready in' "$log"; echo $?)" "--foreground prints the node's progress up to ready"
like "$(cat "$log")" "n1 +booting" "it printed booting first"
like "$(cat "$log")" "n1 +ready +([a-z]+ +)?[0-9]+s +192\.168\.68\.11" "then the status table"
ok "$(kill -0 "$up" 2>/dev/null; echo $?)" "and stays attached after the lab is up"
is "$("$VACMLAB" status --json fg | jq -r '.nodes[0].state')" ready "the lab is usable meanwhile (status: ready)"

# A state change while attached: the guest powers itself off.
python3 "$SRCDIR/tests/guest-sh.py" "$VACMLAB_RUNTIME_DIR/fg/n1/ttyS0.sock" 30 'poweroff' >/dev/null 2>&1
ok "$(wait_for 30 grep -q 'n1 .*exited' "$log"; echo $?)" "a node that exits is reported as it happens"

kill -TERM "$up"
wait "$up"; rc=$?
is "$rc" 0 "SIGTERM to up --foreground tears the lab down and exits 0"
like "$(cat "$log")" "lab fg is down" "it says the lab is down"
ok "$(test -e "$VACMLAB_RUNTIME_DIR/fg"; echo $((!$?)))" "the runtime dir is gone"
ok "$(no_leftovers; echo $?)" "no process of the lab is left"
done_testing
