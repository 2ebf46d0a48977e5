/*
 * reset: CMOS NVRAM byte 0x50 counts boots.  Boot 1 resets through port
 * 0xcf9, boot 2 through the keyboard controller, boot 3 by a triple fault,
 * boot 4 exits with code 0.  "first=N" on the multiboot command line starts
 * the count at N (to test one method with -no-reboot).
 */
#include "libguest.h"

#define CMOS_COUNTER 0x50

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

int main(uint32_t magic, struct mb_info *mbi)
{
    uint8_t boot = cmos_read(CMOS_COUNTER) + 1;
    uint32_t i;

    if (boot == 1 && magic == 0x2badb002 && (mbi->flags & (1 << 2)))
        boot = cmdline_value((const char *)mbi->cmdline, "first=", 1);

    cmos_write(CMOS_COUNTER, boot);
    printf("reset: boot %u\n", boot);
    switch (boot) {
    case 1:
        puts("reset: via port 0xcf9\n");
        outb(0x06, 0xcf9);
        break;
    case 2:
        puts("reset: via keyboard controller\n");
        outb(0xfe, 0x64);
        break;
    case 3: {
        struct {
            uint16_t pad, limit;
            uint32_t base;
        } __attribute__((packed)) null_idt = { 0, 0, 0 };
        puts("reset: via triple fault\n");
        asm volatile("lidt (%0); ud2" : : "r"(&null_idt.limit) : "memory");
        break;
    }
    default:
        cmos_write(CMOS_COUNTER, 0);
        puts("reset: done\n");
        return 0;
    }
    for (i = 0; i < 300000; i++)        /* >= 0.3 s: the reset is asynchronous */
        io_delay();
    printf("reset: boot %u: no reset happened\n", boot);
    cmos_write(CMOS_COUNTER, 0);
    return 2;
}
