#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the stand-in VACM appliance image (QCOW2) from Debian packages,
# rootless: no mount, no loop device, no root. Usage: build.sh OUTPUT.
# APPLIANCE_VERSION=V (letters, digits, '.', '_', '-') stamps "version=V"
# into the firmware blob on sda2; the guest reads it from there and shows
# it (ready line, /etc/issue, web page). Unset: no version, as before.
# The layout (MBR + 4 partitions) mimics the real image.bin; see
# docs/appliance.md for what the guest does and why each step is as it is.
set -euo pipefail

die() { echo "build.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: build.sh OUTPUT (e.g. images/image.bin)"
out=$1
# Never overwrite: OUTPUT may be a user's real image.bin.
if [ -e "$out" ] || [ -L "$out" ]; then
	die "refusing to overwrite existing $out (it may be a real image);" \
	    "move it away first if you want a fresh stand-in"
fi

here=$(cd "$(dirname "$0")" && pwd)
outdir=$(cd "$(dirname "$out")" && pwd) || die "no directory for $out"
cache=${APPLIANCE_CACHE:-$outdir/cache}
# Debian's generic kernel, not the cloud one: linux-image-cloud-amd64 has no
# AHCI driver (CONFIG_SATA_AHCI is not set), so on -machine q35 (AHCI) the
# guest would not see its own disk. The generic flavour has ahci, ata_piix and
# e1000 as modules, so the image works on q35 and on the default pc machine.
flavour=${APPLIANCE_KERNEL_FLAVOUR:-amd64}
version=${APPLIANCE_VERSION:-}
case $version in
*[!A-Za-z0-9._-]*) die "APPLIANCE_VERSION must be letters, digits, '.', '_' or '-'" ;;
esac
mbr_bin=${SYSLINUX_MBR:-/usr/lib/syslinux/mbr/mbr.bin}

# Elapsed time in tenths of a second, from bash's EPOCHREALTIME (no bc).
now_ds() { local t=${EPOCHREALTIME/[.,]/}; echo $(( t / 100000 )); }
t0=$(now_ds)
step() {
	local d=$(( $(now_ds) - t0 ))
	printf '[%4d.%ds] %s\n' $(( d / 10 )) $(( d % 10 )) "$*"
}

for tool in apt-get dpkg busybox cpio gzip sfdisk mkfs.fat mcopy syslinux \
	    mke2fs qemu-img dd "${CC:-cc}"; do
	command -v "$tool" >/dev/null || die "missing tool: $tool"
done
# grep reads the whole list: with pipefail, -q would let busybox die of
# SIGPIPE when grep stops at the match early (seen under load).
busybox --list | grep -x udhcpc >/dev/null || die "busybox lacks udhcpc: install busybox-static"
! ldd "$(command -v busybox)" >/dev/null 2>&1 ||
	die "busybox must be static (Debian package busybox-static)"
[ -r "$mbr_bin" ] || die "no syslinux MBR code at $mbr_bin (package syslinux-common)"

work=$(mktemp -d "${TMPDIR:-/tmp}/vacm-standin.XXXXXX")
trap 'rm -rf "$work"' EXIT

# 1. The kernel package: resolve the metapackage to the real one, download
# it once into the cache, unpack it with dpkg -x (never installed).
mkdir -p "$cache"
step "resolving linux-image-$flavour"
pkg=$(apt-cache depends "linux-image-$flavour" 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1) || true
deb=
if [ -n "$pkg" ]; then
	deb=$(ls -1 "$cache/${pkg}"_*.deb 2>/dev/null | sort -V | tail -n1 || true)
	if [ -z "$deb" ]; then
		step "downloading $pkg into $cache"
		# (as root, apt warns that _apt cannot write here: harmless, hidden)
		(cd "$cache" && apt-get download "$pkg" 2>&1 |
			{ grep -v '^W: Download is performed unsandboxed' || true; }) ||
			die "apt-get download $pkg failed"
		deb=$(ls -1 "$cache/${pkg}"_*.deb | sort -V | tail -n1)
	fi
else
	# No apt lists (offline): fall back to whatever the cache holds.
	deb=$(ls -1 "$cache"/linux-image-[0-9]*-"$flavour"_*.deb 2>/dev/null | sort -V | tail -n1 || true)
	[ -n "$deb" ] || die "cannot resolve linux-image-$flavour (apt-get update?) and nothing cached in $cache"
