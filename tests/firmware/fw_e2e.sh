#!/bin/bash
# fw_e2e.sh - the offline verifier against vectors made by `mohur` on a
# fresh appliance: valid, revoked, forged signature, altered field, unknown
# key, expired key, stale snapshot, rolled-back trust list, garbage, an
# oversized line (and a document newer than the snapshot).
#
#   fw_e2e.sh host    through mohur-fw-host ($FW_HOST), the core on the host
#   fw_e2e.sh qemu    through the Cortex-M4 image ($FW_ELF) on qemu-system-arm
#                     mps2-an386 (run-qemu.sh); skips (77) when the emulator
#                     or the image is missing
#
# Each vector asserts the printed verdict and the exit code.
. "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
MODE=${1:-host}
: "${MKPDF:?set MKPDF to mkpdf.py}"
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed" >&2; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl is not installed" >&2; exit 77; }
case $MODE in
host)
    : "${FW_HOST:?set FW_HOST to mohur-fw-host}"
    ;;
qemu)
    if ! command -v qemu-system-arm >/dev/null; then
        echo "SKIP: qemu-system-arm is not installed (scripts/deps.sh test installs it)" >&2
        exit 77
    fi
    if [ -z "${FW_ELF:-}" ] || [ ! -s "$FW_ELF" ]; then
        echo "SKIP: no firmware image (arm-none-eabi-gcc, picolibc or Debian's mbedtls source missing: scripts/deps.sh test)" >&2
        exit 77
    fi
    ;;
*) echo "usage: fw_e2e.sh host|qemu" >&2; exit 2 ;;
esac

export MOHUR_STATE_DIR="$W/state"
expect 0 "init a fresh appliance" init

# two notary acts (PDFs), the second revoked
sign_act() { # N -> $W/actN.json (the sign result)
    python3 "$MKPDF" "$W/act$1.pdf" "Notary act $1"
    printf '{"act": "2026/%s", "title": "Etibarnamə", "date": "2026-05-02"}\n' "$1" >"$W/act$1.fields"
    expect 0 "sign act $1" sign "$W/act$1.pdf" --kind notary-act --issuer notary \
        --fields "$W/act$1.fields" --out "$W/act$1.signed.pdf" --json
    cp "$OUT" "$W/act$1.json"
}
url_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$1"; }
sign_act 1
sign_act 2
expect 0 "revoke act 2" revoke notary/notary-act/2026/2 --reason keyCompromise

expect 0 "make the trust-list signing key" offline trustlist-key --out "$W/tlkey.bin"
[ "$(stat -c %s "$W/tlkey.bin")" = 65 ] || fail "the trust-list key is a 65-byte point"
expect 0 "make trust list #5" offline trustlist --seq 5 --out "$W/tl.bin"
expect 0 "make the revocation snapshot" offline snapshot --out "$W/snap.bin"
out_has "1 revoked" "the snapshot holds the revocation"
now=$(date +%s)
expect 0 "an old snapshot (8 days)" offline snapshot --now $((now - 8 * 86400)) --out "$W/snap-old.bin"
openssl ecparam -name prime256v1 -genkey -noout -out "$W/other.pem" 2>/dev/null &&
    openssl pkey -in "$W/other.pem" -pubout -outform DER -out "$W/other.der" ||
    fail "openssl makes another P-256 key"
expect 0 "a trust list without this registry's key" offline trustlist --seq 5 --without-own-key \
    --other-key "$W/other.der" --out "$W/tl-other.bin"
expect 0 "a trust list whose key expired before the receipts" offline trustlist --seq 5 \
    --not-before 0 --not-after 1000 --out "$W/tl-expired.bin"
expect 2 "trustlist refuses a missing --seq" offline trustlist --out "$W/x.bin"

# a third act after the snapshot: newer than the snapshot
sign_act 3

U1=$(url_of "$W/act1.json")
U2=$(url_of "$W/act2.json")
U3=$(url_of "$W/act3.json")
# the receipt edited: a bit of the signature, or a byte of a printed field
edit() { # URL MODE
    python3 - "$1" "$2" <<'PY'
import base64, sys
url, mode = sys.argv[1], sys.argv[2]
head, b32 = url.rsplit('/', 1)
raw = bytearray(base64.b32decode(b32 + '=' * (-len(b32) % 8)))
if mode == 'sig':
    raw[-5] ^= 0x01
else:
    i = raw.find(b'2026/1')
    assert i > 0
    raw[i + 5] = ord('9')
print(head + '/' + base64.b32encode(bytes(raw)).decode().rstrip('='))
PY
}
FORGED=$(edit "$U1" sig)
ALTERED=$(edit "$U1" field)

