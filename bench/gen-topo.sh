#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/gen-topo.sh - write the benchmark topology to stdout: LANS LANs (each
# a /24 with a dhcp range) and NODES nodes with NICS NICs each; node i NIC j
# sits on LAN (NICS*i+j) mod LANS with a fixed address.
# usage: gen-topo.sh NAME IMAGE [LANS NODES NICS]   (default 200 125 8)
set -eu
name=$1 image=$2 lans=${3:-200} nodes=${4:-125} nics=${5:-8}
printf '[lab]\nname = %s\n\n' "$name"
for ((l = 0; l < lans; l++)); do
	a=$((l / 250 + 20)) b=$((l % 250))
	printf '[lan l%d]\nsubnet = 10.%d.%d.0/24\naddress = 10.%d.%d.254\n' \
		"$l" "$a" "$b" "$a" "$b"
	printf 'dhcp = 10.%d.%d.100-10.%d.%d.199\n\n' "$a" "$b" "$a" "$b"
done
for ((i = 0; i < nodes; i++)); do
	printf '[node n%d]\nimage = %s\nready = none\n' "$i" "$image"
	for ((j = 0; j < nics; j++)); do
		g=$((nics * i + j)) l=$((g % lans)) slot=$((g / lans))
		printf 'nic = l%d 10.%d.%d.%d\n' "$l" $((l / 250 + 20)) $((l % 250)) $((11 + slot))
	done
	echo
done
