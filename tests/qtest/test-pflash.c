/*
 * The pc machine's CFI flash (hw/block/pflash_cfi01.c) driven over
 * qtest: -drive if=pflash unit 0 (code, readonly=on) ends at 4 GiB, unit
 * 1 (variables, writable) right below it.  Each test issues the Intel
 * command set bytes a guest (OVMF's QemuFlashFvbServicesRuntimeDxe)
 * writes and checks what reads return and what lands in the files.
 */
#include "libqtest.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#define CODE_SIZE   0x10000
#define VARS_SIZE   0x4000
#define BLOCK       0x1000
#define CODE_BASE   (0x100000000ULL - CODE_SIZE)
#define VARS_BASE   (CODE_BASE - VARS_SIZE)

typedef struct Flash {
    char *dir, *code, *vars, *log;
    uint8_t code_img[CODE_SIZE], vars_img[VARS_SIZE];
    QTestState *s;
} Flash;

/*
 * blockdev: libvirt 9.0's form for <loader type='pflash'> and <nvram>:
 * a file and a raw node per image, the machine naming the raw nodes.
 */
static void flash_start_form(Flash *f, bool blockdev)
{
    g_autofree char *args = NULL;

    f->dir = g_dir_make_tmp("qtest-pflash-XXXXXX", NULL);
    g_assert_nonnull(f->dir);
    f->code = g_build_filename(f->dir, "code.fd", NULL);
    f->vars = g_build_filename(f->dir, "vars.fd", NULL);
    f->log = g_build_filename(f->dir, "log", NULL);
    for (unsigned i = 0; i < CODE_SIZE; i++) {
        f->code_img[i] = i * 13 + 5;
    }
    for (unsigned i = 0; i < VARS_SIZE; i++) {
        f->vars_img[i] = i * 7 + 3;
    }
    g_assert_true(g_file_set_contents(f->code, (char *)f->code_img,
                                      CODE_SIZE, NULL));
    g_assert_true(g_file_set_contents(f->vars, (char *)f->vars_img,
                                      VARS_SIZE, NULL));
    if (blockdev) {
        args = g_strdup_printf(
            "-d guest_errors -D %s "
            "-blockdev '{\"driver\":\"file\",\"filename\":\"%s\","
            "\"node-name\":\"libvirt-pflash0-storage\","
            "\"auto-read-only\":true,\"discard\":\"unmap\"}' "
            "-blockdev '{\"node-name\":\"libvirt-pflash0-format\","
            "\"read-only\":true,\"driver\":\"raw\","
            "\"file\":\"libvirt-pflash0-storage\"}' "
            "-blockdev '{\"driver\":\"file\",\"filename\":\"%s\","
            "\"node-name\":\"libvirt-pflash1-storage\","
            "\"auto-read-only\":true,\"discard\":\"unmap\"}' "
            "-blockdev '{\"node-name\":\"libvirt-pflash1-format\","
            "\"read-only\":false,\"driver\":\"raw\","
            "\"file\":\"libvirt-pflash1-storage\"}' "
            "-machine pc-i440fx-7.2,usb=off,dump-guest-core=off,"
            "pflash0=libvirt-pflash0-format,pflash1=libvirt-pflash1-format",
            f->log, f->code, f->vars);
    } else {
        args = g_strdup_printf(
            "-d guest_errors -D %s "
            "-drive if=pflash,format=raw,unit=0,file=%s,readonly=on "
            "-drive if=pflash,format=raw,unit=1,file=%s", f->log, f->code,
            f->vars);
    }
    f->s = qtest_init(args);
}

static void flash_start(Flash *f)
{
    flash_start_form(f, false);
}

static void flash_end(Flash *f)
{
    if (f->s) {
        qtest_quit(f->s);
    }
    g_remove(f->code);
    g_remove(f->vars);
    g_remove(f->log);
    g_rmdir(f->dir);
    g_free(f->code);
    g_free(f->vars);
    g_free(f->log);
    g_free(f->dir);
}

/* Quit the VMM, check both image files hold what the test expects, clean
 * up: what the guest saw through the flash reached the files (or not). */