fi
step "unpacking $(basename "$deb")"
dpkg -x "$deb" "$work/k"
kver=$(ls "$work/k/lib/modules" | head -n1)
[ -n "$kver" ] && [ -f "$work/k/boot/vmlinuz-$kver" ] || die "no kernel in $deb"
kconfig=$work/k/boot/config-$kver

# 2. Modules: compute the dependency closure with busybox depmod (the .deb
# ships no modules.dep), copy only what the guest needs.
step "computing module dependencies for $kver"
busybox depmod -b "$work/k" "$kver"
moddir=$work/k/lib/modules/$kver
# pvpanic: the guest tells QEMU when its kernel panics (GUEST_PANICKED).
# xhci-pci, usb-storage, vfat and its code pages: a USB key (ZTP from USB).
want="virtio_pci virtio_net virtio_blk virtio_scsi ahci ata_piix sd_mod ext4 crc32c_generic button evdev e1000 pvpanic pvpanic-mmio xhci-pci usb-storage vfat nls_cp437 nls_utf8 nls_ascii"
root=$work/root
mkdir -p "$root/lib/modules/$kver"
loaded=
for m in $want; do
	path=$(sed -n "s#^\(.*/$m\.ko\):.*#\1#p" "$moddir/modules.dep" | head -n1)
	if [ -z "$path" ]; then
		grep -q "/$m\.ko$" "$moddir/modules.builtin" ||
			echo "  note: $m is neither a module nor built in; skipped"
		continue
	fi
	loaded="$loaded $m"
	for f in $path $(sed -n "s#^$path: *##p" "$moddir/modules.dep"); do
		mkdir -p "$root/lib/modules/$kver/$(dirname "$f")"
		cp "$moddir/$f" "$root/lib/modules/$kver/$f"
	done
done
cp "$moddir/modules.builtin" "$moddir/modules.order" "$root/lib/modules/$kver/"
busybox depmod -b "$root" "$kver"
echo "$loaded" | sed 's/^ //' > "$root/etc-modules"

# The kernel registers CONFIG_SERIAL_8250_RUNTIME_UARTS ports (4 here): a
# pci-serial-4x card needs ttyS4..ttyS7, so ask for 8 on the command line.
uarts=$(sed -n 's/^CONFIG_SERIAL_8250_RUNTIME_UARTS=//p' "$kconfig")
cmdline="console=ttyS0,115200 quiet panic=5"
if [ "${uarts:-4}" -lt 8 ]; then
	cmdline="$cmdline 8250.nr_uarts=16"
fi
# Test variants: e.g. APPLIANCE_CMDLINE_EXTRA=standin.panic builds a guest
# whose kernel panics while it boots (tests/54-vm-events.t).
cmdline="$cmdline ${APPLIANCE_CMDLINE_EXTRA:-}"

