#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/upgrade.sh - upgrading a two-node lab from firmware v1 to v2 while
# keeping each node's /etc/config and nvlog: `vacmlab upgrade` + `up`
# against what a user does by hand today (boot v1, copy config and nvlog
# out over the console, down, reset, boot v2, copy them back in over the
# console). One run; prints time and bytes for each, and the time ratio.
#
#   bench/upgrade.sh          (env VACMLAB; V1, V2: the two images, default
#                              the newest tests/out/standin-v{1,2}-*.bin that
#                              tests/70-lifecycle.t builds)
#
# Both start from the same state: a lab that is down, whose two nodes have
# run v1 and hold 40 config files (~100 KiB) and 2000 nvlog lines, and whose
# topology now names v2. Time is wall clock until both nodes run v2, ready
# (console "login:"), with their files. Bytes written: the write_bytes
# (/proc/PID/io) of vacmlab's own steps with their children (qemu-img,
# e2fsprogs; GNU time's %O) plus those of every QEMU process of the timed
# part (the guests' writes, read before `down`); and the size of the
# nodes' overlays at the end.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VACMLAB=${VACMLAB:-$ROOT/build/vacmlab}
V1=${V1:-$(ls -t "$ROOT"/tests/out/standin-v1-*.bin 2>/dev/null | head -n1)}
V2=${V2:-$(ls -t "$ROOT"/tests/out/standin-v2-*.bin 2>/dev/null | head -n1)}
GSH="python3 $ROOT/tests/guest-sh.py"
[ -x "$VACMLAB" ] || { echo "no $VACMLAB: run make" >&2; exit 2; }
[ -f "$V1" ] && [ -f "$V2" ] ||
	{ echo "no v1/v2 images: run prove tests/70-lifecycle.t (or set V1, V2)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time, package time)" >&2; exit 2; }

