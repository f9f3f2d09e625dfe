#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 52-warm.t - warm starts and one lab for many tests, with real guests:
# `run --warm` boots cold and saves, the next run starts from the snapshot
# (much faster; the guest is the snapshot's: the same boot time in
# /proc/stat, later writes gone; a dynamic-address node has its lease at once), a changed topology
# boots cold saying why, two first runs racing share one cache entry,
# `restore` undoes a tmpfs write, `link down|up` pulls and plugs a cable,
# `rm` drops the warm snapshot.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd python3 jq
lab_env

GSH="python3 $SRCDIR/tests/guest-sh.py"
L=warm$$
L=${L:0:24}
T=$TMPDIR_TEST/w.conf
cat > "$T" <<EOF
[lab]
name = $L
[lan lan]
subnet  = 10.52.0.0/24
address = 10.52.0.254
dhcp    = 10.52.0.100-10.52.0.150
[node n1]
image   = $IMAGE
memory  = 256
nic     = lan 10.52.0.11
serial  = console
ready   = console "login:"
timeout = 120
[node n2]
image   = $IMAGE
memory  = 256
nic     = lan
serial  = console
ready   = console "login:"
timeout = 120
EOF
# In a run's CMD: guest shell on NODE's console.
cat > "$TMPDIR_TEST/g" <<EOF
#!/bin/sh
n=\$1; shift
exec $GSH "\$VACMLAB_LAB_DIR/\$n/ttyS0.sock" 30 "\$@"
EOF
chmod +x "$TMPDIR_TEST/g"
G=$TMPDIR_TEST/g
now() { date +%s.%N; }
el() { echo "$2 - $1" | bc 2>/dev/null || python3 -c "print($2 - $1)"; }

# ---- 1. first run: cold, saves ---------------------------------------------------
t0=$(now)
"$VACMLAB" run --warm --quiet "$T" -- sh -c "$G n1 'sed -n \"s/^btime //p\" /proc/stat' > $TMPDIR_TEST/boot1;
	$G n1 'echo later > /tmp/after-save'" >"$TMPDIR_TEST/r1.out" 2>&1
r=$?; t1=$(el "$t0" "$(now)")
ok $r "run --warm (first): exit 0"; [ $r = 0 ] || cat "$TMPDIR_TEST/r1.out" | sed 's/^/#   /'
like "$(cat "$TMPDIR_TEST/r1.out")" "booting cold: no warm snapshot of this topology yet" \
	"... it boots cold, saying why"
like "$(cat "$TMPDIR_TEST/r1.out")" "saved the warm snapshot" "... and saves the warm snapshot"

# ---- 2. second run: warm ---------------------------------------------------------
t0=$(now)
"$VACMLAB" run --warm --quiet --artifacts "$TMPDIR_TEST/art2" "$T" -- sh -c "$G n1 'sed -n \"s/^btime //p\" /proc/stat' > $TMPDIR_TEST/boot2;
	$G n1 'ls /tmp/after-save 2>/dev/null | wc -l' > $TMPDIR_TEST/after2;
	$VACMLAB status --json \"\$VACMLAB_LAB\" > $TMPDIR_TEST/st2.json;
	ping -c1 -W2 10.52.0.11 >/dev/null && echo ping-ok > $TMPDIR_TEST/ping2;
	a=\$(jq -r '.nodes[] | select(.name==\"n2\") | .nics[0].address' $TMPDIR_TEST/st2.json);
	ping -c1 -W2 \$a >/dev/null && echo ping-ok > $TMPDIR_TEST/ping2b" \
	>"$TMPDIR_TEST/r2.out" 2>&1
