#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/guest-sh.py - run one shell command on a stand-in guest over its
# serial console (RUNDIR/NODE/ttyS0.sock), out of band, and print its output
# and exit status. Logs in as root if the console shows `login:`.
# usage: guest-sh.py SOCK TIMEOUT_S 'COMMAND'
# Exit: the command's status; 124 on timeout.
import os, re, socket, sys, time

sock, timeout, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3]
deadline = time.time() + timeout
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock)
buf = b""

def expect(pat):
    global buf
    r = re.compile(pat)
    while True:
        m = r.search(buf)
        if m:
            out = buf[:m.start()]
            buf = buf[m.end():]
            return m, out
        left = deadline - time.time()
        if left <= 0:
            sys.stderr.write("guest-sh: timeout waiting for %r; last output:\n%s\n"
                             % (pat, buf[-500:].decode(errors="replace")))
            sys.exit(124)
        s.settimeout(min(left, 0.5))
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        if not d:
            sys.stderr.write("guest-sh: console closed\n")
            sys.exit(124)
        buf += d

time.sleep(0.3)          # let the ring replay arrive, then drop it
s.setblocking(False)
try:
    while s.recv(65536):
        pass
except BlockingIOError:
    pass
s.setblocking(True)
buf = b""
s.sendall(b"\r")
PROMPT = rb"# (\x1b\[6n)?$"
m, _ = expect(rb"login: ?$|" + PROMPT)
if m.group(0).startswith(b"login"):
    s.sendall(b"root\r")
    expect(PROMPT)
# No echo: ash then reads plain lines (no line editing, no cursor queries),
# and the output is only the command's.
s.sendall(b"stty -echo\r")
expect(PROMPT)
tag = "V%dL" % os.getpid()
# the marker is split so that a stray echo never matches
s.sendall(("%s; echo \"@@%s\"\"@@$?@@\"\r" % (cmd, tag)).encode())
m, out = expect(("@@%s@@([0-9]+)@@" % tag).encode())
sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n").lstrip("\n"))
sys.exit(int(m.group(1)))
