# Class 5: signatures the policy refuses are told apart from forged ones;
# a trust store of several anchors. Executed inside gencases.py.

case("sig", "sha1-leaf-refused", "ALG_REFUSED", [R], [C], leaf(md="sha1"))
case("sig", "sha1-intermediate-refused", "ALG_REFUSED", [R],
     [cert(CA_NAME, KEYS[1], ROOT_NAME, KEYS[0], exts=std_exts("ca", KEYS[1], KEYS[0]),
           md="sha1")], leaf())
case("sig", "forged-leaf", "VERIFY_FAILED", [R], [C], leaf(corrupt=True))
OTHER1 = root(name("CN=Other Root 1"), KEYS[2])
OTHER2 = root(name("CN=Other Root 2"), KEYS[4])
case("sig", "trust-store-third-anchor-ok", "ok", [OTHER1, OTHER2, R], [C], leaf())
case("sig", "trust-store-first-anchor-ok", "ok", [R, OTHER1, OTHER2], [C], leaf())
case("sig", "trust-store-without-issuer", "CERT_UNTRUSTED", [OTHER1, OTHER2], [C], leaf())
# an anchor with the right name but another key: not the issuer
case("sig", "trust-store-name-collision", "fail", [root(key=KEYS[2])], [C], leaf())
