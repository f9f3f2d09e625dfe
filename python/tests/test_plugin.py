# SPDX-License-Identifier: GPL-2.0-or-later
"""pytest-vacmlab's own suite, against real guests. The tests run in file
order and rely on it: a later test checks that an earlier one's mess was
restored away."""
import os
import subprocess

import pytest

from conftest import has_node_verb, sh


def test_plugin_loaded(pytestconfig):
    assert pytestconfig.pluginmanager.has_plugin("vacmlab")


def test_lab_of_vacmlab_run(vacmlab, topo):
    """Under `vacmlab run TOPO -- pytest` the fixture uses run's lab (and
    leaves taking it down to run); else it brings up its own."""
    lab = vacmlab.up(topo)
    run_lab = os.environ.get("VACMLAB_LAB")
    if run_lab:
        assert lab.name == run_lab and not lab.owned
    else:
        assert lab.owned and lab.name != run_lab


def test_exec_ping(vacmlab, topo):
    lab = vacmlab.up(topo)
    addr = lab.node("vacm2").addr
    assert addr
    p = lab.exec(["ping", "-c1", "-W2", addr])
    assert isinstance(p, subprocess.CompletedProcess)
    assert p.returncode == 0, p.stdout + p.stderr


def test_console_dirties_tmp(vacmlab, topo):
    lab = vacmlab.up(topo)
    n = lab.node("vacm1")
    assert sh(n, "echo dirt > /tmp/pytest-dirt && cat /tmp/pytest-dirt").endswith("dirt")


def test_restored_between_tests(vacmlab, topo):
    lab = vacmlab.up(topo)
    n = lab.node("vacm1")
    assert sh(n, "ls /tmp/pytest-dirt 2>/dev/null | wc -l") == "0"
    assert lab.exec(["ping", "-c1", "-W2", n.addr]).returncode == 0


def test_link_down_up(vacmlab, topo):
    lab = vacmlab.up(topo)
    n = lab.node("vacm1")
    n.link_down("eth0")
    assert sh(n, "cat /sys/class/net/eth0/carrier") == "0"
    assert lab.exec(["ping", "-c1", "-W2", n.addr]).returncode != 0
    n.link_up("eth0")
    assert sh(n, "cat /sys/class/net/eth0/carrier") == "1"
    ok = any(lab.exec(["ping", "-c1", "-W2", n.addr]).returncode == 0 for _ in range(5))
    assert ok


@pytest.mark.skipif(not has_node_verb(), reason="this vacmlab has no `node` verb")
def test_restart_keeps_config(vacmlab, topo):
    lab = vacmlab.up(topo)
    n = lab.node("vacm2")
    sh(n, "echo kept > /etc/config/pytest-kept && sync")
    n.restart()
    assert n.state == "ready"
    assert sh(n, "cat /etc/config/pytest-kept") == "kept"
    n.stop()
    assert n.state != "ready"
    n.start()
    assert n.state == "ready"
