#!/usr/bin/env bash
# mkcerts.sh DIR - makes a small PKI with the openssl CLI (an independent
# implementation) for the x509 tests: EC P-256 throughout, dates given
# explicitly so tests can validate at fixed times.
#
#   root.pem      CN=Möhür Test Root (self-signed CA, 2019-01-01 .. 2039-01-01)
#   ca.pem        CN=Good CA (issued by root, pathlen 0, policy 1.2.3.4,
#                 2019-01-01 .. 2034-01-01)
#   nc-ca.pem     CN=NC CA (issued by root, name constraints: DNS .example.az,
#                 email .example.az, directory C=AZ,O=Notariat)
#   notary.pem    CN=Aysel Həsənova, O=Notariat, C=AZ (issued by ca;
#                 nonRepudiation+digitalSignature, documentSigning, policy 1.2.3.4)
#   ivan.pem      CN=Иван Петров (issued by ca; revoked, keyCompromise)
#   tsa.pem       timeStamping EKU, critical; tsa-noncrit.pem: not critical
#   expired.pem   valid 2020-01-01 .. 2021-01-01; future.pem: from 2040-01-01
#   nc-ok.pem     under nc-ca, SAN DNS:docs.example.az, subject C=AZ,O=Notariat
#   nc-bad.pem    under nc-ca, SAN DNS:evil.example.com
#   ca.crl        CRL of ca (ivan revoked), from now for 4000 days (with a
#                 cRLNumber, as RFC 5280 5.2.3 requires)
#   root.crl      CRL of root (nothing revoked)
#   chain.pem     ca.pem + root.pem
# End entities are valid 2024-01-01 .. 2034-01-01 unless said otherwise.
set -euo pipefail
D=$1
mkdir -p "$D"
cd "$D"
export LC_ALL=C.UTF-8

cat >ext.cnf <<'EOC'
[root]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ca]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
certificatePolicies = 1.2.3.4
crlDistributionPoints = URI:http://crl.example.az/root.crl
[ncca]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
nameConstraints = critical,permitted;DNS:.example.az,permitted;email:.example.az,permitted;dirName:nc_dir
[nc_dir]
C = AZ
O = Notariat
[notary]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = 1.3.6.1.5.5.7.3.36
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
certificatePolicies = 1.2.3.4
subjectAltName = email:aysel@notariat.example.az
crlDistributionPoints = URI:http://crl.example.az/ca.crl
authorityInfoAccess = caIssuers;URI:http://crl.example.az/ca.der
[tsa]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
authorityKeyIdentifier = keyid
certificatePolicies = 1.2.3.4
[tsanc]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = timeStamping
authorityKeyIdentifier = keyid
certificatePolicies = 1.2.3.4
[ncok]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,nonRepudiation
subjectAltName = DNS:docs.example.az
[ncbad]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,nonRepudiation
subjectAltName = DNS:evil.example.com
EOC

mkca() { # name
    mkdir -p "db-$1"
    : >"db-$1/index.txt"
    echo 1000 >"db-$1/serial"
    echo 01 >"db-$1/crlnumber"
    cat >"db-$1/ca.cnf" <<EOC
[ca]
default_ca = this
[this]
database = $PWD/db-$1/index.txt
serial = $PWD/db-$1/serial
crlnumber = $PWD/db-$1/crlnumber
new_certs_dir = $PWD/db-$1
certificate = $PWD/$1.pem
private_key = $PWD/$1.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
default_crl_days = 30
utf8 = yes
string_mask = utf8only
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid
[any]
commonName = supplied
organizationName = optional
countryName = optional
EOC
}

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }

# sign ISSUER NAME SUBJECT EXTSECTION START END
sign() {
    key "$2"
    openssl req -new -key "$2.key" -subj "$3" -utf8 -out "$2.csr" 2>/dev/null
    openssl ca -batch -config "db-$1/ca.cnf" -in "$2.csr" -out "$2.pem" -notext \
        -extfile ext.cnf -extensions "$4" -startdate "$5" -enddate "$6" -utf8 -preserveDN \
        -subj "$3" >/dev/null 2>&1
}

key root
mkca root
openssl req -new -key root.key -subj "/C=AZ/O=Möhür/CN=Möhür Test Root" -utf8 -out root.csr \
    2>/dev/null
openssl ca -batch -selfsign -config db-root/ca.cnf -keyfile root.key -in root.csr -out root.pem \
    -notext -extfile ext.cnf -extensions root -startdate 20190101000000Z \
    -enddate 20390101000000Z -utf8 -preserveDN >/dev/null 2>&1
sign root ca "/CN=Good CA/O=Möhür/C=AZ" ca 20190101000000Z 20340101000000Z
sign root nc-ca "/CN=NC CA/O=Möhür/C=AZ" ncca 20190101000000Z 20340101000000Z
mkca ca
mkca nc-ca
sign ca notary "/C=AZ/O=Notariat/CN=Aysel Həsənova" notary 20240101000000Z 20340101000000Z
sign ca ivan "/C=AZ/O=Notariat/CN=Иван Петров" notary 20240101000000Z 20340101000000Z
sign ca tsa "/C=AZ/O=Möhür/CN=Möhür TSA" tsa 20240101000000Z 20340101000000Z
sign ca tsa-noncrit "/C=AZ/O=Möhür/CN=Loose TSA" tsanc 20240101000000Z 20340101000000Z
sign ca expired "/C=AZ/O=Notariat/CN=Old Notary" notary 20200101000000Z 20210101000000Z
sign ca future "/C=AZ/O=Notariat/CN=Future Notary" notary 20400101000000Z 20410101000000Z
sign nc-ca nc-ok "/C=AZ/O=Notariat/CN=Constrained OK" ncok 20240101000000Z 20340101000000Z
sign nc-ca nc-bad "/C=AZ/O=Notariat/CN=Constrained Bad" ncbad 20240101000000Z 20340101000000Z

openssl ca -batch -config db-ca/ca.cnf -revoke ivan.pem -crl_reason keyCompromise >/dev/null 2>&1
openssl ca -batch -config db-ca/ca.cnf -gencrl -crldays 4000 -out ca.crl >/dev/null 2>&1
openssl ca -batch -config db-root/ca.cnf -gencrl -crldays 4000 -out root.crl >/dev/null 2>&1
cat ca.pem root.pem >chain.pem
for f in root ca nc-ca notary ivan tsa tsa-noncrit expired future nc-ok nc-bad; do
    [ -s "$f.pem" ] || { echo "mkcerts: $f.pem was not made" >&2; exit 1; }
done
[ -s ca.crl ] && [ -s root.crl ] || { echo "mkcerts: CRLs were not made" >&2; exit 1; }
