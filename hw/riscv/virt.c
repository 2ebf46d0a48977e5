/*
 * The RISC-V `virt` machine (include/hw/riscv/virt.h): RAM at
 * 0x80000000, a PLIC with one S-mode context per hart, a 16550A UART on
 * PLIC source 10, the test device for poweroff/reset, eight virtio-mmio
 * slots described in the FDT, and direct kernel boot (no firmware: the
 * kernel starts in S-mode with a0 = hartid, a1 = the FDT address).
 */
#include "hw/riscv/virt.h"
#include "hw/riscv/boot.h"
#include "hw/char/serial.h"
#include "hw/misc/sifive_test.h"
#include "migration/vmstate.h"
#include "system/accel.h"
#include "target/riscv/cpu.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"

#include <errno.h>
#include <inttypes.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* PLIC context i is hart i's supervisor external interrupt. */
static void virt_hart_irq(void *opaque, int n, int level)
{
    MachineState *ms = opaque;
    ms->accel->set_irq(ms, n, level);
}

/*
 * A virtio-mmio slot with no device behind it: the transport's identity
 * registers (virtio 1.2, 4.2.2 "MMIO Device Register Layout") with
 * DeviceID 0, which drivers take as "nothing here" (as QEMU's empty
 * slots); everything else reads 0 and writes are dropped.
 */
static uint64_t virtio_slot_read(void *opaque, uint64_t offset, unsigned size)
{
    switch (offset) {
    case 0x000: return 0x74726976;      /* MagicValue "virt" */
    case 0x004: return 2;               /* Version: virtio 1 */
    case 0x00c: return 0x554d4551;      /* VendorID "QEMU" */
    default:    return 0;               /* DeviceID 0: no device */
    }
}

static const IOBusOps virtio_slot_ops = {
    .read = virtio_slot_read,
    .min_access = 4,
    .max_access = 4,
};

static bool virt_memory_init(MachineState *ms, GError **errp)
{
    ms->ram = mmap(NULL, ms->ram_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ms->ram == MAP_FAILED) {
        ms->ram = NULL;
        error_setg_errno(errp, errno, "cannot set up guest memory "
                         "'riscv_virt_board.ram'");
        return false;
    }
    madvise(ms->ram, ms->ram_size, MADV_DONTDUMP);
    return machine_map_ram(ms, VIRT_DRAM_BASE, 0, ms->ram_size, errp);
}

static bool virt_read_images(MachineState *ms, RISCVVirtState *vs,
                             GError **errp)
{
    if (!qemu_read_file("kernel file", ms->kernel_filename, &vs->kernel,
                        &vs->kernel_size, errp)) {
        return false;
    }
    if (ms->initrd_filename &&
        !qemu_read_file("initrd", ms->initrd_filename, &vs->initrd,
                        &vs->initrd_size, errp)) {
        return false;
    }
    return true;
}

/* Put kernel, initrd and FDT into RAM (at start-up and at each reset). */
static bool virt_load_boot(MachineState *ms, GError **errp)
{
    RISCVVirtState *vs = ms->arch;

    if (!vs->kernel) {
        return true;
    }
    if (!riscv_load_kernel(ms->ram, VIRT_DRAM_BASE, ms->ram_size,
                           (const uint8_t *)vs->kernel, vs->kernel_size,
                           &vs->boot.entry, &vs->kernel_end, errp)) {
        return false;
    }
    if (vs->initrd) {
        uint8_t *hva;

        vs->initrd_start = riscv_initrd_addr(VIRT_DRAM_BASE, ms->ram_size,
                                             vs->boot.entry, vs->kernel_end,
                                             vs->initrd_size, errp);
        hva = vs->initrd_start ?
              machine_gpa_to_hva(ms, vs->initrd_start, vs->initrd_size) : NULL;
        if (!hva) {
            return false;
        }
        memcpy(hva, vs->initrd, vs->initrd_size);
        vs->initrd_end = vs->initrd_start + vs->initrd_size;
    }
    return true;
}

/* The FDT last: it describes where the initrd went. */
static bool virt_place_fdt(MachineState *ms, GError **errp)
{
    RISCVVirtState *vs = ms->arch;
    uint64_t size = fdt_totalsize(vs->fdt);
    uint8_t *hva;

    vs->boot.fdt_addr = riscv_fdt_addr(VIRT_DRAM_BASE, ms->ram_size, size);
    hva = machine_gpa_to_hva(ms, vs->boot.fdt_addr, size);
    if (!hva || (vs->kernel && vs->boot.fdt_addr < vs->kernel_end) ||
        (vs->initrd && vs->boot.fdt_addr < vs->initrd_end)) {
        error_setg(errp, "not enough RAM (%" PRIu64 " MiB) for the kernel, "
                   "initrd and device tree", ms->ram_size >> 20);
        return false;
    }
    memcpy(hva, vs->fdt, size);
    return true;
}