# 3. The initramfs: busybox-static, the init script and the rootfs files.
step "building the busybox initramfs"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,www,var/mnt/nvlog,etc/config,lib/modules}
mv "$root/etc-modules" "$root/etc/modules"
cp "$(command -v busybox)" "$root/bin/busybox"
for applet in $(busybox --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
cp -a "$here/rootfs/." "$root/"
cp "$here/init" "$root/init"
# UDP echo on port 7 (busybox has no UDP server): a static C program.
"${CC:-cc}" -static -Os -s -o "$root/sbin/standin-udp-echo" "$here/src/udp-echo.c" ||
	die "cannot build src/udp-echo.c (needs a C compiler and libc6-dev's libc.a)"
# The DHCPv6 client (busybox-static has no udhcpc6): a small static C
# program of its own, see src/standin-dhcp6.c and docs/appliance.md.
${CC:-cc} -static -Os -s -o "$root/sbin/standin-dhcp6" "$here/src/standin-dhcp6.c" ||
	die "cannot build standin-dhcp6 (a C compiler and static libc, package libc6-dev)"
chmod 0755 "$root/init" "$root/usr/share/udhcpc/default.script" \
	"$root/sbin/standin-powerbtn" "$root/etc/rc.shutdown" "$root/sbin/standin-ztp"
echo "$kver" > "$root/etc/standin-kernel"
# 8 MiB of counter lines 0000000..1048575: every 8-byte block unique, so a
# byte-for-byte comparison catches truncation, loss and reordering; gzip
# packs it to ~2 MiB. Its sha256 is fixed (docs/appliance.md).
big_sha=4e3cd42deee02c8d834155d92c5a993d34b468b8a278fbddb8762597d5cb8ac7
busybox seq -w 0 1048575 > "$root/www/big.bin"
echo "$big_sha  $root/www/big.bin" | sha256sum -c --quiet - ||
	die "www/big.bin does not have the documented sha256"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -9n > "$work/initrd.gz"

# 4. The disk: MBR with syslinux code, four partitions like image.bin.
# Sizes in MiB. p1 holds kernel + initramfs with room to spare.
kbytes=$(stat -c %s "$work/k/boot/vmlinuz-$kver")
ibytes=$(stat -c %s "$work/initrd.gz")
p1=$(( (kbytes + ibytes) / 1048576 + 8 ))
p2=4 p3=16 p4=16
total=$(( 1 + p1 + p2 + p3 + p4 ))
step "partitioning ${total} MiB disk: p1 boot ${p1}M, p2 firmware ${p2}M, p3 config ${p3}M, p4 nvlog ${p4}M"
disk=$work/disk.raw
truncate -s "${total}M" "$disk"
sfdisk --quiet "$disk" <<SFDISK
label: dos
unit: sectors

start=2048, size=$((p1 * 2048)), type=c, bootable
size=$((p2 * 2048)), type=da
size=$((p3 * 2048)), type=83
size=$((p4 * 2048)), type=83
SFDISK
dd if="$mbr_bin" of="$disk" bs=440 count=1 conv=notrunc status=none
part_start() { sfdisk --dump "$disk" | sed -n "s#^$disk$1 : start= *\([0-9]*\),.*#\1#p"; }

step "p1: FAT with syslinux, kernel, initramfs"
cat > "$work/syslinux.cfg" <<CFG
SERIAL 0 115200
DEFAULT standin
PROMPT 0
TIMEOUT 0
LABEL standin
  KERNEL /vmlinuz
  INITRD /initrd.gz
  APPEND $cmdline
CFG
boot=$work/p1.img
mkfs.fat -C -n VACMBOOT "$boot" $((p1 * 1024)) >/dev/null
mcopy -i "$boot" "$work/k/boot/vmlinuz-$kver" ::vmlinuz
mcopy -i "$boot" "$work/initrd.gz" ::initrd.gz
mcopy -i "$boot" "$work/syslinux.cfg" ::syslinux.cfg
# Installed into the standalone FAT image: syslinux then needs no --offset,
# and the ldlinux.sys sector list is relative to the partition start.
syslinux --install "$boot"
dd if="$boot" of="$disk" bs=512 seek="$(part_start 1)" conv=notrunc status=none

step "p2: firmware blob"
{
	if [ -n "$version" ]; then
		printf 'VACM-STANDIN-FIRMWARE version=%s kernel=%s\n' "$version" "$kver"
	else
		printf 'VACM-STANDIN-FIRMWARE kernel=%s\n' "$kver"
	fi
	head -c 65536 /dev/zero | tr '\0' '\377'
} > "$work/p2.img"
dd if="$work/p2.img" of="$disk" bs=512 seek="$(part_start 2)" conv=notrunc status=none

step "p3, p4: ext4 labelled config and nvlog"
for n in 3:config 4:nvlog; do
	idx=${n%%:*} label=${n#*:}
	off=$(( $(part_start "$idx") * 512 ))
	size_k=$(( $(eval echo "\$p$idx") * 1024 ))
	mke2fs -q -F -t ext4 -L "$label" -m 0 -E "offset=$off" "$disk" "${size_k}k"
done

step "converting to qcow2"
qemu-img convert -f raw -O qcow2 "$disk" "$work/image.qcow2"
# Final check again, and mv without clobbering: a user may have put an
# image there while we were building.
[ -e "$out" ] && die "refusing to overwrite $out (it appeared during the build)"
mv -n "$work/image.qcow2" "$out"
step "done: $out ($(stat -c %s "$out") bytes, kernel $kver)"
d=$(( $(now_ds) - t0 ))
echo "total build time: $(( d / 10 )).$(( d % 10 )) s"
