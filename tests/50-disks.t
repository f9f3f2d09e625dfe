#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 50-disks.t - per-node disks with real guests: config written in a guest's
# /etc/config (sda3) survives down/up and a supervisor SIGKILL, is gone
# after up --fresh; a changed base image is refused until reset; reset and
# rm refuse a running lab; down names a node it had to kill; the shared
# image is never written.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd python3 socat sha256sum qemu-img jq
lab_env

GSH="python3 $SRCDIR/tests/guest-sh.py"
IMG_SUM=$(sha256sum < "$IMAGE")
A=disks-a$$
B=disks-b$$
A=${A:0:32} B=${B:0:32}
RUN_A=$VACMLAB_RUNTIME_DIR/$A
ST_A=$VACMLAB_STATE_DIR/$A

cat > "$TMPDIR_TEST/a.conf" <<EOF
[lab]
name = $A
[lan lan]
subnet  = 10.50.0.0/24
address = 10.50.0.254
[node n1]
image   = $IMAGE
memory  = 256
nic     = lan 10.50.0.11
serial  = console
ready   = console "login:"
timeout = 90
EOF

# gsh CMD...: run commands on n1's console (bounded), output on stdout
gsh() { $GSH "$RUN_A/n1/ttyS0.sock" 30 "$@"; }
fail_logs() { [ "$1" = 0 ] || lab_logs "$2"; }

# ---- persistence across down/up -----------------------------------------
lab_up "$TMPDIR_TEST/a.conf" >/dev/null 2>"$TMPDIR_TEST/up.err"
r=$?; ok $r "up: one node ready"; fail_logs $r "$A"
info=$(qemu-img info -U --output=json "$ST_A/n1.qcow2" 2>&1)
is "$(jq -r '."full-backing-filename" // ."backing-filename"' <<<"$info")" "$IMAGE" \
	"overlay backed by the absolute image path"
is "$(jq -r '."backing-filename-format"' <<<"$info")" qcow2 "backing format recorded explicitly"
ok_cmd "base identity recorded beside the overlay" test -s "$ST_A/n1.base"

out=$(gsh 'echo keep-me-1 > /etc/config/persist1 && sync && cat /etc/config/persist1' 2>&1)
is "$out" keep-me-1 "file written and synced in the guest's /etc/config"
"$VACMLAB" down "$A" >/dev/null 2>&1
ok $? "down"
ok_cmd "nothing left after down" no_leftovers
"$VACMLAB" up "$TMPDIR_TEST/a.conf" >/dev/null 2>&1
r=$?; ok $r "up again"; fail_logs $r "$A"
is "$(gsh 'cat /etc/config/persist1' 2>&1)" keep-me-1 "the file survived down/up"

# ---- crash safety: SIGKILL the supervisor ---------------------------------
is "$(gsh 'echo keep-me-2 > /etc/config/persist2 && sync && echo synced' 2>&1)" synced \
	"second file written and synced"
st=$("$VACMLAB" status --json "$A" 2>/dev/null)
sup=$(jq -r .supervisor_pid <<<"$st")
qpid=$(jq -r '.nodes[0].pid' <<<"$st")
ok_cmd "status gives the supervisor and QEMU pids ($sup, $qpid)" test "$sup" -gt 1 -a "$qpid" -gt 1
kill -9 "$sup"
gone() { ! kill -0 "$1" 2>/dev/null; }
wait_for 20 gone "$qpid"
ok $? "QEMU exits after the supervisor is SIGKILLed (PDEATHSIG)"
like "$(tail -n 3 "$ST_A/logs/n1.qemu.log" 2>/dev/null)" "terminating on signal 15" \
	"QEMU got SIGTERM, not SIGKILL"
"$VACMLAB" up "$TMPDIR_TEST/a.conf" >/dev/null 2>"$TMPDIR_TEST/up.err"
r=$?; ok $r "up after the crash"; fail_logs $r "$A"
[ $r = 0 ] || sed 's/^/# /' "$TMPDIR_TEST/up.err"
is "$(gsh 'cat /etc/config/persist2' 2>&1)" keep-me-2 "synced file survived the supervisor SIGKILL"

