#!/usr/bin/env python3
"""openapi_check.py SPEC OBSERVED [--only PREFIX | --except PREFIX] - the
server against docs/openapi.yaml. PREFIX: one, or several with commas.

With --only, only the spec's routes under PREFIX are checked (a test of
those routes); with --except, those are left to such a test.

OBSERVED has one line per request a test made: "METHOD PATH STATUS".
Fails when the server answered a status the spec does not list for that
route, answered a route the spec does not have (other than 404/405 for
unmatched paths), or when a route or status the spec lists was never seen
(500, 502, 503 and 504, which tests cannot always provoke, excepted)."""
import re
import sys

import yaml

UNPROVOKED = {"500", "502", "503", "504"}


def main():
    spec = yaml.safe_load(open(sys.argv[1]))
    only = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--only" else None
    skip = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--except" else None
    unmatched = set(spec.get("x-mohur-unmatched", {}).get("responses", []))
    routes = []
    for path, item in spec["paths"].items():
        rx = "^" + re.sub(r"\{(\w+)\}", lambda m: "(.+)" if m.group(1) in ("path", "id") else "([^/]+)", path) + "$"
        if (only and not path.startswith(tuple(only.split(",")))) or (
                skip and path.startswith(tuple(skip.split(",")))):
            continue
        for method, op in item.items():
            routes.append((method.upper(), path, re.compile(rx), set(op["responses"].keys())))
    # longest templates first: /documents/{id}/revoke before /documents/{id}
    routes.sort(key=lambda r: -len(r[1]))
    seen = {}
    bad = []
    for line in open(sys.argv[2]):
        parts = line.split()
        if len(parts) != 3:
            continue
        method, path, status = parts
        match = [r for r in routes if r[2].match(path) and r[0] == method]
        if not match:
            if only or skip:
                continue  # another test's route
            if status not in unmatched:
                bad.append("%s %s answered %s, but the spec has no such route" % (method, path, status))
            continue
        m = match[0]
        if path.endswith("/revoke") and m[1] != "/api/v1/documents/{id}/revoke":
            m = [r for r in match if r[1].endswith("/revoke")][0]
        seen.setdefault((m[0], m[1]), set()).add(status)
        if status not in m[3]:
            bad.append("%s %s answered %s, which the spec does not list for %s" % (method, path, status, m[1]))
    for method, path, _, statuses in routes:
        got = seen.get((method, path), set())
        if not got:
            bad.append("%s %s is in the spec but no test called it" % (method, path))
            continue
        missing = statuses - got - UNPROVOKED
        if missing:
            bad.append("%s %s: the spec lists %s, never seen" % (method, path, ", ".join(sorted(missing))))
    for b in bad:
        print(b)
    if not bad:
        print("openapi: %d routes, every status seen is listed and every listed one seen" % len(routes))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
