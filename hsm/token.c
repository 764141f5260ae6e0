/* token.c - slots, tokens and the session pool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsm_internal.h"

void mh_p11_str(char *dst, size_t cap, const CK_UTF8CHAR *src, size_t srclen)
{
    size_t n = srclen < cap - 1 ? srclen : cap - 1;
    memcpy(dst, src, n);
    while (n && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
        n--;
    dst[n] = '\0';
}

static const char *pin_state(CK_FLAGS f, int *tries)
{
    if (f & CKF_USER_PIN_LOCKED) {
        *tries = 0;
        return "locked";
    }
    if (f & CKF_USER_PIN_FINAL_TRY) {
        *tries = 1;
        return "final try";
    }
    if (f & CKF_USER_PIN_COUNT_LOW) {
        *tries = 2;
        return "tries running low (a wrong PIN was entered)";
    }
    *tries = -1;
    return "ok";
}

static void fill_token(mh_hsm_token_info *ti, const CK_TOKEN_INFO *t)
{
    mh_p11_str(ti->label, sizeof ti->label, t->label, sizeof t->label);
    mh_p11_str(ti->manufacturer, sizeof ti->manufacturer, t->manufacturerID,
               sizeof t->manufacturerID);
    mh_p11_str(ti->model, sizeof ti->model, t->model, sizeof t->model);
    mh_p11_str(ti->serial, sizeof ti->serial, t->serialNumber, sizeof t->serialNumber);
    ti->flags = t->flags;
    ti->initialized = (t->flags & CKF_TOKEN_INITIALIZED) != 0;
    ti->login_required = (t->flags & CKF_LOGIN_REQUIRED) != 0;
    ti->protected_auth_path = (t->flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
    ti->write_protected = (t->flags & CKF_WRITE_PROTECTED) != 0;
    ti->pin_state = pin_state(t->flags, &ti->user_pin_tries);
    ti->min_pin = t->ulMinPinLen;
    ti->max_pin = t->ulMaxPinLen;
}

/* The slot list; *slots is malloc'd. */
static int slot_list(mh_hsm_module *mod, CK_BBOOL present, CK_SLOT_ID **slots, CK_ULONG *n)
{
    CK_ULONG count = 0;
    CK_SLOT_ID *list = NULL;
    *slots = NULL;
    *n = 0;
    for (int tries = 0; tries < 4; tries++) {
        CK_RV rv = mod->f->C_GetSlotList(present, NULL, &count);
        if (rv != CKR_OK)
            return mh_p11_err(rv, "listing the card readers");
        if (count == 0)
            return 0;
        free(list);
        list = calloc(count, sizeof *list);
        if (!list)
            return MH_ERR_NOMEM;
        rv = mod->f->C_GetSlotList(present, list, &count);
        if (rv == CKR_BUFFER_TOO_SMALL)
            continue; /* a reader was plugged in meanwhile */
        if (rv != CKR_OK) {
            free(list);
            return mh_p11_err(rv, "listing the card readers");
        }
        *slots = list;
        *n = count;
        return 0;
    }
    free(list);
    mh_err_set(MH_ERR_TOKEN_BUSY, "the list of card readers kept changing; try again");
    return MH_ERR_TOKEN_BUSY;
}

int mh_hsm_slots(mh_hsm_module *mod, mh_hsm_token_info **out, size_t *nout)
{
    CK_SLOT_ID *slots = NULL;
    CK_ULONG n = 0;
    *out = NULL;
    *nout = 0;
    int rc = slot_list(mod, CK_FALSE, &slots, &n);
    if (rc)
        return rc;
    mh_hsm_token_info *v = calloc(n ? n : 1, sizeof *v);
    if (!v) {
        free(slots);
        return MH_ERR_NOMEM;
    }
    size_t k = 0;
    for (CK_ULONG i = 0; i < n; i++) {
        CK_SLOT_INFO si;
        if (mod->f->C_GetSlotInfo(slots[i], &si) != CKR_OK)
            continue;
        mh_hsm_token_info *ti = &v[k++];
        ti->slot_id = slots[i];
        mh_p11_str(ti->slot_description, sizeof ti->slot_description, si.slotDescription,
                   sizeof si.slotDescription);
        ti->pin_state = "no token";
        ti->user_pin_tries = -1;
        ti->token_present = (si.flags & CKF_TOKEN_PRESENT) != 0;
        if (!ti->token_present)
            continue;
        CK_TOKEN_INFO t;
        if (mod->f->C_GetTokenInfo(slots[i], &t) != CKR_OK) {
            ti->token_present = false;
            continue;
        }
        fill_token(ti, &t);
    }
    free(slots);
    *out = v;
    *nout = k;
    return 0;
}

