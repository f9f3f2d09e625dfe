#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The layering rules of docs/architecture.md, checked on the sources and on
# the built objects (TAP):
#  - includes point one way: lab/cli -> lab/sv -> lab/lib -> netns; attach/
#    includes nothing of lab/ or netns/;
#  - calls point the same way (undefined symbols of each object, resolved
#    to the object that defines them, with nm);
#  - no circle of calls between files (strongly connected components);
#  - no verb calls another verb's file;
#  - no .c file over 700 lines.
import os
import re
import subprocess
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = os.environ.get("BUILD", os.path.join(top, "build"))
os.chdir(top)

RANK = {"netns": 0, "lab/lib": 1, "lab/sv": 2, "lab/cli": 3}
results = []


def ok(cond, name, diag=()):
    results.append((bool(cond), name, list(diag)))


def layer(path):
    for k in sorted(RANK, key=len, reverse=True):
        if path.startswith(k + "/"):
            return k
    return None


srcs = []
for d in ["netns", "lab/lib", "lab/sv", "lab/cli", "attach"]:
    for f in sorted(os.listdir(d)):
        if f.endswith((".c", ".h")):
            srcs.append(os.path.join(d, f))

inc_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
bad = []
for s in srcs:
    text = open(s, encoding="utf-8", errors="replace").read()
    for inc in inc_re.findall(text):
        if s.startswith("attach/"):
            if inc.startswith(("lab/", "netns/")):
                bad.append(f"{s} includes {inc}")
            continue
        a, b = layer(s), layer(inc)
        if b is None:
            continue
        if RANK[b] > RANK[a]:
            bad.append(f"{s} ({a}) includes {inc} ({b})")
ok(not bad, "includes point one way (cli -> sv -> lib -> netns; attach alone)", bad)

# Calls, from the objects.
objs = {}
for s in srcs:
    if s.endswith(".c") and not s.startswith("attach/"):
        o = os.path.join(build, s[:-2] + ".o")
        if os.path.exists(o):
            objs[s] = o
if len(objs) < 20:
    print("1..0 # SKIP objects not built in %s (run make first)" % build)
    sys.exit(0)
defs, undefs = {}, {}
for s, o in objs.items():
    out = subprocess.run(["nm", "--defined-only", "-g", o], capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBRCGSV":
            defs.setdefault(parts[2], s)
    out = subprocess.run(["nm", "-u", o], capture_output=True, text=True).stdout
    undefs[s] = {l.split()[-1] for l in out.splitlines() if l.strip()}
edges = {s: set() for s in objs}
for s, us in undefs.items():
    for u in us:
        d = defs.get(u)
        if d and d != s:
            edges[s].add((d, u))
bad = []
for s, es in edges.items():
    for d, u in es:
        if RANK[layer(d)] > RANK[layer(s)]:
            bad.append(f"{s} ({layer(s)}) calls {u} of {d} ({layer(d)})")
ok(not bad, "calls point one way (cli -> sv -> lib -> netns)", sorted(bad))

bad = []
for s, es in edges.items():
    if os.path.basename(s).startswith("cmd_"):
        for d, u in es:
            if os.path.basename(d).startswith("cmd_"):
                bad.append(f"{s} calls {u} of {d}")
ok(not bad, "no verb calls another verb's file", sorted(bad))

# Tarjan's SCC over the file graph.
graph = {s: {d for d, _ in es} for s, es in edges.items()}
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]


def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in graph[v]:
        if w not in index:
            strong(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(sorted(comp))


sys.setrecursionlimit(10000)
for v in graph:
    if v not in index:
        strong(v)
diag = []
for c in sccs:
    diag.append("circle: " + " ".join(c))
    for a in c:
        for d, u in sorted(edges[a]):
            if d in c:
                diag.append(f"  {a} -> {d} ({u})")
ok(not sccs, "no call circle between files", diag)

big = []
for d in ["netns", "lab/lib", "lab/sv", "lab/cli", "attach"]:
    for f in sorted(os.listdir(d)):
        if f.endswith(".c"):
            n = sum(1 for _ in open(os.path.join(d, f), encoding="utf-8", errors="replace"))
            if n > 700:
                big.append(f"{d}/{f}: {n} lines")
ok(not big, "no .c file over 700 lines", big)

print("1..%d" % len(results))
for i, (c, name, diag) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if c else "not ok", i, name))
    for l in diag[:40]:
        print("# " + l)
