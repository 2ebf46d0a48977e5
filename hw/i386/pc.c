/*
 * The `pc` machine: RAM split around the PCI hole, in-kernel irqchip and
 * PIT, COM ports, CMOS, fw_cfg, PCI host, reset ports, ACPI and MP
 * tables, and direct kernel boot (the machine puts the kernel and its boot
 * structures in RAM and starts the BSP at its entry) or system firmware
 * (pc_sysfw.c: the BSP starts at the reset vector).
 */
#include "hw/i386/pc.h"
#include "hw/i386/pc-firmware.h"
#include "hw/i386/acpi-build.h"
#include "hw/acpi/pm.h"
#include "hw/char/serial.h"
#include "hw/nvram/fw_cfg.h"
#include "migration/vmstate.h"
#include "system/accel.h"
#include "system/kvm.h"
#include "target/i386/cpu.h"
#include "target/i386/kvm_i386.h"
#include "target/i386/sev/sev.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

static void pc_isa_irq_handler(void *opaque, int n, int level)
{
    MachineState *ms = opaque;
    ms->accel->set_irq(ms, n, level);
}

/* The firmware flash and its alias below 1 MiB (which hides the RAM). */
static void *pc_rom_gpa_to_hva(MachineState *ms, uint64_t gpa, uint64_t len)
{
    return ms->arch ? pc_firmware_gpa_to_hva(
        &((PCMachineState *)ms->arch)->firmware, gpa, len) : NULL;
}

static void *boot_gpa_to_hva(void *opaque, uint64_t gpa, uint64_t len)
{
    return machine_gpa_to_hva(opaque, gpa, len);
}

/*
 * Guest RAM; with firmware, low RAM leaves the hole where the BIOS alias
 * (isa_bios_start .. 1 MiB) is mapped instead (0: no hole).
 */
static bool pc_memory_init(MachineState *ms, uint64_t isa_bios_start,
                           GError **errp)
{
    /* QEMU's pc: RAM above 3 GiB moves above 4 GiB (the PCI hole) */
    ms->below_4g_mem_size = MIN(ms->ram_size, PC_PCI_HOLE_START);
    ms->above_4g_mem_size = ms->ram_size - ms->below_4g_mem_size;
    ms->ram = mmap(NULL, ms->ram_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ms->ram == MAP_FAILED) {
        ms->ram = NULL;
        error_setg_errno(errp, errno, "cannot set up guest memory 'pc.ram'");
        return false;
    }
    madvise(ms->ram, ms->ram_size, MADV_DONTDUMP);
    if (isa_bios_start) {
        const uint64_t mib = 0x100000;
        if (!machine_map_ram(ms, 0, 0, isa_bios_start, errp) ||
            !machine_map_ram(ms, mib, mib, ms->below_4g_mem_size - mib,
                             errp)) {
            return false;
        }
    } else if (!machine_map_ram(ms, 0, 0, ms->below_4g_mem_size, errp)) {
        return false;
    }
    if (ms->above_4g_mem_size &&
        !machine_map_ram(ms, 1ULL << 32, ms->below_4g_mem_size,
                         ms->above_4g_mem_size, errp)) {
        return false;
    }
    return sev_ram_added(ms, ms->ram, ms->ram_size, errp);
}

/* -initrd "a args,b": split on ',' (",," is a comma); the file name is
 * the text before the first space, the whole item is the module string. */
static bool pc_read_images(MachineState *ms, PCMachineState *pcms,
                           GError **errp)
{
    X86BootImages *img = &pcms->images;
    char *data;
    size_t len;

    pcms->image_buffers = g_ptr_array_new_with_free_func(g_free);
    if (!qemu_read_file("kernel file", ms->kernel_filename, &data, &len,
                        errp)) {
        return false;
    }
    g_ptr_array_add(pcms->image_buffers, data);
    img->kernel = (const uint8_t *)data;
    img->kernel_size = len;
    img->kernel_name = ms->kernel_filename;
    img->cmdline = ms->kernel_cmdline ? ms->kernel_cmdline : "";

    if (ms->initrd_filename) {
        g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GString) cur = g_string_new(NULL);
        size_t n;

        for (const char *p = ms->initrd_filename; ; p++) {
            if (*p == ',' && p[1] == ',') {
                g_string_append_c(cur, ',');
                p++;
            } else if (*p == ',' || *p == '\0') {
                g_ptr_array_add(items, g_strdup(cur->str));
                g_string_truncate(cur, 0);
                if (!*p) {
                    break;
                }
            } else {
                g_string_append_c(cur, *p);
            }
        }
        const uint8_t **bufs;
        size_t *sizes;
        const char **names;

        n = items->len;
        img->nr_initrd = n;
        img->initrd = bufs = g_new0(const uint8_t *, n);
        img->initrd_size = sizes = g_new0(size_t, n);
        img->initrd_name = names = g_new0(const char *, n);
        for (size_t i = 0; i < n; i++) {
            const char *item = g_ptr_array_index(items, i);
            g_autofree char *path = g_strndup(item, strcspn(item, " "));
            if (!qemu_read_file("initrd", path, &data, &len, errp)) {
                return false;
            }
            g_ptr_array_add(pcms->image_buffers, data);
            bufs[i] = (const uint8_t *)data;
            sizes[i] = len;
            names[i] = g_strdup(item);
        }
    }
    return true;
}