run_fw() { # LINE TL SNAP MINSEQ -> $OUT, RC
    printf '%s\n' "$1" >"$W/line.txt"
    if [ "$MODE" = host ]; then
        "$FW_HOST" --tl-key "$W/tlkey.bin" --trust-list "$2" --snapshot "$3" --min-seq "$4" \
            <"$W/line.txt" >"$OUT" 2>"$ERR"
        RC=$?
    else
        bash "$HERE/run-qemu.sh" "$FW_ELF" "$W/tlkey.bin" "$2" "$3" "$4" "$W/line.txt" \
            >"$OUT" 2>"$ERR"
        RC=$?
    fi
}
vector() { # NAME RC VERDICT-TEXT LINE [TL [SNAP [MINSEQ]]]
    run_fw "$4" "${5:-$W/tl.bin}" "${6:-$W/snap.bin}" "${7:-0}"
    if [ "$RC" != "$2" ] || ! grep -qF "VERDICT: $3" "$OUT"; then
        echo "--- screen:" >&2
        cat "$OUT" "$ERR" >&2
        fail "$1: exit $2 and 'VERDICT: $3' (got exit $RC)"
    fi
    pass "$1: $3 (exit $2)"
}

vector "valid" 0 "VALID" "$U1"
out_has "act: 2026/1" "the screen shows the printed fields"
out_has "title: Etibarnamə" "the screen shows UTF-8 fields"
if [ "$MODE" = qemu ]; then
    # the budget (issue 13): one verification under 50 M instructions,
    # the image within 64 KiB of flash and 16 KiB of RAM (data, bss and the
    # reserved stack, which must hold the measured high-water mark)
    insns=$(sed -n 's/^\[budget\] scan: \([0-9]*\) instructions.*/\1/p' "$ERR")
    stack=$(sed -n 's/^\[budget\] stack high-water: \([0-9]*\) bytes/\1/p' "$ERR")
    pool=$(sed -n 's/^\[budget\] mbedTLS pool peak: \([0-9]*\) of.*/\1/p' "$ERR")
    read -r text data bss _ < <(arm-none-eabi-size "$FW_ELF" | tail -n 1)
    stack_res=$((0x$(arm-none-eabi-objdump -h "$FW_ELF" | awk '$2 == ".stack" {print $3}')))
    echo "budget: flash $((text + data)) bytes (text $text + data $data), RAM $((data + bss)) bytes" \
        "(data + bss, with a $stack_res-byte stack reserved), stack high-water $stack bytes," \
        "mbedTLS pool peak $pool bytes, one valid scan $insns instructions"
    [ -n "$insns" ] && [ "$insns" -gt 1000000 ] && [ "$insns" -lt 50000000 ] ||
        fail "one verification takes under 50 M instructions (got ${insns:-none})"
    [ $((text + data)) -le 65536 ] || fail "the image fits 64 KiB of flash"
    [ $((data + bss)) -le 16384 ] || fail "the image fits 16 KiB of RAM"
    [ -n "$stack" ] && [ "$stack" -lt "$stack_res" ] ||
        fail "the stack high-water mark ($stack) stays within the reserved stack ($stack_res)"
    pass "budget: flash, RAM, stack and instructions within issue 13's limits"
fi
OTHERHOST=$(printf '%s' "$U1" | sed 's|^HTTPS://VERIFY.MOHUR.TEST/|HTTPS://VERIFY.EXAMPLE.ORG/|')
vector "a genuine receipt under another host" 1 "FORGED" "$OTHERHOST"
out_has "WRONG SITE" "another host is said out loud, and never valid"
vector "revoked" 2 "REVOKED (keyCompromise, " "$U2"
vector "forged signature" 1 "FORGED" "$FORGED"
out_has "NOT verified" "a forged receipt's claims are shown as not verified"
vector "altered field" 1 "FORGED" "$ALTERED"
vector "unknown registry key" 3 "UNKNOWN REGISTRY KEY" "$U1" "$W/tl-other.bin"
vector "key outside its validity" 4 "KEY OUTSIDE ITS VALIDITY" "$U1" "$W/tl-expired.bin"
vector "stale snapshot" 6 "SNAPSHOT STALE" "$U1" "$W/tl.bin" "$W/snap-old.bin"
out_has "older than the trust list allows" "stale says why"
vector "document newer than the snapshot" 6 "SNAPSHOT STALE" "$U3"
vector "rolled-back trust list" 3 "UNKNOWN REGISTRY KEY" "$U1" "$W/tl.bin" "$W/snap.bin" 6
out_has "rollback, refused" "the device says the trust list was rolled back"
vector "garbage" 5 "MALFORMED" "this is not a receipt"
vector "garbage base32" 5 "MALFORMED" "HTTPS://VERIFY.MOHUR.TEST/V/AAAAAAAA"
vector "oversized line" 5 "MALFORMED" "HTTPS://VERIFY.MOHUR.TEST/V/$(head -c 5000 /dev/zero | tr '\0' A)"
out_has "more than any receipt URL" "oversized says why"
vector "trust list signed by another key" 3 "UNKNOWN REGISTRY KEY" "$U1" "$W/snap.bin"
echo "fw_e2e ($MODE): all vectors passed"
