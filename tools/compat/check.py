#!/usr/bin/env python3
"""How much of the platform's published GraphQL collection tessera accepts (issue 16).

Reads the platform's schema and Postman collection from --ref (never copied into the project),
validates each request against the platform's schema, then each platform-valid one against
tessera's schema (by introspection from --url). Prints counts, failures by root field, and the
most common gaps; --json OUT writes the same as JSON.
"""
import argparse, json, re, sys, urllib.request
from collections import Counter, defaultdict
from pathlib import Path

from graphql import (GraphQLError, OperationDefinitionNode, build_client_schema, build_schema,
                     get_introspection_query, parse, validate)
from graphql.execution.values import get_variable_values

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = "schema-22.11.1.graphql"
COLLECTION = "v3_graphQL_APIs.postman_collection.json"


def requests_of(items, path=()):
    """(name, query, variables) of every GraphQL request, walking nested folders."""
    for it in items:
        if "item" in it:
            yield from requests_of(it["item"], path + (it["name"],))
            continue
        body = it.get("request", {}).get("body") or {}
        name = "/".join(path + (it["name"],))
        if body.get("mode") == "graphql":
            gql = body.get("graphql") or {}
            yield name, gql.get("query", ""), gql.get("variables") or ""
        elif body.get("mode") == "raw":
            raw = re.sub(r'(?<!")\{\{[^}]*\}\}(?!")', "null", body.get("raw", ""))  # bare placeholders
            try:
                doc = json.loads(raw)
            except ValueError:
                continue
            if isinstance(doc, dict) and "query" in doc:
                yield name, doc["query"], doc.get("variables") or ""


def parse_variables(text):
    if isinstance(text, dict):
        return text
    text = re.sub(r'(?<!")\{\{[^}]*\}\}(?!")', "null", text or "")
    try:
        v = json.loads(text) if text.strip() else {}
    except ValueError:
        return None
    return v if isinstance(v, dict) else None


def check(schema, query, variables):
    """(validation errors, variable-coercion errors) of one request against one schema."""
    try:
        doc = parse(query)
    except GraphQLError as e:
        return [f"syntax: {one_line(e.message)}"], []
    errors = [one_line(e.message, 1000) for e in validate(schema, doc)]
    if errors:
        return errors, []
    values = parse_variables(variables)
    if values is None:
        return [], ["variables are not a JSON object"]
    problems = []
    for op in doc.definitions:
        if isinstance(op, OperationDefinitionNode):
            out = get_variable_values(schema, op.variable_definitions or [], values)
            if isinstance(out, list):
                problems += [one_line(e.message, 1000) for e in out]
    return [], problems


def root_fields(query):
    try:
        doc = parse(query)
    except GraphQLError:
        return "(syntax error)"
    names = []
    for op in doc.definitions:
        if isinstance(op, OperationDefinitionNode):
            for sel in op.selection_set.selections:
                name = getattr(getattr(sel, "name", None), "value", "...")
                names.append(f"{op.operation.value} {name}")
    return ", ".join(sorted(set(names))) or "(no operation)"


ROOTS = {"Query", "Mutation", "Subscription"}
GAP_PATTERNS = [
    (r'Cannot query field "(\w+)" on type "(\w+)"', lambda f, t: ("root field" if t in ROOTS else "field", f"{t}.{f}")),
    (r'Unknown argument "(\w+)" on field "([\w.]+)"', lambda a, f: ("argument", f"{f}({a})")),
    (r'Unknown type "(\w+)"', lambda t: ("type", t)),
    (r'Value "(\w+)" does not exist in "(\w+)" enum', lambda v, t: ("enum value", f"{t}.{v}")),
    (r'Field "(\w+)" is not defined by type "(\w+)"', lambda f, t: ("input field", f"{t}.{f}")),
    (r'Expected value of type "(\w+)" not to include unknown field "(\w+)"', lambda t, f: ("input field", f"{t}.{f}")),
    (r'Expected value of type "(\w+)" to include required field "(\w+)"', lambda t, f: ("required input field", f"{t}.{f}")),
    (r'Field "([\w.]+)" of required type "([^"]+)" was not provided', lambda f, t: ("required input field", f"{f}: {t}")),
    (r'Field "([\w.]+)" argument "(\w+)" of type "([^"]+)" is required', lambda f, a, t: ("required argument", f"{f}({a}: {t})")),
    (r'Variable "\$\w+" of type "([^"]+)" used in position expecting type "([^"]+)"', lambda a, b: ("variable type", f"{a} -> {b}")),
    (r'Field "(\w+)" must not have a selection since type "([^"]+)"', lambda f, t: ("object in the platform, scalar in tessera", f"{f}: {t}")),
    (r'Field "(\w+)" of type "([^"]+)" must have a selection', lambda f, t: ("scalar in the platform, object in tessera", f"{f}: {t}")),
    (r'objects of type "(\w+)" can never be of type "(\w+)"', lambda a, b: ("fragment type", f"{b} on {a}")),
    (r'Expected value of type "([^"]+)"', lambda t: ("input value", t)),
]


