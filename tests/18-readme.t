#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/18-readme.t - the README's "first minute" (issue 16, point 4), on
# real guests: every `$ ` line between <!-- walkthrough --> and
# <!-- /walkthrough --> in README.md runs verbatim, in order, in one bash
# from the top of the tree (so `export PATH=...` and `kill %1` mean what
# they say), each step's status and key output checked: up two-node, log
# in on the console, ping vacm2 by name, down; a server on the host's
# loopback fetched from a guest as host.uplink through pasta; down, and
# nothing left. The labs keep the README's names (two-node, uplink): the
# test's private runtime and state dirs (lab_env) keep them apart from
# anyone else's labs of those names, and the checks for leftovers go by
# those dirs only, never by lab name.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd python3 ping ss
command -v pasta >/dev/null || skip_all "pasta not installed (Debian package passt)"
command -v nft >/dev/null || skip_all "nft not installed (Debian package nftables)"
lab_env
plan 24
cd "$SRCDIR"
T=$TMPDIR_TEST
RUN=$VACMLAB_RUNTIME_DIR

# The steps, as README.md has them.
sed -n '/^<!-- walkthrough -->$/,/^<!-- \/walkthrough -->$/p' README.md | sed -n 's/^\$ //p' >"$T/steps"
n=$(wc -l <"$T/steps")
step() { grep -nF -- "$1" "$T/steps" | head -1 | cut -d: -f1; }
S_PATH=$(step 'export PATH=$PWD/build:$PATH')
S_UP=$(step 'vacmlab up topo/two-node.conf')
S_LOGIN=$(step "vacmlab send two-node vacm1 --expect '# \$' 'root\\n'")
S_PING=$(step 'vacmlab exec two-node -- ping -c1 vacm2')
S_DOWN=$(step 'vacmlab down two-node')
S_HTTP=$(step 'python3 -m http.server -b 127.0.0.1 8000 -d docs &')
S_UP2=$(step 'vacmlab up topo/uplink.conf')
S_LOGIN2=$(step "vacmlab send uplink vacm1 --expect '# \$' 'root\\n'")
S_FETCH=$(step 'http://host.uplink:8000/ways-out.md')
S_DOWN2=$(step 'vacmlab down uplink')
S_KILL=$(step 'kill %1')
all="$S_PATH $S_UP $S_LOGIN $S_PING $S_DOWN $S_HTTP $S_UP2 $S_LOGIN2 $S_FETCH $S_DOWN2 $S_KILL"
is "$n:$(wc -w <<<"$all")" "11:11" "README's walkthrough has its 11 steps: up, console login, exec ping, down, host by name, down"
is "$all" "$(seq -s' ' 1 11)" "in that order"
{ echo "the steps:"; cat "$T/steps"; } | sed 's/^/# /'

# 127.0.0.1:8000 is the README's port; say so if something else holds it.
if ss -ltnH 'sport = :8000' | grep -q .; then
	diag "127.0.0.1:8000 is taken on this machine: $(ss -ltnpH 'sport = :8000')"
fi

# One bash runs them all, each with its output and status kept.
{
	echo 'set +e'
	i=0
	while IFS= read -r line; do
		i=$((i + 1))
		printf '{ %s\n} >"%s/out.%d" 2>&1 </dev/null\necho $? >"%s/rc.%d"\n' "$line" "$T" $i "$T" $i
		# the pid of a step's background job, for the checks and the cleanup
		printf '[ -n "$!" ] && echo $! >"%s/bg"\n' "$T"
	done <"$T/steps"
	echo "command -v vacmlab >\"$T/which\""
} >"$T/walk.sh"
bg_alive() { [ -s "$T/bg" ] && { tr '\0' ' ' <"/proc/$(cat "$T/bg")/cmdline"; } 2>/dev/null | grep -q 'http.server -b 127.0.0.1 8000'; }
trap 'bg_alive && kill "$(cat "$T/bg")"; for l in two-node uplink; do "$VACMLAB" down --timeout 5 $l >/dev/null 2>&1; done; _t_cleanup' EXIT
timeout 900 bash "$T/walk.sh"
rc() { cat "$T/rc.$1" 2>/dev/null || echo none; }
# a step that failed shows its output
for f in "$T"/rc.*; do
	[ "$(cat "$f")" = 0 ] || { echo "step ${f##*.} exited $(cat "$f"):"; tr -d '\r' <"$T/out.${f##*.}"; } | sed 's/^/# /'
