#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 40-attach.t - the privileged helper vacmlab-attach, as root, entirely inside
# a network + mount namespace this test makes to play the host (with its own
# tmpfs /tmp): the real host's links, addresses and /tmp are never touched.
# Each attack must be refused with a clear message and change nothing.
set -u
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 0; fi
if [ "${1:-}" != --fake-host ]; then
	# Play the host in a fresh net + mount namespace; /proc stays the real one.
	exec unshare --net --mount --propagation private -- bash "$0" --fake-host
fi
# Safety first, before any change: we must be in namespaces other than our
# parent's, and the netns must be fresh (only lo). Never trust /proc/1: it
# may be unreadable, and then every comparison with it "differs".
me_net=$(readlink /proc/self/ns/net) me_mnt=$(readlink /proc/self/ns/mnt)
up_net=$(readlink /proc/$PPID/ns/net) up_mnt=$(readlink /proc/$PPID/ns/mnt)
if [ -z "$me_net" ] || [ -z "$up_net" ] || [ "$me_net" = "$up_net" ] || [ -z "$me_mnt" ] ||
	[ -z "$up_mnt" ] || [ "$me_mnt" = "$up_mnt" ] || [ "$(ip -o link | grep -vc ': lo:')" != 0 ]; then
	echo "1..0 # SKIP not in a fresh net+mount namespace of our own (net $me_net/$up_net mnt $me_mnt/$up_mnt)"
	exit 0
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The source tree may itself live under /tmp (CI clones there): keep a handle
# on it and bind it back into the fresh /tmp at the same path.
exec 9<"$ROOT"
mount -t tmpfs -o mode=1777 vacmlab-attach-t /tmp || { echo "Bail out! mount tmpfs /tmp"; exit 1; }
[ -d /run/user ] && mount -t tmpfs -o mode=0755 vacmlab-attach-t /run/user
case "$ROOT/" in
/tmp/* | /run/user/*)
	mkdir -p "$ROOT" && mount --no-canonicalize --bind /proc/self/fd/9 "$ROOT" ||
		{ echo "Bail out! rebinding the source tree $ROOT"; exit 1; }
	;;
esac
exec 9<&-
unset XDG_RUNTIME_DIR VACMLAB_RUNTIME_DIR SUDO_UID SUDO_USER SUDO_GID
T=$(mktemp -d)
CONF=$T/conf/attach.conf
export VACMLAB_STATE_DIR=$T/state
PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT

n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
diag() { sed 's/^/# /'; }
# waitfor CMD...: retry for at most 5 s
waitfor() { local i; for i in $(seq 50); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

mkdir -p "$T/conf" && chmod 0755 "$T/conf"
make -s -C "$ROOT" BUILD="$T/build" ATTACH_CONF="$CONF" "$T/build/vacmlab-attach" >&2 || { echo "Bail out! build"; exit 1; }
A=$T/build/vacmlab-attach
cat >"$CONF" <<'EOF'
# test allow file
user root bridge desk0 desk2
user nobody bridge desk0
group root address 10.99.0.0/16 fd00:99::/64
EOF
chmod 0644 "$CONF"

# The fake host: a desk LAN bridge; no IPv6 (keeps `ip` output stable and
# lets an IPv6 address fail on demand, for the roll-back case).
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link set lo up
# Bridges get a fixed MAC and a permanent port (like a real desk LAN's NIC)
# so that a port coming and going leaves their MAC and carrier as they were.
bridge_with_port='ip link add $0 address $1 type bridge && ip link add $0p type veth peer $0q &&
	ip link set $0p master $0 && ip link set $0p up && ip link set $0q up && ip link set $0 up'
sh -c "$bridge_with_port" desk0 02:00:00:00:77:01 && ip addr add 192.168.77.1/24 dev desk0
sh -c "$bridge_with_port" desk1 02:00:00:00:77:02

# lab NAME UID: a stand-in lab laid out like a real one (runtime dir, pid of
# a process in its own user+net namespace holding bridge `lan`); sets LABPID.
lab() {
	local dir=/tmp/vacmlab-$2/$1
	mkdir -p "$dir" && chmod 0700 "/tmp/vacmlab-$2" "$dir" && chown "$2:$2" "/tmp/vacmlab-$2" "$dir"
	setpriv --reuid="$2" --regid="$2" --clear-groups unshare -Urn sh -c \
		"$bridge_with_port"'; ip addr add 192.168.77.254/24 dev lan; exec sleep 600' lan 02:00:00:00:77:fe \
		</dev/null >/dev/null 2>&1 &
	LABPID=$!
	PIDS+=("$LABPID")
	waitfor nsenter -n -t "$LABPID" ip link show lan || echo "# lab $1 did not come up"
	echo "$LABPID" >"$dir/supervisor.pid"
}
lab lab1 0
LP=$LABPID
lab other 65534
NP=$LABPID

# Bridge carrier follows their permanent port's a moment after creation.
settled() { ! { ip link; nsenter -n -t "$LP" ip link; } | grep -q NO-CARRIER; }
snap() {
	waitfor settled || echo "# carrier not settled" >&2
	# IPv4 only in the lab: its IPv6 link-local addresses come and go with DAD
	{ ip -d link; ip addr; nsenter -n -t "$LP" ip -d link; nsenter -n -t "$LP" ip -4 addr; } |
		sed -E 's/[a-z_]*timer +[0-9.]+//g'
}
# refused DESC REGEX ARGS...: the helper fails, says REGEX, changes nothing.
refused() {
	local desc=$1 re=$2 before after err rc
	shift 2
	before=$(snap)
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	after=$(snap)
	[ $rc -ne 0 ] && grep -Eq -- "$re" <<<"$err" && [ "$before" = "$after" ]
	ok $? "$desc: $(head -1 <<<"$err")"
	[ $rc -ne 0 ] || echo "helper exited 0" | diag
	grep -Eq -- "$re" <<<"$err" || echo "wanted /$re/, got: $err" | diag
	[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") | diag
}
HOSTV=$(printf 'vl%s' "$(python3 -c '
import sys
h = 2166136261
for b in b"0\0lab1\0lan\0":
    h = ((h ^ b) * 16777619) & 0xffffffff
print("%08x" % h)')")

# --- bridge mode -----------------------------------------------------------
before=$(snap)
out=$("$A" lab1 lan --bridge desk0 2>&1)
ok $? "bridge mode: attach lab1/lan to desk0: $out"
ip -d link show "$HOSTV" 2>/dev/null | grep -q "master desk0"
ok $? "host end is the derived name $HOSTV (FNV-1a of uid, lab, LAN), enslaved to desk0"
nsenter -n -t "$LP" ip -d link show "vx${HOSTV#vl}" 2>/dev/null | grep -q "master lan"
ok $? "lab end vx${HOSTV#vl} is enslaved to the lab's bridge lan"
waitfor ping -c1 -W1 192.168.77.254
ok $? "the fake host pings the lab's bridge 192.168.77.254 over desk0"
refused "attaching the same LAN twice" "File exists" "$A" lab1 lan --bridge desk0
out=$("$A" --detach lab1 lan 2>&1)
ok $? "detach: $out"
after=$(snap)
[ "$before" = "$after" ]
ok $? "after --detach, ip -d link / ip addr in host and lab are as before attach"
[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") | diag
refused "detach when not attached" "not attached.*No such device" "$A" --detach lab1 lan

# --- routed mode -----------------------------------------------------------
out=$("$A" lab1 lan --address 10.99.0.1/24 2>&1)
ok $? "routed mode: attach with --address 10.99.0.1/24: $out"
nsenter --preserve-credentials -U -n -t "$LP" ip addr add 10.99.0.2/24 dev lan
ip route add 192.168.78.0/24 via 10.99.0.2
nsenter --preserve-credentials -U -n -t "$LP" ip addr add 192.168.78.254/24 dev lan
waitfor ping -c1 -W1 192.168.78.254
ok $? "the fake host pings 192.168.78.254 in the lab, routed via 10.99.0.2"
"$A" --detach lab1 lan >/dev/null 2>&1
ok $? "routed mode: detach"
nsenter --preserve-credentials -U -n -t "$LP" ip addr del 10.99.0.2/24 dev lan
nsenter --preserve-credentials -U -n -t "$LP" ip addr del 192.168.78.254/24 dev lan
[ "$before" = "$(snap)" ]
ok $? "after routed detach nothing is left (the route went with the link)"

# --- roll back: a failure after the veth exists leaves nothing --------------
refused "roll back when the address cannot be added" \
	"adding address fd00:99::1/64 on $HOSTV: Permission denied" "$A" lab1 lan --address fd00:99::1/64

# --- attacks ----------------------------------------------------------------
refused "a lab of another uid (pid of uid 65534's lab in root's state file)" \
	"owned by uid 65534, not by the caller \(uid 0\)" \
	sh -c "echo $NP >/tmp/vacmlab-0/lab1/supervisor.pid; '$A' lab1 lan --bridge desk0; r=\$?; echo $LP >/tmp/vacmlab-0/lab1/supervisor.pid; exit \$r"
mkdir -p /tmp/vacmlab-65534/root && echo "$LP" >/tmp/vacmlab-65534/root/supervisor.pid &&
	chown -R 65534:65534 /tmp/vacmlab-65534/root && chmod 0700 /tmp/vacmlab-65534/root
refused "SUDO_UID=65534 pointing at root's lab" "owned by uid 0, not by the caller \(uid 65534\)" \
	env SUDO_UID=65534 "$A" root lan --bridge desk0
refused "a bridge not in the allow file" "bridge desk1 is not allowed" "$A" lab1 lan --bridge desk1
refused "SUDO_UID=65534 with root's bridge desk2" "bridge desk2 is not allowed for uid 65534" \
	env SUDO_UID=65534 "$A" other lan --bridge desk2
refused "an address outside the allowed prefixes" "not inside a prefix allowed" "$A" lab1 lan --address 10.98.0.1/24
refused "a wider prefix than allowed" "not inside a prefix allowed" "$A" lab1 lan --address 10.99.0.1/8
chmod 0646 "$CONF"
refused "an allow file writable by others" "attach.conf is writable by group or others" "$A" lab1 lan --bridge desk0
chmod 0664 "$CONF"
refused "an allow file writable by its group" "attach.conf is writable by group or others" "$A" lab1 lan --bridge desk0
chmod 0644 "$CONF" && chown 65534 "$CONF"
refused "an allow file not owned by root" "attach.conf is owned by uid 65534" "$A" lab1 lan --bridge desk0
chown 0 "$CONF" && mv "$CONF" "$CONF.real" && ln -s "$CONF.real" "$CONF"
refused "an allow file that is a symlink" "attach.conf is a symlink" "$A" lab1 lan --bridge desk0
rm "$CONF" && mv "$CONF.real" "$CONF" && chmod 1777 "$T/conf"
refused "an allow file in a world-writable (even sticky) directory" "conf is writable by group or others" \
	"$A" lab1 lan --bridge desk0
chmod 0755 "$T/conf"

sleep 600 &
SP=$!
PIDS+=("$SP")
unshare -n sleep 600 &
RP=$!
PIDS+=("$RP")
waitfor test "$(readlink /proc/$RP/ns/net)" != "$(readlink /proc/self/ns/net)"
mkdir -m 0700 /tmp/vacmlab-0/fake /tmp/vacmlab-0/rootns && echo $SP >/tmp/vacmlab-0/fake/supervisor.pid &&
	echo $RP >/tmp/vacmlab-0/rootns/supervisor.pid
refused "a state file pointing at a pid outside any lab (sleep in the host netns)" \
	"helper's own network namespace" "$A" fake lan --bridge desk0
refused "a state file pointing at a netns not owned by a user namespace (unshare -n)" \
	"initial user namespace" "$A" rootns lan --bridge desk0
refused "a state file pointing at no process" "supervisor pid 2147483647: No such process" \
	sh -c "echo 2147483647 >/tmp/vacmlab-0/fake/supervisor.pid; '$A' fake lan --bridge desk0"
refused "a state file that is not a pid" "not a pid" \
	sh -c "echo '$LP; rm -rf /' >/tmp/vacmlab-0/fake/supervisor.pid; '$A' fake lan --bridge desk0"
ln -s /tmp/vacmlab-0/lab1 /tmp/vacmlab-0/linked
refused "a symlinked runtime dir" "/tmp/vacmlab-0/linked is a symlink" "$A" linked lan --bridge desk0
mkdir -m 0700 /tmp/vacmlab-0/theirs && echo "$LP" >/tmp/vacmlab-0/theirs/supervisor.pid && chown -R 65534 /tmp/vacmlab-0/theirs
refused "a runtime dir owned by another user" "theirs is owned by uid 65534" "$A" theirs lan --bridge desk0
mkdir -m 0777 /tmp/vacmlab-0/open && echo "$LP" >/tmp/vacmlab-0/open/supervisor.pid
refused "a runtime dir writable by others" "open is writable by group or others" "$A" open lan --bridge desk0
refused "a lab that is not running" "lab nolab is not running|vacmlab-0/nolab: No such file" "$A" nolab lan --bridge desk0
refused "a LAN that is not a bridge in the lab" "lo in lab lab1 is not a bridge" "$A" lab1 lo --bridge desk0
refused "a LAN that does not exist" "lab lab1 has no LAN nolan: No such device" "$A" lab1 nolan --bridge desk0

long=$(printf 'a%.0s' $(seq 40))
for bad in ../x 'a b' "$long" -x '' 'A' 'x/y' 'lab;id'; do
	refused "odd lab name '$bad'" "invalid lab name" "$A" "$bad" lan --bridge desk0
	refused "odd LAN name '$bad'" "invalid LAN name" "$A" lab1 "$bad" --bridge desk0
done
for bad in ../x 'a b' "$long" -x '' 'x/y' 'desk0;id'; do
	refused "odd bridge name '$bad'" "invalid bridge name" "$A" lab1 lan --bridge "$bad"
done
for bad in 300.1.1.1/24 10.0.0.1/33 foo 10.99.0.1 10.99.0.1/ 10.99.0.1/24x 10.99.0.1/-1 ' 10.99.0.1/24' fd00:99::1/129; do
	refused "invalid CIDR '$bad'" "invalid CIDR" "$A" lab1 lan --address "$bad"
done
refused "a bad SUDO_UID" "SUDO_UID 'x' is not a uid" env SUDO_UID=x "$A" lab1 lan --bridge desk0
refused "usage" "usage:" "$A" lab1 lan --bridge
mkdir -p "$T/envrun/envlab" && echo "$LP" >"$T/envrun/envlab/supervisor.pid"
refused "the runtime dir is never taken from the environment" "/tmp/vacmlab-0/envlab: No such file" \
	env VACMLAB_RUNTIME_DIR="$T/envrun" XDG_RUNTIME_DIR="$T/envrun" "$A" envlab lan --bridge desk0
# A hash collision: the host's vlHASH belongs to someone else, and our lab
# has a vxHASH of its own making; the two are not one pair.
ip link add "$HOSTV" type veth peer impostor
nsenter --preserve-credentials -U -n -t "$LP" ip link add "vx${HOSTV#vl}" type veth peer mine
refused "detach refuses a link with the derived name that is not our pair" "are not one veth pair" \
	"$A" --detach lab1 lan
ip link del "$HOSTV"
nsenter --preserve-credentials -U -n -t "$LP" ip link del "vx${HOSTV#vl}"

# --- the pair dies with the lab ----------------------------------------------
"$A" lab1 lan --bridge desk0 >/dev/null 2>&1
ok $? "attach again before the lab goes away"
kill "$LP"
waitfor sh -c "! ip link show $HOSTV"
ok $? "when the lab's namespace goes away, the host end $HOSTV goes too"

# --- a real lab, when `vacmlab up --no-boot` can make one with only a LAN ----
VACMLAB=${VACMLAB:-$ROOT/build/vacmlab}
mkdir -p "$T/topo"
printf '[lab]\nname = attachreal\n\n[lan lan]\nsubnet = 192.168.79.0/24\naddress = 192.168.79.254\n' >"$T/topo/real.conf"
if [ -x "$VACMLAB" ] && timeout 60 "$VACMLAB" up --no-boot "$T/topo/real.conf" >"$T/up.log" 2>&1 &&
	RPID=$(cat /tmp/vacmlab-0/attachreal/supervisor.pid 2>/dev/null); then
	PIDS+=("$RPID")
	ip link add desk2 type bridge && ip link set desk2 up && ip addr add 192.168.79.1/24 dev desk2
	out=$("$A" attachreal lan --bridge desk2 2>&1)
	ok $? "real lab: attach attachreal/lan to desk2: $out"
	waitfor ping -c1 -W1 192.168.79.254
	ok $? "real lab: the fake host pings the lab's bridge 192.168.79.254"
	out=$("$A" --detach attachreal lan 2>&1)
	ok $? "real lab: detach: $out"
	timeout 60 "$VACMLAB" down attachreal >/dev/null 2>&1
	ok $? "real lab: vacmlab down"
else
	for c in attach ping detach down; do
		n=$((n + 1))
		echo "ok $n # SKIP real lab $c: \`vacmlab up --no-boot\` with a LAN-only topology is not available yet"
	done
	diag <"$T/up.log" 2>/dev/null | tail -3
fi
echo "1..$n"
