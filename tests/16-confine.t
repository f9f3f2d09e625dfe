#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/16-confine.t - every QEMU is confined to its own lab: qemu_args that
# reach outside it are refused by check (FILE:LINE); a running QEMU cannot
# open a file outside its Landlock rules (asked over QMP, as an option that
# got through would), while the same request succeeds with confinement
# off, so the check can fail; -sandbox stops `migrate exec:`; a file the
# topology names inside its own directory still works; doctor and up say
# what confinement this kernel gives.
. "$(dirname "$0")/lib.sh"
need_image
lab_env

T=$TMPDIR_TEST/topo
mkdir -p "$T"
SECRET=$TMPDIR_TEST/secret
echo "secret-$$-content" > "$SECRET"
chmod 644 "$SECRET"

# 1. check refuses every option that reaches outside the lab, at its line.
hostile=(
	"-plugin /tmp/evil.so"
	"-virtfs local,path=/,mount_tag=h,security_model=none"
	"-object memory-backend-file,id=m,size=64M,mem-path=$HOME/.bashrc,share=on"
	"-fw_cfg name=opt/k,file=$HOME/.ssh/id_ed25519"
	"-blockdev driver=file,node-name=d,filename=$SECRET"
	"-blockdev driver=file,node-name=d,filename=../secret"
	"-D $TMPDIR_TEST/qemu.log"
	"-gdb tcp:0.0.0.0:1234"
	"-s"
	"-set drive.hd0.file=/etc/passwd"
	"-add-fd fd=3,set=1"
	"-device e1000,romfile=$SECRET"
	"-kernel $SECRET"
	"-debugcon file:$TMPDIR_TEST/x"
)
for h in "${hostile[@]}"; do
	printf '[lab]\nname = cf\n[node n1]\nimage = %s\nqemu_args = %s\n' "$IMAGE" "$h" > "$T/h.conf"
	out=$("$VACMLAB" check "$T/h.conf" 2>&1)
	rc=$?
	is "$rc" 1 "check refuses qemu_args = $h (exit 1)"
	like "$out" "^$T/h.conf:5: qemu_args: " "... with FILE:LINE"
done

# 2. doctor names Landlock.
out=$("$VACMLAB" doctor 2>&1)
like "$out" "landlock +Landlock (ABI [0-9]+|not built|disabled)" "doctor reports Landlock"
ABI=$(printf '%s' "$out" | sed -n 's/.*Landlock ABI \([0-9]*\).*/\1/p' | head -1)
[ -n "$ABI" ] || ABI=0

# 3. A lab whose node names a disk inside the topology's directory.
truncate -s 1M "$T/extra.img"
cat > "$T/cf.conf" <<EOF
[lab]
name = cf16
[node n1]
image = $IMAGE
ready = console "login:"
qemu_args = -blockdev driver=file,node-name=extra,filename=extra.img
EOF
out=$(lab_up "$T/cf.conf" 2>&1)
ok $? "a node with a disk in the topology's directory comes up confined" || echo "$out" | sed 's/^/#   /'
if [ "$ABI" -ge 4 ]; then
	unlike "$out" "confinement|Landlock" "up says nothing about confinement when it is full"
fi
PID=$(pgrep -f "process=vacmlab:cf16:n1" | head -1)
st=$(cat /proc/$PID/status 2>/dev/null)
like "$st" "NoNewPrivs:[[:space:]]+1" "QEMU runs with no_new_privs"
like "$st" "Seccomp:[[:space:]]+2" "QEMU runs under its seccomp filter (-sandbox)"

qmp_secret() { # qmp_secret LAB: ask QEMU to open the secret, as an option that got through would
	"$VACMLAB" qmp "$1" n1 blockdev-add \
		"{\"driver\":\"raw\",\"node-name\":\"sec\",\"read-only\":true,\"file\":{\"driver\":\"file\",\"filename\":\"$SECRET\",\"read-only\":true}}" 2>&1
}
if [ "$ABI" -ge 1 ]; then
	out=$(qmp_secret cf16)
	like "$out" "Could not open '$SECRET': Permission denied" \
		"confined QEMU cannot open a file outside the lab (Landlock)"
	out=$("$VACMLAB" qmp cf16 n1 blockdev-add \
		'{"driver":"raw","node-name":"ok","read-only":true,"file":{"driver":"file","filename":"'"$T/extra.img"'","read-only":true}}' 2>&1)
	like "$out" "^\{\}" "... while the topology's own file opens"
else
	ok 0 "# SKIP no Landlock in this kernel"
	ok 0 "# SKIP no Landlock in this kernel"
fi

# 4. -sandbox: `migrate exec:` (what a monitor reaches) cannot run a command.
"$VACMLAB" qmp cf16 n1 migrate "{\"uri\":\"exec:touch $TMPDIR_TEST/pwned\"}" >/dev/null 2>&1
sleep 1
ok "$([ ! -e "$TMPDIR_TEST/pwned" ]; echo $?)" "migrate exec: runs nothing (-sandbox spawn=deny)"
"$VACMLAB" down --timeout 5 cf16 >/dev/null 2>&1

# 5. The control: with confinement off the same request reaches the file,
# so the test above can fail.
out=$(VACMLAB_CONFINE=0 lab_up --name cf16b "$T/cf.conf" 2>&1)
ok $? "the same lab comes up with VACMLAB_CONFINE=0" || echo "$out" | sed 's/^/#   /'
like "$out" "confinement off" "up says confinement is off, in one line"
out=$(qmp_secret cf16b)
like "$out" "^\{\}" "unconfined, QEMU opens the file outside the lab (the control)"
"$VACMLAB" down --timeout 5 cf16b >/dev/null 2>&1

no_leftovers
ok $? "no process of the test's labs is left"
done_testing
