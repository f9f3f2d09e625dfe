#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""cable-probe.py - host side of bench/cable.sh.

Usage: cable-probe.py LOGDIR ROUNDS RTT_N BULK_BYTES LABEL=SOCKET...

Each SOCKET is a QEMU unix socket chardev on a guest's ttyS2; the guest
relays ttyS2 into its ttyS1 and back, and the guest on the other end of
ttyS1 (the path under test: a vacmlab cable or a direct QEMU socket pair)
echoes it. So a byte goes host > A:ttyS2 > A:ttyS1 > path > B:ttyS1 >
echo > path > A:ttyS1 > A:ttyS2 > host, the same way on every path; only
the path differs.

ROUNDS times, paths interleaved (so drift hits all alike):
  - RTT_N one-byte round trips per path, also interleaved byte by byte:
    write one byte, time until it comes back; a wrong byte is an error;
  - BULK_BYTES pseudo-random bytes per path, at most WINDOW in flight,
    timed from first write to last byte back, every byte compared.
Every byte sent and received is appended to LOGDIR/LABEL.sent and
LOGDIR/LABEL.recv. Prints one line per path:
  label rtt_n median_us p90_us min_us max_us bulk_bytes kib_per_s errors
Exit 1 if any byte was lost, wrong or late (2 s).
"""
import os
import random
import select
import socket
import sys
import time

WINDOW = 1024
TIMEOUT = 2.0


class Path:
    def __init__(self, label, sock, logdir):
        self.label = label
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(sock)
        self.sent = open(os.path.join(logdir, label + ".sent"), "ab")
        self.recv = open(os.path.join(logdir, label + ".recv"), "ab")
        self.rtt = []
        self.bulk_bytes = 0
        self.bulk_time = 0.0
        self.errors = 0

    def drain(self, secs):
        while select.select([self.s], [], [], secs)[0]:
            if not self.s.recv(65536):
                break

    def send(self, b):
        self.sent.write(b)
        self.s.sendall(b)

    def read(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.s], [], [], left)[0]:
            return b""
        b = self.s.recv(65536)
        self.recv.write(b)
        return b

    def one(self, c):
        t0 = time.perf_counter_ns()
        self.send(bytes([c]))
        got = self.read(time.monotonic() + TIMEOUT)
        t1 = time.perf_counter_ns()
        if got != bytes([c]):
            self.errors += 1
            print(f"# {self.label}: sent {c:#04x}, got {got!r}", file=sys.stderr)
            self.drain(0.2)
            return
        self.rtt.append((t1 - t0) / 1000.0)

    def bulk(self, data):
        t0 = time.monotonic()
        back = bytearray()
        off = 0
        deadline = t0 + TIMEOUT
        while len(back) < len(data):
            if off < len(data) and off - len(back) < WINDOW:
                n = min(WINDOW - (off - len(back)), len(data) - off)
                self.send(data[off:off + n])
                off += n
            got = self.read(deadline)
            if not got:
                break
            back += got
            deadline = time.monotonic() + TIMEOUT
        self.bulk_time += time.monotonic() - t0
        self.bulk_bytes += len(data)
        if bytes(back) != data:
            self.errors += 1
            bad = next((i for i, (x, y) in enumerate(zip(back, data)) if x != y), len(back))
            print(f"# {self.label}: bulk of {len(data)} bytes: {len(back)} came back, "
                  f"first difference at {bad}", file=sys.stderr)
            self.drain(0.5)


def main():
    if len(sys.argv) < 6:
        print(__doc__, file=sys.stderr)
        return 2
    logdir, rounds, rtt_n, size = sys.argv[1], *map(int, sys.argv[2:5])
    paths = [Path(*a.split("=", 1), logdir) for a in sys.argv[5:]]
    rng = random.Random(24)
    for p in paths:
        p.drain(0.3)
        for c in b"warmup":
            p.one(c)
        p.rtt.clear()
        p.errors = 0
    for r in range(rounds):
        for i in range(rtt_n):
            for p in paths:
                p.one(rng.randrange(256))
        data = bytes(rng.randrange(256) for _ in range(size))
        for p in (paths if r % 2 == 0 else paths[::-1]):
            p.bulk(data)
    bad = 0
    for p in paths:
        t = sorted(p.rtt) or [0.0]
        n = len(t)
        rate = p.bulk_bytes / 1024 / p.bulk_time if p.bulk_time else 0
        print(f"{p.label} {n} {t[n // 2]:.0f} {t[(n * 9) // 10]:.0f} {t[0]:.0f} {t[-1]:.0f} "
              f"{p.bulk_bytes} {rate:.1f} {p.errors}")
        bad += p.errors
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
