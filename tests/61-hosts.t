#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 61-hosts.t - test-service hosts: a [host] running a tiny HTTP server
# serves a file that a guest fetches by DNS name (driven over the guest's
# serial console socket, out of band); `exec --host`; the host's log; the
# validator's FILE:LINE errors for bad [host] and impair specs; a host's
# cable (link down/up).
. "$(dirname "$0")/lib.sh"
need_image
need_cmd python3 busybox
lab_env
plan 23

T=$TMPDIR_TEST
LAB=hosts61
mkdir -p "$T/www"
echo "firmware-$$-payload" > "$T/www/fw.bin"
cat > "$T/h.conf" <<CONF
[lab]
name = $LAB
[lan lan]
subnet = 10.61.0.0/24
dhcp = 10.61.0.100-10.61.0.150
[host fw]
nic = lan 10.61.0.5
command = echo "httpd starting in \$(ip -o -4 addr show eth0 | awk '{print \$4}')"; exec busybox httpd -f -vv -p 80 -h $T/www
[node vacm1]
image = $IMAGE
memory = 256
nic = lan 10.61.0.11
ready = console "login:"
timeout = 90
CONF

# Drive a guest's console: log in if needed, run each command, print its
# output and "RC=N". Bounded by a per-command timeout.
console() {
	python3 - "$VACMLAB_RUNTIME_DIR/$LAB/vacm1/ttyS0.sock" 30 "$@" <<'PY'
import re, socket, sys, time
path, tmo, cmds = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.settimeout(0.2)
buf = b""
def expect(pat):
    global buf
    end = time.time() + tmo
    while time.time() < end:
        m = re.search(pat, buf)
        if m:
            out, buf = buf[:m.end()], buf[m.end():]
            return out
        try:
            buf += s.recv(4096)
        except socket.timeout:
            pass
    sys.exit("timeout waiting for %r; last output %r" % (pat, buf[-300:]))
time.sleep(0.3)            # let the replayed ring buffer arrive, then drop it
try:
    while True:
        if not s.recv(65536): break
except socket.timeout:
    pass
buf = b""
s.sendall(b"\r")
if expect(rb"(login: |# )").endswith(b"login: "):
    s.sendall(b"root\r")
    expect(rb"# ")
for c in cmds:
    s.sendall(c.encode() + b"; echo RC=$?\r")
    sys.stdout.write(expect(rb"RC=\d+").decode(errors="replace") + "\n")
PY
}

lab_up "$T/h.conf" > "$T/up.out" 2>&1
ok $? "lab with a [host] is up" || { cat "$T/up.out" | sed 's/^/# /'; lab_logs $LAB; }
st=$("$VACMLAB" status --json $LAB 2>/dev/null)
like "$(echo "$st" | jq -r '.hosts[0].name + " " + .hosts[0].state + " " + .hosts[0].nics[0].address')" \
	'^fw running 10\.61\.0\.5$' "status lists the host, running, with its address"
like "$("$VACMLAB" exec $LAB --host fw -- ip -o -4 addr show eth0 2>&1)" '10\.61\.0\.5/24' \
	"exec --host runs inside the host: eth0 has the fixed address"
like "$("$VACMLAB" exec $LAB --host fw -- ip route 2>&1)" 'default via 10\.61\.0\.254' \
	"the host's default route is the LAN address"
ok_cmd "the host reaches the guest (exec --host fw -- ping vacm1)" \
	"$VACMLAB" exec $LAB --host fw -- ping -c1 -W5 10.61.0.11
