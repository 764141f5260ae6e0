# Class 2: name-constraint matching that cannot be bypassed (RFC 5280
# 4.2.1.10, RFC 9598). The constraints sit in the intermediate CA here.
# Executed inside gencases.py.

def nc_case(tag, constraint, target, expect="ok"):
    i = ca(nc=ext(OID_NC, constraint, critical=True))
    case("nc", tag, expect, [R], [i], target)


def S(*gns, nm=LEAF_NAME):
    return leaf(nm, san=ext(OID_SAN, san(*gns)))


NCV = "NAME_CONSTRAINTS"
# wildcards (CVE-2025-61727 class): a wildcard stands for every name it matches
nc_case("wildcard-vs-excluded-host", nc(excluded=[dns("bar.example.com")]),
        S(dns("*.example.com")), NCV)
nc_case("wildcard-vs-excluded-subdomains", nc(excluded=[dns(".example.com")]),
        S(dns("*.example.com")), NCV)
nc_case("wildcard-vs-excluded-deeper", nc(excluded=[dns("a.bar.example.com")]),
        S(dns("*.example.com")))
nc_case("wildcard-vs-excluded-elsewhere-ok", nc(excluded=[dns("bar.example.org")]),
        S(dns("*.example.com")))
nc_case("wildcard-within-permitted-ok", nc([dns("example.com")]), S(dns("*.example.com")))
nc_case("wildcard-wider-than-permitted", nc([dns("bar.example.com")]), S(dns("*.example.com")),
        NCV)
nc_case("wildcard-in-middle", nc([dns("example.com")]), S(dns("f*o.example.com")), "fail")
nc_case("wildcard-not-leftmost", nc([dns("example.com")]), S(dns("a.*.example.com")), "fail")
# malformed host names under constraints
nc_case("dns-leading-dot", nc([dns("example.com")]), S(dns(".example.com")), "fail")
nc_case("dns-double-dot", nc([dns("example.com")]), S(dns("a..example.com")), "fail")
nc_case("dns-empty", nc([dns("example.com")]), S(dns("")), "fail")
nc_case("dns-underscore", nc([dns("example.com")]), S(dns("a_b.example.com")), "fail")
nc_case("dns-space", nc([dns("example.com")]), S(dns("a b.example.com")), "fail")
nc_case("dns-case-ok", nc([dns("example.com")]), S(dns("WWW.Example.COM")))
nc_case("dns-suffix-not-label", nc([dns("example.com")]), S(dns("badexample.com")), NCV)
nc_case("dns-subdomain-ok", nc([dns("example.com")]), S(dns("a.b.example.com")))
nc_case("dns-constraint-malformed", nc([dns("exa..mple.com")]), S(dns("a.example.com")), "fail")
nc_case("dns-constraint-subdomains-only", nc([dns(".example.com")]), S(dns("example.com")), NCV)
# e-mail: the domain follows the LAST @; quoted local parts parsed properly
nc_case("email-quoted-at-excluded", nc(excluded=[email("example.com")]),
        S(email('"a@b"@example.com')), NCV)
nc_case("email-quoted-at-permitted-b", nc([email("b")]), S(email('"a@b"@example.com')), NCV)
nc_case("email-quoted-at-permitted-ok", nc([email("example.com")]),
        S(email('"a@b"@example.com')))
nc_case("email-two-at-unquoted", nc([email("example.com")]), S(email("a@b@example.com")), "fail")
nc_case("email-space-unquoted", nc([email("example.com")]), S(email("a b@example.com")), "fail")
nc_case("email-no-at", nc([email("example.com")]), S(email("example.com")), "fail")
nc_case("email-host-exact", nc([email("example.com")]), S(email("a@x.example.com")), NCV)
nc_case("email-subdomains-ok", nc([email(".example.com")]), S(email("a@x.example.com")))
nc_case("email-mailbox-ok", nc([email("a@example.com")]), S(email("a@EXAMPLE.com")))
nc_case("email-mailbox-other", nc([email("a@example.com")]), S(email("b@example.com")), NCV)
nc_case("email-subject-attr-excluded", nc(excluded=[email("example.com")]),
        leaf(name("C=AZ", "CN=Leaf", "E=a@example.com")), NCV)
# SmtpUTF8Mailbox (RFC 9598) obeys rfc822Name constraints
nc_case("smtputf8-excluded", nc(excluded=[email("example.com")]),
        S(smtputf8("ünsal@example.com")), NCV)
nc_case("smtputf8-permitted-other", nc([email("example.az")]),
        S(smtputf8("ünsal@example.com")), NCV)
nc_case("smtputf8-permitted-ok", nc([email("example.com")]), S(smtputf8("ünsal@example.com")))
nc_case("smtputf8-idn-permitted-ok", nc([email("xn--bcher-kva.example")]),
        S(smtputf8("ünsal@bücher.example")))
nc_case("smtputf8-idn-excluded", nc(excluded=[email("xn--bcher-kva.example")]),
        S(smtputf8("ünsal@bücher.example")), NCV)
