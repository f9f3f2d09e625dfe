#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/31-uplink.t - `uplink = pasta` on real guests: a guest on the uplink
# LAN fetches a file from a server this test runs on the HOST's loopback
# (pasta maps the lab's gateway address to the host), byte for byte; a
# guest on a LAN without an uplink cannot; the NAT table is in place; pasta
# goes away with the lab. vacmlab's own listeners on the host's loopback
# are out of the guests' reach through pasta: the lab's tcp: console and
# forward ports, a forward added later, and another lab's tcp: console
# (the guest's connect is reset). No traffic ever leaves the host.
. "$(dirname "$0")/lib.sh"
need_image
command -v pasta >/dev/null || skip_all "pasta not installed (Debian package passt)"
need_cmd python3 jq sha256sum
lab_env
plan 23

LAB=upl31-$$
SUB=10.131.$(( $$ % 200 + 20 ))
ISO=10.132.$(( $$ % 200 + 20 ))
T=$TMPDIR_TEST
GSH=$SRCDIR/tests/guest-sh.py

# A server on the host's loopback only, serving random bytes.
mkdir -p "$T/www"
head -c 2000000 /dev/urandom > "$T/www/blob"
want=$(sha256sum < "$T/www/blob" | cut -d' ' -f1)
python3 - "$T/www" > "$T/http.port" 2> "$T/http.log" <<'EOF' &
import functools, http.server, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF
HTTPD=$!
trap '_t_cleanup; kill $HTTPD 2>/dev/null' EXIT
wait_for 10 test -s "$T/http.port"
PORT=$(cat "$T/http.port")

# Free host ports: n1's tcp: console, its forward, a forward added later,
# and a tcp: console of another lab.
read -r CPORT FPORT RPORT OPORT < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

cat > "$T/lab.conf" <<EOF
[lab]
name = $LAB

[lan lan]
subnet = $SUB.0/24
dhcp   = $SUB.100-$SUB.150
uplink = pasta

[lan iso]
subnet = $ISO.0/24

[node n1]
image   = $IMAGE
nic     = lan $SUB.11
serial  = console tcp:$CPORT
forward = tcp 127.0.0.1:$FPORT 22
ready   = console "login:"
timeout = 90

[node n2]
image   = $IMAGE
nic     = iso $ISO.12
serial  = console
ready   = console "login:"
timeout = 90
EOF
if ! lab_up "$T/lab.conf" > "$T/up.out" 2>&1; then
	sed 's/^/# /' "$T/up.out"; lab_logs "$LAB"
	echo "Bail out! the lab did not come up"; exit 1
fi
RUN=$VACMLAB_RUNTIME_DIR/$LAB
PASTA=$(pgrep -f "$VACMLAB_STATE_DIR/$LAB/logs/pasta.log" | head -1)
ok "$( [ -n "$PASTA" ]; echo $?)" "pasta runs for the lab (pid ${PASTA:-none})"
like "$(tr '\0' ' ' < /proc/$PASTA/cmdline 2>/dev/null)" "--log-size 16777216 " \
	"pasta bounds its own log at the lab's log_max (16M by default)"

GW=$("$VACMLAB" exec "$LAB" -- ip -4 route show default | awk '/^default via .* dev vl-pasta/ { print $3 }')
like "$GW" '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' "the lab's default route goes out through pasta (gateway $GW)"
like "$("$VACMLAB" exec "$LAB" -- nft list table ip vacmlab_uplink 2>&1)" \
	"oifname \"vl-pasta\" ip saddr $SUB\.0/24 masquerade" "the uplink LAN is masqueraded out of pasta's interface"
is "$("$VACMLAB" exec "$LAB" -- cat /proc/sys/net/ipv4/conf/iso/forwarding)" 0 \
	"forwarding stays off on the LAN without an uplink"

route=$(python3 "$GSH" "$RUN/n1/ttyS0.sock" 30 'ip route show default')
like "$route" "^default via $SUB\.254 dev eth0" "the guest's DHCP default route is the bridge address"

