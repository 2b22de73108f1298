#!/usr/bin/env python3
"""Runs the platform's published GraphQL requests against tessera, with real ids (issue 16).

check.py says which of the collection's requests validate; this one executes each request that
validates against both schemas, in collection order, after filling its variables with the ids of
real objects: it first draws a board (a workspace with one element of every type, a comment) and
then replaces each placeholder (`{{workspaceID}}`, `<yourCanvasID>`, …) by the object its
variable names. A request that deletes or changes gets objects of its own. Prints each request
with `ok` or its errors, and the counts.

  python3 run.py --url http://127.0.0.1:8080/v3/graphql --token BOT_TOKEN [--ref DIR]
"""
import argparse, json, re, sys, urllib.request
from pathlib import Path

from graphql import build_schema, parse, validate

from check import COLLECTION, ROOT, SCHEMA, check, introspect, parse_variables, requests_of, root_fields

# (marker in a variable's name or placeholder, the fixture it names), first match wins; a
# marker starting with `=` matches the whole name only.
NAMED = [
    ("workspace", "workspace"), ("=ws", "workspace"), ("org", "organization"), ("=eq", "organization"),
    ("user", "user"), ("role", "role"), ("canvas", "canvas"), ("image", "image"), ("document", "document"),
    ("video", "video"), ("grid", "grid"), ("icon", "icon"), ("line", "line"), ("shape", "shape"),
    ("stroke", "stroke"), ("browser", "browser"), ("anchor", "shape"), ("text", "text"),
    ("todelete", "doomed"), ("surface", "shape"), ("upload", "upload"),
]
ID_NAME = re.compile(r"(id|Id|ID|Uid)$|^ws$|^workspace")
# An element id of a request with no name for its type: the type its root field names.
BY_ROOT = [("Canvas", "canvas"), ("Image", "image"), ("Document", "document"), ("Video", "video"),
           ("Grid", "grid"), ("Icon", "icon"), ("Line", "line"), ("Shape", "shape"), ("Stroke", "stroke"),
           ("Browser", "browser"), ("Window", "window"), ("Text", "text")]

DRAW = {
    "canvas": ("createCanvas", '{name: "Frame", style: {width: 2000, height: 2000}}', "id"),
    "text": ("createText", '{text: "hello", transform: {x: 100, y: 100}}', "id"),
    "shape": ("createShape", '{style: {regularShape: {kind: Rectangle, width: 100, height: 100}}, transform: {x: 500, y: 100}}', "id"),
    "stroke": ("createStroke", "{points: [0, 0, 10, 10], transform: {x: 300, y: 300}}", "id"),
    "line": ("createLine", "{start: {absolute: {x: 0, y: 0}}, end: {absolute: {x: 50, y: 50}}}", "id"),
    "image": ("createImage", '{title: "photo", imageFormat: png, width: 100, height: 100}', "image { id }"),
    "document": ("createDocument", '{title: "doc", documentFormat: pdf}', "document { id }"),
    "video": ("createVideo", '{title: "clip", videoFormat: mp4}', "video { id }"),
    "browser": ("createBrowser", '{url: "https://example.com"}', "id"),
    "grid": ("createGrid", "{rowCount: 2, columnCount: 2, cells: []}", "id"),
    "icon": ("createIcon", '{assetPath: "/icons/Tessera/Shapes/line/star.svg"}', "id"),
    "window": ("createWindow", "{style: {width: 100, height: 100}}", "id"),
}


