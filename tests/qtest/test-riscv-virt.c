/*
 * qkvm-system-riscv64's virt machine under qtest: the PLIC against the
 * RISC-V PLIC Specification 1.0.0 (priorities, pending, per-context
 * enables, threshold, claim/complete, ties to the lowest ID, level
 * gateways, reserved registers), driven through the UART's interrupt
 * line (source 10) and set_irq_in, observed on the hart lines with
 * irq_intercept_out; the UART's registers at 0x10000000; the test
 * device's poweroff; the FDT written by -machine dumpdtb, read back with
 * libfdt, with the boot images placed where /chosen says.
 */
#include "libqtest.h"

#include <glib/gstdio.h>
#include <libfdt.h>
#include <string.h>
#include <unistd.h>

#define PLIC            0x0c000000ULL
#define PRIO(n)         (PLIC + 4 * (n))
#define PENDING(w)      (PLIC + 0x1000 + 4 * (w))
#define ENABLE(c, w)    (PLIC + 0x2000 + 0x80 * (c) + 4 * (w))
#define THRESHOLD(c)    (PLIC + 0x200000 + 0x1000 * (c))
#define CLAIM(c)        (THRESHOLD(c) + 4)
#define UART            0x10000000ULL
#define UART_IRQ        10
#define TEST_DEV        0x100000ULL
#define DRAM            0x80000000ULL

/* UART registers (PC16550D) */
#define IER 1
#define IIR 2
#define LCR 3
#define LSR 5
#define SCR 7
#define IER_THRI 0x02

static char *temp_path(const char *tmpl);

static QTestState *virt_start(const char *extra)
{
    QTestState *s = qtest_initf("-machine virt -m 256 %s", extra ? extra : "");

    qtest_irq_intercept_out(s, "/machine/soc/plic");
    return s;
}

/* Enable source n for context ctx (keeping the others). */
static void enable(QTestState *s, unsigned ctx, unsigned n, bool on)
{
    uint32_t v = qtest_readl(s, ENABLE(ctx, n / 32));

    v = on ? v | (1u << (n % 32)) : v & ~(1u << (n % 32));
    qtest_writel(s, ENABLE(ctx, n / 32), v);
}

static bool pending(QTestState *s, unsigned n)
{
    return (qtest_readl(s, PENDING(n / 32)) >> (n % 32)) & 1;
}

static void test_uart_registers(void)
{
    QTestState *s = virt_start("-serial null");

    /* reset values: THR empty and transmitter idle, no interrupt */
    g_assert_cmphex(qtest_readb(s, UART + LSR), ==, 0x60);
    g_assert_cmphex(qtest_readb(s, UART + IIR) & 0x0f, ==, 0x01);
    qtest_writeb(s, UART + SCR, 0xa5);
    g_assert_cmphex(qtest_readb(s, UART + SCR), ==, 0xa5);
    qtest_writeb(s, UART + LCR, 0x03);
    g_assert_cmphex(qtest_readb(s, UART + LCR), ==, 0x03);
    /* THR-empty interrupt: IIR says so */
    qtest_writeb(s, UART + IER, IER_THRI);
    g_assert_cmphex(qtest_readb(s, UART + IIR) & 0x0f, ==, 0x02);
    qtest_quit(s);
}

/* The UART's line through the PLIC: pending, claim, complete, re-arm. */
static void test_plic_uart_claim_complete(void)
{
    QTestState *s = virt_start("-serial null");

    qtest_writel(s, PRIO(UART_IRQ), 1);
    enable(s, 0, UART_IRQ, true);
    g_assert_false(qtest_get_irq(s, 0));
    qtest_writeb(s, UART + IER, IER_THRI);      /* line high */
    g_assert_true(pending(s, UART_IRQ));
    g_assert_true(qtest_get_irq(s, 0));

    g_assert_cmpuint(qtest_readl(s, CLAIM(0)), ==, UART_IRQ);
    g_assert_false(pending(s, UART_IRQ));       /* claim clears pending */
    g_assert_false(qtest_get_irq(s, 0));        /* in service: no repeat */
    g_assert_cmpuint(qtest_readl(s, CLAIM(0)), ==, 0);

    qtest_writel(s, CLAIM(0), UART_IRQ);        /* complete: still high */
    g_assert_true(pending(s, UART_IRQ));
    g_assert_true(qtest_get_irq(s, 0));

    qtest_writeb(s, UART + IER, 0);             /* line low before claim */
    g_assert_false(pending(s, UART_IRQ));
    g_assert_false(qtest_get_irq(s, 0));
    g_assert_cmpuint(qtest_readl(s, CLAIM(0)), ==, 0);
    qtest_quit(s);
}

