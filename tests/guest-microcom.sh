# tests/guest-microcom.sh - typed into a stand-in's shell over its console
# by tests/21-cable.t and 22-cable-apply.t: writes the guest's helpers that
# drive busybox microcom on a serial port through a FIFO and wait on what
# comes back (no fixed sleeps). /tmp/mc.sh: mc_start TTY BAUD, mc_send,
# mc_wait ERE TENTHS, mc_stop; /tmp/cable.sh CMD [TENTHS]: log in to the
# node at the other end of ttyS1 (if asked) and run CMD; /tmp/dev.sh PORT
# BYTES WANT [TENTHS]: send BYTES to the device on ttySPORT, print its answer.
cat > /tmp/mc.sh <<'XEOF'
mc_start() { # mc_start TTY BAUD
	stty -F $1 $2 raw -echo
	rm -f /tmp/mc.in; mkfifo /tmp/mc.in; : > /tmp/mc.out
	microcom -s $2 $1 < /tmp/mc.in > /tmp/mc.out 2>&1 &
	MC=$!
	exec 3> /tmp/mc.in
}
mc_send() { printf '%s' "$1" >&3; }
mc_wait() { # mc_wait ERE TENTHS: until the output matches, at most TENTHS/10 s
	n=0
	until tr -d '\r' < /tmp/mc.out | grep -qE "$1"; do
		n=$((n+1)); [ $n -ge $2 ] && return 1
		sleep 0.1
	done
}
mc_stop() { exec 3>&-; kill $MC 2>/dev/null; wait $MC 2>/dev/null; tr -d '\r' < /tmp/mc.out; echo; }
XEOF
cat > /tmp/cable.sh <<'XEOF'
. /tmp/mc.sh
T=${2:-300}
mc_start /dev/ttyS1 115200
# ash's prompt ends in "# " and a cursor position query (ESC [6n).
P='# (.\[6n)?$'
mc_send "$(printf '\r')"
if mc_wait "login: *\$|$P" $T && tr -d '\r' < /tmp/mc.out | grep -qE 'login: *$'; then
	mc_send "$(printf 'root\r')"
	mc_wait "$P" $T
fi
mc_send "$1; echo CABLE''END$(printf '\r')"
mc_wait '^CABLEEND' $T
mc_stop
echo "CABLE""DONE"
XEOF
cat > /tmp/dev.sh <<'XEOF'
. /tmp/mc.sh
mc_start /dev/ttyS$1 9600
mc_send "$2"
mc_wait "$3" ${4:-300}
printf 'ANSWER: '
mc_stop | tr '\n' ' '
echo
echo "DEV""DONE"
XEOF
