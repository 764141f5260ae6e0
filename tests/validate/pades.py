#!/usr/bin/env python3
"""pades.py - what other tools do to PDFs, for the ETSI validation tests.

  pades.py mkpdf OUT                      a one-page document
  pades.py range PDF OUT.bin              the bytes the last /ByteRange covers
  pades.py embed PDF CMS.der              a CMS or token into the last empty
                                          /Contents (DER or BER, any length
                                          that fits)
  pades.py ltv IN OUT RANGE.bin [--certs F...] [--crls F...] [--no-ts]
                                          one incremental update adding a DSS
                                          (certificates and CRLs, DER files)
                                          and, unless --no-ts, a document
                                          timestamp placeholder; RANGE.bin is
                                          what its token must cover

pikepdf (Debian's python3-pikepdf, qpdf) reads the objects; the update is
written here, since qpdf writes no incremental updates."""
import re
import sys

import pikepdf


def mkpdf(out):
    content = b"BT /F1 24 Tf 72 700 Td (Contract: Alice and Bob) Tj ET\n"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Producer (hand) >>",
    ]
    buf = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(buf))
        buf += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    x = len(buf)
    buf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offs:
        buf += b"%010d 00000 n \n" % off
    buf += (b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R /ID [<00112233445566778899aabbccddeeff> "
            b"<00112233445566778899aabbccddeeff>] >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x))
    open(out, "wb").write(buf)


def last_range(d):
    m = list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", d))[-1]
    return [int(v) for v in m.groups()]


def range_bytes(pdf, out):
    d = open(pdf, "rb").read()
    a, b, c, n = last_range(d)
    open(out, "wb").write(d[a:a + b] + d[c:c + n])


def embed(pdf, cms):
    d = bytearray(open(pdf, "rb").read())
    t = open(cms, "rb").read().hex().encode()
    m = list(re.finditer(rb"/Contents\s*<(0+)>", d))[-1]
    assert len(t) <= len(m.group(1)), "the CMS does not fit"
    d[m.start(1):m.start(1) + len(t)] = t
    open(pdf, "wb").write(d)


def ltv(src, out, range_path, certs, crls, with_ts):
    d = open(src, "rb").read()
    pdf = pikepdf.Pdf.open(src)
    root = pdf.Root
    rid = root.objgen[0]
    size = int(pdf.trailer.Size)
    prev = int(re.findall(rb"startxref\s+(\d+)", d)[-1])
    nxt = size
    objs = {}

    def streams(files):
        nonlocal nxt
        ids = []
        for f in files:
            data = open(f, "rb").read()
            objs[nxt] = b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
            ids.append(nxt)
            nxt += 1
        return b" ".join(b"%d 0 R" % i for i in ids)

    dss = nxt
    nxt += 1
    objs[dss] = b"<< /Type /DSS /Certs [%s] /CRLs [%s] >>" % (streams(certs), streams(crls))
    cat = root.unparse(resolved=True)
    cat = re.sub(rb"/DSS \d+ 0 R", b"", cat)
    objs[rid] = cat[:cat.rindex(b">>")] + b" /DSS %d 0 R >>" % dss
    if with_ts:
        acro = root.AcroForm
        aid = acro.objgen[0]
        page = root.Pages.Kids[0]
        pid = page.objgen[0]
        sig, field = nxt, nxt + 1
        nxt += 2
        cap = 8192
        objs[sig] = (b"<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161\n"
                     b"/ByteRange [0 0000000000 0000000000 0000000000]\n/Contents <" +
                     b"0" * (2 * cap) + b"> >>")
        objs[field] = (b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (DocTs%d) /V %d 0 R /P %d 0 R "
                       b"/Rect [0 0 0 0] /F 132 >>" % (sig, sig, pid))
        if aid == rid:
            raise SystemExit("the AcroForm must be an object of its own")
        af = acro.unparse(resolved=True)
        objs[aid] = re.sub(rb"(/Fields \[[^\]]*)\]", lambda m: m.group(1) + b" %d 0 R ]" % field,
                           af, count=1)
        pg = re.findall(rb"(?<![0-9])%d 0 obj\s*(.*?)\s*endobj" % pid, d, re.S)[-1]
        if re.search(rb"/Annots\s*\[", pg):
            pg = re.sub(rb"(/Annots\s*\[[^\]]*)\]", lambda m: m.group(1) + b" %d 0 R ]" % field,
                        pg, count=1)
        else:
            pg = pg[:pg.rindex(b">>")] + b" /Annots [%d 0 R] >>" % field
        objs[pid] = pg
    out_b = bytearray(d if d.endswith(b"\n") else d + b"\n")
    offs = {}
    for n in sorted(objs):
        offs[n] = len(out_b)
        out_b += b"%d 0 obj\n" % n + objs[n] + b"\nendobj\n"
    x = len(out_b)
    out_b += b"xref\n"
    for n in sorted(objs):
        out_b += b"%d 1\n%010d 00000 n\r\n" % (n, offs[n])
    out_b += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        nxt, rid, prev, x)
    if with_ts:
        m = list(re.finditer(rb"/Contents <(0+)>", out_b))[-1]
        a = m.start(1) - 1
        b = m.end(1) + 1
        br = b"[0 %010d %010d %010d]" % (a, b, len(out_b) - b)
        i = out_b.rindex(b"/ByteRange [0 0000000000 0000000000 0000000000]")
        out_b[i + 11:i + 11 + len(br)] = br
        open(range_path, "wb").write(bytes(out_b[:a]) + bytes(out_b[b:]))
    open(out, "wb").write(out_b)


def main(argv):
    cmd = argv[1]
    if cmd == "mkpdf":
        mkpdf(argv[2])
    elif cmd == "range":
        range_bytes(argv[2], argv[3])
    elif cmd == "embed":
        embed(argv[2], argv[3])
    elif cmd == "ltv":
        certs, crls, with_ts, cur = [], [], True, None
        for a in argv[5:]:
            if a == "--certs":
                cur = certs
            elif a == "--crls":
                cur = crls
            elif a == "--no-ts":
                with_ts = False
            else:
                cur.append(a)
        ltv(argv[2], argv[3], argv[4], certs, crls, with_ts)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
