/* fuzz_fw_line.c - the offline verifier's input path on any bytes: the
 * UART line buffer, the QR line parser, and a whole scan without a trust
 * list (decode only). Nothing may crash or read outside the input, and
 * nothing without a trust list may be VALID. */
#include <stdint.h>
#include <string.h>

#include "mh_fw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *ctx, const char *line)
{
    (void)ctx;
    (void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mh_fw_linebuf lb;
    static uint8_t receipt[MH_RECEIPT_MAX];
    static mh_fw_result res;
    mh_fw_state st = {.trust = NULL, .trust_why = "none", .snap = NULL, .snap_why = "none"};
    mh_receipt_str host;
    size_t rl;

    if (mh_fw_line_parse((const char *)data, size, &host, receipt, sizeof receipt, &rl) == 0 &&
        (rl == 0 || rl > sizeof receipt))
        __builtin_trap();
    mh_fw_verify_line(&st, (const char *)data, size, receipt, sizeof receipt, &res);
    if (res.verdict == MH_FW_VALID)
        __builtin_trap();
    mh_fw_render(&st, &res, sink, NULL);
    /* the same bytes through the UART line buffer, line by line */
    mh_fw_linebuf_reset(&lb);
    for (size_t i = 0; i < size; i++) {
        if (mh_fw_linebuf_put(&lb, (char)data[i])) {
            if (lb.len > MH_FW_LINE_MAX || lb.seen < lb.len)
                __builtin_trap();
            mh_fw_verify_line(&st, lb.buf, lb.len, receipt, sizeof receipt, &res);
            mh_fw_linebuf_reset(&lb);
        }
    }
    return 0;
}
