#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/boot.sh - time `vacmlab up` of two-node until both nodes are ready
# (ready = dhcp, and the default console "login:") against bare QEMU boots
# of the stand-in done by hand inside `unshare -Urn` (bridge, address,
# dnsmasq with vacmlab's own config, a tap from `ip tuntap`, QEMU with
# -netdev tap,ifname=), one guest and two guests in parallel, timed from
# QEMU start to the DHCP lease and to `login:` on the serial file. Also
# reads the supervisor's VmRSS while two-node is up. All variants run
# interleaved, REPS times; medians are printed as a table.
# Results go to bench/out/boot/.
#
# usage: bench/boot.sh [REPS]
# env:   VACMLAB=path to the binary (default build/vacmlab)
#        OUT=output dir (default bench/out/boot)
set -eu
cd "$(dirname "$0")/.."
SRC=$PWD
REPS=${1:-3}
VACMLAB=${VACMLAB:-$SRC/build/vacmlab}
OUT=${OUT:-$SRC/bench/out/boot}
IMAGE=$SRC/images/image.bin
LAB=benchboot
TIMEOUT=180
[ -f "$IMAGE" ] || { echo "boot.sh: no $IMAGE (make appliance)" >&2; exit 2; }
rm -rf "$OUT"
mkdir -p "$OUT"
export VACMLAB_RUNTIME_DIR=$OUT/run
QEMU=$(command -v qemu-system-x86_64)
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print "NA"}'; }

# two-node with an absolute image path; one copy with ready = dhcp.
sed -e "s|^image *=.*|image = $IMAGE|" -e "s|^name *=.*|name = $LAB|" topo/two-node.conf >"$OUT/console.conf"
sed -e 's|^ready *=.*|ready = dhcp|' "$OUT/console.conf" >"$OUT/dhcp.conf"

# dnsmasq config and MACs exactly as vacmlab generates them (from a
# --no-boot up), paths moved to the bare run's dir.
export VACMLAB_STATE_DIR=$OUT/state-warmup
"$VACMLAB" up --no-boot "$OUT/console.conf" >"$OUT/warmup.log" 2>&1
cp "$VACMLAB_RUNTIME_DIR/$LAB/dnsmasq.conf" "$OUT/dnsmasq.conf"
"$VACMLAB" down "$LAB" >>"$OUT/warmup.log" 2>&1 || true
sed -i -e "s|^dhcp-leasefile=.*|dhcp-leasefile=$OUT/bare/leases|" -e "s|^pid-file=.*|pid-file=$OUT/bare/dnsmasq.pid|" \
	-e "s|^log-facility=.*|log-facility=$OUT/bare/dnsmasq.log|" "$OUT/dnsmasq.conf"
mapfile -t MACS < <(sed -n 's/^dhcp-host=\([0-9a-f:]*\),.*/\1/p' "$OUT/dnsmasq.conf")
[ "${#MACS[@]}" -ge 2 ] || { echo "boot.sh: no MACs in the generated dnsmasq config" >&2; exit 2; }

# The bare boot, inside unshare -Urn. $1 = number of guests (1 or 2).
# Prints: lease_ms N (all leases seen), login_ms N (all `login:` seen),
# both from the start of the first QEMU.
cat >"$OUT/bare.sh" <<EOF
#!/bin/bash
set -eu
n=\$1 d=$OUT/bare
rm -rf "\$d"; mkdir -p "\$d"
ip link set lo up
ip link add lan type bridge
ip addr add 192.168.0.254/24 dev lan
ip link set lan up
for ((i = 0; i < n; i++)); do
	ip tuntap add mode tap vnet_hdr name tap\$i
	ip link set tap\$i master lan up
	qemu-img create -q -f qcow2 -F qcow2 -b "$IMAGE" "\$d/g\$i.qcow2"
done
"$DNSMASQ" --keep-in-foreground --conf-file=$OUT/dnsmasq.conf --user=root --group= --port=53 &
dns=\$!
macs=(${MACS[*]})
t0=\${EPOCHREALTIME/./}
for ((i = 0; i < n; i++)); do
	"$QEMU" -machine q35 -accel tcg -nodefaults -display none -m 256 \\
		-serial file:\$d/g\$i.serial \\
		-drive file=\$d/g\$i.qcow2,format=qcow2,if=ide \\
		-netdev tap,id=n0,ifname=tap\$i,script=no,downscript=no \\
		-device virtio-net-pci,netdev=n0,mac=\${macs[i]} 2>\$d/g\$i.qemu.log &
	q[i]=\$!
