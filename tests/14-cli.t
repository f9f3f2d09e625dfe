#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 14-cli.t - one command-line convention: options after the positional
# arguments take effect in every verb (GNU order), `--` ends them, and
# every time value goes through one parser (90, 1.5, 90s, 500ms, 2m, 1h;
# anything else refused naming the option). One small lab, brought up
# once without guests (--no-boot), serves the cases that need a running
# lab; no guest boots here.
. "$(dirname "$0")/lib.sh"
need_cmd jq
lab_env
cd "$SRCDIR"
T=$TMPDIR_TEST

# Without a lab.
out=$("$VACMLAB" check topo/two-node.conf --json 2>&1)
is "$(jq -r .name <<<"$out" 2>&1)" two-node "check FILE --json prints JSON"
out=$("$VACMLAB" check topo/two-node.conf --qemu 2>&1)
like "$out" "# node vacm1" "check FILE --qemu prints the QEMU commands"
[ -f images/image.bin ] && {
	out=$("$VACMLAB" image info images/image.bin --json 2>&1)
	ok "$(jq -e . <<<"$out" >/dev/null 2>&1; echo $?)" "image info IMAGE --json prints JSON"
}
out=$("$VACMLAB" graph topo/two-node.conf --format mermaid 2>&1)
like "$out" "^(flowchart|graph)" "graph TOPO --format mermaid"
for bad in junk -1 2x "" 1e3 99999999999999999999; do
	out=$("$VACMLAB" down no-such-lab --timeout "$bad" 2>&1); rc=$?
	ok "$([ "$rc" = 1 ] && grep -q -- "--timeout '$bad' is" <<<"$out"; echo $?)" \
		"down LAB --timeout '$bad' is refused naming the option (exit $rc: $out)"
done
for v in "wait no-such-lab vacm1 --console x --timeout" "send no-such-lab vacm1 hi --timeout" \
	"node stop no-such-lab vacm1 --timeout" "restore no-such-lab --timeout" \
	"snapshot no-such-lab vacm1 list --timeout" "console no-such-lab vacm1 --linger" \
	"capture no-such-lab lan -w - --duration" "run topo/two-node.conf --timeout" \
	"apply topo/two-node.conf --timeout" "config export no-such-lab vacm1 -o - --timeout"; do
	read -ra w <<<"$v"
	out=$("$VACMLAB" "${w[@]}" 5x -- true 2>&1 </dev/null)
	like "$out" "${w[-1]} '5x' is not a duration" "${w[0]} ... ${w[-1]} 5x is refused"
done
# A good duration gets past the parser to the lab lookup (exit 5).
for d in 90 1.5 90s 500ms 2m 1h; do
	"$VACMLAB" down no-such-lab --timeout "$d" >/dev/null 2>&1
	is "$?" 5 "down LAB --timeout $d parses (then: no such lab, exit 5)"
done
out=$("$VACMLAB" down no-such-lab --timeout 2h 2>&1)
like "$out" "at most 3600 s" "down --timeout over its bound says the bound"

# One lab, no guest.
out=$(lab_up --no-boot topo/two-node.conf 2>&1); rc=$?
is "$rc" 0 "up --no-boot two-node ($out)"
out=$("$VACMLAB" status two-node --json 2>&1)
is "$(jq -r .lab <<<"$out" 2>&1)" two-node "status LAB --json gives JSON"
out=$("$VACMLAB" ls --json 2>&1)
ok "$(jq -e . <<<"$out" >/dev/null 2>&1; echo $?)" "ls --json gives JSON"
out=$("$VACMLAB" inventory two-node --format json 2>&1)
ok "$(jq -e . <<<"$out" >/dev/null 2>&1; echo $?)" "inventory LAB --format json gives JSON ($out)"
out=$("$VACMLAB" graph two-node --format mermaid 2>&1)
like "$out" "^(flowchart|graph)" "graph LAB --format mermaid"
out=$("$VACMLAB" forward two-node --list --json 2>&1)
ok "$(jq -e . <<<"$out" >/dev/null 2>&1; echo $?)" "forward LAB --list --json gives JSON ($out)"
out=$("$VACMLAB" exec two-node -- sh -c 'echo "$0 $1"' -x --json 2>&1)
is "$out" "-x --json" "exec LAB -- CMD: the words after -- are the command's, never options"
out=$("$VACMLAB" exec two-node sh -c 'echo "$1"' -- --host 2>&1)
is "$out" "--host" "exec LAB CMD ...: the command's words are its own"


out=$("$VACMLAB" down two-node --timeout 2m 2>&1); rc=$?
is "$rc" 0 "down LAB --timeout 2m ($out)"
ok "$([ ! -e "$VACMLAB_RUNTIME_DIR/two-node" ]; echo $?)" "the runtime dir is gone"
ok "$(no_leftovers; echo $?)" "nothing left"

done_testing
