#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pty-run.py - run a command on a pseudo-terminal of a given size and
# record what it writes, with the time each chunk was read.
#
#   pty-run.py COLS ROWS LOG -- CMD...
#
# The child's stdin, stdout and stderr are the pty's slave (its controlling
# terminal, so isatty() holds and TIOCGWINSZ answers COLS x ROWS). LOG gets
# one line per read: "SECONDS HEX" (seconds since the start, monotonic; the
# raw bytes in hex). Exits with the command's exit status.
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time


def main():
    cols, rows, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    if sys.argv[4] != "--":
        sys.exit("usage: pty-run.py COLS ROWS LOG -- CMD...")
    argv = sys.argv[5:]
    t0 = time.monotonic()
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    os.close(slave)
    with open(log, "w") as out:
        while True:
            r, _, _ = select.select([master], [], [], 1.0)
            if not r:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every holder of the slave has closed it
                break
            if not data:
                break
            out.write("%.3f %s\n" % (time.monotonic() - t0, data.hex()))
            out.flush()
    _, st = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(st))


main()
