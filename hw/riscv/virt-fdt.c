/*
 * The virt machine's flattened device tree, built with libfdt from the
 * machine as configured: its harts, RAM, PLIC, UART, virtio-mmio slots,
 * test device and /chosen.  Node names, compatibles and properties are
 * those of QEMU's virt (Linux's bindings: riscv/cpus.yaml,
 * sifive,plic-1.0.0.yaml, 8250.yaml, virtio/mmio.yaml).
 */
#include "hw/riscv/virt.h"
#include "qemu/error-report.h"

#include <inttypes.h>
#include <libfdt.h>
#include <string.h>

#define FDT_MAX_SIZE    (1 << 20)
#define PHANDLE_PLIC    1
#define PHANDLE_TEST    2
#define PHANDLE_INTC(i) (16 + (i))

/* A libfdt call failed: only "too small" can happen with our own tree. */
#define FDT_CHECK(call) \
    do { int r_ = (call); if (r_ < 0) { err = r_; goto fail; } } while (0)

/* "rv64imafdc_zicsr_sstc" -> riscv,isa-base "rv64i" and
 * riscv,isa-extensions "i" "m" ... "zicsr" "sstc" (riscv/extensions.yaml,
 * which Linux prefers over the deprecated riscv,isa string). */
static int prop_isa_extensions(void *fdt, const char *isa)
{
    g_autoptr(GByteArray) list = g_byte_array_new();
    const char *p = isa + strlen("rv64");

    for (; *p && *p != '_'; p++) {
        g_byte_array_append(list, (const guint8 *)p, 1);
        g_byte_array_append(list, (const guint8 *)"", 1);
    }
    while (*p == '_') {
        const char *end = strchr(p + 1, '_');
        size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1);

        g_byte_array_append(list, (const guint8 *)p + 1, len);
        g_byte_array_append(list, (const guint8 *)"", 1);
        p += 1 + len;
    }
    return fdt_property(fdt, "riscv,isa-extensions", list->data, list->len);
}

static int prop_reg(void *fdt, uint64_t base, uint64_t size)
{
    fdt64_t cells[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };
    return fdt_property(fdt, "reg", cells, sizeof(cells));
}

static int prop_strings(void *fdt, const char *name, const char *a,
                        const char *b)
{
    size_t la = strlen(a) + 1, lb = b ? strlen(b) + 1 : 0;
    g_autofree char *buf = g_malloc(la + lb);

    memcpy(buf, a, la);
    if (b) {
        memcpy(buf + la, b, lb);
    }
    return fdt_property(fdt, name, buf, la + lb);
}

