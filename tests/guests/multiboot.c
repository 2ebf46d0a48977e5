/* multiboot: prints what the multiboot v1 loader handed over, exits with "exit=N". */
#include "libguest.h"

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
    uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr, config_table, boot_loader_name;
};
struct mb_mod {
    uint32_t start, end, string, reserved;
};
struct mb_mmap {
    uint32_t size;
    uint64_t base, len;
    uint32_t type;
} __attribute__((packed));

int main(uint32_t magic, struct mb_info *mbi)
{
    const char *cmdline = 0;
    uint32_t i, code;

    puts("multiboot: hello\n");
    printf("magic: 0x%08x\n", magic);
    if (magic != 0x2badb002)
        return 0x70;
    printf("flags: 0x%08x\n", mbi->flags);
    if (mbi->flags & (1 << 0))
        printf("mem_lower: %u KiB\nmem_upper: %u KiB\n",
               mbi->mem_lower, mbi->mem_upper);
    if (mbi->flags & (1 << 2)) {
        cmdline = (const char *)mbi->cmdline;
        printf("cmdline: \"%s\"\n", cmdline);
    }
    if (mbi->flags & (1 << 9))
        printf("bootloader: \"%s\"\n", (const char *)mbi->boot_loader_name);
    if (mbi->flags & (1 << 3)) {
        struct mb_mod *m = (struct mb_mod *)mbi->mods_addr;
        printf("mods: %u\n", mbi->mods_count);
        for (i = 0; i < mbi->mods_count; i++) {
            uint32_t size = m[i].end - m[i].start;
            printf("mod%u: \"%s\" size=%u aligned=%s data=", i,
                   (const char *)m[i].string, size,
                   (m[i].start & 0xfff) ? "no" : "yes");
            print_escaped((const void *)m[i].start, size < 16 ? size : 16);
            putc('\n');
        }
    }
    if (mbi->flags & (1 << 6)) {
        uint32_t p = mbi->mmap_addr, end = p + mbi->mmap_length;
        while (p < end) {
            struct mb_mmap *e = (struct mb_mmap *)p;
            printf("mmap: base=0x%016llx len=0x%016llx type=%u\n",
                   e->base, e->len, e->type);
            p += e->size + 4;
        }
    }
    code = cmdline_exit_code(cmdline);
    printf("exit: %u\n", code);
    return code;
}
