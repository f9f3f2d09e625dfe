#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The status JSON's keys are spelled once, in lab/lib/status_keys.h (TAP, no
# guest): a scan of the sources.
#  - the writer (lab/sv/sv_status.c, sv_fwd.c, sv_udp.c) and every reader in
#    lab/cli (a file that calls ctl_status(), st_lab_get() or
#    print_status_table(), or gets the status from one: run_report.c) spell
#    no status key as a literal where jansson takes a key:
#    json_object_get/set/set_new/del(X, "key"), the key arguments of
#    json_pack/json_unpack, and the key argument of a file's own helpers of
#    the shape f(json_t *, const char *key);
#  - readers compare the state values with the header's names, not with
#    literals (strcmp(state, "ready")), and node_state_name() returns them;
#  - every key the pytest plugin (python/pytest_vacmlab/*.py) and the shell
#    completion (contrib/completion/vacmlab.bash) read is in the header and in
#    its comment, and in the table of docs/control.md;
#  - docs/control.md names every key of the header.
# A literal that is some other JSON's key with a status key's spelling (a
# QMP reply, a control reply's plan) carries the comment /* not status */
# right after it; a control request packed with its
# "cmd" first is not checked (its fields are the method's, docs/control.md).
# The control envelope's keys ("ok",
# "error", "code") are not checked: "error" is also the tunnels' key
# (SK_TUNNEL_ERROR), read through the header's name.
#
# With --count FILE...: print "FILE N" for the literals found in each FILE
# (the figure in issue 23), without the TAP.
import os
import re
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(top)
HEADER = "lab/lib/status_keys.h"
WRITERS = ["lab/sv/sv_status.c", "lab/sv/sv_fwd.c", "lab/sv/sv_udp.c"]
ENVELOPE = {"ok", "error", "code"}
MARK = "/* not status */"

results = []


def ok(cond, name, diag=()):
    results.append((bool(cond), name, list(diag)))


def header_defs():
    keys, values = {}, {}
    for m in re.finditer(r'^#define\s+(SKV?_\w+)\s+"([^"]*)"', open(HEADER).read(), re.M):
        (values if m.group(1).startswith("SKV_") else keys)[m.group(1)] = m.group(2)
    return keys, values


def strip_comments(src):
    """Comments blanked (newlines kept), except the marker."""
    def blank(m):
        t = m.group(0)
        return t if t == MARK else re.sub(r"[^\n]", " ", t)
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\])*"',
                  lambda m: m.group(0) if m.group(0).startswith('"') else blank(m), src,
                  flags=re.S)


def split_args(src, i):
    """The top-level arguments of the call whose '(' ends at @i: a list of
    (text, offset)."""
    depth, cur, start, args = 0, "", i, []
    while i < len(src):
        c = src[i]
        if c == '"':
            j = i + 1
            while src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            cur += src[i:j + 1]
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                args.append((cur, start))
                return args
            depth -= 1
        elif c == "," and depth == 0:
            args.append((cur, start))
            cur, start = "", i + 1
            i += 1
            continue
        cur += c
        i += 1
    return args


def lit(a):
    m = re.fullmatch(r'\s*"([^"\\]*)"\s*', a)
    return m.group(1) if m else None


def pack_keys(fmt):
    """Indices (into the arguments after the format) of the keys of a
    jansson pack/unpack format."""
    keys, stack, ai, i, want_key = [], [], 0, 0, False
    while i < len(fmt):
        c = fmt[i]
        if c in " \t:,":
            i += 1
            continue
        if c in "{[":
            stack.append(c)
            want_key = c == "{"
            i += 1
            continue
        if c in "}]":
            stack.pop()
            want_key = bool(stack) and stack[-1] == "{"
            i += 1
            continue
        if want_key:
            keys.append(ai)
            ai += 1
            i += 1
            want_key = False
            continue
        i += 1
        if c == "s" and i < len(fmt) and fmt[i] in "#%":
            ai += 1
            i += 1
        if c in "sbiIfFoO":
            ai += 1
        if i < len(fmt) and fmt[i] in "?*":
            i += 1
        if stack and stack[-1] == "{":
            want_key = True
    return keys


OBJ_CALLS = {"json_object_get", "json_object_set_new", "json_object_set", "json_object_del"}
PACK_CALLS = {"json_pack", "json_unpack"}


def key_literals(path):
    """(line, key) of every literal in a key position of @path."""
    raw = open(path).read()
    src = strip_comments(raw)
    helpers = set(re.findall(r"\b(\w+)\s*\(\s*(?:const\s+)?json_t\s*\*\s*\w+\s*,\s*"
                             r"const\s+char\s*\*\s*\w+\s*\)\s*\{", src))
    out = []
    for m in re.finditer(r"\b(\w+)\s*\(", src):
        fn = m.group(1)
        if fn not in OBJ_CALLS | PACK_CALLS | helpers:
            continue
        args = split_args(src, m.end())
        cand = []
        if fn in PACK_CALLS:
            if args and lit(args[0][0]) is not None:
                cand = [args[1 + k] for k in pack_keys(lit(args[0][0])) if 1 + k < len(args)]
            if cand and lit(cand[0][0]) == "cmd":
                cand = []  # a control request: its fields are the method's
        elif len(args) >= 2:
            cand = [args[1]]
        for text, off in cand:
            k = lit(text)
            if k is None:
                continue
            start = off + len(text) - len(text.lstrip())
            ln = src.count("\n", 0, start) + 1
            if src[start + len(k) + 2:].lstrip().startswith(MARK):
                continue
            out.append((ln, k))
    return out


