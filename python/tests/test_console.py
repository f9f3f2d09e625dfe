# SPDX-License-Identifier: GPL-2.0-or-later
"""Console.expect on a socket pair (no lab): output that arrives in pieces,
as a serial port delivers it, is matched where a person would match it."""
import socket
import threading
import time

from pytest_vacmlab.lab import Console


def console_with(writes):
    """A Console reading from a socket pair; a thread sends @writes, each
    (delay_s, text)."""
    a, b = socket.socketpair()
    c = Console(None, "n1")
    c._sock = a

    def feed():
        for delay, text in writes:
            time.sleep(delay)
            b.sendall(text.encode())

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    return c, b, t


def test_prompt_regex_waits_for_the_line_to_go_on():
    # '# ' then 'Title': the start of a line '# Title', not the prompt.
    c, b, t = console_with([(0, "cmd\r\n# "), (0.01, "Title\r\n"), (0.01, "root# ")])
    m = c.expect(r"# $", timeout=5)
    t.join()
    assert m.string[:m.end()].endswith("Title\nroot# ")
    b.close()


def test_prompt_alone_matches_after_the_pause():
    c, b, t = console_with([(0, "login ok\r\nroot# ")])
    t0 = time.monotonic()
    m = c.expect(r"# $", timeout=5)
    assert m.group(0) == "# "
    assert time.monotonic() - t0 >= Console.SETTLE
    b.close()


def test_match_inside_the_output_is_at_once():
    c, b, t = console_with([(0, "Booting\r\nOK net\r\nmore")])
    m = c.expect(r"^OK net$", timeout=5)
    assert m.group(0) == "OK net"
    assert c._buf.startswith("\n")  # what follows the match is kept
    b.close()
