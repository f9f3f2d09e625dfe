#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 53-accel.t - the accelerator decision as `up` and `run` make it with real
# QEMUs: the one line `up` prints, the -accel QEMU gets, status's accel, the
# precedence --accel > VACMLAB_ACCEL > [lab] accel > auto, a forced kvm this
# machine cannot give, cpu = host under TCG, and (where KVM opens here) the
# remembered "KVM failed on this machine" file. Nodes use ready = none: the
# decision is made before any guest boots, so no test waits for one.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd jq
lab_env
unset VACMLAB_ACCEL # what this test is about
plan 27

L=accel$$
L=${L:0:32}
topo() { # topo FILE [LAB-KEYS] [NODE-KEYS]
	printf '[lab]\nname = %s\n%b[node n]\nimage = %s\nready = none\n%b' \
		"$L" "${2:-}" "$IMAGE" "${3:-}" > "$1"
}
T=$TMPDIR_TEST/t.conf
topo "$T"
# up_line ARGS...: up, print the accel line, the QEMU -accel and status's accel; down.
up_line() {
	local r
	lab_up "$@" >/dev/null 2>"$TMPDIR_TEST/up.err"
	r=$?
	echo "rc=$r $(grep '^vacmlab: accel ' "$TMPDIR_TEST/up.err")"
	echo "qemu$(grep -o ' -accel [a-z]*' "$VACMLAB_STATE_DIR/$L/logs/supervisor.log" 2>/dev/null | tr '\n' ' ')"
	echo "status=$("$VACMLAB" status --json "$L" 2>/dev/null | jq -r .accel)"
	"$VACMLAB" down --timeout 2 "$L" >/dev/null 2>&1
}

# What auto should say on this machine, worked out independently of vacmlab.
if [ ! -e /dev/kvm ]; then
	auto_re='tcg: no /dev/kvm'; auto_kvm=0
elif ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	auto_re='tcg: /dev/kvm is 0[0-7]{3} [^ ]+:[^ ;]+; '; auto_kvm=0
else
	auto_re='(kvm: /dev/kvm usable|tcg: /dev/kvm opens but cannot create a VM)'; auto_kvm=
fi

out=$(up_line "$T")
like "$out" "^rc=0 vacmlab: accel $auto_re" "auto: up says which accelerator and why, in one line"
[ -z "$auto_kvm" ] && { grep -q '^rc=0 vacmlab: accel kvm' <<<"$out" && auto_kvm=1 || auto_kvm=0; }
acc=$([ "$auto_kvm" = 1 ] && echo kvm || echo tcg)
like "$out" "qemu -accel $acc $" "... QEMU gets exactly -accel $acc"
like "$out" "status=$acc" "... status --json says accel $acc"
is "$(grep -c '^vacmlab: accel ' "$TMPDIR_TEST/up.err")" 1 "... one line, once"

out=$(VACMLAB_KVM_DEVICE=$TMPDIR_TEST/none up_line "$T")
like "$out" "^rc=0 vacmlab: accel tcg: no $TMPDIR_TEST/none" "auto without a KVM device: tcg: no DEVICE"
like "$out" "qemu -accel tcg $" "... -accel tcg"

out=$(VACMLAB_ACCEL=tcg up_line "$T")
like "$out" "^rc=0 vacmlab: accel tcg: asked for \(VACMLAB_ACCEL\)" "VACMLAB_ACCEL=tcg"
like "$out" "qemu -accel tcg $" "... -accel tcg"
topo "$T" 'accel = kvm\n'
out=$(VACMLAB_ACCEL=tcg up_line "$T")
like "$out" "^rc=0 vacmlab: accel tcg: asked for \(VACMLAB_ACCEL\)" "VACMLAB_ACCEL beats [lab] accel"
out=$(VACMLAB_ACCEL=kvm up_line --accel tcg "$T")
like "$out" "^rc=0 vacmlab: accel tcg: asked for \(--accel\)" "--accel tcg beats VACMLAB_ACCEL=kvm"
like "$out" "status=tcg" "... status says tcg"
topo "$T" 'accel = tcg\n'
out=$(up_line "$T")
like "$out" "^rc=0 vacmlab: accel tcg: asked for \(\[lab\] accel\)" "[lab] accel = tcg"
topo "$T"

# run --accel goes the same way.
"$VACMLAB" run --accel tcg --name "$L" "$T" -- true >/dev/null 2>"$TMPDIR_TEST/run.err"
ok $? "run --accel tcg: the command ran, exit 0"
like "$(cat "$TMPDIR_TEST/run.err")" "vacmlab: accel tcg: asked for \(--accel\)" "... with the accel line"

# A forced kvm this machine cannot give: exit 2 before anything starts.
err=$(VACMLAB_KVM_DEVICE=$TMPDIR_TEST/none VACMLAB_ACCEL=kvm "$VACMLAB" up "$T" 2>&1)
is $? 2 "VACMLAB_ACCEL=kvm without KVM: exit 2"
like "$err" "accel kvm \(VACMLAB_ACCEL\), but KVM is not usable here: no $TMPDIR_TEST/none" \
	"... naming why"
ok_cmd "... and nothing was started (no runtime dir)" test ! -e "$VACMLAB_RUNTIME_DIR/$L"
err=$(VACMLAB_ACCEL=fast "$VACMLAB" up "$T" 2>&1)
is $? 1 "VACMLAB_ACCEL=fast: exit 1"
like "$err" "VACMLAB_ACCEL: unknown accel 'fast': expected auto, kvm or tcg" "... naming the variable"
err=$("$VACMLAB" up --accel hvf "$T" 2>&1)
like "$err" "--accel: unknown accel 'hvf'" "--accel hvf refused"

# cpu = host needs KVM: refused once the accelerator is known.
topo "$T" '' 'cpu = host\n'
err=$("$VACMLAB" up --accel tcg "$T" 2>&1)
is $? 1 "cpu = host with --accel tcg: exit 1"
like "$err" "node n: cpu = host needs KVM, but this lab runs under TCG \(tcg: asked for \(--accel\)\)" \
	"... naming the node and the decision"
err=$(VACMLAB_KVM_DEVICE=$TMPDIR_TEST/none "$VACMLAB" up "$T" 2>&1)
is $? 2 "cpu = host, auto without KVM: exit 2 (the machine lacks KVM)"
topo "$T"

# The remembered fact: only reachable where /dev/kvm gives a VM.
if [ "$auto_kvm" = 1 ]; then
	model=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n1)
	printf '%s\t%s\t%s\n' "$(uname -r)" "$model" "KVM internal error (test)" \
		> "$VACMLAB_STATE_DIR/kvm-broken"
	out=$(up_line "$T")
	like "$out" "^rc=0 vacmlab: accel tcg: KVM failed to run a guest on this machine before \(remembered in $VACMLAB_STATE_DIR/kvm-broken; rm it to retry\)" \
		"remembered broken: auto goes straight to TCG, saying where it is remembered"
	like "$out" "qemu -accel tcg $" "... -accel tcg"
	printf '0.0-other\tOther CPU\tx\n' > "$VACMLAB_STATE_DIR/kvm-broken"
	out=$(up_line "$T")
	like "$out" "^rc=0 vacmlab: accel kvm" "another kernel/CPU's line does not count"
else
	line=$(grep -o 'tcg: .*' <<<"$(VACMLAB_ACCEL= "$VACMLAB" check --qemu "$T" 2>&1 | head -n1)")
	for i in 1 2 3; do ok 0 "# SKIP remembered-broken KVM needs a usable /dev/kvm ($line)"; done
fi
ok_cmd "nothing left behind" no_leftovers