def readers():
    r = []
    for f in sorted(os.listdir("lab/cli")):
        p = os.path.join("lab/cli", f)
        if f.endswith(".c") and re.search(r"\b(ctl_status|st_lab_get|print_status_table)\s*\(",
                                           open(p).read()):
            r.append(p)
    return r + [p for p in ["lab/cli/run_report.c"] if p not in r]


keys, values = header_defs()
key_set = set(keys.values()) - ENVELOPE
files = WRITERS + readers()

if sys.argv[1:2] == ["--count"]:
    total = 0
    for p in sys.argv[2:] or files:
        n = sum(1 for _, k in key_literals(p) if k in key_set)
        total += n
        print(p, n)
    print("total", total)
    sys.exit(0)

# Each key spelled once in the header.
dup = {}
for name, k in keys.items():
    dup.setdefault(k, []).append(name)
twice = [f"{k}: {' '.join(n)}" for k, n in dup.items()
         if len([x for x in n if not x.startswith("SK_LS_")]) > 1]
ok(len(keys) > 80 and not twice, f"{HEADER} spells {len(keys)} keys, each once", twice)

for p in files:
    bad = [f"{p}:{ln}: \"{k}\"" for ln, k in key_literals(p) if k in key_set]
    ok(not bad, f"{p}: no status key spelled as a literal", bad)

# The writer and readers include the header.
bad = [p for p in files if not re.search(r'#include "lab/(lib/status_keys|cli/client_status)\.h"',
                                         open(p).read()) and p != "lab/cli/client_status.c"]
ok(not bad, "the writer and the readers include the header", bad)

# State values: readers compare through the header's names.
value_set = set(values.values())
bad = []
for p in files + [f for f in ["lab/cli/client_progress.c", "lab/cli/client_console.c"]
                  if f not in files]:
    src = strip_comments(open(p).read())
    for m in re.finditer(r'strn?cmp\s*\(([^;]*?),\s*"([^"]*)"\s*[,)]', src):
        if m.group(2) in value_set and re.search(r"state|proto|\bpr\b|accel|kind|json_string_value",
                                                 m.group(1)):
            bad.append(f"{p}:{src.count(chr(10), 0, m.start()) + 1}: \"{m.group(2)}\"")
ok(not bad, "readers compare state values by the header's names", bad)

src = strip_comments(open("lab/sv/sv_base.c").read())
body = re.search(r"node_state_name\(enum node_state s\)\s*\{(.*?)\n\}", src, re.S)
ok(body and '"' not in body.group(1).replace('"?"', ""),
   "node_state_name() returns the header's names", [body.group(1)] if body else [])

# docs/control.md documents every key of the header.
doc = open("docs/control.md").read()
undoc = sorted(k for k in set(keys.values()) if f"`{k}`" not in doc and f"`{k}[]`" not in doc)
ok(not undoc, "docs/control.md names every key of the header", undoc)

# Outside C: what the pytest plugin and the completion read.
py_keys = set()
for f in sorted(os.listdir("python/pytest_vacmlab")):
    if f.endswith(".py"):
        t = open(os.path.join("python/pytest_vacmlab", f)).read()
        py_keys |= set(re.findall(r'\[\s*"([a-z_0-9]+)"\s*\]', t))
        py_keys |= set(re.findall(r'\.get\(\s*"([a-z_0-9]+)"', t))
py_keys -= {"VACMLAB", "VACMLAB_LAB", "VACMLAB_TOPOLOGY"}
comp = open("contrib/completion/vacmlab.bash").read()
comp_keys = set(re.findall(r'\\"([a-z_]+)\\":', comp))  # awk: $1 == "\"lab\":"
comp_keys |= set(re.findall(r'"([a-z_]+)": /', comp))   # awk: /^      "name": /
comp_keys |= set(re.findall(r'_vacmlab_lab_names "[^"]*" ([a-z_]+)', comp))
comp_keys |= set(re.findall(r'_vacmlab_lab_names\s+LAB\s+([a-z_|]+)', comp)[0].split("|")
                 if re.search(r'_vacmlab_lab_names\s+LAB\s+([a-z_|]+)', comp) else [])
comp_keys |= set(re.findall(r'_vacmlab_json "\$2" ([a-z_]+)', comp))
ok(len(py_keys) >= 5 and len(comp_keys) >= 4,
   f"found the keys the plugin ({len(py_keys)}) and the completion ({len(comp_keys)}) read",
   [sorted(py_keys), sorted(comp_keys)])
hdr = open(HEADER).read()
table = doc[doc.find("### Who reads which key"):] if "### Who reads which key" in doc else ""
for who, ks in (("python/pytest_vacmlab", py_keys), ("contrib/completion", comp_keys)):
    missing = sorted(k for k in ks if k not in set(keys.values()))
    ok(not missing, f"every key {who} reads is in {HEADER}", missing)
    comment = hdr[:hdr.find("#ifndef")]
    miss_c = sorted(k for k in ks if not re.search(r"\b%s\b" % re.escape(k), comment))
    ok(not miss_c, f"the header's comment names every key {who} reads", miss_c)
    miss_d = sorted(k for k in ks if f"`{k}`" not in table)
    ok(table and not miss_d, f"docs/control.md's table names every key {who} reads", miss_d)

print(f"1..{len(results)}")
for i, (good, name, diag) in enumerate(results, 1):
    print(f"{'ok' if good else 'not ok'} {i} - {name}")
    for d in (diag if not good else []):
        print(f"# {d}")
sys.exit(0 if all(r[0] for r in results) else 1)
