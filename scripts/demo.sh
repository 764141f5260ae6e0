#!/usr/bin/env bash
# The main job on embedded defaults: installs what is missing, builds, sets
# up the appliance in a state directory (a SoftHSM2 token with random PINs,
# keys, a root CA and certificates, the ledger), then issues and verifies a
# sample diploma batch, an official certificate and a notary act (signed by
# the notary, then by a party), revokes one document and shows it revoked,
# and prints the QR files and verify URLs. Then it starts mohurd, the
# daemon, on localhost, issues through its API (curl with an API token) and
# through the CLI (which goes through mohurd while it runs), prints the
# verify URLs mohurd answers, and stops mohurd.
#
#   scripts/demo.sh            state in ./state (or $MOHUR_STATE_DIR)
#   scripts/demo.sh --keep-daemon   leave mohurd running (it says how to stop it)
#   MOHURD_PORT=8080           where mohurd listens (default 8080)
#
# Run it again: the appliance is kept; documents already issued are
# recognised and not issued twice.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
keep_daemon=false
for a in "$@"; do
    case $a in
    --keep-daemon) keep_daemon=true ;;
    *) echo "usage: scripts/demo.sh [--keep-daemon]" >&2; exit 2 ;;
    esac
done

scripts/deps.sh run

echo "== building"
# The demo needs only the run packages: tests are not configured here (the
# test command, scripts/test.sh, builds them). On failure, show why.
mkdir -p build-demo
blog=$top/build-demo/build.log
if ! { cmake -S . -B build-demo -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMH_TESTS=OFF &&
       cmake --build build-demo -j"$(nproc 2>/dev/null || echo 2)" --target mohur mohurd; } >"$blog" 2>&1; then
    tail -n 40 "$blog" >&2
    echo "the build failed; the whole log is in $blog" >&2
    exit 1
fi
mohur=$top/build-demo/host/mohur
mohurd=$top/build-demo/host/daemon/mohurd

state=${MOHUR_STATE_DIR:-$top/state}
mkdir -p "$state"
state=$(cd "$state" && pwd)
export MOHUR_STATE_DIR=$state
export MOHUR_KINDS_DIR=$top/kinds
umask 077
out=$state/demo
mkdir -p "$out"

echo "== the appliance (token, keys, CA, certificates, ledger) in $state"
"$mohur" init
"$mohur" token list | sed -n '1,12p'
pin="?pin-source=file:$state/pins/user.pin"

echo
echo "== document kinds"
"$mohur" kinds

echo
echo "== diplomas from a roster (Bakı Dövlət Universiteti, seal key on the HSM)"
"$mohur" issue --kind diploma --roster samples/graduates.csv --issuer bdu \
    --out "$out/diplomas" --no-progress

echo
echo "== an official certificate (agency), through the same pipeline"
"$mohur" issue --kind official-certificate --roster samples/certificate.json \
    --issuer agency --out "$out/certificates" --no-progress

echo
echo "== a notary act: signed by the notary, then by a party"
act=$out/notary-act.pdf
if [ ! -f "$out/notary-act.signed.pdf" ]; then
    cp samples/notary-act.pdf "$act"
    "$mohur" sign "$act" --kind notary-act --issuer notary --fields samples/notary-act.json \
        --out "$out/notary-act.notary.pdf"
    # the party's own key and certificate (in real life: the party's ID card)
    party="pkcs11:token=mohur;object=party-rashad-aliyev"
    if ! "$mohur" key list --token "pkcs11:token=mohur$pin" | grep -q party-rashad-aliyev; then
        "$mohur" key generate --token "pkcs11:token=mohur$pin" --type ec-p256 \
            --label party-rashad-aliyev >/dev/null
    fi
    if ! "$mohur" key export --key "$party$pin" --cert >/dev/null 2>&1; then
        "$mohur" ca issue --profile notary --subject "CN=Rəşad Əliyev,C=AZ" \
            --key "pkcs11:token=mohur;object=root;type=private$pin" \
            --pubkey-from "$party$pin" --out "$out/party.pem" >/dev/null
        "$mohur" key import-cert --key "$party;type=private$pin" --cert "$out/party.pem"
    fi
    # the party co-signs: the act's fields and receipt come from the ledger
    "$mohur" sign "$out/notary-act.notary.pdf" \
        --key "$party;type=private$pin" --out "$out/notary-act.signed.pdf"
