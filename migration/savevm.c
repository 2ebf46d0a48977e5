/*
 * Writing and reading the machine-state stream (format: savevm.h).
 */
#include "migration/savevm.h"
#include "hw/boards.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"

#include <errno.h>
#include <string.h>

static bool write_all(FILE *f, const void *p, size_t n, GError **errp)
{
    if (n && fwrite(p, 1, n, f) != n) {
        error_setg_errno(errp, errno ? errno : EIO,
                         "cannot write the migration stream");
        return false;
    }
    return true;
}

static bool write_section(FILE *f, const VMStateEntry *e, GByteArray *data,
                          GError **errp)
{
    g_autoptr(GByteArray) head = g_byte_array_new();
    size_t name_len = strlen(e->name);
    uint8_t crc_le[4];
    uint32_t crc;

    vms_put_u32(head, QKVM_SECTION_MARKER);
    vms_put_u16(head, name_len);
    vms_put_bytes(head, e->name, name_len);
    vms_put_u32(head, e->instance);
    vms_put_u32(head, e->version);
    vms_put_u64(head, data->len);
    crc = vms_crc32(0, head->data, head->len);
    stl_le_p(crc_le, vms_crc32(crc, data->data, data->len));
    return write_all(f, head->data, head->len, errp) &&
           write_all(f, data->data, data->len, errp) &&
           write_all(f, crc_le, 4, errp);
}

bool qemu_savevm_write(MachineState *ms, FILE *f, GError **errp)
{
    g_autoptr(GByteArray) head = g_byte_array_new();
    g_autoptr(GByteArray) end = g_byte_array_new();
    guint n = ms->vmstate ? ms->vmstate->len : 0;

    vms_put_bytes(head, QKVM_SAVE_MAGIC, 8);
    vms_put_u32(head, QKVM_SAVE_VERSION);
    vms_put_u32(head, 0);
    if (!write_all(f, head->data, head->len, errp)) {
        return false;
    }
    for (guint i = 0; i < n; i++) {
        const VMStateEntry *e = &g_array_index(ms->vmstate, VMStateEntry, i);
        g_autoptr(GByteArray) data = g_byte_array_new();

        e->save(e->opaque, data);
        if (!write_section(f, e, data, errp)) {
            return false;
        }
    }
    vms_put_u32(end, QKVM_END_MARKER);
    vms_put_u32(end, n);
    vms_put_u32(end, vms_crc32(0, end->data, end->len));
    if (!write_all(f, end->data, end->len, errp)) {
        return false;
    }
    if (fflush(f) != 0) {
        error_setg_errno(errp, errno, "cannot write the migration stream");
        return false;
    }
    return true;
}

typedef struct Section {
    char *name;
    uint32_t instance, version;
    const uint8_t *data;
    size_t len;
    const VMStateEntry *entry;
} Section;

static void section_clear(gpointer p)
{
    g_free(((Section *)p)->name);
}

