#!/usr/bin/env python3
"""gencases.py OUTDIR - makes the RFC 5280 path-validation cases that
x509_cases (the C runner) checks mohur against, generated at test time.

Certificates and CRLs are written as DER by the small encoder below (so a
case can hold what the openssl CLI will not make: an explicit cA FALSE, an
unsorted SET, a BMPString name, a critical AKI...) and signed with keys the
openssl CLI makes and signs with (an independent implementation).

OUTDIR/cases.txt has one case a line:
    class name expect anchors pool target crls revocation
expect is "ok", "fail" (any refusal) or an MH_ERR_* name without the prefix
(the refusal must be that code); lists are comma-separated file names in
OUTDIR, "-" when empty; revocation is none or require. Every case is
validated at 2030-06-01 with purpose "any". Classes: anchor, nc (name
constraints), profile, tolerate (real-world encodings that must pass),
sig (signature policy, trust stores).
"""
import hashlib
import os
import subprocess
import sys

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)

# ---- DER -------------------------------------------------------------------


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + body


def seq(*xs):
    return tlv(0x30, b"".join(xs))


def set_(*xs, sort=True):
    xs = list(xs)
    if sort:
        xs.sort()
    return tlv(0x31, b"".join(xs))


def integer(v):
    if v == 0:
        return tlv(0x02, b"\x00")
    n = (v.bit_length() + 8) // 8
    return tlv(0x02, v.to_bytes(n, "big", signed=True))


def oid(s):
    arcs = [int(a) for a in s.split(".")]
    vals = [arcs[0] * 40 + arcs[1]] + arcs[2:]
    out = b""
    for v in vals:
        enc = [v & 0x7F]
        v >>= 7
        while v:
            enc.append(0x80 | (v & 0x7F))
            v >>= 7
        out += bytes(reversed(enc))
    return tlv(0x06, out)


def boolean(v):
    return tlv(0x01, b"\xff" if v else b"\x00")


def octets(b):
    return tlv(0x04, b)


def bits(b, unused=0):
    return tlv(0x03, bytes([unused]) + b)


def utf8(s):
    return tlv(0x0C, s.encode())


def ia5(s):
    return tlv(0x16, s.encode())


def printable(s):
    return tlv(0x13, s.encode())


def bmp(s):
    return tlv(0x1E, s.encode("utf-16-be"))


def t61(s):
    return tlv(0x14, s.encode("latin-1"))


def ctx(n, body, constructed=True):
    return tlv((0xA0 if constructed else 0x80) | n, body)


def utctime(y, m=1, d=1):
    if y < 2050:
        return tlv(0x17, ("%02d%02d%02d000000Z" % (y % 100, m, d)).encode())
    return tlv(0x18, ("%04d%02d%02d000000Z" % (y, m, d)).encode())


ATTR = {
    "CN": "2.5.4.3", "C": "2.5.4.6", "O": "2.5.4.10", "OU": "2.5.4.11",
    "L": "2.5.4.7", "serialNumber": "2.5.4.5",
    "DC": "0.9.2342.19200300.100.1.25", "E": "1.2.840.113549.1.9.1",
}


def atv(typ, val, enc=None):
    if enc is None:
        enc = printable if typ == "C" else ia5 if typ in ("DC", "E") else utf8
    return seq(oid(ATTR[typ]), enc(val))


def name(*rdns):
    """name("C=AZ", "O=x", ("CN", "y", bmp), [atv(...), atv(...)]):
    RDNs in DER order; a list is a multi-valued RDN (sorted), a bytes value
    a ready-made RDN SET."""
    out = []
    for r in rdns:
        if isinstance(r, bytes):
            out.append(r)
        elif isinstance(r, list):
            out.append(set_(*r))
        elif isinstance(r, tuple):
            out.append(set_(atv(*r)))
        else:
            t, v = r.split("=", 1)
            out.append(set_(atv(t, v)))
    return seq(*out)


# GeneralName
def dns(s):
    return tlv(0x82, s.encode())


def email(s):
    return tlv(0x81, s.encode())


def uri(s):
    return tlv(0x86, s.encode())


def ipaddr(b):
    return tlv(0x87, bytes(b))


def dirname(n):
    return ctx(4, n)


def othername(o, val):
    return ctx(0, oid(o) + ctx(0, val))


def smtputf8(s):
    return othername("1.3.6.1.5.5.7.8.9", utf8(s))


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def ip6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed


