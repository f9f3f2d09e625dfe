#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/netbuild.sh - time `vacmlab up --no-boot` + `vacmlab down` of a big
# generated topology (default 200 LANs, 125 nodes x 8 NICs = 1000 taps)
# against shell scripts that build the same network inside `unshare -Urn`:
# one `ip` per object, and one `ip -batch` file. Each script also runs in a
# variant that starts one dnsmasq per LAN ("whole thing"; the configs are
# vacmlab's own, split per LAN: see below). vacmlab itself runs one dnsmasq
# for the whole lab. All variants run interleaved, REPS times each;
# medians are printed as a table. Results and logs go to bench/out/netbuild/.
#
# usage: bench/netbuild.sh [REPS [LANS NODES NICS]]
# env:   VACMLAB=path to the binary (default build/vacmlab)
#        OUT=output dir (default bench/out/netbuild)
#        SETTLE=max seconds to wait between runs (default 30): a dead
#        namespace's links are freed asynchronously by the kernel, in one
#        batch that holds the global RTNL lock for seconds (4.4 s measured
#        for 1200 links); the next run starts once an RTNL request in a
#        probe namespace is fast again.
set -eu
cd "$(dirname "$0")/.."
SRC=$PWD
REPS=${1:-3} LANS=${2:-200} NODES=${3:-125} NICS=${4:-8}
VACMLAB=${VACMLAB:-$SRC/build/vacmlab}
SETTLE=${SETTLE:-30}
OUT=${OUT:-$SRC/bench/out/netbuild}
LAB=benchnet
rm -rf "$OUT"
mkdir -p "$OUT"/dns "$OUT"/s
export VACMLAB_RUNTIME_DIR=$OUT/run VACMLAB_STATE_DIR=$OUT/state
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)

# Wait (bounded) until the kernel has finished freeing earlier namespaces:
# two consecutive `ip link set lo mtu` in a probe namespace under 15 ms.
settle() {
	unshare -Urn bash -c 'ok=0; end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ] && [ $ok -lt 2 ]; do
		a=${EPOCHREALTIME/./}; ip link set lo mtu 60000; b=${EPOCHREALTIME/./}
		if [ $(( (b - a) / 1000 )) -lt 15 ]; then ok=$((ok + 1)); else ok=0; fi
		sleep 0.5
	done' settle "$SETTLE"
}
now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print "NA"}'; }

bench/gen-topo.sh "$LAB" "$SRC/tests/topo/fake.img" "$LANS" "$NODES" "$NICS" >"$OUT/topo.conf"
nlinks=$((LANS + NODES * NICS))

# --- the scripts -----------------------------------------------------------
# The same objects and order as the supervisor: per LAN bridge, address,
# up; per NIC a tap enslaved and brought up.
awk '
/^\[lan /   { lan = $2; sub(/\]/, "", lan) }
/^address/  { printf "link add %s type bridge\naddr add %s/24 dev %s\nlink set %s up\n", lan, $3, lan, lan }
/^\[node /  { node = $2; sub(/\]/, "", node); nic = 0 }
/^nic/      { t = node "-" nic++; printf "tuntap add mode tap name %s\nlink set %s master %s up\n", t, t, $3 }
' "$OUT/topo.conf" >"$OUT/net.batch"
sed 's/^/ip /' "$OUT/net.batch" >"$OUT/net-ip.sh"

