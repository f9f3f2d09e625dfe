#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guests that die are seen at once, retries, the boot queue (boot_parallel,
# after =), the memory check, ready = dhcp means reachable (the KVM
# fallback: 55-kvm.t). Real QEMU guests: the stand-in,
# and a build variant of it whose kernel panics while it boots
# (APPLIANCE_CMDLINE_EXTRA=standin.panic, tests/appliance/build.sh).
. "$(dirname "$0")/lib.sh"
need_image
need_cmd qemu-system-x86_64 dnsmasq jq ping
lab_env
T=$TMPDIR_TEST

# ---- a guest whose kernel panics -----------------------------------------
PANIC=$T/panic.bin
if ! APPLIANCE_CACHE=$SRCDIR/images/cache APPLIANCE_CMDLINE_EXTRA=standin.panic \
	"$SRCDIR/tests/appliance/build.sh" "$PANIC" > "$T/build.log" 2>&1; then
	tail -n 20 "$T/build.log" | sed 's/^/# /'
	skip_all "could not build the panicking stand-in variant"
fi

cat > "$T/panic.conf" <<EOF
[lab]
name = vmev-panic
[lan lan]
subnet = 10.54.0.0/24
[node p1]
image = $PANIC
nic = lan 10.54.0.11
timeout = 120
EOF
t0=$SECONDS
out=$(lab_up "$T/panic.conf" 2>&1); rc=$?
took=$((SECONDS - t0))
is "$rc" 3 "a guest that panics while booting fails its node: exit 3 (a child failed)"
like "$out" "node p1: the guest kernel panicked" "the failure names the panic (GUEST_PANICKED through pvpanic)"
like "$out" "last lines of its serial console" "and shows the console's last lines"
like "$(cat "$VACMLAB_STATE_DIR/vmev-panic/logs/p1.ttyS0.log" 2>/dev/null)" "Kernel panic" \
	"whose log holds the kernel's panic"
diag "panic seen and reported after ${took} s (readiness timeout 120 s)"
ok $([ ! -d "$VACMLAB_RUNTIME_DIR/vmev-panic" ]; echo $?) "nothing of the lab is left"

# retries = 1: a second attempt, its count in status, each attempt's log kept
sed -i 's/^timeout = 120/timeout = 120\nretries = 1/' "$T/panic.conf"
lab_up "$T/panic.conf" > "$T/retry.out" 2>&1 &
upid=$!
seen=
for i in $(seq 1 600); do
	a=$("$VACMLAB" status --json vmev-panic 2>/dev/null | jq -r '.nodes[0].attempt' 2>/dev/null)
	[ "$a" = 2 ] && { seen=2; break; }
	kill -0 $upid 2>/dev/null || break
	sleep 0.2
done
wait $upid; rc=$?
is "$seen" 2 "with retries = 1, status shows attempt 2 while the node boots again"
is "$rc" 3 "both attempts panicked: exit 3"
like "$(cat "$T/retry.out")" "attempt 1 failed: .*panicked.*retrying" "up says the first attempt failed and that it retries"
ok $([ -s "$VACMLAB_STATE_DIR/vmev-panic/logs/p1.ttyS0.attempt1.log" ]; echo $?) \
	"the first attempt's console log is kept (p1.ttyS0.attempt1.log)"
like "$(cat "$VACMLAB_STATE_DIR/vmev-panic/logs/p1.ttyS0.attempt1.log" 2>/dev/null)" \
	"panicking on purpose" "and it holds that attempt's boot"

