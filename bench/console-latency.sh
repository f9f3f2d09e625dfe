#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/console-latency.sh - round-trip latency of one byte through the
# supervisor's console fan-out vs QEMU's own socket chardev, same run, same
# guest work: node `serial = console console unix`; in the guest ttyS1
# (fan-out) and ttyS2 (direct QEMU unix socket) both run `stty raw -echo;
# cat PORT > PORT`. bench/console-rtt.c sends a byte and waits for its
# echo, N times per path, interleaved. Then runs console-flood.sh on the
# same lab. Usage: bench/console-latency.sh [N]   (default 200)
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
V=${VACMLAB:-$SRC/build/vacmlab}
N=${1:-200}
mkdir -p "$SRC/build/bench"
cc -std=gnu11 -O2 -Wall -Wextra -o "$SRC/build/bench/console-rtt" "$SRC/bench/console-rtt.c" || exit 1
LAB=blat$$
tmp=$(mktemp -d /tmp/vacmlab-bench.XXXXXX)
export VACMLAB_RUNTIME_DIR=$tmp/run VACMLAB_STATE_DIR=$tmp/state
trap '"$V" down --timeout 10 $LAB >/dev/null 2>&1; rm -rf "$tmp"' EXIT
printf '[lab]\nname = %s\n[node n]\nimage = %s\nserial = console console unix\nready = console "login:"\n' \
	"$LAB" "$SRC/images/image.bin" > "$tmp/lat.conf"
"$V" up "$tmp/lat.conf" > /dev/null 2>&1 || { echo "vacmlab up failed" >&2; exit 3; }
"$V" send -q $LAB n --expect '# $' 'root\n' > /dev/null || exit 3
"$V" send -q $LAB n --expect '^echo-ready' \
	'for i in 1 2; do stty -F /dev/ttyS$i raw -echo; (cat /dev/ttyS$i > /dev/ttyS$i &); done; echo echo-ready\n' > /dev/null || exit 3
sleep 0.5
d=$VACMLAB_RUNTIME_DIR/$LAB/n
echo "console round trip, 1 byte, N=$N per path (us); accel $("$V" status --json $LAB | jq -r '.accel')"
printf '%-28s %5s %8s %8s %8s %8s %5s\n' PATH N MEDIAN P90 MIN MAX LOST
"$SRC/build/bench/console-rtt" "$N" fanout="$d/ttyS1.sock" direct="$d/ttyS2.sock" > "$tmp/rtt" || exit 1
while read -r l n med p90 mn mx lost; do
	name=$([ $l = fanout ] && echo "supervisor fan-out (ttyS1)" || echo "QEMU unix socket (ttyS2)")
	printf '%-28s %5d %8d %8d %8d %8d %5d\n' "$name" $n $med $p90 $mn $mx $lost
done < "$tmp/rtt"
awk '{ m[$1] = $3; p[$1] = $4 } END { printf "fan-out overhead: median %+d us, p90 %+d us\n", m["fanout"] - m["direct"], p["fanout"] - p["direct"] }' "$tmp/rtt"
echo
"$SRC/bench/console-flood.sh" --lab $LAB --node n 1 4
