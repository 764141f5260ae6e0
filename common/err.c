#include "mh_common.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const messages[] = {
    [0] = "success",
    [-MH_ERR_NOMEM] = "out of memory",
    [-MH_ERR_INVALID_ARG] = "invalid argument",
    [-MH_ERR_IO] = "a file could not be read or written; check the path and permissions",
    [-MH_ERR_PARSE] = "the input is malformed and could not be read",
    [-MH_ERR_TOO_LARGE] = "the input is larger than mohur accepts",
    [-MH_ERR_NOT_FOUND] = "not found",
    [-MH_ERR_UNSUPPORTED] = "this is not supported",
    [-MH_ERR_INTERNAL] = "internal error in mohur; please report it",
    [-MH_ERR_BUFFER_TOO_SMALL] = "internal error: an output buffer was too small",
    [-MH_ERR_VERIFY_FAILED] = "the signature is not valid",
    [-MH_ERR_ALREADY_EXISTS] = "it already exists",
    [-MH_ERR_CANCELLED] = "the operation was cancelled",
    [-MH_ERR_PERMISSION] = "permission denied",
    [-MH_ERR_MODULE_LOAD] = "the PKCS#11 module could not be loaded; check the module path",
    [-MH_ERR_MODULE_NOT_ALLOWED] =
        "the PKCS#11 module is outside the allowed directories; install it there or "
        "add its directory to MOHUR_MODULE_DIRS",
    [-MH_ERR_URI] = "the PKCS#11 URI is malformed (expected pkcs11:token=...;object=...)",
    [-MH_ERR_TOKEN_NOT_FOUND] = "no token matches; check that the card is inserted and the "
                                "token label in the URI",
    [-MH_ERR_TOKEN_AMBIGUOUS] =
        "more than one token matches; add token= or serial= to the URI to choose one",
    [-MH_ERR_TOKEN_REMOVED] = "the token was removed or is not present; insert it and try again",
    [-MH_ERR_TOKEN_FAILED] = "the token or its reader failed; remove and re-insert it",
    [-MH_ERR_TOKEN_READ_ONLY] = "the token is write-protected",
    [-MH_ERR_TOKEN_FULL] = "the token has no room left for new objects",
    [-MH_ERR_TOKEN_BUSY] = "the token is busy; try again",
    [-MH_ERR_PIN_INCORRECT] = "the PIN is incorrect",
    [-MH_ERR_PIN_LOCKED] = "the PIN is locked after too many wrong tries; the security officer "
                           "must unblock it",
    [-MH_ERR_PIN_INVALID] = "the PIN has characters or a length the token does not accept",
    [-MH_ERR_PIN_EXPIRED] = "the PIN has expired and must be changed first",
    [-MH_ERR_PIN_REQUIRED] = "this needs the token's PIN; give pin-source=file:... in the URI "
                             "or run from a terminal to be asked",
    [-MH_ERR_PIN_IN_URI] = "a PIN must not be written in a URI or on the command line; put it "
                           "in a file readable only by you and use pin-source=file:PATH",
    [-MH_ERR_KEY_NOT_FOUND] = "no key matches; check object= or id= in the URI "
                              "(mohur key list shows the keys)",
    [-MH_ERR_KEY_AMBIGUOUS] = "more than one key matches; add object= or id= to the URI",
    [-MH_ERR_KEY_TYPE] = "the key's type does not fit this operation or algorithm",
    [-MH_ERR_MECHANISM] = "the token does not support this algorithm",
    [-MH_ERR_KEY_NOT_PERMITTED] = "the token does not allow this key to be used for this",
    [-MH_ERR_DATA_INVALID] = "the data has a length or form the token does not accept",
    [-MH_ERR_SESSION] = "the session with the token was lost; try again",
    [-MH_ERR_P11] = "the PKCS#11 module reported an error",
    [-MH_ERR_UNSUPPORTED_ALG] = "the signature or key algorithm is not supported",
    [-MH_ERR_CERT_EXPIRED] = "the certificate has expired",
    [-MH_ERR_CERT_NOT_YET_VALID] = "the certificate is not valid yet",
    [-MH_ERR_CERT_REVOKED] = "the certificate was revoked",
    [-MH_ERR_CERT_UNTRUSTED] = "the certificate does not lead to a trusted authority",
    [-MH_ERR_CERT_INVALID] = "the certificate is not valid for this use",
    [-MH_ERR_CRL_MISSING] = "no current revocation list (CRL) was found for a certificate",
    [-MH_ERR_CRL_INVALID] = "a revocation list (CRL) is invalid or out of date",
    [-MH_ERR_POLICY] = "the certificates do not carry an acceptable certificate policy",
    [-MH_ERR_NAME_CONSTRAINTS] = "a name is outside what the issuing authority may certify",
    [-MH_ERR_KEY_USAGE] = "the key is not allowed to be used for this purpose",
    [-MH_ERR_CRITICAL_EXT] = "a certificate has a critical extension mohur does not know",
    [-MH_ERR_PATH_LEN] = "the chain of authorities is longer than allowed",
    [-MH_ERR_CMS] = "the signed file (CMS) is malformed or inconsistent",
    [-MH_ERR_TIMESTAMP] = "the timestamp is invalid",
    [-MH_ERR_ALG_REFUSED] =
        "the signature uses an algorithm or key the verification policy refuses "
        "(such as SHA-1 or a short RSA key); it was not accepted",
    [-MH_ERR_LEDGER_CORRUPT] = "the ledger is damaged; restore it from a backup or a mirror",
    [-MH_ERR_LEDGER_FULL] = "the ledger's file is full; raise its map size",
    [-MH_ERR_LEDGER_LOCKED] = "another process is writing to the ledger",
    [-MH_ERR_LEDGER_FORK] =
        "the log is not consistent with a version seen before: it was rewritten or forked",
    [-MH_ERR_PROOF_INVALID] = "the proof does not verify",
    [-MH_ERR_DISK_FULL] = "the disk is full",
};

const char *mh_strerror(int err)
{
    if (err > 0 || err <= MH_ERR_LAST_)
        return "unknown error";
    const char *m = messages[-err];
    return m ? m : "unknown error";
}

/* The sentence and the code it explains, per thread. */
static _Thread_local char detail[512];
static _Thread_local int detail_code;

int mh_err_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    detail_code = code;
    return code;
}

void mh_err_clear(void)
{
    detail[0] = '\0';
    detail_code = MH_OK;
}

const char *mh_err_message(int code)
{
    return code != MH_OK && code == detail_code && detail[0] ? detail : mh_strerror(code);
}
