/*
 * cmd_key.c - `mohur key generate|list|export|import-cert|sign|verify`.
 */
#include "cli.h"
#include "mh_hash.h"
#include "mh_keys.h"
#include "mh_pki.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define URI_CAP 1024
#define SPKI_CAP 2048

/* The text every command shares about URIs and modules. */
#define URI_HELP                                                                                   \
    "Keys and tokens are named by RFC 7512 PKCS#11 URIs. To log in without being\n"                \
    "asked, add ?pin-source=file:PATH (a file holding the PIN, chmod 600); a PIN\n"                \
    "is never accepted on the command line or in pin-value=.\n"

/* Adds the module the user chose to a URI the library wrote, so the URI
 * can be pasted into the next command as is. */
static int with_module(const mh_cli_ctx *c, const char *in, char *out, size_t cap)
{
    int ret = MH_ERR_INTERNAL;
    mh_p11_uri u;
    bool parsed = false;

    if (!c->uri.module_path && !c->uri.module_name) {
        int n = snprintf(out, cap, "%s", in);
        return (n < 0 || (size_t)n >= cap) ? MH_ERR_BUFFER_TOO_SMALL : 0;
    }
    ret = mh_p11_uri_parse(in, &u);
    if (ret)
        goto out;
    parsed = true;
    if (!u.module_path && !u.module_name) {
        u.module_path = c->uri.module_path ? strdup(c->uri.module_path) : NULL;
        u.module_name = c->uri.module_name ? strdup(c->uri.module_name) : NULL;
        if (!u.module_path && !u.module_name) {
            ret = MH_ERR_NOMEM;
            goto out;
        }
    }
    ret = mh_p11_uri_format(&u, out, cap);
out:
    if (parsed)
        mh_p11_uri_free(&u);
    return ret;
}

static int key_uri(const mh_cli_ctx *c, mh_hsm_key *key, char *out, size_t cap)
{
    char raw[URI_CAP];
    int rc;

    rc = mh_hsm_key_uri(key, raw, sizeof raw);
    if (rc == 0)
        rc = with_module(c, raw, out, cap);
    return rc;
}

/* Refuses to write binary to a terminal. */
static bool binary_to_tty(const char *out)
{
    return (!out || strcmp(out, "-") == 0) && isatty(STDOUT_FILENO);
}

/* ---- key generate ------------------------------------------------------- */

struct gen_opts {
    const char *token, *type_name, *label, *id_hex, *module;
    bool json;
};
static const struct mh_cli_opt key_generate_rows[] = {
    {MH_CLI_TOKEN(struct gen_opts, token), .shrt = 't',
     .help = "the token, e.g. 'pkcs11:token=Seal'"},
    {MH_CLI_STR(struct gen_opts, type_name, "type", "TYPE"), .shrt = 'T',
     .help = "ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096 or ed25519"},
    {MH_CLI_STR(struct gen_opts, label, "label", "NAME"), .shrt = 'l',
     .help = "the key's label (CKA_LABEL), used as object= in its URI"},
    {MH_CLI_STR(struct gen_opts, id_hex, "id", "HEX"), .shrt = 'i',
     .help = "the key's id (CKA_ID), 1 to 64 bytes in hex; default: random"},
    {MH_CLI_MODULE(struct gen_opts, module), .shrt = 'm'},
    {MH_CLI_JSON(struct gen_opts, json), .shrt = 'j',
     .help = "print JSON: {\"uri\": ..., \"label\": ..., \"id\": ..., ...}"},
    {0}};
static const struct mh_cli_spec key_generate_spec = {
    .usage = "mohur key generate --token URI --type TYPE --label NAME [--id HEX]\n"
             "                          [--module M] [--json]",
    .about = "Generate a new key pair on a token. The private key is made on the token\n"
             "and never leaves it.\n"
             "\n"
             "Logs in to the token (PIN from pin-source, the PIN pad, or asked at the\n"
             "terminal), generates the key and prints its URI. A label or id that is\n"
             "already used on the token is refused.\n",
    .opts = key_generate_rows,
    .more = URI_HELP
    "\n"
    "Example:\n"
    "  mohur key generate --token 'pkcs11:token=Seal?pin-source=file:/etc/mohur/pin' \\\n"
    "      --type ec-p256 --label registry\n",
};

static void print_key_json(mh_json *j, const mh_hsm_key_info *ki, const char *uri)
{
    char idhex[2 * MH_P11_ID_MAX + 1];

    mh_cli_hex_encode(ki->id, ki->id_len, idhex, sizeof idhex);
    mh_json_obj_begin(j);
    mh_json_key(j, "label");
    mh_json_str(j, ki->label);
    mh_json_key(j, "id");
    mh_json_str(j, idhex);
    mh_json_key(j, "type");
    mh_json_str(j, mh_key_type_name(ki->type));
    mh_json_key(j, "bits");
    mh_json_uint(j, ki->bits);
    mh_json_key(j, "has_private");
    mh_json_bool(j, ki->has_private);
    mh_json_key(j, "has_public");
    mh_json_bool(j, ki->has_public);
    mh_json_key(j, "has_cert");
    mh_json_bool(j, ki->has_cert);
    mh_json_key(j, "uri");
    if (uri)
        mh_json_str(j, uri);
    else
        mh_json_null(j);
    mh_json_obj_end(j);
}

