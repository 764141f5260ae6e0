/* board.c - mps2-an386 under qemu-system-arm (board.h). The CMSDK APB
 * UART0 is the camera's line, semihosting is the display and the exit
 * code, the CMSDK APB timer 0 counts ticks (under -icount, exact
 * multiples of instructions). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "board.h"

#define UART0 ((volatile uint32_t *)0x40004000u)  /* DATA, STATE, CTRL */
#define TIMER0 ((volatile uint32_t *)0x40000000u) /* CTRL, VALUE, RELOAD */
#define STACK_PAINT 0xa5a5a5a5u

extern uint32_t __stack[];      /* top of the stack (picolibc.ld) */
extern uint32_t __heap_start[]; /* end of .bss: the stack's floor */

static uint32_t insns_x100 = 100;

static void calibrate(void)
{
    /* 2 instructions per round (subs, bne), 1,000,000 rounds */
    uint32_t t0 = board_ticks();
    __asm__ volatile("ldr r0, =1000000\n"
                     "1: subs r0, r0, #1\n"
                     "bne 1b\n" ::
                         : "r0", "cc");
    uint32_t dt = board_ticks() - t0;
    if (dt > 0)
        insns_x100 = (uint32_t)(200000000ull / dt);
}

void board_init(void)
{
    UART0[2] = 0x3; /* TX and RX enable */
    TIMER0[0] = 0;
    TIMER0[2] = 0xffffffffu;
    TIMER0[1] = 0xffffffffu;
    TIMER0[0] = 1; /* enable, no interrupt */
    calibrate();
}

char board_uart_getc(void)
{
    while (!(UART0[1] & 0x2)) /* RX buffer full */
        ;
    return (char)(UART0[0] & 0xff);
}

void board_display(void *ctx, const char *line)
{
    (void)ctx;
    fputs(line, stdout);
    fputc('\n', stdout);
}

void board_report(const char *line)
{
    fputs(line, stderr);
    fputc('\n', stderr);
}

uint64_t board_now(void)
{
    /* semihosting SYS_TIME: the host's clock */
    time_t t = time(NULL);
    return t > 0 ? (uint64_t)t : 0;
}

uint32_t board_ticks(void)
{
    return 0xffffffffu - TIMER0[1]; /* it counts down */
}

uint32_t board_insns_per_tick_x100(void)
{
    return insns_x100;
}

void board_stack_paint(void)
{
    uint32_t *p = __heap_start;
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    while (p < sp - 16) /* leave the current frame alone */
        *p++ = STACK_PAINT;
}

size_t board_stack_used(void)
{
    uint32_t *p = __heap_start;
    while (p < __stack && *p == STACK_PAINT)
        p++;
    return (size_t)((uintptr_t)__stack - (uintptr_t)p);
}

void board_state_store(uint64_t seq)
{
    uint8_t *s = (uint8_t *)(uintptr_t)BOARD_STATE_SLOT;
    memcpy(s, "MHST", 4);
    for (int i = 0; i < 8; i++)
        s[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
}

uint64_t board_state_min_seq(void)
{
    const uint8_t *s = BOARD_STATE_SLOT;
    uint64_t v = 0;
    if (memcmp(s, "MHST", 4) != 0)
        return 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | s[4 + i];
    return v;
}

void board_exit(int code)
{
    fflush(stdout);
    fflush(stderr);
    exit(code); /* picolibc's semihosting exit: SYS_EXIT_EXTENDED with the code */
}
