#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A node's lifecycle on a running lab (vacmlab node stop|start|restart|
# reset|kill, vacmlab host restart), with a real guest: stop is a graceful
# power-off that keeps what the guest wrote to /etc/config, start boots it
# again and returns when it is ready, reset and kill show in status, and
# the rest of the lab keeps running throughout.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd qemu-system-x86_64 dnsmasq jq
lab_env
T=$TMPDIR_TEST
GSH="python3 $SRCDIR/tests/guest-sh.py"

cat > "$T/node.conf" <<EOF
[lab]
name = nodet
[lan lan]
subnet = 10.58.0.0/24
[node n1]
image = $IMAGE
nic = lan 10.58.0.11
ready = console "login:"
[node n2]
image = $IMAGE
nic = lan 10.58.0.12
ready = console "login:"
[host svc]
nic = lan 10.58.0.50
command = sleep 1000
EOF
st() { "$VACMLAB" status --json nodet | jq -r "$1"; }

lab_up "$T/node.conf" > "$T/up.out" 2>&1
ok $? "the lab is up" || { cat "$T/up.out" | sed 's/^/# /'; lab_logs nodet; }
SOCK=$VACMLAB_RUNTIME_DIR/nodet/n1/ttyS0.sock
$GSH "$SOCK" 90 'echo kept-across-stop > /etc/config/lifecycle; sync' >/dev/null
ok $? "wrote a file to /etc/config over the console"
up2=$(st '.nodes[1].uptime_s')

out=$("$VACMLAB" node stop nodet n1 2>&1); rc=$?
is "$rc" 0 "node stop: graceful power-off"
is "$(st '.nodes[0].state')" stopped "status: n1 is stopped"
is "$(st '.nodes[0].pid')" null "and has no QEMU"
is "$(st '.nodes[1].state')" ready "n2 keeps running"

out=$("$VACMLAB" node stop nodet n1 2>&1); rc=$?
is "$rc" 5 "stopping a stopped node is a state error (exit 5)"
like "$out" "not running" "saying so"

out=$("$VACMLAB" node start nodet n1 2>&1); rc=$?
is "$rc" 0 "node start returns once n1 is ready again"
is "$(st '.nodes[0].state')" ready "status: ready"
like "$($GSH "$SOCK" 90 'cat /etc/config/lifecycle')" "kept-across-stop" \
	"what n1 wrote to /etc/config before stop is there after start"

# reset: the reset button; the node boots again (booting, then ready)
"$VACMLAB" node reset nodet n1 >/dev/null 2>&1
is "$?" 0 "node reset"
like "$(st '.nodes[0].state')" "^(booting|ready)$" "status shows the reboot (booting, then ready)"
ok $(wait_for 120 sh -c "[ \"\$($VACMLAB status --json nodet | jq -r '.nodes[0].state')\" = ready ]"; echo $?) \
	"n1 is ready again after the reset"

# restart = stop + start, answered when ready
out=$("$VACMLAB" node restart nodet n1 2>&1); rc=$?
is "$rc" 0 "node restart"
is "$(st '.nodes[0].state')" ready "ready after restart"

# kill: SIGKILL, seen in status
pid=$(st '.nodes[0].pid')
"$VACMLAB" node kill nodet n1 >/dev/null 2>&1
is "$?" 0 "node kill"
is "$(st '.nodes[0].state')" exited "status: exited"
is "$(st '.nodes[0].exit_signal')" 9 "killed by signal 9"
ok $([ ! -e "/proc/$pid" ]; echo $?) "QEMU ($pid) is gone"
ok $(awk -v a="$up2" -v b="$(st '.nodes[1].uptime_s')" 'BEGIN { exit !(b > a) }'; echo $?) \
	"n2 was never restarted (its uptime only grew)"

# host restart: a new command process
hp=$(st '.hosts[0].pid')
"$VACMLAB" host restart nodet svc >/dev/null 2>&1
is "$?" 0 "host restart"
hp2=$(st '.hosts[0].pid')
ok $([ "$hp2" != null ] && [ "$hp2" != "$hp" ]; echo $?) "the host's command runs again under a new pid ($hp -> $hp2)"
is "$(st '.hosts[0].state')" running "and the host is running"

out=$("$VACMLAB" node frob nodet n1 2>&1); rc=$?
is "$rc" 1 "an unknown operation is a usage error"
out=$("$VACMLAB" node stop nodet nope 2>&1); rc=$?
is "$rc" 1 "an unknown node is refused"

"$VACMLAB" down nodet >/dev/null 2>&1
ok $(no_leftovers; echo $?) "no process of the lab is left"
done_testing