static void flash_end_files_match(Flash *f)
{
    g_autofree char *vars = NULL, *code = NULL;
    gsize len;

    qtest_quit(f->s);
    f->s = NULL;
    g_assert_true(g_file_get_contents(f->vars, &vars, &len, NULL));
    g_assert_cmpmem(vars, len, f->vars_img, VARS_SIZE);
    g_assert_true(g_file_get_contents(f->code, &code, &len, NULL));
    g_assert_cmpmem(code, len, f->code_img, CODE_SIZE);
    flash_end(f);
}

static void assert_array(Flash *f, uint64_t gpa, const uint8_t *expect,
                         size_t len)
{
    g_autofree uint8_t *buf = g_malloc(len);

    qtest_memread(f->s, gpa, buf, len);
    g_assert_cmpmem(buf, len, expect, len);
}

/* 0x98: the CFI query table (JESD68); 0xff: the array again */
static void test_cfi_query(void)
{
    Flash f;
    QTestState *s;

    flash_start(&f);
    s = f.s;
    qtest_writeb(s, VARS_BASE, 0x98);
    g_assert_cmphex(qtest_readb(s, VARS_BASE + 0x10), ==, 'Q');
    g_assert_cmphex(qtest_readb(s, VARS_BASE + 0x11), ==, 'R');
    g_assert_cmphex(qtest_readb(s, VARS_BASE + 0x12), ==, 'Y');
    /* primary command set 0001h (Intel/Sharp), extended table at 31h */
    g_assert_cmphex(qtest_readw(s, VARS_BASE + 0x13), ==, 0x0001);
    g_assert_cmphex(qtest_readw(s, VARS_BASE + 0x15), ==, 0x0031);
    g_assert_cmphex(qtest_readb(s, VARS_BASE + 0x27), ==, 14);  /* 2^14 */
    g_assert_cmphex(qtest_readw(s, VARS_BASE + 0x28), ==, 0);   /* x8 */
    g_assert_cmphex(qtest_readb(s, VARS_BASE + 0x2c), ==, 1);
    /* one region: 4 blocks (count - 1 = 3) of 16 x 256 bytes */
    g_assert_cmphex(qtest_readw(s, VARS_BASE + 0x2d), ==, VARS_SIZE / BLOCK - 1);
    g_assert_cmphex(qtest_readw(s, VARS_BASE + 0x2f), ==, BLOCK / 256);
    g_assert_cmphex(qtest_readb(s, VARS_BASE + 0x31), ==, 'P');
    g_assert_cmphex(qtest_readb(s, VARS_BASE + 0x32), ==, 'R');
    g_assert_cmphex(qtest_readb(s, VARS_BASE + 0x33), ==, 'I');
    /* the readonly unit answers queries too: 64 KiB = 2^16 */
    qtest_writeb(s, CODE_BASE, 0x98);
    g_assert_cmphex(qtest_readb(s, CODE_BASE + 0x27), ==, 16);
    qtest_writeb(s, CODE_BASE, 0xff);
    qtest_writeb(s, VARS_BASE, 0xff);
    assert_array(&f, VARS_BASE, f.vars_img, 64);
    assert_array(&f, CODE_BASE, f.code_img, 64);
    flash_end(&f);
}

/* 0x90: read ID (QEMU's pc flash has manufacturer and device 0); block
 * lock status at offset 2 of each block: unlocked */
static void test_read_id(void)
{
    Flash f;

    flash_start(&f);
    qtest_writeb(f.s, VARS_BASE + 0x123, 0x90);
    g_assert_cmphex(qtest_readb(f.s, VARS_BASE), ==, 0);
    g_assert_cmphex(qtest_readb(f.s, VARS_BASE + 1), ==, 0);
    g_assert_cmphex(qtest_readb(f.s, VARS_BASE + BLOCK + 2), ==, 0);
    qtest_writeb(f.s, VARS_BASE, 0xff);
    assert_array(&f, VARS_BASE, f.vars_img, 16);
    flash_end(&f);
}

/*
 * OVMF's QemuFlashDetected: after 0x50 the byte reads back as the array
 * (not 0x50, which would be RAM), after 0x70 the cleared status 0.
 */
