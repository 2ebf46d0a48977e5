/* fwcfg: the fw_cfg signature, features, a few keys and the file directory. */
#include "libguest.h"

struct fw_cfg_file {
    uint32_t size;                      /* big-endian */
    uint16_t select;                    /* big-endian */
    uint16_t reserved;
    char name[56];
};

int main(void)
{
    char sig[4];
    uint32_t n, i;
    struct fw_cfg_file f;

    puts("fwcfg: hello\n");
    fw_cfg_select(FW_CFG_SIGNATURE);
    fw_cfg_read(sig, sizeof(sig));
    puts("fwcfg: signature ");
    print_escaped(sig, sizeof(sig));
    putc('\n');
    printf("fwcfg: id 0x%08x\n", fw_cfg_read32(FW_CFG_ID));
    printf("fwcfg: cpus %u\n", fw_cfg_read16(FW_CFG_NB_CPUS));
    printf("fwcfg: ram 0x%llx\n", fw_cfg_read64(FW_CFG_RAM_SIZE));
    fw_cfg_select(FW_CFG_FILE_DIR);
    fw_cfg_read(&n, sizeof(n));
    n = be32(n);
    printf("fwcfg: %u files\n", n);
    for (i = 0; i < n && i < 256; i++) {
        fw_cfg_read(&f, sizeof(f));
        f.name[55] = 0;
        printf("fwcfg: file %s\n", f.name);
    }
    return 0;
}
