/* ckr.c - every CKR_* value mapped to one of our codes and a sentence. */
#include <stdio.h>

#include "hsm_internal.h"

struct ckr_row {
    CK_RV rv;
    const char *name;
    int err;
    const char *text;
};

#define R(n, e, t)                                                                                 \
    {                                                                                              \
        n, #n, e, t                                                                                \
    }
static const struct ckr_row rows[] = {
    R(CKR_OK, MH_OK, "success"),
    R(CKR_CANCEL, MH_ERR_CANCELLED, "the operation was cancelled"),
    R(CKR_HOST_MEMORY, MH_ERR_NOMEM, "the computer ran out of memory"),
    R(CKR_SLOT_ID_INVALID, MH_ERR_TOKEN_NOT_FOUND, "the card reader (slot) no longer exists"),
    R(CKR_GENERAL_ERROR, MH_ERR_TOKEN_FAILED,
      "the token or its driver failed; remove and re-insert the token"),
    R(CKR_FUNCTION_FAILED, MH_ERR_TOKEN_FAILED, "the token could not carry out the request"),
    R(CKR_ARGUMENTS_BAD, MH_ERR_INTERNAL, "mohur passed bad arguments to the token driver"),
    R(CKR_NO_EVENT, MH_ERR_P11, "no slot event happened"),
    R(CKR_NEED_TO_CREATE_THREADS, MH_ERR_MODULE_LOAD, "the token driver needs its own threads"),
    R(CKR_CANT_LOCK, MH_ERR_MODULE_LOAD, "the token driver cannot be used from several threads"),
    R(CKR_ATTRIBUTE_READ_ONLY, MH_ERR_PERMISSION, "the token does not let this be changed"),
    R(CKR_ATTRIBUTE_SENSITIVE, MH_ERR_PERMISSION, "the token keeps this value secret"),
    R(CKR_ATTRIBUTE_TYPE_INVALID, MH_ERR_UNSUPPORTED,
      "the token does not know one of the requested attributes"),
    R(CKR_ATTRIBUTE_VALUE_INVALID, MH_ERR_UNSUPPORTED,
      "the token does not accept one of the requested values"),
    R(CKR_ACTION_PROHIBITED, MH_ERR_PERMISSION, "the token's policy forbids this action"),
    R(CKR_DATA_INVALID, MH_ERR_DATA_INVALID, "the token refused the data to be signed"),
    R(CKR_DATA_LEN_RANGE, MH_ERR_DATA_INVALID, "the data has a length the token does not accept"),
    R(CKR_DEVICE_ERROR, MH_ERR_TOKEN_FAILED,
      "the token reported a hardware error; remove and re-insert it"),
    R(CKR_DEVICE_MEMORY, MH_ERR_TOKEN_FULL, "the token has no memory left"),
    R(CKR_DEVICE_REMOVED, MH_ERR_TOKEN_REMOVED,
      "the token was removed; insert it again and repeat the operation"),
    R(CKR_ENCRYPTED_DATA_INVALID, MH_ERR_DATA_INVALID, "the encrypted data is invalid"),
    R(CKR_ENCRYPTED_DATA_LEN_RANGE, MH_ERR_DATA_INVALID, "the encrypted data has a bad length"),
    R(CKR_FUNCTION_CANCELED, MH_ERR_CANCELLED, "the operation was cancelled at the token"),
    R(CKR_FUNCTION_NOT_PARALLEL, MH_ERR_UNSUPPORTED, "the token cannot run this in parallel"),
    R(CKR_FUNCTION_NOT_SUPPORTED, MH_ERR_UNSUPPORTED, "the token driver does not support this"),
    R(CKR_KEY_HANDLE_INVALID, MH_ERR_KEY_NOT_FOUND, "the key is no longer on the token"),
    R(CKR_KEY_SIZE_RANGE, MH_ERR_KEY_TYPE, "the token does not support this key size"),
    R(CKR_KEY_TYPE_INCONSISTENT, MH_ERR_KEY_TYPE,
      "the key's type does not fit the chosen algorithm"),
    R(CKR_KEY_NOT_NEEDED, MH_ERR_INTERNAL, "a key was given where none is needed"),
    R(CKR_KEY_CHANGED, MH_ERR_KEY_NOT_FOUND, "the key on the token has changed"),
    R(CKR_KEY_NEEDED, MH_ERR_INTERNAL, "the token needs a key that was not given"),
    R(CKR_KEY_INDIGESTIBLE, MH_ERR_UNSUPPORTED, "the token cannot digest this key"),
    R(CKR_KEY_FUNCTION_NOT_PERMITTED, MH_ERR_KEY_NOT_PERMITTED,
      "the token does not allow this key to be used for this"),
    R(CKR_KEY_NOT_WRAPPABLE, MH_ERR_PERMISSION, "the key cannot be wrapped"),
    R(CKR_KEY_UNEXTRACTABLE, MH_ERR_PERMISSION, "the key cannot leave the token"),
    R(CKR_MECHANISM_INVALID, MH_ERR_MECHANISM, "the token does not support this algorithm"),
    R(CKR_MECHANISM_PARAM_INVALID, MH_ERR_MECHANISM,
      "the token does not support these algorithm parameters"),
    R(CKR_OBJECT_HANDLE_INVALID, MH_ERR_KEY_NOT_FOUND, "the object is no longer on the token"),
    R(CKR_OPERATION_ACTIVE, MH_ERR_TOKEN_BUSY, "another operation is running on this session"),
    R(CKR_OPERATION_NOT_INITIALIZED, MH_ERR_INTERNAL, "the token operation was not started"),
    R(CKR_PIN_INCORRECT, MH_ERR_PIN_INCORRECT, "the PIN is incorrect"),
    R(CKR_PIN_INVALID, MH_ERR_PIN_INVALID, "the PIN contains characters the token does not accept"),
    R(CKR_PIN_LEN_RANGE, MH_ERR_PIN_INVALID, "the PIN is too short or too long for this token"),
    R(CKR_PIN_EXPIRED, MH_ERR_PIN_EXPIRED, "the PIN has expired; change it first"),
    R(CKR_PIN_LOCKED, MH_ERR_PIN_LOCKED,
      "the PIN is locked after too many wrong tries; the security officer must unblock it"),
    R(CKR_SESSION_CLOSED, MH_ERR_SESSION, "the session with the token was closed"),
    R(CKR_SESSION_COUNT, MH_ERR_TOKEN_BUSY, "the token has too many open sessions"),
    R(CKR_SESSION_HANDLE_INVALID, MH_ERR_SESSION,
      "the session with the token is no longer valid (was the token re-inserted?)"),
    R(CKR_SESSION_PARALLEL_NOT_SUPPORTED, MH_ERR_UNSUPPORTED,
      "the token does not support parallel sessions"),
    R(CKR_SESSION_READ_ONLY, MH_ERR_TOKEN_READ_ONLY, "the session with the token is read-only"),
    R(CKR_SESSION_EXISTS, MH_ERR_TOKEN_BUSY, "a session with the token is already open"),
    R(CKR_SESSION_READ_ONLY_EXISTS, MH_ERR_TOKEN_BUSY, "a read-only session is open"),
    R(CKR_SESSION_READ_WRITE_SO_EXISTS, MH_ERR_TOKEN_BUSY,
      "the security officer is logged in to the token"),
    R(CKR_SIGNATURE_INVALID, MH_ERR_VERIFY_FAILED, "the signature is not valid"),
    R(CKR_SIGNATURE_LEN_RANGE, MH_ERR_VERIFY_FAILED, "the signature has the wrong length"),
    R(CKR_TEMPLATE_INCOMPLETE, MH_ERR_INTERNAL, "the token needs more attributes"),
    R(CKR_TEMPLATE_INCONSISTENT, MH_ERR_UNSUPPORTED,
      "the token does not accept this combination of attributes"),
    R(CKR_TOKEN_NOT_PRESENT, MH_ERR_TOKEN_REMOVED,
      "no token is in the reader; insert it and try again"),
    R(CKR_TOKEN_NOT_RECOGNIZED, MH_ERR_TOKEN_FAILED, "the token in the reader is not recognised"),
    R(CKR_TOKEN_WRITE_PROTECTED, MH_ERR_TOKEN_READ_ONLY, "the token is write-protected"),
    R(CKR_UNWRAPPING_KEY_SIZE_RANGE, MH_ERR_KEY_TYPE, "the unwrapping key has a bad size"),
    R(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT, MH_ERR_KEY_TYPE, "the unwrapping key has a bad type"),
    R(CKR_USER_ALREADY_LOGGED_IN, MH_OK, "already logged in"),
    R(CKR_USER_NOT_LOGGED_IN, MH_ERR_PIN_REQUIRED, "the token needs its PIN first"),
    R(CKR_USER_PIN_NOT_INITIALIZED, MH_ERR_PIN_REQUIRED,
      "the token's user PIN has not been set; initialise the token first"),
    R(CKR_USER_TYPE_INVALID, MH_ERR_INTERNAL, "invalid user type"),
    R(CKR_USER_ANOTHER_ALREADY_LOGGED_IN, MH_ERR_TOKEN_BUSY,
      "another user is logged in to the token"),
    R(CKR_USER_TOO_MANY_TYPES, MH_ERR_TOKEN_BUSY, "too many users are logged in to the token"),
    R(CKR_WRAPPED_KEY_INVALID, MH_ERR_DATA_INVALID, "the wrapped key is invalid"),
    R(CKR_WRAPPED_KEY_LEN_RANGE, MH_ERR_DATA_INVALID, "the wrapped key has a bad length"),
    R(CKR_WRAPPING_KEY_HANDLE_INVALID, MH_ERR_KEY_NOT_FOUND, "the wrapping key is gone"),
    R(CKR_WRAPPING_KEY_SIZE_RANGE, MH_ERR_KEY_TYPE, "the wrapping key has a bad size"),
    R(CKR_WRAPPING_KEY_TYPE_INCONSISTENT, MH_ERR_KEY_TYPE, "the wrapping key has a bad type"),
    R(CKR_RANDOM_SEED_NOT_SUPPORTED, MH_ERR_UNSUPPORTED, "the token cannot be seeded"),
    R(CKR_RANDOM_NO_RNG, MH_ERR_UNSUPPORTED, "the token has no random number generator"),
    R(CKR_DOMAIN_PARAMS_INVALID, MH_ERR_KEY_TYPE, "the token does not accept these parameters"),
    R(CKR_CURVE_NOT_SUPPORTED, MH_ERR_KEY_TYPE, "the token does not support this curve"),
    R(CKR_BUFFER_TOO_SMALL, MH_ERR_BUFFER_TOO_SMALL, "an output buffer was too small"),
    R(CKR_SAVED_STATE_INVALID, MH_ERR_P11, "the saved state is invalid"),
    R(CKR_INFORMATION_SENSITIVE, MH_ERR_PERMISSION, "the token keeps this information secret"),
    R(CKR_STATE_UNSAVEABLE, MH_ERR_P11, "the state cannot be saved"),
    R(CKR_CRYPTOKI_NOT_INITIALIZED, MH_ERR_INTERNAL, "the token driver was not initialised"),
    R(CKR_CRYPTOKI_ALREADY_INITIALIZED, MH_ERR_INTERNAL,
      "the token driver was already initialised"),
    R(CKR_MUTEX_BAD, MH_ERR_INTERNAL, "bad mutex"),
    R(CKR_MUTEX_NOT_LOCKED, MH_ERR_INTERNAL, "mutex not locked"),
    R(CKR_NEW_PIN_MODE, MH_ERR_PIN_EXPIRED, "the token asks for a new PIN"),
    R(CKR_NEXT_OTP, MH_ERR_PIN_INCORRECT, "the token asks for the next one-time password"),
    R(CKR_EXCEEDED_MAX_ITERATIONS, MH_ERR_TOKEN_FAILED, "the token gave up after too many tries"),
    R(CKR_FIPS_SELF_TEST_FAILED, MH_ERR_TOKEN_FAILED, "the token failed its self test"),
    R(CKR_LIBRARY_LOAD_FAILED, MH_ERR_MODULE_LOAD, "the token driver could not load a library"),
    R(CKR_PIN_TOO_WEAK, MH_ERR_PIN_INVALID, "the new PIN is too weak"),
    R(CKR_PUBLIC_KEY_INVALID, MH_ERR_KEY_TYPE, "the public key is invalid"),
    R(CKR_FUNCTION_REJECTED, MH_ERR_CANCELLED, "the request was rejected at the token"),
};
#undef R

static const struct ckr_row *find(CK_RV rv)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].rv == rv)
            return &rows[i];
    }
    return NULL;
}

const char *mh_ckr_name(CK_RV rv)
{
    const struct ckr_row *r = find(rv);
    return r ? r->name : "CKR_VENDOR_DEFINED";
}

int mh_ckr_is_lost(CK_RV rv)
{
    return rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT ||
           rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED || rv == CKR_DEVICE_ERROR ||
           rv == CKR_TOKEN_NOT_RECOGNIZED;
}

int mh_p11_err(CK_RV rv, const char *doing)
{
    const struct ckr_row *r = find(rv);
    if (!r) {
        mh_err_set(MH_ERR_P11, "%s: the token driver reported an unknown error 0x%lx", doing,
                   (unsigned long)rv);
        return MH_ERR_P11;
    }
    if (r->err == MH_OK)
        return MH_OK;
    mh_err_set(r->err, "%s: %s (%s)", doing, r->text, r->name);
    return r->err;
}
