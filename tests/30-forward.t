#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/30-forward.t - rootless port forwards on real guests: a topology
# `forward` and `vacmlab forward` on a running lab reach the stand-in's httpd
# (port 80) from the host's loopback; concurrent connections, a large
# transfer compared byte for byte with a fetch from inside the lab, a
# half-close passed on, a guest that is down gives a prompt reset, a port
# already in use is a FILE:LINE error before anything starts, and status
# lists the forwards.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd curl wget python3 jq sha256sum
lab_env
plan 23

LAB=fwd30-$$
SUB=10.130.$(( $$ % 200 + 20 ))
T=$TMPDIR_TEST

# Free TCP ports on 127.0.0.1 (bind to 0, read, close).
read -r P1 P2 PBUSY < <(python3 - <<'EOF'
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])
EOF
)

topo() {	# topo FILE FORWARD_PORT_OF_n1
	cat > "$1" <<EOF
[lab]
name = $LAB

[lan lan]
subnet = $SUB.0/24
dhcp   = $SUB.100-$SUB.150

[node n1]
image   = $IMAGE
nic     = lan $SUB.11
serial  = console
ready   = console "login:"
timeout = 90
forward = tcp 127.0.0.1:$2 80

[node n2]
image   = $IMAGE
nic     = lan $SUB.12
serial  = console
ready   = console "login:"
timeout = 90
EOF
}

# --- a taken port: clear error, nothing started ----------------------------
python3 -c "
import socket, time, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $PBUSY)); s.listen(1); print('ready', flush=True); time.sleep(60)" > "$T/busy.out" &
BUSY=$!
wait_for 5 grep -q ready "$T/busy.out"
topo "$T/busy.conf" "$PBUSY"
out=$("$VACMLAB" up "$T/busy.conf" 2>&1); rc=$?
is "$rc" 1 "up with a forward on a taken port exits 1"
like "$out" "^$T/busy.conf:14: forward 127\.0\.0\.1:$PBUSY -> n1:80: cannot listen: Address already in use" \
	"the error names FILE:LINE, the forward and the reason"
ok "$( [ ! -e "$VACMLAB_RUNTIME_DIR/$LAB" ] && [ -z "$(lab_pids)" ]; echo $?)" \
	"nothing started: no run dir, no process"
kill "$BUSY"; wait "$BUSY" 2>/dev/null

# --- the lab ---------------------------------------------------------------
topo "$T/lab.conf" "$P1"
if ! lab_up "$T/lab.conf" > "$T/up.out" 2>&1; then
	cat "$T/up.out" | sed 's/^/# /'; lab_logs "$LAB"
	echo "Bail out! the lab did not come up"; exit 1
fi
H1=$(curl -sS -m 10 "http://127.0.0.1:$P1/index.html")
like "$H1" "<h1>n1</h1>" "topology forward 127.0.0.1:$P1 -> n1:80 serves n1's page"

out=$("$VACMLAB" forward "$LAB" n2 "127.0.0.1:$P2" 80 2>&1); rc=$?
is "$rc" 0 "vacmlab forward on the running lab succeeds"
H2=$(curl -sS -m 10 "http://127.0.0.1:$P2/index.html")
like "$H2" "<h1>n2</h1>" "vacmlab forward 127.0.0.1:$P2 -> n2:80 serves n2's page"
out=$("$VACMLAB" forward "$LAB" n2 "$P2" 80 2>&1); rc=$?
is "$rc" 1 "vacmlab forward on a port in use exits 1"
like "$out" "forward 127\.0\.0\.1:$P2 -> n2:80: cannot listen: Address already in use" \
	"... and says which port and why"
out=$("$VACMLAB" forward "$LAB" nosuch 0 80 2>&1); rc=$?
is "$rc" 1 "a bad host port is a usage error"
P3=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
out=$("$VACMLAB" forward "$LAB" nosuch "$P3" 80 2>&1)
like "$out" "no such node" "an unknown node is refused by the supervisor"

# --- several connections at once -------------------------------------------
for i in 1 2 3 4 5 6 7 8; do
	curl -sS -m 20 -o "$T/par.$i" "http://127.0.0.1:$P1/index.html" &
done
wait
n_same=$(for i in 1 2 3 4 5 6 7 8; do cmp -s "$T/par.$i" <(printf '%s\n' "$H1") && echo same; done | wc -l)
is "$n_same" 8 "8 parallel connections all get the whole page"