# dnsmasq configs: exactly what vacmlab generates (captured from a first
# up, which also warms caches), with the file paths moved to $OUT/s.
"$VACMLAB" up --no-boot "$OUT/topo.conf" >"$OUT/warmup.log" 2>&1
# The baseline keeps the design vacmlab had before one dnsmasq served the
# whole lab: one dnsmasq per LAN, each bound to its own bridge with its own
# range and options, every one carrying all the lab's names. Split the lab's
# one config (its "# LAN NAME" blocks) into those per-LAN configs.
awk -v dir="$OUT/dns" '
/^interface=/ { next }
/^# LAN / { lan = $3; order[++n] = lan; cur = lan; next }
/^host-record=|^dhcp-host=/ { tail = tail $0 "\n"; cur = ""; next }
cur != "" { block[cur] = block[cur] $0 "\n"; next }
{ head = head $0 "\n" }
END {
	for (i = 1; i <= n; i++) {
		f = dir "/dnsmasq-" order[i] ".conf"
		h = head
		gsub(/dnsmasq\.leases/, "dnsmasq-" order[i] ".leases", h)
		gsub(/dnsmasq\.pid/, "dnsmasq-" order[i] ".pid", h)
		gsub(/dnsmasq\.log/, "dnsmasq-" order[i] ".log", h)
		printf "interface=%s\n%s%s%s", order[i], h, block[order[i]], tail > f
		close(f)
	}
}' "$VACMLAB_RUNTIME_DIR/$LAB/dnsmasq.conf"
"$VACMLAB" down "$LAB" >>"$OUT/warmup.log" 2>&1 || true
settle
sed -i -e "s|^dhcp-leasefile=.*/|dhcp-leasefile=$OUT/s/|" -e "s|^pid-file=.*/|pid-file=$OUT/s/|" \
	-e "s|^log-facility=.*/|log-facility=$OUT/s/|" "$OUT"/dns/*.conf
ls "$OUT"/dns/*.conf >"$OUT/dns.list"

# Runs inside unshare -Urn. $1 = ip | batch, $2 = net | full.
cat >"$OUT/inner.sh" <<EOF
#!/bin/bash
set -e
t0=\${EPOCHREALTIME/./}
ip link set lo up
if [ "\$1" = ip ]; then . "$OUT/net-ip.sh"; else ip -batch "$OUT/net.batch"; fi
t1=\${EPOCHREALTIME/./}
echo "net_ms \$(( (t1 - t0) / 1000 ))"
[ "\$2" = full ] || exit 0
rm -f "$OUT"/s/*
while read -r c; do
	"$DNSMASQ" --keep-in-foreground --conf-file="\$c" --user=root --group= --port=53 &
done <"$OUT/dns.list"
t2=\${EPOCHREALTIME/./}
echo "dns_ms \$(( (t2 - t1) / 1000 ))"
kill \$(jobs -p)
wait || true
EOF
chmod +x "$OUT/inner.sh"

# --- one run of each kind --------------------------------------------------
run_script() { # kind mode -> appends to $OUT/res
	local kind=$1 mode=$2 t0 t1 log=$OUT/$1-$2.log
	t0=$(now_ms)
	unshare -Urn "$OUT/inner.sh" "$kind" "$mode" >"$log.tmp" 2>&1
	t1=$(now_ms)
	cat "$log.tmp" >>"$log"
	echo "$kind-$mode net $(awk '/^net_ms/ {print $2}' "$log.tmp")" >>"$OUT/res"
	if [ "$mode" = full ]; then
		echo "$kind-$mode dns $(awk '/^dns_ms/ {print $2}' "$log.tmp")" >>"$OUT/res"
		echo "$kind-$mode total $((t1 - t0))" >>"$OUT/res"
	fi
	return 0
}

run_vacmlab() {
	local t0 t1 t2 t3 log=$OUT/vacmlab.log slog=$VACMLAB_STATE_DIR/$LAB/logs/supervisor.log pid rss
	t0=$(now_ms)
	"$VACMLAB" up --no-boot "$OUT/topo.conf" >>"$log" 2>&1
	t1=$(now_ms)
	pid=$(pgrep -f -n "up --no-boot $OUT/topo.conf" || true)
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo NA)
	# the supervisor's own file limit, and its open fds (taps included)
	echo "supervisor pid $pid fds $(ls "/proc/$pid/fd" 2>/dev/null | wc -l) $(grep 'open files' "/proc/$pid/limits" 2>/dev/null)" >>"$log"
	t2=$(now_ms)
	"$VACMLAB" down "$LAB" >>"$log" 2>&1 || echo "down failed: $?" >>"$log"
	t3=$(now_ms)
	{
		echo "vacmlab net $(sed -n 's/^phase network: \([0-9]*\) ms.*/\1/p' "$slog" | tail -1)"
		echo "vacmlab dns $(sed -n 's/^phase dnsmasq: \([0-9]*\) ms.*/\1/p' "$slog" | tail -1)"
		echo "vacmlab up $((t1 - t0))"
		echo "vacmlab down $((t3 - t2))"
		echo "vacmlab total $((t1 - t0 + t3 - t2))"
		echo "vacmlab rss_kb $rss"
	} >>"$OUT/res"
	cat "$slog" >>"$log"
}

: >"$OUT/res"
for ((r = 1; r <= REPS; r++)); do
	echo "rep $r/$REPS" >&2
	for k in vacmlab ip-net batch-net ip-full batch-full; do
		case $k in
		vacmlab) run_vacmlab ;;
		*) run_script "${k%-*}" "${k#*-}" ;;
		esac
		settle
	done
done

m() { awk -v k="$1" -v f="$2" '$1 == k && $2 == f {print $3}' "$OUT/res" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a > 0 && b != "NA") printf "%.1fx", b / a; else print "NA"}'; }
vn=$(m vacmlab net) in=$(m ip-net net) bn=$(m batch-net net)
vt=$(m vacmlab total) it=$(m ip-full total) bt=$(m batch-full total)
{
	echo "netbuild: $LANS LANs, $NODES nodes x $NICS NICs = $nlinks links; $REPS reps, medians"
	echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "vacmlab: $("$VACMLAB" --version 2>/dev/null | head -1)"
	echo
	printf '%-34s %10s %14s\n' "variant" "median ms" "vacmlab faster"
	printf '%-34s %10s %14s\n' "network only: vacmlab (phase)" "$vn" ""
	printf '%-34s %10s %14s\n' "network only: one ip per object" "$in" "$(ratio "$vn" "$in")"
	printf '%-34s %10s %14s\n' "network only: ip -batch" "$bn" "$(ratio "$vn" "$bn")"
	printf '%-34s %10s %14s\n' "whole: vacmlab up + down" "$vt" ""
	printf '%-34s %10s %14s\n' "whole: one ip per object + dnsmasq" "$it" "$(ratio "$vt" "$it")"
	printf '%-34s %10s %14s\n' "whole: ip -batch + dnsmasq" "$bt" "$(ratio "$vt" "$bt")"
	echo
	echo "vacmlab parts (median ms): up $(m vacmlab up), down $(m vacmlab down), dnsmasq phase $(m vacmlab dns);" \
		"scripts' dnsmasq start: one-ip $(m ip-full dns), batch $(m batch-full dns)"
	echo "supervisor VmRSS with the lab up: $(m vacmlab rss_kb) kB"
	echo "raw runs (ms): $(tr '\n' ';' <"$OUT/res")"
} | tee "$OUT/summary.txt"
