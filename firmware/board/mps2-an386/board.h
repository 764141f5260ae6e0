/* board.h - the mps2-an386 board (Cortex-M4) as the verifier uses it: the
 * camera's UART, the display (a text console: semihosting on the
 * emulator), the clock, the flash slots, and the budget counters. A real
 * board replaces board.c; firmware/README.md says what to change. */
#ifndef MH_FW_BOARD_H
#define MH_FW_BOARD_H

#include <stddef.h>
#include <stdint.h>

/* The flash slots, outside the 64 KiB image (linker: __flash_size). Each
 * is written on its own: the trust list and the snapshot by an update,
 * the device state by the verifier itself. */
#define BOARD_TL_SLOT ((const uint8_t *)0x00100000u)
#define BOARD_TL_SLOT_SIZE (4096u + 4u)
#define BOARD_SNAP_SLOT ((const uint8_t *)0x00102000u)
#define BOARD_SNAP_SLOT_SIZE (48u * 1024u + 4u)
/* "MHST", then the highest trust-list sequence accepted (big-endian u64) */
#define BOARD_STATE_SLOT ((const uint8_t *)0x00110000u)

void board_init(void);
/* Blocks for the next character from the camera module's UART. */
char board_uart_getc(void);
/* One line on the display. */
void board_display(void *ctx, const char *line);
/* A line of the build/test report (stderr on the emulator). */
void board_report(const char *line);
/* Seconds since 1970 UTC (the RTC; the host's clock on the emulator). */
uint64_t board_now(void);
/* A free-running tick counter and how many instructions one tick is
 * (measured at start-up against a loop of known length). */
uint32_t board_ticks(void);
uint32_t board_insns_per_tick_x100(void);
/* Paints the free stack; the high-water mark in bytes afterwards. */
void board_stack_paint(void);
size_t board_stack_used(void);
/* Persists the highest accepted trust-list sequence (the emulator's RAM
 * slot stands for a flash page). */
void board_state_store(uint64_t seq);
uint64_t board_state_min_seq(void);
/* Ends the session with the verdict as exit code (emulator: semihosting
 * SYS_EXIT_EXTENDED); a real device loops instead. */
void board_exit(int code) __attribute__((noreturn));

#endif