# ---- reset and rm refuse a running lab ------------------------------------
err=$("$VACMLAB" reset "$A" 2>&1)
is $? 5 "reset refuses a lab that is up (exit 5)"
like "$err" "is up.*down" "... saying to bring it down"
err=$("$VACMLAB" rm --yes "$A" 2>&1)
is $? 5 "rm refuses a lab that is up (exit 5)"
ok_cmd "... and the disk is still there" test -f "$ST_A/n1.qcow2"

# ---- down reports a node it had to kill -----------------------------------
# A paused guest (QMP stop) ignores the ACPI power button.
# (through the supervisor: it is QEMU's only QMP client)
"$VACMLAB" qmp "$A" n1 stop >/dev/null 2>&1
err=$("$VACMLAB" down --timeout 2 "$A" 2>&1)
ok $? "down of a paused guest completes"
like "$err" "node n1 did not power off within 2 s and was killed" "down names the killed node"
ok_cmd "nothing left after down" no_leftovers

# ---- up --fresh ------------------------------------------------------------
"$VACMLAB" up --fresh "$TMPDIR_TEST/a.conf" >/dev/null 2>&1
r=$?; ok $r "up --fresh"; fail_logs $r "$A"
is "$(gsh 'ls /etc/config/persist1 /etc/config/persist2 2>/dev/null | wc -l' 2>&1)" 0 \
	"up --fresh: the files are gone"
"$VACMLAB" down "$A" >/dev/null 2>&1

# ---- rm ---------------------------------------------------------------------
err=$("$VACMLAB" rm "$A" 2>&1 </dev/null)
ok $(( $? == 0 )) "rm without a terminal and without --yes refuses"
like "$err" "--yes" "... and says to pass --yes"
ok_cmd "... the state dir is still there" test -f "$ST_A/n1.qcow2"
"$VACMLAB" rm --yes "$A" >/dev/null 2>&1
ok $? "rm --yes"
ok_cmd "... removed the state dir" test ! -e "$ST_A"

# ---- base image changed -------------------------------------------------------
# A copy of the image: the real one is never touched. ready = none keeps this
# part fast: only the disks matter, not the guests.
cp "$IMAGE" "$TMPDIR_TEST/base.bin"
cat > "$TMPDIR_TEST/b.conf" <<EOF
[lab]
name = $B
[node b1]
image  = $TMPDIR_TEST/base.bin
memory = 128
serial = none
ready  = none
[node b2]
image  = $TMPDIR_TEST/base.bin
memory = 128
serial = none
ready  = none
EOF
lab_up "$TMPDIR_TEST/b.conf" >/dev/null 2>&1
ok $? "lab B up (copy of the image)"
"$VACMLAB" down --timeout 1 "$B" >/dev/null 2>&1
touch "$TMPDIR_TEST/base.bin"
err=$("$VACMLAB" up "$TMPDIR_TEST/b.conf" 2>&1)
is $? 5 "up refuses a changed base image (exit 5)"
like "$err" "node b1: base image .*base.bin changed since" "... naming the node and the image"
like "$err" "vacmlab reset $B b1" "... and saying how to reset it (naming the lab)"
ok_cmd "... and nothing is left running" no_leftovers
"$VACMLAB" status "$B" >/dev/null 2>&1
ok $(( $? == 0 )) "... the lab is not up"
"$VACMLAB" reset "$B" b1 >/dev/null 2>&1
ok $? "reset of node b1 only"
err=$("$VACMLAB" up "$TMPDIR_TEST/b.conf" 2>&1)
is $? 5 "up still refuses: b2 was not reset"
like "$err" "node b2: base image" "... naming b2"
err=$("$VACMLAB" reset "$B" nosuchnode 2>&1)
ok $(( $? == 0 )) "reset of an unknown node fails"
like "$err" "no disk for node 'nosuchnode'.*b2" "... listing the nodes that have a disk"
"$VACMLAB" reset "$B" >/dev/null 2>&1
ok $? "reset of the whole lab"
"$VACMLAB" up "$TMPDIR_TEST/b.conf" >/dev/null 2>&1
ok $? "up works after reset"
"$VACMLAB" down --timeout 1 "$B" >/dev/null 2>&1

ok_cmd "nothing left at the end" no_leftovers
is "$(sha256sum < "$IMAGE")" "$IMG_SUM" "images/image.bin never written (sha256 unchanged)"
done_testing
