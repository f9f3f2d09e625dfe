#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make-image-seeds.sh OUTDIR - small QCOW2 seeds for tests/fuzz/fuzz_image.c:
# a 1 MiB disk with an MBR (boot code, four partitions, 55AA) as QCOW2 v3
# and v2 with 512-byte clusters, compressed, with extended L2 entries, and an
# overlay naming a backing file: each a few KiB, so libFuzzer's mutations
# land on the header, L1 and L2 tables. Without qemu-img, makes nothing
# (the committed corpus is then the only seed).
set -euo pipefail

out=${1:?usage: make-image-seeds.sh OUTDIR}
mkdir -p "$out"
command -v qemu-img >/dev/null || { echo "make-image-seeds.sh: no qemu-img, no seeds" >&2; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

raw=$tmp/disk.raw
truncate -s 1M "$raw"
# Boot code, four partition entries (type, start LBA, sectors), 55AA.
printf '\372\353\374VACMLAB-BOOT' | dd of="$raw" conv=notrunc status=none
entry() { # N TYPE START SECTORS (little endian, written with printf)
	local off=$((446 + 16 * ($1 - 1)))
	printf "\\$(printf %o $(($1 == 1 ? 128 : 0)))\\0\\0\\0\\$(printf %o "$2")\\0\\0\\0" |
		dd of="$raw" bs=1 seek=$off conv=notrunc status=none
	printf "\\$(printf %o $(($3 & 255)))\\$(printf %o $(($3 >> 8 & 255)))\\0\\0" |
		dd of="$raw" bs=1 seek=$((off + 8)) conv=notrunc status=none
	printf "\\$(printf %o $(($4 & 255)))\\$(printf %o $(($4 >> 8 & 255)))\\0\\0" |
		dd of="$raw" bs=1 seek=$((off + 12)) conv=notrunc status=none
}
entry 1 12 64 512
entry 2 218 576 512
entry 3 131 1088 256
entry 4 131 1344 600
printf '\125\252' | dd of="$raw" bs=1 seek=510 conv=notrunc status=none
# Some data and some compressible data in the partitions.
head -c 4096 /dev/urandom | dd of="$raw" bs=512 seek=64 conv=notrunc status=none
{ yes 'vacmlab config line' || true; } | head -c 8192 | dd of="$raw" bs=512 seek=1088 conv=notrunc status=none

conv() { qemu-img convert -f raw -O qcow2 "$@"; }
conv -o cluster_size=512 "$raw" "$out/v3-512.qcow2"
conv -o cluster_size=512,compat=0.10 "$raw" "$out/v2-512.qcow2"
conv -c -o cluster_size=4096 "$raw" "$out/compressed-4k.qcow2"
conv -o cluster_size=16384,extended_l2=on "$raw" "$out/extl2-16k.qcow2"
qemu-img create -q -f qcow2 -o cluster_size=512 -b v3-512.qcow2 -F qcow2 "$out/overlay-512.qcow2"
ls -l "$out" >&2
