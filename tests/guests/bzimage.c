/* bzimage: prints the Linux boot_params it was started with. */
#include "libguest.h"

#define BP(type, off) (*(type *)(bp + (off)))

struct e820_entry {
    uint64_t addr, size;
    uint32_t type;
} __attribute__((packed));

int main(uint32_t kind, uint8_t *bp)
{
    const char *cmdline = 0;
    uint32_t i, n, code;
    struct e820_entry *e = (struct e820_entry *)(bp + 0x2d0);

    printf("linux%u: hello\n", kind);
    printf("version: 0x%04x\n", BP(uint16_t, 0x206));
    if (BP(uint32_t, 0x228)) {
        cmdline = (const char *)BP(uint32_t, 0x228);
        printf("cmdline: \"%s\"\n", cmdline);
    }
    if (BP(uint32_t, 0x218) && BP(uint32_t, 0x21c)) {
        n = BP(uint32_t, 0x21c);
        printf("initrd: size=%u data=", n);
        print_escaped((const void *)BP(uint32_t, 0x218), n < 16 ? n : 16);
        putc('\n');
    } else {
        puts("initrd: none\n");
    }
    n = BP(uint8_t, 0x1e8);
    printf("e820: %u entries\n", n);
    for (i = 0; i < n && i < 128; i++)
        printf("e820: addr=0x%016llx size=0x%016llx type=%u\n",
               e[i].addr, e[i].size, e[i].type);
    code = cmdline_exit_code(cmdline);
    printf("exit: %u\n", code);
    return code;
}
