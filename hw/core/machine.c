/*
 * The machine table and the "none" machine.
 */
#include "hw/boards.h"
#include "system/accel.h"

#include <string.h>

static GPtrArray *machines;

void machine_register(const MachineClass *mc)
{
    if (!machines) {
        machines = g_ptr_array_new();
    }
    g_ptr_array_add(machines, (gpointer)mc);
}

GPtrArray *machine_all(void)
{
    if (!machines) {
        machines = g_ptr_array_new();
    }
    return machines;
}

const MachineClass *machine_find(const char *name)
{
    GPtrArray *all = machine_all();

    for (guint i = 0; i < all->len; i++) {
        const MachineClass *mc = g_ptr_array_index(all, i);
        if (strcmp(mc->name, name) == 0 ||
            (mc->alias && strcmp(mc->alias, name) == 0)) {
            return mc;
        }
    }
    return NULL;
}

const MachineClass *machine_default(void)
{
    GPtrArray *all = machine_all();

    for (guint i = 0; i < all->len; i++) {
        const MachineClass *mc = g_ptr_array_index(all, i);
        if (mc->is_default) {
            return mc;
        }
    }
    return NULL;
}

void machine_list(FILE *f)
{
    GPtrArray *all = machine_all();

    fprintf(f, "Supported machines are:\n");
    for (guint i = 0; i < all->len; i++) {
        const MachineClass *mc = g_ptr_array_index(all, i);
        if (mc->alias) {
            fprintf(f, "%-20s %s (alias of %s)\n", mc->alias, mc->desc, mc->name);
        }
        fprintf(f, "%-20s %s%s\n", mc->name, mc->desc,
                mc->is_default ? " (default)" : "");
    }
}

/* ---- guest RAM: the ranges a machine maps, for every gpa lookup ------- */

bool machine_map_ram(MachineState *ms, uint64_t gpa, uint64_t offset,
                     uint64_t size, GError **errp)
{
    MachineRAMRange *r;

    g_assert(ms->nr_ram_ranges < MACHINE_MAX_RAM_RANGES);
    g_assert(offset <= ms->ram_size && size <= ms->ram_size - offset);
    if (!ms->accel->map_ram(ms, gpa, size, ms->ram + offset, errp)) {
        return false;
    }
    r = &ms->ram_ranges[ms->nr_ram_ranges++];
    r->gpa = gpa;
    r->size = size;
    r->offset = offset;
    return true;
}

void *machine_gpa_to_hva(MachineState *ms, uint64_t gpa, uint64_t len)
{
    if (ms->mc && ms->mc->rom_gpa_to_hva) {
        void *rom = ms->mc->rom_gpa_to_hva(ms, gpa, len ? len : 1);
        if (rom) {
            return rom;
        }
    }
    return machine_ram_gpa_to_hva(ms, gpa, len);
}

void *machine_ram_gpa_to_hva(MachineState *ms, uint64_t gpa, uint64_t len)
{
    if (len == 0) {
        len = 1;
    }
    for (unsigned i = 0; i < ms->nr_ram_ranges; i++) {
        const MachineRAMRange *r = &ms->ram_ranges[i];

        if (gpa >= r->gpa && gpa - r->gpa < r->size &&
            len <= r->size - (gpa - r->gpa)) {
            return ms->ram + r->offset + (gpa - r->gpa);
        }
    }
    return NULL;
}

/*
 * "none": no RAM, no devices, no vCPU; what management tools start to ask
 * a binary about itself over QMP (libvirt's capability probe).
 */
static bool none_init(MachineState *ms, GError **errp)
{
    ms->smp_cpus = 0;
    return true;
}

static bool none_reset(MachineState *ms, GError **errp)
{
    qemu_devices_reset(ms);
    return true;
}

static const MachineClass none_machine = {
    .name = "none",
    .desc = "empty machine",
    .max_cpus = 1,
    .init = none_init,
    .reset = none_reset,
};
MACHINE_REGISTER(none_machine)
