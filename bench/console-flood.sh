#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/console-flood.sh - throughput of a console flood: the guest cats
# MiB of random bytes (tty output post-processing off, so bytes are sent
# as is) to ttyS0; the supervisor must log every byte. Checks the length
# and MD5 of what the log holds against the guest's own md5sum; prints MB/s.
#   bench/console-flood.sh [--lab LAB --node NODE] [MIB...]   (default: 1 4)
# Without --lab it boots its own one-node lab (and takes it down).
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
V=${VACMLAB:-$SRC/build/vacmlab}
LAB= NODE=n SIZES=()
while [ $# -gt 0 ]; do
	case $1 in
	--lab) LAB=$2; shift 2 ;;
	--node) NODE=$2; shift 2 ;;
	*) SIZES+=("$1"); shift ;;
	esac
done
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1 4)
own=
if [ -z "$LAB" ]; then
	LAB=bflood$$ own=1
	tmp=$(mktemp -d /tmp/vacmlab-bench.XXXXXX)
	export VACMLAB_RUNTIME_DIR=$tmp/run VACMLAB_STATE_DIR=$tmp/state
	trap '"$V" down --timeout 10 $LAB >/dev/null 2>&1; rm -rf "$tmp"' EXIT
	printf '[lab]\nname = %s\n[node %s]\nimage = %s\nserial = console\nready = console "login:"\n' \
		"$LAB" "$NODE" "$SRC/images/image.bin" > "$tmp/flood.conf"
	"$V" up "$tmp/flood.conf" > /dev/null 2>&1 || { echo "vacmlab up failed" >&2; exit 3; }
	"$V" send -q $LAB $NODE --expect '# $' 'root\n' > /dev/null || exit 3
fi
log=$("$V" status --json $LAB | jq -r --arg n "$NODE" '.nodes[] | select(.name == $n) | .ports[0].log')
printf '%-10s %10s %10s %10s %8s  %s\n' "FLOOD" "BYTES" "LOGGED" "SECONDS" "MB/s" "MD5"
for mib in "${SIZES[@]}"; do
	bytes=$((mib * 1048576))
	want=$("$V" send $LAB $NODE --timeout 60 --expect '^[0-9a-f]{32}  /tmp/flood$' \
		"head -c $bytes /dev/urandom > /tmp/flood; md5sum /tmp/flood\n" | grep -oE '^[0-9a-f]{32}')
	off=$(stat -c %s "$log")
	t0=$(date +%s%N)
	"$V" send -q $LAB $NODE --timeout 600 --expect 'FLOOD-END$' \
		'stty -opost; echo; echo FLOOD-BEGIN; cat /tmp/flood; echo FLOOD-END; stty opost\n' || exit 4
	t1=$(date +%s%N)
	read -r got md5 < <(python3 - "$log" "$off" <<'EOF'
import sys, hashlib
d = open(sys.argv[1], 'rb').read()[int(sys.argv[2]):]
b = d.index(b"\nFLOOD-BEGIN\n") + len(b"\nFLOOD-BEGIN\n")
e = d.rindex(b"FLOOD-END\n")
print(e - b, hashlib.md5(d[b:e]).hexdigest())
EOF
)
	s=$(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	mbs=$(awk -v n=$bytes -v s=$s 'BEGIN { printf "%.3f", n / s / 1e6 }')
	verdict=$([ "$got" = "$bytes" ] && [ "$md5" = "$want" ] && echo "match" || echo "MISMATCH (guest $want)")
	printf '%-10s %10d %10d %10s %8s  %s\n' "${mib}MiB" $bytes "$got" "$s" "$mbs" "$verdict"
done
