#!/bin/bash
# token_key.sh - `mohur token ...` and `mohur key ...` end to end, through
# the real binary and a throwaway SoftHSM2 store. Every signature mohur makes
# is checked with an independent tool (OpenSSL, and pkcs11-tool where it can).

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || { echo "SKIP: openssl not installed" >&2; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed" >&2; exit 77; }

TYPES="ec-p256 ec-p384 rsa-2048 rsa-3072 ed25519"
PINF="$W/user.pin"
TOK="pkcs11:token=CliTest"
TOKP="$TOK?pin-source=file:$PINF"
key() { echo "pkcs11:token=CliTest;object=k-$1"; }
keyp() { echo "pkcs11:token=CliTest;object=k-$1?pin-source=file:$PINF"; }

# ---- help and usage ------------------------------------------------------

expect 0 "mohur --help" --help
out_has "Exit status" "top help documents the exit codes"
out_has "MOHUR_STATE_DIR" "top help documents the state directory"
expect 0 "mohur help" help
expect 0 "mohur --version" --version
out_has "^mohur [0-9]" "version printed"
expect 2 "mohur without a command" 
expect 2 "unknown group" frobnicate
expect 2 "unknown command" key frobnicate
for g in token key; do
    expect 0 "mohur $g --help" $g --help
done
for c in "token list" "token init" "key generate" "key list" "key export" \
    "key import-cert" "key sign" "key verify"; do
    # shellcheck disable=SC2086 # "$c" is two words on purpose
    expect 0 "mohur $c --help" $c --help
    out_has "^Usage: mohur $c" "$c help has usage"
    out_has "Example" "$c help has an example"
    # shellcheck disable=SC2086
    expect 0 "mohur help $c" help $c
done
expect 2 "bad option" key sign --frobnicate
err_has "unknown option" "bad option named"
expect 2 "abbreviated option refused" key list --tok "$TOK"
expect 2 "missing option value" key sign --key
expect 2 "stray argument" key list --token "$TOK" extra
expect 2 "--pin on the command line" key sign --pin 97531 --key "$(key ec-p256)" --in /dev/null
err_has "never taken on the command line" "--pin refused with advice"
err_lacks 97531 "--pin value not echoed"

# ---- tokens ---------------------------------------------------------------

expect 0 "token list on an empty store" token list
out_has "not initialised" "empty store shows the free slot"

expect 5 "token init without PIN files and no terminal" token init --label NoTty
init_token CliTest
out_has "^pkcs11:token=CliTest;serial=[0-9a-f]" "token init prints the URI"
SERIAL=$(sed -n 's/.*serial=\([0-9a-f]*\).*/\1/p' "$OUT")
expect 3 "token init refuses a label in use" token init --label CliTest \
    --so-pin-file "$W/so.pin" --pin-file "$PINF"
err_has "already" "duplicate token label explained"

# A label that needs JSON escaping and URI percent-encoding.
init_token 'Q"uo\te'
out_has '^pkcs11:token=Q%22uo%5Cte;serial=' "odd label percent-encoded in the URI"

expect 0 "token list" token list
out_has "token: *CliTest" "token list shows the token"
out_has "serial: *$SERIAL" "token list shows the serial"
out_has "login required" "token list shows flags"
out_has "user PIN: *ok" "token list shows the PIN state"
out_has "URI: *pkcs11:token=CliTest;serial=$SERIAL" "token list shows the URI"

expect 0 "token list --json" token list --json
check "token list --json is valid JSON" python3 -m json.tool "$OUT"
check "token list --json content" python3 - "$OUT" "$SERIAL" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
by = {s.get("label"): s for s in d["slots"] if s.get("token_present")}
t = by["CliTest"]
assert t["serial"] == sys.argv[2], t
assert t["initialized"] is True and t["login_required"] is True, t
assert t["pin_state"] == "ok", t
assert t["uri"] == "pkcs11:token=CliTest;serial=" + sys.argv[2], t
assert 'Q"uo\\te' in by, by.keys()
assert any(not s.get("initialized", True) for s in d["slots"]), "no free slot listed"
EOF

# Modules: by path, by p11-kit name, and one outside the allowed directories.
expect 0 "token list --module PATH" token list --module "$SOFTHSM_MODULE"
out_has "URI: *pkcs11:token=CliTest;serial=$SERIAL?module-path=$SOFTHSM_MODULE" \
    "with --module the URIs name the module"
MODURI=$(sed -n 's/^ *URI: *\(pkcs11:token=CliTest;.*\)$/\1/p' "$OUT")
expect 0 "a URI with module-path works" key list --token "$MODURI"
if [ -e /usr/share/p11-kit/modules/softhsm2.module ]; then
    expect 0 "token list --module softhsm2 (p11-kit name)" token list --module softhsm2
    out_has "token: *CliTest" "the p11-kit module name finds the same store"
fi
cp "$SOFTHSM_MODULE" "$W/copied-module.so"
expect 4 "a module outside the allowed directories" token list --module "$W/copied-module.so"
err_has "allowed" "module refusal explained"

# PINs asked at the terminal (a pseudo-terminal answers like a person).
PTY="python3 $(dirname "$0")/pty_run.py"
pty() { # pty ANSWER... -- ARGS...: runs mohur on a terminal
    local a=()
    while [ "$1" != -- ]; do a+=("$1"); shift; done
    shift
    $PTY "${a[@]}" -- "$MOHUR" "$@" >"$OUT" 2>&1
    RC=$?
    : >"$ERR"
}
pty 55501234 55501234 7788 7788 -- token init --label TtyTok
[ "$RC" -eq 0 ] || fail "token init asking the PINs at the terminal: exit $RC"
pass "token init asking the PINs at the terminal"
[ "$(grep -c 'PIN for' "$OUT")" -eq 4 ] || fail "token init asks each PIN twice"
pass "token init asks each PIN twice"
out_has "^pkcs11:token=TtyTok;serial=" "token init at the terminal prints the URI"
out_lacks 55501234 "the SO PIN typed is not echoed"
out_lacks 7788 "the user PIN typed is not echoed"
pty 55501234 55501235 -- token init --label TtyTok2
[ "$RC" -eq 5 ] || fail "token init with two different PINs typed: exit $RC, expected 5"
pass "token init refuses two different PINs (exit 5)"
out_has "differ" "token init says the PINs differ"
PTY_RUN_LIMITS="$W/limits" pty 7788 -- key generate --token pkcs11:token=TtyTok --type ec-p256 \
    --label tty-key
[ "$RC" -eq 0 ] || fail "key generate with the PIN typed at the terminal: exit $RC"
pass "key generate with the PIN typed at the terminal"
grep -Eq '^Max core file size +0 +0 ' "$W/limits" ||
    fail "mohur waiting for a PIN may dump core: $(grep -i core "$W/limits")"
pass "mohur cannot dump core while it asks for a PIN (RLIMIT_CORE 0)"
pty 1111 2222 3333 -- key generate --token pkcs11:token=TtyTok --type ec-p256 --label tty-x
[ "$RC" -eq 5 ] || fail "a wrong PIN typed at the terminal: exit $RC, expected 5"
pass "a wrong PIN typed at the terminal (exit 5)"
[ "$(grep -c 'PIN for' "$OUT")" -eq 1 ] || fail "a wrong PIN is asked again"
pass "a wrong PIN is not asked again (one prompt)"
out_has "PIN is incorrect" "a wrong PIN typed at the terminal is explained"

# The appliance's state directory supplies SOFTHSM2_CONF when it is unset.
mkdir -p "$W/state"
cp "$SOFTHSM2_CONF" "$W/state/softhsm2.conf"
if env -u SOFTHSM2_CONF MOHUR_STATE_DIR="$W/state" setsid -w "$MOHUR" token list \
    </dev/null >"$OUT" 2>"$ERR"; then RC=0; else RC=$?; fi
[ "$RC" -eq 0 ] || fail "token list with MOHUR_STATE_DIR: exit $RC"
out_has "token: *CliTest" "MOHUR_STATE_DIR/softhsm2.conf is used when SOFTHSM2_CONF is unset"

# ---- key generate and list -----------------------------------------------

for t in $TYPES; do
    expect 0 "key generate $t" key generate --token "$TOKP" --type "$t" --label "k-$t"
    out_has "^pkcs11:token=CliTest;.*object=k-$t" "key generate $t prints the key's URI"
    URI_OUT=$(cat "$OUT")
    # The printed URI works as is.
    expect 0 "the URI from key generate $t finds the key" key export --key "$URI_OUT" \
        --out "$W/$t.pub.pem"
done

# RSA-4096 generation takes 0.6 to 4 s in SoftHSM2 (random primes): only
# with MOHUR_TEST_SLOW=1.
if [ "${MOHUR_TEST_SLOW:-0}" = 1 ]; then
    expect 0 "key generate rsa-4096" key generate --token "$TOKP" --type rsa-4096 \
        --label k-rsa-4096 --id 4096
    out_has "object=k-rsa-4096" "key generate rsa-4096 prints the key's URI"
fi

expect 0 "key generate with --id and --json" key generate --token "$TOKP" --type ec-p256 \
    --label k-json --id 0a0B0c --json
check "key generate --json is valid JSON" python3 -m json.tool "$OUT"
check "key generate --json content" python3 -c '
import json, sys
k = json.load(open(sys.argv[1]))
assert k["label"] == "k-json" and k["id"] == "0a0b0c" and k["type"] == "ec-p256", k
assert k["bits"] == 256 and k["has_private"] and k["uri"].startswith("pkcs11:token=CliTest"), k
' "$OUT"

expect 3 "key generate refuses a label in use" key generate --token "$TOKP" --type ec-p256 \
    --label k-ec-p256
err_has "already" "duplicate key label explained"
expect 3 "key generate refuses an id in use" key generate --token "$TOKP" --type ec-p256 \
    --label k-other --id 0a0b0c
expect 2 "key generate with an unknown type" key generate --token "$TOKP" --type ec-p521 \
    --label k-x
expect 2 "key generate without --label" key generate --token "$TOKP" --type ec-p256
expect 2 "key generate with bad --id" key generate --token "$TOKP" --type ec-p256 \
    --label k-x --id xyz
expect 5 "key generate with no PIN source and no terminal" key generate --token "$TOK" \
    --type ec-p256 --label k-x

expect 0 "key list (logged in)" key list --token "$TOKP"
for t in $TYPES; do
    out_has "^Key 'k-$t'" "key list shows k-$t"
done
out_has "type: *ec-p384 (384 bits)" "key list shows type and size"
out_has "cert: *no" "key list shows no certificate yet"
expect 0 "key list --json" key list --token "$TOKP" --json
check "key list --json is valid JSON" python3 -m json.tool "$OUT"
check "key list --json has every key with its type" python3 - "$OUT" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
keys = {k["label"]: k for k in d["keys"]}
want = {"k-ec-p256": ("ec-p256", 256), "k-ec-p384": ("ec-p384", 384),
        "k-rsa-2048": ("rsa-2048", 2048), "k-rsa-3072": ("rsa-3072", 3072),
        "k-ed25519": ("ed25519", 256)}
if "k-rsa-4096" in keys:
    want["k-rsa-4096"] = ("rsa-4096", 4096)
    assert keys["k-rsa-4096"]["id"] == "4096", keys["k-rsa-4096"]
for label, (typ, bits) in want.items():
    k = keys[label]
    assert k["type"] == typ and k["bits"] == bits, k
    assert k["has_private"] and k["has_public"] and not k["has_cert"], k
    assert "object=" + label in k["uri"] and "type=private" in k["uri"], k
assert d["logged_in"] is True
EOF
keyid() { python3 -c '
import json, sys
print({k["label"]: k["id"] for k in json.load(open(sys.argv[1]))["keys"]}[sys.argv[2]])
' "$W/keys.json" "$1"; }
cp "$OUT" "$W/keys.json"
expect 0 "key list without login" key list --token "$TOK"
out_has "^Key 'k-ec-p256'" "key list without login shows the public halves"
err_has "not logged in" "key list without login says private keys may be hidden"

# ---- export ---------------------------------------------------------------

check "ec-p256 public key is a P-256 key" sh -c \
    "openssl pkey -pubin -in '$W/ec-p256.pub.pem' -noout -text | grep -q 'prime256v1'"
check "ec-p384 public key is a P-384 key" sh -c \
    "openssl pkey -pubin -in '$W/ec-p384.pub.pem' -noout -text | grep -q 'secp384r1'"
check "rsa-3072 public key has 3072 bits" sh -c \
    "openssl pkey -pubin -in '$W/rsa-3072.pub.pem' -noout -text | grep -q '3072 bit'"
check "ed25519 public key is an Ed25519 key" sh -c \
    "openssl pkey -pubin -in '$W/ed25519.pub.pem' -noout -text | grep -q 'ED25519'"
expect 0 "key export to stdout" key export --key "$(key ec-p256)"
check "PEM on stdout equals --out" cmp "$OUT" "$W/ec-p256.pub.pem"
out_has "^-----BEGIN PUBLIC KEY-----$" "PEM header"
check "PEM lines are at most 64 characters" sh -c "! awk 'length > 64' '$OUT' | grep -q ."
expect 0 "key export --der" key export --key "$(key rsa-2048)" --der --out "$W/rsa.der"
check "DER export equals the PEM" sh -c \
    "openssl pkey -pubin -in '$W/rsa-2048.pub.pem' -outform DER | cmp - '$W/rsa.der'"
expect 4 "key export --cert without a certificate" key export --key "$(key ec-p384)" --cert

# ---- sign, checked by OpenSSL -------------------------------------------

head -c 200000 /dev/urandom >"$W/data"
cp "$W/data" "$W/data.mod"
printf 'x' >>"$W/data.mod"

for t in $TYPES; do
    expect 0 "key sign $t" key sign --key "$(keyp "$t")" --in "$W/data" --out "$W/$t.sig"
    if [ "$t" = ed25519 ]; then
        check "openssl accepts the $t signature" openssl pkeyutl -verify -pubin \
            -inkey "$W/$t.pub.pem" -rawin -in "$W/data" -sigfile "$W/$t.sig"
        check_not "openssl rejects the $t signature over a modified file" openssl pkeyutl \
            -verify -pubin -inkey "$W/$t.pub.pem" -rawin -in "$W/data.mod" -sigfile "$W/$t.sig"
    else
        check "openssl accepts the $t signature" openssl dgst -sha256 \
            -verify "$W/$t.pub.pem" -signature "$W/$t.sig" "$W/data"
        check_not "openssl rejects the $t signature over a modified file" openssl dgst \
            -sha256 -verify "$W/$t.pub.pem" -signature "$W/$t.sig" "$W/data.mod"
    fi
done

for t in rsa-2048 rsa-3072; do
    expect 0 "key sign $t rsa-pss" key sign --key "$(keyp "$t")" --alg rsa-pss --in "$W/data" \
        --out "$W/$t.pss"
    check "openssl accepts the $t PSS signature (salt = 32 bytes)" openssl dgst -sha256 \
        -verify "$W/$t.pub.pem" -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
        -signature "$W/$t.pss" "$W/data"
    check_not "openssl does not take the $t PSS signature as PKCS#1 v1.5" openssl dgst \
        -sha256 -verify "$W/$t.pub.pem" -signature "$W/$t.pss" "$W/data"
done

expect 0 "key sign ec-p384 with sha384" key sign --key "$(keyp ec-p384)" --hash sha384 \
    --in "$W/data" --out "$W/p384.sha384.sig"
check "openssl accepts the sha384 signature" openssl dgst -sha384 \
    -verify "$W/ec-p384.pub.pem" -signature "$W/p384.sha384.sig" "$W/data"
expect 0 "key sign rsa-2048 with sha512" key sign --key "$(keyp rsa-2048)" --hash sha512 \
    --in "$W/data" --out "$W/rsa.sha512.sig"
check "openssl accepts the sha512 signature" openssl dgst -sha512 \
    -verify "$W/rsa-2048.pub.pem" -signature "$W/rsa.sha512.sig" "$W/data"

# --digest: the same signature openssl checks over the file.
DIG=$(openssl dgst -sha256 -r "$W/data" | cut -c1-64)
for t in ec-p256 rsa-2048; do
    expect 0 "key sign --digest $t" key sign --key "$(keyp "$t")" --digest "$DIG" \
        --out "$W/$t.dsig"
    check "openssl accepts the $t signature of the digest" openssl dgst -sha256 \
        -verify "$W/$t.pub.pem" -signature "$W/$t.dsig" "$W/data"
done
expect 2 "key sign --digest of the wrong length" key sign --key "$(keyp ec-p256)" \
    --digest "${DIG:0:40}" --out "$W/x.sig"
expect 2 "key sign --digest that is not hex" key sign --key "$(keyp ec-p256)" \
    --digest "zz${DIG:2}" --out "$W/x.sig"
expect 2 "key sign --digest with an Ed25519 key" key sign --key "$(keyp ed25519)" \
    --digest "$DIG" --out "$W/x.sig"
expect 2 "key sign with both --in and --digest" key sign --key "$(keyp ec-p256)" \
    --digest "$DIG" --in "$W/data"

# base64 on stdout, raw r||s.
expect 0 "key sign without --out writes base64" key sign --key "$(keyp ec-p256)" --in "$W/data"
check "base64 signature decodes and verifies" sh -c \
    "openssl base64 -d -in '$OUT' -out '$W/b64.sig' && openssl dgst -sha256 \
     -verify '$W/ec-p256.pub.pem' -signature '$W/b64.sig' '$W/data'"
cp "$OUT" "$W/sig.b64"
expect 0 "key sign --format raw" key sign --key "$(keyp ec-p256)" --in "$W/data" \
    --format raw --out "$W/raw.sig"
check "raw P-256 signature is 64 bytes" test "$(stat -c %s "$W/raw.sig")" -eq 64

# pkcs11-tool, where it can check: ECDSA over the digest, RSA PKCS#1 v1.5.
if command -v pkcs11-tool >/dev/null; then
    openssl dgst -sha256 -binary "$W/data" >"$W/data.sha256"
    # pkcs11-tool exits 0 even for "Invalid signature": look at what it says.
    p11() {
        pkcs11-tool --module "$SOFTHSM_MODULE" --token-label CliTest "$@" 2>&1 |
            tee /dev/stderr | grep -q '^Signature is valid'
    }
    check "pkcs11-tool accepts the ec-p256 signature" p11 --verify -m ECDSA \
        --id "$(keyid k-ec-p256)" --input-file "$W/data.sha256" --signature-file "$W/ec-p256.sig" \
        --signature-format openssl
    check "pkcs11-tool accepts the rsa-2048 signature" p11 --verify -m SHA256-RSA-PKCS \
        --id "$(keyid k-rsa-2048)" --input-file "$W/data" --signature-file "$W/rsa-2048.sig"
    check_not "pkcs11-tool rejects the rsa-2048 signature over a modified file" p11 --verify \
        -m SHA256-RSA-PKCS --id "$(keyid k-rsa-2048)" --input-file "$W/data.mod" \
        --signature-file "$W/rsa-2048.sig"
fi

# ---- verify ---------------------------------------------------------------

for t in $TYPES; do
    expect 0 "key verify $t good signature" key verify --key "$(keyp "$t")" --in "$W/data" \
        --sig "$W/$t.sig"
    out_has "^Signature is valid.$" "key verify $t says valid"
    expect 1 "key verify $t over a modified file" key verify --key "$(keyp "$t")" \
        --in "$W/data.mod" --sig "$W/$t.sig"
    out_has "^Signature is NOT valid.$" "key verify $t says NOT valid"
    # Corrupt one byte in the middle of the signature.
    cp "$W/$t.sig" "$W/$t.bad"
    size=$(stat -c %s "$W/$t.sig")
    off=$((size / 2))
    orig=$(od -An -tu1 -j "$off" -N1 "$W/$t.sig" | tr -d ' ')
    # shellcheck disable=SC2059 # the format is the byte, as an octal escape
    printf "$(printf '\\%03o' $(((orig + 1) % 256)))" |
        dd of="$W/$t.bad" bs=1 seek="$off" conv=notrunc status=none
    check_not "corrupted $t signature differs" cmp -s "$W/$t.sig" "$W/$t.bad"
    expect 1 "key verify $t corrupted signature" key verify --key "$(keyp "$t")" \
        --in "$W/data" --sig "$W/$t.bad"
done
for t in rsa-2048 rsa-3072; do
    expect 0 "key verify $t rsa-pss" key verify --key "$(keyp "$t")" --alg rsa-pss \
        --in "$W/data" --sig "$W/$t.pss"
    expect 1 "key verify $t PSS signature as PKCS#1 v1.5" key verify --key "$(keyp "$t")" \
        --in "$W/data" --sig "$W/$t.pss"
done
expect 0 "key verify a base64 signature" key verify --key "$(keyp ec-p256)" --in "$W/data" \
    --sig "$W/sig.b64"
expect 0 "key verify a raw r||s signature" key verify --key "$(keyp ec-p256)" --in "$W/data" \
    --sig "$W/raw.sig"
expect 0 "key verify --digest" key verify --key "$(keyp rsa-2048)" --digest "$DIG" \
    --sig "$W/rsa-2048.dsig"
expect 1 "key verify with another key's signature" key verify --key "$(keyp ec-p256)" \
    --in "$W/data" --sig "$W/ec-p384.sig"
expect 1 "key verify --in - with an empty stdin" key verify --key "$(keyp ec-p256)" \
    --in - --sig "$W/ec-p256.sig"
if setsid -w "$MOHUR" key verify --key "$(keyp ec-p256)" --in - --sig "$W/ec-p256.sig" \
    <"$W/data" >"$OUT" 2>"$ERR"; then RC=0; else RC=$?; fi
[ "$RC" -eq 0 ] || fail "key verify --in - with the file on stdin: exit $RC"
pass "key verify --in - with the file on stdin"

# ---- PINs -----------------------------------------------------------------

pin_file "$W/bad.pin" 135799
expect 5 "wrong PIN" key sign --key "$(key ec-p256)?pin-source=file:$W/bad.pin" \
    --in "$W/data" --out "$W/x.sig"
err_has "PIN" "wrong PIN: the message mentions the PIN"
err_lacks 135799 "wrong PIN: the PIN is not printed"
out_lacks 135799 "wrong PIN: the PIN is not printed on stdout"
check_not "wrong PIN: no signature written" test -s "$W/x.sig"
expect 0 "token list after a wrong PIN" token list --json
check "the PIN state of CliTest is no longer 'ok' after a wrong PIN" python3 -c '
import json, sys
t = [s for s in json.load(open(sys.argv[1]))["slots"] if s.get("label") == "CliTest"][0]
assert t["pin_state"] != "ok", t
' "$OUT"
# A good login afterwards still works (the token is not locked).
expect 0 "right PIN after a wrong one" key sign --key "$(keyp ec-p256)" --in "$W/data" \
    --out "$W/x.sig"

expect 5 "pin-value in the URI is refused" key sign \
    --key "pkcs11:token=CliTest;object=k-ec-p256;pin-value=271828" --in "$W/data" \
    --out "$W/x.sig"
err_has "pin-source" "pin-value: the message says what to do instead"
err_lacks 271828 "pin-value: the PIN is not printed on stderr"
out_lacks 271828 "pin-value: the PIN is not printed on stdout"
expect 5 "pin-value in the query is refused" key list \
    --token "pkcs11:token=CliTest?pin-value=271828"
err_lacks 271828 "pin-value in the query: the PIN is not printed"
expect 5 "key sign with no PIN source and no terminal" key sign --key "$(key ec-p256)" \
    --in "$W/data" --out "$W/x.sig"

# ---- not found, bad input ----------------------------------------------

expect 4 "non-existent token" key sign --key "pkcs11:token=NoSuchToken;object=k-ec-p256" \
    --in "$W/data" --out "$W/x.sig"
err_has "NoSuchToken" "non-existent token named in the message"
expect 4 "key list of a non-existent token" key list --token "pkcs11:token=NoSuchToken"
expect 4 "non-existent key (sign)" key sign --key "$(keyp no-such-key)" --in "$W/data" \
    --out "$W/x.sig"
err_has "no-such-key" "non-existent key named in the message"
expect 4 "non-existent key (export)" key export --key "$(key no-such-key)"
expect 4 "non-existent module" token list --module /usr/lib/no-such-pkcs11-module.so
expect 2 "malformed URI" key export --key "pkcs11:token=CliTest;bogus=1"
expect 2 "not a URI" key export --key CliTest
expect 3 "missing input file" key sign --key "$(keyp ec-p256)" --in "$W/no-such-file" \
    --out "$W/x.sig"
err_has "no-such-file" "missing file named in the message"
mkdir -p "$W/adir"
expect 3 "a directory as input" key sign --key "$(keyp ec-p256)" --in "$W/adir" \
    --out "$W/x.sig"
truncate -s $((1024 * 1024 * 1024 + 1)) "$W/huge"
expect 3 "a file over 1 GiB" key sign --key "$(keyp ec-p256)" --in "$W/huge" --out "$W/x.sig"
err_has "more than mohur accepts" "over 1 GiB: explained"
rm -f "$W/huge"
expect 3 "missing signature file" key verify --key "$(keyp ec-p256)" --in "$W/data" \
    --sig "$W/no-such-sig"
expect 3 "unwritable output" key sign --key "$(keyp ec-p256)" --in "$W/data" \
    --out "$W/adir/no/such/dir/x.sig"

# ---- certificates ---------------------------------------------------------

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/ca.key" 2>/dev/null ||
    fail "openssl genpkey"
mkcert() { # mkcert PUBKEY.pem CN OUT
    openssl x509 -new -force_pubkey "$1" -key "$W/ca.key" -subj "/CN=$2" -days 30 \
        -out "$3" 2>"$W/openssl.err" || { cat "$W/openssl.err" >&2; fail "openssl x509 -new"; }
}
mkcert "$W/ec-p256.pub.pem" registry "$W/ec.crt"
check "the test certificate carries the token key's public key" sh -c \
    "openssl x509 -in '$W/ec.crt' -noout -pubkey | cmp - '$W/ec-p256.pub.pem'"
expect 0 "key import-cert (PEM)" key import-cert --key "$(keyp ec-p256)" --cert "$W/ec.crt"
expect 0 "key list after import-cert" key list --token "$TOKP" --json
check "key list shows the certificate" python3 -c '
import json, sys
keys = {k["label"]: k for k in json.load(open(sys.argv[1]))["keys"]}
assert keys["k-ec-p256"]["has_cert"] is True, keys["k-ec-p256"]
assert keys["k-ec-p384"]["has_cert"] is False, keys["k-ec-p384"]
' "$OUT"
expect 0 "key export --cert" key export --key "$(key ec-p256)" --cert --out "$W/back.crt"
check "exported certificate has the same fingerprint" sh -c \
    "[ \"\$(openssl x509 -in '$W/ec.crt' -noout -fingerprint -sha256)\" = \
       \"\$(openssl x509 -in '$W/back.crt' -noout -fingerprint -sha256)\" ]"
expect 0 "key export --cert --der" key export --key "$(key ec-p256)" --cert --der \
    --out "$W/back.der"
check "DER certificate equals the original" sh -c \
    "openssl x509 -in '$W/ec.crt' -outform DER | cmp - '$W/back.der'"

mkcert "$W/rsa-2048.pub.pem" rsa "$W/rsa.crt"
openssl x509 -in "$W/rsa.crt" -outform DER -out "$W/rsa.der.crt"
expect 0 "key import-cert (DER)" key import-cert --key "$(keyp rsa-2048)" --cert "$W/rsa.der.crt"
mkcert "$W/ed25519.pub.pem" ed "$W/ed.crt"
expect 0 "key import-cert for an Ed25519 key" key import-cert --key "$(keyp ed25519)" \
    --cert "$W/ed.crt"

expect 4 "import-cert refuses a certificate for another key" key import-cert \
    --key "$(keyp ec-p384)" --cert "$W/ec.crt"
err_has "another" "wrong certificate: explained"
expect 4 "import-cert refuses an Ed25519 certificate for an EC key" key import-cert \
    --key "$(keyp ec-p384)" --cert "$W/ed.crt"
expect 0 "key list after the refused imports" key list --token "$TOKP" --json
check "refused certificates were not stored" python3 -c '
import json, sys
keys = {k["label"]: k for k in json.load(open(sys.argv[1]))["keys"]}
assert keys["k-ec-p384"]["has_cert"] is False, keys["k-ec-p384"]
' "$OUT"
expect 3 "import-cert of a file that is not a certificate" key import-cert \
    --key "$(keyp ec-p384)" --cert "$W/data"
expect 3 "import-cert of a public key PEM" key import-cert --key "$(keyp ec-p384)" \
    --cert "$W/ec-p384.pub.pem"
cat "$W/ec.crt" "$W/rsa.crt" >"$W/two.crt"
expect 3 "import-cert of a file with two certificates" key import-cert --key "$(keyp ec-p256)" \
    --cert "$W/two.crt"

# Verifying needs only the public key, so no PIN (the token shows public
# keys without login).
for t in ec-p256 rsa-2048 ed25519; do
    expect 0 "key verify $t without a PIN" key verify --key "$(key "$t")" --in "$W/data" \
        --sig "$W/$t.sig"
done

echo "all $CHECKS checks passed"
