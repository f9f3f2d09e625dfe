# SPDX-License-Identifier: GPL-2.0-or-later
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOPO = os.environ.get("VACMLAB_TEST_TOPO",
                      os.path.join(HERE, "lab.conf"))



def sh(node, cmd, timeout=30):
    """Run @cmd in @node's shell over its console; its output (str)."""
    return node.sh(cmd, timeout=timeout)


@pytest.fixture
def topo():
    return TOPO


def has_node_verb():
    b = os.environ.get("VACMLAB") or shutil.which("vacmlab")
    return subprocess.run([b, "node", "--help"], capture_output=True).returncode == 0
