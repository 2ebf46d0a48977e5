/*
 * fw_cfg on the pc machine: selector 0x510 (16-bit), data 0x511 (8-bit),
 * DMA address register 0x514 (high) / 0x518 (low).  Facts from QEMU's
 * docs/specs/fw_cfg.rst: item keys, the big-endian file directory, the
 * big-endian FWCfgDmaAccess descriptor and its control bits.
 */
#include "libqtest.h"

#include <glib/gstdio.h>
#include <string.h>

#define FW_CFG_CTL   0x510
#define FW_CFG_DATA  0x511
#define FW_CFG_DMA   0x514

#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID        0x01
#define FW_CFG_RAM_SIZE  0x03
#define FW_CFG_NB_CPUS   0x05
#define FW_CFG_FILE_DIR  0x19
#define FW_CFG_FILE_FIRST 0x20

#define FW_CFG_VERSION     0x01
#define FW_CFG_VERSION_DMA 0x02

#define DMA_CTL_ERROR  0x01
#define DMA_CTL_READ   0x02
#define DMA_CTL_SKIP   0x04
#define DMA_CTL_SELECT 0x08

#define FILE_ENTRY_SIZE 64   /* be32 size, be16 select, be16 reserved, name[56] */
#define FILE_NAME_MAX   56
#define E820_ENTRY_SIZE 20   /* le64 address, le64 length, le32 type */
#define E820_RAM        1

/* guest RAM the DMA tests use: descriptor, then the buffer */
#define DESC_GPA 0x1000ULL
#define BUF_GPA  0x2000ULL

static void fw_cfg_select(QTestState *s, uint16_t key)
{
    qtest_outw(s, FW_CFG_CTL, key);
}

static void fw_cfg_read(QTestState *s, void *buf, size_t len)
{
    uint8_t *p = buf;

    for (size_t i = 0; i < len; i++) {
        p[i] = qtest_inb(s, FW_CFG_DATA);
    }
}

static uint64_t fw_cfg_get_le(QTestState *s, uint16_t key, size_t len)
{
    uint8_t b[8] = { 0 };
    uint64_t v = 0;

    g_assert(len <= sizeof(b));
    fw_cfg_select(s, key);
    fw_cfg_read(s, b, len);
    for (size_t i = 0; i < len; i++) {
        v |= (uint64_t)b[i] << (8 * i);
    }
    return v;
}