/* Deliverable only when priority > threshold (strictly). */
static void test_plic_threshold(void)
{
    QTestState *s = virt_start("-serial null");

    qtest_writel(s, PRIO(UART_IRQ), 3);
    enable(s, 0, UART_IRQ, true);
    qtest_writel(s, THRESHOLD(0), 3);
    g_assert_cmpuint(qtest_readl(s, THRESHOLD(0)), ==, 3);
    qtest_writeb(s, UART + IER, IER_THRI);
    g_assert_true(pending(s, UART_IRQ));
    g_assert_false(qtest_get_irq(s, 0));        /* 3 is not > 3 */
    g_assert_cmpuint(qtest_readl(s, CLAIM(0)), ==, 0);
    g_assert_true(pending(s, UART_IRQ));        /* a claim of 0 takes nothing */

    qtest_writel(s, THRESHOLD(0), 2);
    g_assert_true(qtest_get_irq(s, 0));
    qtest_writel(s, THRESHOLD(0), 7);
    g_assert_false(qtest_get_irq(s, 0));
    /* priority 0 never interrupts, even at threshold 0 */
    qtest_writel(s, THRESHOLD(0), 0);
    qtest_writel(s, PRIO(UART_IRQ), 0);
    g_assert_false(qtest_get_irq(s, 0));
    g_assert_cmpuint(qtest_readl(s, CLAIM(0)), ==, 0);
    qtest_quit(s);
}

/* Highest priority first; equal priorities go to the lowest ID. */
static void test_plic_priority_ties(void)
{
    QTestState *s = virt_start("-serial null");
    static const unsigned src[] = { 3, 5, 40, UART_IRQ };

    for (size_t i = 0; i < G_N_ELEMENTS(src); i++) {
        qtest_writel(s, PRIO(src[i]), 2);
        enable(s, 0, src[i], true);
    }
    qtest_set_irq_in(s, "/machine/soc/plic", "", 40, 1);
    qtest_set_irq_in(s, "/machine/soc/plic", "", 5, 1);
    qtest_writeb(s, UART + IER, IER_THRI);
    qtest_set_irq_in(s, "/machine/soc/plic", "", 3, 1);
    g_assert_true(pending(s, 40));              /* word 1 of pending */

    qtest_writel(s, PRIO(40), 5);               /* higher wins */
    g_assert_cmpuint(qtest_readl(s, CLAIM(0)), ==, 40);
    g_assert_cmpuint(qtest_readl(s, CLAIM(0)), ==, 3);    /* tie: lowest */
    g_assert_cmpuint(qtest_readl(s, CLAIM(0)), ==, 5);
    g_assert_cmpuint(qtest_readl(s, CLAIM(0)), ==, UART_IRQ);
    g_assert_cmpuint(qtest_readl(s, CLAIM(0)), ==, 0);
    g_assert_false(qtest_get_irq(s, 0));
    /* completing 3 with its line still high makes it the next claim */
    qtest_writel(s, CLAIM(0), 3);
    g_assert_true(qtest_get_irq(s, 0));
    g_assert_cmpuint(qtest_readl(s, CLAIM(0)), ==, 3);
    qtest_quit(s);
}

