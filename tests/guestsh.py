#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""guestsh.py - run a shell command in a guest over its vacmlab console.

usage: guestsh.py [--timeout S] SOCKET COMMAND

Connects to a console socket (RUNDIR/NODE/ttyS0.sock), logs in as root if
the guest shows a login prompt, runs COMMAND, prints its output and exits
with its status. Out of band by design: it never uses the network under
test. Every wait is bounded; on timeout it prints what it saw and exits 124.
"""
import os
import re
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    timeout = 30.0
    if args and args[0] == "--timeout":
        timeout = float(args[1])
        args = args[2:]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path, cmd = args
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.setblocking(False)
    deadline = time.monotonic() + timeout
    buf = b""

    def read_until(pattern, t_end):
        nonlocal buf
        rx = re.compile(pattern)
        while True:
            m = rx.search(buf)
            if m:
                return m
            left = t_end - time.monotonic()
            if left <= 0:
                return None
            import select
            r, _, _ = select.select([s], [], [], min(left, 0.5))
            if r:
                try:
                    chunk = s.recv(65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    return None
                buf += chunk

    # Discard the replay of old output, then get a fresh prompt.
    time.sleep(0.2)
    try:
        while s.recv(65536):
            pass
    except BlockingIOError:
        pass
    buf = b""
    tries = 0
    while True:
        s.sendall(b"\r")
        m = read_until(rb"(login: ?$|# ?(\x1b\[6n)?$)", min(deadline, time.monotonic() + 3))
        if m and m.group(0).startswith(b"login"):
            buf = b""
            s.sendall(b"root\r")
            continue
        if m:
            break
        tries += 1
        if time.monotonic() >= deadline:
            sys.stderr.write("guestsh: no prompt; saw:\n" + buf[-2000:].decode(errors="replace") + "\n")
            return 124
    # No echo and no line wrapping: the output is then exactly what the
    # command printed.
    buf = b""
    s.sendall(b"stty -echo cols 1000\r")
    if not read_until(rb"# ?(\x1b\[6n)?$", deadline):
        sys.stderr.write("guestsh: no prompt after stty\n")
        return 124
    marker = "__GUESTSH_%d__" % os.getpid()
    buf = b""
    # The marker is split in the echoed command line so only the real
    # output line matches.
    line = "%s; echo %s\"RC=$?\"%s\r" % (cmd, marker[:6], marker[6:])
    s.sendall(line.encode())
    m = read_until(re.escape(marker[:6]).encode() + rb"RC=(\d+)" + re.escape(marker[6:]).encode(), deadline)
    if not m:
        sys.stderr.write("guestsh: timed out; saw:\n" + buf[-2000:].decode(errors="replace") + "\n")
        return 124
    out = buf[:m.start()].decode(errors="replace").replace("\r", "")
    sys.stdout.write(out)
    return int(m.group(1))


if __name__ == "__main__":
    sys.exit(main())
