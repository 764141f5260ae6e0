#!/usr/bin/env bash
# cms_e2e.sh - `mohur cms` and `mohur ts` end to end, with the openssl CLI as
# the independent checker both ways, keys made by openssl (RSA-2048, EC
# P-256) and one signer key on a throwaway SoftHSM2 token.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/certs.sh"
T="python3 $HERE/dertool.py"
cd "$W" || exit 1
mk_certs || fail "making test certificates with openssl"
pass "openssl made a CA, EC P-256, RSA-2048 and TSA certificates"
head -c 100000 /dev/urandom >doc.bin
cp doc.bin doc.changed && printf 'x' >>doc.changed

# ---- mohur signs, openssl verifies ------------------------------------------
for k in ec rsa; do
    for pss in "" --pss; do
        [ $k = ec ] && [ -n "$pss" ] && continue
        for md in sha256 sha384; do
            expect 0 "sign $k $pss $md detached" cms sign --key-file $k.key --cert $k.pem \
                --in doc.bin --out d.p7s --detached $pss --hash $md
            check "openssl accepts detached $k $pss $md" openssl cms -verify -binary -inform DER \
                -in d.p7s -content doc.bin -CAfile ca.pem -out /dev/null
            check_not "openssl refuses it for changed content" openssl cms -verify -binary \
                -inform DER -in d.p7s -content doc.changed -CAfile ca.pem -out /dev/null
            expect 0 "sign $k $pss $md enveloping" cms sign --key-file $k.key --cert $k.pem \
                --in doc.bin --out e.p7s $pss --hash $md
            check "openssl accepts enveloping $k $pss $md" openssl cms -verify -binary \
                -inform DER -in e.p7s -CAfile ca.pem -out e.out
            check "the enveloped content is the file" cmp e.out doc.bin
        done
    done
done
openssl cms -cmsout -print -inform DER -in d.p7s >print.txt
for a in contentType signingTime messageDigest id-smime-aa-signingCertificateV2 rsassaPss; do
    check "openssl cms -print shows $a" grep -q "$a" print.txt
done
expect 0 "sign with --pem" cms sign --key-file ec.key --cert ec.pem --in doc.bin --pem \
    --out p.pem --detached
check "openssl reads the PEM" openssl cms -verify -binary -inform PEM -in p.pem \
    -content doc.bin -CAfile ca.pem -out /dev/null

# ---- openssl signs, mohur verifies ------------------------------------------
for k in ec rsa; do
    for md in sha256 sha384; do
        for pss in "" pss; do
            [ $k = ec ] && [ -n "$pss" ] && continue
            ko=""
            [ -n "$pss" ] && ko="-keyopt rsa_padding_mode:pss"
            openssl cms -sign -binary -md $md -signer $k.pem -inkey $k.key $ko -in doc.bin \
                -outform DER -out o.p7s || fail "openssl cms -sign"
            expect 0 "mohur verifies openssl's detached $k $md $pss" cms verify --in o.p7s \
                --content doc.bin --ca ca.pem
            out_has "signer 1: valid" "one valid signer"
            openssl cms -sign -binary -nodetach -md $md -signer $k.pem -inkey $k.key $ko \
                -in doc.bin -outform DER -out o.p7s || fail "openssl cms -sign -nodetach"
            expect 0 "mohur verifies openssl's enveloping $k $md $pss" cms verify --in o.p7s \
                --ca ca.pem --out o.out
            check "mohur writes the enveloped content" cmp o.out doc.bin
        done
    done
done
# openssl's PEM output (BER-ish streaming is DER here) and base64
openssl cms -sign -binary -md sha256 -signer ec.pem -inkey ec.key -in doc.bin -outform PEM \
    -out o.pem
expect 0 "mohur reads openssl's PEM" cms verify --in o.pem --content doc.bin --ca ca.pem
openssl cms -sign -binary -stream -indef -nodetach -md sha256 -signer ec.pem -inkey ec.key \
    -in doc.bin -outform DER -out ber.p7s
expect 0 "mohur reads openssl's indefinite-length BER" cms verify --in ber.p7s --ca ca.pem

# ---- negative cases: each rejected with a clear reason ----------------------
expect 0 "sign for the negative cases" cms sign --key-file ec.key --cert ec.pem --in doc.bin \
    --out s.p7s
expect 0 "sign detached for the negative cases" cms sign --key-file ec.key --cert ec.pem \
    --in doc.bin --out sd.p7s --detached
