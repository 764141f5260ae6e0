/* cmd_web.c - `mohur web ...`: the public verification page's files.
 * Parsing and printing only; host/web does the work (mh_web.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mh_app.h"
#include "mh_web.h"

static const char export_help[] =
    "usage: mohur web export [--out FILE]\n"
    "\n"
    "Writes the offline verifier: one self-contained HTML file with this\n"
    "registry's receipt keys built in, for officers without network. Opened\n"
    "in a browser (from a USB stick or a phone's files), it checks a receipt\n"
    "from the QR code's text or a picture of the code, and the document itself,\n"
    "on the device: nothing is sent anywhere. mohurd serves the same file at\n"
    "/offline.html. Reads the appliance only (no PIN).\n"
    "\n"
    "  --out FILE   where to write it (default: mohur-offline-verifier.html)\n"
    "\n"
    "example: mohur web export --out /media/usb/verifier.html\n";

static int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = "mohur-offline-verifier.html";
    int ch, ret;
    if ((ret = mh_cli_check_long(argc, argv, opts)))
        return ret;
    while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs(export_help, stdout);
            return MH_EXIT_OK;
        default:
            return mh_cli_bad_option(ch, argv);
        }
    }
    if ((ret = mh_cli_no_operands(argc, argv)))
        return ret;
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
    {"export", "write the offline verifier: one HTML file with this registry's keys", export_help,
     cmd_export, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
