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
# /run too: the helper's lock file (/run/vacmlab-attach.lock) is made there.
mount -t tmpfs -o mode=0755 vacmlab-attach-t /run || { echo "Bail out! mount tmpfs /run"; exit 1; }
case "$ROOT/" in
/tmp/* | /run/*)
	mkdir -p "$ROOT" && mount --no-canonicalize --bind /proc/self/fd/9 "$ROOT" ||
		{ echo "Bail out! rebinding the source tree $ROOT"; exit 1; }
	;;
esac
exec 9<&-
unset XDG_RUNTIME_DIR VACMLAB_RUNTIME_DIR SUDO_UID SUDO_USER SUDO_GID
T=$(mktemp -d)
chmod 0711 "$T" # the other user (uid 65534) runs $T/suid/vacmlab-attach and $T/*.py
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
user root bridge desk0 desk2 desk3 desk4
user nobody bridge desk0 desk3
group root address 10.99.0.0/16 fd00:99::/64 10.96.0.0/16
user nobody address 10.97.0.0/16 fd00:97::/64 10.96.0.0/16
EOF
chmod 0644 "$CONF"
# The "other user": the same helper, setuid root, run with real uid 65534.
mkdir -m 0755 "$T/suid" && cp "$A" "$T/suid/" && chmod 4755 "$T/suid/vacmlab-attach"
SU=$T/suid/vacmlab-attach
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# in_lab PID CMD...: run CMD in that stand-in lab's user + net namespace as its owner
in_lab() {
	local p=$1 u
	shift
	u=$(stat -c %u /proc/$p)
	setpriv --reuid="$u" --regid="$u" --clear-groups nsenter --preserve-credentials -U -n -t "$p" "$@"
}
# hostname_of OUT: the host end named in the helper's "attached ..." line
hostname_of() { sed -nE 's/.*: host ([a-z0-9]+) .*/\1/p' <<<"$1"; }

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
	echo "$LABPID" >"$dir/supervisor.pid" && chown "$2:$2" "$dir/supervisor.pid"
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
# vl + base32 (a-z2-7) of the first 65 bits of SHA-256("UID\0LAB\0LAN\0")
derived() {
	python3 -c 'import hashlib, sys
d = int.from_bytes(hashlib.sha256(("%s\0%s\0%s\0" % tuple(sys.argv[1:4])).encode()).digest()[:9], "big") >> 7
print("".join("abcdefghijklmnopqrstuvwxyz234567"[(d >> (60 - 5 * i)) & 31] for i in range(13)))' "$@"
}
HOSTV=vl$(derived 0 lab1 lan)

# --- bridge mode -----------------------------------------------------------
before=$(snap)
out=$("$A" lab1 lan --bridge desk0 2>&1)
ok $? "bridge mode: attach lab1/lan to desk0: $out"
ip -d link show "$HOSTV" 2>/dev/null | grep -q "master desk0"
ok $? "host end is the derived name $HOSTV (SHA-256 of uid, lab, LAN), enslaved to desk0"
nsenter -n -t "$LP" ip -d link show "vx${HOSTV#vl}" 2>/dev/null | grep -q "master lan"
ok $? "lab end vx${HOSTV#vl} is enslaved to the lab's bridge lan"
waitfor ping -c1 -W1 192.168.77.254
ok $? "the fake host pings the lab's bridge 192.168.77.254 over desk0"
refused "attaching the same LAN twice" "already attached" "$A" lab1 lan --bridge desk0
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
# /proc/sys read-only (as in many containers): the host end cannot get its
# IPv6 settings, so it must not come up at all.
mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys
refused "roll back when the host end's IPv6 settings cannot be written (read-only /proc/sys)" \
	"/proc/sys/net/ipv6/conf/$HOSTV/.*Read-only file system" "$A" lab1 lan --address 10.99.0.1/24
umount /proc/sys
"$A" --detach lab1 lan >/dev/null 2>&1 # (only if the case above failed)