/* Boot GDT: 0x10 code (32- or 64-bit as the entry needs), 0x18 data. */
static void pc_write_boot_gdt(MachineState *ms, X86BootMode mode)
{
    uint64_t gdt[4] = {
        0, 0,
        mode == X86_BOOT_MODE_LONG64 ? 0x00af9b000000ffffULL
                                     : 0x00cf9b000000ffffULL,
        0x00cf93000000ffffULL,
    };
    memcpy(machine_gpa_to_hva(ms, X86_BOOT_GDT_ADDR, sizeof(gdt)), gdt,
           sizeof(gdt));
}

/* Identity map of the low 4 GiB with 2 MiB pages: PML4, PDPT, 4 PDs. */
static void pc_write_boot_page_tables(MachineState *ms)
{
    const uint64_t base = X86_BOOT_PAGE_TABLE_ADDR;
    uint64_t *pml4 = machine_gpa_to_hva(ms, base, 6 * 4096);
    uint64_t *pdpt = pml4 + 512;
    uint64_t *pd = pml4 + 1024;

    memset(pml4, 0, 6 * 4096);
    pml4[0] = (base + 0x1000) | 0x03;                 /* present, writable */
    for (int i = 0; i < 4; i++) {
        pdpt[i] = (base + 0x2000 + i * 0x1000) | 0x03;
    }
    for (int i = 0; i < 4 * 512; i++) {
        pd[i] = ((uint64_t)i << 21) | 0x83;           /* 2 MiB page */
    }
}

static bool pc_load_boot(MachineState *ms, GError **errp)
{
    PCMachineState *pcms = ms->arch;
    PCFirmwareConfig fw = {
        .nr_cpus = ms->smp_cpus,
        .apic_ids = pcms->apic_ids,
        .ioapic_id = 0,
        .pci_hole_start = ms->below_4g_mem_size,
    };
    X86BootRAM ram = {
        .gpa_to_hva = boot_gpa_to_hva,
        .opaque = ms,
        .below_4g = ms->below_4g_mem_size,
        .above_4g = ms->above_4g_mem_size,
        .e820 = pcms->e820,
        .e820_nr = pcms->e820_nr,
        .rsdp_addr = PC_RSDP_ADDR,
    };

    E820Entry tables[2] = {
        { pcms->acpi_addr, 0, E820_RESERVED },
        { PC_RSDP_ADDR, 0, E820_RESERVED },
    };
    uint8_t *acpi = machine_gpa_to_hva(ms, pcms->acpi_addr, PC_ACPI_TABLES_SIZE);
    size_t mp;

    /* firmware builds its own tables (and 0xf0000 is its ROM alias) */
    if (pcms->firmware.nr) {
        return true;
    }

    tables[0].size = pc_build_acpi(acpi, PC_ACPI_TABLES_SIZE, pcms->acpi_addr,
                                   &fw);
    if (!tables[0].size) {
        error_setg(errp, "ACPI tables do not fit in 0x%x bytes",
                   PC_ACPI_TABLES_SIZE);
        return false;
    }
    /* the RSDP points at its tables by address: a copy works anywhere */
    memcpy(machine_gpa_to_hva(ms, PC_RSDP_ADDR, PC_RSDP_SIZE), acpi,
           PC_RSDP_SIZE);
    mp = pc_build_mptable(machine_gpa_to_hva(ms, PC_MPTABLE_ADDR,
                                             PC_MPTABLE_SIZE),
                          PC_MPTABLE_SIZE, PC_MPTABLE_ADDR, &fw);
    if (!mp) {
        warn_report("MP table does not fit: guests must use ACPI to find CPUs");
    }
    tables[1].size = PC_MPTABLE_ADDR + mp - PC_RSDP_ADDR;
    ram.avoid = tables;
    ram.avoid_nr = G_N_ELEMENTS(tables);
    if (!ms->kernel_filename) {
        return true;        /* qtest: tables only */
    }
    if (!x86_load_kernel(&pcms->images, &ram, &pcms->boot, errp)) {
        return false;
    }
    pc_write_boot_gdt(ms, pcms->boot.mode);
    if (pcms->boot.mode == X86_BOOT_MODE_LONG64) {
        pc_write_boot_page_tables(ms);
    }
    return true;
}

