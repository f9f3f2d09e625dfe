#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/spread.sh - one lab of N nodes on one machine against the same lab
# spread over two (docs/multi-machine.md): bring-up time, and guest-to-guest
# throughput between two nodes on the same machine and on different ones.
#
# usage: sudo bench/spread.sh [ROUNDS [N]]   (defaults 2 rounds, N = 4)
# env:   VACMLAB (binary), IMAGE (stand-in image), FETCHES (HTTP fetches of
#        the 8 MiB /www/big.bin per measurement, default 3)
#
# Two "machines" are two network + mount namespaces made here with
# `unshare --net --mount` (as tests/90-multi-machine.t does), joined by a
# veth underlay; nothing is sent outside them. Nodes n1..nN, one LAN:
#   one     every node on m1 (a lab without [machine] sections, `up` in m1)
#   one-pP  the same, `up --parallel P` (P = 2 x CPUs, at most N: as many
#           boots at once as the spread lab's two machines allow together)
#   spread  n1..n(ceil N/2) on m1, the rest on m2 (`up --machine m1` and,
#           once m1's dnsmasq runs, `up --machine m2`, as the test does)
# Each round runs all three, in alternating order (one first on odd rounds,
# spread first on even), and measures:
#   bring-up  wall time from the first `up` to the last one returning (every
#             node ready: console "login:")
#   same      n2 fetches n1's /big.bin over HTTP (both on m1)
#   across    (spread only) n(ceil N/2 + 1), on m2, fetches n1's
# Guests are driven over their serial console with `vacmlab send --expect`;
# each fetch is timed by the guest's /proc/uptime and its byte count
# checked (wget -O - | wc -c must be FETCHES x 8388608).
# The two "machines" share this host's CPUs: bring-up cannot show what a
# second real machine's CPUs would add, only the cost of the spread itself.
set -u
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
VACMLAB=${VACMLAB:-$SRCDIR/build/vacmlab}
IMAGE=${IMAGE:-$SRCDIR/images/image.bin}
ROUNDS=${1:-2}
N=${2:-4}
FETCHES=${FETCHES:-3}
BIG=8388608
[ "$(id -u)" = 0 ] || { echo "bench: needs root (unshare --net for the two machines)" >&2; exit 2; }
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "bench: ROUNDS must be a positive number" >&2; exit 2; }
[[ "$N" =~ ^[0-9]+$ ]] && [ "$N" -ge 3 ] && [ "$N" -le 40 ] ||
	{ echo "bench: N must be 3..40 (a server and a client on m1, a client on m2)" >&2; exit 2; }
for c in python3 pasta unshare nsenter; do
	command -v $c >/dev/null || { echo "bench: $c not installed" >&2; exit 2; }