# --- attacks ----------------------------------------------------------------
refused "a lab of another uid (pid of uid 65534's lab in root's state file)" \
	"pid $NP is not in a network namespace of yours \(uid 0\): refused" \
	sh -c "echo $NP >/tmp/vacmlab-0/lab1/supervisor.pid; '$A' lab1 lan --bridge desk0; r=\$?; echo $LP >/tmp/vacmlab-0/lab1/supervisor.pid; exit \$r"
mkdir -p /tmp/vacmlab-65534/root && echo "$LP" >/tmp/vacmlab-65534/root/supervisor.pid &&
	chown -R 65534:65534 /tmp/vacmlab-65534/root && chmod 0700 /tmp/vacmlab-65534/root
refused "SUDO_UID=65534 pointing at root's lab" "not in a network namespace of yours \(uid 65534\)" \
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
	"pid $SP is not in a network namespace of yours" "$A" fake lan --bridge desk0
refused "a state file pointing at a netns not owned by a user namespace (unshare -n)" \
	"pid $RP is not in a network namespace of yours" "$A" rootns lan --bridge desk0
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
refused "detach refuses a link with the derived name that the helper did not tag" "not vacmlab-attach's link for uid 0 lab1/lan" \
	"$A" --detach lab1 lan
ip link del "$HOSTV"
nsenter --preserve-credentials -U -n -t "$LP" ip link del "vx${HOSTV#vl}"

# --- the error for a namespace that is not the caller's names no owner ------
err=$(as_nobody "$SU" root lan --bridge desk0 2>&1)
grep -q "not in a network namespace of yours (uid 65534)" <<<"$err" && ! grep -Eq "uid 0|owned by" <<<"$err"
ok $? "a namespace that is not the caller's: the error says nothing about whose it is: $err"

# --- supervisor.pid: a regular file the caller owns ---------------------------
mkdir -m 0700 /tmp/vacmlab-65534/pidfifo /tmp/vacmlab-65534/pidroot /tmp/vacmlab-65534/piddir &&
	mkfifo /tmp/vacmlab-65534/pidfifo/supervisor.pid && echo "$NP" >/tmp/vacmlab-65534/pidroot/supervisor.pid &&
	mkdir /tmp/vacmlab-65534/piddir/supervisor.pid &&
	chown 65534:65534 /tmp/vacmlab-65534/pid{fifo,root,dir} /tmp/vacmlab-65534/pid{fifo,dir}/supervisor.pid
refused "supervisor.pid is a FIFO" "supervisor.pid is not a regular file" as_nobody "$SU" pidfifo lan --bridge desk0
refused "supervisor.pid is a directory" "supervisor.pid is not a regular file" as_nobody "$SU" piddir lan --bridge desk0
refused "supervisor.pid (naming the caller's own lab) is owned by root, not the caller" \
	"supervisor.pid is not owned by uid 65534" as_nobody "$SU" pidroot lan --bridge desk0
as_nobody "$SU" --detach pidroot lan >/dev/null 2>&1

# --- ownership from the host side only: a forged name cannot detach ---------
out=$(as_nobody "$SU" other lan --bridge desk0 2>&1)
ok $? "the other user (uid 65534, setuid helper) attaches other/lan: $out"
NH=$(hostname_of "$out")
as_nobody "$SU" --detach other lan >/dev/null 2>&1
out=$("$A" lab1 lan --bridge desk0 2>&1)
ok $? "root attaches lab1/lan: $out"
RH=$(hostname_of "$out")
# A collision, made: root's host end now has the name the helper derives for
# uid 65534's other/lan; in their own lab, uid 65534 makes the matching inner
# name a veth whose peer index equals the host end's ifindex (a forged IFLA_LINK).
ip link set "$RH" name "$NH"
idx=$(ip -o link show "$NH" | cut -d: -f1)
in_lab "$NP" ip link add p index "$idx" type veth peer name "vx${NH#vl}"
refused "uid 65534 cannot detach root's link under a colliding name and a forged lab-side veth" \
	"not vacmlab-attach's link for uid 65534 other/lan" as_nobody "$SU" --detach other lan
