#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""apc-smart-ups.py - a UPS on a serial line speaking a subset of APC's
"Smart" protocol (the one NUT's apcsmart driver and apcupsd speak to
Smart-UPS models), for a vacmlab [device]:

    [device ups]
    command = python3 /path/to/contrib/devices/apc-smart-ups.py

Why this protocol: it is documented outside APC (NUT's apcsmart driver
documentation and apcupsd's "APC smart protocol" page), it is what a
console server's "UPS" device mode talks to, every command is one
character with a line answer (easy to drive from a test: printf Y), and it
has asynchronous alerts ('!' power failed, '$' power back) a test can react
to. See contrib/devices/README.md for the commands answered.

Power events: SIGUSR1 fails the mains (alert '!', on battery, the charge
falls), SIGUSR2 brings them back (alert '$'). The line is set raw: the
protocol has no echo and no line editing.
"""
import os
import signal
import sys
import termios
import time
import tty

state = {"online": True, "charge": 100.0, "since": time.monotonic(), "smart": False}
alerts = []


def status_byte():
    b = 0x08 if state["online"] else 0x10
    if charge() < 25:
        b |= 0x40  # battery low
    return b


def charge():
    if state["online"]:
        return state["charge"]
    # One percent a second on battery: a test sees it fall.
    return max(0.0, state["charge"] - (time.monotonic() - state["since"]))


def power(online):
    state["charge"] = charge()
    state["since"] = time.monotonic()
    state["online"] = online
    alerts.append(b"$" if online else b"!")


ANSWERS = {
    "Y": lambda: "SM",  # enter smart mode
    "Q": lambda: "%02X" % status_byte(),  # status bits
    "f": lambda: "%05.1f" % charge(),  # battery capacity, percent
    "B": lambda: "%05.2f" % (24.0 + 3.6 * charge() / 100),  # battery volts
    "L": lambda: "230.4" if state["online"] else "000.0",  # input line volts
    "N": lambda: "228.0",  # minimum line volts seen
    "M": lambda: "232.8",  # maximum line volts seen
    "O": lambda: "230.4",  # output volts
    "F": lambda: "50.00",  # line frequency
    "P": lambda: "023.4",  # load, percent of capacity
    "C": lambda: "031.5",  # internal temperature, Celsius
    "j": lambda: "%04d:" % int(charge() * 0.9),  # runtime left, minutes
    "\x01": lambda: "Smart-UPS 1000",  # ^A: model
    "b": lambda: "652.12.I",  # firmware revision
    "n": lambda: "VL0000000001",  # serial number
    "E": lambda: "336",  # self-test interval, hours
    "A": lambda: "OK",  # front panel test (lights)
    "R": lambda: "BYE",  # leave smart mode
}


def main():
    fd = sys.stdin.fileno()
    if os.isatty(fd):
        tty.setraw(fd, termios.TCSANOW)
    out = sys.stdout.buffer
    signal.signal(signal.SIGUSR1, lambda *_: power(False))
    signal.signal(signal.SIGUSR2, lambda *_: power(True))
    while True:
        try:
            c = os.read(fd, 1)
        except InterruptedError:
            c = None  # a power event: send its alert
        except OSError:
            return  # the line went away (EIO: the master closed)
        while alerts:
            out.write(alerts.pop(0))
            out.flush()
        if c is None:
            continue
        if c == b"":
            return  # end of input (not a tty)
        ch = c.decode("latin-1")
        if ch == "Y":
            state["smart"] = True
        if ch in ANSWERS:
            reply = ANSWERS[ch]()
            if ch == "R":
                state["smart"] = False
            out.write(reply.encode() + b"\r\n")
        elif ch not in "\r\n":
            out.write(b"NA\r\n")
        out.flush()


if __name__ == "__main__":
    main()