class Tessera:
    def __init__(self, url, token):
        self.url, self.token = url, token

    def post(self, query, variables=None):
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        req = urllib.request.Request(self.url, data=body, headers={
            "content-type": "application/json", "authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(req) as res:
            return json.load(res)

    def data(self, query, variables=None):
        out = self.post(query, variables)
        if out.get("errors"):
            sys.exit(f"cannot draw the board: {out['errors']}")
        return out["data"]


def draw(t):
    """A workspace with one element of each type; the ids by fixture name."""
    me = t.data("{ me { profile { id } organizations { results { id } } } }")["me"]
    ids = {"user": me["profile"]["id"], "organization": me["organizations"]["results"][0]["id"], "role": "viewer"}
    made = t.data('mutation($org: String!) { createWorkspace(input: {organizationId: $org, name: "Collection run", '
                  'isPublic: false}) { id } }', {"org": ids["organization"]})
    ids["workspace"] = made["createWorkspace"]["id"]
    for kind in DRAW:
        ids[kind] = element(t, ids["workspace"], kind)
    # An image's upload, for `processAsset` (its file is never sent: processing then fails, as
    # the asset's state says; the request itself succeeds).
    made = t.data('mutation($ws: String!) { createImage(workspaceId: $ws, input: {imageFormat: png}) '
                  '{ content { uploadId } } }', {"ws": ids["workspace"]})
    ids["upload"] = made["createImage"]["content"]["uploadId"]
    return ids


def element(t, ws, kind):
    field, input, selection = DRAW[kind]
    out = t.data(f"mutation($ws: String!) {{ r: {field}(workspaceId: $ws, input: {input}) {{ {selection} }} }}", {"ws": ws})
    r = out["r"]
    return r["id"] if "id" in r else next(iter(r.values()))["id"]


def placeholder(value):
    return isinstance(value, str) and ("{{" in value or value.startswith("<")) or value is None


def fill(t, ids, query, variables, root):
    """The request's variables with each placeholder replaced by a real object's id."""
    doc = parse(query)
    declared = [v.variable.name.value for op in doc.definitions if hasattr(op, "variable_definitions")
                for v in op.variable_definitions or []]

    def fixture(name, value):
        # The variable's name says what it is; failing that, its placeholder.
        def named(text):
            text = text.lower()
            return next((k for m, k in NAMED if (text == m[1:] if m.startswith("=") else m in text)), None)
        kind = named(name) or named(value or "")
        if kind is None:
            kind = next((k for word, k in BY_ROOT if word in root), "text")
        if kind == "doomed" or (kind in DRAW and root.startswith("mutation delete")):
            return element(t, ids["workspace"], "text")  # each deletion gets its own
        return ids.get(kind, "")

    def walk(name, value):
        if isinstance(value, dict):
            return {k: walk(k, v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(name, v) for v in value]
        return fixture(name, value if isinstance(value, str) else "") if placeholder(value) else value

    out = {k: walk(k, v) for k, v in (variables or {}).items()}
    # Ids the collection gives as someone's real ids (or not at all) are ids of this board.
    for name in declared:
        if ID_NAME.search(name) and not (name in out and isinstance(out[name], (dict, list))):
            out[name] = fixture(name, "")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", default=str(ROOT.parent / "shared" / "bluescape"))
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    args = ap.parse_args()
    ref = Path(args.ref)
    platform = build_schema((ref / SCHEMA).read_text())
    tessera_schema = introspect(args.url, args.token)
    t = Tessera(args.url, args.token)
    ids = draw(t)
    ran, ok, failed = 0, 0, []
    for name, query, variables in requests_of(json.loads((ref / COLLECTION).read_text()).get("item", [])):
        if check(platform, query, variables)[0] or check(tessera_schema, query, variables)[0]:
            continue
        vars_ = fill(t, ids, query, parse_variables(variables), root_fields(query))
        out = t.post(query, vars_)
        ran += 1
        errors = out.get("errors") or []
        if errors:
            codes = sorted({(e.get("extensions") or {}).get("code", "?") for e in errors})
            failed.append((name, codes, errors[0].get("message", "")))
            print(f"FAIL {name}: {', '.join(codes)}: {errors[0].get('message', '')[:160]}")
        else:
            ok += 1
            print(f"ok   {name}")
    print(f"\n{ok} of {ran} requests that validate ran without an error (with real ids filled in)")


if __name__ == "__main__":
    main()
