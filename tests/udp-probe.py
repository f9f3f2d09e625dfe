#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/udp-probe.py - a UDP echo client for tests/32-udp-forward.t and
# bench/udp-forward.sh. Every datagram carries a sequence number; replies
# are matched by it, so loss, duplication and reordering are told apart.
#
#   udp-probe.py HOST PORT echo TEXT       one request, print the reply
#   udp-probe.py HOST PORT pair            two sockets at once, interleaved;
#                                          print what each one got back
#   udp-probe.py HOST PORT burst N [GAP_MS] N datagrams, one every GAP_MS
#                                          (default 1), then wait for late
#                                          replies; print "sent N received R
#                                          dup D overflow O"
#   udp-probe.py HOST PORT rtt N           N round trips one after another;
#                                          print "rtt_us median M p90 P lost L"
#                                          (gives up after 5 lost in a row)
#   udp-probe.py HOST PORT tput SECONDS SIZE WINDOW
#                                          keep WINDOW datagrams of SIZE bytes
#                                          in flight for SECONDS; print
#                                          "tput pps P MBps B lost L" (gives up
#                                          after 5 s without a reply)
# A reply that does not come within 2 s counts as lost. Exit 0 unless the
# arguments are wrong.
import socket
import struct
import sys
import time

SO_RXQ_OVFL = 40


def sock(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)
    s.connect((host, port))
    return s


def recv_seq(s, timeout, ovfl):
    """One reply: (seq, len) or None on timeout; records kernel drops."""
    s.settimeout(timeout)
    try:
        d, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(4))
    except (socket.timeout, BlockingIOError):
        return None
    except ConnectionRefusedError:
        return (-1, 0)
    for lvl, typ, data in anc:
        if lvl == socket.SOL_SOCKET and typ == SO_RXQ_OVFL:
            ovfl[0] = struct.unpack("I", data[:4])[0]
    if len(d) < 8:
        return (-2, len(d))
    return (struct.unpack("!Q", d[:8])[0], len(d))


def pkt(seq, size=16):
    return struct.pack("!Q", seq) + b"x" * max(0, size - 8)


def main(a):
    host, port, mode = a[0], int(a[1]), a[2]
    if mode == "echo":
        s = sock(host, port)
        for _ in range(3):
            s.send(a[3].encode())
            s.settimeout(2)
            try:
                print(s.recv(65536).decode(errors="replace"))
                return 0
            except socket.timeout:
                continue
            except ConnectionRefusedError:
                print("refused")
                return 0
        print("timeout")
        return 0
    if mode == "pair":
        s1, s2 = sock(host, port), sock(host, port)
        got = {1: [], 2: []}
        for i in range(5):
            s1.send(b"one-%d" % i)
            s2.send(b"two-%d" % i)
        for k, s in ((1, s1), (2, s2)):
            s.settimeout(3)
            try:
                while len(got[k]) < 5:
                    got[k].append(s.recv(100).decode())
            except socket.timeout:
                pass
        print(" ".join(got[1]))
        print(" ".join(got[2]))
        return 0
    if mode == "burst":
        n = int(a[3])
        gap = float(a[4]) / 1000 if len(a) > 4 else 0.001
        s = sock(host, port)
        seen, dup, ovfl = set(), 0, [0]
        t0 = time.monotonic()
        for i in range(n):
            s.send(pkt(i))
            # take what has come back meanwhile, then keep the pace
            while True:
                r = recv_seq(s, 0, ovfl)
                if r is None:
                    break
                dup += r[0] in seen
                seen.add(r[0])
            delay = t0 + (i + 1) * gap - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        end = time.monotonic() + 2
        while len(seen) < n and time.monotonic() < end:
            r = recv_seq(s, max(0.01, end - time.monotonic()), ovfl)
            if r is None:
                break
            dup += r[0] in seen
            seen.add(r[0])
        # one last zero-timeout read to pick up the overflow counter
        recv_seq(s, 0.01, ovfl)
        print("sent %d received %d dup %d overflow %d" % (n, len(seen & set(range(n))), dup, ovfl[0]))
        return 0
    if mode == "rtt":
        n = int(a[3])
        s = sock(host, port)
        ts, lost, ovfl, run = [], 0, [0], 0
        for i in range(n):
            t = time.perf_counter()
            s.send(pkt(i))
            while True:
                r = recv_seq(s, 2, ovfl)
                if r is None:
                    lost += 1
                    run += 1
                    break
                if r[0] == i:
                    ts.append((time.perf_counter() - t) * 1e6)
                    run = 0
                    break
            if run >= 5:
                break  # the far end has stopped answering: say so, do not wait 2 s x N
        ts.sort()
        med = ts[len(ts) // 2] if ts else 0
        p90 = ts[int(len(ts) * 0.9)] if ts else 0
        print("rtt_us median %.0f p90 %.0f lost %d%s" % (med, p90, lost,
              " (gave up: 5 lost in a row)" if run >= 5 else ""))
        return 0
    if mode == "tput":
        secs, size, win = float(a[3]), int(a[4]), int(a[5])
        s = sock(host, port)
        ovfl = [0]
        seq, got, lost, last = 0, 0, 0, 0.0
        out = {}
        t0 = time.monotonic()
        while time.monotonic() - t0 < secs:
            while len(out) < win:
                try:
                    s.send(pkt(seq, size))
                except ConnectionRefusedError:
                    pass  # an ICMP error for an earlier datagram; this one was not sent

                out[seq] = time.monotonic()
                seq += 1
            r = recv_seq(s, 0.2, ovfl)
            now = time.monotonic()
            if r is not None and r[0] in out:
                del out[r[0]]
                got += 1
                last = now
            if now - max(last, t0) > 5:
                break  # nothing back for 5 s: the far end has stopped answering
            # forget what is overdue: lost
            for q in [q for q, t in out.items() if now - t > 2]:
                del out[q]
                lost += 1
        el = time.monotonic() - t0
        print("tput pps %.0f MBps %.2f lost %d" % (got / el, got * size / el / 1e6, lost))
        return 0
    print("unknown mode %s" % mode, file=sys.stderr)
    return 2


if __name__ == "__main__":
    if len(sys.argv) < 4:
        print(__doc__ or "usage: udp-probe.py HOST PORT MODE ...", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
