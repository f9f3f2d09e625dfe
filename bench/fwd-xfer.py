#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/fwd-xfer.py - the two ends of bench/forward-throughput.sh.
#   fwd-xfer.py serve ADDR PORT MIB   accept connections (one at a time) and
#                                     send MIB MiB to each, then close
#   fwd-xfer.py fetch ADDR PORT       connect, read to EOF, print "BYTES SECONDS"
# Both ends use 1 MiB buffers (sendall / recv_into) so Python is never the
# bottleneck (several GB/s on loopback here).
import socket, sys, time

if sys.argv[1] == "serve":
    addr, port, mib = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    buf = b"\xa5" * (1 << 20)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(16)
    print("listening", flush=True)
    while True:
        c, _ = ls.accept()
        try:
            for _ in range(mib):
                c.sendall(buf)
        except OSError:
            pass
        c.close()
else:
    addr, port = sys.argv[2], int(sys.argv[3])
    buf = bytearray(1 << 20)
    t = time.monotonic()
    s = socket.create_connection((addr, port), timeout=30)
    n = 0
    while True:
        k = s.recv_into(buf)
        if not k:
            break
        n += k
    print(n, "%.6f" % (time.monotonic() - t))