wait_for 10 "$VACMLAB" exec $LAB -- wget -qO /dev/null http://fw/fw.bin
out=$("$VACMLAB" exec $LAB -- wget -qO- http://fw.$LAB/fw.bin 2>&1)
is "$out" "firmware-$$-payload" "the lab side fetches the file from the host by DNS name"

out=$(console "wget -qO- http://fw.$LAB/fw.bin" "wget -qO- http://fw/fw.bin" 2>&1)
like "$out" "firmware-$$-payload" "the guest fetches the file from the host by its DNS name (fw.$LAB)"
is "$(printf '%s\n' "$out" | grep -c '^RC=0')" 2 "both fetches (FQDN and short name) succeed in the guest"
[ "$_t_failed" = 0 ] || { echo "$out" | sed 's/^/#   /'; lab_logs $LAB; }
like "$(cat "$VACMLAB_STATE_DIR/$LAB/logs/host-fw.log" 2>/dev/null)" 'httpd starting in 10\.61\.0\.5/24' \
	"the host command's output is logged (host-fw.log)"
like "$(cat "$VACMLAB_STATE_DIR/$LAB/logs/host-fw.log" 2>/dev/null)" '10\.61\.0\.11' \
	"the host's log shows the guest's (10.61.0.11) requests"

# A host's cable: link down takes the host's carrier away (its eth0 says
# NO-CARRIER) and the guest cannot reach it; link up plugs it back.
"$VACMLAB" link down $LAB fw > "$T/link.out" 2>&1
ok $? "link down fw (a host's NIC)" || sed 's/^/# /' "$T/link.out"
like "$("$VACMLAB" exec $LAB --host fw -- ip -o link show eth0 2>&1)" 'NO-CARRIER' \
	"inside the host, eth0 has no carrier"
nic_link() { # nic_link nodes|hosts NAME: status' nics[0].link
	"$VACMLAB" status --json $LAB | jq -r --arg n "$2" ".$1[] | select(.name==\$n) | .nics[0].link"
}
is "$(nic_link hosts fw)" down "status: the host's NIC link is down (nics[].link)"
out=$(console "ping -c1 -W2 10.61.0.5" 2>&1)
like "$out" "RC=1" "the guest's ping of the unplugged host fails"
"$VACMLAB" link up $LAB fw:eth0 > /dev/null 2>&1
ok $? "link up fw:eth0"
is "$(nic_link hosts fw)" up "status: ... and up again"
wait_for 10 "$VACMLAB" exec $LAB --host fw -- ping -c1 -W1 10.61.0.11
out=$(console "ping -c1 -W2 10.61.0.5" 2>&1)
like "$out" "RC=0" "after link up the guest reaches the host again"

# A node's NIC pulled from the shell (QEMU's set_link) shows in status.
is "$(nic_link nodes vacm1)" up "status: a node's NIC link is up at first"
"$VACMLAB" link down $LAB vacm1:eth0 > /dev/null 2>&1
is "$(nic_link nodes vacm1)" down "status: link down vacm1:eth0 shows as down"
"$VACMLAB" link up $LAB vacm1 > /dev/null 2>&1
is "$(nic_link nodes vacm1)" up "status: ... and link up as up"

"$VACMLAB" down $LAB > /dev/null 2>&1
ok $? "down"
ok $(no_leftovers; echo $?) "no process of the lab is left (host command and holder included)"

# The validator's cases for hosts and impairments (tests/topo/invalid):
# each .conf is rejected with exactly its .err (FILE:LINE: message).
bad=0 n=0
for c in "$SRCDIR"/tests/topo/invalid/host-*.conf "$SRCDIR"/tests/topo/invalid/impair-*.conf; do
	[ -f "$c" ] || continue
	n=$((n + 1))
	got=$(cd "$SRCDIR" && "$VACMLAB" check "tests/topo/invalid/$(basename "$c")" 2>&1)
	want=$(cat "${c%.conf}.err")
	if ! printf '%s\n' "$got" | grep -qF -- "$want" || ! printf '%s' "$got" | grep -qE '^[^:]+\.conf:[0-9]+: '; then
		bad=$((bad + 1)); echo "# $(basename "$c"): got '$got', want '$want'"
	fi
done
ok $([ "$n" -ge 10 ] && [ "$bad" = 0 ]; echo $?) "check rejects all $n bad [host]/impair cases with FILE:LINE: errors"
done_testing