static bool pc_fw_cfg_init(MachineState *ms, PCMachineState *pcms,
                           GError **errp)
{
    FWCfgState *fw = fw_cfg_new(boot_gpa_to_hva, ms);
    g_autofree uint8_t *e820 = g_malloc0(pcms->e820_nr * 20);
    const char *cmdline = ms->kernel_cmdline ? ms->kernel_cmdline : "";

    pcms->fw_cfg = fw;
    fw_cfg_add_bytes(fw, FW_CFG_UUID, ms->uuid, sizeof(ms->uuid));
    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, ms->ram_size);
    fw_cfg_add_i16(fw, FW_CFG_NOGRAPHIC, 0);
    fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, ms->smp_cpus);
    fw_cfg_add_i16(fw, FW_CFG_MAX_CPUS, ms->smp_cpus);
    fw_cfg_add_i16(fw, FW_CFG_BOOT_MENU, 0);
    fw_cfg_add_i32(fw, FW_CFG_IRQ0_OVERRIDE, 1);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, pcms->images.kernel_size);
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_SIZE, strlen(cmdline) + 1);
    fw_cfg_add_string(fw, FW_CFG_CMDLINE_DATA, cmdline);
    /* "etc/e820": le64 address, le64 length, le32 type per entry */
    for (size_t i = 0; i < pcms->e820_nr; i++) {
        uint64_t a = GUINT64_TO_LE(pcms->e820[i].addr);
        uint64_t l = GUINT64_TO_LE(pcms->e820[i].size);
        uint32_t t = GUINT32_TO_LE(pcms->e820[i].type);
        memcpy(e820 + i * 20, &a, 8);
        memcpy(e820 + i * 20 + 8, &l, 8);
        memcpy(e820 + i * 20 + 16, &t, 4);
    }
    if (!fw_cfg_add_file(fw, "etc/e820", e820, pcms->e820_nr * 20, errp) ||
        !fw_cfg_init_io(fw, &ms->io, errp)) {
        return false;
    }
    qemu_register_reset(ms, fw_cfg_reset, fw);
    vmstate_register(ms, "fw_cfg", 0, 1, fw_cfg_save, fw_cfg_load, fw);
    return true;
}

/*
 * -kernel with firmware: the firmware loads it from fw_cfg (OVMF's
 * QemuKernelLoaderFsDxe: its "kernel" file is the setup blob followed by
 * the kernel blob, so the whole file as kernel and an empty setup give
 * the file back unchanged) and, with SEV kernel-hashes=on, checks it
 * against the measured hashes table.  One initrd file.
 */
static bool pc_firmware_kernel(MachineState *ms, PCMachineState *pcms,
                               GError **errp)
{
    X86BootImages *img = &pcms->images;
    FWCfgState *fw = pcms->fw_cfg;
    const uint8_t *initrd = img->nr_initrd ? img->initrd[0] : NULL;
    size_t initrd_size = img->nr_initrd ? img->initrd_size[0] : 0;

    if (img->nr_initrd > 1) {
        error_setg(errp, "-initrd: firmware takes one initrd file");
        return false;
    }
    fw_cfg_add_i32(fw, FW_CFG_SETUP_SIZE, 0);
    fw_cfg_add_bytes(fw, FW_CFG_KERNEL_DATA, img->kernel, img->kernel_size);
    fw_cfg_add_i32(fw, FW_CFG_INITRD_SIZE, initrd_size);
    if (initrd) {
        fw_cfg_add_bytes(fw, FW_CFG_INITRD_DATA, initrd, initrd_size);
    }
    return sev_kernel_added(ms, img->kernel, img->kernel_size, initrd,
                            initrd_size, ms->kernel_cmdline, errp);
}

/* SEV: the firmware memory is guest memory too (QEMU registers every RAM
 * block), and unit 0 is what LAUNCH_UPDATE_DATA measures. */
