/*
 * cmd_token.c - `mohur token list` and `mohur token init`.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define PIN_CAP 256

/* ---- token list --------------------------------------------------------- */

struct list_opts {
    const char *module;
    bool json;
};
static const struct mh_cli_opt token_list_rows[] = {
    {MH_CLI_MODULE(struct list_opts, module), .shrt = 'm'},
    {MH_CLI_JSON(struct list_opts, json), .shrt = 'j',
     .help = "print JSON: {\"module\": ..., \"slots\": [{...}, ...]}"},
    {0}};
static const struct mh_cli_spec token_list_spec = {
    .usage = "mohur token list [--module PATH-or-NAME] [--json]",
    .about = "List the slots of a PKCS#11 module and the token in each.\n"
             "\n"
             "For every slot it shows the slot id and description, the token's label,\n"
             "manufacturer, model and serial number, whether it needs a login, has a\n"
             "PIN pad, is write-protected or initialised, the state of the user PIN\n"
             "(\"ok\", \"2 tries left\", \"final try\", \"locked\") and the token's URI,\n"
             "which the other commands take with --token.\n",
    .opts = token_list_rows,
    .more = "Examples:\n"
            "  mohur token list\n"
            "  mohur token list --module opensc-pkcs11 --json\n",
};

/* The URI that names this token: token label and serial, plus the module
 * the user chose (so the URI can be pasted into the next command). */
static int token_uri(const mh_cli_ctx *c, const char *label, const char *serial, char *buf,
                     size_t cap)
{
    mh_p11_uri u;

    memset(&u, 0, sizeof u);
    u.token = (char *)(uintptr_t)label;
    u.serial = serial[0] ? (char *)(uintptr_t)serial : NULL;
    u.module_path = c->uri.module_path;
    u.module_name = c->uri.module_name;
    return mh_p11_uri_format(&u, buf, cap);
}

static const char *flag_list(const mh_hsm_token_info *t, char *buf, size_t cap)
{
    size_t o = 0;
    const char *names[4];
    size_t n = 0;

    if (t->login_required)
        names[n++] = "login required";
    if (t->protected_auth_path)
        names[n++] = "PIN pad";
    if (t->write_protected)
        names[n++] = "write-protected";
    names[n++] = t->initialized ? "initialised" : "not initialised";
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= cap - o)
            break;
        o += (size_t)w;
    }
    return buf;
}