/* Enables and thresholds are per context: one context per hart. */
static void test_plic_contexts(void)
{
    QTestState *s = virt_start("-serial null -smp 2");

    qtest_writel(s, PRIO(7), 1);
    enable(s, 1, 7, true);
    qtest_set_irq_in(s, "/machine/soc/plic", "", 7, 1);
    g_assert_false(qtest_get_irq(s, 0));
    g_assert_true(qtest_get_irq(s, 1));
    /* context 0 cannot claim what it has not enabled ... */
    g_assert_cmpuint(qtest_readl(s, CLAIM(0)), ==, 0);
    /* ... nor complete it */
    g_assert_cmpuint(qtest_readl(s, CLAIM(1)), ==, 7);
    qtest_writel(s, CLAIM(0), 7);
    g_assert_false(qtest_get_irq(s, 1));
    qtest_writel(s, CLAIM(1), 7);
    g_assert_true(qtest_get_irq(s, 1));
    qtest_writel(s, THRESHOLD(1), 1);
    g_assert_false(qtest_get_irq(s, 1));
    qtest_quit(s);
}

/* WARL fields, reserved and out-of-range registers: ignored, no crash. */
static void test_plic_reserved(void)
{
    g_autofree char *log = temp_path("riscv-plic-log-XXXXXX");
    g_autofree char *args = g_strdup_printf("-serial null -d guest_errors "
                                            "-D %s", log);
    g_autofree char *text = NULL;
    QTestState *s = virt_start(args);

    qtest_writel(s, PRIO(1), 0xffffffff);
    g_assert_cmphex(qtest_readl(s, PRIO(1)), ==, 7);       /* 3 bits */
    qtest_writel(s, THRESHOLD(0), 0xffffffff);
    g_assert_cmphex(qtest_readl(s, THRESHOLD(0)), ==, 7);
    qtest_writel(s, PRIO(0), 5);                            /* source 0 */
    g_assert_cmphex(qtest_readl(s, PRIO(0)), ==, 0);
    qtest_writel(s, PRIO(96), 5);                           /* no source 96 */
    g_assert_cmphex(qtest_readl(s, PRIO(96)), ==, 0);
    qtest_writel(s, ENABLE(0, 0), 0xffffffff);              /* bit 0 is 0 */
    g_assert_cmphex(qtest_readl(s, ENABLE(0, 0)), ==, 0xfffffffe);
    qtest_writel(s, ENABLE(0, 2), 0xffffffff);              /* 64..95 */
    g_assert_cmphex(qtest_readl(s, ENABLE(0, 2)), ==, 0xffffffff);
    qtest_writel(s, ENABLE(0, 3), 0xffffffff);              /* no 96.. */
    g_assert_cmphex(qtest_readl(s, ENABLE(0, 3)), ==, 0);
    qtest_set_irq_in(s, "/machine/soc/plic", "", 9, 1);
    qtest_writel(s, PENDING(0), 0);                         /* read-only */
    g_assert_true(pending(s, 9));
    qtest_writel(s, THRESHOLD(1), 1);                       /* no context 1 */
    g_assert_cmphex(qtest_readl(s, THRESHOLD(1)), ==, 0);
    g_assert_cmphex(qtest_readl(s, THRESHOLD(0) + 8), ==, 0);
    qtest_writel(s, CLAIM(0), 0);                           /* complete 0 */
    qtest_writel(s, CLAIM(0), 1000);                        /* no such source */
    qtest_writew(s, PRIO(2), 1);                            /* 16-bit access */
    g_assert_cmphex(qtest_readl(s, PRIO(2)), ==, 0);
    qtest_quit(s);
    /* each ignored access is named under -d guest_errors */
    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "riscv_plic: write to reserved priority at offset 0x0 ignored"));
    g_assert_nonnull(strstr(text, "riscv_plic: write to read-only pending word"));
    g_assert_nonnull(strstr(text, "riscv_plic: write to a missing context"));
    g_assert_nonnull(strstr(text, "completes source 1000"));
    g_unlink(log);
}

static void test_poweroff(void)
{
    QTestState *s = virt_start("-serial null");

    qtest_writel(s, TEST_DEV, 0x5555);
    qtest_wait_exit(s, 0);
}