static bool str_match(const char *want, const CK_UTF8CHAR *have, size_t len)
{
    if (!want)
        return true;
    char buf[129];
    mh_p11_str(buf, sizeof buf, have, len);
    return strcmp(want, buf) == 0;
}

/* Finds the one initialised token matching the URI. */
static int find_slot(mh_hsm_module *mod, const mh_p11_uri *u, CK_SLOT_ID *slot,
                     CK_TOKEN_INFO *tinfo)
{
    CK_SLOT_ID *slots = NULL;
    CK_ULONG n = 0;
    int rc = slot_list(mod, CK_TRUE, &slots, &n);
    if (rc)
        return rc;
    int found = 0;
    for (CK_ULONG i = 0; i < n; i++) {
        CK_SLOT_INFO si;
        CK_TOKEN_INFO t;
        if (u->has_slot_id && u->slot_id != slots[i])
            continue;
        if (mod->f->C_GetSlotInfo(slots[i], &si) != CKR_OK ||
            mod->f->C_GetTokenInfo(slots[i], &t) != CKR_OK)
            continue;
        if (!(t.flags & CKF_TOKEN_INITIALIZED))
            continue;
        if (!str_match(u->slot_description, si.slotDescription, sizeof si.slotDescription) ||
            !str_match(u->slot_manufacturer, si.manufacturerID, sizeof si.manufacturerID) ||
            !str_match(u->token, t.label, sizeof t.label) ||
            !str_match(u->manufacturer, t.manufacturerID, sizeof t.manufacturerID) ||
            !str_match(u->serial, t.serialNumber, sizeof t.serialNumber) ||
            !str_match(u->model, t.model, sizeof t.model))
            continue;
        if (found++ == 0) {
            *slot = slots[i];
            *tinfo = t;
        }
    }
    free(slots);
    if (found == 1)
        return 0;
    if (found == 0) {
        if (u->token)
            mh_err_set(MH_ERR_TOKEN_NOT_FOUND,
                       "no token labelled '%s' was found; is the card inserted? "
                       "(mohur token list shows the tokens)",
                       u->token);
        else
            mh_err_set(MH_ERR_TOKEN_NOT_FOUND,
                       "no initialised token was found; insert a card or create a token "
                       "(mohur token init)");
        return MH_ERR_TOKEN_NOT_FOUND;
    }
    mh_err_set(MH_ERR_TOKEN_AMBIGUOUS,
               "%d tokens match; add token= or serial= to the URI to choose one", found);
    return MH_ERR_TOKEN_AMBIGUOUS;
}

static int uri_copy(mh_p11_uri *dst, const mh_p11_uri *src)
{
    char *buf = malloc(8192);
    if (!buf)
        return MH_ERR_NOMEM;
    int rc = mh_p11_uri_format(src, buf, 8192);
    if (!rc)
        rc = mh_p11_uri_parse(buf, dst);
    free(buf);
    return rc;
}

