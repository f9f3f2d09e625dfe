#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 05-image-info.t - `vacmlab image info [--json]` on real images made by
# tests/images/make-fixtures.sh (a VACM-shaped stand-in and each way an image
# can be wrong, and crafted ones: absurd header fields, tables beyond the
# end, backing loops and deep chains, a FIFO, /dev/zero) and on
# images/image.bin when it has been built: exit codes, the exact messages,
# and the JSON read back with jq.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
VACMLAB=${VACMLAB:-$top/vacmlab}
n=0 failed=0

ok() { # ok COND-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

for t in jq qemu-img sfdisk; do
	command -v "$t" >/dev/null || { echo "1..0 # SKIP $t not installed"; exit 0; }
done
[ -x "$VACMLAB" ] || { echo "1..0 # SKIP no vacmlab binary at $VACMLAB"; exit 0; }

dir=$(mktemp -d /tmp/vacmlab-05-image-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$top/tests/images/make-fixtures.sh" "$dir" >&2
ok $? "fixtures made in $dir"

# run ARGS...: sets rc, out, err. Bounded: a crafted image (or a FIFO) that
# made vacmlab hang would end as rc 124 and fail the case.
run() {
	out=$(timeout 20 "$VACMLAB" "$@" 2>"$dir/stderr")
	rc=$?
	err=$(cat "$dir/stderr")
}

# expect_rc WANT DESC: checks the last run's exit status.
expect_rc() {
	[ "$rc" -eq "$1" ]
	ok $? "$2: exit $1 (got $rc)"
	[ "$rc" -eq "$1" ] || { echo "# stdout: $out" | head -20; echo "# stderr: $err"; }
}

# has HAYSTACK NEEDLE DESC: fixed-string match.
has() {
	grep -qF -- "$2" <<<"$1"
	ok $? "$3"
	grep -qF -- "$2" <<<"$1" || { echo "# want: $2"; echo "# got:  $1" | head -20; }
}

# A base image naming another file is refused, naming it (the whole story,
# with a real guest, is tests/15-hostile-image.t).
unset VACMLAB_ALLOW_BACKING
run image info "$dir/overlay.qcow2"
expect_rc 2 "image info overlay.qcow2 without VACMLAB_ALLOW_BACKING"
has "$err" "vacmlab: error: $dir/overlay.qcow2: names a backing file 'good.qcow2' ($dir/good.qcow2): refused" \
	"overlay.qcow2: refused, naming the backing file"
run image info "$dir/datafile.qcow2"
expect_rc 2 "image info datafile.qcow2 without VACMLAB_ALLOW_BACKING"
has "$err" "names an external data file '$dir/datafile.data'" "datafile.qcow2: refused, naming the data file"
# The reader's handling of chains (read through, loops, depth) below: allowed.
export VACMLAB_ALLOW_BACKING=1

# A VACM-shaped image: human and JSON.
for f in good.qcow2 compressed.qcow2 v2.qcow2 extl2.qcow2 overlay.qcow2 overlay-raw.qcow2; do
	run image info "$dir/$f"
	expect_rc 0 "image info $f"
	has "$out" "Verdict: VACM-shaped image" "$f: verdict"
done
run image info "$dir/good.qcow2"
has "$out" "QCOW2 version 3, virtual size 64 MiB (67108864 bytes), cluster 64 KiB" "good: header line"
has "$out" "disk signature 0x5ac0ffee, boot code present" "good: MBR line"
has "$out" "/etc/config" "good: role column"
has "$out" "sda4 " "good: sda4 listed"

run image info --json "$dir/good.qcow2"
expect_rc 0 "image info --json good.qcow2"
jq -e '.vacm_shaped == true and .version == 3 and .virtual_size == 67108864
	and .cluster_size == 65536 and .compressed == false and .backing_file == null
	and .mbr.signature_55aa and .mbr.boot_code and .mbr.disk_signature == "0x5ac0ffee"
	and (.partitions | length) == 4 and .partition_count == 4
	and ([.partitions[].type] == [12, 218, 131, 131])
	and ([.partitions[].start_lba] == [2048, 18432, 51200, 67584])
	and .partitions[0].boot and (.partitions[1].boot | not)
	and .partitions[2].role == "/etc/config" and .partitions[3].role == "/var/mnt/nvlog"
	and .problems == []' <<<"$out" >/dev/null
ok $? "good.qcow2 --json: header, MBR, partitions, roles"

run image info "$dir/compressed.qcow2" --json
expect_rc 0 "image info compressed.qcow2 --json (option after IMAGE)"
jq -e '.compressed and .clusters.compressed > 0 and .vacm_shaped' <<<"$out" >/dev/null
ok $? "compressed.qcow2: compressed clusters reported as a fact"
run image info "$dir/compressed.qcow2"
has "$out" "compressed:   yes" "compressed.qcow2: human output says so"

run image info --json "$dir/overlay.qcow2"
jq -e '.backing_file == "good.qcow2" and .backing_format == "qcow2" and .backing_depth == 1
	and .vacm_shaped' <<<"$out" >/dev/null
ok $? "overlay.qcow2: backing file named and read through"
run image info "$dir/overlay.qcow2"
has "$out" "backing file: good.qcow2 (format qcow2" "overlay.qcow2: human output names the backing file"

# Images that cannot be read: exit 2, one specific message on stderr.
expect_error() { # FILE MESSAGE
	run image info "$dir/$1"
	expect_rc 2 "image info $1"
	has "$err" "vacmlab: error: $dir/$1: $2" "$1: message"
	[ -z "$out" ]
	ok $? "$1: nothing on stdout"
	run image info --json "$dir/$1"
	expect_rc 2 "image info --json $1"
	jq -e --arg m "$2" '.vacm_shaped == false and (.error | startswith($m))' <<<"$out" >/dev/null
	ok $? "$1 --json: .error"
}
expect_error raw.img 'not a QCOW2 image (no QFI\xfb magic): looks like a raw disk image; convert it with qemu-img convert -O qcow2'
expect_error empty.img 'empty file (0 bytes): not a disk image'
expect_error truncated.qcow2 'truncated QCOW2: the cluster for guest offset 0x'
expect_error truncated-header.qcow2 'truncated QCOW2 header: the file has 50 bytes, a header needs at least 72'
expect_error l1-misaligned.qcow2 'corrupt L1 table: offset 0x30008 is not aligned to a cluster (65536 bytes)'
expect_error l1-beyond.qcow2 'corrupt L1 table offset: the L1 table at 0x100000000000 lies beyond the end of the file'
expect_error l1-absurd.qcow2 'corrupt L1 table: 4294967295 entries is absurd'
expect_error overlay-missing.qcow2 "backing file $dir/gone.qcow2: cannot open: No such file or directory"
expect_error nonexistent.qcow2 'cannot open: No such file or directory'

# Crafted images: refused at once, each with a message naming the problem.
expect_error cluster-bits.qcow2 'corrupt QCOW2 header: cluster_bits 255 (must be 9 to 21)'
expect_error cluster-bits-64.qcow2 'corrupt QCOW2 header: cluster_bits 64 (must be 9 to 21)'
expect_error l1-huge.qcow2 'truncated QCOW2: the L1 table (0x30000-0x430000) runs beyond the end of the file'
expect_error l2-beyond.qcow2 'corrupt L1 table: the L2 table for guest bytes 0x0-0x20000000 lies at 0x100000000000, beyond the end of the file'
expect_error refcount-beyond.qcow2 'corrupt refcount table offset: the refcount table (0x100000000000-0x100000010000) runs beyond the end of the file'
expect_error snapshot-beyond.qcow2 'corrupt snapshot table: offset 0x100000000000 is beyond the end of the file'
expect_error snapshots-absurd.qcow2 "corrupt QCOW2 header: 4294967295 snapshots (QEMU's limit is 65536)"
expect_error backing-name-beyond.qcow2 'corrupt QCOW2 header: the backing file name at byte 17592186044416 lies beyond the end of the file'
expect_error loop.qcow2 "backing file $dir/loop.qcow2: the backing chain loops: this is $dir/loop.qcow2 again"
expect_error self.qcow2 "backing file $dir/self.qcow2: the backing chain loops: this is $dir/self.qcow2 again"
expect_error chain9.qcow2 "backing file $dir/chain0.qcow2: the backing chain is more than 8 files deep"
expect_error fifo.img 'is a FIFO, not a disk image (a regular file or block device)'
expect_error zero.img 'is a character device, not a disk image (a regular file or block device)'
expect_error adir.qcow2 'is a directory, not a disk image'
run image info "$dir/l1-huge-sparse.qcow2"
expect_rc 0 "image info l1-huge-sparse.qcow2 (4194304 L1 entries inside the file: valid)"

# Readable but not VACM-shaped: exit 2, every difference listed.
expect_problem() { # FILE PROBLEM
	run image info "$dir/$1"
	expect_rc 2 "image info $1"
	has "$out" "Verdict: NOT VACM-shaped:" "$1: verdict"
	has "$out" "  - $2" "$1: difference listed"
	run image info --json "$dir/$1"
	expect_rc 2 "image info --json $1"
	jq -e --arg m "$2" '.vacm_shaped == false and (.problems | index($m)) != null' <<<"$out" >/dev/null
	ok $? "$1 --json: .problems has it"
}
expect_problem two-partitions.qcow2 'only 2 partitions: sda3 (/etc/config) and sda4 (nvlog) missing'
expect_problem no-signature.qcow2 'no MBR: bytes 510-511 are 00 00, not the 55 AA boot signature'
expect_problem no-bootcode.qcow2 'no boot code: MBR bytes 0-439 are all zero, the BIOS cannot boot this disk'
expect_problem overlap.qcow2 'sda1 (sectors 2048-18431) and sda2 (sectors 4096-36863) overlap'
run image info --json "$dir/two-partitions.qcow2"
jq -e '.partition_count == 2 and (.partitions[2].present | not) and (.partitions[3].present | not)' <<<"$out" >/dev/null
ok $? "two-partitions.qcow2 --json: sda3 and sda4 absent"

# Usage.
run image
expect_rc 1 "image with no subcommand"
run image frob x
expect_rc 1 "image frob"
has "$err" "unknown subcommand 'frob'" "image frob: says so"
run image info
expect_rc 1 "image info with no IMAGE"
run image info --bogus x
expect_rc 1 "image info --bogus"
run image info --help
expect_rc 0 "image info --help"
has "$out" "Exit status:" "--help documents the exit status"

# `up` runs the same check on every image before it starts anything: each
# bad image gets the same specific error, exit 2, and nothing is created.
export VACMLAB_RUNTIME_DIR=$dir/run VACMLAB_STATE_DIR=$dir/state
k=0
up_refuses() { # FILE MESSAGE
	k=$((k + 1))
	printf '[lab]\nname = img%d\n[node n1]\nimage = %s\nready = none\n' "$k" "$dir/$1" >"$dir/up$k.conf"
	run up "$dir/up$k.conf"
	expect_rc 2 "up with $1"
	has "$err" "node n1: $dir/$1: $2" "up with $1: the same specific message, naming the node"
	[ ! -e "$dir/run/img$k" ] && [ ! -e "$dir/state/img$k" ]
	ok $? "up with $1: no runtime or state dir was made"
}
up_refuses raw.img 'not a QCOW2 image (no QFI\xfb magic)'
up_refuses empty.img 'empty file (0 bytes): not a disk image'
up_refuses truncated.qcow2 'truncated QCOW2: the cluster for guest offset 0x'
up_refuses l1-beyond.qcow2 'corrupt L1 table offset'
up_refuses two-partitions.qcow2 'not VACM-shaped: only 2 partitions: sda3 (/etc/config) and sda4 (nvlog) missing'
up_refuses no-signature.qcow2 'no MBR: bytes 510-511 are 00 00, not the 55 AA boot signature'
# A FIFO is refused by the topology check already (stat, no open).
k=$((k + 1))
printf '[lab]\nname = img%d\n[node n1]\nimage = %s\nready = none\n' "$k" "$dir/fifo.img" >"$dir/up$k.conf"
run up "$dir/up$k.conf"
expect_rc 2 "up with fifo.img"
has "$err" "image '$dir/fifo.img' is not a regular file" "up with fifo.img: refused, without blocking"
up_refuses chain9.qcow2 "backing file $dir/chain0.qcow2: the backing chain is more than 8 files deep"

# The real stand-in (or a real image.bin), when built.
if [ -e "$top/images/image.bin" ]; then
	t0=$(date +%s%N)
	run image info --json "$top/images/image.bin"
	t1=$(date +%s%N)
	expect_rc 0 "image info images/image.bin"
	jq -e '.vacm_shaped and .partition_count == 4 and .mbr.boot_code' <<<"$out" >/dev/null
	ok $? "images/image.bin: VACM-shaped with four partitions"
	echo "# image info images/image.bin took $(( (t1 - t0) / 1000000 )) ms"
else
	skip "images/image.bin not built (make appliance)"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
