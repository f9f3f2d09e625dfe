#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest test of the stand-in appliance (images/image.bin, `make appliance`):
# boots it under TCG on a copy-on-write overlay, checks the ready line, the
# login, the persistent partitions, httpd, a clean ACPI poweroff via QMP, and
# that what was written survives into a second boot. TAP output.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
img=$root/images/image.bin
big_sha=4e3cd42deee02c8d834155d92c5a993d34b468b8a278fbddb8762597d5cb8ac7
READY_WAIT=${READY_WAIT:-90}	# seconds from QEMU start to the ready line

if [ ! -f "$img" ]; then
	echo "1..0 # SKIP images/image.bin missing (run make appliance)"
	exit 0
fi
for t in qemu-system-x86_64 qemu-img socat sha256sum; do
	command -v "$t" >/dev/null || { echo "1..0 # SKIP $t not installed"; exit 0; }
done

echo "1..18"
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	echo "# last serial lines:"
	# awk: the log may end without a newline (a prompt); TAP needs one.
	tail -n 25 "$log" 2>/dev/null | clean | awk '{ print "#   " $0 }'
}
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vacm-01.XXXXXX")
qpid= cpid=
cleanup() {
	exec 7>&- 2>/dev/null
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

sha_before=$(sha256sum < "$img")
# Copy-on-write overlay: the image itself is never written.
qemu-img create -q -f qcow2 -b "$img" -F qcow2 "$tmp/disk.qcow2" ||
	{ echo "Bail out! cannot create overlay"; exit 1; }

log=
# boot NAME: start QEMU with its serial port on the FIFO pair $tmp/NAME.con.
boot() {
	log=$tmp/$1.serial
	mkfifo "$tmp/$1.con.in" "$tmp/$1.con.out"
	: > "$log"
	cat "$tmp/$1.con.out" > "$log" &
	cpid=$!
	qemu-system-x86_64 -machine q35 -accel tcg -nodefaults -m 256M \
		-display none -no-reboot \
		-chardev "pipe,id=con,path=$tmp/$1.con" -serial chardev:con \
		-qmp "unix:$tmp/$1.qmp,server=on,wait=off" \
		-hda "$tmp/disk.qcow2" \
		-device virtio-net-pci,netdev=n0 -netdev user,id=n0 \
		</dev/null >"$tmp/$1.qemu.log" 2>&1 &
	qpid=$!
	# Read-write open of a FIFO never blocks: QEMU may not have it yet.
	exec 7<>"$tmp/$1.con.in"
}

# The serial log as text: no CRs, no escape sequences (busybox ash asks the
# terminal for its cursor position with ESC [ 6 n after each prompt).
clean() { tr -d '\r' | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g'; }

# wait_for REGEX SECONDS: true once REGEX shows up in the serial log.
wait_for() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt "$end" ]; do
		clean < "$log" | grep -qE -- "$1" && return 0
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.2
	done
	clean < "$log" | grep -qE -- "$1"
}

# run CMD: type CMD on the console; its output ends with a marker line that
# the echoed command itself cannot match. Returns the output in $out.
seq_no=0
run() {
	seq_no=$((seq_no + 1))
	local mark="done-$seq_no"
	local from=$(wc -c < "$log")
	printf '%s; echo "done""-%s"\r' "$1" "$seq_no" >&7
	local end=$((SECONDS + ${2:-20}))
	out=
	while [ $SECONDS -lt "$end" ]; do
		out=$(tail -c +"$((from + 1))" "$log" | clean)
		if grep -qx -- "$mark" <<<"$out"; then
			# Drop the echoed command (up to its '"-N"' tail) and the marker.
			out=$(sed -n "/-$seq_no\"\$/,/^$mark\$/p" <<<"$out" | sed '1d;$d')
			return 0
		fi
		sleep 0.2
	done
	return 1
}

