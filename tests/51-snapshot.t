#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 51-snapshot.t - snapshots with real guests: save, change the disk and RAM,
# load (the changes are gone, the node answers ping on its address), refusals,
# list/rm online and offline, and `up --snapshot` giving ready nodes with a
# working network.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd python3 jq
lab_env

GSH="python3 $SRCDIR/tests/guest-sh.py"
L=snap$$
L=${L:0:32}
RUN=$VACMLAB_RUNTIME_DIR/$L
cat > "$TMPDIR_TEST/s.conf" <<EOF
[lab]
name = $L
[lan lan]
subnet  = 10.51.0.0/24
address = 10.51.0.254
[node n1]
image   = $IMAGE
memory  = 256
nic     = lan 10.51.0.11
serial  = console
ready   = console "login:"
timeout = 90
[node n2]
image   = $IMAGE
memory  = 256
nic     = lan 10.51.0.12
serial  = console
ready   = console "login:"
timeout = 90
EOF
gsh() { local n=$1; shift; $GSH "$RUN/$n/ttyS0.sock" 30 "$@"; }
pings() { "$VACMLAB" exec "$L" -- ping -c 1 -W 2 "$1"; }
snap() { "$VACMLAB" snapshot "$L" "$@"; }

lab_up "$TMPDIR_TEST/s.conf" >/dev/null 2>&1
r=$?; ok $r "up: two nodes ready (cold boot)"; [ $r = 0 ] || lab_logs "$L"
like "$(snap n1 list 2>&1)" "has no snapshots" "list: none yet"

snap n1 save s1 >"$TMPDIR_TEST/save.out" 2>&1
ok $? "save s1 on n1"
like "$(cat "$TMPDIR_TEST/save.out")" "saved snapshot s1 of node n1 \(vmstate [0-9.]+ MiB\)" \
	"... reports the vmstate size"
ok_cmd "save s1 on n2" snap n2 save s1
is "$(snap n1 list --json 2>/dev/null | jq -r '.[].name')" s1 "list --json shows s1"
like "$(snap n1 list 2>&1)" "^s1 +[0-9.]+ MiB" "list table shows s1"
snap n1 save s1 >/dev/null 2>&1
is $? 5 "saving over an existing name is refused (exit 5)"
snap n1 save 1bad >/dev/null 2>&1
is $? 1 "a name starting with a digit (a qcow2 id) is refused"

# Change the disk and the RAM (/tmp is in the initramfs), then go back.
is "$(gsh n1 'echo x > /etc/config/after-snap && echo y > /tmp/ram-only && sync && echo done' 2>&1)" \
	done "changed /etc/config and RAM on n1"
snap n1 load s1 >/dev/null 2>&1
ok $? "load s1 on n1"
is "$(gsh n1 'ls /etc/config/after-snap /tmp/ram-only 2>/dev/null | wc -l' 2>&1)" 0 \
	"after load: the disk and RAM changes are gone"
ok_cmd "after load: n1 answers ping on 10.51.0.11" wait_for 10 pings 10.51.0.11
ok_cmd "the other node is unaffected (ping 10.51.0.12)" pings 10.51.0.12
snap n1 load nosuch >/dev/null 2>&1
is $? 5 "loading a missing snapshot is refused (exit 5)"
ok_cmd "n1 still answers after the refused load" pings 10.51.0.11
snap n3 list >/dev/null 2>&1
is $? 1 "an unknown node is a usage error"

"$VACMLAB" down "$L" >/dev/null 2>&1
ok $? "down"
is "$(snap n1 list --json 2>/dev/null | jq -r '.[].name')" s1 "list works with the lab down"
snap n1 load s1 >/dev/null 2>&1
is $? 5 "load needs the lab up (exit 5)"

# ---- up --snapshot -------------------------------------------------------------
"$VACMLAB" up --snapshot s1 --fresh "$TMPDIR_TEST/s.conf" >/dev/null 2>&1
is $? 1 "--snapshot with --fresh is a usage error"
err=$("$VACMLAB" up --snapshot nosuch "$TMPDIR_TEST/s.conf" 2>&1)
is $? 5 "up --snapshot of a missing snapshot is refused (exit 5)"
like "$err" "node n1 has no snapshot 'nosuch'" "... naming the node"
ok_cmd "... and nothing is left running" no_leftovers

t0=$(date +%s%N)
"$VACMLAB" up --snapshot s1 "$TMPDIR_TEST/s.conf" >/dev/null 2>"$TMPDIR_TEST/up.err"
r=$?; t1=$(date +%s%N)
ok $r "up --snapshot s1"
[ $r = 0 ] || { sed 's/^/# /' "$TMPDIR_TEST/up.err"; lab_logs "$L"; }
diag "up --snapshot took $(( (t1 - t0) / 1000000 )) ms"
is "$("$VACMLAB" status --json "$L" 2>/dev/null | jq -r '[.nodes[].state] | join(" ")')" \
	"ready ready" "both nodes ready"
ok_cmd "restored n1 answers ping on 10.51.0.11" wait_for 10 pings 10.51.0.11
ok_cmd "restored n2 answers ping on 10.51.0.12" wait_for 10 pings 10.51.0.12
ok_cmd "restored n1 can reach n2 and the lab gateway" \
	gsh n1 'ping -c 1 -W 2 10.51.0.12 >/dev/null && ping -c 1 -W 2 10.51.0.254 >/dev/null'
is "$(gsh n1 'ls /etc/config/after-snap 2>/dev/null | wc -l' 2>&1)" 0 \
	"restored n1 has the snapshot's disk (no after-snap)"

# ---- rm ---------------------------------------------------------------------------
ok_cmd "rm s1 on running n1" snap n1 rm s1
is "$(snap n1 list --json 2>/dev/null | jq 'length')" 0 "n1 has no snapshots left"
snap n1 rm s1 >/dev/null 2>&1
is $? 5 "rm of a missing snapshot is refused (exit 5)"
"$VACMLAB" down "$L" >/dev/null 2>&1
ok_cmd "rm s1 on n2 with the lab down" snap n2 rm s1
is "$(snap n2 list --json 2>/dev/null | jq 'length')" 0 "n2 has no snapshots left"
ok_cmd "nothing left at the end" no_leftovers
done_testing
