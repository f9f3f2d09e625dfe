#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/63-ipv6.t - IPv6 LANs (subnet6 = PREFIX/64) against real guests: bad
# subnet6 values are file:line errors; on a lab with one IPv6 LAN and one
# IPv4-only LAN, `exec` pings a node by name over IPv6 (AAAA from the lab's
# dnsmasq), a fixed `nic = LAN ADDR ADDR6` is the guest's address, a dynamic
# NIC gets a DHCPv6 lease and a SLAAC address, a [host] takes its ADDR6,
# guests reach each other over IPv6, status shows the addresses, and IPv6
# stays off on every other link.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd jq
lab_env

LAB=v6t$$
P=fd63:$(printf "%x" $(($$ % 60000 + 4096)))

# --- bad subnet6 values: FILE:LINE errors, exit 1, nothing started -------
bad() { # bad DESC SUBNET6 REGEX
	local out rc
	printf '[lab]\nname = bad6\n[lan lan]\nsubnet = 10.63.0.0/24\nsubnet6 = %s\n' "$2" \
		> "$TMPDIR_TEST/bad6.conf"
	out=$("$VACMLAB" up "$TMPDIR_TEST/bad6.conf" 2>&1); rc=$?
	ok $([ $rc = 1 ] && [ ! -e "$VACMLAB_RUNTIME_DIR/bad6" ]; echo $?) \
		"bad subnet6 ($1): exit 1 ($rc), no lab dir"
	like "$out" "^$TMPDIR_TEST/bad6.conf:5: $3" "bad subnet6 ($1): FILE:LINE: message"
}
bad "not a /64" "$P::/56" "subnet6 '$P::/56': prefix /56 is not /64"
bad "link-local" "fe80::/64" "subnet6 'fe80::/64' is not usable for a lan"
bad "multicast" "ff05::/64" "subnet6 'ff05::/64' is not usable for a lan"
bad "host bits" "$P::1/64" "subnet6 '$P::1/64' has host bits set: did you mean $P::/64\\?"
bad "IPv4" "10.0.0.0/64" "bad subnet6 '10.0.0.0/64': expected an IPv6 prefix"

# --- the lab -----------------------------------------------------------
cat > "$TMPDIR_TEST/$LAB.conf" <<EOF
[lab]
name = $LAB

[lan six]
subnet = 10.63.0.0/24
dhcp = 10.63.0.100-10.63.0.199
subnet6 = $P::/64

[lan four]
subnet = 10.64.0.0/24
dhcp = 10.64.0.100-10.64.0.199

[node vacm1]
image = $IMAGE
nic = six
nic = four
ready = dhcp

[node vacm2]
image = $IMAGE
nic = six 10.63.0.12 $P::12
ready = dhcp

[host svc]
nic = six 10.63.0.50 $P::50
command = exec sleep 3600
EOF
t0=$SECONDS
lab_up "$TMPDIR_TEST/$LAB.conf" > "$TMPDIR_TEST/up.out" 2>&1
ok $? "lab with an IPv6 LAN is up ($((SECONDS - t0)) s)" ||
	{ sed 's/^/# /' "$TMPDIR_TEST/up.out"; lab_logs $LAB; done_testing; }

x() { "$VACMLAB" exec $LAB -- "$@"; }
sysctl6() { x cat "/proc/sys/net/ipv6/conf/$1/disable_ipv6"; }
is "$(sysctl6 six)" 0 "IPv6 is on on the bridge of the LAN with subnet6"
is "$(sysctl6 four)" 1 "IPv6 is off on the bridge of the LAN without subnet6"
is "$(sysctl6 vacm1-0)" 1 "... and on the taps (bridge ports need none)"
like "$(x ip -6 addr show dev six)" "inet6 $P::254/64" "the bridge has PREFIX::254"
is "$(x ip -6 addr show dev four)" "" "the IPv4-only bridge has no IPv6 address at all"