static int cmd_token_list(int argc, char **argv)
{
    struct list_opts o = {NULL, false};
    int ret = MH_EXIT_USAGE;
    mh_cli_ctx c;
    mh_hsm_token_info *slots = NULL;
    size_t n = 0;
    const char *module = NULL;
    bool json = false;
    int rc;

    memset(&c, 0, sizeof c);
    ret = mh_cli_parse(&token_list_spec, argc, argv, &o);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    module = o.module;
    json = o.json;
    ret = mh_cli_parse_uri(&c, "pkcs11:", "--module", module);
    if (ret)
        goto out;
    ret = mh_cli_load_module(&c);
    if (ret)
        goto out;
    rc = mh_hsm_slots(c.mod, &slots, &n);
    if (rc) {
        ret = mh_cli_fail(rc, "listing the slots of %s", mh_hsm_module_path(c.mod));
        goto out;
    }

    if (json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "module");
        mh_json_str(&j, mh_hsm_module_path(c.mod));
        mh_json_key(&j, "slots");
        mh_json_arr_begin(&j);
        for (size_t i = 0; i < n; i++) {
            const mh_hsm_token_info *t = &slots[i];
            char label[33], manuf[33], model[17], serial[17], desc[65], uri[512];
            mh_cli_trim(t->label, label, sizeof label);
            mh_cli_trim(t->manufacturer, manuf, sizeof manuf);
            mh_cli_trim(t->model, model, sizeof model);
            mh_cli_trim(t->serial, serial, sizeof serial);
            mh_cli_trim(t->slot_description, desc, sizeof desc);
            mh_json_obj_begin(&j);
            mh_json_key(&j, "slot_id");
            mh_json_uint(&j, t->slot_id);
            mh_json_key(&j, "description");
            mh_json_str(&j, desc);
            mh_json_key(&j, "token_present");
            mh_json_bool(&j, t->token_present);
            if (t->token_present) {
                mh_json_key(&j, "label");
                mh_json_str(&j, label);
                mh_json_key(&j, "manufacturer");
                mh_json_str(&j, manuf);
                mh_json_key(&j, "model");
                mh_json_str(&j, model);
                mh_json_key(&j, "serial");
                mh_json_str(&j, serial);
                mh_json_key(&j, "initialized");
                mh_json_bool(&j, t->initialized);
                mh_json_key(&j, "login_required");
                mh_json_bool(&j, t->login_required);
                mh_json_key(&j, "pin_pad");
                mh_json_bool(&j, t->protected_auth_path);
                mh_json_key(&j, "write_protected");
                mh_json_bool(&j, t->write_protected);
                mh_json_key(&j, "pin_state");
                mh_json_str(&j, t->pin_state);
                mh_json_key(&j, "user_pin_tries");
                if (t->user_pin_tries < 0)
                    mh_json_null(&j);
                else
                    mh_json_int(&j, t->user_pin_tries);
                mh_json_key(&j, "uri");
                if (t->initialized && token_uri(&c, label, serial, uri, sizeof uri) == 0)
                    mh_json_str(&j, uri);
                else
                    mh_json_null(&j);
            }
            mh_json_obj_end(&j);
        }
        mh_json_arr_end(&j);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else {
        printf("Module %s: %zu slot%s\n", mh_hsm_module_path(c.mod), n, n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++) {
            const mh_hsm_token_info *t = &slots[i];
            char label[33], manuf[33], model[17], serial[17], desc[65], uri[512], fl[128];
            mh_cli_trim(t->label, label, sizeof label);
            mh_cli_trim(t->manufacturer, manuf, sizeof manuf);
            mh_cli_trim(t->model, model, sizeof model);
            mh_cli_trim(t->serial, serial, sizeof serial);
            mh_cli_trim(t->slot_description, desc, sizeof desc);
            printf("\nSlot %lu: %s\n", t->slot_id, desc);
            if (!t->token_present) {
                printf("  (no token present)\n");
                continue;
            }
            if (!t->initialized) {
                printf("  token:        (not initialised; 'mohur token init' sets it up)\n");
                printf("  manufacturer: %s\n  model:        %s\n", manuf, model);
                continue;
            }
            printf("  token:        %s\n", label);
            printf("  manufacturer: %s\n", manuf);
            printf("  model:        %s\n", model);
            printf("  serial:       %s\n", serial);
            printf("  flags:        %s\n", flag_list(t, fl, sizeof fl));
            printf("  user PIN:     %s\n", t->pin_state);
            if (token_uri(&c, label, serial, uri, sizeof uri) == 0)
                printf("  URI:          %s\n", uri);
        }
    }
    if (fflush(stdout) != 0) {
        ret = mh_cli_fail(MH_ERR_IO, "writing the list");
        goto out;
    }
    ret = MH_EXIT_OK;
out:
    free(slots);
    mh_cli_close(&c);
    return ret;
}

/* ---- token init --------------------------------------------------------- */

struct init_opts {
    const char *label, *so_pin_file, *pin_file, *module;
};
static const struct mh_cli_opt token_init_rows[] = {
    {MH_CLI_STR(struct init_opts, label, "label", "L"), .shrt = 'l',
     .help = "the token's label, 1 to 32 bytes; must not be in use"},
    {MH_CLI_STR(struct init_opts, so_pin_file, "so-pin-file", "F"),
     .help = "file holding the security officer PIN"},
    {MH_CLI_STR(struct init_opts, pin_file, "pin-file", "F"),
     .help = "file holding the user PIN (what signing asks for)"},
    {MH_CLI_MODULE(struct init_opts, module), .shrt = 'm'},
    {0}};
