#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/ipv6.sh - what subnet6 costs: `vacmlab up --no-boot` + `down` of the
# benchmark topology (bench/gen-topo.sh; default 50 LANs, 50 nodes x 4
# NICs = 200 taps) as it is (IPv4 only: IPv6 off on every link) and with
# `subnet6` on every LAN (IPv6 on each bridge, router advertisements and
# DHCPv6 in the lab's dnsmasq), interleaved, REPS times each. Prints the
# median wall time of `up` and of `up`+`down` per variant and their ratio
# to the IPv4 baseline measured in the same run. Between runs it waits for
# the kernel to free the last lab's links (as bench/netbuild.sh does).
#
# usage: bench/ipv6.sh [REPS [LANS NODES NICS]]
set -eu
cd "$(dirname "$0")/.."
SRC=$PWD
REPS=${1:-5} LANS=${2:-50} NODES=${3:-50} NICS=${4:-4}
VACMLAB=${VACMLAB:-$SRC/build/vacmlab}
OUT=${OUT:-$SRC/bench/out/ipv6}
rm -rf "$OUT"
mkdir -p "$OUT"
export VACMLAB_RUNTIME_DIR=$OUT/run VACMLAB_STATE_DIR=$OUT/state

settle() {
	unshare -Urn bash -c 'ok=0; end=$((SECONDS + 30))
	while [ $SECONDS -lt $end ] && [ $ok -lt 2 ]; do
		a=${EPOCHREALTIME/./}; ip link set lo mtu 60000; b=${EPOCHREALTIME/./}
		if [ $(( (b - a) / 1000 )) -lt 15 ]; then ok=$((ok + 1)); else ok=0; fi
		sleep 0.5
	done'
}
now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

bench/gen-topo.sh benchv4 "$SRC/tests/topo/fake.img" "$LANS" "$NODES" "$NICS" >"$OUT/v4.conf"
# The same lab with subnet6 = fd00:L::/64 on LAN l (after its dhcp line).
bench/gen-topo.sh benchv6 "$SRC/tests/topo/fake.img" "$LANS" "$NODES" "$NICS" |
	awk '/^\[lan l/ { l = substr($2, 2); sub(/\]/, "", l) }
	     { print } /^dhcp = / { printf "subnet6 = fd00:%x::/64\n", l + 1 }' >"$OUT/v6.conf"

for ((r = 1; r <= REPS; r++)); do
	for v in v4 v6; do
		settle
		lab=bench$v
		a=$(now_ms)
		"$VACMLAB" up --no-boot "$OUT/$v.conf" >"$OUT/up.$v.$r.log" 2>&1 ||
			{ echo "up failed ($v, run $r): see $OUT/up.$v.$r.log" >&2; exit 1; }
		b=$(now_ms)
		"$VACMLAB" down "$lab" >/dev/null 2>&1
		c=$(now_ms)
		net=$(sed -n 's/^phase network: \([0-9]*\) ms.*/\1/p' "$VACMLAB_STATE_DIR/$lab/logs/supervisor.log" | tail -1)
		dns=$(sed -n 's/^phase dnsmasq: \([0-9]*\) ms.*/\1/p' "$VACMLAB_STATE_DIR/$lab/logs/supervisor.log" | tail -1)
		echo "$v $r $((b - a)) $((c - a)) ${net:-NA} ${dns:-NA}" | tee -a "$OUT/runs.txt"
	done
done
v4up=$(awk '$1 == "v4" { print $3 }' "$OUT/runs.txt" | median)
v4net=$(awk '$1 == "v4" { print $5 }' "$OUT/runs.txt" | median)
printf '\n%-28s %8s %8s %8s %8s %8s %8s\n' "$LANS LANs, $((NODES * NICS)) taps, medians" \
	"up ms" "ratio" "up+down" "network" "ratio" "dnsmasq"
for v in v4 v6; do
	u=$(awk -v v=$v '$1 == v { print $3 }' "$OUT/runs.txt" | median)
	t=$(awk -v v=$v '$1 == v { print $4 }' "$OUT/runs.txt" | median)
	n=$(awk -v v=$v '$1 == v { print $5 }' "$OUT/runs.txt" | median)
	d=$(awk -v v=$v '$1 == v { print $6 }' "$OUT/runs.txt" | median)
	printf '%-28s %8s %8s %8s %8s %8s %8s\n' \
		"$([ $v = v4 ] && echo "IPv4 only" || echo "subnet6 on every LAN")" "$u" \
		"$(awk -v a="$u" -v b="$v4up" 'BEGIN { printf "%.2f", a / b }')" "$t" "$n" \
		"$(awk -v a="$n" -v b="$v4net" 'BEGIN { printf "%.2f", a / b }')" "$d"
done
