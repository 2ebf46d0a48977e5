/*
 * PCI host bridge (i440FX) behind the configuration mechanism #1 ports
 * 0xcf8 (address) and 0xcfc-0xcff (data) (PCI Local Bus spec 3.0,
 * 3.2.2.3.2), plus the PIIX reset control register at 0xcf9, which
 * shares the range: a byte write with bit 2 resets the machine.
 * The host bridge is 00:00.0; other functions on bus 0 are the PCI
 * bus's (hw/pci/pci.c), which also decodes their BARs in the windows
 * below.
 */
#include "hw/i386/pc.h"
#include "hw/i386/acpi-build.h"
#include "hw/pci/pci.h"
#include "migration/vmstate.h"
#include "qemu/bswap.h"
#include "qemu/log.h"

#include <string.h>

#define CONFIG_ENABLE  0x80000000u
#define RCR_RESET_CPU  0x04

typedef struct I440FXState {
    GMutex lock;
    MachineState *ms;
    PCIBus *bus;
    uint32_t config_addr;
    uint8_t rcr;
    uint8_t host_config[256];
} I440FXState;

static bool addr_is_host(uint32_t a)
{
    /* bus 0, device 0, function 0 */
    return (a & 0x00ffff00u) == 0;
}

/* An endpoint on bus 0 (devfn), or -1 */
static int addr_devfn(uint32_t a)
{
    return (a & 0x00ff0000u) || addr_is_host(a) ? -1 : (a >> 8) & 0xff;
}

static uint32_t config_read(I440FXState *s, unsigned off, unsigned size)
{
    uint32_t a = s->config_addr;
    uint32_t v = 0;

    off += a & 0xfc;
    if ((a & CONFIG_ENABLE) && addr_devfn(a) >= 0) {
        return pci_bus_config_read(s->bus, addr_devfn(a), off, size);
    }
    if (!(a & CONFIG_ENABLE) || !addr_is_host(a)) {
        return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
    }
    for (unsigned i = 0; i < size && off + i < 256; i++) {
        v |= (uint32_t)s->host_config[off + i] << (8 * i);
    }
    return v;
}

static uint64_t i440fx_read(void *opaque, uint64_t addr, unsigned size)
{
    I440FXState *s = opaque;
    uint64_t v;

    g_mutex_lock(&s->lock);
    if (addr == 0 && size == 4) {
        v = s->config_addr;
    } else if (addr == 1 && size == 1) {
        v = s->rcr;
    } else if (addr >= 4) {
        v = config_read(s, addr - 4, size);
    } else {
        v = ~0ULL;
    }
    g_mutex_unlock(&s->lock);
    return v;
}

static void i440fx_write(void *opaque, uint64_t addr, uint64_t val,
                         unsigned size)
{
    I440FXState *s = opaque;
    bool reset = false;

    g_mutex_lock(&s->lock);
    if (addr == 0 && size == 4) {
        s->config_addr = val;
    } else if (addr == 1 && size == 1) {
        s->rcr = val & 0x02;   /* keep SYS_RST; RST_CPU self-clears */
        reset = val & RCR_RESET_CPU;
    } else if (addr >= 4 && (s->config_addr & CONFIG_ENABLE) &&
               addr_devfn(s->config_addr) >= 0) {
        pci_bus_config_write(s->bus, addr_devfn(s->config_addr),
                             (s->config_addr & 0xfc) + addr - 4, val, size);
    } else if (addr >= 4) {
        /* host bridge registers are read-only here; writes to absent
         * functions go nowhere */
        qemu_log_mask(LOG_UNIMP, "pci: config write 0x%x+%u ignored\n",
                      s->config_addr, (unsigned)(addr - 4));
    }
    g_mutex_unlock(&s->lock);
    if (reset) {
        qemu_system_reset_request(s->ms, SHUTDOWN_CAUSE_GUEST_RESET);
    }
}

static const IOBusOps i440fx_ops = {
    .read = i440fx_read,
    .write = i440fx_write,
    .min_access = 1,
    .max_access = 4,
};

static void i440fx_reset(void *opaque)
{
    I440FXState *s = opaque;

    g_mutex_lock(&s->lock);
    s->config_addr = 0;
    s->rcr = 0;
    g_mutex_unlock(&s->lock);
}

static void i440fx_save(void *opaque, GByteArray *out)
{
    I440FXState *s = opaque;

    g_mutex_lock(&s->lock);
    vms_put_u32(out, s->config_addr);
    vms_put_u8(out, s->rcr);
    vms_put_bytes(out, s->host_config, sizeof(s->host_config));
    g_mutex_unlock(&s->lock);
}

static bool i440fx_load(void *opaque, VMLoad *in, bool apply, GError **errp)
{
    I440FXState *s = opaque;
    uint32_t config_addr = vms_get_u32(in);
    uint8_t rcr = vms_get_u8(in);
    uint8_t config[sizeof(s->host_config)];

    vms_get_bytes(in, config, sizeof(config));
    if (!vms_load_done(in, "i440fx", errp)) {
        return false;
    }
    if (apply) {
        g_mutex_lock(&s->lock);
        s->config_addr = config_addr;
        s->rcr = rcr;
        memcpy(s->host_config, config, sizeof(config));
        g_mutex_unlock(&s->lock);
    }
    return true;
}

bool pc_i440fx_init(MachineState *ms, GError **errp)
{
    I440FXState *s = g_new0(I440FXState, 1);

    g_mutex_init(&s->lock);
    s->ms = ms;
    stw_le_p(s->host_config + 0x00, 0x8086);   /* vendor: Intel */
    stw_le_p(s->host_config + 0x02, 0x1237);   /* device: 82441FX PMC */
    stw_le_p(s->host_config + 0x06, 0x0000);   /* status */
    s->host_config[0x08] = 0x02;           /* revision, as QEMU */
    s->host_config[0x0a] = 0x00;           /* subclass: host bridge */
    s->host_config[0x0b] = 0x06;           /* class: bridge */
    s->host_config[0x0e] = 0x00;           /* header type 0 */
    /* BARs go in the DSDT's windows: memory from the end of low RAM to
     * the I/O APIC, I/O where SeaBIOS puts them */
    s->bus = pci_bus_new(ms, ms->below_4g_mem_size,
                         PC_PCI_MEM_END + 1 - ms->below_4g_mem_size,
                         PC_PCI_IO_BASE, PC_PCI_IO_SIZE, errp);
    if (!s->bus ||
        !iobus_register(&ms->io, 0xcf8, 8, &i440fx_ops, s, "pci-conf", errp)) {
        g_free(s);
        return false;
    }
    qemu_register_reset(ms, i440fx_reset, s);
    vmstate_register(ms, "i440fx", 0, 1, i440fx_save, i440fx_load, s);
    return true;
}