/* 0x7777 resets: with -no-reboot that ends the process (status 0) */
static void test_reset_no_reboot(void)
{
    QTestState *s = virt_start("-serial null -no-reboot");

    qtest_writel(s, TEST_DEV, 0x7777);
    qtest_wait_exit(s, 0);
}

/* 0x7777 without -no-reboot: the machine resets and keeps running,
 * with the PLIC back at its reset state */
static void test_reset_reboots(void)
{
    QTestState *s = virt_start("-serial null");

    qtest_writel(s, PRIO(4), 5);
    enable(s, 0, 4, true);
    qtest_writel(s, THRESHOLD(0), 2);
    qtest_writel(s, TEST_DEV, 0x7777);
    /* the reset runs on the main loop: poll until it has happened */
    for (int i = 0; i < 500 && qtest_readl(s, PRIO(4)); i++) {
        g_usleep(10000);
    }
    g_assert_cmphex(qtest_readl(s, PRIO(4)), ==, 0);
    g_assert_cmphex(qtest_readl(s, ENABLE(0, 0)), ==, 0);
    g_assert_cmphex(qtest_readl(s, THRESHOLD(0)), ==, 0);
    qtest_quit(s);
}

/* 0x3333 | code << 16: FAIL with that exit status */
static void test_fail_status(void)
{
    QTestState *s = virt_start("-serial null");

    qtest_writel(s, TEST_DEV, 0x3333 | (3 << 16));
    qtest_wait_exit(s, 3);
}

/* ---- dumpdtb ---------------------------------------------------------- */

static char *temp_path(const char *tmpl)
{
    g_autoptr(GError) err = NULL;
    char *path = NULL;
    int fd = g_file_open_tmp(tmpl, &path, &err);

    g_assert_no_error(err);
    close(fd);
    return path;
}

/* A RISC-V Linux Image header: text_offset 2 MiB, image_size 64 KiB. */
static char *fake_image(void)
{
    uint8_t img[4096] = { 0 };
    char *path = temp_path("riscv-image-XXXXXX");
    uint64_t text_offset = GUINT64_TO_LE(0x200000), size = GUINT64_TO_LE(0x10000);
    uint32_t magic2 = GUINT32_TO_LE(0x05435352);

    memcpy(img + 8, &text_offset, 8);
    memcpy(img + 16, &size, 8);
    memcpy(img + 56, &magic2, 4);
    memcpy(img + 100, "qkvm-kernel", 11);
    g_assert_true(g_file_set_contents(path, (char *)img, sizeof(img), NULL));
    return path;
}

static const void *getprop(const void *fdt, const char *path, const char *name,
                           int *len)
{
    int node = fdt_path_offset(fdt, path);
    const void *p;

    g_assert_cmpint(node, >=, 0);
    p = fdt_getprop(fdt, node, name, len);
    g_assert_nonnull(p);
    return p;
}

static uint32_t getprop_u32(const void *fdt, const char *path, const char *name)
{
    int len;
    const fdt32_t *p = getprop(fdt, path, name, &len);

    g_assert_cmpint(len, ==, 4);
    return fdt32_to_cpu(*p);
}

static uint64_t getprop_u64(const void *fdt, const char *path, const char *name)
{
    int len;
    const fdt64_t *p = getprop(fdt, path, name, &len);

    g_assert_cmpint(len, ==, 8);
    return fdt64_ld(p);         /* FDT properties are only 4-byte aligned */
}

