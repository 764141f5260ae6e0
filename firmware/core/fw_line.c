/* fw_line.c - one line from the camera module's QR decoder (mh_fw.h). The
 * URL rules (scheme, host, "/V/", strict base32) are pki's
 * (mh_receipt_url_parse); here only the line's own framing. */
#include <string.h>

#include "fw_int.h"

int mh_fw_line_parse(const char *line, size_t len, mh_receipt_str *host, uint8_t *out, size_t cap,
                     size_t *out_len)
{
    if (!line || !host || !out || !out_len)
        return MH_ERR_INVALID_ARG;
    *out_len = 0;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len == 0) {
        mh_err_set(MH_ERR_PARSE, "the scanned line is empty");
        return MH_ERR_PARSE;
    }
    if (len > MH_FW_LINE_MAX) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the scanned line is %zu characters, more than any receipt URL (%d)", len,
                   MH_FW_LINE_MAX);
        return MH_ERR_TOO_LARGE;
    }
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\0') {
            mh_err_set(MH_ERR_PARSE, "the scanned line holds a NUL byte: it is not a QR text");
            return MH_ERR_PARSE;
        }
    }
    int ret = mh_receipt_url_parse(line, len, host, out, cap, out_len);
    if (ret != 0 && ret != MH_ERR_TOO_LARGE)
        ret = MH_ERR_PARSE;
    if (ret == 0 && *out_len == 0) {
        mh_err_set(MH_ERR_PARSE, "the scanned URL holds no receipt after /V/");
        ret = MH_ERR_PARSE;
    }
    return ret;
}
