#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 55-kvm.t - KVM where this machine has a /dev/kvm this user can open: a
# forced kvm, auto's fallback to TCG after a KVM internal error, the fact
# remembered for this machine (kernel release and CPU model), and forgetting
# it. Real guests under the real /dev/kvm. Which branch runs is what KVM
# does with the stand-in here, seen by the forced run: on a machine whose KVM
# runs it, the lab is ready under KVM; on one whose KVM stops it (this build
# VM: "KVM internal error ... emulation failure"), the node fails at once and
# auto carries on under TCG.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd qemu-system-x86_64 jq
[ -e /dev/kvm ] || skip_all "no /dev/kvm on this machine"
{ [ -r /dev/kvm ] && [ -w /dev/kvm ]; } || skip_all "/dev/kvm is not read-write for $(id -un)"
lab_env
unset VACMLAB_ACCEL # what this test is about
T=$TMPDIR_TEST
BROKEN=$VACMLAB_STATE_DIR/kvm-broken
KEY="$(uname -r)	$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -1)"

cat > "$T/one.conf" <<EOF
[lab]
name = kvm-one
[node k1]
image = $IMAGE
ready = console "login:"
timeout = 120
EOF
# Two nodes, one boot slot: k2 is still queued when k1 meets KVM's error.
cat > "$T/two.conf" <<EOF
[lab]
name = kvm-two
boot_parallel = 1
[node k1]
image = $IMAGE
ready = console "login:"
timeout = 120
[node k2]
image = $IMAGE
ready = console "login:"
timeout = 120
EOF

# ---- forced kvm ---------------------------------------------------------------
t0=$EPOCHREALTIME
out=$(lab_up --accel kvm "$T/one.conf" 2>&1); rc=$?
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
said_kvm() { like "$out" "^vacmlab: accel kvm: asked for \(--accel\)" "forced kvm: up says kvm, asked for"; }
if [ "$rc" = 0 ]; then
	diag "KVM runs the stand-in on this machine: forced kvm ready in $took s"
	plan 9
	said_kvm
	is "$("$VACMLAB" status --json kvm-one | jq -r '.accel + " " + .nodes[0].accel')" "kvm kvm" \
		"forced kvm: the lab and its node run under KVM"
	like "$(grep -o ' -accel [a-z]*' "$VACMLAB_STATE_DIR/kvm-one/logs/supervisor.log")" "-accel kvm" \
		"... QEMU got -accel kvm"
	"$VACMLAB" down kvm-one >/dev/null 2>&1
	out=$(lab_up "$T/two.conf" 2>&1); rc=$?
	is "$rc" 0 "auto: the two-node lab is ready"
	like "$out" "^vacmlab: accel kvm: /dev/kvm usable" "auto takes KVM"
	unlike "$out" "internal error" "... and no node fell back"
	is "$("$VACMLAB" status --json kvm-two | jq -r '[.nodes[].accel] | join(" ")')" "kvm kvm" \
		"... both nodes under KVM"
	"$VACMLAB" down kvm-two >/dev/null 2>&1
	ok_cmd "nothing was remembered as broken" test ! -e "$BROKEN"
	ok $(no_leftovers; echo $?) "no process of the test's labs is left"
	done_testing
	exit
fi
diag "KVM stops the stand-in on this machine: forced kvm failed after $took s (exit $rc)"
plan 19
said_kvm
is "$rc" 3 "forced kvm: the node fails, exit 3 (a child failed)"
ok $(awk -v t="$took" 'BEGIN {exit !(t < 30)}'; echo $?) "... within 30 s ($took s), not after the 120 s readiness timeout"
like "$out" "error: node k1: the VM stopped with an internal error \(query-status: internal-error" \
	"... naming the KVM error"
like "$out" "emulation failure|Suberror|KVM internal error" "... with QEMU's own words (its stderr)"
ok_cmd "... and a forced kvm remembers nothing" test ! -e "$BROKEN"

# ---- auto: the fallback -----------------------------------------------------
t0=$EPOCHREALTIME
out=$(lab_up "$T/two.conf" 2>&1); rc=$?
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
diag "auto, two nodes one at a time, through the fallback: ready in $took s"
is "$rc" 0 "auto: the lab reaches ready through the fallback"
like "$out" "^vacmlab: accel kvm: /dev/kvm usable" "... having tried KVM, and said so"
like "$out" "warning: node k1: KVM stopped the VM with an internal error; booting it again under TCG \(accel = auto\)" \
	"... k1's fallback is said in one warning"
is "$(grep -c 'KVM stopped the VM' <<<"$out")" 1 "... once: k2, still queued, boots under TCG at once"
st=$("$VACMLAB" status --json kvm-two)
is "$(jq -r '[.nodes[] | .name + "=" + .accel] | join(" ")' <<<"$st")" "k1=tcg k2=tcg" \
	"status: both nodes run under TCG"
is "$(jq -r .accel <<<"$st")" tcg "status: the lab says tcg"
is "$(grep -o ' -accel [a-z]*' "$VACMLAB_STATE_DIR/kvm-two/logs/supervisor.log" | tr -d '\n')" \
	" -accel kvm -accel tcg -accel tcg" "QEMU ran k1 under kvm, then k1 and k2 under tcg"
"$VACMLAB" down kvm-two >/dev/null 2>&1
like "$(cat "$BROKEN" 2>/dev/null)" "^$KEY	" "the fact is remembered for this kernel and CPU (kvm-broken)"

# ---- auto again: straight to TCG ----------------------------------------------
t0=$EPOCHREALTIME
out=$(lab_up "$T/one.conf" 2>&1); rc=$?
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
diag "auto, remembered: ready under TCG in $took s"
is "$rc" 0 "auto again: ready"
like "$out" "^vacmlab: accel tcg: KVM failed to run a guest on this machine before \(remembered in $BROKEN; rm it to retry\)" \
	"... straight to TCG, saying where it is remembered and how to forget"
unlike "$out" "KVM stopped the VM" "... without trying KVM again"
"$VACMLAB" down kvm-one >/dev/null 2>&1

# ---- forgotten ----------------------------------------------------------------
rm -f "$BROKEN"
sed 's/^ready = .*/ready = none/' "$T/one.conf" > "$T/none.conf"
out=$(lab_up "$T/none.conf" 2>&1)
like "$out" "^vacmlab: accel kvm: /dev/kvm usable" "rm kvm-broken: auto tries KVM again"
"$VACMLAB" down kvm-one >/dev/null 2>&1
ok $(no_leftovers; echo $?) "no process of the test's labs is left"
done_testing
