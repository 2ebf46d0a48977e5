/*
 * counter: count forever, printing "count N" on COM1 after every step, so
 * a test can save the running guest, restore it in a new process and see
 * the count go on from where it was (RAM, registers and the serial port
 * all restored).  Each step waits delay=N (default 2000) writes to port
 * 0x80, a VM exit each; with delay=0 the guest only prints.
 */
#include "libguest.h"

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

static volatile uint32_t count;

int main(uint32_t magic, struct mb_info *mbi)
{
    const char *cmdline = "";
    uint32_t delay;

    if (magic == 0x2badb002 && (mbi->flags & (1 << 2))) {
        cmdline = (const char *)mbi->cmdline;
    }
    delay = cmdline_value(cmdline, "delay=", 2000);
    for (;;) {
        count++;
        printf("count %u\n", count);
        for (uint32_t i = 0; i < delay; i++) {
            io_delay();
        }
    }
}
