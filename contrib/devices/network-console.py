#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""network-console.py - a network device's serial console, for a vacmlab
[device]: a login (user admin, password admin), a prompt, `show version`,
`show clock`, `reload` (asks to confirm, prints a boot banner, comes back
to the login) and `exit`. It is an ordinary line-mode program: the pty
vacmlab gives it is its terminal, so the kernel echoes what the console
server types and getpass() turns echo off for the password, as on a real
console.

    [device router]
    command = python3 /path/to/contrib/devices/network-console.py --hostname core1
"""
import argparse
import getpass
import sys
import time

BANNER = """
System Bootstrap, Version 1.0 (vacmlab stand-in)
Copyright (c) vacmlab contributors

Booting flash:image.bin ... done
Loading configuration ... done
{host} uptime is 0 minutes
Press RETURN to get started!
"""


def ask(prompt):
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)  # the line went away
    return line.strip()


def session(host):
    while True:
        user = ask("\r\nUser Access Verification\r\n\r\nUsername: ")
        try:
            pw = getpass.getpass("Password: ")
        except EOFError:
            sys.exit(0)
        if user == "admin" and pw == "admin":
            break
        print("% Login invalid")
    booted = time.monotonic()
    while True:
        cmd = ask("%s# " % host)
        if cmd in ("show version", "sh ver"):
            print("vacmlab stand-in router software, Version 1.0")
            print("%s uptime is %d seconds" % (host, int(time.monotonic() - booted)))
            print("Serial console: this line")
        elif cmd in ("show clock", "sh clock"):
            print(time.strftime("%H:%M:%S UTC %a %b %d %Y", time.gmtime()))
        elif cmd == "reload":
            if ask("Proceed with reload? [confirm]") not in ("", "y", "yes"):
                continue
            print("\n%SYS-5-RELOAD: Reload requested by console")
            time.sleep(1)
            print(BANNER.format(host=host))
            ask("")
            return
        elif cmd in ("exit", "logout"):
            return
        elif cmd:
            print("% Invalid input detected: '" + cmd + "'")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hostname", default="router")
    host = ap.parse_args().hostname
    print(BANNER.format(host=host))
    while True:
        session(host)


if __name__ == "__main__":
    main()
