#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vacmlab doctor against this machine's real state, as root and as an
# unprivileged user (uid 65534 via setpriv). Every expectation is worked out
# here independently of vacmlab (a tap opened by the user, tc in a throwaway
# `unshare -rn`, /dev/kvm's presence, the programs' own --version), so the
# test holds on a machine where tun is 0666 or netem exists, and fails if
# doctor reports something other than what the machine really does.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd jq setpriv unshare tc
lab_env
chown 65534:65534 "$TMPDIR_TEST"
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin \
		HOME="$TMPDIR_TEST" VACMLAB_RUNTIME_DIR="$TMPDIR_TEST/run" \
		VACMLAB_STATE_DIR="$TMPDIR_TEST/state" "$@"
}
plan 20

j=$("$VACMLAB" doctor --json); rc=$?
ok "$(jq -e . <<<"$j" >/dev/null; echo $?)" "root: doctor --json parses with jq"
st() { jq -r --arg c "$2" '.checks[] | select(.check == $c) | .status' <<<"$1"; }
de() { jq -r --arg c "$2" '.checks[] | select(.check == $c) | .detail' <<<"$1"; }
is "$(jq -r '[.checks[].check] | join(",")' <<<"$j")" \
	"user namespaces,/dev/net/tun,kvm,qemu-system-x86_64,qemu-img,dnsmasq,pasta,landlock,netem,tbf,memory,cpus,runtime dir,state dir" \
	"every check is there, in order"
is "$rc/$(jq -r .ok <<<"$j")" "$([ "$(jq '[.checks[] | select(.status == "fail")] | length' <<<"$j")" = 0 ] && echo 0/true || echo 2/false)" \
	"exit status 0 iff no check failed, 2 otherwise; .ok agrees"

# user namespaces: what unshare(1) says
want=$(unshare -Urn true 2>/dev/null && echo ok || echo fail)
is "$(st "$j" "user namespaces")" "$want" "user namespaces: $want, as unshare -Urn says"
like "$(de "$j" "user namespaces")" "user.max_user_namespaces=$(sysctl -n user.max_user_namespaces)" \
	"user namespaces: the sysctl values are shown"

# /dev/net/tun: can the user open it read-write?
tun_ok() { "$@" sh -c 'exec 3<>/dev/net/tun' 2>/dev/null && echo ok || echo fail; }
is "$(st "$j" /dev/net/tun)" "$(tun_ok env)" "root: /dev/net/tun $(tun_ok env)"
jn=$(as_nobody "$VACMLAB" doctor --json); rcn=$?
want=$(tun_ok as_nobody)
is "$(st "$jn" /dev/net/tun)" "$want" "uid 65534: /dev/net/tun $want (mode $(stat -c %a /dev/net/tun))"
if [ "$want" = fail ]; then
	is "$rcn" 2 "uid 65534: the tun miss makes doctor exit 2 (a lab with nodes cannot come up)"
	like "$(de "$jn" /dev/net/tun)" "not accessible to uid 65534 \(Permission denied\).*mode 0?$(stat -c %a /dev/net/tun)" \
		"uid 65534: the tun miss names the errno, owner and mode"
	like "$(jq -r '.checks[] | select(.check == "/dev/net/tun") | .fix' <<<"$jn")" "chmod 0666 /dev/net/tun" \
		"uid 65534: and says how to fix it"
else
	is "$rcn" 0 "uid 65534: tun is open to all here: doctor exits 0"
	ok 0 "# SKIP tun is accessible to uid 65534 on this machine: no miss to describe"
	ok 0 "# SKIP tun is accessible to uid 65534 on this machine: no fix to give"
fi
text=$(as_nobody "$VACMLAB" doctor)
like "$text" "FAIL|WARN" "uid 65534: the text report marks misses"
ok "$(awk '/^  (FAIL|WARN) / { getline n; if (n !~ /fix: /) bad = 1 } END { exit bad }' <<<"$text"; echo $?)" \
	"every FAIL/WARN line of the text report is followed by its fix"
ok "$([ "$(wc -l <<<"$text")" -le 40 ]; echo $?)" "the text report fits one screen ($(wc -l <<<"$text") lines)"

# netem and tbf: what tc says in a throwaway user+net namespace
qd() { unshare -Urn sh -c "ip link add q0 type veth peer name q1 && tc qdisc add dev q0 root $1" >/dev/null 2>&1 &&
	echo ok || echo warn; }
want=$(qd "netem delay 1ms")
is "$(st "$j" netem)" "$want" "netem: $want, as tc in unshare -Urn says"
[ "$want" = warn ] && diag "doctor: $(de "$j" netem)"
want=$(qd "tbf rate 1mbit burst 10kb latency 50ms")
is "$(st "$j" tbf)" "$want" "tbf: $want, as tc in unshare -Urn says"

# KVM: /dev/kvm absent -> not usable, saying so; present -> doctor ran a guest
if [ ! -e /dev/kvm ]; then
	is "$(st "$j" kvm): $(de "$j" kvm)" "warn: KVM is not usable: opening /dev/kvm: No such file or directory" \
		"kvm: reported not usable, because /dev/kvm does not exist here"
else
	like "$(st "$j" kvm): $(de "$j" kvm)" "^ok: a test guest ran|^warn: KVM is not usable: .+" \
		"kvm: a verdict from a real test guest (here: $(de "$j" kvm))"
fi

# programs with their versions
is "$(de "$j" qemu-system-x86_64)" "$(command -v qemu-system-x86_64): $(qemu-system-x86_64 --version | head -1)" \
	"qemu-system-x86_64 with its version"
is "$(de "$j" dnsmasq)" "$(PATH=$PATH:/usr/sbin command -v dnsmasq): $(PATH=$PATH:/usr/sbin dnsmasq --version | head -1)" \
	"dnsmasq with its version"

# resources and dirs
avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
got=$(de "$j" memory | grep -oE '^[0-9]+')
ok "$([ -n "$got" ] && [ $((got - avail)) -le 512 ] && [ $((avail - got)) -le 512 ]; echo $?)" \
	"memory: $got MiB available (MemAvailable says $avail)"
like "$(de "$jn" "state dir")" "^$TMPDIR_TEST/state (exists and is writable|can be created), on [a-z0-9]+; [0-9]+ MiB free" \
	"uid 65534: the state dir is checked for writability, file system and free space"
done_testing