def ipnet(s):
    import ipaddress
    n = ipaddress.ip_network(s)
    return n.network_address.packed + n.netmask.packed


# ---- keys and signing ------------------------------------------------------


class Key:
    def __init__(self, label):
        self.path = os.path.join(OUT, "key-%s.pem" % label)
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-out", self.path],
                       check=True, capture_output=True)
        self.spki = subprocess.run(["openssl", "pkey", "-in", self.path, "-pubout",
                                    "-outform", "DER"], check=True,
                                   capture_output=True).stdout
        # SKI method 1: SHA-1 of the subjectPublicKey bits (after the
        # 04-prefixed point of 65 bytes, which ends the SPKI)
        self.ski = hashlib.sha1(self.spki[-65:]).digest()

    def sign(self, tbs, md="sha256"):
        p = subprocess.run(["openssl", "dgst", "-" + md, "-sign", self.path],
                           input=tbs, check=True, capture_output=True)
        return p.stdout


KEYS = [Key(str(i)) for i in range(5)]
ECDSA = {"sha256": "1.2.840.10045.4.3.2", "sha1": "1.2.840.10045.4.1"}

# ---- extensions ------------------------------------------------------------

OID_BC, OID_KU, OID_SKI, OID_AKI = "2.5.29.19", "2.5.29.15", "2.5.29.14", "2.5.29.35"
OID_SAN, OID_NC, OID_POL, OID_MAP = "2.5.29.17", "2.5.29.30", "2.5.29.32", "2.5.29.33"
OID_PC, OID_AIA, OID_CRLDP = "2.5.29.36", "1.3.6.1.5.5.7.1.1", "2.5.29.31"
UNKNOWN = "1.3.6.1.4.1.55555.1"


def ext(o, val, critical=False, explicit_false=False):
    parts = [oid(o)]
    if critical:
        parts.append(boolean(True))
    elif explicit_false:
        parts.append(boolean(False))
    parts.append(octets(val))
    return seq(*parts)


def bc(ca, pathlen=None, explicit_false=False):
    body = b""
    if ca:
        body += boolean(True)
    elif explicit_false:
        body += boolean(False)
    if pathlen is not None:
        body += integer(pathlen)
    return seq(body) if body else seq()


KU_BITS = {"digitalSignature": 0, "nonRepudiation": 1, "keyEncipherment": 2,
           "keyCertSign": 5, "cRLSign": 6}


def ku(*names):
    v = 0
    for n in names:
        v |= 0x80 >> KU_BITS[n] if KU_BITS[n] < 8 else 0
    b = bytes([v])
    unused = 0
    while unused < 7 and not (v >> unused) & 1:
        unused += 1
    return bits(b, unused)


def aki(keyid):
    return seq(ctx(0, keyid, constructed=False))


def san(*gns):
    return seq(*gns)


def subtree(gn, minimum=None, maximum=None):
    body = gn
    if minimum is not None:
        body += tlv(0x80, integer(minimum)[2:])
    if maximum is not None:
        body += tlv(0x81, integer(maximum)[2:])
    return seq(body)


def nc(permitted=(), excluded=(), raw_subtrees=False):
    body = b""
    if permitted:
        body += ctx(0, b"".join(permitted if raw_subtrees else [subtree(g) for g in permitted]))
    if excluded:
        body += ctx(1, b"".join(excluded if raw_subtrees else [subtree(g) for g in excluded]))
    return seq(body)


def policies(*oids):
    return seq(*[seq(oid(o)) for o in oids])


# ---- certificates ----------------------------------------------------------

_serial = [1000]


def cert(subject, key, issuer=None, ikey=None, exts=None, serial=None, version=3,
         md="sha256", nb=2020, na=2040, corrupt=False):
    """A certificate; issuer None means self-signed. exts: list of DER
    Extension elements, or None for no extensions field."""
    if issuer is None:
        issuer, ikey = subject, key
    if serial is None:
        _serial[0] += 1
        serial = _serial[0]
    alg = seq(oid(ECDSA[md]))
    tbs = b""
    if version != 1:
        tbs += ctx(0, integer(version - 1))
    tbs += integer(serial) + alg + issuer + seq(utctime(nb), utctime(na)) + subject
    tbs += key.spki
    if exts is not None:
        tbs += ctx(3, seq(*exts))
    tbs = seq(tbs)
    sig = ikey.sign(tbs, md)
    if corrupt:
        sig = sig[:-1] + bytes([sig[-1] ^ 1])
    return seq(tbs, alg, bits(sig))