/* Split buf into sections, checking everything that needs no loader. */
static GArray *parse_stream(const uint8_t *buf, size_t len, GError **errp)
{
    g_autoptr(GArray) secs = g_array_new(FALSE, TRUE, sizeof(Section));
    VMLoad in = { .data = buf, .len = len };
    uint8_t magic[8];
    uint32_t version;

    g_array_set_clear_func(secs, section_clear);
    uint32_t flags;

    vms_get_bytes(&in, magic, 8);
    version = vms_get_u32(&in);
    flags = vms_get_u32(&in);
    if (in.short_read || memcmp(magic, QKVM_SAVE_MAGIC, 8)) {
        error_setg(errp, "not a qkvm migration stream (bad magic)");
        return NULL;
    }
    if (version != QKVM_SAVE_VERSION) {
        error_setg(errp, "migration stream format version %u is not "
                   "supported (this qkvm reads version %u)", version,
                   QKVM_SAVE_VERSION);
        return NULL;
    }
    if (flags) {
        error_setg(errp, "migration stream has unknown flags 0x%x", flags);
        return NULL;
    }
    for (;;) {
        size_t start = in.pos;
        uint32_t marker = vms_get_u32(&in);
        Section s = { 0 };
        uint16_t name_len;
        uint64_t data_len;
        uint32_t crc, want;

        if (in.short_read) {
            error_setg(errp, "migration stream truncated after %zu bytes "
                       "(no end marker)", len);
            return NULL;
        }
        if (marker == QKVM_END_MARKER) {
            uint32_t count = vms_get_u32(&in);
            uint32_t end_crc = vms_get_u32(&in);

            if (in.short_read ||
                end_crc != vms_crc32(0, buf + start, 8)) {
                error_setg(errp, "migration stream truncated or corrupt in "
                           "its end marker");
                return NULL;
            }
            if (count != secs->len) {
                error_setg(errp, "migration stream has %u sections, its end "
                           "marker says %u", secs->len, count);
                return NULL;
            }
            if (in.pos != len) {
                error_setg(errp, "migration stream has %zu bytes after its "
                           "end marker", len - in.pos);
                return NULL;
            }
            return g_steal_pointer(&secs);
        }
        if (marker != QKVM_SECTION_MARKER) {
            error_setg(errp, "migration stream corrupt: no section marker at "
                       "offset %zu", start);
            return NULL;
        }
        name_len = vms_get_u16(&in);
        s.name = g_malloc0(name_len + 1);
        vms_get_bytes(&in, s.name, name_len);
        s.instance = vms_get_u32(&in);
        s.version = vms_get_u32(&in);
        data_len = vms_get_u64(&in);
        if (in.short_read || data_len > in.len - in.pos ||
            in.len - in.pos - data_len < 4) {
            error_setg(errp, "migration stream truncated in section '%s' "
                       "(offset %zu)", in.short_read ? "?" : s.name, start);
            g_free(s.name);
            return NULL;
        }
        s.data = buf + in.pos;
        s.len = data_len;
        in.pos += data_len;
        want = vms_crc32(0, buf + start, in.pos - start);
        crc = vms_get_u32(&in);
        if (crc != want) {
            error_setg(errp, "migration stream corrupt: checksum mismatch in "
                       "section '%s' instance %u", s.name, s.instance);
            g_free(s.name);
            return NULL;
        }
        g_array_append_val(secs, s);
    }
}

static Section *find_section(GArray *secs, const VMStateEntry *e)
{
    for (guint i = 0; i < secs->len; i++) {
        Section *s = &g_array_index(secs, Section, i);
        if (!strcmp(s->name, e->name) && s->instance == e->instance) {
            return s;
        }
    }
    return NULL;
}

static bool run_loader(Section *s, bool apply, GError **errp)
{
    VMLoad in = { .data = s->data, .len = s->len };

    if (!s->entry->load(s->entry->opaque, &in, apply, errp)) {
        g_prefix_error(errp, "section '%s' instance %u: ", s->name,
                       s->instance);
        return false;
    }
    return true;
}

bool qemu_loadvm(MachineState *ms, const uint8_t *buf, size_t len,
                 GError **errp)
{
    g_autoptr(GArray) secs = parse_stream(buf, len, errp);
    guint n = ms->vmstate ? ms->vmstate->len : 0;
    g_autofree Section **order = NULL;

    if (!secs) {
        return false;
    }
    order = g_new0(Section *, n + 1);
    for (guint i = 0; i < n; i++) {
        const VMStateEntry *e = &g_array_index(ms->vmstate, VMStateEntry, i);
        Section *s = find_section(secs, e);

        if (!s) {
            error_setg(errp, "migration stream has no section '%s' instance "
                       "%u: it was saved from a different machine "
                       "configuration", e->name, e->instance);
            return false;
        }
        if (s->version > e->version) {
            error_setg(errp, "section '%s' instance %u has version %u, newer "
                       "than this qkvm's %u", e->name, e->instance,
                       s->version, e->version);
            return false;
        }
        s->entry = e;
        order[i] = s;
    }
    for (guint i = 0; i < secs->len; i++) {
        Section *s = &g_array_index(secs, Section, i);
        if (!s->entry) {
            error_setg(errp, "unknown section '%s' instance %u in the "
                       "migration stream: it was saved from a different "
                       "machine configuration", s->name, s->instance);
            return false;
        }
    }
    /* every loader checks its section before any of them changes state */
    for (guint i = 0; i < n; i++) {
        if (!run_loader(order[i], false, errp)) {
            return false;
        }
    }
    for (guint i = 0; i < n; i++) {
        if (!run_loader(order[i], true, errp)) {
            return false;
        }
    }
    return true;
}