int mh_hsm_token_open(mh_hsm_module *mod, const mh_p11_uri *uri, mh_hsm_token **out)
{
    mh_p11_uri empty;
    memset(&empty, 0, sizeof empty);
    if (!uri)
        uri = &empty;
    *out = NULL;
    CK_SLOT_ID slot = 0;
    CK_TOKEN_INFO t;
    int rc = find_slot(mod, uri, &slot, &t);
    if (rc)
        return rc;
    mh_hsm_token *tok = calloc(1, sizeof *tok);
    if (!tok)
        return MH_ERR_NOMEM;
    tok->mod = mod;
    tok->slot = slot;
    tok->max = mod->cfg.pool_max;
    mh_p11_str(tok->label, sizeof tok->label, t.label, sizeof t.label);
    mh_p11_str(tok->serial, sizeof tok->serial, t.serialNumber, sizeof t.serialNumber);
    tok->pinpad = (t.flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
    tok->free_sessions = calloc(tok->max, sizeof *tok->free_sessions);
    rc = tok->free_sessions ? uri_copy(&tok->uri, uri) : MH_ERR_NOMEM;
    if (rc) {
        free(tok->free_sessions);
        free(tok);
        return rc;
    }
    /* find the same token again after re-insertion, even if its slot moved */
    if (!tok->uri.token && !tok->uri.serial) {
        tok->uri.token = strdup(tok->label);
        tok->uri.serial = strdup(tok->serial);
    }
    pthread_mutex_init(&tok->lock, NULL);
    pthread_cond_init(&tok->cond, NULL);
    pthread_mutex_lock(&mod->lock);
    tok->next = mod->tokens;
    mod->tokens = tok;
    pthread_mutex_unlock(&mod->lock);
    *out = tok;
    return 0;
}

/* Drops every session of the pool (lock held). */
static void drop_pool(mh_hsm_token *tok)
{
    for (unsigned i = 0; i < tok->n_free; i++)
        tok->mod->f->C_CloseSession(tok->free_sessions[i]);
    tok->n_free = 0;
    tok->n_open = 0;
    tok->logged_in = false;
    tok->generation++;
    pthread_cond_broadcast(&tok->cond);
}

void mh_hsm_token_close(mh_hsm_token *tok)
{
    if (!tok)
        return;
    mh_hsm_module *mod = tok->mod;
    pthread_mutex_lock(&mod->lock);
    for (mh_hsm_token **p = &mod->tokens; *p; p = &(*p)->next) {
        if (*p == tok) {
            *p = tok->next;
            break;
        }
    }
    pthread_mutex_unlock(&mod->lock);
    pthread_mutex_lock(&tok->lock);
    if (tok->logged_in && tok->n_free > 0)
        mod->f->C_Logout(tok->free_sessions[0]);
    drop_pool(tok);
    pthread_mutex_unlock(&tok->lock);
    pthread_mutex_destroy(&tok->lock);
    pthread_cond_destroy(&tok->cond);
    mh_p11_uri_free(&tok->uri);
    free(tok->free_sessions);
    free(tok);
}

int mh_hsm_token_info_get(mh_hsm_token *tok, mh_hsm_token_info *info)
{
    CK_TOKEN_INFO t;
    CK_SLOT_INFO si;
    memset(info, 0, sizeof *info);
    CK_RV rv = tok->mod->f->C_GetSlotInfo(tok->slot, &si);
    if (rv == CKR_OK)
        rv = tok->mod->f->C_GetTokenInfo(tok->slot, &t);
    if (rv != CKR_OK)
        return mh_p11_err(rv, "reading the token's information");
    info->slot_id = tok->slot;
    info->token_present = true;
    mh_p11_str(info->slot_description, sizeof info->slot_description, si.slotDescription,
               sizeof si.slotDescription);
    fill_token(info, &t);
    return 0;
}

/* Finds the token again after it was lost (lock held). */
static int rebuild(mh_hsm_token *tok)
{
    CK_SLOT_ID slot;
    CK_TOKEN_INFO t;
    /* sessions of the old slot are dead: close whatever the module still
     * tracks so it logs us out and frees them */
    tok->mod->f->C_CloseAllSessions(tok->slot);
    drop_pool(tok);
    int rc = find_slot(tok->mod, &tok->uri, &slot, &t);
    if (rc) {
        if (rc == MH_ERR_TOKEN_NOT_FOUND) {
            mh_err_set(MH_ERR_TOKEN_REMOVED,
                       "the token '%s' is not present; insert it and try again", tok->label);
            rc = MH_ERR_TOKEN_REMOVED;
        }
        return rc;
    }
    tok->slot = slot;
    tok->pinpad = (t.flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
    tok->lost = false;
    return 0;
}

int mh_tok_borrow(mh_hsm_token *tok, CK_SESSION_HANDLE *s, unsigned long *gen)
{
    int rc = 0;
    pthread_mutex_lock(&tok->lock);
    for (;;) {
        if (tok->lost) {
            rc = rebuild(tok);
            if (rc)
                break;
        }
        CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
        if (tok->n_free > 0) {
            h = tok->free_sessions[--tok->n_free];
        } else if (tok->n_open < tok->max) {
            CK_RV rv = tok->mod->f->C_OpenSession(tok->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                                  NULL, NULL, &h);
            if (rv == CKR_TOKEN_WRITE_PROTECTED)
                rv = tok->mod->f->C_OpenSession(tok->slot, CKF_SERIAL_SESSION, NULL, NULL, &h);
            if (rv != CKR_OK) {
                rc = mh_p11_err(rv, "opening a session with the token");
                if (mh_ckr_is_lost(rv) || rv == CKR_SLOT_ID_INVALID)
                    tok->lost = true;
                break;
            }
            tok->n_open++;
        } else {
            pthread_cond_wait(&tok->cond, &tok->lock);
            continue;
        }
        if (tok->want_login && !tok->logged_in) {
            rc = mh_tok_login_locked(tok, h);
            if (rc) {
                tok->free_sessions[tok->n_free++] = h;
                pthread_cond_signal(&tok->cond);
                break;
            }
        }
        *s = h;
        *gen = tok->generation;
        break;
    }
    pthread_mutex_unlock(&tok->lock);
    return rc;
}

void mh_tok_return(mh_hsm_token *tok, CK_SESSION_HANDLE s, unsigned long gen, CK_RV rv)
{
    pthread_mutex_lock(&tok->lock);
    if (gen != tok->generation) {
        /* from a pool that was dropped meanwhile */
        tok->mod->f->C_CloseSession(s);
    } else if (mh_ckr_is_lost(rv)) {
        tok->mod->f->C_CloseSession(s);
        tok->n_open--;
        tok->lost = true;
        drop_pool(tok);
    } else {
        if (rv == CKR_USER_NOT_LOGGED_IN)
            tok->logged_in = false; /* logged out behind our back */
        tok->free_sessions[tok->n_free++] = s;
        pthread_cond_signal(&tok->cond);
    }
    pthread_mutex_unlock(&tok->lock);
}

int mh_hsm_token_init(mh_hsm_module *mod, const char *label, const char *so_pin,
                      const char *user_pin, unsigned long *slot_id)
{
    CK_SLOT_ID *slots = NULL;
    CK_ULONG n = 0;
    if (!label || !*label || strlen(label) > 32) {
        mh_err_set(MH_ERR_INVALID_ARG, "a token label must be 1 to 32 bytes long");
        return MH_ERR_INVALID_ARG;
    }
    int rc = slot_list(mod, CK_TRUE, &slots, &n);
    if (rc)
        return rc;
    CK_SLOT_ID slot = 0;
    bool have = false;
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO t;
        if (mod->f->C_GetTokenInfo(slots[i], &t) != CKR_OK)
            continue;
        if (str_match(label, t.label, sizeof t.label) && (t.flags & CKF_TOKEN_INITIALIZED)) {
            free(slots);
            mh_err_set(MH_ERR_ALREADY_EXISTS, "a token labelled '%s' already exists", label);
            return MH_ERR_ALREADY_EXISTS;
        }
        if (!have && !(t.flags & CKF_TOKEN_INITIALIZED)) {
            slot = slots[i];
            have = true;
        }
    }
    free(slots);
    if (!have) {
        mh_err_set(MH_ERR_TOKEN_NOT_FOUND, "no uninitialised token is free in this module");
        return MH_ERR_TOKEN_NOT_FOUND;
    }
    CK_UTF8CHAR lab[32];
    memset(lab, ' ', sizeof lab);
    memcpy(lab, label, strlen(label));
    CK_RV rv = mod->f->C_InitToken(slot, (CK_UTF8CHAR_PTR)(uintptr_t)so_pin,
                                   (CK_ULONG)strlen(so_pin), lab);
    if (rv != CKR_OK)
        return mh_p11_err(rv, "initialising the token");
    /* SoftHSM2 moves a freshly initialised token to a new slot id */
    mh_p11_uri u;
    memset(&u, 0, sizeof u);
    u.token = (char *)(uintptr_t)label;
    CK_TOKEN_INFO t;
    rc = find_slot(mod, &u, &slot, &t);
    if (rc)
        return rc;
    CK_SESSION_HANDLE s;
    rv = mod->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
    if (rv != CKR_OK)
        return mh_p11_err(rv, "opening a session with the new token");
    rv = mod->f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)(uintptr_t)so_pin, (CK_ULONG)strlen(so_pin));
    if (rv == CKR_OK) {
        rv = mod->f->C_InitPIN(s, (CK_UTF8CHAR_PTR)(uintptr_t)user_pin, (CK_ULONG)strlen(user_pin));
        mod->f->C_Logout(s);
    }
    mod->f->C_CloseSession(s);
    if (rv != CKR_OK)
        return mh_p11_err(rv, "setting the user PIN of the new token");
    if (slot_id)
        *slot_id = slot;
    return 0;
}
