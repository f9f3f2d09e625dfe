#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 91-pytest.t - pytest-vacmlab: it installs offline into a venv (Debian's
# pytest and setuptools, no index, no build isolation), loads through its
# pytest11 entry point, and its own suite (python/tests) passes against real
# guests; a failing test's report carries the nodes' console logs.
. "$(dirname "$0")/lib.sh"
need_image
PY=/usr/bin/python3
[ -x $PY ] || skip_all "no /usr/bin/python3"
$PY -c 'import venv, ensurepip' 2>/dev/null || skip_all "python3-venv not installed"
$PY -c 'import pytest, setuptools' 2>/dev/null || skip_all "python3-pytest or python3-setuptools not installed"
lab_env
plan 17

V=$TMPDIR_TEST/venv
$PY -m venv --system-site-packages "$V" >"$TMPDIR_TEST/venv.out" 2>&1
ok $? "venv --system-site-packages"
"$V/bin/pip" install -q --no-build-isolation --no-index "$SRCDIR/python" >"$TMPDIR_TEST/pip.out" 2>&1
r=$?; ok $r "pip install --no-build-isolation --no-index ./python (offline)"
[ $r = 0 ] || sed 's/^/#   /' "$TMPDIR_TEST/pip.out"
like "$(cd "$TMPDIR_TEST" && "$V/bin/python" -m pytest --trace-config --co -q 2>&1)" \
	"pytest_vacmlab" "pytest loads the plugin through its entry point"

L=pt$$
L=${L:0:20}
T=$TMPDIR_TEST/pt.conf
# python/tests/lab.conf: two nodes on a LAN, a serial cable between them
# and the example UPS on a port (its own name, image, subnet, device path).
sed -e "s/^name = .*/name = $L/" -e "s#^image *= .*#image = $IMAGE#" \
	-e 's/192\.168\.0\./10.91.0./g' -e "s#\.\./\.\./contrib/#$SRCDIR/contrib/#" \
	"$SRCDIR/python/tests/lab.conf" >"$T"
export VACMLAB_TEST_TOPO=$T VACMLAB="$VACMLAB"
_t_labs+=("$L")
(cd "$SRCDIR/python" && "$V/bin/python" -m pytest -p no:cacheprovider -v tests/test_console.py tests/test_plugin.py tests/test_serial.py) \
	>"$TMPDIR_TEST/pytest.out" 2>&1
r=$?
ok $r "python/tests pass against real guests"
sed 's/^/#   /' "$TMPDIR_TEST/pytest.out" | grep -E "PASS|FAIL|SKIP|ERROR|passed|failed|Error|assert" | head -40
# On a failure, pytest's own report where a CI log keeps it (stderr).
[ $r = 0 ] || sed -n '/= FAILURES =/,$p' "$TMPDIR_TEST/pytest.out" | tail -80 | sed 's/^/#   /' >&2
like "$(cat "$TMPDIR_TEST/pytest.out")" "test_link_down_up PASSED" "... including the cable test"
like "$(cat "$TMPDIR_TEST/pytest.out")" "test_cable_pull_plug_login PASSED" "... the serial cable: pulled, plugged, a login through it, its log"
like "$(cat "$TMPDIR_TEST/pytest.out")" "test_ups_device PASSED" "... the UPS device: Y answered SM, its state"
ok_cmd "the session took its lab down" wait_for 20 sh -c "! \"$VACMLAB\" status $L"

# The same suite in the CMD of `vacmlab run --warm`: the fixture takes run's
# lab (a throwaway one, killed at the end) instead of bringing up its own.
(cd "$SRCDIR/python" && "$VACMLAB" run --warm --quiet --artifacts "$TMPDIR_TEST/art" "$T" -- \
	"$V/bin/python" -m pytest -p no:cacheprovider -v tests/test_plugin.py) >"$TMPDIR_TEST/run.out" 2>&1
r=$?
ok $r "the suite passes under vacmlab run --warm"
[ $r = 0 ] || sed 's/^/#   /' "$TMPDIR_TEST/run.out" | tail -30
like "$(cat "$TMPDIR_TEST/run.out")" "test_lab_of_vacmlab_run PASSED" "... on run's lab"
like "$(cat "$TMPDIR_TEST/run.out")" "vacmlab: warm start from snapshot" "... which started warm"
ok "$(test -z "$(ls -A "$VACMLAB_RUNTIME_DIR" 2>/dev/null)"; echo $?)" "... and no lab is left up"

(cd "$SRCDIR/python" && "$V/bin/python" -m pytest -p no:cacheprovider tests/failing/fail_case.py) \
	>"$TMPDIR_TEST/fail.out" 2>&1
like "$(cat "$TMPDIR_TEST/fail.out")" "vacmlab console $L/vacm1.*" \
	"a failing test's report carries the console logs"

# A lab of that name with disks of its own (an up without --warm): the
# session refuses to warm-start over them, and says how to run beside it.
"$VACMLAB" up "$T" >/dev/null 2>&1 && "$VACMLAB" down "$L" >/dev/null 2>&1
sums=$(sha256sum "$VACMLAB_STATE_DIR/$L"/vacm*.qcow2)
(cd "$SRCDIR/python" && "$V/bin/python" -m pytest -p no:cacheprovider tests/test_plugin.py -k test_exec_ping) \
	>"$TMPDIR_TEST/own.out" 2>&1
r=$?
ok $((r == 0)) "a session over a lab with disks of its own fails (exit $r)"
like "$(cat "$TMPDIR_TEST/own.out")" "has disks of its own" "... saying why"
like "$(cat "$TMPDIR_TEST/own.out")" "--vacmlab-prefix NAME" "... and how to run beside it"
is "$(sha256sum "$VACMLAB_STATE_DIR/$L"/vacm*.qcow2)" "$sums" "... and the lab's disks are untouched"
done_testing