def one_line(message, width=200):
    """A message on one line, without the echoed input value, cut to width."""
    message = re.sub(r"\s+", " ", message).strip()
    message = re.sub(r", found: .*$", ".", message)
    return message if len(message) <= width else message[: width - 1] + "…"


def gaps_of(message):
    """(kind, subject) of one error message, e.g. ("argument", "Query.elements(when)")."""
    message = re.sub(r" Did you mean .*$", "", one_line(message, 10**6).replace("'", '"'))
    m = re.match(r'Variable "\$\w+" (?:has invalid value(?: at [^:]*)?: |got invalid value .*?; )(.*)', message)
    if m:  # a variable's value that tessera's input types reject: classify the reason
        kind, subject = gaps_of(m.group(1))
        return "variables: " + kind, subject
    for pattern, make in GAP_PATTERNS:
        m = re.search(pattern, message)
        if m:
            return make(*m.groups())
    return ("other", message)


def introspect(url, token):
    body = json.dumps({"query": get_introspection_query(descriptions=False)}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json",
                                             "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        answer = json.load(resp)
    if answer.get("errors"):
        sys.exit(f"introspection failed: {answer['errors']}")
    return build_client_schema(answer["data"])


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ref", default=str(ROOT.parent / "shared" / "bluescape"),
                    help="folder with the platform's schema and collection (default ../shared/bluescape)")
    ap.add_argument("--url", help="tessera's GraphQL endpoint, e.g. http://127.0.0.1:8080/v3/graphql")
    ap.add_argument("--token", help="a bearer token for --url (a bot token will do)")
    ap.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    ap.add_argument("--top", type=int, default=15, help="rows per kind in the gap table")
    args = ap.parse_args()

    ref = Path(args.ref)
    platform = build_schema((ref / SCHEMA).read_text())
    collection = json.loads((ref / COLLECTION).read_text())
    reqs = list(requests_of(collection.get("item", [])))

    results = []
    for name, query, variables in reqs:
        errs, var_errs = check(platform, query, variables)
        results.append({"name": name, "root": root_fields(query), "platform_errors": errs,
                        "platform_variable_errors": var_errs})
    valid = [r for r in results if not r["platform_errors"]]

    tessera = introspect(args.url, args.token) if args.url else None
    if tessera:
        for r, (_, q, v) in zip(results, reqs):
            if not r["platform_errors"]:
                r["tessera_errors"], r["tessera_variable_errors"] = check(tessera, q, v)
    passing = [r for r in valid if tessera and not r["tessera_errors"]]
    failing = [r for r in valid if tessera and r["tessera_errors"]]
    running = [r for r in passing if not r["tessera_variable_errors"]]

    gaps = defaultdict(Counter)  # kind -> subject -> number of documents
    for r in failing + passing:
        for kind, subject in sorted({gaps_of(m) for m in r["tessera_errors"] + r["tessera_variable_errors"]}):
            gaps[kind][subject] += 1

    coerce = [r for r in valid if not r["platform_variable_errors"]]
    summary = {"requests": len(reqs), "valid_against_platform": len(valid),
               "variables_coerce_in_platform": len(coerce)}
    if tessera:
        summary |= {"valid_against_tessera": len(passing), "variables_coerce_in_tessera": len(running)}

    print(f"GraphQL requests in the collection: {len(reqs)}")
    print(f"valid against the platform's schema: {len(valid)}")
    print(f"  ...and whose variables also coerce in the platform's schema: {len(coerce)}")
    for r in results:
        if r["platform_errors"]:
            print(f"  not valid there (not counted): {r['name']}: {one_line(r['platform_errors'][0])}")
    if not tessera:
        print("(no --url: tessera not checked)")
    else:
        print(f"of those, valid against tessera's schema: {len(passing)}")
        print(f"  ...and whose variables also coerce in tessera's schema: {len(running)}")
        by_root = defaultdict(list)
        for r in failing:
            by_root[r["root"]].append(r)
        print("\nfailing against tessera, by root field:")
        for root in sorted(by_root):
            print(f"\n[{root}] {len(by_root[root])} failing")
            for r in by_root[root]:
                print(f"  {r['name']}")
                for m in r["tessera_errors"][:2]:
                    print(f"      {one_line(m)}")
        var_fail = [r for r in passing if r["tessera_variable_errors"]]
        if var_fail:
            print("\nvalid against tessera but their variables do not coerce:")
            for r in var_fail:
                print(f"  {r['name']}\n      {one_line(r['tessera_variable_errors'][0])}")
        print("\nmost common gaps (documents affected):")
        for kind in sorted(gaps, key=lambda k: -sum(gaps[k].values())):
            print(f"\n  {kind}:")
            for subject, n in gaps[kind].most_common(args.top):
                print(f"    {n:3d}  {subject}")
        print(f"\n{len(passing)} of {len(valid)} platform-valid documents validate against tessera "
              f"({len(reqs)} requests, {len(reqs) - len(valid)} invalid against the platform)")

    if args.json:
        out = {"summary": summary, "requests": results,
               "gaps": {k: dict(v.most_common()) for k, v in gaps.items()}}
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
