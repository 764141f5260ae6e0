# Class 4: real-world encodings that must be accepted (documented quirks in
# docs/x509.md). Executed inside gencases.py.

case("tolerate", "bc-explicit-ca-false", "ok", [R], [C],
     leaf(bc=ext(OID_BC, bc(False, explicit_false=True), critical=True)))
case("tolerate", "extension-explicit-critical-false", "ok", [R], [C],
     leaf(aki=ext(OID_AKI, aki(KEYS[1].ski), explicit_false=True)))
MIN0 = nc([subtree(dns("example.com"), minimum=0)], raw_subtrees=True)
case("tolerate", "nc-explicit-minimum-0", "ok", [R], [ca(nc=ext(OID_NC, MIN0, critical=True))],
     leaf(san=ext(OID_SAN, san(dns("a.example.com")))))
case("tolerate", "nc-explicit-minimum-0-still-checked", "NAME_CONSTRAINTS", [R],
     [ca(nc=ext(OID_NC, MIN0, critical=True))], leaf(san=ext(OID_SAN, san(dns("a.other.com")))))
MIN1 = nc([subtree(dns("example.com"), minimum=1)], raw_subtrees=True)
case("tolerate", "nc-minimum-1-refused", "fail", [R], [ca(nc=ext(OID_NC, MIN1, critical=True))],
     leaf(san=ext(OID_SAN, san(dns("a.example.com")))))
# names: domainComponent without case, other string types normalised
DC_CA = name(("DC", "Example"), ("DC", "COM"), "CN=DC CA")
DC_ISS = name(("DC", "example"), ("DC", "com"), "CN=dc ca")
case("tolerate", "dc-case-insensitive", "ok", [R], [ca(DC_CA)], leaf(issuer=DC_ISS))
case("tolerate", "bmpstring-issuer", "ok", [R], [ca(name("C=AZ", "O=Mohur Test", ("CN", "Test CA", bmp)))],
     leaf())
case("tolerate", "teletex-issuer", "ok", [R], [ca(name("C=AZ", "O=Mohur Test", ("CN", "Test CA", t61)))],
     leaf())
case("tolerate", "bmpstring-cyrillic", "ok", [R],
     [ca(name("C=AZ", ("CN", "Иван CA", bmp)))], leaf(issuer=name("C=AZ", "CN=иван ca")))
case("tolerate", "different-names-still-differ", "fail", [R], [ca(name("C=AZ", ("CN", "Test CB", bmp)))],
     leaf())
# no small caps: real certificates carry many names
MANY = san(*[dns("h%d.example.com" % i) for i in range(150)])
case("tolerate", "150-dns-names", "ok", [R], [C], leaf(san=ext(OID_SAN, MANY)))
case("tolerate", "150-dns-names-under-constraints", "ok", [R],
     [ca(nc=ext(OID_NC, nc([dns("example.com")]), critical=True))], leaf(san=ext(OID_SAN, MANY)))
AIA12 = seq(*[seq(oid("1.3.6.1.5.5.7.48.2"), uri("http://ca%d.example.com/ca.der" % i))
              for i in range(12)])
case("tolerate", "12-aia-entries", "ok", [R], [C], leaf(aia=ext(OID_AIA, AIA12)))
SUB40 = nc([dns("d%d.example.com" % i) for i in range(40)],
           excluded=[dns("x%d.example.org" % i) for i in range(40)])
case("tolerate", "40-subtrees", "ok", [R], [ca(nc=ext(OID_NC, SUB40, critical=True))],
     leaf(san=ext(OID_SAN, san(dns("a.d39.example.com")))))
case("tolerate", "40-subtrees-last-excluded", "NAME_CONSTRAINTS", [R],
     [ca(nc=ext(OID_NC, SUB40, critical=True))],
     leaf(san=ext(OID_SAN, san(dns("a.d3.example.com"), dns("x39.example.org")))))
ATTRS = name("C=AZ", *["OU=unit %d" % i for i in range(40)], "CN=Leaf")
case("tolerate", "40-name-attributes", "ok", [R], [C], leaf(ATTRS))
# certificatePolicies the way qualified CAs write them: qualifiers of any
# kind (CPS URI, userNotice with BMPString text, an unknown qualifier with
# any value), a policy listed twice
QUAL = seq(
    seq(oid("1.3.76.16.6"), seq(
        seq(oid("1.3.6.1.5.5.7.2.1"), ia5("https://ca.example.it/cps")),
        seq(oid("1.3.6.1.5.5.7.2.2"), seq(seq(utf8("Org"), seq(integer(1))), bmp("Testo"))),
        seq(oid("1.3.76.16.99"), integer(7)),
        seq(oid("1.3.76.16.98")))),
    seq(oid("2.16.76.1.2.1.1"), seq(seq(oid("1.3.6.1.5.5.7.2.1"), ia5("http://icp.example.br/dpc")))),
    seq(oid("2.16.76.1.2.1.1")))
case("tolerate", "policies-any-qualifiers", "ok", [R], [C], leaf(pol=ext(OID_POL, QUAL)))
# subjectAltName of Brazilian (ICP-Brasil) and Italian certificates:
# otherNames with any content
BR = san(othername("2.16.76.1.3.1", octets(b"0101199012345678901000000000000000000")),
         othername("2.16.76.1.3.6", printable("000000000000")),
         othername("2.16.76.1.3.5", octets(b"\x00\x01")),
         othername("1.3.6.1.4.1.55555.9", seq(utf8("x"), integer(3))),
         email("pessoa@example.com.br"))
case("tolerate", "othername-sans-any-content", "ok", [R], [C], leaf(san=ext(OID_SAN, BR)))
case("tolerate", "othername-sans-under-email-constraints", "ok", [R],
     [ca(nc=ext(OID_NC, nc([email(".example.com.br"), email("example.com.br")]), critical=True))],
     leaf(san=ext(OID_SAN, BR)))
