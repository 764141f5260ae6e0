# certs.sh - test keys and certificates made by the openssl CLI (sourced).
# Makes in $W: ca.{key,pem}; ec.{key,pem} (P-256), rsa.{key,pem} (RSA-2048),
# tsa.{key,pem} (critical EKU timeStamping), other.{key,pem} (another EC
# signer), all issued by the CA.
mk_certs() {
    local d=$W
    cat >"$d/ext.cnf" <<EOC
[ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
[ee]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[tsa]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation
extendedKeyUsage=critical,timeStamping
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EOC
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" \
        -out "$d/ca.pem" -subj "/C=AZ/O=Mohur Test/CN=Mohur Test CA" -days 30 \
        -config /dev/null -extensions ca -extfile "$d/ext.cnf" 2>/dev/null ||
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" \
            -out "$d/ca.pem" -subj "/C=AZ/O=Mohur Test/CN=Mohur Test CA" -days 30 \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
            2>/dev/null || return 1
    local n
    for n in ec rsa tsa other; do
        case $n in
        rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/$n.key" 2>/dev/null ;;
        *) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$n.key" 2>/dev/null ;;
        esac
        local ext=ee
        [ $n = tsa ] && ext=tsa
        openssl req -new -key "$d/$n.key" -subj "/C=AZ/O=Mohur Test/CN=Signer $n" -out "$d/$n.csr" \
            2>/dev/null || return 1
        openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
            -days 30 -extfile "$d/ext.cnf" -extensions $ext -out "$d/$n.pem" 2>/dev/null || return 1
    done
}
