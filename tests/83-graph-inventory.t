#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vacmlab graph and vacmlab inventory. graph: the DOT of a topology file is
# rendered by Graphviz (dot -Tsvg) and the SVG must name every LAN, node
# and host and show the NICs' addresses, the pasta uplink and a forward;
# the Mermaid output has its shape. Then a real two-node lab (booted
# stand-ins, one with a forward to port 22): graph of the running lab,
# inventory as JSON (parsed with jq), ssh-config and Ansible INI (parsed by
# ansible-inventory when installed), the ProxyCommand it prints really
# carries a connection to a guest (the stand-in's httpd), and, with
# ansible-core installed, a playbook runs on both stand-ins over their
# consoles with the raw module.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd dot jq nc curl
lab_env
T=$TMPDIR_TEST
fport=$((20000 + RANDOM % 20000))
cat > "$T/g.conf" <<EOT
[lab]
name = gr
[lan lan]
subnet = 192.168.71.0/24
dhcp = 192.168.71.100-192.168.71.150
uplink = pasta
[lan back]
subnet = 10.71.0.0/24
[node a1]
image = $IMAGE
nic = lan 192.168.71.11
nic = back 10.71.0.11
forward = tcp 127.0.0.1:$fport 22
serial = console cable:b2@9600
[node b2]
image = $IMAGE
nic = lan
[host web]
nic = back 10.71.0.5
EOT
plan 31

dotout=$("$VACMLAB" graph "$T/g.conf"); rc=$?
is "$rc" 0 "graph TOPO (default format dot)"
svg=$(dot -Tsvg <<<"$dotout" 2>&1); rc=$?
is "$rc" 0 "dot -Tsvg renders it"
titles=$(grep -oE '<title>[^<]*</title>' <<<"$svg" | sed -E 's/<\/?title>//g' | sort | tr '\n' ' ')
for x in lan:lan lan:back node:a1 node:b2 host:web uplink:lan; do
	grep -qw -- "$x" <<<"$titles" || missing="${missing:-} $x"
done
is "${missing:-}" "" "the SVG has a shape for every LAN, node, host and the uplink"
text=$(grep -oE '<text[^>]*>[^<]*</text>' <<<"$svg" | sed -E 's/<[^>]*>//g' | tr '\n' '|')
like "$text" "eth0 192\.168\.71\.11\|.*eth1 10\.71\.0\.11\|" "the SVG labels a1's NICs with their addresses"
like "$text" "eth0 dhcp" "a dynamic NIC is labelled dhcp"
like "$text" "forward tcp 127\.0\.0\.1:$fport (-|&#45;)&gt; 22" "the node shows its forward"
like "$text" "pasta uplink" "the LAN's pasta uplink is drawn"
is "$(grep -c -- ' -- ' <<<"$dotout")" 6 "one edge per NIC (4), one for the uplink, one for the serial cable"
like "$(grep -- '"node:a1" -- "node:b2"' <<<"$dotout")" 'style=dotted.*label="serial ttyS1 - ttyS0 @9600"' "a serial cable is a dotted node-to-node edge with its ports and pacing"

mm=$("$VACMLAB" graph --format mermaid "$T/g.conf")
is "$(head -2 <<<"$mm" | tr '\n' '|')" "graph LR|  subgraph lab_gr [\"lab gr\"]|" "mermaid: a flowchart with the lab as subgraph"
like "$mm" 'node_a1 ---\|"eth1 10\.71\.0\.11"\| lan_back' "mermaid: NIC edges carry the address"
like "$mm" 'host_web\(\["host web"\]\)' "mermaid: hosts are stadium shapes"
like "$mm" 'node_a1 -\. "serial ttyS1 - ttyS0 @9600" \.- node_b2' "mermaid: the serial cable is a dotted edge"
is "$(tail -1 <<<"$mm")" "  end" "mermaid: the subgraph is closed"
"$VACMLAB" graph --format svg "$T/g.conf" >/dev/null 2>&1
is "$?" 1 "an unknown format is a usage error (exit 1)"

# Devices and pty ports, from a topology file: a device is a node of its
# own (component) on a dashed serial edge, a pty a small host-side endpoint.
cat > "$T/dev.conf" <<EOT
[lab]
name = grd
[node a1]
image = $IMAGE
serial = console device:ups pty
[device ups]
command = cat
EOT
ddot=$("$VACMLAB" graph "$T/dev.conf")
dsvg=$(dot -Tsvg <<<"$ddot" 2>&1)
like "$(grep -oE '<title>[^<]*</title>' <<<"$dsvg" | tr '\n' ' ')" '<title>device:ups</title>.*<title>pty:a1:ttyS2</title>' "graph: the SVG has a shape for the device and the pty"
like "$(grep -- '"device:ups" \[' <<<"$ddot")" 'shape=component, label="device ups"' "graph: a device is a component node"
like "$(grep -- '"node:a1" -- "device:ups"' <<<"$ddot")$(grep -- '"node:a1" -- "pty:a1:ttyS2"' <<<"$ddot")" 'style=dashed.*label="serial ttyS1".*style=dashed.*label="serial ttyS2"' "graph: node-to-device and node-to-pty serial edges name the port"
like "$("$VACMLAB" graph --format mermaid "$T/dev.conf" | tr '\n' '|')" 'device_ups\[/"device ups"/\]\|    node_a1 -\.-\|"serial ttyS1"\| device_ups\|.*pty_a1_ttyS2>"pty"\]' "mermaid: the device and the pty with their serial edges"