expect 1 "tampered detached content is rejected" cms verify --in sd.p7s --content doc.changed
out_has "message-digest differs" "reason: the content was changed"
$T flipcontent s.p7s fc.p7s
expect 1 "tampered enveloped content is rejected" cms verify --in fc.p7s
out_has "message-digest differs" "reason: the content was changed"
$T flipsig s.p7s fs.p7s
expect 1 "a flipped signature byte is rejected" cms verify --in fs.p7s
out_has "signature is not valid" "reason: the signature"
$T rmattr s.p7s 2a864886f70d010904 rm.p7s
expect 1 "a removed message-digest attribute is rejected" cms verify --in rm.p7s
out_has "message-digest attribute is missing" "reason: message-digest missing"
# a certificate with the signer's issuer and serial but another key
serial=$(openssl x509 -in ec.pem -noout -serial | cut -d= -f2)
openssl req -new -key other.key -subj "/C=AZ/O=Mohur Test/CN=Signer ec" -out twin.csr 2>/dev/null
openssl x509 -req -in twin.csr -CA ca.pem -CAkey ca.key -set_serial 0x$serial -days 30 \
    -extfile ext.cnf -extensions ee -outform DER -out twin.der 2>/dev/null
$T swapcert s.p7s twin.der sw.p7s
expect 1 "a swapped certificate is rejected" cms verify --in sw.p7s --ca ca.pem
out_has "signing-certificate-v2" "reason: signing-certificate-v2 names another certificate"
openssl x509 -in other.pem -outform DER -out other.der
$T swapcert s.p7s other.der sw2.p7s
expect 1 "an unrelated certificate in place of the signer's is rejected" cms verify --in sw2.p7s
out_has "certificate is not in the message" "reason: signer certificate not found"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca2.key \
    -out ca2.pem -subj "/CN=Other CA" -days 3 2>/dev/null
expect 1 "a signer outside the trusted CAs is NOT valid" cms verify --in s.p7s --ca ca2.pem
out_has "trusted" "reason: not trusted (no trusted authority issued it)"
expect 1 "a detached signature without its content" cms verify --in sd.p7s
out_has "give the signed content" "reason: content needed"
head -c 300 s.p7s >trunc.p7s
expect 3 "a truncated signature is an input error" cms verify --in trunc.p7s
err_has "malformed\|not valid BER" "reason: malformed"
expect 3 "a file that is not CMS" cms verify --in doc.bin
expect 2 "mohur refuses a key that is not the certificate's" cms sign --key-file other.key \
    --cert ec.pem --in doc.bin --out x.p7s
err_has "does not belong" "reason: key and certificate differ"

# ---- JSON ----
expect 0 "verify --json" cms verify --in s.p7s --ca ca.pem --json
check "JSON parses and says valid" python3 -c "import json,sys; d=json.load(open('$OUT')); \
assert d['valid'] and d['signers'][0]['digest']=='SHA-256' and d['signers'][0]['signing_time']"

# ---- RFC 3161 ----------------------------------------------------------------
expect 0 "ts request" ts request --in doc.bin --out req.tsq
check "openssl reads the request" openssl ts -query -in req.tsq -text
expect 0 "ts respond" ts respond --key-file tsa.key --cert tsa.pem --in req.tsq --out resp.tsr
check "openssl ts -verify accepts mohur's response" openssl ts -verify -in resp.tsr \
    -queryfile req.tsq -CAfile ca.pem -untrusted tsa.pem
check "openssl ts -verify -data accepts it" openssl ts -verify -in resp.tsr -data doc.bin \
    -CAfile ca.pem -untrusted tsa.pem
expect 0 "mohur ts verify its own response" ts verify --in resp.tsr --request req.tsq --ca ca.pem
out_has "timestamp valid" "reports the time"
expect 1 "mohur ts verify refuses other data" ts verify --in resp.tsr --data doc.changed --ca ca.pem
openssl ts -query -data doc.bin -sha256 -cert -out oreq.tsq 2>/dev/null
expect 0 "mohur answers openssl's request" ts respond --key-file tsa.key --cert tsa.pem \
    --in oreq.tsq --out oresp.tsr
check "openssl accepts that answer" openssl ts -verify -in oresp.tsr -queryfile oreq.tsq \
    -CAfile ca.pem -untrusted tsa.pem
openssl ts -query -data doc.bin -sha1 -out sha1.tsq 2>/dev/null
expect 1 "a SHA-1 request is rejected" ts respond --key-file tsa.key --cert tsa.pem \
    --in sha1.tsq --out rej.tsr
check "openssl reads the rejection (badAlg)" sh -c "openssl ts -reply -in rej.tsr -text | grep -q 'Rejected' && openssl ts -reply -in rej.tsr -text | grep -qi 'unrecognized or unsupported algorithm'"
expect 1 "mohur ts verify reports the rejection" ts verify --in rej.tsr --data doc.bin --ca ca.pem
err_has "refused the request.*badAlg" "reason: the TSA refused (badAlg)"
expect 1 "a TSA certificate without timeStamping EKU is refused" ts respond --key-file ec.key \
    --cert ec.pem --in req.tsq --out x.tsr