static const struct mh_cli_spec token_init_spec = {
    .usage = "mohur token init --label LABEL [--so-pin-file FILE] [--pin-file FILE]\n"
             "                        [--module PATH-or-NAME]",
    .about = "Initialise a new token: give it a label, a security officer (SO) PIN and\n"
             "a user PIN.\n"
             "\n"
             "The token is made in the first slot that holds an uninitialised token\n"
             "(SoftHSM2 always keeps one free). PINs are never taken on the command\n"
             "line: each is read from the first line of a file (make it readable only\n"
             "by you: chmod 600), or, without the file, asked twice at the terminal\n"
             "without echo. On success the new token's URI is printed.\n",
    .opts = token_init_rows,
    .more = "Example:\n"
            "  mohur token init --label Seal --so-pin-file so.pin --pin-file user.pin\n",
};

/* Reads one PIN from a file, or asks it twice at the terminal. */
static int get_new_pin(const char *file, const char *label, const char *role, char *pin, size_t cap)
{
    int ret = MH_EXIT_PIN;
    char again[PIN_CAP];
    char what[160];
    int rc;

    if (file) {
        ret = mh_cli_read_pin_file(file, pin, cap);
        goto out;
    }
    snprintf(what, sizeof what, "the new token '%s' (%s)", label, role);
    rc = mh_hsm_prompt_tty(NULL, what, pin, cap);
    if (rc) {
        ret = mh_cli_fail(rc, "asking for the %s", role);
        goto out;
    }
    snprintf(what, sizeof what, "the new token '%s' (%s, again)", label, role);
    rc = mh_hsm_prompt_tty(NULL, what, again, sizeof again);
    if (rc) {
        ret = mh_cli_fail(rc, "asking for the %s", role);
        goto out;
    }
    size_t a = strnlen(pin, cap), b = strnlen(again, sizeof again);
    if (a != b || mh_ct_memcmp(pin, again, a) != 0) {
        ret = mh_cli_error(MH_EXIT_PIN, "the two %ss you typed differ; nothing was changed", role);
        goto out;
    }
    ret = MH_EXIT_OK;
out:
    mh_wipe(again, sizeof again);
    if (ret)
        mh_wipe(pin, cap);
    return ret;
}

static int check_pin_len(const char *pin, const char *role, const mh_hsm_token_info *free_slot)
{
    size_t n = strlen(pin);
    if (n == 0)
        return mh_cli_error(MH_EXIT_PIN, "the %s is empty", role);
    if (free_slot && free_slot->max_pin > 0 && (n < free_slot->min_pin || n > free_slot->max_pin))
        return mh_cli_error(MH_EXIT_PIN, "the %s must be %lu to %lu characters long", role,
                            free_slot->min_pin, free_slot->max_pin);
    return MH_EXIT_OK;
}

