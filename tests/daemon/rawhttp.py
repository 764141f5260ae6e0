#!/usr/bin/env python3
"""rawhttp.py - requests curl cannot make, for mohurd's tests (loopback only).

  big PORT PATH LENGTH [TOKEN]   headers announcing LENGTH bytes, no body: the
                                 answer must come at once (413), before a byte
  slowloris PORT N TIMEOUT       N clients that never finish their headers:
                                 each is closed within TIMEOUT+3 s, and a normal
                                 request is answered meanwhile
  slowbody PORT TIMEOUT          a body that stops half-way: closed likewise
  perip PORT LIMIT               LIMIT idle connections, then one more: refused
  bigheader PORT                 a 40 KB header: 431
Exit 0 when the server behaved, 1 (with a sentence) otherwise.
"""
import socket
import sys
import time


def conn(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def status_of(s, timeout=10):
    s.settimeout(timeout)
    data = b""
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    return int(line.split()[1]) if line.startswith("HTTP/") else 0


def normal_request(port):
    s = conn(port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    code = status_of(s)
    s.close()
    return code


def closed_within(s, secs):
    """True when the server closes s within secs."""
    s.settimeout(secs)
    t0 = time.time()
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return True, time.time() - t0
    except socket.timeout:
        return False, time.time() - t0
    except ConnectionResetError:
        return True, time.time() - t0


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "big":
        path, length = sys.argv[3], int(sys.argv[4])
        tok = sys.argv[5] if len(sys.argv) > 5 else ""
        s = conn(port)
        hdr = "POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % (path, length)
        if tok:
            hdr += "Authorization: Bearer %s\r\n" % tok
        t0 = time.time()
        s.sendall((hdr + "\r\n").encode())
        code = status_of(s, 5)
        dt = time.time() - t0
        print("status %d after %.3f s with 0 body bytes sent" % (code, dt))
        return 0 if code == 413 and dt < 3 else 1
    if cmd == "slowloris":
        n, timeout = int(sys.argv[3]), float(sys.argv[4])
        socks = []
        for i in range(n):
            s = conn(port)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")
            socks.append(s)
        time.sleep(0.5)
        code = normal_request(port)
        if code != 200:
            print("a normal request got %d while %d slow clients hung" % (code, n))
            return 1
        worst = 0.0
        for s in socks:
            s.sendall(b"a")  # one byte now and then does not reset a header deadline forever
        for s in socks:
            ok, dt = closed_within(s, timeout + 6)
            worst = max(worst, dt)
            if not ok:
                print("a slow client was still connected after %.1f s" % dt)
                return 1
        print("%d slow clients closed, the last after %.1f s; a normal request got 200" % (n, worst))
        return 0
    if cmd == "slowbody":
        timeout = float(sys.argv[3])
        s = conn(port)
        s.sendall(b"POST /api/v1/verify HTTP/1.1\r\nHost: t\r\nContent-Type: application/pdf\r\nContent-Length: 1000\r\n\r\n%PDF-1.4\n")
        ok, dt = closed_within(s, timeout + 6)
        print("slow body: %s after %.1f s" % ("closed" if ok else "still open", dt))
        return 0 if ok else 1
    if cmd == "perip":
        limit = int(sys.argv[3])
        socks = [conn(port) for _ in range(limit)]
        time.sleep(0.3)
        extra = conn(port)
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        try:
            code = status_of(extra, 3)
        except (socket.timeout, ConnectionResetError):
            code = 0
        for s in socks:
            s.close()
        print("connection %d got %s" % (limit + 1, code or "closed"))
        return 0 if code in (0, 503) else 1
    if cmd == "bigheader":
        s = conn(port)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
        code = status_of(s)
        print("status %d" % code)
        return 0 if code == 431 else 1
    print("unknown command", cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main())