fi

echo
echo "== a plain file (not a PDF): detached CAdES signature, QR as PNG and SVG"
memo=$out/decision-annex.txt
if [ ! -f "$memo.p7s" ]; then
    printf 'Annex to court decision 2-345/2026: list of exhibits.\n' >"$memo"
    "$mohur" sign "$memo" --kind court-decision --issuer agency \
        --field case=2-345/2026 --field court="Bakı Apellyasiya Məhkəməsi" \
        --field date=2026-11-28
fi

echo
echo "== verifying everything"
status=0
for f in "$out"/diplomas/*.pdf "$out"/certificates/*.pdf "$out/notary-act.signed.pdf"; do
    printf '%s\n  ' "${f#"$out"/}"
    set +e
    verdict=$("$mohur" verify "$f" | head -n 1)
    rc=${PIPESTATUS[0]}
    set -e
    echo "$verdict"
    # the diploma this demo revokes (below) stays revoked on a re-run
    case $rc:$verdict in 0:*|1:REVOKED:*BDU-2026-0002*) ;; *) status=1 ;; esac
done
printf '%s\n  ' "${memo#"$out"/}"
"$mohur" verify "$memo" | head -n 1 || status=1
if command -v pdfsig >/dev/null; then
    echo "  pdfsig (poppler) on the notary act:"
    pdfsig "$out/notary-act.signed.pdf" 2>/dev/null |
        grep -E "Signer Certificate Common Name|Signature Validation|Total document" | sed 's/^/    /'
fi
[ "$status" = 0 ] || { echo "a document did not verify" >&2; exit 1; }

echo
echo "== revoking a diploma, then verifying it again"
revoked=bdu/diploma/BDU-2026-0002
if ! "$mohur" verify "$out/diplomas/bdu_diploma_BDU-2026-0002.pdf" >/dev/null; then
    echo "  ($revoked was revoked by an earlier run)"
else
    "$mohur" revoke "$revoked" --reason superseded
fi
set +e
"$mohur" verify "$out/diplomas/bdu_diploma_BDU-2026-0002.pdf" | head -n 3 | sed 's/^/  /'
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 1 ] || { echo "the revoked diploma did not show as revoked (exit $rc)" >&2; exit 1; }

echo
echo "== the QR codes: verify URLs and image files"
for f in "$out"/diplomas/*.pdf "$out"/certificates/*.pdf "$out/notary-act.signed.pdf"; do
    url=$("$mohur" verify "$f" 2>/dev/null | sed -n 's/^  url: *//p' | head -n 1 || true)
    printf '  %s\n    %s\n' "${f#"$out"/}" "${url:-(see mohur verify)}"
done
printf '  %s\n    %s\n    QR images: %s %s\n' "${memo#"$out"/}" "$(cat "$memo.receipt")" \
    "$memo.qr.png" "$memo.qr.svg"

echo
echo "== mohurd: the daemon on localhost; issuing through its API and the CLI"
port=${MOHURD_PORT:-8080}
if [ -S "$state/mohurd.sock" ] && curl -s -o /dev/null --unix-socket "$state/mohurd.sock" http://x/healthz; then
    echo "  (a mohurd from an earlier run serves $state; it is used and left running)"
    keep_daemon=true
    started=false
else
    # its own session, so the whole process group can be stopped
    setsid "$mohurd" --state "$state" --listen "127.0.0.1:$port" \
        >"$out/mohurd.out" 2>"$out/mohurd.log" </dev/null &
    mpid=$!
    started=true
    stop_daemon() {
        kill -TERM "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null || true
    }
    $keep_daemon || trap stop_daemon EXIT
    for _ in $(seq 100); do
        grep -q "^mohurd: ready" "$out/mohurd.log" && break
        kill -0 "$mpid" 2>/dev/null || { tail -n 20 "$out/mohurd.log" >&2; echo "mohurd did not start" >&2; exit 1; }
        sleep 0.1
    done
    grep "^mohurd: ready" "$out/mohurd.log" | sed 's/^/  /'
    for _ in $(seq 100); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] && break
        sleep 0.1
    done