static void test_dumpdtb(void)
{
    g_autofree char *dtb = temp_path("riscv-virt-XXXXXX.dtb");
    g_autofree char *kernel = fake_image();
    g_autofree char *initrd = temp_path("riscv-initrd-XXXXXX");
    g_autofree char *cmd = NULL, *out = NULL, *errs = NULL, *contents = NULL;
    const char *binary = g_getenv("QTEST_QEMU_BINARY");
    g_autoptr(GError) err = NULL;
    gsize size;
    int status, len;
    const fdt32_t *ie;
    const char *s;

    g_assert_true(g_file_set_contents(initrd, "INITRD", 6, NULL));
    cmd = g_strdup_printf("%s -accel qtest -machine virt,dumpdtb=%s -smp 3 "
                          "-m 512 -display none -serial null -kernel %s "
                          "-initrd %s -append 'console=ttyS0 quiet'",
                          binary, dtb, kernel, initrd);
    g_assert_true(g_spawn_command_line_sync(cmd, &out, &errs, &status, &err));
    g_assert_no_error(err);
    g_assert_cmpint(status, ==, 0);
    g_assert_nonnull(strstr(errs, "dtb dumped to"));
    g_assert_true(g_file_get_contents(dtb, &contents, &size, NULL));
    g_assert_cmpint(fdt_check_header(contents), ==, 0);
    g_assert_cmpuint(fdt_totalsize(contents), ==, size);

    s = getprop(contents, "/chosen", "bootargs", &len);
    g_assert_cmpstr(s, ==, "console=ttyS0 quiet");
    s = getprop(contents, "/chosen", "stdout-path", &len);
    g_assert_cmpstr(s, ==, "/soc/serial@10000000");
    /* initrd: QEMU's rule, 128 MiB above the kernel with >= 256 MiB RAM */
    g_assert_cmphex(getprop_u64(contents, "/chosen", "linux,initrd-start"), ==,
                    DRAM + 0x200000 + 0x8000000);
    g_assert_cmphex(getprop_u64(contents, "/chosen", "linux,initrd-end"), ==,
                    DRAM + 0x200000 + 0x8000000 + 6);

    s = getprop(contents, "/memory@80000000", "reg", &len);
    g_assert_cmpint(len, ==, 16);
    g_assert_cmphex(fdt64_to_cpu(((const fdt64_t *)s)[0]), ==, DRAM);
    g_assert_cmphex(fdt64_to_cpu(((const fdt64_t *)s)[1]), ==, 512ULL << 20);

    g_assert_cmpint(fdt_path_offset(contents, "/cpus/cpu@2"), >=, 0);
    g_assert_cmpint(fdt_path_offset(contents, "/cpus/cpu@3"), <, 0);
    g_assert_cmpuint(getprop_u32(contents, "/cpus", "timebase-frequency"), >, 0);
    s = getprop(contents, "/cpus/cpu@0", "riscv,isa", &len);
    g_assert_true(g_str_has_prefix(s, "rv64i"));
    {
        /* the same ISA as a list: letters, then the _multi-letter ones */
        g_autoptr(GString) joined = g_string_new("rv64");
        const char *isa = s, *e;
        int elen;

        e = getprop(contents, "/cpus/cpu@0", "riscv,isa-extensions", &elen);
        for (const char *x = e; x < e + elen; x += strlen(x) + 1) {
            g_string_append_printf(joined, "%s%s", strlen(x) > 1 ? "_" : "", x);
        }
        g_assert_cmpstr(joined->str, ==, isa);
        s = getprop(contents, "/cpus/cpu@0", "riscv,isa-base", &len);
        g_assert_cmpstr(s, ==, "rv64i");
    }
    s = getprop(contents, "/cpus/cpu@1/interrupt-controller", "compatible", &len);
    g_assert_cmpstr(s, ==, "riscv,cpu-intc");

    /* PLIC: both compatibles, 95 sources, each hart's intc with 9 */
    s = getprop(contents, "/soc/plic@c000000", "compatible", &len);
    g_assert_cmpstr(s, ==, "sifive,plic-1.0.0");
    g_assert_cmpstr(s + strlen(s) + 1, ==, "riscv,plic0");
    g_assert_cmpuint(getprop_u32(contents, "/soc/plic@c000000", "riscv,ndev"),
                     ==, 95);
    ie = getprop(contents, "/soc/plic@c000000", "interrupts-extended", &len);
    g_assert_cmpint(len, ==, 3 * 2 * 4);
    for (int i = 0; i < 3; i++) {
        g_autofree char *intc = g_strdup_printf("/cpus/cpu@%d/interrupt-controller", i);
        g_assert_cmpuint(fdt32_to_cpu(ie[2 * i]), ==,
                         getprop_u32(contents, intc, "phandle"));
        g_assert_cmpuint(fdt32_to_cpu(ie[2 * i + 1]), ==, 9);
    }
    s = getprop(contents, "/soc/serial@10000000", "compatible", &len);
    g_assert_cmpstr(s, ==, "ns16550a");
    g_assert_cmpuint(getprop_u32(contents, "/soc/serial@10000000", "interrupts"),
                     ==, 10);
    for (int i = 0; i < 8; i++) {
        g_autofree char *p = g_strdup_printf("/soc/virtio_mmio@%x",
                                             0x10001000 + i * 0x1000);
        g_assert_cmpuint(getprop_u32(contents, p, "interrupts"), ==, 1 + i);
        g_assert_cmpuint(getprop_u32(contents, p, "interrupt-parent"), ==,
                         getprop_u32(contents, "/soc/plic@c000000", "phandle"));
    }

    /* dtc accepts it without a warning (when installed) */
    g_autofree char *dtc_path = g_find_program_in_path("dtc");
    if (dtc_path) {
        g_autofree char *dtc = g_strdup_printf("%s -I dtb -O dts -o /dev/null %s",
                                               dtc_path, dtb);
        g_autofree char *o = NULL, *e = NULL;
        g_assert_true(g_spawn_command_line_sync(dtc, &o, &e, &status, NULL));
        g_assert_cmpint(status, ==, 0);
        g_assert_cmpstr(e, ==, "");
    }
    g_unlink(dtb);
    g_unlink(kernel);
    g_unlink(initrd);
}

