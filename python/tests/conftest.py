# SPDX-License-Identifier: GPL-2.0-or-later
import os
import re
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOPO = os.environ.get("VACMLAB_TEST_TOPO",
                      os.path.join(HERE, "..", "..", "topo", "two-node.conf"))

_n = [0]


def sh(node, cmd, timeout=30):
    """Run @cmd in @node's shell over its console; its output (str).
    Logs in as root first if the console shows a login prompt."""
    c = node.console
    c.send("\n")
    m = c.expect(r"(login: ?$|# (?:\x1b\[6n)?$)", timeout=timeout)
    if m.group(1).startswith("login"):
        c.send("root\n")
        c.expect(r"# (?:\x1b\[6n)?$", timeout=timeout)
    # No echo: what comes back is the output.
    c.send("stty -echo\n")
    c.expect(r"# (?:\x1b\[6n)?$", timeout=timeout)
    _n[0] += 1
    tag = "__PT%d" % _n[0]
    # The shell computes the end marker: an echoed command never matches.
    c.send("%s; echo %s_$((40+2))\n" % (cmd, tag))
    m = c.expect(r"(?s)(.*?)%s_42" % tag, timeout=timeout)
    lines = [ln for ln in m.group(1).split("\n") if tag not in ln and not re.search(r"# ?$", ln)]
    return "\n".join(lines).strip()


@pytest.fixture
def topo():
    return TOPO


def has_node_verb():
    b = os.environ.get("VACMLAB") or shutil.which("vacmlab")
    return subprocess.run([b, "node", "--help"], capture_output=True).returncode == 0
