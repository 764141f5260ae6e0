#!/usr/bin/env python3
"""verify_bench.py - `mohur verify` as a whole process, beside its peers in
the same run (issue 15):

  big:   a signed PDF of about 50 MB (one page, a 50 MB uncompressed image)
         verified by `mohur verify` against `sha256sum` of the same warm
         file: alternating runs, wall time, medians; and the verifier's
         anonymous memory at the end of the verification (gdb, if present).
  small: a small signed PDF (a notary act, 180 KB with its embedded font):
         CPU time (user + system) per `mohur verify` process against
         `openssl cms -verify` of the same CMS signature over the same
         signed bytes, with the chain and the CRL, alternating, medians.

  verify_bench.py MOHUR [PEER_MOHUR] [-r RUNS] [-d DIR]

PEER_MOHUR (e.g. a build of main) is measured in the same runs. DIR holds
a throwaway state directory and the documents (default: a new directory
under /var/tmp, removed at the end unless given).
"""
import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd, env, **kw):
    return subprocess.run(cmd, env=env, check=True, **kw)


def make_pdf(path, side):
    """A one-page PDF showing a side x side RGB image, uncompressed."""
    img = bytearray(os.urandom(side * side * 3))
    content = b"q 500 0 0 500 50 150 cm /Im1 Do Q\n"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8 /Length %d >>\nstream\n" % (side, side, len(img))
        + bytes(img) + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, o in enumerate(objs):
        offs.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    with open(path, "wb") as f:
        f.write(out)


def extract_cms(pdf, p7s, content):
    """The first signature's CMS and the bytes it signs, for openssl cms."""
    d = open(pdf, "rb").read()
    m = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", d)
    a, b, c, e = map(int, m.groups())
    open(content, "wb").write(d[a:a + b] + d[c:c + e])
    der = bytes.fromhex(d[a + b:c].strip()[1:-1].decode())
    n = der[1] & 0x7F if der[1] & 0x80 else 0
    total = 2 + n + (int.from_bytes(der[2:2 + n], "big") if n else der[1])
    open(p7s, "wb").write(der[:total])


def cpu_of(cmd, env):
    """User + system CPU seconds of one process."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def wall_of(cmd, env):
    t = time.monotonic()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t


def alternate(cmds, runs, measure, env, inner=1):
    res = {k: [] for k in cmds}
    names = list(cmds)
    for r in range(runs):
        for k in (names if r % 2 == 0 else names[::-1]):
            res[k].append(sum(measure(cmds[k], env) for _ in range(inner)) / inner)
    return {k: statistics.median(v) for k, v in res.items()}


def anon_kb(mohur, pdf, env):
    """RssAnon of `mohur verify` when mh_app_verify_pdf_bytes returns."""
    if not shutil.which("gdb"):
        return None
    script = ("python import gdb; pid=gdb.selected_inferior().pid; "
              "print([l for l in open('/proc/%d/status' % pid) if l.startswith('RssAnon')][0])")
    out = subprocess.run(["gdb", "-q", "-batch", "-ex", "break mh_app_verify_pdf_bytes", "-ex",
                          "run verify %s > /dev/null" % pdf, "-ex", "finish", "-ex", script,
                          mohur], env=env, capture_output=True, text=True).stdout
    m = re.search(r"RssAnon:\s+(\d+) kB", out)
    return int(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mohur")
    ap.add_argument("peer", nargs="?")
    ap.add_argument("-r", "--runs", type=int, default=9)
    ap.add_argument("-d", "--dir")
    a = ap.parse_args()
    d = a.dir or tempfile.mkdtemp(prefix="verify-bench.", dir="/var/tmp")
    os.makedirs(d, exist_ok=True)
    env = dict(os.environ, MOHUR_STATE_DIR=os.path.join(d, "state"))
    try:
        if not os.path.exists(os.path.join(d, "state", "config.json")):
            run([a.mohur, "init"], env, stdout=subprocess.DEVNULL)
        small, big = os.path.join(d, "small.pdf"), os.path.join(d, "big.pdf")
        make_pdf(small, 8)
        make_pdf(big, 4096)
        for i, (src, name) in enumerate(((small, "small"), (big, "big"))):
            fields = os.path.join(d, name + ".json")
            json.dump({"act": "B-%d-%d" % (os.getpid(), i), "title": name, "date": "2024-05-02"},
                      open(fields, "w"))
            run([a.mohur, "sign", src, "--kind", "notary-act", "--issuer", "notary", "--fields",
                 fields, "--out", os.path.join(d, name + ".signed.pdf")], env,
                stdout=subprocess.DEVNULL)
        small_s, big_s = os.path.join(d, "small.signed.pdf"), os.path.join(d, "big.signed.pdf")
        bins = {"mohur": a.mohur}
        if a.peer:
            bins["peer"] = a.peer
        for k, b in bins.items():
            for f in (small_s, big_s):
                out = subprocess.run([b, "verify", f], env=env, capture_output=True, text=True)
                if out.returncode != 0 or not out.stdout.startswith("VALID"):
                    sys.exit("verify_bench: %s does not say VALID of %s" % (k, f))
        with open(os.devnull, "wb") as null:
            subprocess.run(["cat", big_s], stdout=null)  # warm
        print("load average: %.2f %.2f %.2f" % os.getloadavg())

        cmds = {"sha256sum": ["sha256sum", big_s]}
        for k, b in bins.items():
            cmds[k] = [b, "verify", big_s]
        med = alternate(cmds, a.runs, wall_of, env)
        size = os.path.getsize(big_s)
        print("big: %.1f MB signed PDF, wall time, medians of %d alternating runs"
              % (size / 1e6, a.runs))
        for k, v in med.items():
            ratio = "" if k == "sha256sum" else "  %.2fx sha256sum" % (v / med["sha256sum"])
            print("  %-10s %.4f s%s" % (k, v, ratio))
        for k, b in bins.items():
            kb = anon_kb(b, big_s, env)
            if kb is not None:
                print("  %-10s anonymous memory when verified: %d kB" % (k, kb))

        p7s, content = os.path.join(d, "small.p7s"), os.path.join(d, "small.content")
        extract_cms(small_s, p7s, content)
        crl_pem, cafile = os.path.join(d, "root.crl.pem"), os.path.join(d, "ca-crl.pem")
        certs = os.path.join(d, "state", "certs")
        run(["openssl", "crl", "-inform", "DER", "-in", os.path.join(certs, "root.crl"), "-out",
             crl_pem], env)
        with open(cafile, "wb") as f:
            f.write(open(os.path.join(certs, "root.crt"), "rb").read())
            f.write(open(crl_pem, "rb").read())
        cmds = {"openssl": ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", p7s,
                            "-content", content, "-CAfile", cafile, "-purpose", "any",
                            "-crl_check_all", "-out", os.devnull]}
        if subprocess.run(cmds["openssl"], env=env, capture_output=True).returncode != 0:
            sys.exit("verify_bench: openssl cms -verify refuses the signature")
        for k, b in bins.items():
            cmds[k] = [b, "verify", small_s]
        med = alternate(cmds, a.runs, cpu_of, env, inner=10)
        print("small: %d-byte signed PDF, CPU (user + system) per process, medians of %d "
              "alternating rounds of 10" % (os.path.getsize(small_s), a.runs))
        for k, v in med.items():
            print("  %-10s %.2f ms" % ("openssl cms" if k == "openssl" else k, v * 1000))
    finally:
        if not a.dir:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
