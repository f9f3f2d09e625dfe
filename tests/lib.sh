# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib.sh - shared helpers for the bash TAP tests (tests/*.t).
#
# Source it, call `plan N` (or `skip_all REASON`), use ok/is/like, and
# `lab_env` to get a private runtime/state dir so tests never collide with
# each other or with the user's labs. On exit every lab started through
# `lab_up` is brought down, and `no_leftovers` checks that no process of
# the test's labs survives.

set -u
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VACMLAB=${VACMLAB:-$SRCDIR/build/vacmlab}
IMAGE=$SRCDIR/images/image.bin
_t_n=0
_t_failed=0
_t_labs=()
_t_tmp=

_t_planned=
plan() { echo "1..$1"; _t_planned=1; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
diag() { printf '# %s\n' "$@" | sed 's/^# /# /'; }

ok() {
	local cond=$1; shift
	_t_n=$((_t_n + 1))
	if [ "$cond" = 0 ]; then
		echo "ok $_t_n - $*"
	else
		_t_failed=$((_t_failed + 1))
		echo "not ok $_t_n - $*"
		return 1
	fi
}
# run a command; ok if it exits 0
ok_cmd() { local d=$1; shift; "$@" >/dev/null 2>&1; ok $? "$d"; }
is() {
	_t_n=$((_t_n + 1))
	if [ "$1" = "$2" ]; then echo "ok $_t_n - $3"; else
		_t_failed=$((_t_failed + 1)); echo "not ok $_t_n - $3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"; fi
}
like() {
	_t_n=$((_t_n + 1))
	if printf '%s' "$1" | grep -Eq -- "$2"; then echo "ok $_t_n - $3"; else
		_t_failed=$((_t_failed + 1)); echo "not ok $_t_n - $3"
		printf '%s\n' "$1" | tail -n 15 | sed 's/^/#   got: /'; printf '#   want match: %s\n' "$2"; fi
}
# unlike GOT REGEX DESC: no line of GOT matches REGEX (grep -E).
unlike() {
	_t_n=$((_t_n + 1))
	if ! printf '%s' "$1" | grep -Eq -- "$2"; then echo "ok $_t_n - $3"; else
		_t_failed=$((_t_failed + 1)); echo "not ok $_t_n - $3"
		printf '%s\n' "$1" | grep -E -- "$2" | head -n 5 | sed 's/^/#   matched: /'; fi
}

need_image() { [ -f "$IMAGE" ] || skip_all "no images/image.bin (run make appliance)"; }
need_root() { [ "$(id -u)" = 0 ] || skip_all "needs root"; }
need_cmd() { for c; do command -v "$c" >/dev/null || skip_all "$c not installed"; done; }

# A private runtime and state dir for this test; removed at exit.
lab_env() {
	_t_tmp=$(mktemp -d /tmp/vacmlab-test.XXXXXX)
	chmod 755 "$_t_tmp"
	export VACMLAB_RUNTIME_DIR=$_t_tmp/run VACMLAB_STATE_DIR=$_t_tmp/state
	export TMPDIR_TEST=$_t_tmp
	# Each test's state dir is new, so on a machine whose /dev/kvm opens
	# but cannot run the guest every lab would meet KVM's error and fall
	# back to TCG, once per test. The accelerator is the business of
	# 53-accel.t and 55-kvm.t, which unset this; the others run under
	# TCG unless VACMLAB_TEST_ACCEL says otherwise (kvm where it works).
	export VACMLAB_ACCEL=${VACMLAB_TEST_ACCEL:-tcg}
	trap _t_cleanup EXIT
}

# lab_up [vacmlab up args...]: up, remembering the lab name for cleanup.
# The lab name is taken from --name or the topology's [lab] name.
lab_up() {
	local name= a prev=
	for a; do [ "$prev" = --name ] && name=$a; prev=$a; done
	[ -n "$name" ] || name=$(sed -n 's/^name *= *//p' "${@: -1}" | head -1 | tr -d ' ')
	_t_labs+=("$name")
	"$VACMLAB" up "$@"
}

# Print the tails of a lab's logs (on failure).
lab_logs() {
	local lab=$1 f
	for f in "$VACMLAB_STATE_DIR/$lab"/logs/*; do
		[ -f "$f" ] || continue
		echo "# --- $f"; tail -n 20 "$f" | sed 's/^/#   /'
	done
}

# PIDs of processes that belong to labs of this test (by runtime dir or
# QEMU's process tag).
lab_pids() {
	local p
	for p in /proc/[0-9]*; do
		tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -qE "$VACMLAB_RUNTIME_DIR|process=vacmlab:" || continue
		tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q "$VACMLAB_RUNTIME_DIR" && echo "${p#/proc/}" && continue
		# QEMU's tag names the lab; only count labs of this test
		local l
		for l in "${_t_labs[@]}"; do
			tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q "process=vacmlab:$l:" && echo "${p#/proc/}"
		done
	done 2>/dev/null | sort -u
}

# Wait (bounded) until no process of this test's labs is left.
no_leftovers() {
	local i
	for i in $(seq 1 100); do
		[ -z "$(lab_pids)" ] && return 0
		sleep 0.1
	done
	echo "# leftover processes:"; for p in $(lab_pids); do echo "#   $p $(tr '\0' ' ' < /proc/$p/cmdline)"; done
	return 1
}

_t_cleanup() {
	local l
	for l in "${_t_labs[@]}"; do "$VACMLAB" down --timeout 5 "$l" >/dev/null 2>&1; done
	# anything still alive was ours: end it by PID
	for p in $(lab_pids); do kill -9 "$p" 2>/dev/null; done
	[ -n "$_t_tmp" ] && rm -rf "$_t_tmp"
}

# Poll CMD until it succeeds or SECONDS pass: wait_for SECONDS CMD...
wait_for() {
	local t=$1; shift
	local end=$((SECONDS + t))
	while [ $SECONDS -lt $end ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
	return 1
}

done_testing() { [ -n "$_t_planned" ] || echo "1..$_t_n"; [ "$_t_failed" = 0 ]; exit $?; }
