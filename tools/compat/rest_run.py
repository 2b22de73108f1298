"""Runs every request of the platform's REST v3 Postman collection against a running tessera,
as a user porting an app would: the base URL, a bot token and the ids of real objects filled in
(a workspace of this run, an element of the type the request names, the bot's organization and
its own user id), bodies sent as written. Prints each request's status and the count that
answered 2xx. Requests that need what this run cannot give are reported apart: the OAuth
requests (a client and a refresh token; the OAuth suites cover them) and the upload steps that
post to the S3 bucket URL an earlier step returned, which this runner does instead with the form
tessera returned (its fields, then a small file of the declared format); the finishing `PUT`s
then run as written, with that upload's id.

    TESSERA_BIN=target/debug/tessera tools/compat/run.sh rest_run.py
"""
import argparse
import json
import re
import struct
import sys
import urllib.error
import urllib.request
import uuid
import zlib

from check import ROOT

COLLECTION = ROOT.parent / "shared" / "bluescape" / "v3_REST_APIs.postman_collection.json"

# The element a request works on, by words of its name (first match wins).
BY_NAME = [("line", "Line"), ("sticky", "Shape"), ("shape", "Shape"), ("text", "Text"), ("browser", "Browser"),
           ("document", "Document"), ("canvas", "Canvas"), ("grid", "Grid"), ("video", "Video"),
           ("stroke", "Stroke"), ("image", "Image")]
MADE = {
    "Text": {"type": "Text", "text": "hello"},
    "Shape": {"type": "Shape", "style": {"regularShape": {"kind": "Rectangle", "width": 100, "height": 100}}},
    "Line": {"type": "Line", "start": {"absolute": {"x": 0, "y": 0}}, "end": {"absolute": {"x": 50, "y": 50}}},
    "Browser": {"type": "Browser", "url": "https://example.com"},
    "Document": {"type": "Document", "title": "doc", "documentFormat": "pdf"},
    "Canvas": {"type": "Canvas", "name": "Frame", "style": {"width": 2000, "height": 2000}},
    "Grid": {"type": "Grid", "rowCount": 2, "columnCount": 2, "cells": []},
    "Video": {"type": "Video", "title": "clip", "videoFormat": "mp4"},
    "Stroke": {"type": "Stroke", "points": [0, 0, 10, 10]},
    "Image": {"type": "Image", "title": "photo", "imageFormat": "png", "width": 10, "height": 10},
}


def png():
    """A valid 2 × 1 PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"\0\xff\0\0\0\xff\0"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# A file of each declared format, as small as its first bytes allow (only the PNG decodes).
FILES = {"png": png(), "jpeg": b"\xff\xd8\xff\xe0" + bytes(64), "jpg": b"\xff\xd8\xff\xe0" + bytes(64),
         "tif": b"II*\0" + bytes(64), "mp4": b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"}


def post_form(form, data):
    """POST a file with an upload form: its fields, then the file, as multipart/form-data."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in form["fields"].items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    req = urllib.request.Request(form["url"], data=body, method="POST",
                                 headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status
    except urllib.error.HTTPError as e:
        return e.code


class Api:
    def __init__(self, base, token):
        self.base, self.token = base, token

    def call(self, method, path, body=None):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "authorization": f"Bearer {self.token}", "content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                return res.status, json.loads(res.read() or b"null")
        except urllib.error.HTTPError as e:
            try:
                return e.code, json.loads(e.read() or b"null")
            except ValueError:
                return e.code, None


def requests_of(items, path=""):
    for it in items:
        if "item" in it:
            yield from requests_of(it["item"], f"{path}/{it['name']}")
        else:
            yield f"{path}/{it['name']}", it["request"]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True, help="tessera's GraphQL endpoint (run.sh gives it)")
    ap.add_argument("--token", required=True)
    a = ap.parse_args()
    api = Api(a.url.removesuffix("/v3/graphql"), a.token)
    me = api.call("GET", "/v3/users/me")[1]["data"]
    org = api.call("GET", "/v3/users/me/organizations")[1]["data"][0]["id"]
    made = api.call("POST", "/v3/workspaces", {"name": "REST collection run", "organizationId": org, "isPublic": False})
    ws = made[1]["data"]["id"]

    def element(kind):
        return api.call("POST", f"/v3/workspaces/{ws}/elements", MADE[kind])[1]["data"]["id"]

    collection = json.load(open(COLLECTION))
    ran, passed, apart = 0, 0, []
    created = None  # the last element created with upload forms, and its declared format
    for name, req in requests_of(collection["item"]):
        raw = req["url"]["raw"] if isinstance(req["url"], dict) else req["url"]
        if "OAuthAccessTokenURL" in raw:
            apart.append(name)
            continue
        if "s3BucketURL" in raw:
            form = created and created[0].get("preview" if "thumb" in name.lower() else "content")
            status = post_form(form, FILES["png" if "thumb" in name.lower() else created[1]]) if form else None
            apart.append(f"{name}: done with the form tessera returned: {status}")
            continue
        raw = raw.replace("{{Amz-uploadId}}", (created[0].get("content") or {}).get("uploadId", "none") if created else "none")
        lowered = name.lower()
        kind = next((k for word, k in BY_NAME if word in lowered), "Text")
        path = raw.replace("{{API_path}}", "").replace("{{workspaceID}}", ws)
        path = path.split("?")[0]
        for var in (req["url"].get("variable") or []):
            key = var["key"]
            value = {"elementId": None, "userID": var.get("value") if var.get("value") == "me" else me["id"],
                     "orgID": org}.get(key)
            if key == "elementId":
                value = element(kind)
            path = path.replace(f":{key}", value)
        query = [(q["key"], q["value"]) for q in (req["url"].get("query") or []) if not q.get("disabled")]
        if any(k == "relativeToOriginOf" for k, _ in query):
            query = [(k, element("Canvas") if k == "relativeToOriginOf" else v) for k, v in query]
        if query:
            path += "?" + "&".join(f"{k}={urllib.request.quote(v)}" for k, v in query)
        body = req.get("body", {}).get("raw") if req.get("body", {}).get("mode") == "raw" else None
        if body is not None:
            body = re.sub(r'"organizationId"\s*:\s*"[^"]*"', f'"organizationId": "{org}"', body)
            # `<imageElementID>` and the like: an element of the type it names.
            body = re.sub(r'"<(\w+?)ElementID>"', lambda m: json.dumps(element(m.group(1).capitalize())), body).encode()
        status, answer = api.call(req["method"], path, body)
        data = (answer or {}).get("data") if isinstance(answer, dict) else None
        if isinstance(data, dict) and data.get("content"):
            sent = json.loads(body)
            created = (data, sent.get("imageFormat") or sent.get("videoFormat") or sent.get("documentFormat"))
        ran += 1
        ok = 200 <= status < 300
        passed += ok
        detail = "" if ok else f": {json.dumps(answer)[:200]}"
        print(f"{'ok  ' if ok else 'FAIL'} {status} {req['method']:6} {name}{detail}")
    print()
    for name in apart:
        print(f"apart     {name}")
    print(f"\n{passed} of {ran} REST requests answered 2xx ({len(apart)} apart: OAuth and the bucket POSTs)")
    sys.exit(0 if passed == ran else 1)


if __name__ == "__main__":
    main()
