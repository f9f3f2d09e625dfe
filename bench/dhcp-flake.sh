#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/dhcp-flake.sh - ready = dhcp must mean reachable: CYCLES times, up
# a 3-node / 2-LAN lab whose first node has a NIC on each LAN, ping every
# address once (1 s wait) from inside the lab right after up returns, down.
# Counts the cycles in which any address did not answer (target: 0).
#
# usage: bench/dhcp-flake.sh [CYCLES]     (default 20)
set -u
cd "$(dirname "$0")/.."
SRC=$PWD
CYCLES=${1:-20}
VACMLAB=${VACMLAB:-$SRC/build/vacmlab}
OUT=${OUT:-$SRC/bench/out/dhcp-flake}
rm -rf "$OUT"; mkdir -p "$OUT"
export VACMLAB_RUNTIME_DIR=$OUT/run VACMLAB_STATE_DIR=$OUT/state
cat > "$OUT/lab.conf" <<CONF
[lab]
name = flake
[lan a]
subnet = 10.61.1.0/24
dhcp = 10.61.1.100-10.61.1.150
[lan b]
subnet = 10.61.2.0/24
dhcp = 10.61.2.100-10.61.2.150
[node f1]
image = $SRC/images/image.bin
memory = 128
nic = a
nic = b
ready = dhcp
[node f2]
image = $SRC/images/image.bin
memory = 128
nic = a
ready = dhcp
[node f3]
image = $SRC/images/image.bin
memory = 128
nic = b
ready = dhcp
CONF
fail=0 upfail=0
for c in $(seq 1 "$CYCLES"); do
	if ! "$VACMLAB" up "$OUT/lab.conf" > "$OUT/up.$c.log" 2>&1; then
		upfail=$((upfail + 1)); echo "cycle $c: up failed"; continue
	fi
	bad=
	for a in $("$VACMLAB" status --json flake | jq -r '.nodes[].nics[].address'); do
		"$VACMLAB" exec flake -- ping -c1 -W1 "$a" > /dev/null 2>&1 || bad="$bad $a"
	done
	[ -n "$bad" ] && { fail=$((fail + 1)); echo "cycle $c: no answer from$bad"; }
	"$VACMLAB" down flake > /dev/null 2>&1
done
echo "$CYCLES cycles: $fail with an address that did not answer, $upfail in which up failed" | tee "$OUT/result.txt"
[ $fail = 0 ] && [ $upfail = 0 ]
