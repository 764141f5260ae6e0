"""A client of mohurd's first signature with a key outside the appliance:
POST /api/v1/documents with the certificate -> 202 with a digest -> the
signature (made here with a software key through openssl, or deliberately
wrong) -> POST /api/v1/documents/signature. Prints one JSON line: the
statuses and bodies, for the test to judge.

Before it signs, it checks what the 202 asks it to sign, independently of
mohur: the prepared content (the document sent, cut at document_length,
then the appended bytes), its /ByteRange, the message-digest inside the
signed attributes (the SHA-256 of the byte ranges for a PDF, the
document's hash for a detached CAdES signature) and the digest (the hash
of the signed attributes); anything else exits 3 without signing. It also
checks that forged 202s (another digest, altered attributes or appended
bytes, another byte range or length) are refused by that check (exit 4
otherwise).

usage: extkey_client.py PORT TOKEN REQUEST.json CERT.pem MODE [KEY.pem] [TOKEN2]
MODE: good | garbage | otherkey | otherdigest | late:SECONDS | stranger | twice
"""
import base64, hashlib, http.client, json, os, re, subprocess, sys, tempfile, time

port, tok, reqf, certf, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
key = sys.argv[6] if len(sys.argv) > 6 else None
tok2 = sys.argv[7] if len(sys.argv) > 7 else None

def get_public(path, headers):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def receipt_seen(appended, out, key):
    """A PDF's update shows the stamp, so the receipt's URL (/ContactInfo)
    leaves before the signature: what does the public route say of it?"""
    m = re.search(rb"/ContactInfo \(HTTPS://([^/)]+)(/V/[A-Z2-7]+)\)", appended)
    if not m:
        return
    host, path = m.group(1).decode(), m.group(2).decode()
    st, data = get_public(path, {"Accept": "application/json", "Host": host})
    v = json.loads(data) if st == 200 else {}
    st2, page = get_public(path, {"Accept-Language": "en", "Host": host})
    doc_id = (v.get("ledger") or {}).get("doc_id")
    ledger_status = (v.get("ledger") or {}).get("status")
    route = None
    if doc_id:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("GET", "/api/v1/documents/" + doc_id, headers={"Authorization": "Bearer " + tok})
        rr = c.getresponse()
        route = json.loads(rr.read()).get("status")
        c.close()
    out[key] = {"status": st, "verdict": v.get("verdict"), "sentence": v.get("summary", ""),
                "ledger_status": ledger_status, "status_route": route,
                "page_pending": b'class="verdict v-pending"' in page, "page_status": st2}


def post(path, body, token):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("POST", path, body=json.dumps(body), headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    if os.environ.get("OBSERVED"):  # for the OpenAPI check
        with open(os.environ["OBSERVED"], "a") as f:
            f.write("POST %s %d\n" % (path, r.status))
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, {"raw": data.decode(errors="replace")}

def der_to_raw(der, n=32):
    assert der[0] == 0x30
    i = 2 if der[1] < 0x80 else 3
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        l = der[i + 1]
        v = der[i + 2:i + 2 + l].lstrip(b"\0")
        out += v.rjust(n, b"\0")
        i += 2 + l
    return out

def ecdsa_sign(keyfile, digest):
    """ECDSA: r || s (what a PKCS#11 token returns); RSA: PKCS#1 v1.5 over
    the DigestInfo of the digest."""
    rsa = b"Modulus:" in subprocess.check_output(["openssl", "pkey", "-in", keyfile, "-noout", "-text_pub"])
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(digest)
    try:
        extra = ["-pkeyopt", "digest:sha256"] if rsa else []
        sig = subprocess.check_output(["openssl", "pkeyutl", "-sign", "-inkey", keyfile, "-in", f.name] + extra)
    finally:
        os.unlink(f.name)
    return sig if rsa else der_to_raw(sig)

# ---- an independent check of what the 202 asks to sign -------------------------
# The client recomputes the digest from the document it sent and what the
# 202 says was added to it; it signs only when everything matches.
OID_MESSAGE_DIGEST = bytes.fromhex("2a864886f70d010904")  # 1.2.840.113549.1.9.4
HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}