static void test_ovmf_probe(void)
{
    Flash f;
    uint8_t orig;

    flash_start(&f);
    orig = qtest_readb(f.s, VARS_BASE + 1);
    g_assert_cmphex(orig, ==, f.vars_img[1]);
    qtest_writeb(f.s, VARS_BASE + 1, 0x50);
    g_assert_cmphex(qtest_readb(f.s, VARS_BASE + 1), ==, orig);
    qtest_writeb(f.s, VARS_BASE + 1, 0x70);
    g_assert_cmphex(qtest_readb(f.s, VARS_BASE + 1), ==, 0x00);
    qtest_writeb(f.s, VARS_BASE + 1, 0xff);
    g_assert_cmphex(qtest_readb(f.s, VARS_BASE + 1), ==, orig);
    flash_end(&f);
}

/*
 * Program (0x10 and 0x40), block erase (0x20 0xd0), status; then the
 * variables file holds exactly those changes after the VMM has exited,
 * and the code file none.
 */
static void test_program_erase_persist(void)
{
    Flash f;

    flash_start(&f);
    /* a plain write in read-array mode is no command: nothing changes */
    qtest_writeb(f.s, VARS_BASE + 0x10, 0x00);
    assert_array(&f, VARS_BASE, f.vars_img, 0x20);

    qtest_writeb(f.s, VARS_BASE + 0x105, 0x10);
    qtest_writeb(f.s, VARS_BASE + 0x105, 0xa5);
    g_assert_cmphex(qtest_readb(f.s, VARS_BASE), ==, 0x80);     /* ready */
    qtest_writeb(f.s, VARS_BASE + 0x106, 0x40);
    qtest_writeb(f.s, VARS_BASE + 0x106, 0x5a);
    qtest_writeb(f.s, VARS_BASE + 0x106, 0xff);
    f.vars_img[0x105] = 0xa5;
    f.vars_img[0x106] = 0x5a;
    assert_array(&f, VARS_BASE + 0x100, f.vars_img + 0x100, 16);

    qtest_writeb(f.s, VARS_BASE + 2 * BLOCK + 0x10, 0x20);
    qtest_writeb(f.s, VARS_BASE + 2 * BLOCK + 0x10, 0xd0);
    g_assert_cmphex(qtest_readb(f.s, VARS_BASE + 2 * BLOCK), ==, 0x80);
    qtest_writeb(f.s, VARS_BASE, 0xff);
    memset(f.vars_img + 2 * BLOCK, 0xff, BLOCK);
    assert_array(&f, VARS_BASE, f.vars_img, VARS_SIZE);

    flash_end_files_match(&f);
}

/*
 * readonly=on: program and erase end with the status error bits
 * (0x10 program, 0x20 erase, both: bad sequence) and change nothing;
 * 0x50 clears them.  Each refusal is named under -d guest_errors.
 */
static void test_readonly_and_errors(void)
{
    Flash f;
    g_autofree char *log = NULL;

    flash_start(&f);
    qtest_writeb(f.s, CODE_BASE + 8, 0x10);
    qtest_writeb(f.s, CODE_BASE + 8, 0x00);
    g_assert_cmphex(qtest_readb(f.s, CODE_BASE), ==, 0x90);
    qtest_writeb(f.s, CODE_BASE, 0x50);
    qtest_writeb(f.s, CODE_BASE, 0x70);
    g_assert_cmphex(qtest_readb(f.s, CODE_BASE), ==, 0x00);
    qtest_writeb(f.s, CODE_BASE, 0x20);
    qtest_writeb(f.s, CODE_BASE, 0xd0);
    g_assert_cmphex(qtest_readb(f.s, CODE_BASE), ==, 0xa0);
    qtest_writeb(f.s, CODE_BASE, 0xff);
    assert_array(&f, CODE_BASE, f.code_img, CODE_SIZE);

    /* erase not confirmed by 0xd0: improper sequence, nothing erased */
    qtest_writeb(f.s, VARS_BASE, 0x20);
    qtest_writeb(f.s, VARS_BASE, 0x55);
    g_assert_cmphex(qtest_readb(f.s, VARS_BASE), ==, 0xb0);
    qtest_writeb(f.s, VARS_BASE, 0x50);
    g_assert_cmphex(qtest_readb(f.s, VARS_BASE), ==, 0x00);
    /* unsupported (write to buffer): back to read-array */
    qtest_writeb(f.s, VARS_BASE, 0xe8);
    assert_array(&f, VARS_BASE, f.vars_img, VARS_SIZE);

    qtest_quit(f.s);
    f.s = NULL;
    g_assert_true(g_file_get_contents(f.log, &log, NULL, NULL));
    g_assert_nonnull(strstr(log, "program at 0x8 refused: the flash is "
                                 "read-only"));
    g_assert_nonnull(strstr(log, "erase of block 0x0 refused"));
    g_assert_nonnull(strstr(log, "block erase not confirmed (0x55"));
    g_assert_nonnull(strstr(log, "unsupported flash command 0xe8"));
    flash_end(&f);
}