static int cmd_key_generate(int argc, char **argv)
{
    struct gen_opts a = {NULL, NULL, NULL, NULL, NULL, false};
    int ret = MH_EXIT_USAGE;
    mh_cli_ctx c;
    const char *token = NULL, *type_name = NULL, *label = NULL, *id_hex = NULL, *module = NULL;
    bool json = false;
    enum mh_key_type type = MH_KEY_NONE;
    uint8_t id[MH_P11_ID_MAX];
    size_t id_len = 0;
    mh_hsm_key *key = NULL;
    mh_hsm_key_info ki;
    char uri[URI_CAP];
    int rc;

    memset(&c, 0, sizeof c);
    ret = mh_cli_parse(&key_generate_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    token = a.token;
    type_name = a.type_name;
    label = a.label;
    id_hex = a.id_hex;
    module = a.module;
    json = a.json;
    ret = MH_EXIT_USAGE;
    if (!token) {
        mh_cli_usage("--token is required (e.g. --token 'pkcs11:token=Seal')");
        goto out;
    }
    if (!type_name) {
        mh_cli_usage("--type is required: ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096 "
                     "or ed25519");
        goto out;
    }
    type = mh_key_type_from_name(type_name);
    if (type == MH_KEY_NONE || type == MH_KEY_RSA_OTHER || type == MH_KEY_EC_OTHER) {
        mh_cli_usage("unknown key type '%.40s': use ec-p256, ec-p384, rsa-2048, rsa-3072, "
                     "rsa-4096 or ed25519",
                     type_name);
        goto out;
    }
    if (!label || !*label) {
        mh_cli_usage("--label is required (the key's name on the token)");
        goto out;
    }
    if (strlen(label) >= sizeof ki.label) {
        mh_cli_usage("the label is longer than %zu bytes", sizeof ki.label - 1);
        goto out;
    }
    if (id_hex && mh_cli_hex_decode(id_hex, id, sizeof id, &id_len) != 0) {
        mh_cli_usage("--id must be 1 to %d bytes in hex (e.g. --id 01a2)", MH_P11_ID_MAX);
        goto out;
    }

    ret = mh_cli_open_token(&c, token, module, MH_CLI_LOGIN_ALWAYS);
    if (ret)
        goto out;
    rc = mh_hsm_key_generate(c.tok, type, label, id_hex ? id : NULL, id_len, &key);
    if (rc) {
        key = NULL;
        ret = mh_cli_fail(rc, "generating %s key '%s' on %s", mh_key_type_name(type), label,
                          c.token_name);
        goto out;
    }
    rc = key_uri(&c, key, uri, sizeof uri);
    if (rc) {
        ret = mh_cli_fail(rc, "writing the URI of the new key '%s'", label);
        goto out;
    }
    if (json) {
        mh_json j;
        rc = mh_hsm_key_info_get(key, &ki);
        if (rc) {
            ret = mh_cli_fail(rc, "reading the new key '%s'", label);
            goto out;
        }
        mh_json_init(&j, stdout);
        print_key_json(&j, &ki, uri);
        mh_json_end(&j);
    } else {
        printf("%s\n", uri);
    }
    ret = fflush(stdout) == 0 ? MH_EXIT_OK : mh_cli_fail(MH_ERR_IO, "writing the output");
out:
    if (key)
        mh_hsm_key_free(key);
    mh_cli_close(&c);
    return ret;
}

/* ---- key list ----------------------------------------------------------- */

struct list_opts {
    const char *token, *module;
    bool json, login;
};
static const struct mh_cli_opt key_list_rows[] = {
    {MH_CLI_TOKEN(struct list_opts, token), .shrt = 't',
     .help = "the token, e.g. 'pkcs11:token=Seal'"},
    {MH_CLI_FLAG(struct list_opts, login, "login"),
     .help = "log in first (asks for the PIN unless the URI has pin-source)"},
    {MH_CLI_MODULE(struct list_opts, module), .shrt = 'm'},
    {MH_CLI_JSON(struct list_opts, json), .shrt = 'j',
     .help = "print JSON: {\"token\": ..., \"keys\": [{...}, ...]}"},
    {0}};
static const struct mh_cli_spec key_list_spec = {
    .usage = "mohur key list --token URI [--login] [--module M] [--json]",
    .about = "List the keys on a token: label, id, type, size, whether a certificate is\n"
             "stored with the key, and the key's URI.\n"
             "\n"
             "Without a login only what the token shows to everyone is listed; many\n"
             "tokens hide private keys until you log in. mohur logs in when the URI has\n"
             "a pin-source or --login is given.\n",
    .opts = key_list_rows,
    .more = URI_HELP "\n"
                     "Example:\n"
                     "  mohur key list --token 'pkcs11:token=Seal' --login\n",
};

/* The URI of a listed key: the token, the key's label and id, its type. */
static int listed_key_uri(const mh_cli_ctx *c, const char *token_label, const char *serial,
                          const mh_hsm_key_info *ki, char *buf, size_t cap)
{
    mh_p11_uri u;

    memset(&u, 0, sizeof u);
    u.token = (char *)(uintptr_t)token_label;
    u.serial = serial[0] ? (char *)(uintptr_t)serial : NULL;
    u.object = ki->label[0] ? (char *)(uintptr_t)ki->label : NULL;
    if (ki->id_len > 0 && ki->id_len <= MH_P11_ID_MAX) {
        u.has_id = true;
        memcpy(u.id, ki->id, ki->id_len);
        u.id_len = ki->id_len;
    }
    u.type = ki->has_private  ? MH_P11_TYPE_PRIVATE
             : ki->has_public ? MH_P11_TYPE_PUBLIC
                              : MH_P11_TYPE_CERT;
    u.module_path = c->uri.module_path;
    u.module_name = c->uri.module_name;
    return mh_p11_uri_format(&u, buf, cap);
}

static int cmd_key_list(int argc, char **argv)
{
    struct list_opts a = {NULL, NULL, false, false};
    int ret = MH_EXIT_USAGE;
    mh_cli_ctx c;
    const char *token = NULL, *module = NULL;
    bool json = false, login = false;
    mh_hsm_key_info *keys = NULL;
    size_t n = 0;
    mh_hsm_token_info ti;
    char tlabel[33], tserial[17], uri[URI_CAP];
    int rc;

    memset(&c, 0, sizeof c);
    ret = mh_cli_parse(&key_list_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    token = a.token;
    module = a.module;
    json = a.json;
    login = a.login;
    if (!token) {
        ret = mh_cli_usage("--token is required (e.g. --token 'pkcs11:token=Seal')");
        goto out;
    }
    ret =
        mh_cli_open_token(&c, token, module, login ? MH_CLI_LOGIN_ALWAYS : MH_CLI_LOGIN_IF_NEEDED);
    if (ret)
        goto out;
    rc = mh_hsm_token_info_get(c.tok, &ti);
    if (rc) {
        ret = mh_cli_fail(rc, "reading %s", c.token_name);
        goto out;
    }
    mh_cli_trim(ti.label, tlabel, sizeof tlabel);
    mh_cli_trim(ti.serial, tserial, sizeof tserial);
    rc = mh_hsm_key_list(c.tok, &keys, &n);
    if (rc) {
        keys = NULL;
        ret = mh_cli_fail(rc, "listing the keys on %s", c.token_name);
        goto out;
    }
    bool logged_in = mh_hsm_logged_in(c.tok);
    if (json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "token");
        mh_json_str(&j, tlabel);
        mh_json_key(&j, "logged_in");
        mh_json_bool(&j, logged_in);
        mh_json_key(&j, "keys");
        mh_json_arr_begin(&j);
        for (size_t i = 0; i < n; i++) {
            bool ok = listed_key_uri(&c, tlabel, tserial, &keys[i], uri, sizeof uri) == 0;
            print_key_json(&j, &keys[i], ok ? uri : NULL);
        }
        mh_json_arr_end(&j);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else {
        if (n == 0)
            printf("No keys on token '%s'.\n", tlabel);
        for (size_t i = 0; i < n; i++) {
            const mh_hsm_key_info *k = &keys[i];
            char idhex[2 * MH_P11_ID_MAX + 1];
            mh_cli_hex_encode(k->id, k->id_len, idhex, sizeof idhex);
            printf("%sKey '%s'\n", i ? "\n" : "", k->label);
            printf("  type:    %s", mh_key_type_name(k->type));
            if (k->bits)
                printf(" (%u bits)", k->bits);
            printf("\n  id:      %s\n", idhex[0] ? idhex : "(none)");
            const char *parts[3];
            size_t np = 0;
            if (k->has_private)
                parts[np++] = "private key";
            if (k->has_public)
                parts[np++] = "public key";
            if (k->has_cert)
                parts[np++] = "certificate";
            printf("  has:    ");
            for (size_t p = 0; p < np; p++)
                printf("%s%s", p ? ", " : " ", parts[p]);
            printf("\n");
            printf("  cert:    %s\n", k->has_cert ? "yes" : "no");
            if (listed_key_uri(&c, tlabel, tserial, k, uri, sizeof uri) == 0)
                printf("  URI:     %s\n", uri);
        }
    }
    if (!logged_in && ti.login_required)
        fprintf(stderr,
                "mohur: note: not logged in to token '%s'; it may hide private keys. Use "
                "--login (or pin-source in the URI) to see all keys.\n",
                tlabel);
    ret = fflush(stdout) == 0 ? MH_EXIT_OK : mh_cli_fail(MH_ERR_IO, "writing the list");
out:
    free(keys);
    mh_cli_close(&c);
    return ret;
}

/* ---- key export --------------------------------------------------------- */

struct export_opts {
    const char *keyuri, *out_path, *module;
    bool cert, der;
};
static const struct mh_cli_opt key_export_rows[] = {
    {MH_CLI_KEY(struct export_opts, keyuri), .shrt = 'k',
     .help = "the key, e.g. 'pkcs11:token=Seal;object=registry'"},
    {MH_CLI_FLAG(struct export_opts, cert, "cert"),
     .help = "export the certificate stored with the key instead"},
    {MH_CLI_FLAG(struct export_opts, der, "der"),
     .help = "write DER (binary) instead of PEM; needs --out or a pipe"},
    {MH_CLI_OUT(struct export_opts, out_path), .shrt = 'o',
     .help = "write to FILE instead of standard output"},
    {MH_CLI_MODULE(struct export_opts, module), .shrt = 'm'},
    {0}};
static const struct mh_cli_spec key_export_spec = {
    .usage = "mohur key export --key URI [--cert] [--der] [--out FILE] [--module M]",
    .about = "Export a key's public key (or its stored certificate) from a token.\n"
             "\n"
             "Writes the public key as PEM (\"-----BEGIN PUBLIC KEY-----\", the\n"
             "SubjectPublicKeyInfo that OpenSSL reads) to standard output or FILE.\n",
    .opts = key_export_rows,
    .more = URI_HELP
    "\n"
    "Examples:\n"
    "  mohur key export --key 'pkcs11:token=Seal;object=registry' --out registry.pub.pem\n"
    "  mohur key export --key 'pkcs11:token=Seal;object=registry' --cert\n",
};

static int cmd_key_export(int argc, char **argv)
{
    struct export_opts a = {NULL, NULL, NULL, false, false};
    int ret = MH_EXIT_USAGE;
    mh_cli_ctx c;
    const char *keyuri = NULL, *out_path = NULL, *module = NULL;
    bool cert = false, der = false;
    uint8_t spki[SPKI_CAP];
    uint8_t *data = NULL;
    size_t len = 0;
    char *pem = NULL;
    size_t pem_len = 0;
    int rc;

    memset(&c, 0, sizeof c);
    ret = mh_cli_parse(&key_export_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    keyuri = a.keyuri;
    out_path = a.out_path;
    module = a.module;
    cert = a.cert;
    der = a.der;
    if (!keyuri) {
        ret = mh_cli_usage("--key is required (e.g. --key 'pkcs11:token=Seal;object=registry')");
        goto out;
    }
    if (der && binary_to_tty(out_path)) {
        ret = mh_cli_usage("not writing binary DER to a terminal; use --out FILE");
        goto out;
    }
    ret = mh_cli_open_key(&c, keyuri, module, MH_CLI_LOGIN_IF_NEEDED);
    if (ret)
        goto out;
    if (cert) {
        rc = mh_hsm_key_cert(c.key, &data, &len);
        if (rc) {
            data = NULL;
            if (rc == MH_ERR_NOT_FOUND) {
                ret = mh_cli_error(MH_EXIT_TOKEN,
                                   "reading the certificate of %s: no certificate is stored "
                                   "with this key ('mohur key import-cert' stores one)",
                                   c.key_name);
            } else {
                ret = mh_cli_fail(rc, "reading the certificate of %s", c.key_name);
            }
            goto out;
        }
    } else {
        rc = mh_hsm_key_public_der(c.key, spki, sizeof spki, &len);
        if (rc) {
            ret = mh_cli_fail(rc, "reading the public key of %s", c.key_name);
            goto out;
        }
    }
    const uint8_t *bytes = cert ? data : spki;
    if (der) {
        ret = mh_cli_write_file(out_path, bytes, len, 0644);
        goto out;
    }
    rc = mh_cli_pem(cert ? "CERTIFICATE" : "PUBLIC KEY", bytes, len, &pem, &pem_len);
    if (rc) {
        ret = mh_cli_fail(rc, "encoding PEM");
        goto out;
    }
    ret = mh_cli_write_file(out_path, pem, pem_len, 0644);
out:
    free(data);
    free(pem);
    mh_cli_close(&c);
    return ret;
}

/* ---- key import-cert ---------------------------------------------------- */

struct import_opts {
    const char *keyuri, *cert_path, *module;
};
static const struct mh_cli_opt key_import_cert_rows[] = {
    {MH_CLI_KEY(struct import_opts, keyuri), .shrt = 'k',
     .help = "the key, e.g. 'pkcs11:token=Seal;object=registry'"},
    {MH_CLI_STR(struct import_opts, cert_path, "cert", "FILE"), .shrt = 'c',
     .help = "the certificate (PEM or DER)"},
    {MH_CLI_MODULE(struct import_opts, module), .shrt = 'm'},
    {0}};
static const struct mh_cli_spec key_import_cert_spec = {
    .usage = "mohur key import-cert --key URI --cert FILE [--module M]",
    .about = "Store an X.509 certificate on the token next to its key.\n"
             "\n"
             "FILE holds one certificate, PEM or DER. Its public key must be the key's\n"
             "public key; anything else is refused. Logs in to the token first.\n",
    .opts = key_import_cert_rows,
    .more = URI_HELP
    "\n"
    "Example:\n"
    "  mohur key import-cert --key 'pkcs11:token=Seal;object=registry' --cert registry.crt\n",
};

static int cmd_key_import_cert(int argc, char **argv)
{
    struct import_opts a = {NULL, NULL, NULL};
    static const char begin_cert[] = "-----BEGIN CERTIFICATE-----";
    int ret = MH_EXIT_USAGE;
    mh_cli_ctx c;
    const char *keyuri = NULL, *cert_path = NULL, *module = NULL;
    uint8_t *file = NULL;
    size_t file_len = 0;
    uint8_t *pem_der = NULL;
    mh_x509_cert *xc = calloc(1, sizeof *xc);
    const uint8_t *der = NULL;
    size_t der_len = 0;
    bool parsed = false;
    char subject[256];
    uint8_t spki[SPKI_CAP];
    size_t spki_len = 0;
    int rc;

    memset(&c, 0, sizeof c);
    subject[0] = '\0';
    if (!xc) {
        ret = mh_cli_fail(MH_ERR_NOMEM, "reading the certificate");
        goto out;
    }
    ret = mh_cli_parse(&key_import_cert_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    keyuri = a.keyuri;
    cert_path = a.cert_path;
    module = a.module;
    if (!keyuri) {
        ret = mh_cli_usage("--key is required (e.g. --key 'pkcs11:token=Seal;object=registry')");
        goto out;
    }
    if (!cert_path) {
        ret = mh_cli_usage("--cert is required (the certificate file, PEM or DER)");
        goto out;
    }

    /* The file first: a bad file should not cost a PIN entry. */
    ret = mh_cli_read_file(cert_path, MH_CLI_SMALL_MAX, &file, &file_len);
    if (ret)
        goto out;
    ret = MH_EXIT_INPUT;
    if (strstr((const char *)file, "-----BEGIN ")) {
        size_t used = 0;
        rc = mh_keys_pem_read((const char *)file, "CERTIFICATE", &pem_der, &der_len, &used);
        if (rc == MH_ERR_NOMEM) {
            mh_cli_fail(rc, "reading %s", cert_path);
            goto out;
        }
        if (rc) {
            mh_cli_error(MH_EXIT_INPUT,
                         "reading %s: the file is PEM but holds no readable CERTIFICATE "
                         "block",
                         cert_path);
            goto out;
        }
        if (strstr((const char *)file + used, begin_cert)) {
            mh_cli_error(MH_EXIT_INPUT,
                         "reading %s: the file holds more than one certificate; give only "
                         "the key's own certificate",
                         cert_path);
            goto out;
        }
        der = pem_der;
    } else {
        der = file;
        der_len = file_len;
    }
    /* the one certificate model; one it cannot read in full (an algorithm
     * it does not know) may still be stored if its outline is sound */
    rc = mh_x509_cert_parse(xc, der, der_len);
    if (rc == 0) {
        parsed = true;
        mh_x509_name_str(&xc->subject, subject, sizeof subject);
    } else if (!(rc == MH_ERR_UNSUPPORTED && mh_keys_cert_outline_ok(der, der_len))) {
        mh_cli_fail(rc, "reading %s: not an X.509 certificate", cert_path);
        goto out;
    }

    ret = mh_cli_open_key(&c, keyuri, module, MH_CLI_LOGIN_ALWAYS);
    if (ret)
        goto out;
    rc = mh_hsm_key_public_der(c.key, spki, sizeof spki, &spki_len);
    if (rc) {
        ret = mh_cli_fail(rc, "reading the public key of %s", c.key_name);
        goto out;
    }
    if (parsed) {
        /* Our own check, before the library's: the clearer message. */
        if (xc->spki.len != spki_len || mh_ct_memcmp(xc->spki.p, spki, spki_len) != 0) {
            /* The same exit code as hsm/'s own check (MH_ERR_KEY_TYPE). */
            ret = mh_cli_error(mh_cli_exit_code(MH_ERR_KEY_TYPE),
                               "importing %s: the certificate is for another public key, "
                               "not the public key of %s",
                               cert_path, c.key_name);
            goto out;
        }
    }
    rc = mh_hsm_key_import_cert(c.key, der, der_len);
    if (rc) {
        ret = mh_cli_fail(rc, "storing the certificate from %s with %s", cert_path, c.key_name);
        goto out;
    }
    if (subject[0])
        printf("Stored the certificate for \"%s\" with %s.\n", subject, c.key_name);
    else
        printf("Stored the certificate with %s.\n", c.key_name);
    ret = fflush(stdout) == 0 ? MH_EXIT_OK : mh_cli_fail(MH_ERR_IO, "writing the output");
out:
    free(xc);
    free(pem_der);
    free(file);
    mh_cli_close(&c);
    return ret;
}

/* ---- key sign / key verify: shared parts -------------------------------- */

struct sig_opts {
    const char *keyuri, *in, *digest_hex, *alg_name, *hash_name, *out, *format, *sig, *module;
};

/* The message or digest to sign or verify, read before the token is
 * touched so a bad input never costs a PIN entry. */
struct sig_input {
    enum mh_sig_alg alg;
    mbedtls_md_type_t md;
    uint8_t *msg;
    size_t msg_len;
    uint8_t digest[64];
    size_t digest_len;
};

static int read_sig_input(const struct sig_opts *o, struct sig_input *si)
{
    int ret = MH_EXIT_USAGE;

    if (!o->keyuri) {
        mh_cli_usage("--key is required (e.g. --key 'pkcs11:token=Seal;object=registry')");
        goto out;
    }
    if (!o->in == !o->digest_hex) {
        mh_cli_usage("give exactly one of --in FILE or --digest HEX");
        goto out;
    }
    si->alg = MH_SIG_AUTO;
    if (o->alg_name && !mh_cli_alg_from_name(o->alg_name, &si->alg)) {
        mh_cli_usage("unknown --alg '%.40s': use auto, ecdsa, rsa-pkcs1, rsa-pss or ed25519",
                     o->alg_name);
        goto out;
    }
    si->md = mh_cli_hash_from_name(o->hash_name ? o->hash_name : "sha256");
    if (si->md == MBEDTLS_MD_NONE) {
        mh_cli_usage("unknown --hash '%.40s': use sha256, sha384 or sha512", o->hash_name);
        goto out;
    }
    if (o->digest_hex) {
        size_t want = mh_hash_md_size(si->md);
        if (si->alg == MH_SIG_ED25519) {
            mh_cli_usage("Ed25519 signs the message itself, not a digest: use --in FILE");
            goto out;
        }
        if (mh_cli_hex_decode(o->digest_hex, si->digest, sizeof si->digest, &si->digest_len) != 0) {
            mh_cli_usage("--digest must be the digest in hex (%zu hex digits for %s)", 2 * want,
                         o->hash_name ? o->hash_name : "sha256");
            goto out;
        }
        if (si->digest_len != want) {
            mh_cli_usage("the digest is %zu bytes, but a %s digest is %zu bytes; use --hash to "
                         "name the hash it was made with",
                         si->digest_len, o->hash_name ? o->hash_name : "sha256", want);
            goto out;
        }
    } else {
        ret = mh_cli_read_file(o->in, MH_CLI_MSG_MAX, &si->msg, &si->msg_len);
        if (ret)
            goto out;
    }
    ret = MH_EXIT_OK;
out:
    return ret;
}

static void free_sig_input(struct sig_input *si)
{
    free(si->msg);
    si->msg = NULL;
}

/* After the key is found: refuse a digest for an Ed25519 key. */
static int check_key_for_input(const mh_cli_ctx *c, const mh_hsm_key_info *ki,
                               const struct sig_input *si)
{
    if (ki->type == MH_KEY_ED25519 && !si->msg)
        return mh_cli_usage("%s is an Ed25519 key, which signs the message itself, not a "
                            "digest: use --in FILE",
                            c->key_name);
    return MH_EXIT_OK;
}

static size_t ec_field_bytes(const mh_hsm_key_info *ki)
{
    if (ki->type == MH_KEY_EC_P256)
        return 32;
    if (ki->type == MH_KEY_EC_P384)
        return 48;
    return (ki->bits + 7) / 8;
}

static bool is_ec(const mh_hsm_key_info *ki)
{
    return ki->type == MH_KEY_EC_P256 || ki->type == MH_KEY_EC_P384 || ki->type == MH_KEY_EC_OTHER;
}

/* ---- key sign ----------------------------------------------------------- */

#define T struct sig_opts
/* the input rows key sign and key verify share */
static const struct mh_cli_opt sig_rows[] = {
    {MH_CLI_KEY(T, keyuri), .shrt = 'k',
     .help = "the key, e.g. 'pkcs11:token=Seal;object=registry'"},
    {MH_CLI_IN(T, in), .shrt = 'i', .help = "the file (\"-\": standard input; at most 1 GiB)"},
    {MH_CLI_STR(T, digest_hex, "digest", "HEX"), .shrt = 'd',
     .help = "instead of --in: the digest of the data, in hex, made with --hash (not for Ed25519, "
             "which signs the message itself)"},
    {MH_CLI_STR(T, alg_name, "alg", "ALG"), .shrt = 'a',
     .help = "auto (default: what the key implies: ECDSA, RSA PKCS#1 v1.5 or Ed25519), ecdsa, "
             "rsa-pkcs1, rsa-pss (MGF1 with the same hash, salt as long as the hash) or ed25519"},
    {MH_CLI_STR(T, hash_name, "hash", "HASH"), .shrt = 'H',
     .help = "sha256 (default), sha384 or sha512; ignored by Ed25519"},
    {0}};
static const struct mh_cli_opt key_sign_rows[] = {
    {MH_CLI_INCLUDE_ALL(sig_rows)},
    {MH_CLI_OUT(T, out), .shrt = 'o', .help = "write the signature to FILE"},
    {MH_CLI_STR(T, format, "format", "F"), .shrt = 'f',
     .help = "der (default with --out: ECDSA as a DER SEQUENCE, RSA and Ed25519 as they are), raw "
             "(ECDSA as r||s), or base64 (of the der form; the default without --out)"},
    {MH_CLI_MODULE(T, module), .shrt = 'm'},
    {0}};
static const struct mh_cli_spec key_sign_spec = {
    .usage = "mohur key sign --key URI (--in FILE | --digest HEX) [--alg ALG]\n"
             "                      [--hash HASH] [--out FILE] [--format FORMAT] [--module M]",
    .about = "Sign a file, or a digest, with a key on a token.\n"
             "\n"
             "Logs in to the token, signs, and writes the signature: in binary to --out,\n"
             "or in base64 on standard output when there is no --out. These are plain\n"
             "signatures (no CMS, no PDF), as 'openssl dgst -verify' and\n"
             "'openssl pkeyutl -verify' check them.\n",
    .opts = key_sign_rows,
    .more = URI_HELP
    "\n"
    "Examples:\n"
    "  mohur key sign --key 'pkcs11:token=Seal;object=registry?pin-source=file:pin' \\\n"
    "      --in diploma.pdf --out diploma.sig\n"
    "  mohur key sign --key 'pkcs11:token=Seal;object=registry' --digest \"$(sha256sum \\\n"
    "      diploma.pdf | cut -c1-64)\"\n",
};

static int cmd_key_sign(int argc, char **argv)
{
    int ret = MH_EXIT_USAGE;
    mh_cli_ctx c;
    struct sig_opts o;
    struct sig_input si;
    mh_hsm_key_info ki;
    uint8_t sig[MH_SIG_MAX];
    size_t sig_len = 0;
    char *b64 = NULL;
    size_t b64_len = 0;
    int rc;

    memset(&c, 0, sizeof c);
    memset(&o, 0, sizeof o);
    memset(&si, 0, sizeof si);
    ret = mh_cli_parse(&key_sign_spec, argc, argv, &o);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    if (!o.format)
        o.format = o.out ? "der" : "base64";
    if (strcmp(o.format, "der") != 0 && strcmp(o.format, "raw") != 0 &&
        strcmp(o.format, "base64") != 0) {
        ret = mh_cli_usage("unknown --format '%.40s': use der, raw or base64", o.format);
        goto out;
    }
    if (strcmp(o.format, "base64") != 0 && binary_to_tty(o.out)) {
        ret = mh_cli_usage("not writing a binary signature to a terminal; use --out FILE or "
                           "--format base64");
        goto out;
    }
    ret = read_sig_input(&o, &si);
    if (ret)
        goto out;

    ret = mh_cli_open_key(&c, o.keyuri, o.module, MH_CLI_LOGIN_ALWAYS);
    if (ret)
        goto out;
    rc = mh_hsm_key_info_get(c.key, &ki);
    if (rc) {
        ret = mh_cli_fail(rc, "reading %s", c.key_name);
        goto out;
    }
    ret = check_key_for_input(&c, &ki, &si);
    if (ret)
        goto out;
    /* r || s as the token makes it for --format raw, else DER */
    enum mh_sig_enc enc = strcmp(o.format, "raw") == 0 && is_ec(&ki) ? MH_SIG_RAW : MH_SIG_DER;
    mh_signer sg;
    rc = mh_hsm_key_signer(c.key, si.alg, &sg);
    if (!rc && si.msg)
        rc = mh_signer_sign_message(&sg, si.md, si.msg, si.msg_len, enc, sig, sizeof sig, &sig_len);
    else if (!rc)
        rc = mh_signer_sign(&sg, si.md, si.digest, si.digest_len, enc, sig, sizeof sig, &sig_len);
    if (rc) {
        ret = mh_cli_fail(rc, "signing %s with %s", si.msg ? o.in : "the digest", c.key_name);
        goto out;
    }

    const uint8_t *outp = sig;
    size_t out_len = sig_len;
    if (strcmp(o.format, "base64") == 0) {
        rc = mh_cli_base64(sig, sig_len, 0, &b64, &b64_len);
        if (rc) {
            ret = mh_cli_fail(rc, "encoding the signature in base64");
            goto out;
        }
        b64[b64_len++] = '\n'; /* replaces the NUL; the length stays in b64_len */
        outp = (const uint8_t *)b64;
        out_len = b64_len;
    }
    ret = mh_cli_write_file(o.out, outp, out_len, 0644);
out:
    free(b64);
    free_sig_input(&si);
    mh_cli_close(&c);
    return ret;
}

/* ---- key verify --------------------------------------------------------- */

static const struct mh_cli_opt key_verify_rows[] = {
    {MH_CLI_INCLUDE_ALL(sig_rows)},
    {MH_CLI_STR(T, sig, "sig", "FILE"), .shrt = 's',
     .help = "the signature, as 'mohur key sign' writes it"},
    {MH_CLI_STR(T, format, "format", "F"), .shrt = 'f',
     .help = "auto (default: base64 text or binary, ECDSA as DER or r||s), der, raw or base64"},
    {MH_CLI_MODULE(T, module), .shrt = 'm'},
    {0}};
static const struct mh_cli_spec key_verify_spec = {
    .usage = "mohur key verify --key URI (--in FILE | --digest HEX) --sig FILE\n"
             "                        [--alg ALG] [--hash HASH] [--format FORMAT] [--module M]",
    .about = "Check a signature with the public key of a key on a token.\n"
             "\n"
             "Prints \"Signature is valid.\" and exits 0, or \"Signature is NOT valid.\" and\n"
             "exits 1. Needs no PIN unless the token hides the key until login.\n",
    .opts = key_verify_rows,
    .more = URI_HELP
    "\n"
    "Example:\n"
    "  mohur key verify --key 'pkcs11:token=Seal;object=registry' --in diploma.pdf \\\n"
    "      --sig diploma.sig\n",
};

#undef T

static int do_verify(mh_cli_ctx *c, const struct sig_input *si, const uint8_t *sig, size_t sig_len)
{
    if (si->msg)
        return mh_hsm_verify_message(c->key, si->alg, si->md, si->msg, si->msg_len, sig, sig_len);
    return mh_hsm_verify_digest(c->key, si->alg, si->md, si->digest, si->digest_len, sig, sig_len);
}

static int cmd_key_verify(int argc, char **argv)
{
    int ret = MH_EXIT_USAGE;
    mh_cli_ctx c;
    struct sig_opts o;
    struct sig_input si;
    mh_hsm_key_info ki;
    uint8_t *sigfile = NULL, *decoded = NULL;
    size_t sigfile_len = 0, decoded_len = 0;
    uint8_t der[MH_SIG_MAX + 16];
    int rc;

    memset(&c, 0, sizeof c);
    memset(&o, 0, sizeof o);
    memset(&si, 0, sizeof si);
    ret = mh_cli_parse(&key_verify_spec, argc, argv, &o);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    if (!o.format)
        o.format = "auto";
    if (strcmp(o.format, "auto") != 0 && strcmp(o.format, "der") != 0 &&
        strcmp(o.format, "raw") != 0 && strcmp(o.format, "base64") != 0) {
        ret = mh_cli_usage("unknown --format '%.40s': use auto, der, raw or base64", o.format);
        goto out;
    }
    if (!o.sig) {
        ret = mh_cli_usage("--sig is required (the signature file)");
        goto out;
    }
    if (o.in && strcmp(o.in, "-") == 0 && strcmp(o.sig, "-") == 0) {
        ret = mh_cli_usage("--in and --sig cannot both be standard input");
        goto out;
    }
    ret = read_sig_input(&o, &si);
    if (ret)
        goto out;
    ret = mh_cli_read_file(o.sig, MH_CLI_SMALL_MAX, &sigfile, &sigfile_len);
    if (ret)
        goto out;

    /* Text or binary. */
    const uint8_t *sig = sigfile;
    size_t sig_len = sigfile_len;
    bool b64 = strcmp(o.format, "base64") == 0 ||
               (strcmp(o.format, "auto") == 0 && mh_cli_looks_base64(sigfile, sigfile_len));
    if (b64) {
        rc = mh_cli_unbase64(sigfile, sigfile_len, &decoded, &decoded_len);
        if (rc) {
            ret =
                mh_cli_error(MH_EXIT_INPUT, "reading %s: the signature is not valid base64", o.sig);
            goto out;
        }
        sig = decoded;
        sig_len = decoded_len;
    }

    ret = mh_cli_open_key(&c, o.keyuri, o.module, MH_CLI_LOGIN_IF_NEEDED);
    if (ret)
        goto out;
    rc = mh_hsm_key_info_get(c.key, &ki);
    if (rc) {
        ret = mh_cli_fail(rc, "reading %s", c.key_name);
        goto out;
    }
    ret = check_key_for_input(&c, &ki, &si);
    if (ret)
        goto out;

    /* ECDSA r||s: to DER, which the library checks. "auto" takes the
     * bytes as DER when they parse as canonical DER. */
    if (is_ec(&ki) && strcmp(o.format, "der") != 0) {
        size_t nb = ec_field_bytes(&ki);
        bool raw = strcmp(o.format, "raw") == 0;
        if (!raw && sig_len == 2 * nb && 2 * nb <= MH_SIG_MAX) {
            uint8_t tmp[MH_SIG_MAX];
            raw = mh_ecdsa_der_to_raw(sig, sig_len, nb, tmp) != 0;
        }
        if (raw) {
            size_t der_len = 0;
            if (sig_len != 2 * nb ||
                mh_ecdsa_raw_to_der(sig, sig_len, der, sizeof der, &der_len) != 0) {
                printf("Signature is NOT valid.\n");
                fprintf(stderr,
                        "mohur: %s: an r||s signature for this key is %zu bytes, not "
                        "%zu\n",
                        o.sig, 2 * nb, sig_len);
                ret = MH_EXIT_INVALID;
                goto out;
            }
            sig = der;
            sig_len = der_len;
        }
    }

    rc = do_verify(&c, &si, sig, sig_len);
    if (rc == 0) {
        printf("Signature is valid.\n");
        ret = MH_EXIT_OK;
    } else if (rc == MH_ERR_VERIFY_FAILED || rc == MH_ERR_PARSE) {
        /* A malformed signature is simply not a valid one. */
        printf("Signature is NOT valid.\n");
        ret = MH_EXIT_INVALID;
    } else {
        ret = mh_cli_fail(rc, "verifying with %s", c.key_name);
    }
    if (fflush(stdout) != 0 && ret == MH_EXIT_OK)
        ret = mh_cli_fail(MH_ERR_IO, "writing the output");
out:
    free(decoded);
    free(sigfile);
    free_sig_input(&si);
    mh_cli_close(&c);
    return ret;
}

const struct mh_cli_cmd mh_cli_key_cmds[] = {
    {"generate", "generate a key pair on a token and print its URI", &key_generate_spec,
     cmd_key_generate, NULL},
    {"list", "list the keys on a token", &key_list_spec, cmd_key_list, NULL},
    {"export", "export a key's public key or certificate (PEM or DER)", &key_export_spec,
     cmd_key_export, NULL},
    {"import-cert", "store a certificate on the token next to its key", &key_import_cert_spec,
     cmd_key_import_cert, NULL},
    {"sign", "sign a file or a digest with a key", &key_sign_spec, cmd_key_sign, NULL},
    {"verify", "check a signature with a key's public key", &key_verify_spec, cmd_key_verify, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