in_lab "$NP" ip link del p
ip link set "$NH" name "$RH"
"$A" --detach lab1 lan >/dev/null 2>&1

# --- one attachment per (lab namespace, LAN), and a per-user cap --------------
mkdir -m 0700 /tmp/vacmlab-0/lab1b && echo "$LP" >/tmp/vacmlab-0/lab1b/supervisor.pid
"$A" lab1 lan --bridge desk0 >/dev/null 2>&1
refused "the same namespace and LAN under a second lab name" "lab1b/lan is already attached.*lab1/lan" \
	"$A" lab1b lan --bridge desk0
"$A" --detach lab1 lan >/dev/null 2>&1
"$A" --detach lab1b lan >/dev/null 2>&1 # (only if the case above failed)
for i in 1 2 3 4 5 6 7 8; do in_lab "$NP" ip link add "l$i" type bridge; done
cnt=0
for i in 1 2 3 4 5 6 7; do as_nobody "$SU" other "l$i" --bridge desk0 >/dev/null 2>&1 && cnt=$((cnt + 1)); done
as_nobody "$SU" other lan --bridge desk0 >/dev/null 2>&1 && cnt=$((cnt + 1))
[ "$cnt" = 8 ]
ok $? "uid 65534 (no limit line) makes 8 attachments ($cnt)"
refused "a 9th attachment over the default cap of 8" "uid 65534 has 8 attachments, the most allowed" \
	as_nobody "$SU" other l8 --bridge desk0
for i in 1 2 3 4 5 6 7; do as_nobody "$SU" --detach other "l$i" >/dev/null 2>&1; done
echo "user nobody limit 1" >>"$CONF"
refused "a 2nd attachment over the allow file's 'limit 1'" "uid 65534 has 1 attachments?, the most allowed" \
	as_nobody "$SU" other l1 --bridge desk0
sed -i '/limit 1/d' "$CONF"
as_nobody "$SU" --detach other lan >/dev/null 2>&1
for i in 1 2 3 4 5 6 7 8; do in_lab "$NP" ip link del "l$i"; done

# --- overlapping prefixes -------------------------------------------------------
out=$(as_nobody "$SU" other lan --address 10.96.1.1/24 2>&1)
ok $? "uid 65534 attaches routed with 10.96.1.1/24: $out"
refused "a /25 inside another member's /24" "10.96.1.129/25 overlaps 10.96.1.0/24" "$A" lab1 lan --address 10.96.1.129/25
refused "a /16 around another member's /24" "10.96.0.1/16 overlaps 10.96.1.0/24" "$A" lab1 lan --address 10.96.0.1/16
as_nobody "$SU" --detach other lan >/dev/null 2>&1
"$A" --detach lab1 lan >/dev/null 2>&1 # (only if a case above failed)
ip route add 10.99.64.0/18 via 192.168.77.254
refused "a prefix inside a host route" "10.99.70.1/24 overlaps .*10.99.64.0/18" "$A" lab1 lan --address 10.99.70.1/24
refused "a prefix around a host route" "10.99.0.1/16 overlaps .*10.99.64.0/18" "$A" lab1 lan --address 10.99.0.1/16
ip route del 10.99.64.0/18
ip addr add 10.99.200.1/24 dev desk1
refused "a prefix overlapping a host address" "10.99.200.9/28 overlaps .*10.99.200.0/24" "$A" lab1 lan --address 10.99.200.9/28
ip addr del 10.99.200.1/24 dev desk1

# --- a bridge's MAC never changes ----------------------------------------------
# desk3: a bridge with no fixed MAC and one "NIC" port with a MAC that sorts
# high; desk4: a bridge with no port at all. Both follow their lowest port.
ip link add desk3 type bridge && ip link add desk3p address fa:16:3e:00:77:03 type veth peer desk3q &&
	ip link set desk3p master desk3 && ip link set desk3p up && ip link set desk3q up && ip link set desk3 up