qmp_powerdown() {
	printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"system_powerdown"}' |
		timeout 10 socat -t 2 - "UNIX-CONNECT:$1" 2>&1
}

# wait_exit SECONDS: true if QEMU exits by itself within SECONDS.
wait_exit() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt "$end" ]; do
		kill -0 "$qpid" 2>/dev/null || { wait "$qpid" 2>/dev/null; qpid=; return 0; }
		sleep 0.2
	done
	return 1
}

# ---- first boot
token="persist-$$-$RANDOM"
t0=$SECONDS
boot first
check "ready line on ttyS0 within ${READY_WAIT}s" \
	wait_for '^vacm-standin ready' "$READY_WAIT"
echo "# ready after $((SECONDS - t0)) s (TCG)"
check "ready line lists eth0 with its slirp lease" \
	wait_for '^vacm-standin ready eth0 10\.0\.2\.15$' 1
check "exactly one ready line" \
	test "$(tr -d '\r' < "$log" | grep -c '^vacm-standin ready')" = 1
check "login: on ttyS0" wait_for 'login: ?$' 30
printf 'root\r' >&7
check "root logs in without a password" wait_for '# ?$' 20
# A wide terminal, so echoed commands do not wrap at 80 columns.
run 'stty cols 1000'
run 'cat /proc/cmdline'
check "kernel command line has console=ttyS0 (got: $out)" \
	grep -q 'console=ttyS0' <<<"$out"
run 'grep -E " /(etc/config|var/mnt/nvlog) " /proc/mounts'
check "/etc/config is ext4 on sda3, read-write" \
	grep -qE '^/dev/sda3 /etc/config ext4 rw' <<<"$out"
check "/var/mnt/nvlog is ext4 on sda4, read-write" \
	grep -qE '^/dev/sda4 /var/mnt/nvlog ext4 rw' <<<"$out"
run 'for i in 1 2 3 4 5 6 7; do test -c /dev/ttyS$i && echo ttyS$i; done | tr "\n" " "; echo'
check "ttyS1..ttyS7 exist (got: $out)" test "$out" = "ttyS1 ttyS2 ttyS3 ttyS4 ttyS5 ttyS6 ttyS7 "
run 'wget -q -O - http://127.0.0.1/big.bin | sha256sum' 60
check "httpd serves big.bin with the documented sha256" \
	grep -q "^$big_sha " <<<"$out"
run "echo $token > /etc/config/standin-test && echo $token > /var/mnt/nvlog/standin-test && sync && cat /etc/config/standin-test"
check "wrote a file to /etc/config and nvlog" grep -qx "$token" <<<"$out"
run 'echo standin-t1 > /etc/config/hostname'

reply=$(qmp_powerdown "$tmp/first.qmp")
check "QMP accepted system_powerdown" grep -q '"return"' <<<"$reply"
check "QEMU exits by itself within 20 s of the power button" wait_exit 20
check "shutdown unmounted the partitions" \
	wait_for 'standin: filesystems unmounted' 1
kill "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null; cpid=
exec 7>&-

# ---- second boot: what was written must still be there
boot second
check "second boot: ready line" wait_for '^vacm-standin ready' "$READY_WAIT"
check "second boot: hostname from /etc/config/hostname" \
	wait_for '^standin-t1 login: ?$' 30
wait_for 'login: ?$' 30 && printf 'root\r' >&7 && wait_for '# ?$' 20 &&
	run 'stty cols 1000'
run 'cat /etc/config/standin-test /var/mnt/nvlog/standin-test'
check "file in /etc/config and nvlog survived the poweroff" \
	test "$out" = "$token"$'\n'"$token"
qmp_powerdown "$tmp/second.qmp" >/dev/null
wait_exit 20 || { kill "$qpid"; wait "$qpid" 2>/dev/null; qpid=; }

check "base image unchanged (sha256)" test "$(sha256sum < "$img")" = "$sha_before"
[ "$failed" = 0 ]
