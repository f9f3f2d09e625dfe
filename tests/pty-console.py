#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pty-console.py - `vacmlab console LAB NODE` on a real pseudo-terminal,
# driven by steps, for the tests of the interactive console (20-serial.t,
# 21-cable.t).
#
#   pty-console.py VACMLAB LAB NODE STEP...
#
# STEP is `>TEXT` (type TEXT) or `<SECS:TEXT` (read until TEXT has come, at
# most SECS seconds; an empty TEXT reads for SECS); TEXT takes Python's
# backslash escapes (\r, \x1d). Prints what the console wrote (\r dropped),
# then `RAW True|False EXIT N`: whether the terminal was in raw mode after
# the first read, and the console's exit status.
import os
import pty
import select
import sys
import termios
import time


def main():
    vacmlab, lab, node, steps = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(vacmlab, [vacmlab, "console", lab, node])
    out = b""
    raw = None

    def rd(secs, want):
        nonlocal out
        end = time.time() + secs
        while time.time() < end and not (want and want in out):
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    return

    for step in steps:
        if step.startswith(">"):
            os.write(fd, step[1:].encode().decode("unicode_escape").encode("latin-1"))
            continue
        secs, text = step[1:].split(":", 1)
        rd(float(secs), text.encode().decode("unicode_escape").encode("latin-1"))
        if raw is None:
            raw = not (termios.tcgetattr(fd)[3] & termios.ICANON)
    _, st = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
    print("\nRAW", raw, "EXIT", os.waitstatus_to_exitcode(st))


if __name__ == "__main__":
    main()
