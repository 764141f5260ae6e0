#!/usr/bin/env python3
"""pdfltv.py - what another tool does to a signed PDF for long-term
validation (PAdES B-LT/B-LTA): one incremental update that adds a DSS
dictionary (the certificates) and a document timestamp (an invisible
signature field whose /Contents is an RFC 3161 token over the byte range).
pikepdf (qpdf) reads the document's objects; the update is written here,
since qpdf writes no incremental updates.

  pdfltv.py prepare IN OUT RANGE.bin CERT.der...   the update, placeholder
  pdfltv.py embed OUT TOKEN.der                    the token into it"""
import re
import sys

import pikepdf


def prepare(src, out, range_path, certs):
    d = open(src, "rb").read()
    pdf = pikepdf.Pdf.open(src)
    root = pdf.Root
    acro = root.AcroForm
    # the page object as written (pdf.pages would push inherited keys into it)
    page = root.Pages.Kids[0]
    rid, aid, pid = root.objgen[0], acro.objgen[0], page.objgen[0]
    size = int(pdf.trailer.Size)
    prev = int(re.findall(rb"startxref\s+(\d+)", d)[-1])
    nxt = size
    objs = {}
    cert_ids = []
    for c in certs:
        data = open(c, "rb").read()
        objs[nxt] = b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
        cert_ids.append(nxt)
        nxt += 1
    dss = nxt
    nxt += 1
    objs[dss] = b"<< /Type /DSS /Certs [%s] >>" % b" ".join(b"%d 0 R" % i for i in cert_ids)
    sig, field = nxt, nxt + 1
    nxt += 2
    cap = 8192
    objs[sig] = (b"<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161\n"
                 b"/ByteRange [0 0000000000 0000000000 0000000000]\n/Contents <" + b"0" * (2 * cap) +
                 b"> >>")
    objs[field] = (b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (DocTs1) /V %d 0 R /P %d 0 R "
                   b"/Rect [0 0 0 0] /F 132 >>" % (sig, pid))
    cat = root.unparse(resolved=True)
    objs[rid] = cat[:cat.rindex(b">>")] + b" /DSS %d 0 R >>" % dss
    af = acro.unparse(resolved=True)
    objs[aid] = re.sub(rb"(/Fields \[[^\]]*)\]", lambda m: m.group(1) + b" %d 0 R ]" % field, af,
                       count=1)
    # the page as last written: qpdf pushes inherited keys (/MediaBox) into
    # the page objects it reads, which would be a change of the page
    pg = re.findall(rb"(?<![0-9])%d 0 obj\s*(.*?)\s*endobj" % pid, d, re.S)[-1]
    objs[pid] = re.sub(rb"(/Annots \[[^\]]*)\]", lambda m: m.group(1) + b" %d 0 R ]" % field, pg,
                       count=1)
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
    m = list(re.finditer(rb"/Contents <(0+)>", out_b))[-1]
    a = m.start(1) - 1
    b = m.end(1) + 1
    br = b"[0 %010d %010d %010d]" % (a, b, len(out_b) - b)
    i = out_b.rindex(b"/ByteRange [0 0000000000 0000000000 0000000000]")
    out_b[i + 11:i + 11 + len(br)] = br
    open(out, "wb").write(out_b)
    open(range_path, "wb").write(bytes(out_b[:a]) + bytes(out_b[b:]))


def embed(out, token):
    d = bytearray(open(out, "rb").read())
    t = open(token, "rb").read().hex().encode()
    m = list(re.finditer(rb"/Contents <(0+)>", d))[-1]
    assert len(t) <= len(m.group(1))
    d[m.start(1):m.start(1) + len(t)] = t
    open(out, "wb").write(d)


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    else:
        embed(sys.argv[2], sys.argv[3])
