#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/ztp.sh - the cost of provisioning in the lab: time from `vacmlab up`
# to the console's "ztp: applied URL" for one factory-fresh node that
# provisions over DHCP option 43 + HTTP (a [host] with serve =), beside
# the same node's plain boot to ready (no ztp), in one run, REPS times
# each, interleaved. Both nodes: ready = console "login:", one node per lab,
# so neither shares the CPUs with the other. Medians are printed.
#
# usage: bench/ztp.sh [REPS]
# env:   VACMLAB=path to the binary (default build/vacmlab)
#        OUT=output dir (default bench/out/ztp)
set -eu
cd "$(dirname "$0")/.."
SRC=$PWD
REPS=${1:-3}
VACMLAB=${VACMLAB:-$SRC/build/vacmlab}
OUT=${OUT:-$SRC/bench/out/ztp}
IMAGE=$SRC/images/image.bin
[ -f "$IMAGE" ] || { echo "ztp.sh: no $IMAGE (make appliance)" >&2; exit 2; }
rm -rf "$OUT"
mkdir -p "$OUT/www"
export VACMLAB_RUNTIME_DIR=$OUT/run VACMLAB_STATE_DIR=$OUT/state
export VACMLAB_ACCEL=${VACMLAB_ACCEL:-tcg}
echo 'echo bench-ztp > /etc/config/hostname' > "$OUT/www/cfg.sh"
for kind in plain ztp; do
	{
		printf '[lab]\nname = bz%s\n[lan lan]\nsubnet = 10.71.0.0/24\n' "$kind"
		printf 'dhcp = 10.71.0.100-10.71.0.199\n'
		printf '[host files]\nnic = lan 10.71.0.5\nserve = www\n'
		printf '[node n1]\nimage = %s\nnic = lan\nready = console "login:"\n' "$IMAGE"
		[ $kind = ztp ] && printf 'ztp = config=http://files/cfg.sh\n'
	} > "$OUT/$kind.conf"
done
now() { date +%s.%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
plain= applied= zready=
for r in $(seq 1 "$REPS"); do
	for kind in plain ztp; do
		lab=bz$kind
		"$VACMLAB" reset "$lab" >/dev/null 2>&1 || true
		log=$VACMLAB_STATE_DIR/$lab/logs/n1.ttyS0.log
		rm -f "$log" # the last rep's: its "ztp: applied" is not this one's
		t0=$(now)
		"$VACMLAB" up "$OUT/$kind.conf" >"$OUT/up.$kind.$r.out" 2>&1 &
		up=$!
		ta=
		while kill -0 $up 2>/dev/null; do
			if [ $kind = ztp ] && [ -z "$ta" ] && grep -qa 'ztp: applied' "$log" 2>/dev/null; then
				ta=$(now)
			fi
			sleep 0.05
		done
		wait $up || { echo "ztp.sh: up of $lab failed, see $OUT/up.$kind.$r.out" >&2; exit 1; }
		t1=$(now)
		if [ $kind = plain ]; then
			plain="$plain $(ms "$t0" "$t1")"
		else
			[ -n "$ta" ] || ta=$t1
			applied="$applied $(ms "$t0" "$ta")" zready="$zready $(ms "$t0" "$t1")"
			grep -qa 'ztp: applied http://10.71.0.5/cfg.sh' "$log" ||
				{ echo "ztp.sh: no 'ztp: applied' on n1's console" >&2; exit 1; }
		fi
		"$VACMLAB" down "$lab" >/dev/null
	done
done
"$VACMLAB" reset bzplain >/dev/null 2>&1 || true
"$VACMLAB" reset bzztp >/dev/null 2>&1 || true
printf '%-44s %8s   %s\n' "one node, $REPS reps (accel $VACMLAB_ACCEL)" median "each (ms)"
printf '%-44s %8s   %s\n' "plain boot: up -> ready (login:)" "$(echo $plain | median)" "$plain"
printf '%-44s %8s   %s\n' "ZTP: up -> 'ztp: applied' (DHCP 43 + HTTP)" "$(echo $applied | median)" "$applied"
printf '%-44s %8s   %s\n' "ZTP: up -> ready (login:)" "$(echo $zready | median)" "$zready"