done
[ -x "$VACMLAB" ] || { echo "bench: $VACMLAB not built (make)" >&2; exit 2; }
[ -r "$IMAGE" ] || { echo "bench: no image $IMAGE" >&2; exit 2; }
T=$(mktemp -d /tmp/vacmlab-spread.XXXXXX)
SUB=10.194.$(($$ % 200 + 20))
UND=10.195.$(($$ % 200 + 20))
HALF=$(((N + 1) / 2))
# vacmlab boots at most boot_parallel nodes at once per machine (default
# under TCG: the host's CPUs), so the spread lab boots up to twice as many
# at once: the one-machine lab runs a second time with `up --parallel` that
# total, to tell the spread from the extra parallelism.
PAR=$(($(nproc) * 2))
[ "$PAR" -gt "$N" ] && PAR=$N
H=()
on() {
	local m=$1
	shift
	nsenter -t "${H[${m#m} - 1]}" -n -m -- env VACMLAB_RUNTIME_DIR="$T/$m/run" \
		VACMLAB_STATE_DIR="$T/$m/state" "$@"
}
# Every process of this run's labs: their command lines name $T.
t_pids() {
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- "$T/m[12]" && echo "${p#/proc/}"
	done | sort -u
}
down_all() {
	local d l
	for d in "$T"/m[12]/run/one* "$T"/m[12]/run/spr*; do
		[ -d "$d" ] || continue
		l=${d##*/}
		on m2 "$VACMLAB" down --timeout 10 "$l" >/dev/null 2>&1
		on m1 "$VACMLAB" down --timeout 10 "$l" >/dev/null 2>&1
	done
}
cleanup() {
	local p
	[ ${#H[@]} = 2 ] && down_all
	for p in $(t_pids); do kill -9 "$p" 2>/dev/null; done
	for p in "${H[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for i in 1 2; do
	mkdir -p "$T/m$i"
	unshare --net --mount --propagation private -- sleep 7200 &
	H+=($!)
done
for i in 1 2; do
	for _ in $(seq 50); do
		[ "$(readlink /proc/${H[$i - 1]}/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
		sleep 0.1
	done
	[ "$(nsenter -t "${H[$i - 1]}" -n ip -o link | grep -vc ': lo:')" = 0 ] ||
		{ echo "bench: m$i is not a fresh namespace" >&2; exit 1; }
done
on m1 ip link add u1 type veth peer name u2 netns "${H[1]}"
on m1 ip addr add "$UND.1/24" dev u1
on m2 ip addr add "$UND.2/24" dev u2
for i in 1 2; do
	on m$i ip link set lo up
	on m$i ip link set u$i up
	# pasta maps its gateway to the host: a gateway nobody has
	# (docs/multi-machine.md, "Limits").
	on m$i ip route add default via "$UND.254" dev u$i
done

# topo KIND NAME: the lab file (every node on m1, or spread over two).
topo() {
	local i m
	echo "[lab]"
	echo "name = $2"
	[ "$1" = spread ] && printf '[machine m1]\naddress = %s\n[machine m2]\naddress = %s\n' "$UND.1" "$UND.2"
	printf '[lan lan]\nsubnet = %s.0/24\ndhcp = %s.100-%s.150\n' "$SUB" "$SUB" "$SUB"
	for i in $(seq "$N"); do
		m=m1
		[ "$1" = spread ] && [ "$i" -gt "$HALF" ] && m=m2
		echo "[node n$i]"
		[ "$1" = spread ] && echo "on = $m"
		printf 'image = %s\nnic = lan %s.%d\nserial = console\n' "$IMAGE" "$SUB" $((10 + i))
		printf 'ready = console "login:"\ntimeout = 300\n'
	done
}
now() { date +%s.%N; }

# bringup KIND LAB: prints the seconds from the first `up` to every node ready.
bringup() {
	local t0 t1 p1 p2 rc=0
	topo "$1" "$2" >"$T/$2.conf"
	t0=$(now)
	if [ "$1" = one ]; then
		on m1 "$VACMLAB" up ${3:+--parallel "$3"} "$T/$2.conf" >"$T/$2.up1" 2>&1 || rc=1
	else
		on m1 "$VACMLAB" up --machine m1 "$T/$2.conf" >"$T/$2.up1" 2>&1 &
		p1=$!
		for _ in $(seq 300); do
			[ -s "$T/m1/run/$2/dnsmasq.pid" ] && break
			kill -0 $p1 2>/dev/null || break
			sleep 0.1
		done
		on m2 "$VACMLAB" up --machine m2 "$T/$2.conf" >"$T/$2.up2" 2>&1 &
		p2=$!
		wait $p1 || rc=1
		wait $p2 || rc=1
	fi
	t1=$(now)
	if [ $rc != 0 ]; then
		echo "bench: $1 lab $2 did not come up:" >&2
		cat "$T/$2".up* >&2
		return 1
	fi
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }'
}

# xfer MACHINE LAB CLIENT: CLIENT fetches n1's /big.bin FETCHES times;
# prints MiB/s (guest-timed), or "FAIL(bytes)" when a byte is missing.
xfer() {
	local out line n a b
	on "$1" "$VACMLAB" send "$2" "$3" --expect '# (.\[6n)?$' --timeout 60 -q 'root\n' ||
		{ echo "FAIL(login)"; return 1; }
	# Wait for DHCP and the path to n1, then time the fetches. The marker
	# is computed by the shell, so the echoed command never matches it.
	out=$(on "$1" "$VACMLAB" send "$2" "$3" --timeout 240 --expect 'XF2R [0-9]+ [0-9.]+ [0-9.]+' \
		"for i in \$(seq 120); do ping -c1 -W1 $SUB.11 >/dev/null 2>&1 && break; sleep 0.5; done; a=\$(cut -d' ' -f1 /proc/uptime); n=\$(for i in \$(seq $FETCHES); do wget -q -O - http://$SUB.11/big.bin; done | wc -c); b=\$(cut -d' ' -f1 /proc/uptime); echo XF\$((1+1))R \$n \$a \$b\n") ||
		{ echo "FAIL(timeout)"; return 1; }
	line=$(grep -aoE 'XF2R [0-9]+ [0-9.]+ [0-9.]+' <<<"$out" | tail -1)
	read -r _ n a b <<<"$line"
	[ "$n" = $((FETCHES * BIG)) ] || { echo "FAIL($n)"; return 1; }
	awk -v n="$n" -v a="$a" -v b="$b" 'BEGIN { if (b > a) printf "%.1f", n / 1048576 / (b - a); else print "?" }'
}

run_one() { # run_one ROUND [PARALLEL]
	local lab=one$$r$1${2:+p$2} k=one${2:+-p$2} up same
	up=$(bringup one "$lab" "${2:-}") || { echo "$1 $k FAIL - -"; down_all; return; }
	same=$(xfer m1 "$lab" n2)
	echo "$1 $k $up $same -"
	down_all
}
run_spread() {
	local lab=spr$$r$1 up same across
	up=$(bringup spread "$lab") || { echo "$1 spread FAIL - -"; down_all; return; }
	same=$(xfer m1 "$lab" n2)
	across=$(xfer m2 "$lab" "n$((HALF + 1))")
	echo "$1 spread $up $same $across"
	down_all
}

echo "# $N nodes ($HALF on m1, $((N - HALF)) on m2 when spread), $ROUNDS rounds, $FETCHES x 8 MiB per transfer, $(nproc) CPUs"
printf '%-5s %-8s %12s %16s %16s\n' round lab "bring-up s" "same MiB/s" "across MiB/s"
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then
		run_one "$r"
		run_one "$r" "$PAR"
		run_spread "$r"
	else
		run_spread "$r"
		run_one "$r" "$PAR"
		run_one "$r"
	fi
done | while read -r r k u s a; do
	printf '%-5s %-8s %12s %16s %16s\n' "$r" "$k" "$u" "$s" "$a"
done
left=$(t_pids | wc -l)
[ "$left" = 0 ] || echo "bench: $left processes of the labs were left after down (killed)" >&2
