#!/usr/bin/env python3
"""dertool.py - edits a DER CMS SignedData for negative tests.

  dertool.py swapcert IN.der CERT.der OUT.der   replace the first certificate
  dertool.py flipsig IN.der OUT.der             flip a byte of signer 1's signature
  dertool.py rmattr IN.der OIDHEX OUT.der       drop a signed attribute of signer 1
  dertool.py flipcontent IN.der OUT.der         flip a byte of the enveloped content
"""
import sys


def parse(b, i=0, end=None):
    end = len(b) if end is None else end
    out = []
    while i < end:
        tag = b[i]
        l0 = b[i + 1]
        i += 2
        if l0 < 0x80:
            n = l0
        else:
            k = l0 & 0x7F
            n = int.from_bytes(b[i:i + k], "big")
            i += k
        val = b[i:i + n]
        if tag & 0x20:
            out.append([tag, parse(b, i, i + n)])
        else:
            out.append([tag, bytes(val)])
        i += n
    return out


def enc_len(n):
    if n < 0x80:
        return bytes([n])
    s = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(s)]) + s


def encode(nodes):
    out = b""
    for tag, v in nodes:
        body = encode(v) if isinstance(v, list) else v
        out += bytes([tag]) + enc_len(len(body)) + body
    return out


def signed_data(tree):
    return tree[0][1][1][1][0][1]


def signer(tree):
    return signed_data(tree)[-1][1][0][1]


def main():
    cmd = sys.argv[1]
    tree = parse(open(sys.argv[2], "rb").read())
    if cmd == "swapcert":
        cert = parse(open(sys.argv[3], "rb").read())[0]
        sd = signed_data(tree)
        certs = [f for f in sd if f[0] == 0xA0][0]
        certs[1][0] = cert
        out = sys.argv[4]
    elif cmd == "flipsig":
        si = signer(tree)
        sig = [f for f in si if f[0] == 0x04][0]
        sig[1] = sig[1][:10] + bytes([sig[1][10] ^ 1]) + sig[1][11:]
        out = sys.argv[3]
    elif cmd == "rmattr":
        oid = bytes.fromhex(sys.argv[3])
        si = signer(tree)
        attrs = [f for f in si if f[0] == 0xA0][0]
        attrs[1] = [a for a in attrs[1] if a[1][0][1] != oid]
        out = sys.argv[4]
    elif cmd == "flipcontent":
        encap = signed_data(tree)[2]
        octs = encap[1][1][1][0]
        octs[1] = bytes([octs[1][0] ^ 1]) + octs[1][1:]
        out = sys.argv[3]
    else:
        sys.exit("unknown command")
    open(out, "wb").write(encode(tree))


main()
