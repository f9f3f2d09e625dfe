#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pty_screen.py - a tiny terminal for the logs of tests/pty-run.py:
# replays what a program wrote to its pty and gives the screen it leaves.
#
#   pty_screen.py COLS ROWS LOG      prints the final screen, one row a line
#
# It knows printable text, CR, LF (the pty's onlcr turned the program's \n
# into CR LF), BS, TAB, CSI n A (cursor up) and CSI n K (erase in line);
# any other control or escape sequence is an error (exit 1, named), so a
# test that renders a screen also checks the program emits nothing else.
# As a module: Screen(cols, rows).feed(bytes); .rows() the text.
import codecs
import sys


class Unknown(Exception):
    pass


class Screen:
    def __init__(self, cols, rows):
        self.cols, self.rows_n = cols, rows
        self.grid = [[" "] * cols for _ in range(rows)]
        self.x = self.y = 0
        self.wrap = False  # the cursor sits past the last column
        self.pending = ""  # an escape sequence split across reads
        self.dec = codecs.getincrementaldecoder("utf-8")("replace")

    def _lf(self):
        if self.y == self.rows_n - 1:
            self.grid.pop(0)
            self.grid.append([" "] * self.cols)
        else:
            self.y += 1

    def _csi(self, params, final):
        n = int(params) if params else None
        if final == "A":
            self.y = max(0, self.y - (n or 1))
            self.wrap = False
        elif final == "K":
            row = self.grid[self.y]
            lo, hi = {0: (self.x, self.cols), 1: (0, self.x + 1), 2: (0, self.cols)}.get(
                n or 0, (None, None)
            )
            if lo is None:
                raise Unknown("CSI %sK" % params)
            for i in range(lo, min(hi, self.cols)):
                row[i] = " "
        else:
            raise Unknown("CSI %s%s" % (params, final))

    def feed(self, data):
        s = self.pending + self.dec.decode(data)
        self.pending = ""
        i = 0
        while i < len(s):
            c = s[i]
            if c == "\x1b":
                if i + 1 >= len(s):
                    self.pending = s[i:]
                    return
                if s[i + 1] != "[":
                    raise Unknown("ESC %r" % s[i + 1])
                j = i + 2
                while j < len(s) and (s[j].isdigit() or s[j] == ";"):
                    j += 1
                if j >= len(s):
                    self.pending = s[i:]
                    return
                self._csi(s[i + 2 : j], s[j])
                i = j + 1
                continue
            if c == "\r":
                self.x, self.wrap = 0, False
            elif c == "\n":
                self._lf()
                self.wrap = False
            elif c == "\b":
                self.x, self.wrap = max(0, self.x - 1), False
            elif c == "\t":
                self.x = min(self.cols - 1, (self.x // 8 + 1) * 8)
            elif ord(c) < 0x20 or ord(c) == 0x7F:
                raise Unknown("control 0x%02x" % ord(c))
            else:
                if self.wrap:
                    self.x, self.wrap = 0, False
                    self._lf()
                self.grid[self.y][self.x] = c
                if self.x == self.cols - 1:
                    self.wrap = True
                else:
                    self.x += 1
            i += 1

    def rows(self):
        return ["".join(r).rstrip() for r in self.grid]


def read_log(path):
    """[(seconds, bytes)] of a pty-run.py log."""
    out = []
    with open(path) as f:
        for line in f:
            t, h = line.split()
            out.append((float(t), bytes.fromhex(h)))
    return out


if __name__ == "__main__":
    cols, rows, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    scr = Screen(cols, rows)
    try:
        for _, data in read_log(log):
            scr.feed(data)
    except Unknown as e:
        sys.exit("pty_screen: the program wrote an unknown sequence: %s" % e)
    lines = scr.rows()
    while lines and not lines[-1]:
        lines.pop()
    print("\n".join(lines))
