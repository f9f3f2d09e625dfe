#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make-fixtures.sh OUTDIR - build the small disk images that tests/unit/
# test_image.c and tests/05-image-info.t inspect: a VACM-shaped stand-in
# (MBR with a few bytes of "boot code", four partitions, QCOW2) and each way
# an image can be wrong. Generated at test time, not committed: ~3 MiB, <1 s.
# Needs qemu-img (qemu-utils), sfdisk (fdisk), dd, truncate.
set -euo pipefail

out=${1:?usage: make-fixtures.sh OUTDIR}
mkdir -p "$out"
cd "$out"
for t in qemu-img sfdisk dd truncate; do
	command -v "$t" >/dev/null || { echo "make-fixtures.sh: $t not found" >&2; exit 77; }
done

# put_bytes FILE OFFSET OCTAL-ESCAPED-BYTES: patch bytes in place.
put_bytes() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

# raw_disk FILE NPARTS [noboot]: 64 MiB MBR disk like image.bin, smaller.
raw_disk() {
	local f=$1 n=$2
	rm -f "$f"
	truncate -s 64M "$f"
	{
		echo "label: dos"
		echo "label-id: 0x5ac0ffee"
		echo "start=2048, size=16384, type=c, bootable"
		echo "size=32768, type=da"
		[ "$n" -ge 3 ] && echo "size=16384, type=83"
		[ "$n" -ge 4 ] && echo "size=40000, type=83"
		true
	} | sfdisk --quiet "$f"
	[ "${3:-}" = noboot ] || put_bytes "$f" 0 '\372\353\374VACMLAB-BOOT'
	# Some content in every partition, so the QCOW2 has data clusters
	# spread over the file (truncation must cut some of them).
	local s
	for s in 2048 18432 51200 67584; do
		head -c 262144 /dev/urandom | dd of="$f" bs=512 seek=$s conv=notrunc status=none
	done
	# ... and compressible content (qemu-img convert -c stores clusters
	# that do not shrink uncompressed).
	head -c 262144 < <(yes 'vacmlab config line') |
		dd of="$f" bs=512 seek=$((51200 + 1024)) conv=notrunc status=none
}

to_qcow2() { qemu-img convert -f raw -O qcow2 "$@"; }

raw_disk good.raw 4
to_qcow2 good.raw good.qcow2
to_qcow2 -c good.raw compressed.qcow2
to_qcow2 -o compat=0.10 good.raw v2.qcow2
to_qcow2 -o extended_l2=on good.raw extl2.qcow2
to_qcow2 -o data_file="$PWD/datafile.data" good.raw datafile.qcow2
# zstd needs a QEMU built with it; the test skips the case when absent.
to_qcow2 -c -o compression_type=zstd good.raw zstd.qcow2 2>/dev/null || rm -f zstd.qcow2
cp good.raw raw.img

# Overlays: one on the QCOW2 (relative backing name, as users write them),
# one on a raw base, one whose base has gone.
qemu-img create -q -f qcow2 -b good.qcow2 -F qcow2 overlay.qcow2
qemu-img create -q -f qcow2 -b good.raw -F raw overlay-raw.qcow2
to_qcow2 good.raw gone.qcow2
qemu-img create -q -f qcow2 -b gone.qcow2 -F qcow2 overlay-missing.qcow2
rm gone.qcow2
# Backing names QEMU reads as JSON or a protocol (-u: nothing is opened).
qemu-img create -q -f qcow2 -u -F raw \
	-b 'json:{"driver":"raw","file":{"driver":"file","filename":"good.raw"}}' json-backing.qcow2 1M
qemu-img create -q -f qcow2 -u -F raw -b 'nbd://127.0.0.1:10809/x' nbd-backing.qcow2 1M
# A backing loop: loop.qcow2 -> loopB.qcow2 -> loop.qcow2 (qemu-img refuses to make
# one, so the name in loopB's header is patched to "loop.qcow2").
to_qcow2 good.raw loopA.qcow2
qemu-img create -q -f qcow2 -b loopA.qcow2 -F qcow2 loopB.qcow2
qemu-img create -q -f qcow2 -b loopB.qcow2 -F qcow2 loop.qcow2
off=$(grep -boa 'loopA.qcow2' loopB.qcow2 | head -1 | cut -d: -f1)
put_bytes loopB.qcow2 "$off" 'loop.qcow2\0'
# backing_file_size (bytes 16-19) is 11 ("loopA.qcow2"): make it 10.
put_bytes loopB.qcow2 16 '\0\0\0\012'

# Truncated: half the file (cuts data clusters); and inside the header.
size=$(stat -c %s good.qcow2)
head -c $((size / 2)) good.qcow2 > truncated.qcow2
head -c 50 good.qcow2 > truncated-header.qcow2

