#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# docs/architecture.md is true of the sources (TAP):
#  - every .c/.h file the page names exists (`cmd_VERB.c`: an upper-case
#    word stands for any name, and must match at least one file; a word
#    with `*` names no file);
#  - every .c/.h of lab/, netns/ and attach/ is named on the page;
#  - every file includes only what its folder's row of the folder table
#    allows ("may include"): `DIR/*` is any header of DIR, `DIR/NAME.h` that
#    header alone; the CLI's rule is checked by header name.
import fnmatch
import os
import re
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(top)
doc_path = os.environ.get("ARCH_DOC", "docs/architecture.md")
doc = open(doc_path, encoding="utf-8").read()
DIRS = ["lab/cli", "lab/sv", "lab/lib", "netns", "attach"]
results = []


def ok(cond, name, diag=()):
    results.append((bool(cond), name, list(diag)))


files = []
for d in DIRS:
    for f in sorted(os.listdir(d)):
        if f.endswith((".c", ".h")):
            files.append(os.path.join(d, f))
base = {}
for p in files:
    base.setdefault(os.path.basename(p), []).append(p)

# Every `...` span's words that end in .c or .h.
named = set()
for span in re.findall(r"`([^`\n]+)`", doc):
    for w in re.findall(r"[A-Za-z0-9_./*-]+\.[ch]\b", span):
        named.add(w)


def pattern(w):
    """A named file as a glob on paths: upper-case words are placeholders."""
    g = re.sub(r"[A-Z][A-Z0-9]*(?=[._]|$)", "*", w)
    return g


missing = []
covered = set()
for w in sorted(named):
    if "*" in w:
        continue  # `client_*.c` describes a family; each file is named too
    g = pattern(w)
    if "/" in g:
        cands = [g, "lab/" + g]
        hits = [p for p in files if any(fnmatch.fnmatchcase(p, c) for c in cands)]
    else:
        hits = [p for p in files if fnmatch.fnmatchcase(os.path.basename(p), g)]
    if not hits:
        missing.append(f"{doc_path} names `{w}`: no such file in {', '.join(DIRS)}")
    covered.update(hits)
ok(not missing, "every file the page names exists", missing)

unnamed = [f"{p} is not named in {doc_path}" for p in files if p not in covered]
ok(not unnamed, "every .c/.h of lab/, netns/, attach/ is named on the page", unnamed)

# The folder table: | `DIR/` | job | may include |
rules = {}
for line in doc.splitlines():
    m = re.match(r"\|\s*`([a-z/]+)/`\s*\|.*\|([^|]*)\|\s*$", line)
    if m and m.group(1) in DIRS:
        rules[m.group(1)] = re.findall(r"`([^`]+)`", m.group(2))
ok(sorted(rules) == sorted(DIRS), "the folder table has a row per folder",
   [f"rows: {sorted(rules)}"])


def allowed(inc, pats):
    for p in pats:
        if p.endswith("/*"):
            d = p[:-2]
            if os.path.dirname(inc) == d:
                return True
        elif inc == p:
            return True
    return False


inc_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
bad = []
for p in files:
    d = os.path.dirname(p)
    pats = rules.get(d, [])
    for inc in inc_re.findall(open(p, encoding="utf-8", errors="replace").read()):
        if not allowed(inc, pats):
            bad.append(f"{p} includes {inc}; {d}/ may include {', '.join(pats)}")
ok(not bad, "each folder includes only what the table allows", bad)

print("1..%d" % len(results))
for i, (c, name, diag) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if c else "not ok", i, name))
    for dl in diag:
        print("# " + dl)
sys.exit(0 if all(c for c, _, _ in results) else 1)
