/*
 * The state registry and the field encoders (see migration/vmstate.h).
 */
#include "migration/vmstate.h"
#include "migration/savevm.h"
#include "hw/boards.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"

#include <string.h>
#include <zlib.h>

void vmstate_register(MachineState *ms, const char *name, uint32_t instance,
                      uint32_t version, VMSaveFn *save, VMLoadFn *load,
                      void *opaque)
{
    VMStateEntry e = {
        .name = name, .instance = instance, .version = version,
        .save = save, .load = load, .opaque = opaque,
    };

    if (!ms->vmstate) {
        ms->vmstate = g_array_new(FALSE, TRUE, sizeof(VMStateEntry));
    }
    g_array_append_val(ms->vmstate, e);
}

void migrate_add_blocker(MachineState *ms, const char *reason)
{
    if (!ms->migration_blockers) {
        ms->migration_blockers = g_ptr_array_new_with_free_func(g_free);
    }
    g_ptr_array_add(ms->migration_blockers, g_strdup(reason));
}

void vms_put_u8(GByteArray *out, uint8_t v)
{
    g_byte_array_append(out, &v, 1);
}

void vms_put_u16(GByteArray *out, uint16_t v)
{
    uint8_t b[2];
    stw_le_p(b, v);
    g_byte_array_append(out, b, 2);
}

void vms_put_u32(GByteArray *out, uint32_t v)
{
    uint8_t b[4];
    stl_le_p(b, v);
    g_byte_array_append(out, b, 4);
}

void vms_put_u64(GByteArray *out, uint64_t v)
{
    uint8_t b[8];
    stq_le_p(b, v);
    g_byte_array_append(out, b, 8);
}

void vms_put_bytes(GByteArray *out, const void *p, size_t n)
{
    g_byte_array_append(out, p, n);
}

void vms_get_bytes(VMLoad *in, void *p, size_t n)
{
    if (in->len - in->pos < n) {
        in->short_read = true;
        in->pos = in->len;
        memset(p, 0, n);
        return;
    }
    memcpy(p, in->data + in->pos, n);
    in->pos += n;
}

uint8_t vms_get_u8(VMLoad *in)
{
    uint8_t v;
    vms_get_bytes(in, &v, 1);
    return v;
}

uint16_t vms_get_u16(VMLoad *in)
{
    uint8_t b[2];
    vms_get_bytes(in, b, 2);
    return lduw_le_p(b);
}

uint32_t vms_get_u32(VMLoad *in)
{
    uint8_t b[4];
    vms_get_bytes(in, b, 4);
    return ldl_le_p(b);
}

uint64_t vms_get_u64(VMLoad *in)
{
    uint8_t b[8];
    vms_get_bytes(in, b, 8);
    return ldq_le_p(b);
}

bool vms_get_bool(VMLoad *in)
{
    return vms_get_u8(in) != 0;
}

bool vms_load_done(VMLoad *in, const char *what, GError **errp)
{
    if (in->short_read) {
        error_setg(errp, "%s: section too short", what);
        return false;
    }
    if (in->pos != in->len) {
        error_setg(errp, "%s: section has %zu unexpected bytes at its end",
                   what, in->len - in->pos);
        return false;
    }
    return true;
}

/*
 * CRC-32 of ISO-HDLC / IEEE 802.3 (reflected, polynomial 0xEDB88320),
 * chained: vms_crc32(vms_crc32(0, a), b) is the CRC of a then b.  zlib's
 * crc32() is that function, several bytes a step.
 */
uint32_t vms_crc32(uint32_t crc, const void *p, size_t n)
{
    return crc32_z(crc, p, n);
}
