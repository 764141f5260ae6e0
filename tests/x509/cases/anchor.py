# Class 1: the trust anchor's own constraints and extensions (RFC 5280
# 6.1.1 (d), RFC 5937). Executed inside gencases.py.

def anchor_nc(tag, constraint, target, inter=None, expect="ok"):
    """A root with nameConstraints `constraint`, the usual CA, `target`."""
    r = root(nc=ext(OID_NC, constraint, critical=True))
    case("anchor", tag, expect, [r], [inter or C], target)


def L(*gns, nm=LEAF_NAME):
    return leaf(nm, san=ext(OID_SAN, san(*gns)))


anchor_nc("nc-dns-permitted-ok", nc([dns("example.com")]), L(dns("www.example.com")))
anchor_nc("nc-dns-permitted-bad", nc([dns("example.com")]), L(dns("www.other.com")),
          expect="NAME_CONSTRAINTS")
anchor_nc("nc-dns-excluded-bad", nc(excluded=[dns("bad.example.com")]),
          L(dns("x.bad.example.com")), expect="NAME_CONSTRAINTS")
anchor_nc("nc-dns-excluded-ok", nc(excluded=[dns("bad.example.com")]),
          L(dns("good.example.com")))
anchor_nc("nc-ip4-permitted-ok", nc([ipaddr(ipnet("10.0.0.0/8"))]), L(ipaddr(ip4("10.1.2.3"))))
anchor_nc("nc-ip4-permitted-bad", nc([ipaddr(ipnet("10.0.0.0/8"))]),
          L(ipaddr(ip4("192.168.1.1"))), expect="NAME_CONSTRAINTS")
anchor_nc("nc-ip6-excluded-bad", nc(excluded=[ipaddr(ipnet("2001:db8::/32"))]),
          L(ipaddr(ip6("2001:db8::1"))), expect="NAME_CONSTRAINTS")
anchor_nc("nc-ip6-excluded-ok", nc(excluded=[ipaddr(ipnet("2001:db8::/32"))]),
          L(ipaddr(ip6("2001:db9::1"))))
anchor_nc("nc-dn-permitted-ok", nc([dirname(name("C=AZ", "O=Mohur Test"))]), L(dns("a.example.com")))
anchor_nc("nc-dn-permitted-bad", nc([dirname(name("C=AZ", "O=Mohur Test"))]),
          leaf(name("C=AZ", "O=Evil", "CN=Leaf")), expect="NAME_CONSTRAINTS")
anchor_nc("nc-dn-excluded-bad", nc(excluded=[dirname(name("C=AZ", "O=Evil"))]),
          leaf(name("C=AZ", "O=Evil", "CN=Leaf")), expect="NAME_CONSTRAINTS")
anchor_nc("nc-email-excluded-bad", nc(excluded=[email("example.com")]),
          L(email("a@example.com")), expect="NAME_CONSTRAINTS")
anchor_nc("nc-email-permitted-ok", nc([email("example.com")]), L(email("a@example.com")))
anchor_nc("nc-uri-permitted-ok", nc([uri(".example.com")]), L(uri("https://a.example.com/x")))
anchor_nc("nc-uri-permitted-bad", nc([uri(".example.com")]), L(uri("https://a.other.com/x")),
          expect="NAME_CONSTRAINTS")
# an intermediate's own SAN is within the anchor's reach too
anchor_nc("nc-intermediate-san-bad", nc([dns("example.com")]), L(dns("www.example.com")),
          inter=ca(san=ext(OID_SAN, san(dns("ca.other.com")))), expect="NAME_CONSTRAINTS")
anchor_nc("nc-intermediate-san-ok", nc([dns("example.com")]), L(dns("www.example.com")),
          inter=ca(san=ext(OID_SAN, san(dns("ca.example.com")))))
# ... and the intermediate's subject under a directoryName constraint
anchor_nc("nc-intermediate-dn-bad", nc([dirname(name("C=AZ", "O=Mohur Test"))]),
          leaf(name("C=AZ", "O=Other", "CN=Leaf"), issuer=name("C=AZ", "O=Other", "CN=CA")),
          inter=ca(name("C=AZ", "O=Other", "CN=CA")), expect="NAME_CONSTRAINTS")

# the anchor's own extensions
case("anchor", "unknown-critical-ext", "fail",
     [root(x=ext(UNKNOWN, octets(b"x"), critical=True))], [C], leaf())
case("anchor", "unknown-noncritical-ext-ok", "ok", [root(x=ext(UNKNOWN, octets(b"x")))], [C], leaf())
case("anchor", "no-basic-constraints", "fail", [root(bc=None)], [C], leaf())
case("anchor", "basic-constraints-not-critical", "fail",
     [root(bc=ext(OID_BC, bc(True)))], [C], leaf())
case("anchor", "basic-constraints-ca-false", "fail",
     [root(bc=ext(OID_BC, bc(False), critical=True))], [C], leaf())
EMPTY = seq()
case("anchor", "empty-subject", "fail", [root(EMPTY)], [ca(issuer=EMPTY)], leaf())
case("anchor", "aki-critical", "fail", [root(aki=ext(OID_AKI, aki(KEYS[0].ski), critical=True))],
     [C], leaf())
case("anchor", "ski-critical", "fail", [root(ski=ext(OID_SKI, octets(KEYS[0].ski), critical=True))],
     [C], leaf())
case("anchor", "key-usage-no-certsign", "fail", [root(ku=ext(OID_KU, ku("cRLSign"), critical=True))],
     [C], leaf())
case("anchor", "v1-anchor", "fail", [cert(ROOT_NAME, KEYS[0], version=1)], [C], leaf())
case("anchor", "path-length-0", "PATH_LEN", [root(bc=ext(OID_BC, bc(True, 0), critical=True))],
     [C], leaf())
case("anchor", "path-length-1-ok", "ok", [root(bc=ext(OID_BC, bc(True, 1), critical=True))],
     [C], leaf())
case("anchor", "well-formed-ok", "ok", [R], [C], leaf())
# the anchor given is the target itself: trusted as it is
case("anchor", "target-is-anchor-ok", "ok", [R], [], R)
