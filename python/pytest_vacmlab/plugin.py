# SPDX-License-Identifier: GPL-2.0-or-later
"""The pytest plugin (entry point pytest11 "vacmlab").

Fixture `vacmlab`: `lab = vacmlab.up("topo/two-node.conf")` brings the lab
up once per session (warm: the first session boots cold and saves the
snapshot, later ones start from it) and restores it to the warm snapshot
before each later test that asks for it. The labs go down at session end.
Under `vacmlab run [--warm] TOPO -- pytest ...` the fixture uses run's lab
for TOPO instead, and run takes it down.
A failing test gets the console log of every node of the labs it used
attached to its report.
"""
import pytest

from pytest_vacmlab.lab import Vacmlab, run


def pytest_addoption(parser):
    g = parser.getgroup("vacmlab")
    g.addoption("--vacmlab-prefix", default=None,
                help="bring labs up under NAME0, NAME1, ... instead of the topology's name")


@pytest.fixture(scope="session")
def _vacmlab_session(request):
    v = Vacmlab(prefix=request.config.getoption("--vacmlab-prefix"))
    yield v
    v.close()


@pytest.fixture
def vacmlab(_vacmlab_session, request):
    _vacmlab_session.used = []
    request.node._vacmlab_used = _vacmlab_session.used
    yield _vacmlab_session


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    for lab in getattr(item, "_vacmlab_used", []):
        try:
            nodes = [n["name"] for n in lab.status()["nodes"]]
        except Exception as e:  # the lab itself is gone: say so
            report.sections.append(("vacmlab lab %s" % lab.name, str(e)))
            continue
        for n in nodes:
            log = run(["logs", lab.name, n], check=False).stdout
            report.sections.append(("vacmlab console %s/%s" % (lab.name, n), log[-8000:]))
