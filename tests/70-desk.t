#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Desk sessions, part 1: a lab is never alive and unreachable. Its runtime
# dir removed (as logind does at the last logout without lingering), the
# lab shuts itself down gracefully, leaves no process and says why in its
# supervisor log. `up` warns when the runtime dir is in a logind-managed
# /run/user/UID and lingering is off.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd jq unshare
lab_env
RUN=$VACMLAB_RUNTIME_DIR
plan 11

cat > "$TMPDIR_TEST/desk.conf" <<EOT
[lab]
name = desk
[lan lan]
subnet = 192.168.71.0/24
[node n1]
image = $IMAGE
nic = lan 192.168.71.11
ready = console "login:"
EOT
out=$(lab_up "$TMPDIR_TEST/desk.conf" 2>&1); rc=$?
is "$rc" 0 "up a one-node lab"
[ "$rc" = 0 ] || lab_logs desk
st=$("$VACMLAB" status --json desk)
pids="$(jq -r .supervisor_pid <<<"$st") $(jq -r '.nodes[].pid' <<<"$st")"
pids="$pids $(pgrep -f -- "$RUN/desk/" | tr '\n' ' ')"
diag "processes of the lab: $pids"

alive() { for p in $pids; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
by_cmdline() { ps -eo args | grep -F -- "$RUN/desk" | grep -v grep; }
t0=$(date +%s.%N)
rm -rf "$RUN/desk"
for i in $(seq 1 300); do alive || break; sleep 0.1; done
t1=$(date +%s.%N)
secs=$(echo "$t1 - $t0" | bc)
ok "$(! alive; echo $?)" "runtime dir removed: every process of the lab ended (${secs} s)"
diag "time from rm -rf of the runtime dir to no process left: ${secs} s"
ok "$([ "$(echo "$secs < 30" | bc)" = 1 ]; echo $?)" "within 30 s"
ok "$([ -z "$(by_cmdline)" ]; echo $?)" "no process names the runtime dir in its command line"
ok "$(no_leftovers; echo $?)" "no process of any lab of this test is left"
log=$VACMLAB_STATE_DIR/desk/logs/supervisor.log
like "$(cat "$log")" "runtime dir $RUN/desk (was removed|lost its [a-z.]+): .*shutting it down gracefully" \
	"the supervisor's log says why"
like "$(cat "$log")" "D powerdown" "it went down through the graceful power-off"
like "$(tail -c 3000 "$VACMLAB_STATE_DIR/desk/logs/n1.ttyS0.log")" "(reboot: Power down|Power)" \
	"the guest powered off (its console shows the shutdown): disks flushed"
ok "$(test -e "$RUN/desk"; echo $((!$?)))" "the runtime dir was not made again"

# The linger warning: a private mount namespace plays a logind session
# (a tmpfs of its own at /run/user/UID) with no linger file, then with one.
cat > "$TMPDIR_TEST/nolan.conf" <<EOT
[lab]
name = lingerchk
[lan lan]
subnet = 192.168.72.0/24
EOT
uid=$(id -u) user=$(id -un)
out=$(unshare --mount --propagation private env -u VACMLAB_RUNTIME_DIR bash -c "
	mount -t tmpfs -o mode=0755 tmpfs /run/user && mkdir -m 0700 /run/user/$uid &&
	mount -t tmpfs -o mode=0700 tmpfs /run/user/$uid &&
	mount -t tmpfs tmpfs /var/lib/systemd || exit 99
	export XDG_RUNTIME_DIR=/run/user/$uid
	echo '--- no linger'
	'$VACMLAB' up --no-boot '$TMPDIR_TEST/nolan.conf' 2>&1; '$VACMLAB' down lingerchk >/dev/null 2>&1
	mkdir -p /var/lib/systemd/linger && touch /var/lib/systemd/linger/$user
	echo '--- linger'
	'$VACMLAB' up --no-boot '$TMPDIR_TEST/nolan.conf' 2>&1; '$VACMLAB' down lingerchk >/dev/null 2>&1
" 2>&1)
like "$(sed -n '/--- no linger/,/--- linger/p' <<<"$out")" \
	"warning: .*/run/user/$uid.*lingering is off.*loginctl enable-linger $user" \
	"up warns when the runtime dir is in a logind /run/user/UID and lingering is off"
ok "$(sed -n '/^--- linger/,$p' <<<"$out" | grep -q 'enable-linger'; echo $((!$?)))" \
	"and not once lingering is on"
[ -n "$(grep -c . <<<"$out")" ] || diag "$out"
done_testing
