/*
 * p11.c - opening modules, tokens and keys for `mohur` commands.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int mh_cli_parse_uri(mh_cli_ctx *c, const char *text, const char *what, const char *module)
{
    int ret = MH_EXIT_USAGE;
    int rc;

    rc = mh_p11_uri_parse(text, &c->uri);
    if (rc) {
        /* Never quote `text`: it may hold the PIN the parser refused. */
        ret = mh_cli_fail(rc, "reading the URI given with %s", what);
        goto out;
    }
    c->uri_parsed = true;
    if (module && *module) {
        char *dup = strdup(module);
        if (!dup) {
            ret = mh_cli_fail(MH_ERR_NOMEM, "reading --module");
            goto out;
        }
        free(c->uri.module_path);
        free(c->uri.module_name);
        c->uri.module_path = NULL;
        c->uri.module_name = NULL;
        if (strchr(module, '/'))
            c->uri.module_path = dup;
        else
            c->uri.module_name = dup;
    }

    /* Names for messages. */
    if (c->uri.token)
        snprintf(c->token_name, sizeof c->token_name, "token '%.60s'", c->uri.token);
    else if (c->uri.serial)
        snprintf(c->token_name, sizeof c->token_name, "the token with serial %.40s", c->uri.serial);
    else if (c->uri.has_slot_id)
        snprintf(c->token_name, sizeof c->token_name, "the token in slot %lu", c->uri.slot_id);
    else
        snprintf(c->token_name, sizeof c->token_name, "the token");
    if (c->uri.object) {
        snprintf(c->key_name, sizeof c->key_name, "key '%.60s' on %s", c->uri.object,
                 c->token_name);
    } else if (c->uri.has_id) {
        char hex[2 * 16 + 1];
        mh_cli_hex_encode(c->uri.id, c->uri.id_len > 16 ? 16 : c->uri.id_len, hex, sizeof hex);
        snprintf(c->key_name, sizeof c->key_name, "key with id %s%s on %s", hex,
                 c->uri.id_len > 16 ? "..." : "", c->token_name);
    } else {
        snprintf(c->key_name, sizeof c->key_name, "the key on %s", c->token_name);
    }
    ret = MH_EXIT_OK;
out:
    return ret;
}

int mh_cli_load_module(mh_cli_ctx *c)
{
    mh_hsm_config cfg;
    int rc;

    memset(&cfg, 0, sizeof cfg);
    cfg.pool_max = 1; /* one command, one session */
    rc = mh_hsm_module_load(&c->uri, &cfg, &c->mod);
    if (rc) {
        c->mod = NULL;
        const char *name = c->uri.module_path   ? c->uri.module_path
                           : c->uri.module_name ? c->uri.module_name
                                                : "SoftHSM2 (the default)";
        return mh_cli_fail(rc, "loading the PKCS#11 module %s", name);
    }
    return MH_EXIT_OK;
}

int mh_cli_login(mh_cli_ctx *c)
{
    int rc;

    if (mh_hsm_logged_in(c->tok))
        return MH_EXIT_OK;
    rc = mh_hsm_login(c->tok);
    if (rc)
        return mh_cli_fail(rc, "logging in to %s", c->token_name);
    return MH_EXIT_OK;
}

int mh_cli_open_token(mh_cli_ctx *c, const char *text, const char *module, enum mh_cli_login login)
{
    int ret;
    int rc;

    ret = mh_cli_parse_uri(c, text, "--token", module);
    if (ret)
        goto out;
    ret = mh_cli_load_module(c);
    if (ret)
        goto out;
    rc = mh_hsm_token_open(c->mod, &c->uri, &c->tok);
    if (rc) {
        c->tok = NULL;
        ret = mh_cli_fail(rc, "opening %s", c->token_name);
        goto out;
    }
    if (login == MH_CLI_LOGIN_ALWAYS || (login == MH_CLI_LOGIN_IF_NEEDED && c->uri.pin_source)) {
        ret = mh_cli_login(c);
        if (ret)
            goto out;
    }
    ret = MH_EXIT_OK;
out:
    return ret;
}

int mh_cli_open_key(mh_cli_ctx *c, const char *text, const char *module, enum mh_cli_login login)
{
    int ret;
    int rc;

    ret = mh_cli_parse_uri(c, text, "--key", module);
    if (ret)
        goto out;
    ret = mh_cli_load_module(c);
    if (ret)
        goto out;
    rc = mh_hsm_token_open(c->mod, &c->uri, &c->tok);
    if (rc) {
        c->tok = NULL;
        ret = mh_cli_fail(rc, "opening %s", c->token_name);
        goto out;
    }
    if (login == MH_CLI_LOGIN_ALWAYS || (login == MH_CLI_LOGIN_IF_NEEDED && c->uri.pin_source)) {
        ret = mh_cli_login(c);
        if (ret)
            goto out;
    }
    rc = mh_hsm_key_find(c->tok, &c->uri, &c->key);
    if (rc == MH_ERR_KEY_NOT_FOUND && login == MH_CLI_LOGIN_IF_NEEDED &&
        !mh_hsm_logged_in(c->tok)) {
        /* The token may hide its keys until the user logs in. */
        mh_hsm_token_info ti;
        bool hides = true;
        if (mh_hsm_token_info_get(c->tok, &ti) == 0)
            hides = ti.login_required;
        if (hides) {
            int lrc = mh_hsm_login(c->tok);
            if (lrc == MH_ERR_PIN_REQUIRED || lrc == MH_ERR_CANCELLED) {
                ret = mh_cli_fail(MH_ERR_KEY_NOT_FOUND, "finding %s", c->key_name);
                fprintf(stderr, "mohur: (the key may be hidden until you log in: add "
                                "pin-source=file:PATH to the URI or run from a terminal)\n");
                goto out;
            }
            if (lrc) {
                ret = mh_cli_fail(lrc, "logging in to %s", c->token_name);
                goto out;
            }
            rc = mh_hsm_key_find(c->tok, &c->uri, &c->key);
        } else {
            rc = MH_ERR_KEY_NOT_FOUND;
        }
    }
    if (rc) {
        c->key = NULL;
        ret = mh_cli_fail(rc, "finding %s", c->key_name);
        goto out;
    }
    ret = MH_EXIT_OK;
out:
    return ret;
}

void mh_cli_close(mh_cli_ctx *c)
{
    if (c->key)
        mh_hsm_key_free(c->key);
    if (c->tok)
        mh_hsm_token_close(c->tok);
    if (c->mod)
        mh_hsm_module_unload(c->mod);
    if (c->uri_parsed)
        mh_p11_uri_free(&c->uri);
    memset(c, 0, sizeof *c);
}
