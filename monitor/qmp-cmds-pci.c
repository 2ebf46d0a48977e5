/*
 * query-pci: bus 0 and its functions, in QEMU's PciInfo layout (the host
 * bridge first, then -device functions in devfn order), with each BAR
 * where it decodes now.
 */
#include "monitor-internal.h"
#include "hw/boards.h"
#include "hw/pci/pci.h"
#include "qemu/bswap.h"

static JsonObject *pci_device_info(unsigned devfn, uint16_t vendor,
                                   uint16_t device, uint16_t class,
                                   const PCIDevice *d)
{
    JsonObject *o = json_object_new();
    JsonObject *ci = json_object_new();
    JsonObject *id = json_object_new();
    JsonArray *regions = json_array_new();

    json_object_set_int_member(o, "bus", 0);
    json_object_set_int_member(o, "slot", PCI_SLOT(devfn));
    json_object_set_int_member(o, "function", PCI_FUNC(devfn));
    json_object_set_int_member(ci, "class", class);
    json_object_set_object_member(o, "class_info", ci);
    json_object_set_int_member(id, "vendor", vendor);
    json_object_set_int_member(id, "device", device);
    if (d) {
        json_object_set_int_member(id, "subsystem-vendor",
                                   lduw_le_p(d->config +
                                             PCI_SUBSYSTEM_VENDOR_ID));
        json_object_set_int_member(id, "subsystem",
                                   lduw_le_p(d->config + PCI_SUBSYSTEM_ID));
    }
    json_object_set_object_member(o, "id", id);
    if (d && d->config[PCI_INTERRUPT_PIN]) {
        json_object_set_int_member(o, "irq", d->intx_gsi);
        json_object_set_int_member(o, "irq_pin", d->config[PCI_INTERRUPT_PIN]);
    } else {
        json_object_set_int_member(o, "irq_pin", 0);
    }
    json_object_set_string_member(o, "qdev_id", d && d->id ? d->id : "");
    for (int b = 0; d && b < PCI_NUM_BARS; b++) {
        const PCIBar *bar = &d->bars[b];
        JsonObject *r;

        if (!bar->size) {
            continue;
        }
        r = json_object_new();
        json_object_set_int_member(r, "bar", b);
        if (bar->type & PCI_BASE_ADDRESS_SPACE_IO) {
            json_object_set_string_member(r, "type", "io");
        } else {
            json_object_set_string_member(r, "type", "memory");
            json_object_set_boolean_member(r, "prefetch",
                bar->type & PCI_BASE_ADDRESS_MEM_PREFETCH);
            json_object_set_boolean_member(r, "mem_type_64",
                bar->type & PCI_BASE_ADDRESS_MEM_TYPE_64);
        }
        /* QEMU reports an undecoded BAR at all-ones */
        json_object_set_int_member(r, "address", bar->addr);
        json_object_set_int_member(r, "size", bar->size);
        json_array_add_object_element(regions, r);
    }
    json_object_set_array_member(o, "regions", regions);
    return o;
}

QMP_HANDLER(qmp_query_pci)
{
    g_autoptr(JsonArray) list = json_array_new();
    PCIBus *bus = machine_pci_bus(mon->ms);
    JsonObject *info;
    JsonArray *devs;

    if (!bus) {
        return qmp_node_array(g_steal_pointer(&list));
    }
    info = json_object_new();
    devs = json_array_new();
    /* the host bridge: i440FX, class 0600 (hw/pci-host/i440fx.c) */
    json_array_add_object_element(devs, pci_device_info(0, 0x8086, 0x1237,
                                                        0x0600, NULL));
    for (unsigned devfn = 1; devfn < PCI_SLOT_MAX * PCI_FUNC_MAX; devfn++) {
        PCIDevice *d = pci_bus_device(bus, devfn);
        if (d) {
            json_array_add_object_element(devs, pci_device_info(
                devfn, lduw_le_p(d->config + PCI_VENDOR_ID),
                lduw_le_p(d->config + PCI_DEVICE_ID),
                lduw_le_p(d->config + PCI_CLASS_DEVICE), d));
        }
    }
    json_object_set_int_member(info, "bus", 0);
    json_object_set_array_member(info, "devices", devs);
    json_array_add_object_element(list, info);
    return qmp_node_array(g_steal_pointer(&list));
}