static uint32_t be32_at(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint64_t le_at(const uint8_t *p, size_t len)
{
    uint64_t v = 0;

    for (size_t i = 0; i < len; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

/* Look a file up in the directory: its key and size; false if absent. */
static bool fw_cfg_find_file(QTestState *s, const char *name,
                             uint16_t *key, uint32_t *size)
{
    uint8_t count_be[4];
    uint32_t count;

    fw_cfg_select(s, FW_CFG_FILE_DIR);
    fw_cfg_read(s, count_be, 4);
    count = be32_at(count_be);
    g_assert_cmpuint(count, <, 1024);   /* sanity: the count is big-endian */
    for (uint32_t i = 0; i < count; i++) {
        uint8_t e[FILE_ENTRY_SIZE];

        fw_cfg_read(s, e, sizeof(e));
        g_assert_cmpuint(e[8 + FILE_NAME_MAX - 1], ==, 0);  /* terminated */
        if (strcmp((const char *)e + 8, name) == 0) {
            *size = be32_at(e);
            *key = e[4] << 8 | e[5];
            return true;
        }
    }
    return false;
}

static void test_signature(void)
{
    QTestState *s = qtest_init(NULL);
    char sig[4];

    fw_cfg_select(s, FW_CFG_SIGNATURE);
    fw_cfg_read(s, sig, 4);
    g_assert_cmpmem(sig, 4, "QEMU", 4);
    /* past the end of an item reads 0 */
    g_assert_cmphex(qtest_inb(s, FW_CFG_DATA), ==, 0);
    /* selecting again restarts at offset 0 */
    fw_cfg_select(s, FW_CFG_SIGNATURE);
    g_assert_cmphex(qtest_inb(s, FW_CFG_DATA), ==, 'Q');
    qtest_quit(s);
}

static void test_id(void)
{
    QTestState *s = qtest_init(NULL);

    g_assert_cmphex(fw_cfg_get_le(s, FW_CFG_ID, 4), ==,
                    FW_CFG_VERSION | FW_CFG_VERSION_DMA);
    qtest_quit(s);
}

static void test_ram_size(void)
{
    QTestState *s = qtest_init("-m 256");

    g_assert_cmphex(fw_cfg_get_le(s, FW_CFG_RAM_SIZE, 8), ==, 0x10000000);
    qtest_quit(s);
}

static void test_nb_cpus(void)
{
    QTestState *s = qtest_init("-smp 2");

    g_assert_cmpuint(fw_cfg_get_le(s, FW_CFG_NB_CPUS, 2), ==, 2);
    qtest_quit(s);
}

/* An unknown key selects nothing: its data reads as zeros. */
static void test_invalid_key(void)
{
    QTestState *s = qtest_init(NULL);

    fw_cfg_select(s, 0x3fff);
    for (int i = 0; i < 4; i++) {
        g_assert_cmphex(qtest_inb(s, FW_CFG_DATA), ==, 0);
    }
    qtest_quit(s);
}

/*
 * The directory: a big-endian count, then entries sorted by name (as
 * QEMU keeps them), each with a big-endian size and key; etc/e820 holds
 * whole 20-byte entries.
 */
static void test_file_dir(void)
{
    QTestState *s = qtest_init("-m 256");
    uint8_t count_be[4];
    uint32_t count;
    char prev[FILE_NAME_MAX] = "";
    bool found = false;

    fw_cfg_select(s, FW_CFG_FILE_DIR);
    fw_cfg_read(s, count_be, 4);
    count = be32_at(count_be);
    g_assert_cmpuint(count, >=, 1);
    g_assert_cmpuint(count, <, 1024);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t e[FILE_ENTRY_SIZE];
        const char *name = (const char *)e + 8;
        uint16_t key;

        fw_cfg_read(s, e, sizeof(e));
        key = e[4] << 8 | e[5];
        g_assert_cmpuint(e[8 + FILE_NAME_MAX - 1], ==, 0);
        g_assert_cmpuint(key, >=, FW_CFG_FILE_FIRST);
        g_assert_cmpint(strcmp(prev, name), <, 0);
        g_strlcpy(prev, name, sizeof(prev));
        if (strcmp(name, "etc/e820") == 0) {
            uint32_t size = be32_at(e);

            g_assert_cmpuint(size, >, 0);
            g_assert_cmpuint(size % E820_ENTRY_SIZE, ==, 0);
            found = true;
        }
    }
    g_assert_true(found);
    qtest_quit(s);
}

/*
 * The e820 map of a 256 MiB guest: RAM starts at 0, no RAM entry reaches
 * past the end of RAM, and the RAM entries cover all but at most 1 MiB of
 * it (the legacy hole and firmware-reserved areas).
 */
static void check_e820(const uint8_t *map, uint32_t size, uint64_t ram_size)
{
    uint64_t ram_total = 0;
    bool ram_at_zero = false;

    for (uint32_t off = 0; off < size; off += E820_ENTRY_SIZE) {
        uint64_t addr = le_at(map + off, 8);
        uint64_t len = le_at(map + off + 8, 8);
        uint32_t type = le_at(map + off + 16, 4);

        g_assert_cmpuint(len, >, 0);
        g_assert_cmpuint(type, >=, 1);
        g_assert_cmpuint(type, <=, 5);
        if (type == E820_RAM) {
            g_assert_cmphex(addr + len, <=, ram_size);
            ram_total += len;
            ram_at_zero |= addr == 0;
        }
    }
    g_assert_true(ram_at_zero);
    g_assert_cmpuint(ram_total, <=, ram_size);
    g_assert_cmpuint(ram_total, >=, ram_size - (1 << 20));
}

static void test_e820_selector(void)
{
    QTestState *s = qtest_init("-m 256");
    g_autofree uint8_t *map = NULL;
    uint16_t key;
    uint32_t size;

    g_assert_true(fw_cfg_find_file(s, "etc/e820", &key, &size));
    map = g_malloc(size);
    fw_cfg_select(s, key);
    fw_cfg_read(s, map, size);
    check_e820(map, size, 256 << 20);
    qtest_quit(s);
}

/*
 * Write an FWCfgDmaAccess (all fields big-endian) at DESC_GPA and start
 * it: the guest writes the descriptor address as two big-endian 32-bit
 * halves, the low half last.  Returns the control word afterwards.
 */
static uint32_t fw_cfg_dma(QTestState *s, uint32_t control, uint32_t length,
                           uint64_t address)
{
    qtest_writel(s, DESC_GPA, GUINT32_TO_BE(control));
    qtest_writel(s, DESC_GPA + 4, GUINT32_TO_BE(length));
    qtest_writeq(s, DESC_GPA + 8, GUINT64_TO_BE(address));
    qtest_outl(s, FW_CFG_DMA, GUINT32_TO_BE((uint32_t)(DESC_GPA >> 32)));
    qtest_outl(s, FW_CFG_DMA + 4, GUINT32_TO_BE((uint32_t)DESC_GPA));
    return GUINT32_FROM_BE(qtest_readl(s, DESC_GPA));
}

static void test_e820_dma(void)
{
    QTestState *s = qtest_init("-m 256");
    g_autofree uint8_t *by_port = NULL;
    g_autofree uint8_t *by_dma = NULL;
    uint16_t key;
    uint32_t size;

    g_assert_true(fw_cfg_find_file(s, "etc/e820", &key, &size));
    by_port = g_malloc(size);
    fw_cfg_select(s, key);
    fw_cfg_read(s, by_port, size);

    /* 8 bytes more than the item: the excess is filled with zeros */
    by_dma = g_malloc(size + 8);
    qtest_memset(s, BUF_GPA, 0xff, size + 8);
    g_assert_cmphex(fw_cfg_dma(s, (uint32_t)key << 16 | DMA_CTL_SELECT |
                               DMA_CTL_READ, size + 8, BUF_GPA), ==, 0);
    qtest_memread(s, BUF_GPA, by_dma, size + 8);
    g_assert_cmpmem(by_dma, size, by_port, size);
    for (int i = 0; i < 8; i++) {
        g_assert_cmphex(by_dma[size + i], ==, 0);
    }
    check_e820(by_dma, size, 256 << 20);
    qtest_quit(s);
}

/* SKIP moves the offset without writing; a later READ goes on from there. */
static void test_dma_skip(void)
{
    QTestState *s = qtest_init(NULL);
    char buf[2];

    qtest_memset(s, BUF_GPA, 0xee, 16);
    g_assert_cmphex(fw_cfg_dma(s, FW_CFG_SIGNATURE << 16 | DMA_CTL_SELECT |
                               DMA_CTL_SKIP, 2, BUF_GPA), ==, 0);
    g_assert_cmphex(qtest_readb(s, BUF_GPA), ==, 0xee);
    g_assert_cmphex(fw_cfg_dma(s, DMA_CTL_READ, 2, BUF_GPA), ==, 0);
    qtest_memread(s, BUF_GPA, buf, 2);
    g_assert_cmpmem(buf, 2, "MU", 2);
    /* the data port shares the offset: the item is used up */
    g_assert_cmphex(qtest_inb(s, FW_CFG_DATA), ==, 0);
    qtest_quit(s);
}

/* A destination outside RAM ends the transfer with the error bit. */
static void test_dma_bad_address(void)
{
    QTestState *s = qtest_init("-m 256");
    static const uint64_t bad[] = {
        0x20000000ULL,          /* above the end of RAM, in the PCI hole */
        0x100000000000ULL,      /* 16 TiB */
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_cmphex(fw_cfg_dma(s, FW_CFG_SIGNATURE << 16 | DMA_CTL_SELECT |
                                   DMA_CTL_READ, 4, bad[i]),
                        ==, DMA_CTL_ERROR);
    }
    /* and the device still works */
    g_assert_cmphex(fw_cfg_dma(s, FW_CFG_SIGNATURE << 16 | DMA_CTL_SELECT |
                               DMA_CTL_READ, 4, BUF_GPA), ==, 0);
    g_assert_cmphex(qtest_readl(s, BUF_GPA), ==, 0x554d4551);   /* "QEMU" */
    qtest_quit(s);
}

/*
 * -bios with -kernel/-initrd/-append: the firmware gets the whole kernel
 * file as the kernel blob after an empty setup blob (OVMF's loader joins
 * them), the initrd and the command line; the image itself ends at 4 GiB
 * and its last 128 KiB appear again below 1 MiB.
 */
static void test_firmware_kernel(void)
{
    g_autofree char *dir = g_dir_make_tmp("qtest-fwk-XXXXXX", NULL);
    g_autofree char *bios = g_build_filename(dir, "bios.bin", NULL);
    g_autofree char *kernel = g_build_filename(dir, "kernel.bin", NULL);
    g_autofree char *initrd = g_build_filename(dir, "initrd.bin", NULL);
    g_autofree uint8_t *img = g_malloc(0x30000);
    g_autofree char *args = NULL;
    uint8_t buf[16];
    QTestState *s;

    for (unsigned i = 0; i < 0x30000; i++) {
        img[i] = i * 7 + (i >> 16);
    }
    g_assert_true(g_file_set_contents(bios, (char *)img, 0x30000, NULL));
    g_assert_true(g_file_set_contents(kernel, "KERNEL-bytes", 12, NULL));
    g_assert_true(g_file_set_contents(initrd, "initrd", 6, NULL));
    args = g_strdup_printf("-bios %s -kernel %s -initrd %s -append x=1",
                           bios, kernel, initrd);
    s = qtest_init(args);

    g_assert_cmpuint(fw_cfg_get_le(s, 0x17, 4), ==, 0);     /* SETUP_SIZE */
    g_assert_cmpuint(fw_cfg_get_le(s, 0x08, 4), ==, 12);    /* KERNEL_SIZE */
    fw_cfg_select(s, 0x11);                                 /* KERNEL_DATA */
    fw_cfg_read(s, buf, 12);
    g_assert_cmpmem(buf, 12, "KERNEL-bytes", 12);
    g_assert_cmpuint(fw_cfg_get_le(s, 0x0b, 4), ==, 6);     /* INITRD_SIZE */
    fw_cfg_select(s, 0x12);                                 /* INITRD_DATA */
    fw_cfg_read(s, buf, 6);
    g_assert_cmpmem(buf, 6, "initrd", 6);
    fw_cfg_select(s, 0x15);                                 /* CMDLINE_DATA */
    fw_cfg_read(s, buf, 4);
    g_assert_cmpmem(buf, 4, "x=1", 4);

    /* the image ends at 4 GiB; its last 128 KiB also end at 1 MiB */
    qtest_memread(s, 0x100000000ULL - 0x30000, buf, 16);
    g_assert_cmpmem(buf, 16, img, 16);
    qtest_memread(s, 0xfffffff0ULL, buf, 16);
    g_assert_cmpmem(buf, 16, img + 0x30000 - 16, 16);
    qtest_memread(s, 0xe0000, buf, 16);
    g_assert_cmpmem(buf, 16, img + 0x10000, 16);
    qtest_memread(s, 0xffff0, buf, 16);
    g_assert_cmpmem(buf, 16, img + 0x30000 - 16, 16);
    qtest_quit(s);
    g_remove(bios);
    g_remove(kernel);
    g_remove(initrd);
    g_rmdir(dir);
}

/* Reading the DMA address register gives the signature "QEMU CFG". */
static void test_dma_signature(void)
{
    QTestState *s = qtest_init(NULL);
    static const char sig[] = "QEMU CFG";

    for (int i = 0; i < 8; i++) {
        g_assert_cmphex(qtest_inb(s, FW_CFG_DMA + i), ==, (uint8_t)sig[i]);
    }
    /* as a 32-bit read, bytes in port order: "QEMU" then " CFG" */
    g_assert_cmphex(qtest_inl(s, FW_CFG_DMA), ==, 0x554d4551);
    g_assert_cmphex(qtest_inl(s, FW_CFG_DMA + 4), ==, 0x47464320);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fw_cfg/signature", test_signature);
    g_test_add_func("/fw_cfg/id", test_id);
    g_test_add_func("/fw_cfg/ram-size", test_ram_size);
    g_test_add_func("/fw_cfg/nb-cpus", test_nb_cpus);
    g_test_add_func("/fw_cfg/invalid-key", test_invalid_key);
    g_test_add_func("/fw_cfg/file-dir", test_file_dir);
    g_test_add_func("/fw_cfg/e820-selector", test_e820_selector);
    g_test_add_func("/fw_cfg/e820-dma", test_e820_dma);
    g_test_add_func("/fw_cfg/dma-skip", test_dma_skip);
    g_test_add_func("/fw_cfg/dma-bad-address", test_dma_bad_address);
    g_test_add_func("/fw_cfg/dma-signature", test_dma_signature);
    g_test_add_func("/fw_cfg/firmware-kernel", test_firmware_kernel);
    return g_test_run();
}