r=$?; t2=$(el "$t0" "$(now)")
ok $r "run --warm (second): exit 0"; [ $r = 0 ] || sed 's/^/#   /' "$TMPDIR_TEST/r2.out"
like "$(cat "$TMPDIR_TEST/r2.out")" "warm start from snapshot" "... starts warm"
# Its disks are thrown away: every QEMU is killed at once, and the
# supervisor sees each exit (two exits in one loop turn were once lost to
# the sweep for strays, and a node then "did not power off" for 5 s).
sl=$(cat "$TMPDIR_TEST/art2/supervisor.log" 2>/dev/null)
like "$sl" "S n1 exited [0-9.]+ killed by signal 9" "... at its end n1's QEMU is killed at once, and its exit seen"
like "$sl" "S n2 exited [0-9.]+ killed by signal 9" "... and n2's"
unlike "$(cat "$TMPDIR_TEST/r2.out")$sl" "did not power off|stop: sigkill" "... with no node waited for"
diag "cold run ${t1} s, warm run ${t2} s"
ok "$(python3 -c "print(0 if $t2 * 3 < $t1 else 1)")" "warm run much faster (${t2} s vs ${t1} s cold)"
b1=$(cat "$TMPDIR_TEST/boot1" 2>/dev/null); b2=$(cat "$TMPDIR_TEST/boot2" 2>/dev/null)
diag "guest boot time (btime): cold run $b1, warm run $b2"
ok "$(python3 -c "print(0 if abs(int('${b2:-0}') - int('${b1:-x}')) <= 2 else 1)" 2>/dev/null || echo 1)" \
	"the guest is the snapshot's (it booted when the saved guest did: btime $b2 vs $b1)"
is "$(cat "$TMPDIR_TEST/after2" 2>/dev/null)" 0 "a file written after the save is not there"
like "$(jq -r '.nodes[] | select(.name=="n2") | .nics[0].address' "$TMPDIR_TEST/st2.json" 2>/dev/null)" \
	'^10\.52\.0\.1[0-9][0-9]$' "the dynamic-address node has its lease at once"
is "$(cat "$TMPDIR_TEST/ping2" 2>/dev/null)" ping-ok "the fixed-address node answers ping"
is "$(cat "$TMPDIR_TEST/ping2b" 2>/dev/null)" ping-ok "the dynamic-address node answers ping"

# ---- 3. a changed topology: two first runs race, one entry results -----------------
sed -i 's/^memory  = 256$/memory  = 257/' "$T"
"$VACMLAB" run --warm --quiet "$T" -- true >"$TMPDIR_TEST/r3a.out" 2>&1 &
pa=$!
"$VACMLAB" run --warm --quiet "$T" -- true >"$TMPDIR_TEST/r3b.out" 2>&1 &
pb=$!
wait $pa; ra=$?; wait $pb; rb=$?
ok $((ra + rb)) "two racing first runs after a change both pass"
like "$(cat "$TMPDIR_TEST/r3a.out")" "booting cold: the topology file changed since the warm snapshot was saved" \
	"... the change is named in one line"
like "$(cat "$TMPDIR_TEST/r3a.out" "$TMPDIR_TEST/r3b.out" | grep -c 'saved the warm snapshot')" '^[12]$' \
	"... at least one of them saved it"
"$VACMLAB" run --warm --quiet "$T" -- sh -c "$G n1 'echo alive'" >"$TMPDIR_TEST/r4.out" 2>&1
r=$?
ok $r "the next run uses the raced entry"; [ $r = 0 ] || sed 's/^/#   /' "$TMPDIR_TEST/r4.out"
like "$(cat "$TMPDIR_TEST/r4.out")" "warm start" "... and starts warm"
like "$(cat "$TMPDIR_TEST/r4.out")" "alive" "... with a working console"

