# SPDX-License-Identifier: GPL-2.0-or-later
"""The serial helpers against real guests (python/tests/lab.conf: vacm1's
ttyS1 cabled to vacm2's ttyS1, the example UPS on vacm1's ttyS2): a pulled
cable loses what the guest sends, a plugged one carries a login; the
cable's log holds both directions in order; a break reaches the UART; the
UPS answers Y with SM; a device's state."""
import re
import time

import pytest

from conftest import sh


def need_port(lab, node, idx, kind):
    try:
        p = lab._port(node, idx)
    except IndexError:
        p = {}
    if p.get("kind") != kind:
        pytest.skip("the topology has no %s on %s:ttyS%d (python/tests/lab.conf has)"
                    % (kind, node, idx))


def until(what, fn, timeout=20):
    """fn() until it is true, at most @timeout seconds; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            assert v, "no %s in %g s" % (what, timeout)
            return v
        time.sleep(0.2)


def firsts(chunks, *wants):
    """For each (direction, bytes): the index of the chunk at which that
    direction's bytes, joined, first hold them (None if never)."""
    acc, out = {}, [None] * len(wants)
    for i, (d, b, lost) in enumerate(chunks):
        if lost:
            continue
        acc[d] = acc.get(d, b"") + b
        for k, (wd, wb) in enumerate(wants):
            if out[k] is None and wd == d and wb in acc[d]:
                out[k] = i
    return out


def brk(node, port):
    """The guest's break count on ttySPORT (Linux shows brk:N once non-zero)."""
    m = re.search(r"brk:(\d+)", sh(node, "grep '^%d:' /proc/tty/driver/serial" % port))
    return int(m.group(1)) if m else 0


def test_cable_pull_plug_login(vacmlab, topo):
    lab = vacmlab.up(topo)
    need_port(lab, "vacm1", 1, "cable")
    v1, v2 = lab.node("vacm1"), lab.node("vacm2")
    c = v1.cable("ttyS1")
    assert c.peer == "vacm2:ttyS1" and c.plugged
    assert v2.cable(1).peer == "vacm1:ttyS1"
    # vacm1 reads its end (raw: a tty that echoes would send vacm2's
    # output back to its getty as a name).
    sh(v1, "stty -F /dev/ttyS1 raw -echo; cat /dev/ttyS1 > /tmp/cable.out 2>&1 & true")

    # Pulled: what vacm1 sends is lost, and counted so.
    c.pull()
    assert not c.plugged and not v2.cable(1).plugged
    lost = c.status()["lost_sent"]
    sh(v1, "printf PULLED-BYTES > /dev/ttyS1")
    until("lost bytes counted", lambda: c.status()["lost_sent"] >= lost + 12)
    assert b"PULLED" not in c.received()
    # The UART's bytes come in chunks of whatever the relay read at once:
    # the lost ones joined, not one chunk, hold what was sent.
    assert b"PULLED-BYTES" in b"".join(b for _, b, lost in c.chunks() if lost)

    # Plugged: a login through it, vacm2's getty answering vacm1.
    c.plug()
    assert c.plugged
    sh(v2, "setsid getty -L 115200 ttyS1 vt100 < /dev/null > /dev/null 2>&1 & true")
    c.expect(r"login: *$", end="vacm1:ttyS1", timeout=60)
    sh(v1, "printf 'root\\r' > /dev/ttyS1")
    c.expect(r"# ", end="vacm1:ttyS1", timeout=60)
    sh(v1, "printf 'echo VIA-$((6*7))\\r' > /dev/ttyS1")
    c.expect(r"VIA-42", end="vacm1:ttyS1", timeout=60)
    assert "VIA-42" in sh(v1, "cat /tmp/cable.out")  # vacm1's guest read it

    # Both directions, in order, from the cable's log.
    a, b, d = firsts(c.chunks(), ("vacm2:ttyS1>vacm1:ttyS1", b"login:"),
                     ("vacm1:ttyS1>vacm2:ttyS1", b"root"),
                     ("vacm2:ttyS1>vacm1:ttyS1", b"VIA-42"))
    assert a is not None and b is not None and d is not None and a < b < d, (a, b, d)
    assert c.received("vacm2:ttyS1").endswith(b"echo VIA-$((6*7))\r")

    # A break on vacm1's end reaches its UART (the port is open: cat).
    n = brk(v1, 1)
    v1.send_break(1)
    until("break counted", lambda: brk(v1, 1) == n + 1)
    assert "break -> vacm1:ttyS1" in c.log()


def test_ups_device(vacmlab, topo):
    lab = vacmlab.up(topo)
    need_port(lab, "vacm1", 2, "device")
    ups = lab.device("ups")
    assert (ups.node, ups.port) == ("vacm1", 2)
    assert ups.state == "running" and ups.exit is None and ups.restarts == 0
    assert ups.plugged and ups.cable.peer == "device:ups"
    v1 = lab.node("vacm1")
    seen = len(ups.chunks())
    sh(v1, "stty -F /dev/ttyS2 9600 raw -echo; cat /dev/ttyS2 > /tmp/ups.out 2>&1 &"
           " sleep 0.2; printf Y > /dev/ttyS2")
    ups.expect(r"SM\r\n")
    # In its log: vacm1's Y, then the device's SM.
    y, sm = firsts(ups.chunks()[seen:], ("vacm1:ttyS2>device:ups", b"Y"),
                   ("device:ups>vacm1:ttyS2", b"SM"))
    assert y is not None and sm is not None and y < sm, (y, sm)
    until("SM read by the guest", lambda: "SM" in sh(v1, "cat /tmp/ups.out"))
    ups.pull()
    assert not ups.plugged
    ups.plug()
    assert ups.plugged and ups.state == "running"
