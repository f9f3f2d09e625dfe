#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/guest-sh.py - run shell commands in a stand-in guest over its serial
# console socket (RUNDIR/NODE/ttyS0.sock), out of band of the network under
# test. Independent of `vacmlab send/wait` on purpose (tests of disks and
# snapshots must not depend on the console verbs).
#
#   guest-sh.py SOCK TIMEOUT CMD...
#
# Logs in as root if the console shows a login prompt, runs each CMD, prints
# its output, and exits with the last CMD's status; 124 on timeout (with the
# console output seen so far on stderr), 2 on a connection error.
import re
import socket
import sys
import time

if len(sys.argv) < 4:
    sys.exit("usage: guest-sh.py SOCK TIMEOUT CMD...")
sock_path, timeout, cmds = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
deadline = time.monotonic() + timeout
seen = b""

try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    s.connect(sock_path)
except OSError as e:
    sys.exit(f"guest-sh: {sock_path}: {e}")


def give_up(what):
    sys.stderr.write(f"guest-sh: timed out waiting for {what}; console said:\n")
    sys.stderr.write(seen[-2000:].decode(errors="replace") + "\n")
    sys.exit(124)


pending = b""
PROMPT = rb"# (?:\x1b\[6n)?$"


def read_until(pattern, what):
    """Read until @pattern (bytes regex) matches; consume and return the
    output up to the end of the match, and the match."""
    global seen, pending
    while True:
        m = re.search(pattern, pending)
        if m:
            out = pending[: m.end()]
            pending = pending[m.end():]
            return out, m
        left = deadline - time.monotonic()
        if left <= 0:
            give_up(what)
        s.settimeout(min(left, 0.5))
        try:
            d = s.recv(4096)
        except socket.timeout:
            continue
        if not d:
            give_up(what + " (console closed)")
        pending += d
        seen += d


def drain(secs, quiet=0.05):
    """Swallow the replayed ring buffer and anything in flight: until the
    console has been silent for @quiet seconds, at most @secs. (The replay
    comes at once, from the supervisor; what matters later is found by
    markers, so a late byte of it can do no harm.)"""
    global seen
    end = time.monotonic() + secs
    while time.monotonic() < end:
        s.settimeout(max(0.01, min(quiet, end - time.monotonic())))
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            give_up("the console (closed)")
        seen += d


drain(0.3)
# Get a shell prompt: PS1 is 'HOST:DIR# '; a fresh getty says 'login:'.
s.sendall(b"\n")
_, m = read_until(rb"(login: ?$|# (?:\x1b\[6n)?$)", "a login prompt or a shell prompt")
if m.group(1).startswith(b"login"):
    s.sendall(b"root\n")
    read_until(PROMPT, "the shell prompt after logging in")
    # Quiet terminal: no echo, so outputs are just outputs.
s.sendall(b"stty -echo\n")
read_until(PROMPT, "the shell prompt")
rc = 0
for i, cmd in enumerate(cmds):
    # The marker is computed by the shell, so the echoed command (if the
    # tty echoes) never matches it.
    tag = f"__GSH{i}_{int(time.time())}"
    s.sendall(f"{cmd}; echo {tag}_$((40+2))_$?\n".encode())
    # The status ends with its line: "_42_1" may be the start of "_42_12".
    out, m = read_until(rf"{tag}_42_(\d+)\r?\n".encode(), f"the end of `{cmd}`")
    rc = int(m.group(1))
    text = out[: m.start()].decode(errors="replace").replace("\r", "")
    sys.stdout.write(text)
    read_until(PROMPT, "the prompt after " + cmd)
s.sendall(b"stty echo\n")
sys.exit(rc)