# --- a large transfer, byte for byte ---------------------------------------
t0=$(date +%s.%N)
via_fwd=$(curl -sS -m 60 "http://127.0.0.1:$P1/big.bin" | tee "$T/big.fwd" | sha256sum | cut -d' ' -f1)
t1=$(date +%s.%N)
direct=$("$VACMLAB" exec "$LAB" -- wget -q -O- "http://$SUB.11/big.bin" | sha256sum | cut -d' ' -f1)
size=$(stat -c %s "$T/big.fwd")
ok "$( [ "$size" -ge 8000000 ]; echo $?)" "large file through the forward: $size bytes"
is "$via_fwd" "$direct" "its sha256 equals the one fetched from inside the lab"
diag "$(awk -v s="$size" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f MB/s through the forward (guest-bound)", s / (b - a) / 1e6 }')"

# --- half-close ------------------------------------------------------------
# The request lacks its final blank line: httpd answers only once it sees
# EOF, i.e. only if our shutdown(SHUT_WR) is passed on to the guest.
hc=$(python3 - "$P1" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /index.html HTTP/1.0\r\n")
s.shutdown(socket.SHUT_WR)
d = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        d += b
except socket.timeout:
    print("timeout")
print(d.split(b"\r\n")[0].decode(), b"<h1>n1</h1>" in d)
EOF
)
is "$hc" "HTTP/1.1 200 OK True" "a half-close is passed on; the response still comes back"

# --- status ----------------------------------------------------------------
st=$("$VACMLAB" status --json "$LAB")
J='(if type=="array" then .[0] else . end) | .nodes[] | select(.name==$n) | .forwards[]'
is "$(jq -r --arg n n1 "$J"' | "\(.proto) \(.listen) \(.guest_port)"' <<<"$st")" \
	"tcp 127.0.0.1:$P1 80" "status --json lists n1's topology forward"
st_n2=$(jq -r '(if type=="array" then .[0] else . end) | .nodes[] | select(.name=="n2") | .forwards[] | "\(.listen) \(.guest_port)"' <<<"$st")
is "$st_n2" "127.0.0.1:$P2 80" "status --json lists n2's forward added at run time"
conns=$(jq -r '(if type=="array" then .[0] else . end) | .nodes[] | select(.name=="n1") | .forwards[0].connections' <<<"$st")
ok "$( [ "${conns:-0}" -ge 11 ]; echo $?)" "status counts n1's connections ($conns)"
like "$("$VACMLAB" forward "$LAB" --list)" "127\.0\.0\.1:$P2 +n2 +80 +tcp" "vacmlab forward --list lists them"

# --- a guest that is down: prompt reset -------------------------------------
# The guest powers itself off (QEMU exits; the supervisor is QEMU's only
# QMP client, so the test goes through the guest's console).
python3 "$SRCDIR/tests/guest-sh.py" "$VACMLAB_RUNTIME_DIR/$LAB/n2/ttyS0.sock" 20 'poweroff' \
	>/dev/null 2>&1 || true
n2_state() { "$VACMLAB" status --json "$LAB" | jq -r '(if type=="array" then .[0] else . end) | .nodes[] | select(.name=="n2") | .state'; }
wait_for 60 sh -c "[ \"\$(\"$VACMLAB\" status --json $LAB | jq -r '(if type==\"array\" then .[0] else . end) | .nodes[] | select(.name==\"n2\") | .state')\" = exited ]"
is "$(n2_state)" exited "n2 powered itself off (status: exited)"
rs=$(python3 - "$P2" <<'EOF'
import socket, sys, time
t = time.time()
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.settimeout(5)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    d = s.recv(100)
    r = "eof" if not d else "data"
except ConnectionResetError:
    r = "reset"
except socket.timeout:
    r = "hang"
except OSError as e:
    r = "error %s" % e
print(r, "fast" if time.time() - t < 2 else "slow %.1f s" % (time.time() - t))
EOF
)
like "$rs" "^(reset|eof) fast$" "a connection to the stopped guest is reset at once ($rs)"
like "$(curl -sS -m 10 "http://127.0.0.1:$P1/index.html")" "<h1>n1</h1>" "n1's forward still works"

# --- down releases the ports -----------------------------------------------
"$VACMLAB" down "$LAB" >/dev/null 2>&1
ok "$(no_leftovers; echo $?)" "down leaves no process"
ok "$(python3 -c "
import socket; s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as up does: TIME_WAIT is fine
s.bind(('127.0.0.1', $P1)); s.listen(1)" 2>/dev/null; echo $?)" \
	"nothing listens on the forward's port after down"
done_testing
