#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/57-node-own-error.t - each `vacmlab node` request is answered with
# its own result. A `node start` whose QEMU cannot be started reports the
# reason of that node, also after an earlier, unrelated failure on the same
# lab (that reason used to come from the lab-wide first-failure slot, so
# the second start answered with the first one's text). The guests are
# killed at once (ready = none); then QEMU, a wrapper on PATH, is made
# unexecutable.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd qemu-system-x86_64 dnsmasq jq
lab_env
T=$TMPDIR_TEST
plan 9

mkdir -p "$T/bin"
REAL=$(command -v qemu-system-x86_64)
printf '#!/bin/sh\nexec %s "$@"\n' "$REAL" > "$T/bin/qemu-system-x86_64"
chmod 755 "$T/bin/qemu-system-x86_64"
cat > "$T/n.conf" <<EOF
[lab]
name = nodeerr
[lan lan]
subnet = 10.57.0.0/24
[node n1]
image = $IMAGE
nic = lan 10.57.0.11
ready = none
[node n2]
image = $IMAGE
nic = lan 10.57.0.12
ready = none
EOF
out=$(PATH=$T/bin:$PATH lab_up "$T/n.conf" 2>&1); rc=$?
_t_labs+=(nodeerr) # lab_up ran in a subshell
is "$rc" 0 "up with QEMU behind a wrapper" || echo "$out" | sed 's/^/# /'
"$VACMLAB" node kill nodeerr n1 >/dev/null 2>&1 && "$VACMLAB" node kill nodeerr n2 >/dev/null 2>&1
ok $? "both nodes killed"

# From now on the supervisor cannot exec QEMU.
chmod 644 "$T/bin/qemu-system-x86_64"
out=$("$VACMLAB" node start nodeerr n2 2>&1); rc=$?
ok "$([ "$rc" -ne 0 ] && echo 0 || echo 1)" "node start n2 fails (exit $rc)"
like "$out" "node n2: .*QEMU for node n2.*Permission denied" "... saying why, for n2"

out=$("$VACMLAB" node start nodeerr n1 2>&1); rc=$?
ok "$([ "$rc" -ne 0 ] && echo 0 || echo 1)" "then node start n1 fails too (exit $rc)"
like "$out" "node n1: .*QEMU for node n1.*Permission denied" "... with its own reason, naming n1"
unlike "$out" "n2" "... and nothing of n2's earlier failure"
is "$("$VACMLAB" status --json nodeerr | jq -r .state)" running "the lab keeps running"

"$VACMLAB" down nodeerr >/dev/null 2>&1
no_leftovers; ok $? "down: no process of the lab is left"
