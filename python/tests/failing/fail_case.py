# SPDX-License-Identifier: GPL-2.0-or-later
"""Fails on purpose (run by tests/91-pytest.t, not collected with the rest):
its report must carry the nodes' console logs."""
import os


def test_fails(vacmlab):
    vacmlab.up(os.environ["VACMLAB_TEST_TOPO"])
    assert False, "deliberate failure"
