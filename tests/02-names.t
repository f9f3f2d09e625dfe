#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One rule for each thing a user names, refused before anything starts:
# the lab-name rule (topology, up --name, run --name, reset, rm, snapshot),
# the regex guard (wait --console, send --expect), and check's list of
# every error of a file. Needs no guest: nothing here may start one.
. "$(dirname "$0")/lib.sh"
lab_env
cd "$SRCDIR"
RUN=$VACMLAB_RUNTIME_DIR STATE=$VACMLAB_STATE_DIR

out=$("$VACMLAB" up --no-boot --name foo- topo/two-node.conf 2>&1); rc=$?
is "$rc" 1 "up --name foo- exits 1"
like "$out" "bad lab name 'foo-': must not end with '-'" "up --name foo- says why ($out)"
ok "$([ ! -e "$RUN/foo-" ] && [ ! -e "$STATE/foo-" ]; echo $?)" "up --name foo- made no runtime or state dir"
is "$(ls -A "$RUN" 2>/dev/null | wc -l)" 0 "nothing at all in the runtime dir"

out=$("$VACMLAB" run --name foo- topo/two-node.conf -- true 2>&1); rc=$?
is "$rc" 125 "run --name foo- exits 125 (the lab could not come up)"
like "$out" "bad lab name 'foo-'" "run --name foo- says why"
ok "$([ ! -e "$RUN/foo-" ]; echo $?)" "run --name foo- made no runtime dir"
for v in "reset foo-" "rm --yes foo-" "snapshot foo- vacm1 list"; do
	out=$("$VACMLAB" $v 2>&1); rc=$?
	is "$rc" 1 "$v exits 1"
	like "$out" "bad lab name 'foo-': must not end with '-'" "$v names the rule"
done
# The rule is not a blanket refusal: a good name gets past it.
out=$("$VACMLAB" reset no-such-lab 2>&1)
ok "$(! grep -q 'bad lab name' <<<"$out"; echo $?)" "reset accepts a good name ($out)"

# Regexes that glibc's regcomp would take seconds and gigabytes to compile
# are refused at once, before the (missing) lab is even looked up. Under a
# 256 MB address-space limit a regcomp() that ran anyway would fail with
# "Memory exhausted", not "too complex"; the time bound is loose, since the
# machine is shared (glibc takes 2 s for the first pattern).
for re in '((a{1,100}){1,100}){1,100}' 'a??' "y$(printf '+%.0s' $(seq 45))"; do
	start=$(date +%s%N)
	out=$(ulimit -v 262144; "$VACMLAB" wait no-such-lab vacm1 --console "$re" 2>&1); rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	is "$rc" 1 "wait --console '$re' exits 1"
	like "$out" "is too complex" "wait --console '$re' says why ($out)"
	ok "$([ "$ms" -lt 5000 ]; echo $?)" "wait --console '$re' refused in ${ms} ms"
done
out=$("$VACMLAB" send no-such-lab vacm1 --expect '((a{1,100}){1,100}){1,100}' hello 2>&1); rc=$?
is "$rc" 1 "send --expect with a costly regex exits 1"
like "$out" "regex '\(\(a\{1,100\}\)\{1,100\}\)\{1,100\}' is too complex" "send --expect says why"
out=$("$VACMLAB" wait no-such-lab vacm1 --console 'login((' 2>&1); rc=$?
is "$rc" 1 "wait --console with a broken regex exits 1"
like "$out" "bad regex 'login\(\(': Unmatched" "with regcomp's own words"
out=$("$VACMLAB" wait no-such-lab vacm1 --console 'login:' 2>&1); rc=$?
is "$rc" 5 "a good regex gets past the guard to the lab lookup (exit 5: no such lab)"

# check: every error of a file, one FILE:LINE: message line each.
out=$("$VACMLAB" check tests/topo/invalid/three-errors.conf 2>&1); rc=$?
is "$rc" 1 "check on a file with three errors exits 1"
is "$(wc -l <<<"$out")" 3 "three errors, three lines"
is "$out" "$(cat tests/topo/invalid/three-errors.err)" "each as FILE:LINE: message"
out=$("$VACMLAB" check tests/topo/invalid/key-typo-transposed.conf 2>&1)
like "$out" "unknown key 'dhpc' in \[lan lan\]; did you mean 'dhcp'\?" "a misspelt key gets a suggestion"
out=$("$VACMLAB" check tests/topo/invalid/section-typo.conf 2>&1)
like "$out" "did you mean \[node vacm1\]\?" "a misspelt section type gets a suggestion"
{ for i in $(seq 1 30); do echo "[lan l$i]"; echo "subnet = 10.0.$i.0/33"; done; } > "$TMPDIR_TEST/many.conf"
out=$("$VACMLAB" check "$TMPDIR_TEST/many.conf" 2>&1); rc=$?
is "$rc" 1 "check on a file with 30 errors exits 1"
is "$(grep -c 'bad subnet' <<<"$out")" 20 "at most 20 errors are printed"
like "$out" "many.conf: 10 more errors not shown \(at most 20 are\)" "and the rest are counted"

done_testing
