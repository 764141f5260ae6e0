#!/usr/bin/env python3
"""fake_mohurd.py - a mohurd that lies, on the appliance's local socket, for
extkey.sh: it answers `mohur sign --key`'s first request with a 202 asking
the notary's key to sign, shaped by MODE, and logs every request to LOG.

  honest        the digest of signed attributes over the document sent with
                an update appended (what mohurd shows): the key must sign
  blind         the digest alone, nothing shown (as before the fix)
  other-digest  the attributes of the document, the digest of others
  other-doc     attributes and digest of another document
  short         the content starts with only part of the document sent
  range         a byte range that leaves part of the document unsigned
  gap           a placeholder that hides more than hex digits
  backdated     a signing time a year ago
  second        honest, then a second 202 after the signature came back
  appended      (a file that is no PDF) bytes appended to a detached signature's file
  made-altered  honest, then sends back the PDF with a byte of the document changed
  made-unsigned honest, then sends back the PDF without the signature put in
  made-other    honest, then sends back a .p7s that is not the one made

A file that is no PDF gets a detached signature's 202 (no byte range).

Usage: fake_mohurd.py SOCKET MODE LOG
"""
import base64
import hashlib
import json
import os
import socket
import sys
import time


def der(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + body


OID_CT = bytes.fromhex("2a864886f70d010903")
OID_MD = bytes.fromhex("2a864886f70d010904")
OID_ST = bytes.fromhex("2a864886f70d010905")
OID_DATA = bytes.fromhex("2a864886f70d010701")


def attr(oid, value):
    return der(0x30, der(0x06, oid) + der(0x31, value))


def sattrs(md, when=None):
    a = [attr(OID_CT, der(0x06, OID_DATA)), attr(OID_MD, der(0x04, md))]
    if when is not None:
        a.append(attr(OID_ST, der(0x17, time.strftime("%y%m%d%H%M%SZ", time.gmtime(when)).encode())))
    return der(0x31, b"".join(sorted(a)))  # DER: a SET OF in order


def update(doc, hide=b""):
    """mohurd's incremental update: a signature dictionary with a placeholder."""
    head = b"\n% mohur update\n1 0 obj << /Type /Sig /Contents "
    hole = b"<" + hide + b"0" * 8192 + b">"
    tail = b" >>\nendobj\n%%EOF\n"
    appended = head + hole + tail
    b = len(doc) + len(head)
    c = b + len(hole)
    return appended, [0, b, c, len(doc) + len(appended) - c]


def need(mode, doc):
    """The 202 for MODE: (sign object)."""
    n = len(doc)
    now = time.time()
    if not doc.startswith(b"%PDF-"):
        return need_cades(mode, doc, now)
    appended, rng = update(doc, b"> /Annots [9 0 R] <" if mode == "gap" else b"")
    prepared = doc + appended
    if mode == "short":
        n -= 10
        appended = doc[n:] + appended
    if mode == "range":
        # the signed bytes skip from offset 10 to the placeholder's end:
        # most of the document sent would not be signed
        rng = [0, 10, rng[2], rng[3]]
    content = prepared if mode != "other-doc" else b"%PDF-1.7 another act\n" + appended
    md = hashlib.sha256(content[rng[0]:rng[0] + rng[1]] + content[rng[2]:rng[2] + rng[3]]).digest()
    sa = sattrs(md, now - 366 * 86400 if mode == "backdated" else None)
    digest = hashlib.sha256(sa).digest()
    if mode == "other-digest":
        digest = hashlib.sha256(sattrs(hashlib.sha256(b"other").digest())).digest()
    sign = {"digest": base64.b64encode(digest).decode(), "digest_algorithm": "sha256",
            "signature_algorithm": "ecdsa", "format": "raw"}
    if mode != "blind":
        sign["signed_attributes"] = base64.b64encode(sa).decode()
        sign["content"] = {"document_length": n,
                           "appended": base64.b64encode(appended).decode(),
                           "byte_range": rng}
    return sign


def need_cades(mode, doc, now):
    """A detached signature of a file that is no PDF: the file itself."""
    content = doc if mode != "other-doc" else doc + b" and more"
    sa = sattrs(hashlib.sha256(content).digest(), now - 366 * 86400 if mode == "backdated" else now)
    sign = {"digest": base64.b64encode(hashlib.sha256(sa).digest()).decode(),
            "digest_algorithm": "sha256", "signature_algorithm": "ecdsa", "format": "raw",
            "signed_attributes": base64.b64encode(sa).decode(),
            "content": {"document_length": len(doc)}}
    if mode == "appended":
        sign["content"]["appended"] = base64.b64encode(b"more").decode()
    if mode == "range":  # signed as if it were a PDF
        sign["content"]["appended"] = base64.b64encode(b"<00>").decode()
        sign["content"]["byte_range"] = [0, len(doc), len(doc) + 4, 0]
    return sign


def der_int(v):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return der(0x02, b)


def der_read(b, i=0):
    """(tag, content start, content end, element end) of the element at i."""
    tag, n = b[i], b[i + 1]
    j = i + 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[j:j + k], "big")
        j += k
    return tag, j, j + n, j + n