def der(b, i, end):
    """One DER TLV at b[i:end]: (tag, value start, value end), definite lengths only."""
    assert i + 2 <= end, "truncated DER"
    tag, l = b[i], b[i + 1]
    i += 2
    if l & 0x80:
        n = l & 0x7F
        assert 1 <= n <= 3 and i + n <= end, "bad DER length"
        l = int.from_bytes(b[i:i + n], "big")
        assert l >= 0x80 and (n == 1 or b[i] != 0), "DER length not minimal"
        i += n
    assert i + l <= end, "DER value past its end"
    return tag, i, i + l

def message_digest(sattrs):
    """The message-digest value of a DER SET OF Attribute (exactly one)."""
    tag, i, end = der(sattrs, 0, len(sattrs))
    assert tag == 0x31 and end == len(sattrs), "signed attributes are not one DER SET"
    found = []
    while i < end:
        tag, v, e = der(sattrs, i, end)
        assert tag == 0x30, "an attribute is not a SEQUENCE"
        t, ov, oe = der(sattrs, v, e)
        assert t == 0x06, "an attribute without its OID"
        t, sv, se = der(sattrs, oe, e)
        assert t == 0x31 and se == e, "an attribute without its SET of values"
        if sattrs[ov:oe] == OID_MESSAGE_DIGEST:
            t, dv, de = der(sattrs, sv, se)
            assert t == 0x04 and de == se, "message-digest is not one OCTET STRING"
            found.append(sattrs[dv:de])
        i = e
    assert len(found) == 1, "%d message-digest attributes" % len(found)
    return found[0]

def check_tbs(sign, document):
    """Raises AssertionError unless sign (the 202's) is what recomputing
    from document gives. Returns 'pdf' or 'cades'."""
    h = HASHES[sign["digest_algorithm"]]
    sattrs = base64.b64decode(sign["signed_attributes"], validate=True)
    assert h(sattrs).digest() == base64.b64decode(sign["digest"], validate=True), \
        "digest is not the hash of signed_attributes"
    md = message_digest(sattrs)
    content = sign["content"]
    n = content["document_length"]
    assert isinstance(n, int) and (n == len(document) or (n == 0 and not document)), \
        "document_length %r is not the document's %d bytes" % (n, len(document))
    if "byte_range" not in content:  # CAdES, detached: the document itself
        assert "appended" not in content, "appended bytes for a detached signature"
        assert md == h(document).digest(), "message-digest is not the document's hash"
        return "cades"
    prepared = document[:n] + base64.b64decode(content["appended"], validate=True)
    br = content["byte_range"]
    assert len(br) == 4 and all(isinstance(x, int) and x >= 0 for x in br), "byte_range %r" % br
    a, b, c, d = br
    assert a == 0 and a + b < c and c + d == len(prepared), "byte_range %r for %d bytes" % (br, len(prepared))
    assert b >= n, "the signature's gap lies inside the document sent"
    gap = prepared[a + b:c]
    assert gap[:1] == b"<" and gap[-1:] == b">" and set(gap[1:-1]) <= {ord("0")}, \
        "the gap is not an empty /Contents"
    # the prepared PDF names this very byte range
    m = list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", prepared))
    assert m and list(map(int, m[-1].groups())) == br, "the PDF's own /ByteRange is another"
    assert md == hashlib.sha256(prepared[a:a + b] + prepared[c:c + d]).digest(), \
        "message-digest is not the SHA-256 of the byte ranges"
    return "pdf"

def check_or_refuse(sign, document):
    try:
        return check_tbs(sign, document)
    except (AssertionError, KeyError, TypeError, ValueError) as e:
        print("the 202 does not show what is signed: %s" % e, file=sys.stderr)
        sys.exit(3)