def std_exts(kind, key, ikey, **over):
    """The well-formed profile of a root, CA or leaf as an ordered dict;
    over: name=None drops one, name=DER replaces or adds one."""
    e = {}
    if kind in ("root", "ca"):
        e["bc"] = ext(OID_BC, bc(True), critical=True)
        e["ku"] = ext(OID_KU, ku("keyCertSign", "cRLSign"), critical=True)
    else:
        e["bc"] = ext(OID_BC, bc(False), critical=True)
        e["ku"] = ext(OID_KU, ku("digitalSignature"), critical=True)
    e["ski"] = ext(OID_SKI, octets(key.ski))
    if kind != "root":
        e["aki"] = ext(OID_AKI, aki(ikey.ski))
    for k, v in over.items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    return list(e.values())


ROOT_NAME = name("C=AZ", "O=Mohur Test", "CN=Test Root")
CA_NAME = name("C=AZ", "O=Mohur Test", "CN=Test CA")
CA2_NAME = name("C=AZ", "O=Mohur Test", "CN=Test CA 2")
LEAF_NAME = name("C=AZ", "O=Mohur Test", "CN=Leaf")


def root(nm=ROOT_NAME, key=KEYS[0], **over):
    return cert(nm, key, exts=std_exts("root", key, key, **over))


def ca(nm=CA_NAME, key=KEYS[1], issuer=ROOT_NAME, ikey=KEYS[0], **over):
    return cert(nm, key, issuer, ikey, exts=std_exts("ca", key, ikey, **over))


def leaf(nm=LEAF_NAME, key=KEYS[3], issuer=CA_NAME, ikey=KEYS[1], md="sha256", serial=None,
         corrupt=False, **over):
    return cert(nm, key, issuer, ikey, exts=std_exts("leaf", key, ikey, **over), md=md,
                serial=serial, corrupt=corrupt)


# ---- CRLs ------------------------------------------------------------------


def crl(issuer=CA_NAME, ikey=KEYS[1], revoked=(), number=1, number_critical=False, aki_=True):
    alg = seq(oid(ECDSA["sha256"]))
    tbs = integer(1) + alg + issuer + utctime(2030, 1, 1) + utctime(2031, 1, 1)
    if revoked:
        tbs += seq(*[seq(integer(s), utctime(2029, 1, 1)) for s in revoked])
    exts = []
    if aki_:
        exts.append(ext(OID_AKI, aki(ikey.ski)))
    if number is not None:
        exts.append(ext("2.5.29.20", integer(number), critical=number_critical))
    if exts:
        tbs += ctx(0, seq(*exts))
    tbs = seq(tbs)
    return seq(tbs, alg, bits(ikey.sign(tbs)))


def serial_of(c):
    """The serial number of a certificate made by cert()."""
    tbs = c[2 + (c[1] & 0x7F if c[1] & 0x80 else 0):]
    # skip the TBS header, the [0] version, read the INTEGER
    i = 1
    ln = tbs[i]
    i += 1 + (ln & 0x7F if ln & 0x80 else 0)
    if tbs[i] == 0xA0:
        i += 2 + tbs[i + 1]
    assert tbs[i] == 0x02
    n = tbs[i + 1]
    return int.from_bytes(tbs[i + 2:i + 2 + n], "big", signed=True)


# ---- cases -----------------------------------------------------------------

lines = []
_files = {}


def put(data):
    h = hashlib.sha256(data).hexdigest()[:16]
    fn = h + ".der"
    if h not in _files:
        with open(os.path.join(OUT, fn), "wb") as f:
            f.write(data)
        _files[h] = fn
    return fn


def case(cls, nm, expect, anchors, pool, target, crls=(), rev="none"):
    def lst(xs):
        return ",".join(put(x) for x in xs) if xs else "-"
    lines.append("%s %s %s %s %s %s %s %s" % (cls, nm, expect, lst(anchors), lst(pool),
                                              put(target), lst(crls), rev))


R = root()
C = ca()


def chain(cls, nm, expect, target, anchor=None, inter=None, crls=(), rev="none"):
    case(cls, nm, expect, [anchor or R], [inter or C], target, crls, rev)


for path in [os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases")]:
    for fn in sorted(os.listdir(path)):
        if fn.endswith(".py"):
            exec(compile(open(os.path.join(path, fn)).read(), fn, "exec"))

with open(os.path.join(OUT, "cases.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("gencases: %d cases in %s" % (len(lines), OUT))