void *virt_fdt_build(MachineState *ms, GError **errp)
{
    RISCVVirtState *vs = ms->arch;
    g_autofree void *fdt = g_malloc0(FDT_MAX_SIZE);
    g_autofree char *uart = g_strdup_printf("/soc/serial@%" PRIx64,
                                            VIRT_UART0_BASE);
    g_autofree fdt32_t *intx = g_new(fdt32_t, 2 * ms->smp_cpus);
    char name[64];
    int err;

    FDT_CHECK(fdt_create(fdt, FDT_MAX_SIZE));
    FDT_CHECK(fdt_finish_reservemap(fdt));
    FDT_CHECK(fdt_begin_node(fdt, ""));
    FDT_CHECK(fdt_property_u32(fdt, "#address-cells", 2));
    FDT_CHECK(fdt_property_u32(fdt, "#size-cells", 2));
    FDT_CHECK(fdt_property_string(fdt, "compatible", "riscv-virtio"));
    FDT_CHECK(fdt_property_string(fdt, "model", "riscv-virtio,qemu"));

    FDT_CHECK(fdt_begin_node(fdt, "chosen"));
    if (ms->kernel_cmdline) {
        FDT_CHECK(fdt_property_string(fdt, "bootargs", ms->kernel_cmdline));
    }
    if (ms->serial_hds[0]) {
        FDT_CHECK(fdt_property_string(fdt, "stdout-path", uart));
    }
    if (vs->initrd_size) {
        FDT_CHECK(fdt_property_u64(fdt, "linux,initrd-start", vs->initrd_start));
        FDT_CHECK(fdt_property_u64(fdt, "linux,initrd-end", vs->initrd_end));
    }
    FDT_CHECK(fdt_end_node(fdt));

    FDT_CHECK(fdt_begin_node(fdt, "aliases"));
    FDT_CHECK(fdt_property_string(fdt, "serial0", uart));
    FDT_CHECK(fdt_end_node(fdt));

    snprintf(name, sizeof(name), "memory@%" PRIx64, VIRT_DRAM_BASE);
    FDT_CHECK(fdt_begin_node(fdt, name));
    FDT_CHECK(fdt_property_string(fdt, "device_type", "memory"));
    FDT_CHECK(prop_reg(fdt, VIRT_DRAM_BASE, ms->ram_size));
    FDT_CHECK(fdt_end_node(fdt));

    FDT_CHECK(fdt_begin_node(fdt, "cpus"));
    FDT_CHECK(fdt_property_u32(fdt, "#address-cells", 1));
    FDT_CHECK(fdt_property_u32(fdt, "#size-cells", 0));
    FDT_CHECK(fdt_property_u32(fdt, "timebase-frequency", vs->hart.timebase_freq));
    for (unsigned i = 0; i < ms->smp_cpus; i++) {
        snprintf(name, sizeof(name), "cpu@%u", i);
        FDT_CHECK(fdt_begin_node(fdt, name));
        FDT_CHECK(fdt_property_string(fdt, "device_type", "cpu"));
        FDT_CHECK(fdt_property_u32(fdt, "reg", i));
        FDT_CHECK(fdt_property_string(fdt, "status", "okay"));
        FDT_CHECK(fdt_property_string(fdt, "compatible", "riscv"));
        FDT_CHECK(fdt_property_string(fdt, "riscv,isa", vs->hart.isa));
        FDT_CHECK(fdt_property_string(fdt, "riscv,isa-base", "rv64i"));
        FDT_CHECK(prop_isa_extensions(fdt, vs->hart.isa));
        FDT_CHECK(fdt_property_string(fdt, "mmu-type", vs->hart.mmu_type));
        FDT_CHECK(fdt_begin_node(fdt, "interrupt-controller"));
        FDT_CHECK(fdt_property_u32(fdt, "#interrupt-cells", 1));
        FDT_CHECK(fdt_property_u32(fdt, "#address-cells", 0));
        FDT_CHECK(fdt_property(fdt, "interrupt-controller", NULL, 0));
        FDT_CHECK(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
        FDT_CHECK(fdt_property_u32(fdt, "phandle", PHANDLE_INTC(i)));
        FDT_CHECK(fdt_end_node(fdt));
        FDT_CHECK(fdt_end_node(fdt));
        /* the hart's S-mode context: supervisor external interrupt (9) */
        intx[2 * i] = cpu_to_fdt32(PHANDLE_INTC(i));
        intx[2 * i + 1] = cpu_to_fdt32(9);
    }
    FDT_CHECK(fdt_end_node(fdt));

    FDT_CHECK(fdt_begin_node(fdt, "soc"));
    FDT_CHECK(fdt_property_u32(fdt, "#address-cells", 2));
    FDT_CHECK(fdt_property_u32(fdt, "#size-cells", 2));
    FDT_CHECK(fdt_property_string(fdt, "compatible", "simple-bus"));
    FDT_CHECK(fdt_property(fdt, "ranges", NULL, 0));

    snprintf(name, sizeof(name), "test@%" PRIx64, VIRT_TEST_BASE);
    FDT_CHECK(fdt_begin_node(fdt, name));
    {
        static const char compat[] = "sifive,test1\0sifive,test0\0syscon";
        FDT_CHECK(fdt_property(fdt, "compatible", compat, sizeof(compat)));
    }
    FDT_CHECK(prop_reg(fdt, VIRT_TEST_BASE, VIRT_TEST_SIZE));
    FDT_CHECK(fdt_property_u32(fdt, "phandle", PHANDLE_TEST));
    FDT_CHECK(fdt_end_node(fdt));

    snprintf(name, sizeof(name), "plic@%" PRIx64, VIRT_PLIC_BASE);
    FDT_CHECK(fdt_begin_node(fdt, name));
    FDT_CHECK(fdt_property_u32(fdt, "#interrupt-cells", 1));
    FDT_CHECK(fdt_property_u32(fdt, "#address-cells", 0));
    FDT_CHECK(fdt_property(fdt, "interrupt-controller", NULL, 0));
    FDT_CHECK(prop_strings(fdt, "compatible", "sifive,plic-1.0.0",
                           "riscv,plic0"));
    FDT_CHECK(prop_reg(fdt, VIRT_PLIC_BASE, VIRT_PLIC_SIZE));
    FDT_CHECK(fdt_property(fdt, "interrupts-extended", intx,
                           2 * ms->smp_cpus * sizeof(fdt32_t)));
    FDT_CHECK(fdt_property_u32(fdt, "riscv,ndev", VIRT_PLIC_NUM_SOURCES - 1));
    FDT_CHECK(fdt_property_u32(fdt, "phandle", PHANDLE_PLIC));
    FDT_CHECK(fdt_end_node(fdt));

    for (int i = VIRT_VIRTIO_COUNT - 1; i >= 0; i--) {
        uint64_t base = VIRT_VIRTIO_BASE + i * VIRT_VIRTIO_SIZE;

        snprintf(name, sizeof(name), "virtio_mmio@%" PRIx64, base);
        FDT_CHECK(fdt_begin_node(fdt, name));
        FDT_CHECK(fdt_property_string(fdt, "compatible", "virtio,mmio"));
        FDT_CHECK(prop_reg(fdt, base, VIRT_VIRTIO_SIZE));
        FDT_CHECK(fdt_property_u32(fdt, "interrupt-parent", PHANDLE_PLIC));
        FDT_CHECK(fdt_property_u32(fdt, "interrupts", VIRT_VIRTIO_IRQ + i));
        FDT_CHECK(fdt_end_node(fdt));
    }

    if (ms->serial_hds[0]) {
        FDT_CHECK(fdt_begin_node(fdt, uart + strlen("/soc/")));
        FDT_CHECK(fdt_property_string(fdt, "compatible", "ns16550a"));
        FDT_CHECK(prop_reg(fdt, VIRT_UART0_BASE, VIRT_UART0_SIZE));
        FDT_CHECK(fdt_property_u32(fdt, "clock-frequency", VIRT_UART_CLOCK));
        FDT_CHECK(fdt_property_u32(fdt, "interrupt-parent", PHANDLE_PLIC));
        FDT_CHECK(fdt_property_u32(fdt, "interrupts", VIRT_UART0_IRQ));
        FDT_CHECK(fdt_end_node(fdt));
    }
    FDT_CHECK(fdt_end_node(fdt));      /* soc */

    FDT_CHECK(fdt_begin_node(fdt, "poweroff"));
    FDT_CHECK(fdt_property_string(fdt, "compatible", "syscon-poweroff"));
    FDT_CHECK(fdt_property_u32(fdt, "regmap", PHANDLE_TEST));
    FDT_CHECK(fdt_property_u32(fdt, "offset", 0));
    FDT_CHECK(fdt_property_u32(fdt, "value", 0x5555));
    FDT_CHECK(fdt_end_node(fdt));
    FDT_CHECK(fdt_begin_node(fdt, "reboot"));
    FDT_CHECK(fdt_property_string(fdt, "compatible", "syscon-reboot"));
    FDT_CHECK(fdt_property_u32(fdt, "regmap", PHANDLE_TEST));
    FDT_CHECK(fdt_property_u32(fdt, "offset", 0));
    FDT_CHECK(fdt_property_u32(fdt, "value", 0x7777));
    FDT_CHECK(fdt_end_node(fdt));

    FDT_CHECK(fdt_end_node(fdt));      /* root */
    FDT_CHECK(fdt_finish(fdt));
    FDT_CHECK(fdt_pack(fdt));
    {
        void *packed = g_steal_pointer(&fdt);
        return g_realloc(packed, fdt_totalsize(packed));
    }

fail:
    error_setg(errp, "cannot build the device tree: %s", fdt_strerror(err));
    return NULL;
}