static bool pc_firmware_sev(MachineState *ms, PCFirmware *fw, GError **errp)
{
    for (unsigned i = 0; i < fw->nr; i++) {
        if (!sev_ram_added(ms, fw->img[i].hva, fw->img[i].size, errp)) {
            return false;
        }
    }
    return sev_firmware_added(ms, fw->img[0].hva, fw->img[0].size, errp);
}

static bool pc_init(MachineState *ms, GError **errp)
{
    PCMachineState *pcms = g_new0(PCMachineState, 1);
    X86CPUTopo topo = { ms->sockets, ms->cores, ms->threads };

    bool firmware = pc_firmware_configured(ms);

    ms->arch = pcms;
    /* under qtest no vCPU runs: a kernel is optional there */
    if (!ms->kernel_filename && !firmware && ms->accel->has_vcpus) {
        error_setg(errp, "no kernel to boot: use -kernel, or firmware with "
                   "-bios or -drive if=pflash");
        return false;
    }
    if (ms->cgs && !firmware) {
        error_setg(errp, "SEV needs firmware (-bios or -drive if=pflash)");
        return false;
    }
    if ((firmware && !pc_firmware_load(ms, &pcms->firmware, errp)) ||
        !pc_memory_init(ms, firmware ? pcms->firmware.isa_bios.gpa : 0,
                        errp) ||
        (firmware && !pc_firmware_map(ms, &pcms->firmware, errp)) ||
        (firmware && !pc_firmware_sev(ms, &pcms->firmware, errp)) ||
        (ms->accel->init_irqchip && !ms->accel->init_irqchip(ms, errp))) {
        return false;
    }
    for (int i = 0; i < 16; i++) {
        pcms->isa_irq[i] = qemu_allocate_irq(pc_isa_irq_handler, ms, i);
    }
    /* vCPUs first: the memory map depends on the guest CPU's vendor */
    /* with firmware the BSP leaves reset at the reset vector, as a real one */
    if (ms->accel->has_vcpus &&
        !x86_cpus_init(ms, firmware ? NULL : &pcms->boot, errp)) {
        return false;
    }
    pcms->e820 = pc_e820_table(ms, ms->nr_cpus && x86_cpu_is_amd(ms->cpus[0]),
                               &pcms->e820_nr);
    pcms->acpi_addr = ms->below_4g_mem_size - PC_HIGH_TABLES_SIZE;
    pcms->apic_ids = g_new0(uint32_t, ms->smp_cpus);
    for (unsigned i = 0; i < ms->smp_cpus; i++) {
        pcms->apic_ids[i] = x86_topo_apic_id(&topo, i);
    }
    if (ms->kernel_filename && !pc_read_images(ms, pcms, errp)) {
        return false;
    }
    ms->isa_irqs = pcms->isa_irq;
    for (int i = 0; i < PC_MAX_SERIAL; i++) {
        if (ms->serial_hds[i] &&
            !isa_serial_create(ms, i, 0, 0, ms->serial_hds[i], errp)) {
            return false;
        }
    }
    if (!pc_cmos_init(ms, errp) || !pc_i440fx_init(ms, errp) ||
        !pc_kbd_reset_init(ms, errp) || !pc_ioport80_init(ms, errp) ||
        !pc_fw_cfg_init(ms, pcms, errp) ||
        (firmware && ms->kernel_filename &&
         !pc_firmware_kernel(ms, pcms, errp))) {
        return false;
    }
    pcms->acpi_pm = acpi_pm_new(ms, PC_ACPI_PM_BASE,
                                pcms->isa_irq[PC_ACPI_SCI_IRQ], errp);
    if (!pcms->acpi_pm) {
        return false;
    }
    /* load once now so a bad image is reported before anything runs */
    return pc_load_boot(ms, errp);
}

static void pc_powerdown(MachineState *ms)
{
    PCMachineState *pcms = ms->arch;
    acpi_pm_powerdown_request(pcms->acpi_pm);
}

static bool pc_reset(MachineState *ms, GError **errp)
{
    qemu_devices_reset(ms);
    return pc_load_boot(ms, errp);
}

static const MachineClass pc_machine = {
    .name = "pc-i440fx-7.2",
    .alias = "pc",
    .desc = "Standard PC (i440FX, direct kernel boot)",
    .is_default = true,
    .max_cpus = 288,
    .init = pc_init,
    .reset = pc_reset,
    .powerdown = pc_powerdown,
    .rom_gpa_to_hva = pc_rom_gpa_to_hva,
    .qtest_intc_names = (const char *const[]){ "ioapic", NULL },
    .pflash_units = 2,
};

MACHINE_REGISTER(pc_machine)