done
lease= login= end=\$((SECONDS + $TIMEOUT))
while [ -z "\$login" ] && [ \$SECONDS -lt \$end ]; do
	if [ -z "\$lease" ]; then
		k=0; for ((i = 0; i < n; i++)); do grep -qi "\${macs[i]}" \$d/leases 2>/dev/null && k=\$((k + 1)); done
		[ \$k = \$n ] && lease=\${EPOCHREALTIME/./}
	fi
	k=0; for ((i = 0; i < n; i++)); do grep -q 'login:' \$d/g\$i.serial 2>/dev/null && k=\$((k + 1)); done
	[ \$k = \$n ] && login=\${EPOCHREALTIME/./}
	sleep 0.02
done
[ -n "\$lease" ] && echo "lease_ms \$(( (lease - t0) / 1000 ))"
[ -n "\$login" ] && echo "login_ms \$(( (login - t0) / 1000 ))"
kill "\${q[@]}" \$dns 2>/dev/null || true
wait || true
EOF
chmod +x "$OUT/bare.sh"

run_bare() { # n
	local log=$OUT/bare$1.log
	echo "--- bare $1" >>"$log"
	unshare -Urn "$OUT/bare.sh" "$1" >"$log.tmp" 2>&1 || true
	cat "$log.tmp" >>"$log"
	echo "bare$1 lease $(awk '/^lease_ms/ {print $2}' "$log.tmp")" >>"$OUT/res"
	echo "bare$1 login $(awk '/^login_ms/ {print $2}' "$log.tmp")" >>"$OUT/res"
	cp "$OUT/bare/g0.serial" "$OUT/bare$1-g0.serial.last" 2>/dev/null || true
}

run_vacmlab() { # dhcp|console rep
	local kind=$1 log=$OUT/vacmlab-$1.log t0 t1 pid rss rc=0
	export VACMLAB_STATE_DIR=$OUT/state-$kind-$2
	echo "--- vacmlab $kind rep $2" >>"$log"
	t0=$(now_ms)
	"$VACMLAB" up "$OUT/$kind.conf" >>"$log" 2>&1 || rc=$?
	t1=$(now_ms)
	pid=$(pgrep -f -n "up $OUT/$kind.conf" || true)
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo NA)
	"$VACMLAB" down "$LAB" >>"$log" 2>&1 || echo "down failed: $?" >>"$log"
	cat "$VACMLAB_STATE_DIR/$LAB/logs/supervisor.log" >>"$log" 2>/dev/null || true
	if [ $rc = 0 ]; then
		echo "vacmlab-$kind up $((t1 - t0))" >>"$OUT/res"
		echo "vacmlab-$kind rss_kb $rss" >>"$OUT/res"
	else
		echo "vacmlab up failed ($rc)" >>"$log"
	fi
}

: >"$OUT/res"
for ((r = 1; r <= REPS; r++)); do
	echo "rep $r/$REPS" >&2
	run_vacmlab dhcp "$r"
	run_bare 1
	run_vacmlab console "$r"
	run_bare 2
done

m() { awk -v k="$1" -v f="$2" '$1 == k && $2 == f {print $3}' "$OUT/res" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0 && a != "NA") printf "%.2fx", a / b; else print "NA"}'; }
vd=$(m vacmlab-dhcp up) vc=$(m vacmlab-console up)
b1l=$(m bare1 lease) b1c=$(m bare1 login) b2l=$(m bare2 lease) b2c=$(m bare2 login)
{
	echo "boot: two-node (stand-in, TCG, 256 MiB, 1 vCPU each); $REPS reps, medians"
	echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "vacmlab: $("$VACMLAB" --version 2>/dev/null | head -1)"
	echo
	printf '%-44s %9s %11s %11s\n' "variant" "median ms" "vs 1 bare" "vs 2 bare"
	printf '%-44s %9s %11s %11s\n' "vacmlab up two-node, ready = dhcp" "$vd" "$(ratio "$vd" "$b1l")" "$(ratio "$vd" "$b2l")"
	printf '%-44s %9s %11s %11s\n' "bare QEMU, 1 guest, start -> lease" "$b1l" "" ""
	printf '%-44s %9s %11s %11s\n' "bare QEMU, 2 guests, start -> both leases" "$b2l" "" ""
	printf '%-44s %9s %11s %11s\n' "vacmlab up two-node, ready = console login:" "$vc" "$(ratio "$vc" "$b1c")" "$(ratio "$vc" "$b2c")"
	printf '%-44s %9s %11s %11s\n' "bare QEMU, 1 guest, start -> login:" "$b1c" "" ""
	printf '%-44s %9s %11s %11s\n' "bare QEMU, 2 guests, start -> both login:" "$b2c" "" ""
	echo
	echo "supervisor VmRSS with two-node up (median): ready=dhcp $(m vacmlab-dhcp rss_kb) kB, ready=console $(m vacmlab-console rss_kb) kB"
	echo "raw runs (ms): $(tr '\n' ';' <"$OUT/res")"
} | tee "$OUT/summary.txt"