# ---- 4. one lab, many tests: up --warm, restore, link --------------------------------
lab_up --warm "$T" >"$TMPDIR_TEST/up.out" 2>&1
r=$?; ok $r "up --warm"; [ $r = 0 ] || sed 's/^/#   /' "$TMPDIR_TEST/up.out"
like "$(cat "$TMPDIR_TEST/up.out")" "warm start" "... from the warm snapshot"
gsh() { local n=$1; shift; $GSH "$VACMLAB_RUNTIME_DIR/$L/$n/ttyS0.sock" 30 "$@"; }
pings() { "$VACMLAB" exec "$L" -- ping -c 1 -W 2 "$1"; }
is "$(gsh n1 'echo dirt > /tmp/dirt && echo written' 2>&1)" written "wrote /tmp/dirt in n1's tmpfs"
t0=$(now)
"$VACMLAB" restore "$L" >"$TMPDIR_TEST/rs.out" 2>&1
r=$?; tr=$(el "$t0" "$(now)")
ok $r "restore (${tr} s)"; [ $r = 0 ] || sed 's/^/#   /' "$TMPDIR_TEST/rs.out"
is "$(gsh n1 'ls /tmp/dirt 2>/dev/null | wc -l' 2>&1)" 0 "after restore /tmp/dirt is gone"
ok_cmd "after restore n1 answers ping" wait_for 10 pings 10.52.0.11
a2=$("$VACMLAB" status --json "$L" | jq -r '.nodes[] | select(.name=="n2") | .nics[0].address')
like "$a2" '^10\.52\.0\.1[0-9][0-9]$' "after restore n2 still shows its lease ($a2)"
ok_cmd "... and answers ping on it" wait_for 10 pings "$a2"

"$VACMLAB" link down "$L" n1:eth0 >/dev/null 2>&1
ok $? "link down n1:eth0"
is "$(gsh n1 'cat /sys/class/net/eth0/carrier' 2>&1)" 0 "the guest sees carrier 0"
pings 10.52.0.11 >/dev/null 2>&1
isnt=$?; ok $((isnt == 0)) "ping to n1 fails with the cable pulled"
"$VACMLAB" link up "$L" n1 >/dev/null 2>&1
ok $? "link up n1"
is "$(gsh n1 'cat /sys/class/net/eth0/carrier' 2>&1)" 1 "the guest sees carrier 1"
ok_cmd "ping to n1 works again" wait_for 10 pings 10.52.0.11
"$VACMLAB" link down "$L" n1:eth3 >/dev/null 2>&1
is $? 1 "link on a NIC the node lacks is a usage error"

# ---- 5. rm drops the warm snapshot -----------------------------------------------------
h=$(cat "$VACMLAB_STATE_DIR/$L/warm" 2>/dev/null)
like "$h" '^[0-9a-f]{64}$' "the lab records its warm snapshot"
"$VACMLAB" down "$L" >/dev/null 2>&1
"$VACMLAB" rm --yes "$L" >/dev/null 2>&1
ok $? "rm the lab"
[ -n "$h" ] && [ ! -e "$VACMLAB_STATE_DIR/.warm/$h" ]
ok $? "... its warm snapshot is gone from the cache"

# ---- 6. a lab's own disks are never replaced by a warm start ----------------------------
# A lab booted without --warm keeps what its guests write (down/up); a
# warm start of it would swap its disks for the snapshot's: refused.
O=${L:0:22}o
lab_up --name "$O" "$T" >"$TMPDIR_TEST/own.out" 2>&1
r=$?; ok $r "up --name $O (cold, without --warm)"; [ $r = 0 ] || sed 's/^/#   /' "$TMPDIR_TEST/own.out"
"$VACMLAB" down "$O" >/dev/null 2>&1
sum() { sha256sum "$VACMLAB_STATE_DIR/$O/n1.qcow2" "$VACMLAB_STATE_DIR/$O/n2.qcow2" 2>&1; }
before=$(sum)
"$VACMLAB" up --warm --name "$O" "$T" >"$TMPDIR_TEST/own2.out" 2>&1
is $? 5 "up --warm of that lab: refused (exit 5)"
like "$(cat "$TMPDIR_TEST/own2.out")" "lab $O has disks of its own \\($VACMLAB_STATE_DIR/$O/n1\\.qcow2\\): a warm start would replace them" \
	"... saying why, and what to do (--name, reset)"
is "$(sum)" "$before" "... and both disks are byte for byte as they were"
ok "$(test ! -e "$VACMLAB_RUNTIME_DIR/$O"; echo $?)" "... and nothing of the lab is up"
"$VACMLAB" rm --yes "$O" >/dev/null 2>&1
ok_cmd "no process left behind" no_leftovers
done_testing