# By name from exec: the AAAA of a fixed ADDR6, answered by the guest
# (its DHCPv6 client takes the address once the RA says "managed").
like "$(x getent ahostsv6 vacm2)" "^$P::12 " "vacm2 has an AAAA (its fixed ADDR6)"
wait_for 60 x ping -6 -c1 -W1 vacm2
ok $? "exec: ping -6 vacm2 by name" || lab_logs $LAB
wait_for 60 x ping -6 -c1 -W1 vacm1
ok $? "exec: ping -6 vacm1 (dynamic) by name"
like "$(x getent ahostsv6 vacm1)" "^$P::1[0-9a-f][0-9a-f] " \
	"vacm1's AAAA is a DHCPv6 lease from the pool ::100-::1ff"

# A test-service host's fixed ADDR6 is on its interface, named, reachable.
like "$(x getent ahostsv6 svc)" "^$P::50 " "host svc has an AAAA (its fixed ADDR6)"
wait_for 20 x ping -6 -c1 -W1 svc
ok $? "exec: ping -6 svc (a [host] with ADDR6) by name"

st=$("$VACMLAB" status --json $LAB)
is "$(jq -r '.lans[] | select(.name=="six") | .subnet6 + " " + .address6' <<<"$st")" \
	"$P::/64 $P::254" "status --json: the LAN's subnet6 and address6"
is "$(jq -r '.lans[] | select(.name=="four") | .subnet6' <<<"$st")" null \
	"status --json: no subnet6 on the IPv4 LAN"
is "$(jq -r '.nodes[] | select(.name=="vacm2") | .nics[0] | "\(.address6) \(.fixed6)"' <<<"$st")" \
	"$P::12 true" "status --json: vacm2's fixed address6"
like "$(jq -r '.nodes[] | select(.name=="vacm1") | .nics[0].address6' <<<"$st")" \
	"^$P::1[0-9a-f][0-9a-f]$" "status --json: vacm1's leased address6"
is "$(jq -r '.nodes[] | select(.name=="vacm1") | .nics[1].address6' <<<"$st")" null \
	"status --json: no address6 on the IPv4 LAN's NIC"
like "$("$VACMLAB" status $LAB)" "vacm2 .* 10\\.63\\.0\\.12,$P::12 " \
	"status table: the NIC's IPv6 address after its IPv4 one"

# --- guests over IPv6, driven on their consoles --------------------------
login() {
	"$VACMLAB" send -q $LAB "$1" --timeout 60 --expect 'login: $' '\n' &&
		"$VACMLAB" send -q $LAB "$1" --expect '# $' 'root\n'
}
login vacm2
ok $? "logged in on vacm2's console"
out=$("$VACMLAB" send $LAB vacm2 --expect '# $' 'ip -6 addr show dev eth0\n' 2>&1)
like "$out" "inet6 $P::12/128" "vacm2 took its fixed ADDR6 over DHCPv6"
login vacm1
ok $? "logged in on vacm1's console"
out=$("$VACMLAB" send $LAB vacm1 --expect '# $' 'ip -6 addr show dev eth0\n' 2>&1)
like "$out" "inet6 $P::[0-9a-f:]*ff:fe[0-9a-f:]*/64" "vacm1 has a SLAAC address (the kernel's, from the RA)"
like "$out" "inet6 $P::1[0-9a-f][0-9a-f]/128" "vacm1 has a DHCPv6 address from the pool"
out=$("$VACMLAB" send $LAB vacm1 --expect '# $' 'ip -6 addr show dev eth1 scope global\n' 2>&1)
ok $(grep -q "inet6 " <<<"$out"; [ $? = 1 ]; echo $?) \
	"vacm1 has no global IPv6 address on the IPv4-only LAN" || echo "$out" | sed 's/^/# /'
out=$("$VACMLAB" send $LAB vacm1 --timeout 30 --expect 'RC=[0-9]+' 'ping6 -c1 -W5 vacm2; echo RC=$?\n' 2>&1)
like "$out" "RC=0" "vacm1 pings vacm2 by name over IPv6" || echo "$out" | sed 's/^/# /'
out=$("$VACMLAB" send $LAB vacm2 --timeout 30 --expect 'RC=[0-9]+' 'ping6 -c1 -W5 vacm1; echo RC=$?\n' 2>&1)
like "$out" "RC=0" "vacm2 pings vacm1 by name over IPv6" || echo "$out" | sed 's/^/# /'

"$VACMLAB" down $LAB > /dev/null 2>&1
ok $? "down"
no_leftovers
ok $? "no process of the lab is left"
done_testing