got=$(python3 "$GSH" "$RUN/n1/ttyS0.sock" 60 "wget -q -O /tmp/blob http://$GW:$PORT/blob && sha256sum /tmp/blob" 2>&1)
is "${got%% *}" "$want" "the guest fetched the host-loopback server's file, byte for byte"
like "$(cat "$T/http.log")" '^127\.0\.0\.1 .*"GET /blob HTTP/1\.[01]" 200' \
	"the host server saw the request on its loopback"

# The host by name: host.LAB, in the lab's DNS and in status.
st=$("$VACMLAB" status --json "$LAB")
is "$(jq -r '.lans[] | select(.uplink != null) | .host_address' <<<"$st")" "$GW" \
	"status names the address that reaches the host on the uplinked LAN"
like "$("$VACMLAB" status "$LAB")" "LAN [a-z]+: uplink pasta; the host's loopback is host\.$LAB \($GW\)" \
	"and says so on the LAN's line"
got=$(python3 "$GSH" "$RUN/n1/ttyS0.sock" 60 "wget -q -O /tmp/blob2 http://host.$LAB:$PORT/blob && sha256sum /tmp/blob2" 2>&1)
is "${got%% *}" "$want" "the guest fetched the same file as http://host.$LAB:$PORT/ (the lab's DNS names the host)"

iso=$(python3 "$GSH" "$RUN/n2/ttyS0.sock" 30 "wget -q -T 3 -O /dev/null http://$GW:$PORT/blob; echo rc=\$?" 2>&1)
like "$iso" "rc=[1-9]" "a guest on the LAN without an uplink cannot reach it"
is "$(grep -c 'GET /blob' "$T/http.log")" 2 "... and the host server saw nothing from it (only n1's two fetches)"

# vacmlab's own listeners: out of reach of the guests through pasta.
cat > "$T/other.conf" <<EOF
[lab]
name = $LAB-o
[node o1]
image  = $IMAGE
serial = console tcp:$OPORT
EOF
lab_up --no-boot "$T/other.conf" > "$T/other.out" 2>&1
ok $? "another lab with a tcp: console on $OPORT" || sed 's/^/# /' "$T/other.out"
"$VACMLAB" forward "$LAB" n1 "127.0.0.1:$RPORT" 22 >/dev/null 2>&1
ok $? "a forward added on the running lab ($RPORT)"
sleep 2.5 # published and loaded within about 2 s (sv_uplink.c)
probe() { python3 "$GSH" "$RUN/n1/ttyS0.sock" 30 "nc -w 2 $GW $1 </dev/null; echo rc=\$?" 2>&1; }
got=$(probe "$PORT")
like "$got" "rc=0" "the guest still reaches the user's server on 127.0.0.1:$PORT" ||
	echo "$got" | sed 's/^/# /' 
like "$(probe "$CPORT")" "Connection refused" "... but not the lab's own tcp: console (127.0.0.1:$CPORT)"
like "$(probe "$FPORT")" "Connection refused" "... nor the lab's forward (127.0.0.1:$FPORT)"
like "$(probe "$RPORT")" "Connection refused" "... nor a forward added later (127.0.0.1:$RPORT)"
like "$(probe "$OPORT")" "Connection refused" "... nor another lab's tcp: console (127.0.0.1:$OPORT)"
is "$("$VACMLAB" status --json "$LAB" | jq '[.nodes[0].forwards[].connections] | add')" 0 \
	"the forwards saw no connection"
"$VACMLAB" down "$LAB-o" >/dev/null 2>&1

"$VACMLAB" down "$LAB" >/dev/null 2>&1
ok "$(no_leftovers; echo $?)" "down leaves no lab process"
gone=1
for i in $(seq 1 30); do
	[ -z "$PASTA" ] || ! kill -0 "$PASTA" 2>/dev/null && { gone=0; break; }
	sleep 0.1
done
ok "$gone" "pasta is gone with the lab"
[ "$_t_failed" = 0 ] || lab_logs "$LAB"
done_testing
