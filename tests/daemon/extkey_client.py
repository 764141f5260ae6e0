"""A client of mohurd's first signature with a key outside the appliance:
POST /api/v1/documents with the certificate -> 202 with a digest -> the
signature (made here with a software key through openssl, or deliberately
wrong) -> POST /api/v1/documents/signature. Prints one JSON line: the
statuses and bodies, for the test to judge.

usage: extkey_client.py PORT TOKEN REQUEST.json CERT.pem MODE [KEY.pem] [TOKEN2]
MODE: good | garbage | otherkey | otherdigest | late:SECONDS | stranger | twice
"""
import base64, hashlib, http.client, json, os, subprocess, sys, tempfile, time

port, tok, reqf, certf, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
key = sys.argv[6] if len(sys.argv) > 6 else None
tok2 = sys.argv[7] if len(sys.argv) > 7 else None

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

req = json.load(open(reqf))
req["certificate"] = open(certf).read()
out = {}
st, body = post("/api/v1/documents", req, tok)
out["first"] = {"status": st, "body": body}
if st != 202:
    print(json.dumps(out)); sys.exit(0)
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
if mode == "twice":
    st3, body3 = post("/api/v1/documents/signature", {"session": sess, "signature": base64.b64encode(sig).decode()}, tok)
    out["again"] = {"status": st3, "body": body3}
print(json.dumps(out))