fi
api=http://127.0.0.1:$port
# the token is shown once; the demo keeps its copy (mode 600) for re-runs
if [ -s "$out/api-token" ]; then
    token=$(cat "$out/api-token")
else
    token=$("$mohur" api-token create --name "demo: ministry portal" --role issuer --issuer agency 2>/dev/null)
    printf '%s\n' "$token" >"$out/api-token"
fi
for _ in $(seq 50); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$api/api/v1/whoami")" = 200 ] && break
    sleep 0.1
done
echo "  an API token for the agency's portal (role issuer): ${token:0:24}..."
cat >"$out/api-certificate.json" <<'JSON'
{"kind": "official-certificate", "issuer": "agency",
 "fields": {"holder": "Aysel Quliyeva", "subject": "Residence",
            "statement": "The holder lives at Nizami küçəsi 10, Bakı.",
            "date": "2026-12-01", "number": "AG-API-0001"}}
JSON
curl -s -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary @"$out/api-certificate.json" "$api/api/v1/documents" >"$out/api-certificate.out"
# (compact JSON; sed is enough to read it here)
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" "$out/api-certificate.out" | head -n 1; }
if grep -q '"error"' "$out/api-certificate.out"; then
    echo "issuing through the API failed: $(cat "$out/api-certificate.out")" >&2
    exit 1
fi
field pdf | base64 -d >"$out/api-certificate.pdf"
echo "  POST /api/v1/documents: $(field doc_id) (log index $(field log_index); already issued before: $(field resumed))"
"$mohur" verify "$out/api-certificate.pdf" | head -n 1 | sed 's/^/  mohur verify: /'
printf 'Annex 2 to court decision 2-345/2026.\n' >"$out/annex-2.txt"
if [ ! -f "$out/annex-2.txt.p7s" ]; then
    echo "  mohur sign (through mohurd, which holds the ledger while it runs):"
    "$mohur" sign "$out/annex-2.txt" --kind court-decision --issuer agency --doc-id agency/court-decision/2-345-annex-2 \
        --field case=2-345/2026 --field court="Bakı Apellyasiya Məhkəməsi" --field date=2026-11-29 | sed 's/^/    /'
fi
echo "  the verify URLs mohurd answers here (the QR codes name the registry's public host):"
for f in "$out/api-certificate.pdf" "$out/diplomas/bdu_diploma_BDU-2026-0001.pdf" "$out/diplomas/bdu_diploma_BDU-2026-0002.pdf"; do
    url=$("$mohur" verify "$f" 2>/dev/null | sed -n 's/^  url: *//p' | head -n 1 || true)
    path=${url#HTTPS://*/}
    verdict=$(curl -s "$api/$path?format=json" | sed -n 's/^{"verdict":"\([a-z-]*\)".*/\1/p')
    printf '    %s: %s\n      %s/%s\n' "${f#"$out"/}" "$verdict" "$api" "$path"
done
echo "  the log: $api/checkpoint, $api/tile/..., proofs at $api/api/v1/log/proof/inclusion?index=0"
if $keep_daemon && $started; then
    trap - EXIT
    echo "  mohurd keeps running (pid $mpid, log $out/mohurd.log); stop it with: kill $mpid"
    echo "  (or: kill \$(cat $state/mohurd.pid))"
elif $started; then
    stop_daemon
    trap - EXIT
    echo "  mohurd stopped (run 'scripts/demo.sh --keep-daemon' to leave it running)"
fi

cat <<EOF

Done. State directory: $state
  token and PINs: $state/tokens, $state/pins (mode 600)
  ledger:         $state/ledger      CA: $state/ca
  documents:      $out
Try:  MOHUR_STATE_DIR=$state $mohur verify $out/notary-act.signed.pdf
      MOHUR_STATE_DIR=$state $mohur log info --ledger $state/ledger
EOF
