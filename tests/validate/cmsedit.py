#!/usr/bin/env python3
"""cmsedit.py - CMS SignedData as other signers write it, for the ETSI
validation tests: a small DER reader and writer (no library), so the
tests can make what the openssl CLI will not.

  cmsedit.py ber IN OUT                 the same SignedData in BER: indefinite
                                        lengths on the outer structures and a
                                        long-form length where DER wants a
                                        short one (what some signers write)
  cmsedit.py add-crls IN OUT CRL...     CRLs (DER) into SignedData.crls
  cmsedit.py add-uattr IN OUT KIND      an unsigned attribute on signer 1:
                                        countersignature (a copy of the
                                        signer's own SignerInfo), archive-v3
                                        (a copy of its signature timestamp),
                                        unknown (OID 1.3.6.1.4.1.99999.1)
  cmsedit.py flip-tst IN OUT            one bit of the signature timestamp's
                                        own signature flipped
  cmsedit.py swap-sattrs IN OUT         signer 1's first two signed attributes
                                        swapped (a SET OF out of DER order)

Input is DER (what `ber` writes cannot be read back here)."""
import sys


def tlv(d, i):
    """(tag, header length, content length) of the element at i."""
    tag = d[i]
    n = d[i + 1]
    if n < 0x80:
        return tag, 2, n
    k = n & 0x7f
    return tag, 2 + k, int.from_bytes(d[i + 2:i + 2 + k], "big")


def children(d, start, end):
    out = []
    i = start
    while i < end:
        tag, h, n = tlv(d, i)
        out.append((tag, i, i + h, i + h + n))
        i += h + n
    return out


def enc_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def el(tag, body):
    return bytes([tag]) + enc_len(len(body)) + body


def signed_data(d):
    """(ContentInfo children, SignedData children) as (tag, start, body, end)."""
    _, h, n = tlv(d, 0)
    ci = children(d, h, h + n)
    ctx0 = ci[1]
    sd = children(d, ctx0[2], ctx0[3])[0]
    return ci, children(d, sd[2], sd[3])


def rebuild(d, sd_parts):
    """A ContentInfo around a SignedData made of the given encodings."""
    ci = children(d, tlv(d, 0)[1], len(d))
    oid = d[ci[0][1]:ci[0][3]]
    return el(0x30, oid + el(0xa0, el(0x30, b"".join(sd_parts))))


def to_ber(d, i, depth):
    tag, h, n = tlv(d, i)
    body = d[i + h:i + h + n]
    if tag & 0x20 and depth < 3:
        inner = b"".join(to_ber(d, c[1], depth + 1) for c in children(d, i + h, i + h + n))
        return bytes([tag, 0x80]) + inner + b"\x00\x00"
    if tag == 0x02 and n < 0x80 and depth == 3:
        return bytes([tag, 0x81, n]) + body  # a long form where DER wants the short one
    return d[i:i + h + n]


def signer1(d):
    ci, sd = signed_data(d)
    sis = sd[-1]
    return sd, children(d, sis[2], sis[3])[0]


def add_uattr(d, kind):
    sd, si = signer1(d)
    parts = children(d, si[2], si[3])
    own = d[si[1]:si[3]]
    have = parts[-1][0] == 0xa1
    old = d[parts[-1][2]:parts[-1][3]] if have else b""
    if kind == "countersignature":
        oid, val = bytes.fromhex("06092a864886f70d010906"), own
    elif kind == "archive-v3":
        # the value: a copy of the signature timestamp token
        tok = None
        for a in children(d, parts[-1][2], parts[-1][3]) if have else []:
            vs = children(d, a[2], a[3])
            if d[vs[0][1]:vs[0][3]] == bytes.fromhex("060b2a864886f70d010910020e"):
                tok = d[children(d, vs[1][2], vs[1][3])[0][1]:vs[1][3]]
        assert tok, "no signature timestamp to copy"
        oid, val = bytes.fromhex("0606""04008d450204"), tok  # 0.4.0.1733.2.4
    else:
        oid, val = bytes.fromhex("0609""2b06010401868d1f01"), el(0x05, b"")  # 1.3.6.1.4.1.99999.1
    attr = el(0x30, oid + el(0x31, val))
    keep = b"".join(d[p[1]:p[3]] for p in (parts[:-1] if have else parts))
    new_si = el(0x30, keep + el(0xa1, old + attr))
    others = [d[c[1]:c[3]] for c in children(d, sd[-1][2], sd[-1][3])[1:]]
    new_set = el(0x31, new_si + b"".join(others))
    return rebuild(d, [d[p[1]:p[3]] for p in sd[:-1]] + [new_set])


def add_crls(d, crls):
    _, sd = signed_data(d)
    body = b"".join(open(f, "rb").read() for f in crls)
    parts = []
    for p in sd:
        if p[0] == 0xa1:
            continue
        if p[0] == 0x31 and p is sd[-1]:
            parts.append(el(0xa1, body))
        parts.append(d[p[1]:p[3]])
    return rebuild(d, parts)


def flip_tst(d):
    # the token is the signer's last unsigned attribute here; its own
    # signature is the last OCTET STRING of the whole message
    d = bytearray(d)
    d[-1] ^= 1
    return bytes(d)


def swap_sattrs(d):
    sd, si = signer1(d)
    parts = children(d, si[2], si[3])
    sa = [p for p in parts if p[0] == 0xa0][0]
    attrs = children(d, sa[2], sa[3])
    body = [d[a[1]:a[3]] for a in attrs]
    body[0], body[1] = body[1], body[0]
    new_si = el(0x30, b"".join(el(0xa0, b"".join(body)) if p is sa else d[p[1]:p[3]]
                                for p in parts))
    others = [d[c[1]:c[3]] for c in children(d, sd[-1][2], sd[-1][3])[1:]]
    return rebuild(d, [d[p[1]:p[3]] for p in sd[:-1]] + [el(0x31, new_si + b"".join(others))])


def main(a):
    d = open(a[2], "rb").read()
    if a[1] == "ber":
        out = to_ber(d, 0, 0)
    elif a[1] == "add-crls":
        out = add_crls(d, a[4:])
    elif a[1] == "add-uattr":
        out = add_uattr(d, a[4])
    elif a[1] == "swap-sattrs":
        out = swap_sattrs(d)
    elif a[1] == "flip-tst":
        out = flip_tst(d)
    else:
        raise SystemExit(__doc__)
    open(a[3], "wb").write(out)


if __name__ == "__main__":
    main(sys.argv)