ip link add desk4 type bridge && ip link set desk4 up
lab lab2 0
L2=$LABPID
lab lab3 0
L3=$LABPID
mac() { ip -br link show "$1" | awk '{print $3}'; }
m3=$(mac desk3) m4=$(mac desk4)
"$A" lab1 lan --bridge desk3 >/dev/null 2>&1 && "$A" lab2 lan --bridge desk3 >/dev/null 2>&1 &&
	"$A" lab3 lan --bridge desk3 >/dev/null 2>&1 && as_nobody "$SU" other lan --bridge desk3 >/dev/null 2>&1
ok $? "four attaches to desk3"
[ "$(mac desk3)" = "$m3" ]
ok $? "desk3's MAC is the NIC's before and after four attaches ($m3 -> $(mac desk3))"
"$A" --detach lab1 lan >/dev/null 2>&1 && "$A" --detach lab2 lan >/dev/null 2>&1 && "$A" --detach lab3 lan >/dev/null 2>&1 &&
	as_nobody "$SU" --detach other lan >/dev/null 2>&1
[ "$(mac desk3)" = "$m3" ]
ok $? "and after the detaches ($(mac desk3))"
"$A" lab1 lan --bridge desk4 >/dev/null 2>&1 && "$A" lab2 lan --bridge desk4 >/dev/null 2>&1
ok $? "two attaches to the empty bridge desk4"
[ "$(mac desk4)" = "$m4" ]
ok $? "desk4's MAC is its own before and after ($m4 -> $(mac desk4))"
"$A" --detach lab1 lan >/dev/null 2>&1
"$A" --detach lab2 lan >/dev/null 2>&1
kill "$L2" "$L3"

