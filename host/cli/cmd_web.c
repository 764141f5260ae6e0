/* cmd_web.c - `mohur web ...`: the public verification page's files.
 * Parsing and printing only; host/web does the work (mh_web.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mh_app.h"
#include "mh_web.h"

struct export_opts {
    const char *out;
};
static const struct mh_cli_opt export_rows[] = {
    {MH_CLI_OUT(struct export_opts, out), .shrt = 'o',
     .help = "where to write it (default: mohur-offline-verifier.html)"},
    {0}};
static const struct mh_cli_spec export_spec = {
    .usage = "mohur web export [--out FILE]",
    .about = "Writes the offline verifier: one self-contained HTML file with this\n"
             "registry's receipt keys built in, for officers without network. Opened\n"
             "in a browser (from a USB stick or a phone's files), it checks a receipt\n"
             "from the QR code's text or a picture of the code, and the document itself,\n"
             "on the device: nothing is sent anywhere. mohurd serves the same file at\n"
             "/offline.html. Reads the appliance only (no PIN).\n",
    .opts = export_rows,
    .more = "Example:\n  mohur web export --out /media/usb/verifier.html\n",
};

static int cmd_export(int argc, char **argv)
{
    struct export_opts o = {"mohur-offline-verifier.html"};
    int ret = mh_cli_parse(&export_spec, argc, argv, &o);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    const char *out = o.out;
    mh_app *a = NULL;
    uint8_t *html = NULL;
    size_t len = 0;
    int rc = mh_app_open_ex(mh_cli_state_dir(), MH_APP_READ_ONLY, &a);
    if (rc)
        return mh_cli_fail(rc, "opening the appliance in %s", mh_cli_state_dir());
    rc = mh_web_export_offline(a, 0, &html, &len);
    mh_app_close(a);
    if (rc)
        return mh_cli_fail(rc, "making the offline verifier");
    ret = mh_cli_write_file(out, html, len, 0644);
    free(html);
    if (ret)
        return ret;
    printf("offline verifier written to %s (%zu bytes)\n", out, len);
    return MH_EXIT_OK;
}

const struct mh_cli_cmd mh_cli_web_cmds[] = {
    {"export", "write the offline verifier: one HTML file with this registry's keys", &export_spec,
     cmd_export, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
