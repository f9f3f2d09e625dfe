#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/17-progress-tty.t - what `vacmlab up` shows while real guests boot
# (issue 16, point 3). On a pseudo-terminal of 100x30 (tests/pty-run.py)
# each node's line is redrawn in place (cursor up, erase line) at least
# once a second with its elapsed time and its console's last line, trimmed
# to the width; with boot_parallel = 1 the second node shows as queued;
# the final screen, replayed through a tiny terminal (tests/pty_screen.py,
# which refuses any sequence it does not know), says "ready in" for each.
# Not on a terminal the same events are plain lines without an escape;
# --quiet on a terminal writes nothing at all. The three labs boot at the
# same time (one guest each at a time) to keep the wall time down. The
# screens are printed as diagnostics and kept in build/17-progress-*.screen.
#
# The one timing bound here is the feature itself: the issue asks for a
# redraw at least once a second. The client redraws every 0.5 s from a
# poll() timeout; read from the pty, 9 gaps in 10 must be at most 1 s (a
# client that redraws once a second or slower fails that) and none over
# 2.5 s (a stall, or output held in a buffer). A single late wake-up on a
# loaded machine is the scheduler's, not the program's: at a load of 13
# on two CPUs one gap was 1.7 s while the others were 0.5 s.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd python3 jq
lab_env
plan 31
cd "$SRCDIR"

T=$TMPDIR_TEST
COLS=100 ROWS=30
A=prg17t-$$ B=prg17p-$$ C=prg17q-$$
for l in $A $B $C; do
	sed -e "s/^name = two-node\$/name = $l\nboot_parallel = 1/" \
		-e "s|\.\./images/image.bin|$IMAGE|" topo/two-node.conf >"$T/$l.conf"
done
# The quiet lab needs one node only: fewer guests at once, a shorter run.
sed -i '/^\[node vacm2\]/,$d' "$T/$C.conf"
_t_labs+=("$A" "$B" "$C")

python3 tests/pty-run.py $COLS $ROWS "$T/tty.log" -- "$VACMLAB" up "$T/$A.conf" &
PA=$!
"$VACMLAB" up "$T/$B.conf" </dev/null >"$T/plain.out" 2>"$T/plain.err" &
PB=$!
python3 tests/pty-run.py $COLS $ROWS "$T/quiet.log" -- "$VACMLAB" up --quiet "$T/$C.conf" &
PC=$!
wait $PA; rcA=$?
wait $PB; rcB=$?
wait $PC; rcC=$?

# --- on a terminal
is "$rcA" 0 "up on a pty ($COLS x $ROWS) succeeds"
[ "$rcA" = 0 ] || lab_logs "$A"
python3 - "$T/tty.log" $COLS $ROWS >"$T/facts" 2>&1 <<'EOF'
import re, sys
sys.path.insert(0, "tests")
from pty_screen import Screen, Unknown, read_log

log, cols, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
chunks = read_log(log)
raw = b"".join(d for _, d in chunks)
print("cuu", raw.count(b"\x1b[1A"))
print("el", raw.count(b"\x1b[2K"))
scr = Screen(cols, rows)
nodes = ("vacm1", "vacm2")
upd = {n: [] for n in nodes}  # (read time, elapsed) at each change
ready_at = {}
tails = {n: "" for n in nodes}
queued = 0
dup = 0
maxlen = 0
snap = None
line_re = re.compile(r"^  (vacm\d) +(.*)$")
try:
    for t, data in chunks:
        scr.feed(data)
        seen = {}
        for row in scr.rows():
            m = line_re.match(row)
            if not m:
                continue
            n, rest = m.groups()
            seen[n] = seen.get(n, 0) + 1
            maxlen = max(maxlen, len(row))
            b = re.match(r"booting +(\d+\.\d) s(?:  (.*))?$", rest)
            if b:
                e = float(b.group(1))
                if not upd[n] or upd[n][-1][1] != e:
                    upd[n].append((t, e))
                if b.group(2) and len(b.group(2)) > len(tails[n]):
                    tails[n] = b.group(2)
            elif rest.startswith("ready in ") and n not in ready_at:
                ready_at[n] = t
        st = {n: [r for r in scr.rows() if r.startswith("  %s " % n)] for n in nodes}
        if any("booting" in r for r in st["vacm1"]) and any(r.endswith(" queued") for r in st["vacm2"]):
            queued = 1
            if snap is None and re.search(r"booting +\S+ s  \S", st["vacm1"][0]):
                snap = [r for r in scr.rows() if r]
        dup = max([dup] + list(seen.values()))
    print("unknown", "none")
except Unknown as e:
    print("unknown", e)
for n in nodes:
    u = upd[n]
    times = [t for t, _ in u] + ([ready_at[n]] if n in ready_at else [])
    gaps = [b - a for a, b in zip(times, times[1:])]
    el = [e for _, e in u]
    print("updates_%s" % n, len(u))
    print("mono_%s" % n, int(all(b > a for a, b in zip(el, el[1:]))))
    print("maxgap_%s" % n, "%.2f" % max(gaps) if gaps else "none")
    print("p90gap_%s" % n, "%.2f" % sorted(gaps)[int(len(gaps) * 0.9)] if gaps else "none")
    egaps = [b - a for a, b in zip(el, el[1:])]
    print("maxegap_%s" % n, "%.2f" % max(egaps) if egaps else "none")
    print("lastel_%s" % n, el[-1] if el else "none")
    print("tail_%s" % n, tails[n] or "none")
    print("ready_%s" % n, int(n in ready_at))
