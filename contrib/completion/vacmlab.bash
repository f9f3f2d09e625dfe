# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for vacmlab(1). Installed as
# $(PREFIX)/share/bash-completion/completions/vacmlab; or source it.
#
# Everything comes from the program itself, so new verbs and options
# complete without editing this file: verbs from `vacmlab --list-verbs`,
# a verb's options from `vacmlab VERB --help`, running labs from `vacmlab
# ls --json`, a lab's nodes, hosts, LANs and serial ports from `vacmlab
# status --json LAB` (read with awk: no jq needed). Needs nothing from the
# bash-completion package.

# Words of JSON printed by vacmlab (jansson, indent 2): the "KEY" values of
# the objects in the top-level array ARRAY.
_vacmlab_json() {
	awk -v arr="$1" -v key="$2" '
		/^  "[a-z_]+": / { inarr = ($1 == "\"" arr "\":") }
		inarr && $1 == "\"" key "\":" && match($0, /^      "/) {
			v = $2; gsub(/[",]/, "", v); print v
		}'
}

_vacmlab_labs() {
	"${_vacmlab_cmd:-vacmlab}" ls --json 2>/dev/null |
		awk '$1 == "\"lab\":" { v = $2; gsub(/[",]/, "", v); print v }'
}

# Labs with state (disks, logs), running or not: for reset and rm.
_vacmlab_state_labs() {
	local base=${VACMLAB_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/vacmlab} d
	for d in "$base"/*/; do [ -d "$d" ] && basename "$d"; done 2>/dev/null
}

# _vacmlab_lab_names LAB nodes|hosts|lans
_vacmlab_lab_names() {
	"${_vacmlab_cmd:-vacmlab}" status --here --json "$1" 2>/dev/null | _vacmlab_json "$2" name
}

# Serial ports of NODE in LAB: ttyS0 ttyS1 ...
_vacmlab_ports() {
	"${_vacmlab_cmd:-vacmlab}" status --here --json "$1" 2>/dev/null | awk -v node="$2" '
		/^    {/ { cur = "" }
		/^      "name": / { v = $2; gsub(/[",]/, "", v); cur = v }
		cur == node && $1 == "\"port\":" { v = $2; gsub(/[",]/, "", v); print v }'
}

# What `link down|up LAB` takes: each node, NODE:ethN for its NICs, and
# NODE:ttySN for its ports that are cables, devices or ptys (ports[].kind;
# a console or a loop cannot be pulled). Nodes' keys are at six spaces,
# the objects of their nics[] and ports[] at eight.
_vacmlab_link_targets() {
	"${_vacmlab_cmd:-vacmlab}" status --here --json "$1" 2>/dev/null | awk '
		/^  "[a-z_]+": / { innodes = ($1 == "\"nodes\":") }
		!innodes { next }
		/^    \{/ { node = ""; list = ""; arr = "" }
		/^      "[a-z_]+": / { arr = $1 }
		/^      "name": / { v = $2; gsub(/[",]/, "", v); node = v }
		/^        \{/ { port = ""; kind = "" }
		arr == "\"nics\":" && $1 == "\"guest_ifname\":" && /^          "/ {
			v = $2; gsub(/[",]/, "", v); list = list " " v
		}
		arr == "\"ports\":" && /^          "(port|kind)": / {
			v = $2; gsub(/[",]/, "", v)
			if ($1 == "\"port\":") port = v; else kind = v
		}
		arr == "\"ports\":" && /^        \}/ && kind ~ /^(cable|device|pty)$/ { list = list " " port }
		/^    \}/ && node != "" {
			print node
			n = split(list, w, " ")
			for (i = 1; i <= n; i++) print node ":" w[i]
			node = ""
		}'
}

# Option lines of `vacmlab VERB --help`: usage lines and lines starting with
# a dash; prints "--opt" or "--opt ARG" (ARG: an upper-case word after it;
# --format always takes one: dot|mermaid, ansible|ssh-config|json; a
# positional such as LAB after an option is not its argument).
_vacmlab_options() {
	"${_vacmlab_cmd:-vacmlab}" "$1" --help 2>&1 |
		grep -E '^(usage:|[[:space:]]+(vacmlab|-))' |
		grep -oE -- '(^|[][ |(,])--?[a-zA-Z0-9][a-z0-9-]*( [A-Z][A-Z_]*)?' |
		sed -E 's/^[^-]*//; s/ (LAB|LAN|NODE|TOPO|CMD|IMAGE)$//; s/^--format$/--format FORMAT/' |
		sort -u
}

_vacmlab_conf_files() {
	local IFS=$'\n'
	compopt -o filenames 2>/dev/null
	COMPREPLY+=($(compgen -f -X '!*.conf' -- "$1") $(compgen -d -- "$1"))
}

_vacmlab_complete() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local _vacmlab_cmd=${COMP_WORDS[0]}
	local i verb= vi=0 opts argopts w
	local -a pos=()

	COMPREPLY=()
	# The verb: the first word after the global options.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) verb=${COMP_WORDS[i]}; vi=$i; break ;;
		esac
	done
	if [ -z "$verb" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '-v --verbose --help --version' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$_vacmlab_cmd" --list-verbs 2>/dev/null)" -- "$cur"))
		fi
		return 0
	fi

	opts=$(_vacmlab_options "$verb")
	argopts=$(awk 'NF == 2 { print $1 }' <<<"$opts")

	# exec LAB ... -- CMD: complete commands after the --.
	for ((i = vi + 1; i < COMP_CWORD; i++)); do
		if [ "${COMP_WORDS[i]}" = -- ]; then
			[ $((i + 1)) = "$COMP_CWORD" ] && COMPREPLY=($(compgen -c -- "$cur")) ||
				{ compopt -o default 2>/dev/null; COMPREPLY=(); }
			return 0
		fi
	done

	# Positional words so far, skipping options and their arguments.
	for ((i = vi + 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == -* ]]; then
			grep -qxF -- "$w" <<<"$argopts" && ((i++))
			continue
		fi
		pos+=("$w")
	done

	# The argument of an option.
	if grep -qxF -- "$prev" <<<"$argopts"; then
		case $prev in
		--format)
			case $verb in
			graph) COMPREPLY=($(compgen -W 'dot mermaid' -- "$cur")) ;;
			inventory) COMPREPLY=($(compgen -W 'ansible ssh-config json' -- "$cur")) ;;
			esac ;;
		--state | --artifacts)
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -d -- "$cur")) ;;
		--junit | -w | --image | --output | -o)
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur")) ;;
		--host)
			[ ${#pos[@]} -ge 1 ] &&
				COMPREPLY=($(compgen -W "$(_vacmlab_lab_names "${pos[0]}" hosts)" -- "$cur")) ;;
		--port)
			[ ${#pos[@]} -ge 2 ] &&
				COMPREPLY=($(compgen -W "$(_vacmlab_ports "${pos[0]}" "${pos[1]}")" -- "$cur")) ;;
		--snapshot) ;;
		esac
		return 0
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(awk '{ print $1 }' <<<"$opts" | sort -u) --help" -- "$cur"))
		return 0
	fi

	local n=${#pos[@]} lab=${pos[0]:-}
	case $verb in
	check | up | apply | run | kube)
		[ "$n" = 0 ] && _vacmlab_conf_files "$cur" ;;
	graph)
		if [ "$n" = 0 ]; then
			COMPREPLY=($(compgen -W "$(_vacmlab_labs)" -- "$cur"))
			_vacmlab_conf_files "$cur"
		fi ;;
	image)
		if [ "$n" = 0 ]; then
			COMPREPLY=($(compgen -W info -- "$cur"))
		else
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
		fi ;;
	doctor | ls) ;;
	usb)
		case $n in
		0) COMPREPLY=($(compgen -W "$(_vacmlab_labs)" -- "$cur")) ;;
		1) COMPREPLY=($(compgen -W "$(_vacmlab_lab_names "$lab" nodes)" -- "$cur")) ;;
		2) COMPREPLY=($(compgen -W 'insert eject' -- "$cur")) ;;
		3)
			[ "${pos[2]}" = insert ] || return 0
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur")) ;;
		esac ;;
	link)
		# link down|up LAB NODE[:ethN] | NODE:ttySN (a serial cable)
		case $n in
		0) COMPREPLY=($(compgen -W 'down up' -- "$cur")) ;;
		1) COMPREPLY=($(compgen -W "$(_vacmlab_labs)" -- "$cur")) ;;
		2) COMPREPLY=($(compgen -W "$(_vacmlab_link_targets "${pos[1]}") $(_vacmlab_lab_names "${pos[1]}" hosts)" -- "$cur")) ;;
		esac ;;
	web) COMPREPLY=($(compgen -W "$(_vacmlab_labs)" -- "$cur")) ;;
	config)
		case $n in
		0) COMPREPLY=($(compgen -W 'export import erase' -- "$cur")) ;;
		1) COMPREPLY=($(compgen -W "$(_vacmlab_state_labs)" -- "$cur")) ;;
		2) COMPREPLY=($(compgen -W "$(_vacmlab_lab_names "${pos[1]}" nodes)" -- "$cur")) ;;
		*)
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur")) ;;
		esac ;;
	*)
		if [ "$n" = 0 ]; then
			case $verb in
			reset | rm | upgrade) COMPREPLY=($(compgen -W "$(_vacmlab_state_labs)" -- "$cur")) ;;
			*) COMPREPLY=($(compgen -W "$(_vacmlab_labs)" -- "$cur")) ;;
			esac
			return 0
		fi
		case $verb:$n in
		console:1 | logs:1 | wait:1 | send:1 | snapshot:1 | forward:1 | impair:1 | reset:* | upgrade:*)
			COMPREPLY=($(compgen -W "$(_vacmlab_lab_names "$lab" nodes)" -- "$cur")) ;;
		capture:1)
			COMPREPLY=($(compgen -W "$(_vacmlab_lab_names "$lab" lans) $(_vacmlab_lab_names "$lab" nodes) $(_vacmlab_lab_names "$lab" hosts)" -- "$cur")) ;;
		attach:1)
			COMPREPLY=($(compgen -W "$(_vacmlab_lab_names "$lab" lans)" -- "$cur")) ;;
		console:2 | logs:2)
			COMPREPLY=($(compgen -W "$(_vacmlab_ports "$lab" "${pos[1]}")" -- "$cur")) ;;
		snapshot:2)
			COMPREPLY=($(compgen -W 'save load list rm' -- "$cur")) ;;
		esac ;;
	esac
	return 0
}
complete -F _vacmlab_complete vacmlab
