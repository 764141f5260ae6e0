#!/bin/sh
# selftest.sh MODULE [DRIVER] - checks the fault-injecting PKCS#11 module.
#
# MODULE is libmh_p11fault.so; DRIVER (optional) is mh_p11fault_drive, which
# checks what needs one process to keep the module loaded while the
# configuration changes. Everything runs against a throwaway SoftHSM2 token
# in a temporary directory, driven by pkcs11-tool (package opensc). Prints
# one line per check; exits 0 only if every check passed (77: cannot run).
set -u

MOD=${1:?usage: selftest.sh MODULE [DRIVER]}
DRIVE=${2:-}
case $MOD in /*) ;; *) MOD=$(pwd)/$MOD ;; esac

for tool in pkcs11-tool softhsm2-util; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP - $tool is not installed"
        exit 77
    fi
done

W=$(mktemp -d "${TMPDIR:-/tmp}/p11fault.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM

# Nothing from the caller's environment may steer the module.
unset MH_P11FAULT_MODULE MH_P11FAULT_STATE MH_P11FAULT_PINPAD MH_P11FAULT_USER_PIN
mkdir "$W/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$W" >"$W/softhsm2.conf"
export SOFTHSM2_CONF="$W/softhsm2.conf"
export MH_P11FAULT_CONF="$W/conf"
export MH_P11FAULT_LOG="$W/log"
STATE="$W/conf.state"
PIN=1234
SOPIN=12345678
printf '%s\n' "$PIN" >"$W/userpin"

passed=0
failed=0
ok() {
    echo "ok - $*"
    passed=$((passed + 1))
}
bad() {
    echo "FAIL - $*"
    failed=$((failed + 1))
}
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds
check() {
    desc=$1
    shift
    if "$@"; then ok "$desc"; else bad "$desc"; fi
}
# refute DESCRIPTION COMMAND...: passes when COMMAND fails
refute() {
    desc=$1
    shift
    if "$@"; then bad "$desc"; else ok "$desc"; fi
}
# A sanitizer build of the module (MH_SANITIZE) needs its runtime loaded
# first into pkcs11-tool, which is not instrumented; pkcs11-tool's own leaks
# are not ours (the in-process driver is instrumented and keeps leak checks).
PRELOAD=$(ldd "$MOD" 2>/dev/null | awk '/lib(asan|ubsan)[.]so/ {printf "%s%s", sep, $3; sep=":"}')
p11() {
    if [ -n "$PRELOAD" ]; then
        LD_PRELOAD="$PRELOAD" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
            pkcs11-tool --module "$MOD" "$@" >"$W/out" 2>&1
    else
        pkcs11-tool --module "$MOD" "$@" >"$W/out" 2>&1
    fi
}
out_has() {
    grep -q -e "$1" "$W/out"
}
log_has() {
    grep -q -e "$1" "$W/log"
}
# the number of log lines of one function
log_count() {
    grep -c "^$1 " "$W/log"
}
# replaces the configuration in one step, as tests should
setconf() {
    printf '%s\n' "$@" >"$W/conf.tmp" && mv "$W/conf.tmp" "$W/conf"
}
sign() {
    rm -f "$W/sig"
    p11 --login --pin "${1:-$PIN}" --sign -m ECDSA --id 01 -i "$W/hash" -o "$W/sig"
}
verify() {
    p11 --verify -m ECDSA --id 01 -i "$1" --signature-file "$W/sig" && out_has 'Signature is valid'
}
token_flags() {
    rm -f "$W/flags"
    p11 -T && grep 'token flags' "$W/out" >"$W/flags"
}
flag_set() {
    grep -q -e "$1" "$W/flags"
}
flag_clear() {
    [ -s "$W/flags" ] && ! grep -q -e "$1" "$W/flags"
}

if ! softhsm2-util --init-token --free --label t --so-pin "$SOPIN" --pin "$PIN" >"$W/out" 2>&1; then
    cat "$W/out"
    echo "FAIL - cannot create a SoftHSM2 token"
    exit 1
fi
head -c 32 /dev/urandom >"$W/hash"
head -c 32 /dev/urandom >"$W/other"

echo "# pass-through (no configuration file)"
check "pkcs11-tool -L lists the token through the wrapper" \
    eval 'p11 -L && out_has "token label *: t$"'
check "an EC P-256 key pair is generated" \
    p11 --login --pin "$PIN" --keypairgen --key-type EC:prime256v1 --label k --id 01
: >"$W/log"
check "an ECDSA signature is made" sign
check "it is 64 bytes long" eval '[ -f "$W/sig" ] && [ "$(wc -c <"$W/sig")" -eq 64 ]'
check "it verifies" verify "$W/hash"
refute "it does not verify over other data" verify "$W/other"
check "the log has one line per call" log_has '^C_Sign rv=0x00000000 CKR_OK$'
check "the signing run called C_Login exactly once" test "$(log_count C_Login)" -eq 1
refute "the log holds no PIN" grep -q -e "$PIN" "$W/log"

echo "# fail C_Sign CKR_DEVICE_ERROR count=1"
setconf '# one signature fails' 'fail C_Sign CKR_DEVICE_ERROR count=1'
: >"$W/log"
refute "the first signature fails" sign
check "with CKR_DEVICE_ERROR from the wrapper" \
    log_has '^C_Sign rv=0x00000030 CKR_DEVICE_ERROR (p11fault)$'
check "the next signature, in a new process, works" sign
check "and verifies" verify "$W/hash"
check "so does the one after" sign

echo "# fail C_Sign CKR_DEVICE_REMOVED after=1 count=1"
setconf 'fail C_Sign 0x32 after=1 count=1'
check "the first signature works" sign
refute "the second fails" sign
check "with CKR_DEVICE_REMOVED" log_has '^C_Sign rv=0x00000032 CKR_DEVICE_REMOVED (p11fault)$'
check "the third works" sign

echo "# fail C_Login / C_GetTokenInfo"
setconf 'fail C_Login CKR_PIN_EXPIRED'
refute "a login fails" sign
check "with CKR_PIN_EXPIRED" log_has '^C_Login rv=0x000000a3 CKR_PIN_EXPIRED (p11fault)$'
setconf 'fail C_GetTokenInfo CKR_DEVICE_ERROR'
refute "pkcs11-tool -T fails when C_GetTokenInfo does" eval 'p11 -T && out_has "token label"'
setconf 'fail C_Sgn CKR_DEVICE_ERROR' 'fail C_Sign CKR_NO_SUCH_VALUE'
check "a configuration with mistakes is ignored line by line" sign
check "with a warning naming the line" out_has 'conf:1: unknown PKCS#11 function'

echo "# removed"
setconf removed
check "pkcs11-tool -L still lists the slot" eval 'p11 -L && out_has "SoftHSM slot"'
check "as empty" out_has '(empty)'
refute "without the token" out_has 'token label'
refute "pkcs11-tool -T finds no token" eval 'p11 -T && out_has "token label"'
refute "signing fails" sign
setconf '# re-inserted'
check "after re-insertion pkcs11-tool -T finds the token" eval 'p11 -T && out_has "token label *: t$"'
check "and signing works" sign

echo "# pin-tries 3"
rm -f "$STATE"
setconf 'pin-tries 3'
check "token info" token_flags
check "no 'user PIN count low' with 3 tries left" flag_clear 'user PIN count low'
: >"$W/log"
refute "a wrong PIN is refused" p11 --login --pin 0000 -O
check "by the real module" log_has '^C_Login rv=0x000000a0 CKR_PIN_INCORRECT$'
check "pkcs11-tool called C_Login once (no automatic retry)" test "$(log_count C_Login)" -eq 1
check "token info" token_flags
check "'user PIN count low' with 2 tries left" flag_set 'user PIN count low'
check "not 'final user PIN try' yet" flag_clear 'final user PIN try'
check "the right PIN logs in" p11 --login --pin "$PIN" -O
check "token info" token_flags
check "and resets the counter" flag_clear 'user PIN count low'
refute "wrong PIN (1)" p11 --login --pin 0000 -O
refute "wrong PIN (2)" p11 --login --pin 0000 -O
check "token info" token_flags
check "'final user PIN try' with 1 try left" flag_set 'final user PIN try'
refute "wrong PIN (3)" p11 --login --pin 0000 -O
check "token info" token_flags
check "'user PIN locked' with 0 tries left" flag_set 'user PIN locked'
: >"$W/log"
refute "now even the right PIN is refused" p11 --login --pin "$PIN" -O
check "with CKR_PIN_LOCKED from the wrapper" \
    log_has '^C_Login rv=0x000000a4 CKR_PIN_LOCKED (p11fault)$'
check "the counter is kept in the state file" grep -q '^tries-left 0$' "$STATE"
check "the SO unblocks the PIN with C_InitPIN" \
    p11 --login --login-type so --so-pin "$SOPIN" --init-pin --new-pin "$PIN"
check "token info" token_flags
check "no longer locked" flag_clear 'user PIN locked'
check "the right PIN logs in again" p11 --login --pin "$PIN" -O

echo "# pinpad"
setconf pinpad
printf '%s\n' "$PIN" >"$W/pad"
check "token info" token_flags
check "the token reports a PIN pad" flag_set 'PIN pad present'
: >"$W/log"
check "a login without --pin takes the PIN from the pad" \
    eval 'MH_P11FAULT_PINPAD="$W/pad" p11 --login -O && out_has "Private Key Object"'
check "with one C_Login" test "$(log_count C_Login)" -eq 1
printf '0000\n' >"$W/badpad"
refute "a wrong PIN typed on the pad is refused" \
    eval 'MH_P11FAULT_PINPAD="$W/badpad" p11 --login -O'
check "with CKR_PIN_INCORRECT" out_has CKR_PIN_INCORRECT
refute "no PIN typed (pad cancelled) is refused" \
    eval 'MH_P11FAULT_PINPAD="$W/none" p11 --login -O'
check "with CKR_FUNCTION_CANCELED" out_has CKR_FUNCTION_CANCELED

echo "# always-authenticate"
setconf always-authenticate
: >"$W/log"
check "pkcs11-tool signs, giving the PIN again for the key" \
    eval 'MH_P11FAULT_USER_PIN="$W/userpin" sign'
check "the signature verifies" verify "$W/hash"
check "C_Login was called twice" test "$(log_count C_Login)" -eq 2
check "the second time context-specific, answered by the wrapper" \
    log_has '^C_Login rv=0x00000000 CKR_OK (p11fault)$'
printf '5678\n' >"$W/otherpin"
refute "a context-specific PIN that does not match is refused" \
    eval 'MH_P11FAULT_USER_PIN="$W/otherpin" sign'
check "with CKR_PIN_INCORRECT" out_has CKR_PIN_INCORRECT
refute "the log still holds no PIN" grep -q -e "$PIN" -e 5678 -e "$SOPIN" "$W/log"

if [ -n "$DRIVE" ]; then
    echo "# in one process: $DRIVE"
    setconf ''
    if MH_P11FAULT_CONF="$W/drive.conf" MH_P11FAULT_PINPAD="$W/pad" \
        MH_P11FAULT_USER_PIN="$W/userpin" "$DRIVE" "$MOD" "$PIN"; then
        ok "in-process checks"
    else
        bad "in-process checks"
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