def issuer_serial(cert):
    """IssuerAndSerialNumber of a DER certificate."""
    _, tbs0, _, _ = der_read(cert)          # Certificate SEQUENCE
    _, i, _, _ = der_read(cert, tbs0)       # TBSCertificate SEQUENCE
    if cert[i] == 0xA0:                     # [0] version
        i = der_read(cert, i)[3]
    serial_end = der_read(cert, i)[3]
    serial = cert[i:serial_end]
    alg_end = der_read(cert, serial_end)[3]
    issuer_end = der_read(cert, alg_end)[3]
    return der(0x30, cert[alg_end:issuer_end] + serial)


SHA256 = der(0x30, der(0x06, bytes.fromhex("608648016503040201")))
ECDSA_SHA256 = der(0x30, der(0x06, bytes.fromhex("2a8648ce3d040302")))
OID_SIGNED_DATA = bytes.fromhex("2a864886f70d010702")


def cms(sa, raw_sig, cert):
    """A CMS SignedData (detached) with the signed attributes shown and the
    key's signature (ECDSA r || s, put in DER)."""
    h = len(raw_sig) // 2
    sig = der(0x30, der_int(int.from_bytes(raw_sig[:h], "big")) +
              der_int(int.from_bytes(raw_sig[h:], "big")))
    _, a, b, _ = der_read(sa)
    si = der(0x30, der_int(1) + issuer_serial(cert) + SHA256 + der(0xA0, sa[a:b]) +
             ECDSA_SHA256 + der(0x04, sig))
    sd = der(0x30, der_int(1) + der(0x31, SHA256) + der(0x30, der(0x06, OID_DATA)) +
             der(0xA0, cert) + der(0x31, si))
    return der(0x30, der(0x06, OID_SIGNED_DATA) + der(0xA0, sd))


def made(mode, doc, sign, raw_sig, cert):
    """The document sent back: the CMS in the placeholder (a PDF) or alone."""
    sa = base64.b64decode(sign["signed_attributes"])
    c = cms(sa, raw_sig, cert)
    content = sign["content"]
    if "byte_range" not in content:
        return {"p7s": c[:-1] + b"\x00" if mode == "made-other" else c}
    out = bytearray(doc + base64.b64decode(content["appended"]))
    _, b, c0, _ = content["byte_range"]
    hexs = c.hex().encode()
    if mode != "made-unsigned":
        out[b + 1:b + 1 + len(hexs)] = hexs
    if mode == "made-altered":
        out[len(doc) // 2] ^= 0x01
    return {"pdf": bytes(out)}


def answer(conn, status, obj):
    body = json.dumps(obj).encode()
    reason = {200: "OK", 201: "Created", 202: "Accepted", 400: "Bad Request"}[status]
    conn.sendall(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                 b"Connection: close\r\n\r\n" % (status, reason.encode(), len(body)) + body)


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        k = conn.recv(65536)
        if not k:
            return None, None
        data += k
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for h in lines[1:]:
        if h.lower().startswith("content-length:"):
            length = int(h.split(":", 1)[1])
    while len(body) < length:
        k = conn.recv(1 << 20)
        if not k:
            break
        body += k
    return lines[0], body


def main():
    path, mode, log = sys.argv[1:4]
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    doc = None
    rounds = 0
    while True:
        conn, _ = srv.accept()
        with conn:
            line, body = read_request(conn)
            if line is None:
                continue  # a probe: is mohurd running?
            with open(log, "a") as f:
                f.write(line.split(" ")[1] + "\n")
            req = json.loads(body or b"{}")
            if line.startswith("POST /api/v1/documents "):
                doc = base64.b64decode(req["document"])
                cert = base64.b64decode(req["certificate"])
                shown = need(mode, doc)
                answer(conn, 202, {"session": "ab" * 16, "sign": shown, "expires_in": 60})
            elif line.startswith("POST /api/v1/documents/signature ") and doc is not None:
                rounds += 1
                if mode == "second" and rounds == 1:
                    answer(conn, 202, {"session": "ab" * 16, "sign": need("honest", doc),
                                       "expires_in": 60})
                else:
                    files = made(mode, doc, shown, base64.b64decode(req["signature"]), cert)
                    if "p7s" in files:
                        files.update({"qr_png": b"png", "qr_svg": b"svg", "receipt": b"url"})
                    files = {k: base64.b64encode(v).decode() for k, v in files.items()}
                    answer(conn, 201, {"doc_id": "notary/notary-act/fake", "log_index": 1,
                                       "url": "https://fake.invalid/V/x", "qr_version": 5,
                                       "resumed": False, "cosigned": False, "files": files})
            else:
                answer(conn, 400, {"error": {"status": 400, "message": "not here"}})


if __name__ == "__main__":
    main()