# --- IPv6: the host end ignores the lab's Router Advertisements ---------------
# A real RA, sent from inside the lab by its unprivileged owner (root of its
# user namespace): a raw Ethernet frame on the lab's end of the veth.
cat >"$T/ra.py" <<'EOF'
import socket, struct, sys
ifname, prefix = sys.argv[1], sys.argv[2]
src = socket.inet_pton(socket.AF_INET6, "fe80::bad")
dst = socket.inet_pton(socket.AF_INET6, "ff02::1")
mac = bytes.fromhex("02000000bad0")
# RA: hop limit 64, router preference high, lifetime 1800 s; options: prefix
# information (L, A; /64) and the source link-layer address.
ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0x08, 1800, 0, 0)
ra += struct.pack("!BBBBIII", 3, 4, 64, 0xC0, 86400, 14400, 0) + socket.inet_pton(socket.AF_INET6, prefix)
ra += struct.pack("!BB", 1, 1) + mac
pseudo = src + dst + struct.pack("!I3xB", len(ra), 58)
data = pseudo + ra
c = sum(struct.unpack("!%dH" % (len(data) // 2), data))
while c >> 16:
    c = (c & 0xFFFF) + (c >> 16)
ra = ra[:2] + struct.pack("!H", ~c & 0xFFFF) + ra[4:]
ip6 = struct.pack("!IHBB", 6 << 28, len(ra), 58, 255) + src + dst
frame = bytes.fromhex("333300000001") + mac + b"\x86\xdd" + ip6 + ra
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
for _ in range(3):
    s.send(frame)
EOF
sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
ra_took() { ip -6 route | grep -q "$1"; }
# The control: a veth the test makes with the kernel's defaults does take it.
ip link add ctlh type veth peer ctll netns /proc/"$NP"/ns/net && ip link set ctlh up &&
	in_lab "$NP" ip link set ctll up
for i in 1 2 3 4 5; do in_lab "$NP" python3 "$T/ra.py" ctll fd00:c0::; waitfor ra_took "fd00:c0::/64" && break; done
ra_took "default via fe80::bad dev ctlh proto ra" && ra_took "fd00:c0::/64 dev ctlh proto kernel"
ok $? "control: a plain veth on the fake host takes the lab's RA (default route, prefix)"
ip -6 route | diag
ip link del ctlh
ra_case() { # DESC ADDRESS PREFIX: attach other/lan routed, send RAs, check nothing came of them
	local out h
	out=$(as_nobody "$SU" other lan --address "$2" 2>&1)
	ok $? "$1: attach other/lan --address $2: $out"
	h=$(hostname_of "$out")
	for i in 1 2 3 4 5; do in_lab "$NP" python3 "$T/ra.py" "vx${h#vl}" "$3"; sleep 0.3; done
	! ip -6 route | grep -q "proto ra" && ! ip -6 route | grep -q "${3%::}" && ! ip -6 addr | grep -q "${3%::}"
	ok $? "$1: the lab's RA gave the host no route and no address"
	ip -6 route | diag
	for k in accept_ra autoconf accept_redirects; do
		[ "$(cat /proc/sys/net/ipv6/conf/"$h"/$k 2>&1)" = 0 ]
		ok $? "$1: $k is 0 on $h"
	done
	[ "$(cat /proc/sys/net/ipv6/conf/"$h"/disable_ipv6)" = "$4" ]
	ok $? "$1: disable_ipv6 is $4 on $h"
	as_nobody "$SU" --detach other lan >/dev/null 2>&1
}
ra_case "routed IPv4 (no IPv6 granted)" 10.97.1.1/24 fd00:ba0:: 1
ra_case "routed IPv6 (granted)" fd00:97::1/64 fd00:ba1:: 0
out=$(as_nobody "$SU" other lan --bridge desk0 2>&1)
h=$(hostname_of "$out")
[ "$(cat /proc/sys/net/ipv6/conf/"$h"/disable_ipv6 2>&1)" = 1 ]
ok $? "bridge mode: disable_ipv6 is 1 on the port $h"
as_nobody "$SU" --detach other lan >/dev/null 2>&1
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

# --- signals: Ctrl-C / SIGTERM in the middle leave no half veth -----------------
cat >"$T/sig.py" <<'EOF'
import json, os, random, signal, subprocess, sys, time
helper, labpid = sys.argv[1], sys.argv[2]
def links(cmd):
    return {l["ifname"]: l for l in json.loads(subprocess.run(cmd + ["-j", "link"], capture_output=True, text=True).stdout)}
t = time.monotonic(); out = subprocess.run([helper, "lab1", "lan", "--bridge", "desk0"], capture_output=True, text=True).stdout
span = time.monotonic() - t; host = out.split(": host ")[1].split()[0]; inner = "vx" + host[2:]
subprocess.run([helper, "--detach", "lab1", "lan"], capture_output=True)
counts = {"none": 0, "whole": 0, "half": 0}
for i in range(int(sys.argv[3])):
    p = subprocess.Popen([helper, "lab1", "lan", "--bridge", "desk0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0, 2 * span))
    while p.poll() is None:
        try:
            p.send_signal(random.choice([signal.SIGINT, signal.SIGTERM]))
        except ProcessLookupError:
            pass
        time.sleep(0.0002)
    h = links(["ip"]).get(host)
    l = links(["nsenter", "-n", "-t", labpid, "ip"]).get(inner)
    if not h and not l:
        counts["none"] += 1
    elif h and l and h.get("master") == "desk0" and "UP" in h["flags"] and l.get("master") == "lan" and "UP" in l["flags"]:
        counts["whole"] += 1
    else:
        counts["half"] += 1
        print("# half: host %s lab %s" % (h and (h.get("master"), h["flags"]), l and (l.get("master"), l["flags"])))
    subprocess.run(["ip", "link", "del", host], capture_output=True)
print("# %d runs over %.1f ms each: %s" % (sum(counts.values()), span * 1000, counts))
sys.exit(1 if counts["half"] else 0)
EOF
python3 "$T/sig.py" "$A" "$LP" 150
ok $? "SIGINT/SIGTERM in a tight loop at random moments of 150 attaches: never a half-made veth"

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