# A running lab: two booted stand-ins.
cat > "$T/two.conf" <<EOT
[lab]
name = inv
[lan lan]
subnet = 192.168.72.0/24
[node n1]
image = $IMAGE
nic = lan 192.168.72.11
ready = console "login:"
forward = tcp 127.0.0.1:$fport 22
[node n2]
image = $IMAGE
nic = lan 192.168.72.12
ready = console "login:"
[host h9]
nic = lan 192.168.72.9
EOT
out=$(lab_up "$T/two.conf" 2>&1); rc=$?
is "$rc" 0 "a two-node lab comes up"
[ "$rc" = 0 ] || { diag "$out"; lab_logs inv; }

g=$(cd "$T" && "$VACMLAB" graph inv)
svg=$(dot -Tsvg <<<"$g" 2>&1)
like "$(grep -oE '<title>[^<]*</title>' <<<"$svg" | tr '\n' ' ')" "node:n1.*node:n2.*host:h9" \
	"graph LAB: the running lab's nodes and host, rendered by dot"
like "$g" '"host:h9" -- "lan:lan" \[label="eth0 192\.168\.72\.9"\]' \
	"graph LAB: a host's NIC (from the lab's topology file, which status lacks)"

j=$("$VACMLAB" inventory --format json inv)
is "$(jq -r '[.nodes[] | "\(.name)=\(.address)"] | join(" ")' <<<"$j")" "n1=192.168.72.11 n2=192.168.72.12" \
	"inventory json parses and lists the nodes' addresses"
is "$(jq -r '.nodes[] | select(.name == "n1") | "\(.ssh.host):\(.ssh.port)"' <<<"$j")" "127.0.0.1:$fport" \
	"a node with a forward to port 22 is reached through it"

sc=$("$VACMLAB" inventory --format ssh-config inv)
proxy=$(awk '/^Host n2 / { h = 1 } h && $1 == "ProxyCommand" { $1 = ""; sub(/^ /, ""); print; exit }' <<<"$sc")
like "$proxy" "exec inv -- nc %h %p$" "ssh-config: n2 through a ProxyCommand running vacmlab exec"
# The transport ssh would use, carrying HTTP to the stand-in's httpd instead.
cmd=${proxy//%h/192.168.72.12}; cmd=${cmd//%p/80}
page=$(printf 'GET / HTTP/1.0\r\n\r\n' | timeout 20 $cmd 2>&1)
like "$page" "<h1>n2</h1>" "the ProxyCommand really carries a connection into the lab (n2's web page)"

ini=$("$VACMLAB" inventory --format ansible inv)
if command -v ansible-inventory >/dev/null; then
	printf '%s\n' "$ini" > "$T/inv.ini"
	ai=$(ansible-inventory -i "$T/inv.ini" --list 2>&1)
	is "$(jq -r '._meta.hostvars | "\(.n1.ansible_host):\(.n1.ansible_port) \(.n2.ansible_host) \(.n2.ansible_connection)"' <<<"$ai" 2>&1)" \
		"127.0.0.1:$fport 192.168.72.12 ssh" "ansible-inventory reads the INI: n1 via its forward, n2 by address over ssh"
	"$VACMLAB" inventory --format ansible --connection console inv > "$T/console.ini"
	cat > "$T/play.yml" <<'EOT'
- hosts: inv
  gather_facts: false
  tasks:
    - name: the kernel, over the console
      raw: uname -r
      register: kernel
      changed_when: false
    - name: reach the other node over the lab LAN
      raw: ping -c1 -W5 {{ 'n2' if inventory_hostname == 'n1' else 'n1' }}
      changed_when: false
    - name: exit statuses come back
      raw: exit 3
      register: three
      failed_when: three.rc != 3
    - debug:
        msg: "{{ inventory_hostname }} runs {{ kernel.stdout | trim }}"
EOT
	out=$(ANSIBLE_CONNECTION_PLUGINS=$SRCDIR/contrib/ansible/connection_plugins ANSIBLE_NOCOLOR=1 \
		timeout 180 ansible-playbook -i "$T/console.ini" "$T/play.yml" 2>&1); rc=$?
	is "$rc" 0 "ansible-playbook (raw module, console connection) runs on both stand-ins"
	[ "$rc" = 0 ] && like "$out" "n1 +: ok=4 .*failed=0" "the play recap shows every task ok" ||
		{ diag "$(tail -n 30 <<<"$out")"; ok 1 "the play recap shows every task ok"; }
else
	ok 0 "# SKIP ansible-core not installed (apt-get install ansible-core)"
	ok 0 "# SKIP ansible-core not installed"
	ok 0 "# SKIP ansible-core not installed"
fi
out=$("$VACMLAB" down inv 2>&1); is "$?" 0 "down"
ok "$(no_leftovers; echo $?)" "nothing of the lab is left"
done_testing