# ---- the boot queue ----------------------------------------------------------
cat > "$T/queue.conf" <<EOF
[lab]
name = vmev-queue
boot_parallel = 1
[lan lan]
subnet = 10.55.0.0/24
[node q1]
image = $IMAGE
nic = lan 10.55.0.11
ready = dhcp
[node q2]
image = $IMAGE
nic = lan 10.55.0.12
ready = dhcp
EOF
out=$(lab_up "$T/queue.conf" 2>&1); rc=$?
is "$rc" 0 "boot_parallel = 1: the lab comes up"
like "$out" "q2 +queued" "q2 waits for a boot slot"
order=$(printf '%s\n' "$out" | grep -nE 'q1 +ready|q2 +booting' | cut -d: -f2 | tr -s ' ' | cut -d' ' -f2,3 | tr '\n' ',')
like "$order" "^q1 ready,q2 booting" "q2 starts only once q1 is ready"
st=$("$VACMLAB" status --json vmev-queue)
b1=$(jq -r '.nodes[0].boot_s' <<<"$st"); u2=$(jq -r '.nodes[1].uptime_s' <<<"$st")
diag "q1 booted in ${b1} s; q2 up ${u2} s"
"$VACMLAB" down vmev-queue >/dev/null 2>&1

sed -i 's/^boot_parallel = 1$/boot_parallel = 2/; s/^ready = dhcp$/ready = dhcp/' "$T/queue.conf"
printf 'after = q2\n' >> "$T/queue.conf"      # q2's section is last: q2 after q2 is refused
out=$("$VACMLAB" check "$T/queue.conf" 2>&1); rc=$?
is "$rc" 1 "a node after itself is a topology error"
like "$out" "queue.conf:[0-9]+: node q2 cannot start after itself" "named with file:line"
# q1 after q2: q2 boots first although it comes second
sed -i '$d' "$T/queue.conf"
sed -i 's/^\[node q1\]$/[node q1]\nafter = q2/' "$T/queue.conf"
out=$(lab_up "$T/queue.conf" 2>&1); rc=$?
is "$rc" 0 "after = q2: the lab comes up"
order=$(printf '%s\n' "$out" | grep -nE 'q2 +ready|q1 +booting' | cut -d: -f2 | tr -s ' ' | cut -d' ' -f2,3 | tr '\n' ',')
like "$order" "^q2 ready,q1 booting" "q1 starts once q2 is ready"
"$VACMLAB" down vmev-queue >/dev/null 2>&1

# ---- ready nodes yield the CPUs while the queue waits (boot_yield) -----------
# y1 ready, y2 booting, y3 queued: y1's QEMU runs at autogroup nice 19 (its
# own session), y2 at 0; once the lab is up all three are at 0 again.
lab_qemu_pid() { "$VACMLAB" status --json vmev-yield | jq -r --arg n "$1" '.nodes[] | select(.name == $n) | .pid'; }
ag_nice() { # LAB NODE -> the nice of the node's QEMU's autogroup
	local pid
	pid=$("$VACMLAB" status --json "$1" 2>/dev/null |
		jq -r --arg n "$2" '.nodes[] | select(.name == $n) | .pid // empty')
	[ -n "$pid" ] && awk '{print $NF}' "/proc/$pid/autogroup" 2>/dev/null
}
y2_boots_y3_waits() {
	[ "$("$VACMLAB" status --json vmev-yield 2>/dev/null | jq -r '.nodes[1].state + " " + .nodes[2].state')" = "booting queued" ]
}
yield_run() { # CONF -> "y1 y2" autogroup nices while y2 boots with y3 queued, to stdout
	local up_pid during=
	lab_up "$1" > "$T/yield-up.log" 2>&1 &
	up_pid=$!
	if wait_for 240 y2_boots_y3_waits; then
		# one change per 100 ms from a user: another lab's may come first
		wait_for 3 sh -c "awk '{print \$NF}' /proc/$(lab_qemu_pid y1)/autogroup | grep -qx 19"
		during="$(ag_nice vmev-yield y1) $(ag_nice vmev-yield y2)"
	fi
	wait "$up_pid"
	echo "rc=$? $during"
}
cat > "$T/yield.conf" <<EOF
[lab]
name = vmev-yield
boot_parallel = 1
[lan lan]
subnet = 10.56.0.0/24
EOF
for i in 1 2 3; do
	printf '[node y%d]\nimage = %s\nnic = lan 10.56.0.1%d\nready = dhcp\n' "$i" "$IMAGE" "$i" >> "$T/yield.conf"
