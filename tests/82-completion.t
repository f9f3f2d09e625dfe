#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shell completion (contrib/completion/vacmlab.bash) against a real running
# lab: the completion function is called as bash calls it, with COMP_WORDS
# and COMP_CWORD set, and must offer the verbs of the verb table, a verb's
# options from its --help, the running labs, the lab's nodes, hosts, LANs
# and serial ports from its status, and topology files. Then `make install`
# into a DESTDIR must put the programs, man pages and completions in place.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd awk make
lab_env
export PATH=$(dirname "$VACMLAB"):$PATH
mkdir -p "$TMPDIR_TEST/topos"
cat > "$TMPDIR_TEST/topos/cpl.conf" <<EOT
[lab]
name = cpl
[lan lan]
subnet = 192.168.63.0/24
[lan side]
subnet = 192.168.64.0/24
[node n1]
image = $IMAGE
nic = lan 192.168.63.11
serial = console loop log cable:n2 pty
[node n2]
image = $IMAGE
nic = side 192.168.64.12
[host web]
nic = lan 192.168.63.5
command = sleep 600
EOT
: > "$TMPDIR_TEST/topos/other.conf"
: > "$TMPDIR_TEST/topos/notes.txt"
plan 19

out=$(lab_up --no-boot "$TMPDIR_TEST/topos/cpl.conf" 2>&1); rc=$?
is "$rc" 0 "up --no-boot of a lab with two LANs, two nodes and a host"
[ "$rc" = 0 ] || diag "$out"

. "$SRCDIR/contrib/completion/vacmlab.bash"
# complete WORD... : the last word is the one being completed.
complete_words() {
	COMP_WORDS=(vacmlab "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_vacmlab_complete
	printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' ' | sed 's/ $//'
}

is "$(complete -p vacmlab)" "complete -F _vacmlab_complete vacmlab" "sourcing registers the completion for vacmlab"
is "$(complete_words '')" "$("$VACMLAB" --list-verbs | sort | tr '\n' ' ' | sed 's/ $//')" \
	"verbs: exactly the verb table (vacmlab --list-verbs)"
is "$(complete_words d)" "doctor down" "a verb prefix"
is "$(complete_words up --f)" "--force --foreground --fresh" "up's options, from up --help"
is "$(complete_words status '')" "cpl" "running labs (vacmlab ls --json)"
is "$(complete_words console cpl '')" "n1 n2" "a lab's nodes (vacmlab status --json)"
is "$(complete_words console cpl n1 '')" "ttyS0 ttyS1 ttyS2 ttyS3 ttyS4" "a node's serial ports"
is "$(complete_words wait cpl n1 --port t)" "ttyS0 ttyS1 ttyS2 ttyS3 ttyS4" "--port takes a port of the node named before"
is "$(complete_words link down cpl '')" "n1 n1:eth0 n1:ttyS3 n1:ttyS4 n2 n2:eth0 n2:ttyS0 web" \
	"link: nodes, their NICs, and only the ports that are cables or ptys (ports[].kind)"
is "$(complete_words capture cpl '')" "lan n1 n2 side web" "capture: LANs, nodes and hosts"
is "$(complete_words exec cpl --host '')" "web" "exec --host: the lab's hosts"
is "$(complete_words attach cpl '')" "lan side" "attach: the lab's LANs"
is "$(complete_words snapshot cpl n2 '')" "list load rm save" "snapshot's actions"
mkdir -p "$VACMLAB_STATE_DIR/gone"
is "$(complete_words rm '')" "cpl gone" "rm: labs with state, running or not"
is "$(cd "$TMPDIR_TEST" && complete_words up --fresh topos/)" "topos/cpl.conf topos/other.conf" \
	"up: topology files (*.conf), past an option"
is "$(complete_words web '') / $(complete_words web cpl '') / $(complete_words web --listen)" \
	"cpl / cpl / --listen" "web: running labs, one or more; its --listen option"
is "$(complete_words inventory --format '') / $(complete_words graph --format '')" \
	"ansible json ssh-config / dot mermaid" "--format values of inventory and graph"

# make install into a DESTDIR, as the Debian package does.
D=$TMPDIR_TEST/dest
make -s -C "$SRCDIR" BUILD="${BUILD:-$SRCDIR/build}" install DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
got=$(cd "$D" && find . -type f | sort | tr '\n' ' ')
is "$got" "./etc/vacmlab/attach.conf ./usr/bin/vacmlab ./usr/bin/vacmlab-attach ./usr/lib/systemd/user/vacmlab@.service ./usr/share/bash-completion/completions/vacmlab ./usr/share/man/man1/vacmlab.1 ./usr/share/man/man5/vacmlab.conf.5 ./usr/share/man/man8/vacmlab-attach.8 ./usr/share/vacmlab/ansible/connection_plugins/vacmlab.py ./usr/share/vacmlab/web/app.css ./usr/share/vacmlab/web/app.js ./usr/share/vacmlab/web/index.html ./usr/share/vacmlab/web/xterm/LICENSE ./usr/share/vacmlab/web/xterm/xterm.css ./usr/share/vacmlab/web/xterm/xterm.js ./usr/share/zsh/vendor-completions/_vacmlab " \
	"make install DESTDIR=... PREFIX=/usr: programs, man pages, completions, allow file, Ansible plugin, the systemd user unit, the web page"
done_testing