print("queued", queued)
print("dup", dup)
print("maxlen", maxlen)
with open(log + ".snap", "w") as f:
    f.write("\n".join(snap or []) + "\n")
EOF
fact() { sed -n "s/^$1 //p" "$T/facts"; }
[ -s "$T/facts" ] && ! grep -q Traceback "$T/facts" || sed 's/^/# /' "$T/facts"
like "$(fact cuu)" '^[1-9][0-9]*$' "redraws move the cursor up (CSI A): $(fact cuu) times"
like "$(fact el)" '^[1-9][0-9]*$' "redraws erase lines (CSI 2K): $(fact el) times"
is "$(fact unknown)" none "the output holds no control or escape sequence but CR, LF, CSI A, CSI K"
for n in vacm1 vacm2; do
	like "$(fact updates_$n)" '^([3-9]|[1-9][0-9]+)$' "$n's booting line was redrawn with a new elapsed time $(fact updates_$n) times"
	is "$(fact mono_$n)" 1 "$n's elapsed time only grows (last shown $(fact lastel_$n) s)"
	ok "$(awk -v g="$(fact p90gap_$n)" -v m="$(fact maxgap_$n)" 'BEGIN { exit !(g != "none" && g <= 1.0 && m <= 2.5) }'; echo $?)" \
		"$n's line changed at least once a second while booting, up to ready (9 gaps in 10 <= $(fact p90gap_$n) s, largest $(fact maxgap_$n) s as read, $(fact maxegap_$n) s in the times it showed)"
	like "$(fact tail_$n)" '^(SYSLINUX|Linux version|vacm-standin|VACM stand-in|.*login:)' \
		"$n's line shows its console's last line: '$(fact tail_$n)'"
	is "$(fact ready_$n)" 1 "$n's line turns to 'ready in'"
done
is "$(fact queued)" 1 "with boot_parallel = 1, vacm2 shows 'queued' while vacm1 boots"
is "$(fact dup)" 1 "no frame shows a node's line twice (redrawn in place, never scrolled)"
ok "$([ "$(fact maxlen)" -le $((COLS - 1)) ]; echo $?)" "progress lines fit the terminal's width (longest $(fact maxlen) of $COLS)"
full=$(grep -a -m1 '^SYSLINUX' "$VACMLAB_STATE_DIR/$A/logs/vacm1.ttyS0.log" | tr -d '\r')
tail=$(fact tail_vacm1)
ok "$([ -n "$full" ] && [ ${#tail} -lt ${#full} ] && [ "${full#"$tail"}" != "$full" ]; echo $?)" \
	"the console line is cut to the width (${#tail} of its ${#full} characters)"

python3 tests/pty_screen.py $COLS $ROWS "$T/tty.log" >"$T/screen" 2>&1
screen=$(cat "$T/screen")
like "$screen" "^  vacm1 +ready in [0-9]+\.[0-9] s\$" "the final screen: vacm1 ready in N s"
like "$screen" "^  vacm2 +ready in [0-9]+\.[0-9] s\$" "the final screen: vacm2 ready in N s"
like "$screen" "^lab $A is up" "the final screen: the lab is up, then the table"
is "$(grep -c '^  vacm[12] ' "$T/screen")" 2 "the final screen holds one progress line per node"
{
	echo "a progress screen while vacm1 boots (pty $COLS x $ROWS):"
	cat "$T/tty.log.snap"
	echo "the final screen:"
	echo "$screen"
} | sed 's/^/# /'
cp "$T/tty.log.snap" "$SRCDIR/build/17-progress-boot.screen" 2>/dev/null
cp "$T/screen" "$SRCDIR/build/17-progress-final.screen" 2>/dev/null
cp "$T/tty.log" "$SRCDIR/build/17-progress-tty.log" 2>/dev/null

# --- not on a terminal
is "$rcB" 0 "up with stderr to a file succeeds"
ok "$(! grep -q $'\x1b' "$T/plain.err" "$T/plain.out"; echo $?)" "not on a terminal: no escape sequence at all"
plain=$(cat "$T/plain.err")
like "$plain" "^  vacm2 +queued" "plain lines: vacm2 queued"
like "$plain" "^  vacm1 +booting\.\.\." "plain lines: vacm1 booting..."
like "$plain" "^  vacm2 +ready in [0-9.]+ s" "plain lines: ready in N s"
is "$(grep -cE '^  vacm1 +booting' "$T/plain.err")" 1 "one line per event: vacm1 booting once, not redrawn"
[ "$rcB" = 0 ] || sed 's/^/# /' "$T/plain.err"

# --- --quiet
is "$rcC:$(wc -c <"$T/quiet.log")" "$rcC:0" "up --quiet on a terminal writes nothing (exit $rcC)"
is "$("$VACMLAB" status --json "$C" | jq -r '[.nodes[].state] | join(" ")')" "ready" "and the quiet lab is up"

for l in $A $B $C; do "$VACMLAB" down "$l" >/dev/null 2>&1 || diag "down $l failed"; done
ok "$(no_leftovers; echo $?)" "nothing of the three labs is left"
