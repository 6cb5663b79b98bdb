#!/usr/bin/env python3
# json-schema.py - check mxdiag's JSON against the schema documented in man/mxdiag-json.5
# SPDX-License-Identifier: MIT
#
# usage: json-schema.py MANPAGE TYPE [--array | --lines] < output
#        json-schema.py MANPAGE --list        (the types and fields the page documents)
#
# The manual page is the schema: each ".SS NAME" section documents one object type, each
# field a ".TP" paragraph opening with  .BI "PATH " TYPES  where PATH is the key (a.b for a
# key of object a, a[].b for a key of the objects in array a) and TYPES alternatives joined
# by '|': string (never empty: unknown is null), string-or-empty (Sisimai's fields, which
# say "" for unknown), integer, number, boolean, null, object (its keys documented as
# PATH.KEY), another section's NAME, any of these followed by [] for an array of them, and
# absent (the key may be left out). Every key of the output must be documented with one of
# its types and every documented key present (unless absent): a field added to the output
# and not to the page, or the other way round, fails. Exit 0 when the input conforms.
import json
import re
import sys

PRIMITIVES = {"string", "string-or-empty", "integer", "number", "boolean", "null", "object",
              "absent"}
FIELD = re.compile(r'^\.BI\s+"([^" ]+) "\s+"?([^"]+?)"?\s*$')


def load(path):
    types, cur, prev_tp = {}, None, False
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith(".SH"):
                cur = None
            elif line.startswith(".SS"):
                name = line[3:].strip().strip('"')
                cur = name if re.fullmatch(r"[a-z][a-z0-9-]*", name) else None
                if cur:
                    types[cur] = {}
            elif cur and prev_tp and line.startswith(".BI"):
                m = FIELD.match(line)
                if not m:
                    sys.exit("%s:%d: a field is written .BI \"PATH \" TYPES" % (path, n))
                types[cur][m.group(1)] = [t.strip() for t in m.group(2).split("|")]
            prev_tp = line.startswith(".TP")
    for name, fields in types.items():
        for p, alts in fields.items():
            for a in alts:
                base = a[:-2] if a.endswith("[]") else a
                if base not in PRIMITIVES and base not in types:
                    sys.exit("%s: %s.%s: unknown type '%s'" % (path, name, p, a))
            parent = p.rsplit(".", 1)[0] if "." in p else None
            if parent and parent.endswith("[]"):
                parent = parent[:-2]
            if parent and parent not in fields:
                sys.exit("%s: %s.%s: parent %s is not documented" % (path, name, p, parent))
    return types


class Checker:
    def __init__(self, types):
        self.types, self.errors = types, []

    def err(self, where, msg):
        self.errors.append("%s: %s" % (where or "(top)", msg))

    def value(self, tname, fields, path, alts, v, where):
        """check v against the first of alts of its kind (path: its PATH in tname)"""
        if v is None:
            if "null" not in alts:
                self.err(where, "null is not %s" % " | ".join(alts))
            return
        named = [a for a in alts if a not in PRIMITIVES and not a.endswith("[]")]
        if isinstance(v, dict) and len(named) > 1:
            # one of several object types (a diagnose check's data): the one it conforms to
            for a in named:
                saved = len(self.errors)
                self.obj(a, self.types[a], "", v, where)
                if len(self.errors) == saved:
                    return
                del self.errors[saved:]
            self.err(where, "conforms to none of %s" % " | ".join(named))
            return
        for a in alts:
            if a in ("null", "absent") or not self.kind(a, v):
                continue
            if a.endswith("[]"):
                for i, e in enumerate(v):
                    self.value(tname, fields, path + "[]", [a[:-2]], e, "%s[%d]" % (where, i))
            elif a == "string" and v == "":
                self.err(where, "empty string: unknown is null")
            elif a == "object":
                self.obj(tname, fields, path, v, where)
            elif a not in PRIMITIVES:
                self.obj(a, self.types[a], "", v, where)
            return
        self.err(where, "%s is not %s" % (json.dumps(v)[:60], " | ".join(alts)))

    @staticmethod
    def kind(a, v):
        """is v of the JSON kind of type a?"""
        if a.endswith("[]"):
            return isinstance(v, list)
        if a in ("string", "string-or-empty"):
            return isinstance(v, str)
        if a == "integer":
            return isinstance(v, int) and not isinstance(v, bool)
        if a == "number":
            return isinstance(v, (int, float)) and not isinstance(v, bool)
        if a == "boolean":
            return isinstance(v, bool)
        return isinstance(v, dict)  # object or a named type

    def obj(self, tname, fields, prefix, v, where):
        pre = prefix + "." if prefix else ""
        kids = {p[len(pre):]: alts for p, alts in fields.items()
                if p.startswith(pre) and "." not in p[len(pre):]}
        for k in v:
            if k not in kids:
                self.err(where, "key '%s' is not documented in %s (%s%s)" % (k, tname, pre, k))
        for k, alts in kids.items():
            w = "%s.%s" % (where, k) if where else k
            if k not in v:
                if "absent" not in alts:
                    self.err(where, "key '%s' of %s is missing" % (k, tname))
                continue
            self.value(tname, fields, pre + k, alts, v[k], w)


def main():
    a = sys.argv[1:]
    if len(a) < 2:
        sys.exit(__doc__ or "usage: json-schema.py MANPAGE TYPE [--array | --lines]")
    types = load(a[0])
    if a[1] == "--list":
        for t, f in types.items():
            print(t, " ".join(f))
        return 0
    tname = a[1]
    if tname not in types:
        sys.exit("no type '%s' in %s" % (tname, a[0]))
    text = sys.stdin.read()
    mode = a[2] if len(a) > 2 else ""
    try:
        if mode == "--lines":
            docs = [json.loads(l) for l in text.splitlines() if l.strip()]
        elif mode == "--array":
            docs = json.loads(text)
            if not isinstance(docs, list):
                print("FAIL %s: not one JSON array" % tname)
                return 1
        else:
            docs = [json.loads(text)]
    except ValueError as e:
        print("FAIL %s: not JSON (%s)" % (tname, e))
        return 1
    c = Checker(types)
    for i, d in enumerate(docs):
        where = "[%d]" % i if mode else ""
        if not isinstance(d, dict):
            c.err(where, "not an object")
            continue
        c.obj(tname, types[tname], "", d, where)
    if c.errors:
        for e in c.errors:
            print("FAIL %s %s" % (tname, e))
        return 1
    print("ok %s (%d document%s)" % (tname, len(docs), "" if len(docs) == 1 else "s"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