static int cmd_token_init(int argc, char **argv)
{
    struct init_opts o = {NULL, NULL, NULL, NULL};
    int ret = MH_EXIT_USAGE;
    mh_cli_ctx c;
    mh_hsm_token_info *slots = NULL;
    const mh_hsm_token_info *free_slot = NULL;
    size_t n = 0;
    const char *module = NULL, *label = NULL, *so_file = NULL, *pin_file = NULL;
    char so_pin[PIN_CAP], pin[PIN_CAP], uri[512];
    unsigned long slot_id = 0;
    int rc;

    memset(&c, 0, sizeof c);
    so_pin[0] = pin[0] = '\0';
    ret = mh_cli_parse(&token_init_spec, argc, argv, &o);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    label = o.label;
    so_file = o.so_pin_file;
    pin_file = o.pin_file;
    module = o.module;
    if (!label) {
        ret = mh_cli_usage("--label is required (the name of the new token)");
        goto out;
    }
    if (label[0] == '\0' || strlen(label) > 32) {
        ret = mh_cli_usage("the label must be 1 to 32 bytes long");
        goto out;
    }
    if (label[strlen(label) - 1] == ' ') {
        /* PKCS#11 pads labels with spaces: a trailing one would be lost. */
        ret = mh_cli_usage("the label must not end with a space");
        goto out;
    }

    ret = mh_cli_parse_uri(&c, "pkcs11:", "--module", module);
    if (ret)
        goto out;
    ret = mh_cli_load_module(&c);
    if (ret)
        goto out;
    rc = mh_hsm_slots(c.mod, &slots, &n);
    if (rc) {
        ret = mh_cli_fail(rc, "listing the slots of %s", mh_hsm_module_path(c.mod));
        goto out;
    }
    /* A second token with the same label would make 'token=LABEL' URIs
     * ambiguous. */
    for (size_t i = 0; i < n; i++) {
        char l[33];
        mh_cli_trim(slots[i].label, l, sizeof l);
        if (slots[i].token_present && slots[i].initialized && strcmp(l, label) == 0) {
            ret = mh_cli_fail(MH_ERR_ALREADY_EXISTS,
                              "initialising token '%s': a token with this label already "
                              "exists in slot %lu; choose another label",
                              label, slots[i].slot_id);
            goto out;
        }
        if (!free_slot && slots[i].token_present && !slots[i].initialized)
            free_slot = &slots[i];
    }
    if (!free_slot) {
        ret = mh_cli_fail(MH_ERR_TOKEN_NOT_FOUND,
                          "initialising token '%s': no slot holds an uninitialised token", label);
        goto out;
    }

    ret = get_new_pin(so_file, label, "security officer PIN", so_pin, sizeof so_pin);
    if (ret)
        goto out;
    ret = check_pin_len(so_pin, "security officer PIN", free_slot);
    if (ret)
        goto out;
    ret = get_new_pin(pin_file, label, "user PIN", pin, sizeof pin);
    if (ret)
        goto out;
    ret = check_pin_len(pin, "user PIN", free_slot);
    if (ret)
        goto out;

    rc = mh_hsm_token_init(c.mod, label, so_pin, pin, &slot_id);
    mh_wipe(so_pin, sizeof so_pin);
    mh_wipe(pin, sizeof pin);
    if (rc) {
        ret = mh_cli_fail(rc, "initialising token '%s'", label);
        goto out;
    }

    /* SoftHSM2 moves a token to a new slot id when it is initialised, so
     * look it up again by its (unique) label for the serial number. */
    free(slots);
    slots = NULL;
    rc = mh_hsm_slots(c.mod, &slots, &n);
    if (rc) {
        ret = mh_cli_fail(rc, "listing the slots after initialising token '%s'", label);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char l[33], serial[17];
        mh_cli_trim(slots[i].label, l, sizeof l);
        mh_cli_trim(slots[i].serial, serial, sizeof serial);
        if (slots[i].token_present && slots[i].initialized && strcmp(l, label) == 0) {
            rc = token_uri(&c, l, serial, uri, sizeof uri);
            if (rc) {
                ret = mh_cli_fail(rc, "writing the URI of token '%s'", label);
                goto out;
            }
            printf("%s\n", uri);
            ret = fflush(stdout) == 0 ? MH_EXIT_OK : MH_EXIT_INPUT;
            goto out;
        }
    }
    ret =
        mh_cli_error(MH_EXIT_TOKEN, "initialised token '%s' in slot %lu, but cannot find it again",
                     label, slot_id);
out:
    mh_wipe(so_pin, sizeof so_pin);
    mh_wipe(pin, sizeof pin);
    free(slots);
    mh_cli_close(&c);
    return ret;
}

const struct mh_cli_cmd mh_cli_token_cmds[] = {
    {"list", "list slots and tokens, with their URIs and PIN state", &token_list_spec,
     cmd_token_list, NULL},
    {"init", "initialise a new token with a label and PINs", &token_init_spec, cmd_token_init,
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
