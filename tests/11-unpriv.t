#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The rootless path as a real unprivileged user (uid 65534 via setpriv):
# namespaces, bridges, veths, dnsmasq and exec need no privilege at all;
# a tap needs /dev/net/tun, and where this user cannot open it (0600 on
# these machines) vacmlab must say so clearly, before anything starts.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd setpriv ping
lab_env
chown 65534:65534 "$TMPDIR_TEST"
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin \
		HOME="$TMPDIR_TEST" VACMLAB_RUNTIME_DIR="$VACMLAB_RUNTIME_DIR" \
		VACMLAB_STATE_DIR="$VACMLAB_STATE_DIR" "$@"
}
cat > "$TMPDIR_TEST/np.conf" <<EOT
[lab]
name = np
[lan lan]
subnet = 192.168.61.0/24
address = 192.168.61.254
[lan lan2]
subnet = 192.168.66.0/24
[host svc]
nic = lan 192.168.61.20
command = sleep 617; echo not reached
[host abcdefghijkl]
nic = lan 192.168.61.21
nic = lan2 192.168.66.21
EOT
cp "$IMAGE" "$TMPDIR_TEST/img.bin" 2>/dev/null || : > "$TMPDIR_TEST/img.bin"
cat > "$TMPDIR_TEST/nt.conf" <<EOT
[lab]
name = nt
[lan lan]
subnet = 192.168.62.0/24
[node n1]
image = $TMPDIR_TEST/img.bin
nic = lan 192.168.62.11
EOT
chmod 644 "$TMPDIR_TEST"/*.conf "$TMPDIR_TEST/img.bin"
_t_labs+=(np nt)

out=$(as_nobody "$VACMLAB" up --no-boot "$TMPDIR_TEST/np.conf" 2>&1); rc=$?
is "$rc" 0 "uid 65534: up --no-boot of a lab with a LAN and a [host]"
[ "$rc" = 0 ] || diag "$out"
sup=$(cat "$VACMLAB_RUNTIME_DIR/np/supervisor.pid" 2>/dev/null)
is "$(stat -c %u "/proc/$sup" 2>/dev/null)" 65534 "the supervisor runs as uid 65534"
is "$(as_nobody "$VACMLAB" exec np -- id -u)" 0 "exec: the user is root inside the lab's user namespace"
like "$(as_nobody "$VACMLAB" exec np -- ip -br link show lan)" "^lan +UP" "the LAN bridge exists and is up"
ok_cmd "exec ping reaches the [host] by address over a veth" as_nobody "$VACMLAB" exec np -- ping -c1 -W5 192.168.61.20
ok_cmd "exec ping reaches the [host] by DNS name through dnsmasq" as_nobody "$VACMLAB" exec np -- ping -c1 -W5 svc.np
ok_cmd "exec --host runs inside the host's own namespace" as_nobody "$VACMLAB" exec np --host svc -- ping -c1 -W5 192.168.61.254
addrs=$(as_nobody "$VACMLAB" exec np --host abcdefghijkl -- ip -br addr | tr '\n' ' ')
like "$addrs" "eth0.* 192\.168\.61\.21/24.*eth1.* 192\.168\.66\.21/24" \
	"a host with a 12-character name gets both NICs as eth0 and eth1"
ok_cmd "its second NIC is reachable on the second LAN" as_nobody "$VACMLAB" exec np -- ping -c1 -W5 192.168.66.21
is "$(as_nobody "$VACMLAB" status --json np | jq -r '.lans[0].dnsmasq_pid | type')" number "status shows dnsmasq running"
out=$(as_nobody "$VACMLAB" down np 2>&1); is "$?" 0 "uid 65534: down"
ok "$(test -e "$VACMLAB_RUNTIME_DIR/np"; echo $((!$?)))" "its runtime dir is gone"
ok "$(no_leftovers; echo $?)" "no process of the lab is left"
# sh -c "a; b" forks a: a grandchild of the supervisor, out of PDEATHSIG's
# reach unless the host's PID namespace takes it down.
ok "$(wait_for 5 sh -c '! pgrep -f "^sleep 617$"'; echo $?)" "nothing the [host]'s command forked is left either"

if as_nobody sh -c 'exec 3<>/dev/net/tun' 2>/dev/null; then
	ok 0 "# SKIP /dev/net/tun is accessible to uid 65534 on this machine ($(stat -c %a /dev/net/tun))"
	ok 0 "# SKIP (same)"
	ok 0 "# SKIP (same)"
else
	mode=$(stat -c %a /dev/net/tun)
	out=$(as_nobody "$VACMLAB" up --no-boot "$TMPDIR_TEST/nt.conf" 2>&1); rc=$?
	is "$rc" 2 "a lab with a node: /dev/net/tun not accessible is an environment error (exit 2)"
	like "$out" "/dev/net/tun is not accessible to uid 65534 .*owned by root:root with mode 0$mode" "the message names the owner and mode"
	like "$out" "sudo chmod 0666 /dev/net/tun" "and gives the one-line fix"
fi
ok "$(test -e "$VACMLAB_RUNTIME_DIR/nt"; echo $((!$?)))" "nothing was started for the refused lab"

# A user's ready nodes yield the CPUs while the queue waits, and get them
# back without privilege: an autogroup's nice comes back to 0, a thread's
# could not (boot_yield). Three guests without NICs, so no tap is needed.
cat > "$TMPDIR_TEST/ny.conf" <<EOT
[lab]
name = ny
boot_parallel = 1
EOT
for i in 1 2 3; do
	printf '[node y%d]\nimage = %s\nready = console "login:"\n' "$i" "$TMPDIR_TEST/img.bin" >> "$TMPDIR_TEST/ny.conf"
done
chmod 644 "$TMPDIR_TEST/ny.conf"
_t_labs+=(ny)
ny_nice() { # NODE -> the nice of its QEMU's autogroup
	local pid
	pid=$(as_nobody "$VACMLAB" status --json ny 2>/dev/null |
		jq -r --arg n "$1" '.nodes[] | select(.name == $n) | .pid // empty')
	[ -n "$pid" ] && awk '{print $NF}' "/proc/$pid/autogroup" 2>/dev/null
}
ny_nice_is() { [ "$(ny_nice "$1")" = "$2" ]; }
ny_y2_boots() {
	[ "$(as_nobody "$VACMLAB" status --json ny 2>/dev/null |
		jq -r '.nodes[1].state + " " + .nodes[2].state')" = "booting queued" ]
}
if [ ! -s "$TMPDIR_TEST/img.bin" ] || [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" != 1 ]; then
	ok 0 "# SKIP no images/image.bin, or kernel.sched_autogroup_enabled is not 1"
	ok 0 "# SKIP (same)"
else
	as_nobody "$VACMLAB" up "$TMPDIR_TEST/ny.conf" > "$TMPDIR_TEST/ny.log" 2>&1 &
	up_pid=$!
	during=
	if wait_for 240 ny_y2_boots; then
		wait_for 3 ny_nice_is y1 19
		during="$(ny_nice y1) $(ny_nice y2)"
	fi
	wait "$up_pid"
	is "rc=$? $during" "rc=0 19 0" "uid 65534: ready y1 yields (autogroup nice 19) while y2 boots and y3 waits"
	is "$(ny_nice y1) $(ny_nice y2) $(ny_nice y3)" "0 0 0" "and all are back at nice 0, without privilege, once the lab is up"
	as_nobody "$VACMLAB" down ny > /dev/null 2>&1
fi

# Other environment errors, each with its own message and exit code 2.
out=$(env PATH=/nonexistent "$VACMLAB" up "$TMPDIR_TEST/nt.conf" 2>&1)
is "$?" 2 "qemu-system-x86_64 missing: exit 2"
like "$out" "qemu-system-x86_64 not found .*install the Debian package qemu-system-x86" "it names the program and the package"
out=$(unshare -m sh -c 'mount --bind /dev/null /usr/sbin/dnsmasq && PATH=/usr/bin:/bin exec "$0" up "$1"' \
	"$VACMLAB" "$TMPDIR_TEST/nt.conf" 2>&1)
is "$?" 2 "dnsmasq missing (hidden in a private mount namespace): exit 2"
like "$out" "dnsmasq not found .*install the Debian package dnsmasq-base" "it names the program and the package"
chmod 600 "$TMPDIR_TEST/img.bin"
out=$(as_nobody "$VACMLAB" up "$TMPDIR_TEST/nt.conf" 2>&1)
is "$?" 2 "an image this user cannot read is an environment error (exit 2), before anything starts"
like "$out" "nt.conf:6: image '.*img.bin' is not readable .*Permission denied" "with FILE:LINE and the reason"
ok "$(test -e "$VACMLAB_RUNTIME_DIR/nt"; echo $((!$?)))" "nothing was started"
done_testing
