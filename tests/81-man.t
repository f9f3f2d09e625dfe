#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages against the program's own tables: every verb of the verb
# table (`vacmlab --list-verbs`) has its entry in vacmlab(1), every long
# option a verb's --help names appears in that entry, and every key of the
# topology parser (`vacmlab check --list-keys`) is documented in its
# section of vacmlab.conf(5). A failure names exactly what is missing. The
# built pages render with man(1).
. "$(dirname "$0")/lib.sh"
need_cmd scdoc man
M=$SRCDIR/docs/man
B=${BUILD:-$SRCDIR/build}/man
verbs=$("$VACMLAB" --list-verbs)
keys=$("$VACMLAB" check --list-keys)
plan 9

ok "$([ -n "$verbs" ] && [ "$(wc -l <<<"$verbs")" -ge 20 ]; echo $?)" \
	"--list-verbs prints the verb table ($(wc -w <<<"$verbs") verbs)"
like "$keys" "^lan subnet$" "check --list-keys prints SECTION KEY from the parser's tables"

# The entry of VERB in vacmlab.1.scd: from its "*VERB*" line at column 0 to
# the next such line (or the next section).
entry() {
	awk -v v="$1" '
		/^# / { if (on) exit }
		/^\*[a-z]+\*/ { w = $1; gsub(/\*/, "", w); if (on && w != v) exit; if (w == v) on = 1 }
		on' "$M/vacmlab.1.scd"
}
missing=
for v in $verbs; do [ -n "$(entry "$v")" ] || missing="$missing $v"; done
is "${missing# }" "" "every verb has an entry under COMMANDS in docs/man/vacmlab.1.scd (missing verbs listed)"

# Long options from each verb's --help: its usage lines and its option
# lines (mentions of other verbs' options in running text do not count;
# --help itself is documented once).
missing=
for v in $verbs; do
	e=$(entry "$v")
	[ -n "$e" ] || continue
	for o in $("$VACMLAB" "$v" --help 2>&1 | grep -E '^(usage:|[[:space:]]+(vacmlab|-))' |
		grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
		[ "$o" = --help ] && continue
		grep -qF -- "$o" <<<"$e" || missing="$missing $v:$o"
	done
done
is "${missing# }" "" "every option in a verb's --help is in its vacmlab(1) entry (missing VERB:OPTION listed)"

# Keys: "*KEY* =" lines under "## [SECTION" in vacmlab.conf.5.scd.
documented=$(awk '
	/^## \[/ { s = $2; sub(/^\[/, "", s); sub(/\]$/, "", s); next }
	/^# / { s = "" }
	s != "" && /^\*[a-z0-9_\\]+\* *=/ { k = $1; gsub(/[*\\]/, "", k); print s " " k }' "$M/vacmlab.conf.5.scd")
missing=$(comm -23 <(sort -u <<<"$keys") <(sort -u <<<"$documented") | sed 's/ /./' | tr '\n' ' ')
is "${missing% }" "" "every topology key is in its section of docs/man/vacmlab.conf.5.scd (missing SECTION.KEY listed)"
extra=$(comm -13 <(sort -u <<<"$keys") <(sort -u <<<"$documented") | sed 's/ /./' | tr '\n' ' ')
is "${extra% }" "" "vacmlab.conf(5) documents no key the parser does not know"

# Exit statuses of vacmlab(1) against enum vacmlab_exit.
codes=$(grep -oE '= [0-9]+,' "$SRCDIR/lab/lib/util.h" | tr -dc '0-9\n' | sort -n | tr '\n' ' ')
missing=
for c in $codes; do grep -q "^\*$c\*$" "$M/vacmlab.1.scd" || missing="$missing $c"; done
is "${missing# }" "" "every exit code of enum vacmlab_exit ($codes) is under EXIT STATUS"

# The built pages render, with their sections.
out=$(for p in vacmlab.1 vacmlab.conf.5 vacmlab-attach.8; do MANWIDTH=80 man -l "$B/$p" 2>&1; done)
like "$out" "vacmlab-attach - connect a vacmlab lab LAN" "man -l renders the three built pages (build/man/)"
like "$(man -l "$B/vacmlab.conf.5" 2>&1)" "nic_model = MODEL" "key names with underscores survive scdoc"
done_testing