# Two partitions only; no 55AA; no boot code; overlapping partitions.
raw_disk two.raw 2
to_qcow2 two.raw two-partitions.qcow2
raw_disk nosig.raw 4
put_bytes nosig.raw 510 '\0\0'
to_qcow2 nosig.raw no-signature.qcow2
raw_disk noboot.raw 4 noboot
to_qcow2 noboot.raw no-bootcode.qcow2
raw_disk overlap.raw 4
# sda2's start LBA (entry 2 at 0x1ce, LBA at +8 = 470): 4096, inside sda1.
put_bytes overlap.raw 470 '\0\020\0\0'
to_qcow2 overlap.raw overlap.qcow2
rm -f two.raw nosig.raw noboot.raw overlap.raw

: > empty.img

# Corrupt L1: misaligned offset, offset far beyond the end, absurd size.
# l1_table_offset is bytes 40-47, l1_size bytes 36-39 (big endian).
cp good.qcow2 l1-misaligned.qcow2
put_bytes l1-misaligned.qcow2 40 '\0\0\0\0\0\003\0\010'
cp good.qcow2 l1-beyond.qcow2
put_bytes l1-beyond.qcow2 40 '\0\0\020\0\0\0\0\0'
cp good.qcow2 l1-absurd.qcow2
put_bytes l1-absurd.qcow2 36 '\377\377\377\377'

# Crafted images: each must be refused at once with a message naming the
# problem, in bounded time and memory (tests/unit/test_image.c and
# tests/05-image-info.t run them under a deadline).
# cluster_bits (bytes 20-23): 255 and 64, far outside QEMU's 9..21.
cp good.qcow2 cluster-bits.qcow2
put_bytes cluster-bits.qcow2 20 '\0\0\0\377'
cp good.qcow2 cluster-bits-64.qcow2
put_bytes cluster-bits-64.qcow2 20 '\0\0\0\100'
# A huge L1 table: QEMU's maximum of entries (4194304) and a virtual size of
# 256 TiB (bytes 24-31), so 4 MiB of L1 would be read from a 1.6 MiB file.
cp good.qcow2 l1-huge.qcow2
put_bytes l1-huge.qcow2 24 '\0\001\0\0\0\0\0\0'
put_bytes l1-huge.qcow2 36 '\0\100\0\0'
# The same L1 size in a (sparse) file big enough to hold it: the table
# moved to the end of the file (bytes 40-47), its first entry copied,
# virtual size 2 PiB. Valid: it must read, and quickly.
cp good.qcow2 l1-huge-sparse.qcow2
l1=$((($(stat -c %s good.qcow2) + 65535) / 65536 * 65536))
put_bytes l1-huge-sparse.qcow2 24 '\0\010\0\0\0\0\0\0'
put_bytes l1-huge-sparse.qcow2 36 '\0\100\0\0'
put_bytes l1-huge-sparse.qcow2 40 "$(for s in 56 48 40 32 24 16 8 0; do printf '\\%03o' $((l1 >> s & 255)); done)"
truncate -s $((l1 + 32 * 1024 * 1024)) l1-huge-sparse.qcow2
dd if=good.qcow2 of=l1-huge-sparse.qcow2 bs=8 skip=$((0x30000 / 8)) seek=$((l1 / 8)) count=1 \
	conv=notrunc status=none
# L1 entry 0 (at 0x30000) pointing to an L2 table far beyond the end.
cp good.qcow2 l2-beyond.qcow2
put_bytes l2-beyond.qcow2 $((0x30000)) '\200\0\020\0\0\0\0\0'
# refcount_table_offset (bytes 48-55) far beyond the end.
cp good.qcow2 refcount-beyond.qcow2
put_bytes refcount-beyond.qcow2 48 '\0\0\020\0\0\0\0\0'
# One snapshot (bytes 60-63) whose table (bytes 64-71) is beyond the end;
# and an absurd number of snapshots.
cp good.qcow2 snapshot-beyond.qcow2
put_bytes snapshot-beyond.qcow2 60 '\0\0\0\001\0\0\020\0\0\0\0\0'
cp good.qcow2 snapshots-absurd.qcow2
put_bytes snapshots-absurd.qcow2 60 '\377\377\377\377'
# backing_file_offset (bytes 8-15) far beyond the end.
cp overlay.qcow2 backing-name-beyond.qcow2
put_bytes backing-name-beyond.qcow2 8 '\0\0\020\0\0\0\0\0'
# A backing file naming itself; a chain ten files deep (the limit is 8
# below the top image).
to_qcow2 good.raw self.qcow2
qemu-img create -q -f qcow2 -b good.qcow2 -F qcow2 self.qcow2
off=$(grep -boa 'good.qcow2' self.qcow2 | head -1 | cut -d: -f1)
put_bytes self.qcow2 "$off" 'self.qcow2'
cp good.qcow2 chain0.qcow2
for i in 1 2 3 4 5 6 7 8 9; do
	qemu-img create -q -f qcow2 -b chain$((i - 1)).qcow2 -F qcow2 chain$i.qcow2
done
# Not files at all: a FIFO (reading it would block forever), a character
# device that never ends, a directory.
rm -f fifo.img zero.img
mkfifo fifo.img
ln -s /dev/zero zero.img
mkdir -p adir.qcow2
