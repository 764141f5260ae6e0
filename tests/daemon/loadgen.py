#!/usr/bin/env python3
"""loadgen.py - issuing load on mohurd for the failure tests (loopback only,
bounded in count).

  loadgen.py PORT TOKEN KIND PREFIX FIRST COUNT THREADS OUTDIR [PDF]

Issues documents PREFIX-FIRST .. PREFIX-(FIRST+COUNT-1) of KIND
(official-certificate: rendered from fields; notary-act: the PDF given) on
THREADS connections at once. Every answer goes to OUTDIR/results.tsv as
"number status doc_id log_index resumed sha256-of-the-file"; a document that
came back is written to OUTDIR/<number>.pdf. status 0: the connection broke
(no answer). LOADGEN_DELAY (seconds) paces each thread between requests.
"""
import base64
import hashlib
import http.client
import json
import os
import sys
import threading
import time

port, token, kind, prefix = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
first, count, threads, outdir = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
delay = float(os.environ.get("LOADGEN_DELAY", "0"))
pdf = base64.b64encode(open(sys.argv[9], "rb").read()).decode() if len(sys.argv) > 9 else None
os.makedirs(outdir, exist_ok=True)
lock = threading.Lock()
todo = list(range(first, first + count))
out = open(os.path.join(outdir, "results.tsv"), "a")


def body(n):
    num = "%s-%05d" % (prefix, n)
    if kind == "notary-act":
        return {"kind": kind, "fields": {"act": num, "title": "Act", "date": "2026-12-01"}, "document": pdf}
    return {"kind": kind, "issuer": "agency",
            "fields": {"holder": "Holder %d" % n, "subject": "Residence", "statement": "Lives in Baku.",
                       "date": "2026-12-01", "number": num}}


def worker():
    conn = None
    while True:
        with lock:
            if not todo:
                return
            n = todo.pop(0)
        if delay:
            time.sleep(delay)
        status, doc, idx, resumed, digest = 0, "-", "-", "-", "-"
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("POST", "/api/v1/documents", json.dumps(body(n)),
                         {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            status = r.status
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
            d = json.loads(data)
            if status in (200, 201):
                f = base64.b64decode(d["files"]["pdf"])
                open(os.path.join(outdir, "%d.pdf" % n), "wb").write(f)
                doc, idx, resumed = d["doc_id"], d["log_index"], d["resumed"]
                digest = hashlib.sha256(f).hexdigest()
        except (OSError, http.client.HTTPException, ValueError):
            if conn is not None:
                conn.close()
            conn = None
        with lock:
            out.write("%d\t%d\t%s\t%s\t%s\t%s\n" % (n, status, doc, idx, resumed, digest))
            out.flush()


ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
