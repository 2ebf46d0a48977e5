/*
 * The demo guest `make run` boots: say hello on COM1, show the command
 * line, then power the machine off through ACPI (SLP_TYP 0 | SLP_EN to
 * PM1a_CNT at 0x604: the DSDT's \_S5, as on QEMU's pc), so the VMM exits
 * with status 0.
 */
#include "libguest.h"

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

#define PM1A_CNT        0x604
#define SLP_TYP_S5      (0 << 10)
#define SLP_EN          (1 << 13)

int main(uint32_t magic, struct mb_info *mbi)
{
    puts("qkvm demo guest: hello from a multiboot kernel under KVM\n");
    if (magic == 0x2badb002 && (mbi->flags & (1 << 2))) {
        printf("command line: %s\n", (const char *)mbi->cmdline);
    }
    printf("RAM: %u KiB above 1 MiB\n", mbi->mem_upper);
    puts("powering off\n");
    outw(SLP_TYP_S5 | SLP_EN, PM1A_CNT);
    puts("power-off did not happen\n");
    return 1;
}