done
out() { tr -d '\r' <"$T/out.$1" 2>/dev/null; }

is "$(rc $S_PATH):$(cat "$T/which")" "0:$SRCDIR/build/vacmlab" "export PATH=...: vacmlab is the one make built"
is "$(rc $S_UP)" 0 "vacmlab up topo/two-node.conf"
like "$(out $S_UP)" "^lab two-node is up \($RUN/two-node\)" "  it says the lab is up, in the test's own runtime dir"
like "$(out $S_UP)" "^vacm1 +ready .*192\.168\.0\.11" "  the table shows vacm1 ready at 192.168.0.11"
like "$(out $S_UP)" "^  vacm2 +ready in [0-9.]+ s" "  and vacm2 ready in N s"
[ "$(rc $S_UP)" = 0 ] || lab_logs two-node
is "$(rc $S_LOGIN)" 0 "send two-node vacm1 ... 'root\\n' (console login)"
like "$(out $S_LOGIN)" "root login on 'ttyS0'" "  the guest logged root in on ttyS0"
like "$(out $S_LOGIN)" '^vacm1:/root# ?$' "  and its shell prompt came back"
is "$(rc $S_PING)" 0 "vacmlab exec two-node -- ping -c1 vacm2"
like "$(out $S_PING)" "1 packets transmitted, 1 received" "  vacm2 answered, by name"
is "$(rc $S_DOWN):$(out $S_DOWN)" "0:vacmlab: lab two-node is down" "vacmlab down two-node"
ok "$(test ! -e "$RUN/two-node"; echo $?)" "  its runtime dir is gone"

is "$(rc $S_HTTP)" 0 "python3 -m http.server -b 127.0.0.1 8000 -d docs &"
is "$(rc $S_UP2)" 0 "vacmlab up topo/uplink.conf"
like "$(out $S_UP2)" "the host's loopback is host\.uplink \([0-9.]+\)" "  it names the host's loopback host.uplink"
[ "$(rc $S_UP2)" = 0 ] || lab_logs uplink
is "$(rc $S_LOGIN2)" 0 "send uplink vacm1 ... 'root\\n' (console login)"
is "$(rc $S_FETCH)" 0 "send uplink vacm1 ... 'wget -qO- http://host.uplink:8000/ways-out.md | head -n1\\n'"
like "$(out $S_FETCH)" "^$(head -n1 docs/ways-out.md)\$" "  the guest printed the first line of docs/ways-out.md, served from the host's 127.0.0.1"
like "$(out $S_HTTP)" '"GET /ways-out.md HTTP/1\.[01]" 200' "  the host's server logged the guest's GET"
is "$(rc $S_DOWN2):$(out $S_DOWN2)" "0:vacmlab: lab uplink is down" "vacmlab down uplink"
ok "$([ "$(rc $S_KILL)" = 0 ] && wait_for 10 sh -c "! kill -0 $(cat "$T/bg" 2>/dev/null || echo 0)"; echo $?)" \
	"kill %1 ends the server (pid $(cat "$T/bg" 2>/dev/null))"

# pasta's command line names the state dir (its log), not the runtime dir
ok "$(no_leftovers && ! pgrep -f "$VACMLAB_STATE_DIR/" >/dev/null && test -z "$(ls -A "$RUN" 2>/dev/null)" &&
	! ss -ltnH 'sport = :8000' | grep -q .; echo $?)" \
	"nothing is left: no QEMU, dnsmasq or pasta, no runtime dir, nothing on 127.0.0.1:8000"