# IP addresses: IPv4-mapped IPv6 is the IPv4 address
nc_case("ipv4-mapped-excluded", nc(excluded=[ipaddr(ipnet("10.0.0.0/8"))]),
        S(ipaddr(ip6("::ffff:10.0.0.5"))), NCV)
nc_case("ipv4-vs-mapped-excluded", nc(excluded=[ipaddr(ipnet("::ffff:10.0.0.0/104"))]),
        S(ipaddr(ip4("10.0.0.5"))), NCV)
nc_case("ipv4-mapped-permitted-v4-only", nc([ipaddr(ipnet("10.0.0.0/8"))]),
        S(ipaddr(ip6("::ffff:10.0.0.5"))), NCV)
nc_case("ipv4-permitted-ok", nc([ipaddr(ipnet("10.0.0.0/8"))]), S(ipaddr(ip4("10.9.9.9"))))
nc_case("ipv6-permitted-ok", nc([ipaddr(ipnet("2001:db8::/32"))]), S(ipaddr(ip6("2001:db8::5"))))
nc_case("ip-mask-not-contiguous", nc([ipaddr(ip4("10.0.0.0") + ip4("255.0.255.0"))]),
        S(ipaddr(ip4("10.1.0.1"))), "fail")
nc_case("ip-constraint-bad-length", nc([ipaddr(ip4("10.0.0.0"))]), S(ipaddr(ip4("10.1.0.1"))),
        "fail")
nc_case("ip-san-bad-length", nc([ipaddr(ipnet("10.0.0.0/8"))]), S(ipaddr(b"\x0a\x00\x00\x01\x00")),
        "fail")
# no SAN: a subject CN that looks like a host name is checked as one
nc_case("cn-host-outside", nc([dns("example.com")]), leaf(name("C=AZ", "CN=www.other.com")), NCV)
nc_case("cn-host-excluded", nc(excluded=[dns("example.com")]),
        leaf(name("C=AZ", "CN=www.example.com")), NCV)
nc_case("cn-host-inside-ok", nc([dns("example.com")]), leaf(name("C=AZ", "CN=www.example.com")))
nc_case("cn-not-a-host-ok", nc([dns("example.com")]), leaf(name("C=AZ", "CN=Aysel Hasanova")))
nc_case("cn-ipv4-outside", nc([ipaddr(ipnet("10.0.0.0/8"))]), leaf(name("C=AZ", "CN=192.168.0.1")),
        NCV)
nc_case("cn-ipv4-inside-ok", nc([ipaddr(ipnet("10.0.0.0/8"))]), leaf(name("C=AZ", "CN=10.0.0.1")))
nc_case("cn-ignored-with-dns-san-ok", nc([dns("example.com")]),
        S(dns("www.example.com"), nm=name("C=AZ", "CN=www.other.com")))
# URIs: the host of the authority; an IP literal or no authority fails
nc_case("uri-ip-literal-excluded", nc(excluded=[uri(".example.com")]),
        S(uri("https://[2001:db8::1]/x")), "fail")
nc_case("uri-ipv4-host-excluded", nc(excluded=[uri(".example.com")]),
        S(uri("https://10.0.0.1/x")), "fail")
nc_case("uri-no-authority", nc([uri("example.com")]), S(uri("urn:example:com")), "fail")
nc_case("uri-host-ok", nc([uri(".example.com")]), S(uri("https://user@a.example.com:8443/x?y#z")))
nc_case("uri-host-outside", nc([uri(".example.com")]), S(uri("https://a.example.org/")), NCV)
nc_case("uri-excluded-host", nc(excluded=[uri("bad.example.com")]),
        S(uri("http://BAD.example.com/")), NCV)
# directory names: RFC 5280 7.1 comparison, and a Name must be DER
nc_case("dn-permitted-case-ok", nc([dirname(name("C=AZ", ("O", "MOHUR TEST", printable)))]),
        leaf(name("C=AZ", "O=Mohur Test", "CN=Leaf")))
nc_case("dn-excluded", nc(excluded=[dirname(name("C=AZ", "O=Evil"))]),
        leaf(name("C=AZ", "O=Evil", "CN=Leaf")), NCV)
MV = [atv("CN", "Leaf"), atv("serialNumber", "123")]
case("nc", "multi-valued-rdn-sorted-ok", "ok", [R], [C],
     leaf(name("C=AZ", "O=Mohur Test", MV)))
UNSORTED = tlv(0x31, b"".join(sorted(MV, reverse=True)))
case("nc", "multi-valued-rdn-unsorted", "fail", [R], [C],
     leaf(name("C=AZ", "O=Mohur Test", UNSORTED)))
# pathological: names times subtrees is bounded (work cap of 2^20)
BIG_NC = nc([dns("d%d.example.com" % i) for i in range(700)],
            excluded=[dns("x%d.example.org" % i) for i in range(700)])
nc_case("work-cap-exceeded", BIG_NC, S(*[dns("h%d.d1.example.com" % i) for i in range(1000)]),
        NCV)
nc_case("work-below-cap-ok", nc([dns("d%d.example.com" % i) for i in range(300)]),
        S(*[dns("h%d.d1.example.com" % i) for i in range(1000)]))
