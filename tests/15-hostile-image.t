#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 15-hostile-image.t - a base image that names another file. QEMU follows a
# QCOW2 image's backing file and external data file, so an image.bin naming
# ../outside/secret.raw would show that file to the guest. `image info`,
# `check` and `up` refuse it, naming the path, and start nothing; with
# VACMLAB_ALLOW_BACKING=1 (the user's explicit choice) it boots, and a real
# guest reads the outside file's marker from its disk - which is what the
# refusal prevents. JSON/protocol backing names are refused even then.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd python3 socat qemu-img
lab_env

GSH="python3 $SRCDIR/tests/guest-sh.py"
L=hostile$$
L=${L:0:32}
OUT=$TMPDIR_TEST/outside
LABD=$TMPDIR_TEST/lab
mkdir -p "$OUT" "$LABD"
unset VACMLAB_ALLOW_BACKING

# The secret: a raw copy of the appliance (so that it boots) with a marker in
# an unused sector of the MBR gap (1500; sda1 starts at 2048).
MARK=VACMLAB-SECRET-$$-$RANDOM
qemu-img convert -O raw "$IMAGE" "$OUT/secret.raw"
printf '%s' "$MARK" | dd of="$OUT/secret.raw" bs=512 seek=1500 conv=notrunc status=none
# image.bin names it by a relative path through ..; data.qcow2 names an
# external data file; json.qcow2 a json: backing string.
(cd "$LABD" && qemu-img create -q -f qcow2 -b ../outside/secret.raw -F raw image.bin)
qemu-img create -q -f qcow2 -o data_file="$OUT/data.raw" "$LABD/data.qcow2" 64M
qemu-img create -q -f qcow2 -u -F raw \
	-b "json:{\"driver\":\"raw\",\"file\":{\"driver\":\"file\",\"filename\":\"$OUT/secret.raw\"}}" \
	"$LABD/json.qcow2" 64M

conf() { # conf IMAGE: a one-node topology on IMAGE
	cat > "$LABD/lab.conf" <<EOF
[lab]
name = $L
[lan lan]
subnet  = 10.15.0.0/24
address = 10.15.0.254
[node n1]
image   = $1
memory  = 256
nic     = lan 10.15.0.11
serial  = console
ready   = console "login:"
timeout = 120
EOF
}

# ---- refused by default ----------------------------------------------------
out=$("$VACMLAB" image info "$LABD/image.bin" 2>&1); r=$?
is "$r" 2 "image info: a backing file outside the lab is refused (exit 2, EXIT_ENV)"
like "$out" "names a backing file '\.\./outside/secret\.raw' \($LABD/\.\./outside/secret\.raw\): refused" \
	"image info: the message names the backing file as written and resolved"
unlike "$out" "VACM-shaped" "image info: not called VACM-shaped"
like "$out" "VACMLAB_ALLOW_BACKING=1" "image info: the message says how to allow it"

out=$("$VACMLAB" image info "$LABD/data.qcow2" 2>&1); r=$?
is "$r" 2 "image info: an external data file is refused"
like "$out" "names an external data file '$OUT/data\.raw'" "image info: ... naming it"

conf image.bin
out=$("$VACMLAB" check "$LABD/lab.conf" 2>&1); r=$?
isnt_zero=$([ "$r" -ne 0 ] && echo 0 || echo 1)
ok "$isnt_zero" "check: refused (exit $r)"
like "$out" "^$LABD/lab\.conf:[0-9]+: node n1: image $LABD/image\.bin: names a backing file '\.\./outside/secret\.raw'" \
	"check: FILE:LINE, the node, the image and the backing file"

out=$(lab_up "$LABD/lab.conf" 2>&1); r=$?
isnt_zero=$([ "$r" -ne 0 ] && echo 0 || echo 1)
ok "$isnt_zero" "up: refused (exit $r)"
like "$out" "node n1: $LABD/image\.bin: names a backing file '\.\./outside/secret\.raw'" \
	"up: names the node, the image and the backing file"
is "$(lab_pids | wc -l)" 0 "up: no process was started"
ok_cmd "up: no overlay was made" test ! -e "$VACMLAB_STATE_DIR/$L/n1.qcow2"

conf data.qcow2
out=$(lab_up "$LABD/lab.conf" 2>&1); r=$?
isnt_zero=$([ "$r" -ne 0 ] && echo 0 || echo 1)
ok "$isnt_zero" "up: an external data file is refused (exit $r)"
like "$out" "names an external data file" "up: ... naming it"

# ---- json:/protocol names: refused even when allowed ------------------------
out=$(VACMLAB_ALLOW_BACKING=1 "$VACMLAB" image info "$LABD/json.qcow2" 2>&1); r=$?
is "$r" 2 "image info: a json: backing string is refused even when allowed"
like "$out" "QEMU protocol or JSON string" "image info: ... saying why"
conf json.qcow2
out=$(VACMLAB_ALLOW_BACKING=1 "$VACMLAB" check "$LABD/lab.conf" 2>&1); r=$?
isnt_zero=$([ "$r" -ne 0 ] && echo 0 || echo 1)
ok "$isnt_zero" "check: a json: backing string is refused even when allowed (exit $r)"

# ---- allowed explicitly: it boots, and the guest reads the outside file ----
export VACMLAB_ALLOW_BACKING=1
out=$("$VACMLAB" image info "$LABD/image.bin" 2>&1); r=$?
is "$r" 0 "allowed: image info reads it"
like "$out" "secret\.raw" "allowed: image info shows the backing file"
conf image.bin
ok_cmd "allowed: check passes" "$VACMLAB" check "$LABD/lab.conf"
lab_up "$LABD/lab.conf" >/dev/null 2>"$TMPDIR_TEST/up.err"
r=$?; ok $r "allowed: up boots the node" || { cat "$TMPDIR_TEST/up.err" | sed 's/^/#   /'; lab_logs "$L"; }
seen=$($GSH "$VACMLAB_RUNTIME_DIR/$L/n1/ttyS0.sock" 60 \
	"dd if=/dev/sda bs=512 skip=1500 count=1 2>/dev/null | tr -dc 'A-Za-z0-9-'; echo" 2>&1)
like "$seen" "$MARK" "allowed: the guest's disk holds the outside file (what the refusal prevents)"
"$VACMLAB" down --timeout 20 "$L" >/dev/null 2>&1
ok $? "down"
unset VACMLAB_ALLOW_BACKING
ok_cmd "no process left" no_leftovers

done_testing
