#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build-image.sh - build the container image `vacmlab kube` runs
# (docs/kubernetes.md) from Debian packages only, with no registry:
#  1. a minimal Debian root made with mmdebstrap (variant essential plus
#     what a lab runs: QEMU, dnsmasq, passt, iproute2, nftables, jq and the
#     libraries the built vacmlab links), a user vacmlab (uid 1000),
#     cached as CACHE/base-KEY.tar, KEY a hash of this script and the list;
#  2. `podman import` of that tarball as localhost/vacmlab-base:KEY;
#  3. `podman build` of contrib/kube/Containerfile on top of it: the
#     binary, the user, the entry point.
# usage: build-image.sh [--cache DIR] [--tag IMAGE] [--print-tag] BINARY
# Prints the image's name on the last line. Runs as root (mmdebstrap and
# rootful podman); the mirror is the one apt is configured with.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vacmlab-kube
tag=
print_tag=false
while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=$2; shift 2 ;;
	--tag) tag=$2; shift 2 ;;
	--print-tag) print_tag=true; shift ;;
	-h | --help) sed -n '3,16p' "$0"; exit 0 ;;
	-*) echo "build-image.sh: unknown option $1" >&2; exit 1 ;;
	*) break ;;
	esac
done
[ $# = 1 ] || { echo "usage: build-image.sh [--cache DIR] [--tag IMAGE] [--print-tag] BINARY" >&2; exit 1; }
bin=$(realpath "$1")
[ -x "$bin" ] || { echo "build-image.sh: $1: not an executable" >&2; exit 1; }

# The Debian packages of the libraries the binary links (usrmerge: a path
# under /lib may be known to dpkg as /usr/lib, or the other way round).
libpkgs() {
	local lib p
	for lib in $(ldd "$bin" | awk '/=> \//{print $3}'); do
		p=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(realpath "$lib")" 2>/dev/null ||
			dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null) ||
			{ echo "build-image.sh: no Debian package has $lib" >&2; exit 1; }
		echo "${p%%:*}"
	done | sort -u
}
pkgs="qemu-system-x86 qemu-utils dnsmasq-base passt iproute2 nftables jq procps $(libpkgs | tr '\n' ' ')"
key=$( { cat "$0" "$here/Containerfile"; echo "$pkgs"; } | sha256sum | cut -c1-16)
binkey=$(sha256sum "$bin" | cut -c1-16)
[ -n "$tag" ] || tag=localhost/vacmlab:$binkey
if $print_tag; then echo "$tag"; exit 0; fi
base=localhost/vacmlab-base:$key
mkdir -p "$cache"

if ! podman image exists "$base"; then
	if [ ! -s "$cache/base-$key.tar" ]; then
		t0=$SECONDS
		echo "== mmdebstrap: $pkgs" >&2
		# essential (no apt, no init) plus the lab's packages and what
		# they depend on, never what they only recommend.
		mmdebstrap --variant=essential --mode=root --format=tar \
			--aptopt='APT::Install-Recommends "false"' \
			--include="$(echo $pkgs | tr ' ' ,)" \
			--customize-hook='echo "vacmlab:x:1000:1000:vacmlab:/home/vacmlab:/bin/sh" >>"$1/etc/passwd"' \
			--customize-hook='echo "vacmlab:x:1000:" >>"$1/etc/group"' \
			--customize-hook='mkdir -p "$1/home/vacmlab" && chown 1000:1000 "$1/home/vacmlab"' \
			--customize-hook='rm -rf "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/usr/share/locale/* "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
			bookworm "$cache/base-$key.tar.tmp" >&2
		mv "$cache/base-$key.tar.tmp" "$cache/base-$key.tar"
		echo "== the Debian root took $((SECONDS - t0)) s ($(du -h "$cache/base-$key.tar" | cut -f1))" >&2
	fi
	podman import "$cache/base-$key.tar" "$base" >/dev/null
fi

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$bin" "$ctx/vacmlab"
cp "$here/Containerfile" "$ctx/Containerfile"
podman build -q --pull=never --build-arg BASE="$base" -t "$tag" -f "$ctx/Containerfile" "$ctx" >/dev/null
echo "$tag"