def forgeries(sign):
    """What a lying mohurd could send instead: each must be refused."""
    def flip(b64s, at):
        raw = bytearray(base64.b64decode(b64s))
        raw[at % len(raw)] ^= 1
        return base64.b64encode(bytes(raw)).decode()
    def other_digest(s):
        s["digest"] = base64.b64encode(hashlib.new(s["digest_algorithm"], b"another").digest()).decode()
    def other_sattrs(s):
        s["signed_attributes"] = flip(s["signed_attributes"], -5)
    def consistent_other_md(s):  # another message-digest, the digest made to match
        raw = bytearray(base64.b64decode(s["signed_attributes"]))
        i = raw.find(OID_MESSAGE_DIGEST)
        raw[i + len(OID_MESSAGE_DIGEST) + 6] ^= 1
        s["signed_attributes"] = base64.b64encode(bytes(raw)).decode()
        s["digest"] = base64.b64encode(hashlib.new(s["digest_algorithm"], bytes(raw)).digest()).decode()
    def other_appended(s):
        s["content"]["appended"] = flip(s["content"]["appended"], 7)
    def other_range(s):
        s["content"]["byte_range"][3] -= 1
    def other_length(s):
        s["content"]["document_length"] -= 1
    out = [other_digest, other_sattrs, consistent_other_md, other_length]
    if "byte_range" in sign["content"]:
        out += [other_appended, other_range]
    return out

req = json.load(open(reqf))
req["certificate"] = open(certf).read()
document = base64.b64decode(req["document"]) if req.get("document") else b""
out = {}
st, body = post("/api/v1/documents", req, tok)
out["first"] = {"status": st, "body": body}
if st != 202:
    print(json.dumps(out)); sys.exit(0)
out["checked"] = check_or_refuse(body["sign"], document)
for forge in forgeries(body["sign"]):
    s = json.loads(json.dumps(body["sign"]))
    forge(s)
    try:
        check_tbs(s, document)
    except (AssertionError, KeyError, TypeError, ValueError):
        continue
    print("the checker took a forged 202 (%s)" % forge.__name__, file=sys.stderr)
    sys.exit(4)
# the receipt's URL is in the stamp shown: while the signature is awaited
# the public route must not call the document valid
appended = base64.b64decode(body["sign"]["content"].get("appended", ""))
receipt_seen(appended, out, "while_pending")
# what the test judges: the 202 without its (large, base64) content
if "appended" in body["sign"]["content"]:
    body["sign"]["content"]["appended"] = "(%d bytes)" % len(base64.b64decode(body["sign"]["content"]["appended"]))
sess = body["session"]
digest = base64.b64decode(body["sign"]["digest"])
if mode == "good" or mode.startswith("late:") or mode in ("stranger", "twice"):
    sig = ecdsa_sign(key, digest)
elif mode == "garbage":
    sig = os.urandom(64)
elif mode == "otherkey":
    sig = ecdsa_sign(key, digest)  # key is another key than the certificate's
elif mode == "otherdigest":
    sig = ecdsa_sign(key, hashlib.sha256(b"something else").digest())
if mode.startswith("late:"):
    time.sleep(float(mode[5:]))
if mode == "stranger":
    st2, body2 = post("/api/v1/documents/signature", {"session": sess, "signature": base64.b64encode(sig).decode()}, tok2)
    out["stranger"] = {"status": st2, "body": body2}
st, body = post("/api/v1/documents/signature", {"session": sess, "signature": base64.b64encode(sig).decode()}, tok)
if "files" in body:
    pdf = body["files"].get("pdf")
    if pdf:
        open(reqf + ".signed.pdf", "wb").write(base64.b64decode(pdf))
    body["files"] = sorted(body["files"].keys())
out["second"] = {"status": st, "body": body}
receipt_seen(appended, out, "after")
if mode == "twice":
    st3, body3 = post("/api/v1/documents/signature", {"session": sess, "signature": base64.b64encode(sig).decode()}, tok)
    out["again"] = {"status": st3, "body": body3}
print(json.dumps(out))
