/* pvh: prints the hvm_start_info the PVH loader handed over. */
#include "libguest.h"

struct hvm_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
    uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};
struct hvm_memmap_table_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};

int main(uint32_t unused, struct hvm_start_info *si)
{
    (void)unused;
    const char *cmdline = 0;
    uint32_t i, code;

    puts("pvh: hello\n");
    printf("magic: 0x%08x\n", si->magic);
    if (si->magic != 0x336ec578)
        return 0x70;
    printf("version: %u\n", si->version);
    if (si->cmdline_paddr) {
        cmdline = (const char *)(uint32_t)si->cmdline_paddr;
        printf("cmdline: \"%s\"\n", cmdline);
    }
    printf("modules: %u\n", si->nr_modules);
    for (i = 0; i < si->nr_modules; i++) {
        struct hvm_modlist_entry *m =
            (struct hvm_modlist_entry *)(uint32_t)si->modlist_paddr + i;
        uint32_t size = (uint32_t)m->size;
        printf("mod%u: size=%u data=", i, size);
        print_escaped((const void *)(uint32_t)m->paddr, size < 16 ? size : 16);
        putc('\n');
    }
    if (si->version >= 1) {
        struct hvm_memmap_table_entry *e =
            (struct hvm_memmap_table_entry *)(uint32_t)si->memmap_paddr;
        for (i = 0; i < si->memmap_entries; i++)
            printf("memmap: addr=0x%016llx size=0x%016llx type=%u\n",
                   e[i].addr, e[i].size, e[i].type);
    }
    if (!si->rsdp_paddr)
        puts("rsdp: missing\n");
    else if (memcmp((const void *)(uint32_t)si->rsdp_paddr, "RSD PTR ", 8))
        puts("rsdp: bad signature\n");
    else
        puts("rsdp: ok\n");
    code = cmdline_exit_code(cmdline);
    printf("exit: %u\n", code);
    return code;
}
