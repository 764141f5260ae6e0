# Class 3: certificate and CRL profile rules (RFC 5280 4.1, 4.2, 5.2) that
# path validation enforces, as OpenSSL's -x509_strict does. Executed inside
# gencases.py.

case("profile", "well-formed-ok", "ok", [R], [C], leaf())
case("profile", "leaf-without-aki", "fail", [R], [C], leaf(aki=None))
case("profile", "intermediate-without-aki", "fail", [R], [ca(aki=None)], leaf())
case("profile", "intermediate-without-ski", "fail", [R], [ca(ski=None)], leaf())
case("profile", "leaf-without-ski-ok", "ok", [R], [C], leaf(ski=None))
case("profile", "aki-critical", "fail", [R], [C],
     leaf(aki=ext(OID_AKI, aki(KEYS[1].ski), critical=True)))
case("profile", "ski-critical", "fail", [R], [ca(ski=ext(OID_SKI, octets(KEYS[1].ski), critical=True))],
     leaf())
PC = seq(ctx(0, b"\x05", constructed=False))
case("profile", "policy-constraints-not-critical", "fail", [R], [ca(pc=ext(OID_PC, PC))], leaf())
case("profile", "policy-constraints-critical-ok", "ok", [R],
     [ca(pc=ext(OID_PC, PC, critical=True))], leaf())
AIA = seq(seq(oid("1.3.6.1.5.5.7.48.2"), uri("http://ca.example.com/ca.der")))
case("profile", "aia-critical", "fail", [R], [C], leaf(aia=ext(OID_AIA, AIA, critical=True)))
case("profile", "aia-ok", "ok", [R], [C], leaf(aia=ext(OID_AIA, AIA)))
case("profile", "empty-subject-san-not-critical", "fail", [R], [C],
     leaf(seq(), san=ext(OID_SAN, san(dns("a.example.com")))))
case("profile", "empty-subject-san-critical-ok", "ok", [R], [C],
     leaf(seq(), san=ext(OID_SAN, san(dns("a.example.com")), critical=True)))
case("profile", "empty-subject-no-san", "fail", [R], [C], leaf(seq()))
case("profile", "ee-with-name-constraints", "fail", [R], [C],
     leaf(nc=ext(OID_NC, nc([dns("example.com")]), critical=True)))
case("profile", "ee-with-keycertsign", "fail", [R], [C],
     leaf(ku=ext(OID_KU, ku("digitalSignature", "keyCertSign"), critical=True)))
case("profile", "ee-with-path-length", "fail", [R], [C],
     leaf(bc=ext(OID_BC, seq(integer(0)), critical=True)))
case("profile", "ca-without-key-usage", "fail", [R], [ca(ku=None)], leaf())
case("profile", "ca-basic-constraints-not-critical", "fail", [R], [ca(bc=ext(OID_BC, bc(True)))],
     leaf())
case("profile", "serial-zero", "fail", [R], [C], leaf(serial=0))
case("profile", "serial-negative", "fail", [R], [C], leaf(serial=-5))
case("profile", "serial-20-octets-ok", "ok", [R], [C], leaf(serial=(1 << 158) + 12345))
case("profile", "ip-as-dns-name", "fail", [R], [C],
     leaf(san=ext(OID_SAN, san(dns("192.168.1.1")))))
case("profile", "ipv6-as-dns-name", "fail", [R], [C], leaf(san=ext(OID_SAN, san(dns("2001:db8::1")))))
case("profile", "dns-name-ok", "ok", [R], [C], leaf(san=ext(OID_SAN, san(dns("1.example.com")))))
# policy mappings: anyPolicy may be neither side, in any certificate of the path
POL = ext(OID_POL, policies("2.5.29.32.0"))
MAP_TO_ANY = ext(OID_MAP, seq(seq(oid("1.2.3.4"), oid("2.5.29.32.0"))), critical=True)
MAP_FROM_ANY = ext(OID_MAP, seq(seq(oid("2.5.29.32.0"), oid("1.2.3.4"))), critical=True)
CA2 = ca(CA2_NAME, KEYS[2], CA_NAME, KEYS[1], pol=POL, map=MAP_TO_ANY)
case("profile", "mapping-to-any-target-ca", "fail", [R], [ca(pol=POL)], CA2)
case("profile", "mapping-from-any-target-ca", "fail", [R], [ca(pol=POL)],
     ca(CA2_NAME, KEYS[2], CA_NAME, KEYS[1], pol=POL, map=MAP_FROM_ANY))
case("profile", "mapping-to-any-intermediate", "fail", [R], [ca(pol=POL, map=MAP_TO_ANY)], leaf())
case("profile", "mapping-ok", "ok", [R], [ca(pol=POL)],
     ca(CA2_NAME, KEYS[2], CA_NAME, KEYS[1], pol=POL,
        map=ext(OID_MAP, seq(seq(oid("1.2.3.4"), oid("1.2.3.5"))), critical=True)))
# CRLs: cRLNumber present and not critical (RFC 5280 5.2.3)
RCRL = crl(ROOT_NAME, KEYS[0])
LF = leaf()
case("profile", "crl-ok", "ok", [R], [C], LF, [RCRL, crl()], "require")
case("profile", "crl-revoked", "CERT_REVOKED", [R], [C], LF, [RCRL, crl(revoked=[serial_of(LF)])],
     "require")
case("profile", "crl-without-number", "fail", [R], [C], LF, [RCRL, crl(number=None)], "require")
case("profile", "crl-number-critical", "fail", [R], [C], LF, [RCRL, crl(number_critical=True)],
     "require")
case("profile", "crl-without-number-revoked", "fail", [R], [C], LF,
     [RCRL, crl(number=None, revoked=[serial_of(LF)])], "require")