T=$(mktemp -d /tmp/vacmlab-bench.XXXXXX)
export VACMLAB_RUNTIME_DIR=$T/run VACMLAB_STATE_DIR=$T/state
LAB=bench-upg
ST=$VACMLAB_STATE_DIR/$LAB
cleanup() { "$VACMLAB" down --timeout 5 "$LAB" >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT

conf() {
	printf '[lab]\nname = %s\n' "$LAB"
	for n in vacm1 vacm2; do
		printf '[node %s]\nimage = %s\nmemory = 256\nserial = console\n' "$n" "$T/fw.bin"
		printf 'ready = console "login:"\ntimeout = 300\n'
	done
}
conf > "$T/two.conf"
ms() { date +%s%N | cut -b1-13; }
gsh() { $GSH "$VACMLAB_RUNTIME_DIR/$LAB/$1/ttyS0.sock" 120 "${@:2}"; }
# blocks CMD...: run CMD, add its 512-byte output blocks (with children's)
# to $BLOCKS
BLOCKS=0
blocks() {
	/usr/bin/time -o "$T/time" -f %O "$@" >"$T/out" 2>&1 ||
		{ echo "failed: $*" >&2; cat "$T/out" >&2; exit 1; }
	BLOCKS=$((BLOCKS + $(tail -n1 "$T/time")))
}
# QEMU_BYTES += write_bytes of the lab's QEMU processes (the guests' writes)
QEMU_BYTES=0
qemu_wbytes() {
	local p
	for p in $("$VACMLAB" status --json "$LAB" | jq -r '.nodes[].pid'); do
		QEMU_BYTES=$((QEMU_BYTES + $(sed -n 's/^write_bytes: //p' /proc/$p/io)))
	done
}
statedir_bytes() { du -s -B1 --apparent-size "$ST"/*.qcow2 | awk '{s += $1} END {print s}'; }

# The starting point: both nodes ran v1 and wrote config and nvlog.
prepare() {
	cp "$V1" "$T/fw.bin"
	"$VACMLAB" up --fresh "$T/two.conf" >/dev/null 2>&1 || { echo "up v1 failed" >&2; exit 1; }
	for n in vacm1 vacm2; do
		gsh $n 'i=0; while [ $i -lt 40 ]; do head -c 2500 /dev/urandom | base64 > /etc/config/app$i.conf; i=$((i+1)); done' \
			'i=0; while [ $i -lt 2000 ]; do echo "nvlog line $i from v1"; i=$((i+1)); done >> /var/mnt/nvlog/messages' \
			'sync; (cd /etc/config && md5sum app*.conf) > /tmp/sums; md5sum < /tmp/sums' >"$T/$n.sum"
	done
	"$VACMLAB" down --timeout 30 "$LAB" >/dev/null 2>&1
}
swap_v2() { cp "$V2" "$T/fw.bin.new" && mv "$T/fw.bin.new" "$T/fw.bin"; }
check_v2() { # the nodes run v2 and still have their files
	for n in vacm1 vacm2; do
		out=$(gsh $n 'cat /run/firmware.version' '(cd /etc/config && md5sum app*.conf) | md5sum' \
			'wc -l < /var/mnt/nvlog/messages')
		[ "$out" = "$(printf '2\n%s\n2000' "$(tail -n1 "$T/$n.sum")")" ] ||
			{ echo "$n after upgrade: $out" >&2; exit 1; }
	done
}

echo "preparing (v1 boot, writing config) ..." >&2
prepare
swap_v2
BLOCKS=0
t0=$(ms)
blocks "$VACMLAB" upgrade "$LAB" vacm1 vacm2 --image "$T/fw.bin"
t1=$(ms)
up_blocks=$BLOCKS
"$VACMLAB" up "$T/two.conf" >/dev/null 2>&1 || { echo "up v2 failed" >&2; exit 1; }
t2=$(ms)
check_v2
s2=$(statedir_bytes)
QEMU_BYTES=0
qemu_wbytes
vl_qemu=$QEMU_BYTES
"$VACMLAB" down --timeout 30 "$LAB" >/dev/null 2>&1
vl_upgrade_ms=$((t1 - t0)) vl_total_ms=$((t2 - t0)) vl_bytes=$((up_blocks * 512))
vl_size=$s2

echo "preparing again for the by-hand way ..." >&2
prepare # by hand, the config is fetched from the old firmware first
BLOCKS=0 QEMU_BYTES=0
t0=$(ms)
"$VACMLAB" up "$T/two.conf" >/dev/null 2>&1 || { echo "up v1 failed" >&2; exit 1; }
for n in vacm1 vacm2; do
	gsh $n 'cd /etc/config && tar -czf - $(ls -A | grep -vx lost+found) | base64 -w 0; echo; cd /' > "$T/$n.cfg.b64"
	gsh $n 'cd /var/mnt/nvlog && tar -czf - $(ls -A | grep -vx lost+found) | base64 -w 0; echo; cd /' > "$T/$n.nv.b64"
done
qemu_wbytes
"$VACMLAB" down --timeout 30 "$LAB" >/dev/null 2>&1
swap_v2
blocks "$VACMLAB" reset "$LAB"
"$VACMLAB" up "$T/two.conf" >/dev/null 2>&1 || { echo "up v2 failed" >&2; exit 1; }
# Back in over the console, 3000 characters a line (the tty's line limit
# is 4095), into a file in the guest, then unpacked.
for n in vacm1 vacm2; do
	for part in cfg:/etc/config nv:/var/mnt/nvlog; do
		f=$T/$n.${part%%:*}.b64
		gsh $n ': > /tmp/in.b64' >/dev/null
		fold -w 3000 "$f" | while IFS= read -r chunk; do
			[ -n "$chunk" ] && printf '%s\n' "echo $chunk >> /tmp/in.b64"
		done > "$T/cmds"
		mapfile -t cmds < "$T/cmds"
		gsh $n "${cmds[@]}" >/dev/null
		gsh $n "tr -d '\\n' < /tmp/in.b64 | base64 -d | tar -C ${part#*:} -xzf - && sync" >/dev/null
	done
done
t2=$(ms)
s1=$(statedir_bytes)
check_v2
qemu_wbytes
hand_bytes=$((BLOCKS * 512 + QEMU_BYTES))
"$VACMLAB" down --timeout 30 "$LAB" >/dev/null 2>&1
hand_total_ms=$((t2 - t0))
hand_size=$s1
hand_b64=$(cat "$T"/*.b64 | wc -c)

sec() { awk -v m="$1" 'BEGIN { printf "%.1f", m / 1000 }'; }
printf '%-36s %12s %12s\n' "" "vacmlab" "by hand"
printf '%-36s %12s %12s\n' "time until both run v2 (s)" "$(sec $vl_total_ms)" "$(sec $hand_total_ms)"
printf '%-36s %12s %12s\n' "  of which rebuilding the disks (s)" "$(sec $vl_upgrade_ms)" "-"
printf '%-36s %12d %12s\n' "  bytes written rebuilding disks" "$vl_bytes" "-"
printf '%-36s %12d %12d\n' "bytes written in all (incl. QEMU)" "$((vl_bytes + vl_qemu))" "$hand_bytes"
printf '%-36s %12d %12d\n' "overlays' size after (bytes)" "$vl_size" "$hand_size"
printf '%-36s %12d %12d\n' "bytes through the consoles" 0 "$hand_b64"
awk -v a="$hand_total_ms" -v b="$vl_total_ms" 'BEGIN { printf "ratio by-hand/vacmlab time: %.1fx\n", a / b }'