/*
 * -blockdev nodes named by -machine pflash0=,pflash1= map exactly as the
 * -drive if=pflash units do; the read-only node refuses program, the
 * writable one keeps what is programmed and erased in its file.
 */
static void test_blockdev_form(void)
{
    Flash f;

    flash_start_form(&f, true);
    assert_array(&f, CODE_BASE, f.code_img, CODE_SIZE);
    assert_array(&f, VARS_BASE, f.vars_img, VARS_SIZE);
    /* below unit 1: no flash (unclaimed reads are all-ones) */
    g_assert_cmphex(qtest_readb(f.s, VARS_BASE - 1), ==, 0xff);
    qtest_writeb(f.s, CODE_BASE + 4, 0x10);
    qtest_writeb(f.s, CODE_BASE + 4, 0x00);
    g_assert_cmphex(qtest_readb(f.s, CODE_BASE), ==, 0x90);
    qtest_writeb(f.s, CODE_BASE, 0xff);
    qtest_writeb(f.s, VARS_BASE + 0x20, 0x10);
    qtest_writeb(f.s, VARS_BASE + 0x20, 0x3c);
    qtest_writeb(f.s, VARS_BASE + 3 * BLOCK, 0x20);
    qtest_writeb(f.s, VARS_BASE + 3 * BLOCK, 0xd0);
    qtest_writeb(f.s, VARS_BASE, 0xff);
    f.vars_img[0x20] = 0x3c;
    memset(f.vars_img + 3 * BLOCK, 0xff, BLOCK);
    assert_array(&f, VARS_BASE, f.vars_img, VARS_SIZE);
    flash_end_files_match(&f);
}

/*
 * A system reset (i8042 command 0xfe; it happens on the main loop, so
 * poll) leaves the flash in read-array mode with status 0.
 */
static void test_reset(void)
{
    Flash f;
    bool reset = false;

    flash_start(&f);
    qtest_writeb(f.s, VARS_BASE, 0x98);
    g_assert_cmphex(qtest_readb(f.s, VARS_BASE + 0x10), ==, 'Q');
    qtest_writeb(f.s, CODE_BASE, 0x20);
    qtest_writeb(f.s, CODE_BASE, 0xd0);
    g_assert_cmphex(qtest_readb(f.s, CODE_BASE), ==, 0xa0);
    qtest_outb(f.s, 0x64, 0xfe);
    for (int i = 0; i < 200 && !reset; i++) {
        reset = qtest_readb(f.s, VARS_BASE + 0x10) == f.vars_img[0x10];
        if (!reset) {
            g_usleep(10 * 1000);
        }
    }
    g_assert_true(reset);
    assert_array(&f, VARS_BASE, f.vars_img, 64);
    assert_array(&f, CODE_BASE, f.code_img, 64);
    qtest_writeb(f.s, CODE_BASE, 0x70);
    g_assert_cmphex(qtest_readb(f.s, CODE_BASE), ==, 0x00);
    flash_end(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pflash/cfi-query", test_cfi_query);
    g_test_add_func("/pflash/read-id", test_read_id);
    g_test_add_func("/pflash/ovmf-probe", test_ovmf_probe);
    g_test_add_func("/pflash/program-erase-persist",
                    test_program_erase_persist);
    g_test_add_func("/pflash/readonly-and-errors", test_readonly_and_errors);
    g_test_add_func("/pflash/blockdev-form", test_blockdev_form);
    g_test_add_func("/pflash/reset", test_reset);
    return g_test_run();
}
