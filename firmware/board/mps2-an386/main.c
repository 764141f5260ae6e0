/* main.c - the offline verifier's loop on the board: boot (burnt-in key,
 * trust list, snapshot), then one verdict per scanned line. On the
 * emulator the session ends after one line with the verdict as exit code;
 * the budget (stack high-water, mbedTLS pool peak, instructions of the
 * scan) goes to the report stream. */
#include <stdio.h>
#include <string.h>

#include <mbedtls/memory_buffer_alloc.h>

#include "board.h"
#include "mh_fw.h"

/* The trust-list signing key, burnt in at manufacturing: this section is
 * replaced in the image (objcopy --update-section, firmware/README.md). */
__attribute__((section(".mohur_tlkey"), used)) const uint8_t mh_fw_burnt_tl_key[65] = {0};

#define POOL_SIZE 5632 /* peak measured: about 4.6 KB (docs/performance.md) */
#define POOL_PAINT 0xa5
static unsigned char pool[POOL_SIZE] __attribute__((aligned(8)));
static mh_fw_device dev;
static mh_fw_linebuf lb;

void *mh_fw_no_calloc(size_t n, size_t size)
{
    (void)n;
    (void)size;
    return NULL;
}

void mh_fw_no_free(void *p)
{
    (void)p;
}

static size_t pool_used(void)
{
    size_t top = POOL_SIZE;
    while (top > 0 && pool[top - 1] == POOL_PAINT)
        top--;
    return top;
}

int main(void)
{
    char l[160];
    board_init();
    mbedtls_memory_buffer_alloc_init(pool, sizeof pool);
    /* the allocator keeps one header at the start; paint the rest to see
     * how far the bignums reach */
    memset(pool + 64, POOL_PAINT, sizeof pool - 64);
    board_stack_paint();

    uint64_t min_seq = board_state_min_seq();
    mh_fw_device_boot(&dev, mh_fw_burnt_tl_key, sizeof mh_fw_burnt_tl_key, BOARD_TL_SLOT,
                      BOARD_TL_SLOT_SIZE, min_seq, BOARD_SNAP_SLOT, BOARD_SNAP_SLOT_SIZE,
                      board_display, NULL);
    if (dev.st.trust && dev.trust.seq > min_seq)
        board_state_store(dev.trust.seq); /* never accept an older one again */
    for (;;) {
        mh_fw_linebuf_reset(&lb);
        while (!mh_fw_linebuf_put(&lb, board_uart_getc()))
            ;
        uint32_t t0 = board_ticks();
        enum mh_fw_verdict v =
            mh_fw_device_scan(&dev, lb.buf, lb.len, lb.seen, board_now(), board_display, NULL);
        uint32_t dt = board_ticks() - t0;
        unsigned long long insns = (unsigned long long)dt * board_insns_per_tick_x100() / 100;
        snprintf(l, sizeof l, "[budget] scan: %llu instructions (%lu ticks x %lu.%02lu)", insns,
                 (unsigned long)dt, (unsigned long)(board_insns_per_tick_x100() / 100),
                 (unsigned long)(board_insns_per_tick_x100() % 100));
        board_report(l);
        snprintf(l, sizeof l, "[budget] stack high-water: %lu bytes",
                 (unsigned long)board_stack_used());
        board_report(l);
        snprintf(l, sizeof l, "[budget] mbedTLS pool peak: %lu of %d bytes",
                 (unsigned long)pool_used(), POOL_SIZE);
        board_report(l);
        board_exit((int)v);
    }
}