done
if [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" != 1 ]; then
	for d in "boot_yield: y1 yields" "y2 does not" "all back at 0" "boot_yield = no"; do
		_t_n=$((_t_n + 1)); echo "ok $_t_n # SKIP kernel.sched_autogroup_enabled is not 1 ($d)"
	done
else
	res=$(yield_run "$T/yield.conf")
	is "$res" "rc=0 19 0" "while y2 boots and y3 waits, ready y1 runs at autogroup nice 19 and y2 at 0"
	is "$(ag_nice vmev-yield y1) $(ag_nice vmev-yield y2) $(ag_nice vmev-yield y3)" "0 0 0" \
		"once the lab is up every node is at nice 0 again"
	pid=$("$VACMLAB" status --json vmev-yield | jq -r '.nodes[0].pid')
	is "$(ps -o sess= -p "$pid" | tr -d ' ')" "$pid" "each QEMU is a session (an autogroup) of its own"
	"$VACMLAB" down vmev-yield >/dev/null 2>&1
	sed -i 's/^boot_parallel = 1$/boot_parallel = 1\nboot_yield = no/' "$T/yield.conf"
	res=$(yield_run "$T/yield.conf")
	is "$res" "rc=0 0 0" "boot_yield = no: ready y1 keeps nice 0 while y2 boots"
	"$VACMLAB" down vmev-yield >/dev/null 2>&1
fi
sed -i 's/^boot_yield = no$/boot_yield = maybe/' "$T/yield.conf"
out=$("$VACMLAB" check "$T/yield.conf" 2>&1); rc=$?
is "$rc" 1 "boot_yield = maybe is a topology error"
like "$out" "yield.conf:4: bad boot_yield 'maybe': expected yes or no" "named with file:line"

# ---- memory ----------------------------------------------------------------------
cat > "$T/big.conf" <<EOF
[lab]
name = vmev-big
[node huge]
image = $IMAGE
memory = 65536
EOF
avail=$(awk '/MemAvailable/ {print int($2/1024)}' /proc/meminfo)
if [ "$avail" -lt 65536 ]; then
	out=$("$VACMLAB" up "$T/big.conf" 2>&1); rc=$?
	is "$rc" 2 "guests needing more than MemAvailable are refused (exit 2)"
	like "$out" "need 65536 MiB of guest memory, more than the [0-9]+ MiB available.*--force" \
		"the message gives both figures and --force"
	ok $([ ! -d "$VACMLAB_RUNTIME_DIR/vmev-big" ]; echo $?) "nothing was started"
else
	for i in 1 2 3; do ok 0 "# SKIP this machine has more than 64 GiB available"; done
fi

# ---- ready = dhcp means reachable: 3 nodes, 2 LANs, a two-NIC node -------------
cat > "$T/two-lan.conf" <<EOF
[lab]
name = vmev-dhcp
[lan a]
subnet = 10.56.1.0/24
dhcp = 10.56.1.100-10.56.1.150
[lan b]
subnet = 10.56.2.0/24
dhcp = 10.56.2.100-10.56.2.150
[node r1]
image = $IMAGE
nic = a
nic = b
ready = dhcp
[node r2]
image = $IMAGE
nic = a
ready = dhcp
[node r3]
image = $IMAGE
nic = b
ready = dhcp
EOF
out=$(lab_up "$T/two-lan.conf" 2>&1); rc=$?
is "$rc" 0 "a 3-node, 2-LAN lab with a two-NIC node comes up (ready = dhcp)"
addrs=$("$VACMLAB" status --json vmev-dhcp | jq -r '.nodes[].nics[].address')
n=0; bad=${addrs:-"(no address at all)"}
[ -n "$addrs" ] && bad=
for a in $addrs; do
	n=$((n + 1))
	"$VACMLAB" exec vmev-dhcp -- ping -c1 -W1 "$a" >/dev/null 2>&1 || bad="$bad $a"
done
is "$n" 4 "four dynamic addresses, one per NIC"
is "$bad" "" "right after up, every address answers one ping with a 1 s wait"
"$VACMLAB" down vmev-dhcp >/dev/null 2>&1

ok $(no_leftovers; echo $?) "no process of the test's labs is left"
done_testing
