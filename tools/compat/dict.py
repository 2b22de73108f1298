"""Writes fuzz/dict/graphql.dict: GraphQL's keywords and punctuation, and every name in
tessera's schema (types, fields, arguments, enum values), read by introspection from a running
server. Run it through run.sh after changing the schema:
    TESSERA_BIN=target/debug/tessera tools/compat/run.sh dict.py
"""
import argparse
import json
import urllib.request
from pathlib import Path

from graphql import get_introspection_query

PUNCTUATION = ['@include', '@skip', '@deprecated', '(if:', '$', '...', '{', '}', '(', ')', ':', '!', '[', ']',
               '=', '"', '"""', '#']
KEYWORDS = ['query', 'mutation', 'subscription', 'fragment', 'on', 'true', 'false', 'null']


def names(schema):
    out = set()
    for t in schema["types"]:
        if t["name"].startswith("__"):
            continue
        out.add(t["name"])
        for f in (t.get("fields") or []) + (t.get("inputFields") or []):
            out.add(f["name"])
            out.update(a["name"] for a in f.get("args") or [])
        out.update(v["name"] for v in t.get("enumValues") or [])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    a = ap.parse_args()
    req = urllib.request.Request(a.url, json.dumps({"query": get_introspection_query()}).encode(),
                                 {"Content-Type": "application/json", "Authorization": f"Bearer {a.token}"})
    with urllib.request.urlopen(req, timeout=30) as res:
        schema = json.load(res)["data"]["__schema"]
    quote = lambda s: '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'
    lines = ["# GraphQL keywords and punctuation, and the names in tessera's schema (tools/compat/dict.py)."]
    lines += [quote(p) for p in PUNCTUATION + KEYWORDS]
    lines += [quote(n) for n in sorted(names(schema))]
    out = Path(__file__).resolve().parents[2] / "fuzz" / "dict" / "graphql.dict"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}: {len(lines) - 1} entries")


if __name__ == "__main__":
    main()