/* -machine dumpdtb=FILE: write the tree and exit, as QEMU does. */
static void virt_dumpdtb(MachineState *ms)
{
    RISCVVirtState *vs = ms->arch;
    g_autoptr(GError) err = NULL;

    if (!g_file_set_contents(ms->dumpdtb, vs->fdt, fdt_totalsize(vs->fdt),
                             &err)) {
        error_report("Failed to write dtb to %s: %s", ms->dumpdtb,
                     err->message);
        exit(1);
    }
    info_report("dtb dumped to %s. Exiting.", ms->dumpdtb);
    exit(0);
}

static bool virt_init(MachineState *ms, GError **errp)
{
    RISCVVirtState *vs = g_new0(RISCVVirtState, 1);

    ms->arch = vs;
    /* The vCPU (ONE_REG), PLIC and UART state has no save/load pair yet. */
    migrate_add_blocker(ms, "the riscv64 virt machine cannot be saved yet");
    /* under KVM a kernel is what runs: there is no firmware (-bios none) */
    if (!ms->kernel_filename && ms->accel->has_vcpus) {
        error_setg(errp, "no kernel to boot: qkvm boots kernels directly "
                   "(use -kernel); a BIOS is not supported");
        return false;
    }
    if (!virt_memory_init(ms, errp)) {
        return false;
    }
    if (ms->accel->has_vcpus) {
        if (!riscv_kvm_cpus_init(ms, &vs->boot, &vs->hart, errp)) {
            return false;
        }
    } else {
        /* qtest: -cpu is still checked; the harts are QEMU virt's rv64 */
        g_autoptr(RISCVCPUDef) def = riscv_cpu_parse(ms->cpu_model, errp);

        if (!def) {
            return false;
        }
        vs->hart.isa = g_strdup("rv64imafdc_zicsr_zifencei");
        vs->hart.mmu_type = "riscv,sv48";
        vs->hart.timebase_freq = VIRT_TIMEBASE_FREQ;
    }
    vs->hart_irqs = g_new(qemu_irq, ms->smp_cpus);
    for (unsigned i = 0; i < ms->smp_cpus; i++) {
        vs->hart_irqs[i] = qemu_allocate_irq(virt_hart_irq, ms, i);
    }
    vs->plic = riscv_plic_new(&ms->mmio, VIRT_PLIC_BASE, VIRT_PLIC_SIZE,
                              VIRT_PLIC_NUM_SOURCES,
                              VIRT_PLIC_MAX_PRIORITY, ms->smp_cpus,
                              vs->hart_irqs, errp);
    if (!vs->plic) {
        return false;
    }
    qemu_register_reset(ms, riscv_plic_reset, vs->plic);
    if (ms->serial_hds[0]) {
        vs->uart0 = serial_new(&ms->mmio, VIRT_UART0_BASE,
                               riscv_plic_input(vs->plic, VIRT_UART0_IRQ),
                               ms->serial_hds[0], errp);
        if (!vs->uart0) {
            return false;
        }
        qemu_register_reset(ms, serial_reset, vs->uart0);
    }
    if (!sifive_test_create(ms, VIRT_TEST_BASE, VIRT_TEST_SIZE, errp)) {
        return false;
    }
    for (unsigned i = 0; i < VIRT_VIRTIO_COUNT; i++) {
        if (!iobus_register(&ms->mmio, VIRT_VIRTIO_BASE + i * VIRT_VIRTIO_SIZE,
                            VIRT_VIRTIO_SIZE, &virtio_slot_ops, NULL,
                            "virtio-mmio", errp)) {
            return false;
        }
    }
    if (ms->kernel_filename && !virt_read_images(ms, vs, errp)) {
        return false;
    }
    /* images first: the FDT's /chosen says where the initrd is */
    if (!virt_load_boot(ms, errp)) {
        return false;
    }
    vs->fdt = virt_fdt_build(ms, errp);
    if (!vs->fdt) {
        return false;
    }
    if (ms->dumpdtb) {
        virt_dumpdtb(ms);
    }
    return virt_place_fdt(ms, errp);
}

static bool virt_reset(MachineState *ms, GError **errp)
{
    qemu_devices_reset(ms);
    return virt_load_boot(ms, errp) && virt_place_fdt(ms, errp);
}

/* qtest set_irq_in "plic": drive PLIC source n as a device would. */
static qemu_irq virt_qtest_irq_in(MachineState *ms, unsigned n)
{
    RISCVVirtState *vs = ms->arch;

    return n > 0 && n < VIRT_PLIC_NUM_SOURCES ?
           riscv_plic_input(vs->plic, n) : NULL;
}

static const MachineClass virt_machine = {
    .name = "virt",
    .desc = "RISC-V VirtIO board",
    .is_default = true,
    .max_cpus = VIRT_CPUS_MAX,
    .init = virt_init,
    .reset = virt_reset,
    .qtest_intc_names = (const char *const[]){ "plic", NULL },
    .qtest_irq_in = virt_qtest_irq_in,
};

MACHINE_REGISTER(virt_machine)
