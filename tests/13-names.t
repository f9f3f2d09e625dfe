#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 13-names.t - one lab-name rule for every verb that takes LAB, and nothing
# removed that is not a lab's runtime dir. Every verb x a table of hostile
# names: exit 1 (run: 125) with the rule's words, and not one file changed
# around the runtime and state dirs (canaries beside and inside them).
# Then down's stale-lab clean-up meets a planted symlink, a directory
# without the marker and one owned by someone else: each is kept. Needs no
# guest: nothing here may start one.
. "$(dirname "$0")/lib.sh"
lab_env
cd "$SRCDIR"
T=$TMPDIR_TEST RUN=$VACMLAB_RUNTIME_DIR STATE=$VACMLAB_STATE_DIR

# Canaries: beside the base dirs (what `..` and `../x` name), inside them
# (what `.` names), under a/b, and a lab of someone's that is not up.
mkdir -p "$RUN/a/b" "$STATE/a/b" "$T/x" "$RUN/other" "$STATE/other/logs"
for d in "$T" "$T/x" "$RUN" "$STATE" "$RUN/a/b" "$STATE/a/b" "$STATE/other"; do
	echo canary > "$d/canary"
done
echo other > "$RUN/other/vacmlab-lab"
snap() { find "$T" -path "$T/out" -prune -o -printf '%p %y %m %s\n' | sort; }
mkdir -p "$T/out"
before=$(snap)

long=$(printf 'a%.0s' $(seq 300))
names=(".." "." "" "../x" "a/b" "-x" "$long" $'l\xff\xfe' $'a\nb' "../state")
# LAB is @; `--` before it, so that even -x is read as the name.
verbs=(
	"down -- @"
	"down --timeout 1 -- @"
	"status -- @"
	"exec -- @ -- true"
	"console -- @ vacm1"
	"logs -- @ vacm1"
	"wait --console login -- @ vacm1"
	"send -- @ vacm1 hello"
	"forward -- @ vacm1 18080 80"
	"forward --list -- @"
	"reset -- @"
	"rm --yes -- @"
	"snapshot -- @ vacm1 list"
	"restore -- @"
	"link -- down @ vacm1"
	"config -o $T/out/o.tar -- export @ vacm1"
	"config -- import @ vacm1 $T/x"
	"upgrade --image images/image.bin -- @ vacm1"
	"impair -- @ vacm1 delay 10ms"
	"capture -w $T/out/c.pcap -- @ lan"
	"attach -- @ lan --bridge br0"
	"node -- stop @ vacm1"
	"qmp @ vacm1 query-status"
	"host restart @ h1"
	"inventory -- @"
	"up --no-boot --name @ topo/two-node.conf"
	"apply --name @ topo/two-node.conf"
	"run --name @ topo/two-node.conf -- true"
)
bad=
for v in "${verbs[@]}"; do
	for n in "${names[@]}"; do
		read -ra w <<<"$v"
		args=()
		for a in "${w[@]}"; do [ "$a" = @ ] && args+=("$n") || args+=("$a"); done
		out=$("$VACMLAB" "${args[@]}" 2>&1 </dev/null); rc=$?
		want=1; [ "${w[0]}" = run ] && want=125
		if [ "$rc" != "$want" ] || ! grep -q "bad lab name '.*': .*(a lab name is 1 to 32 of a-z, 0-9 and '-'" <<<"$out"; then
			bad="$bad
# $v [$(printf %q "$n")]: exit $rc: $(head -c 300 <<<"$out")"
		fi
	done
done
is "$bad" "" "every verb refuses every hostile name with the rule, exit 1 (run: 125)"
is "$(snap)" "$before" "not one file changed around the runtime and state dirs"
is "$(cat "$T/canary" "$RUN/canary" "$STATE/canary" "$T/x/canary" 2>&1 | sort -u)" canary \
	"the canaries are intact"
out=$("$VACMLAB" down -- $'a\nb' 2>&1)
is "$(wc -l <<<"$out")" 1 "a newline in a name is not printed raw: one line ($out)"
out=$("$VACMLAB" down -- "$long" 2>&1)
ok "$([ ${#out} -lt 400 ]; echo $?)" "a 300-character name is quoted short (${#out} bytes)"

# down's stale-lab clean-up removes only a lab's runtime dir.
ln -s "$T/x" "$RUN/evil"
mkdir "$RUN/plain"; : > "$RUN/plain/lock"; echo keep > "$RUN/plain/data"
mkdir "$RUN/theirs"; echo theirs > "$RUN/theirs/vacmlab-lab"; echo keep > "$RUN/theirs/data"
chown -R 65534:65534 "$RUN/theirs"
mkdir "$RUN/wrong"; echo other > "$RUN/wrong/vacmlab-lab"; echo keep > "$RUN/wrong/data"
out=$("$VACMLAB" down evil 2>&1); rc=$?
ok "$([ "$rc" -ne 0 ] && [ -L "$RUN/evil" ] && [ -f "$T/x/canary" ]; echo $?)" \
	"a planted symlink is not followed nor removed (exit $rc: $out)"
out=$("$VACMLAB" down plain 2>&1); rc=$?
ok "$([ "$rc" -ne 0 ] && [ -f "$RUN/plain/data" ]; echo $?)" \
	"a dir without the marker is kept (exit $rc: $out)"
like "$out" "no vacmlab marker" "and down says why"
out=$("$VACMLAB" down theirs 2>&1); rc=$?
ok "$([ "$rc" -ne 0 ] && [ -f "$RUN/theirs/data" ]; echo $?)" \
	"a dir owned by someone else is kept (exit $rc: $out)"
like "$out" "belongs to uid 65534" "and down says whose it is"
out=$("$VACMLAB" down wrong 2>&1); rc=$?
ok "$([ "$rc" -ne 0 ] && [ -f "$RUN/wrong/data" ]; echo $?)" \
	"a dir whose marker names another lab is kept (exit $rc)"
# The control: a stale dir that is a lab's (its marker) is removed.
mkdir -p "$RUN/stale/vacm1"; echo stale > "$RUN/stale/vacmlab-lab"; : > "$RUN/stale/lock"
ln -s "$T/x" "$RUN/stale/vacm1/link"
out=$("$VACMLAB" down stale 2>&1); rc=$?
is "$rc" 0 "a stale lab's runtime dir (with its marker) is removed ($out)"
ok "$([ ! -e "$RUN/stale" ] && [ -f "$T/x/canary" ]; echo $?)" \
	"gone, and the symlink inside it was not followed"
rm -rf "$RUN/theirs"

done_testing