/* The kernel, initrd and FDT are in RAM where the FDT says. */
static void test_boot_images_in_ram(void)
{
    g_autofree char *kernel = fake_image();
    g_autofree char *initrd = temp_path("riscv-initrd-XXXXXX");
    g_autofree char *args = NULL;
    QTestState *s;
    char buf[16] = { 0 };
    uint64_t fdt;
    uint32_t magic;

    g_assert_true(g_file_set_contents(initrd, "INITRD", 6, NULL));
    args = g_strdup_printf("-serial null -kernel %s -initrd %s", kernel, initrd);
    s = virt_start(args);
    qtest_memread(s, DRAM + 0x200000 + 100, buf, 11);
    g_assert_cmpstr(buf, ==, "qkvm-kernel");
    /* -m 256: initrd half way into RAM; FDT 2 MiB-aligned near the end */
    memset(buf, 0, sizeof(buf));
    qtest_memread(s, DRAM + 0x200000 + 0x8000000, buf, 6);
    g_assert_cmpstr(buf, ==, "INITRD");
    fdt = DRAM + (256ULL << 20) - 0x200000;
    qtest_memread(s, fdt, &magic, 4);
    g_assert_cmphex(GUINT32_FROM_BE(magic), ==, 0xd00dfeed);
    qtest_quit(s);
    g_unlink(kernel);
    g_unlink(initrd);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/riscv-virt/uart/registers", test_uart_registers);
    g_test_add_func("/riscv-virt/plic/uart-claim-complete",
                    test_plic_uart_claim_complete);
    g_test_add_func("/riscv-virt/plic/threshold", test_plic_threshold);
    g_test_add_func("/riscv-virt/plic/priority-ties", test_plic_priority_ties);
    g_test_add_func("/riscv-virt/plic/contexts", test_plic_contexts);
    g_test_add_func("/riscv-virt/plic/reserved", test_plic_reserved);
    g_test_add_func("/riscv-virt/test-device/poweroff", test_poweroff);
    g_test_add_func("/riscv-virt/test-device/reset-no-reboot",
                    test_reset_no_reboot);
    g_test_add_func("/riscv-virt/test-device/fail-status", test_fail_status);
    g_test_add_func("/riscv-virt/test-device/reset-reboots",
                    test_reset_reboots);
    g_test_add_func("/riscv-virt/fdt/dumpdtb", test_dumpdtb);
    g_test_add_func("/riscv-virt/boot/images-in-ram", test_boot_images_in_ram);
    return g_test_run();
}