err_has "timeStamping" "reason: EKU"
# openssl as the TSA
cat >tsa.cnf <<EOC
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = $W
serial = \$dir/tsaserial
crypto_device = builtin
signer_cert = \$dir/tsa.pem
certs = \$dir/ca.pem
signer_key = \$dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500, microsecs:100
clock_precision_digits = 3
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
EOC
echo 01 >tsaserial
openssl ts -reply -config tsa.cnf -queryfile req.tsq -out ossl.tsr 2>/dev/null ||
    fail "openssl ts -reply"
expect 0 "mohur accepts openssl's response (fractional time, accuracy)" ts verify --in ossl.tsr \
    --request req.tsq --ca ca.pem
openssl ts -query -data doc.bin -sha384 -no_nonce -out req2.tsq 2>/dev/null
openssl ts -reply -config tsa.cnf -queryfile req2.tsq -out ossl2.tsr 2>/dev/null
expect 1 "without certReq the token lacks the TSA certificate" ts verify --in ossl2.tsr \
    --request req2.tsq --ca ca.pem
expect 0 "with --certs the TSA certificate is found" ts verify --in ossl2.tsr --request req2.tsq \
    --ca ca.pem --certs tsa.pem
expect 1 "a response for another request is refused" ts verify --in ossl.tsr --request req2.tsq \
    --ca ca.pem --certs tsa.pem
err_has "imprint differs" "reason: imprint"

# ---- CAdES-B-T ---------------------------------------------------------------
expect 0 "CAdES-B-T: sign with a local TSA" cms sign --key-file rsa.key --cert rsa.pem \
    --in doc.bin --out bt.p7s --detached --tsa-key-file tsa.key --tsa-cert tsa.pem
check "openssl accepts the B-T signature" openssl cms -verify -binary -inform DER -in bt.p7s \
    -content doc.bin -CAfile ca.pem -out /dev/null
check "openssl shows the timestamp attribute" sh -c "openssl cms -cmsout -print -inform DER -in bt.p7s | grep -q id-smime-aa-timeStampToken"
expect 0 "mohur verifies B-T and reports the time" cms verify --in bt.p7s --content doc.bin \
    --ca ca.pem
out_has "timestamp 20" "the timestamp time is printed"

# ---- a token key (SoftHSM2) through hsm/ --------------------------------------
init_token Seal
expect 0 "generate an EC key on the token" key generate \
    --token "pkcs11:token=Seal?pin-source=file:$W/user.pin" --type ec-p256 --label signer
expect 0 "export its public key" key export --key "pkcs11:token=Seal;object=signer" --out tok.pub
openssl x509 -new -force_pubkey tok.pub -subj "/C=AZ/CN=Token signer" -CA ca.pem -CAkey ca.key \
    -days 30 -extfile ext.cnf -extensions ee -out tok.pem 2>/dev/null ||
    fail "issuing a certificate for the token key"
KEY="pkcs11:token=Seal;object=signer;type=private?pin-source=file:$W/user.pin"
expect 0 "sign with the token key" cms sign --key "$KEY" --cert tok.pem --in doc.bin \
    --out tk.p7s --detached
check "openssl accepts the token signature" openssl cms -verify -binary -inform DER -in tk.p7s \
    -content doc.bin -CAfile ca.pem -out /dev/null
expect 0 "mohur verifies it" cms verify --in tk.p7s --content doc.bin --ca ca.pem
expect 0 "generate an RSA key on the token" key generate \
    --token "pkcs11:token=Seal?pin-source=file:$W/user.pin" --type rsa-2048 --label rsa
expect 0 "export it" key export --key "pkcs11:token=Seal;object=rsa" --out tokr.pub
openssl x509 -new -force_pubkey tokr.pub -subj "/C=AZ/CN=Token RSA" -CA ca.pem -CAkey ca.key \
    -days 30 -extfile ext.cnf -extensions ee -out tokr.pem 2>/dev/null || fail "cert"
expect 0 "sign RSA-PSS with the token key, timestamped by the token key too" cms sign \
    --key "pkcs11:token=Seal;object=rsa;type=private?pin-source=file:$W/user.pin" \
    --cert tokr.pem --in doc.bin --out tkr.p7s --pss --tsa-key-file tsa.key --tsa-cert tsa.pem
check "openssl accepts the token's RSA-PSS signature" openssl cms -verify -binary -inform DER \
    -in tkr.p7s -CAfile ca.pem -out /dev/null
expect 2 "a token key with another key's certificate is refused" cms sign --key "$KEY" \
    --cert ec.pem --in doc.bin --out x.p7s
echo "cms e2e: $CHECKS checks passed"
