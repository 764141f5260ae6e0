"""Requests through the ledger while mohurd reloads twice in quick succession,
again and again: every request must be answered 201/200."""
import http.client, json, os, signal, sys, threading, time
port, tok, pid, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
stop = False
results = []
lock = threading.Lock()
def worker(w):
    n = 0
    c = None
    while not stop:
        n += 1
        body = json.dumps({"kind": "official-certificate", "issuer": "agency", "fields": {
            "holder": "Test Holder", "subject": "Reload", "statement": "reload %d %d" % (w, n),
            "date": "2026-12-01", "number": "RL-%d-%d" % (w, n)}})
        time.sleep(0.01)
        keep = (n % 2 == 0)
        try:
            if c is None or not keep:
                if c: c.close()
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("POST", "/api/v1/documents", body=body, headers={
                "Authorization": "Bearer " + tok, "Content-Type": "application/json",
                **({} if keep else {"Connection": "close"})})
            r = c.getresponse(); data = r.read()
            ok = r.status in (200, 201)
            with lock: results.append((ok, r.status, data[:200]))
            if r.getheader("Connection", "").lower() == "close" or not keep:
                c.close(); c = None
        except Exception as e:
            with lock: results.append((False, 0, repr(e).encode()))
            c = None
ts = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
for t in ts: t.start()
time.sleep(0.5)
for i in range(rounds):
    os.kill(pid, signal.SIGHUP)
    time.sleep(0.005 * (i % 4))
    os.kill(pid, signal.SIGHUP)
    time.sleep(0.6)
stop = True
for t in ts: t.join()
bad = [r for r in results if not r[0]]
print("%d requests during %d double reloads, %d failed" % (len(results), rounds, len(bad)))
for b in bad[:5]: print("  failed:", b[1], b[2])
sys.exit(1 if bad or len(results) < rounds else 0)
