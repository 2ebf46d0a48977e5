/*
 * fw_cfg: the selector/data interface and the DMA interface.
 * Items are immutable once the machine runs, so reads take only the
 * device lock for the selector and offset.
 */
#include "hw/nvram/fw_cfg.h"
#include "qemu/error-report.h"
#include "qemu/log.h"

#include <string.h>

#define FW_CFG_MAX_ENTRIES 0x60   /* keys 0x00-0x1f, plus 64 files */

typedef struct FWCfgEntry {
    uint8_t *data;
    uint32_t len;
} FWCfgEntry;

typedef struct FWCfgFile {      /* directory entry, big-endian on the wire */
    uint32_t size;
    uint16_t select;
    uint16_t reserved;
    char name[FW_CFG_MAX_FILE_PATH];
} FWCfgFile;

struct FWCfgState {
    GMutex lock;
    FWCfgEntry entries[2][FW_CFG_MAX_ENTRIES];   /* [arch local?][key] */
    FWCfgFile *files;
    uint32_t nr_files;
    uint16_t cur_key;
    uint32_t cur_offset;
    uint64_t dma_addr;
    FWCfgDMAMap dma_map;
    void *dma_opaque;
};

static FWCfgEntry *entry_for(FWCfgState *s, uint16_t key)
{
    unsigned idx = key & FW_CFG_ENTRY_MASK;

    if (idx >= FW_CFG_MAX_ENTRIES) {
        return NULL;
    }
    return &s->entries[!!(key & FW_CFG_ARCH_LOCAL)][idx];
}

void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data, size_t len)
{
    FWCfgEntry *e = entry_for(s, key);

    g_assert(e && len <= UINT32_MAX);
    g_free(e->data);
    e->data = g_memdup2(data, len);
    e->len = len;
}

void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t v)
{
    uint16_t le = GUINT16_TO_LE(v);
    fw_cfg_add_bytes(s, key, &le, sizeof(le));
}

void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t v)
{
    uint32_t le = GUINT32_TO_LE(v);
    fw_cfg_add_bytes(s, key, &le, sizeof(le));
}

void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t v)
{
    uint64_t le = GUINT64_TO_LE(v);
    fw_cfg_add_bytes(s, key, &le, sizeof(le));
}

void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *str)
{
    fw_cfg_add_bytes(s, key, str, strlen(str) + 1);
}

/* The directory item: count, then the sorted entries, all big-endian. */
static void rebuild_file_dir(FWCfgState *s)
{
    size_t len = sizeof(uint32_t) + (size_t)s->nr_files * sizeof(FWCfgFile);
    g_autofree uint8_t *dir = g_malloc0(len);
    uint32_t count = GUINT32_TO_BE(s->nr_files);

    memcpy(dir, &count, sizeof(count));
    for (uint32_t i = 0; i < s->nr_files; i++) {
        FWCfgFile f = s->files[i];
        f.size = GUINT32_TO_BE(f.size);
        f.select = GUINT16_TO_BE(f.select);
        memcpy(dir + sizeof(uint32_t) + i * sizeof(FWCfgFile), &f, sizeof(f));
    }
    fw_cfg_add_bytes(s, FW_CFG_FILE_DIR, dir, len);
}

bool fw_cfg_add_file(FWCfgState *s, const char *name, const void *data,
                     size_t len, GError **errp)
{
    uint32_t pos = 0;
    uint16_t key = FW_CFG_FILE_FIRST + s->nr_files;

    if (strlen(name) >= FW_CFG_MAX_FILE_PATH) {
        error_setg(errp, "fw_cfg file name '%s' is too long", name);
        return false;
    }
    if (key >= FW_CFG_MAX_ENTRIES || len > UINT32_MAX) {
        error_setg(errp, "fw_cfg: no room for file '%s'", name);
        return false;
    }
    while (pos < s->nr_files && strcmp(s->files[pos].name, name) < 0) {
        pos++;
    }
    if (pos < s->nr_files && strcmp(s->files[pos].name, name) == 0) {
        error_setg(errp, "fw_cfg: duplicate file name '%s'", name);
        return false;
    }
    s->files = g_renew(FWCfgFile, s->files, s->nr_files + 1);
    memmove(&s->files[pos + 1], &s->files[pos],
            (s->nr_files - pos) * sizeof(FWCfgFile));
    memset(&s->files[pos], 0, sizeof(FWCfgFile));
    g_strlcpy(s->files[pos].name, name, FW_CFG_MAX_FILE_PATH);
    s->files[pos].size = len;
    s->files[pos].select = key;
    s->nr_files++;
    fw_cfg_add_bytes(s, key, data, len);
    rebuild_file_dir(s);
    return true;
}

static void fw_cfg_select(FWCfgState *s, uint16_t key)
{
    s->cur_key = key;
    s->cur_offset = 0;
}

static FWCfgEntry *cur_entry(FWCfgState *s)
{
    FWCfgEntry *e = entry_for(s, s->cur_key);
    return e && e->data ? e : NULL;
}

static uint64_t fw_cfg_data_read(FWCfgState *s, unsigned size)
{
    FWCfgEntry *e = cur_entry(s);
    uint64_t v = 0;

    /* a wider read returns the next bytes in memory order */
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = 0;
        if (e && s->cur_offset < e->len) {
            b = e->data[s->cur_offset++];
        }
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static uint64_t fw_cfg_io_read(void *opaque, uint64_t addr, unsigned size)
{
    FWCfgState *s = opaque;
    uint64_t v = 0;

    g_mutex_lock(&s->lock);
    if (addr == 1 && size == 1) {
        v = fw_cfg_data_read(s, 1);
    } else {
        qemu_log_mask(LOG_GUEST_ERROR, "fw_cfg: read of port 0x%x size %u\n",
                      (unsigned)(FW_CFG_IO_BASE + addr), size);
        v = ~0ULL;
    }
    g_mutex_unlock(&s->lock);
    return v;
}

static void fw_cfg_io_write(void *opaque, uint64_t addr, uint64_t val,
                            unsigned size)
{
    FWCfgState *s = opaque;

    g_mutex_lock(&s->lock);
    if (addr == 0 && size == 2) {
        fw_cfg_select(s, val);
    } else {
        /* data port writes are ignored since QEMU 2.4 */
        qemu_log_mask(LOG_GUEST_ERROR, "fw_cfg: write to port 0x%x size %u\n",
                      (unsigned)(FW_CFG_IO_BASE + addr), size);
    }
    g_mutex_unlock(&s->lock);
}

/* Selector is 16-bit, data 8-bit (fw_cfg.rst: "x86 ... 0x510, 0x511"). */
const IOBusOps fw_cfg_io_ops = {
    .read = fw_cfg_io_read,
    .write = fw_cfg_io_write,
    .min_access = 1,
    .max_access = 2,
};

typedef struct __attribute__((packed)) FWCfgDmaAccess {
    uint32_t control;
    uint32_t length;
    uint64_t address;
} FWCfgDmaAccess;

/* Run one DMA request at s->dma_addr; every address is checked. */
static void fw_cfg_dma_transfer(FWCfgState *s)
{
    FWCfgDmaAccess *desc = s->dma_map(s->dma_opaque, s->dma_addr,
                                      sizeof(FWCfgDmaAccess));
    uint32_t control, length;
    uint64_t address;
    bool error = false;

    if (!desc) {
        qemu_log_mask(LOG_GUEST_ERROR, "fw_cfg: DMA descriptor at 0x%"
                      G_GINT64_MODIFIER "x is not RAM\n", s->dma_addr);
        return;
    }
    control = GUINT32_FROM_BE(desc->control);
    length = GUINT32_FROM_BE(desc->length);
    address = GUINT64_FROM_BE(desc->address);

    if (control & FW_CFG_DMA_CTL_SELECT) {
        fw_cfg_select(s, control >> 16);
    }
    if (control & (FW_CFG_DMA_CTL_READ | FW_CFG_DMA_CTL_SKIP)) {
        FWCfgEntry *e = cur_entry(s);
        uint32_t avail = e && s->cur_offset < e->len ? e->len - s->cur_offset : 0;
        uint32_t n = MIN(length, avail);

        if (control & FW_CFG_DMA_CTL_READ) {
            uint8_t *dst = length ? s->dma_map(s->dma_opaque, address, length) : NULL;
            if (length && !dst) {
                error = true;
            } else if (length) {
                if (n) {
                    memcpy(dst, e->data + s->cur_offset, n);
                }
                memset(dst + n, 0, length - n);   /* past the end reads 0 */
            }
        }
        if (!error) {
            s->cur_offset += n;
        }
    } else if (control & FW_CFG_DMA_CTL_WRITE) {
        error = true;   /* no writable items */
    }
    desc->control = GUINT32_TO_BE(error ? FW_CFG_DMA_CTL_ERROR : 0);
}

static uint64_t fw_cfg_dma_read(void *opaque, uint64_t addr, unsigned size)
{
    /* the signature reads as the string "QEMU CFG" in guest memory order */
    static const char sig[8] = "QEMU CFG";
    uint64_t v = 0;

    for (unsigned i = 0; i < size && addr + i < 8; i++) {
        v |= (uint64_t)(uint8_t)sig[addr + i] << (8 * i);
    }
    return v;
}

/*
 * The guest writes the big-endian descriptor address: high 32 bits at
 * offset 0, low 32 bits at offset 4 (which starts the transfer), or all
 * 64 bits at once.
 */
static void fw_cfg_dma_write(void *opaque, uint64_t addr, uint64_t val,
                             unsigned size)
{
    FWCfgState *s = opaque;

    g_mutex_lock(&s->lock);
    if (size == 4 && addr == 0) {
        s->dma_addr = (uint64_t)GUINT32_FROM_BE((uint32_t)val) << 32;
    } else if (size == 4 && addr == 4) {
        s->dma_addr |= GUINT32_FROM_BE((uint32_t)val);
        fw_cfg_dma_transfer(s);
        s->dma_addr = 0;
    } else if (size == 8 && addr == 0) {
        s->dma_addr = GUINT64_FROM_BE(val);
        fw_cfg_dma_transfer(s);
        s->dma_addr = 0;
    } else {
        qemu_log_mask(LOG_GUEST_ERROR, "fw_cfg: DMA register write at +%u size %u\n",
                      (unsigned)addr, size);
    }
    g_mutex_unlock(&s->lock);
}

const IOBusOps fw_cfg_dma_ops = {
    .read = fw_cfg_dma_read,
    .write = fw_cfg_dma_write,
    .min_access = 1,
    .max_access = 8,
};

FWCfgState *fw_cfg_new(FWCfgDMAMap dma_map, void *dma_opaque)
{
    FWCfgState *s = g_new0(FWCfgState, 1);

    g_mutex_init(&s->lock);
    s->dma_map = dma_map;
    s->dma_opaque = dma_opaque;
    fw_cfg_add_bytes(s, FW_CFG_SIGNATURE, "QEMU", 4);
    fw_cfg_add_i32(s, FW_CFG_ID, FW_CFG_VERSION | (dma_map ? FW_CFG_VERSION_DMA : 0));
    rebuild_file_dir(s);
    return s;
}

bool fw_cfg_init_io(FWCfgState *s, IOBus *bus, GError **errp)
{
    return iobus_register(bus, FW_CFG_IO_BASE, 2, &fw_cfg_io_ops, s,
                          "fw_cfg", errp) &&
           (!s->dma_map ||
            iobus_register(bus, FW_CFG_DMA_IO_BASE, 8, &fw_cfg_dma_ops, s,
                           "fw_cfg-dma", errp));
}

/*
 * Save/restore: the items come from the command line, which the
 * destination has too; what moves is where the guest is reading.
 */
void fw_cfg_save(void *opaque, GByteArray *out)
{
    FWCfgState *s = opaque;

    g_mutex_lock(&s->lock);
    vms_put_u16(out, s->cur_key);
    vms_put_u32(out, s->cur_offset);
    vms_put_u64(out, s->dma_addr);
    g_mutex_unlock(&s->lock);
}

bool fw_cfg_load(void *opaque, VMLoad *in, bool apply, GError **errp)
{
    FWCfgState *s = opaque;
    uint16_t key = vms_get_u16(in);
    uint32_t offset = vms_get_u32(in);
    uint64_t dma_addr = vms_get_u64(in);

    if (!vms_load_done(in, "fw_cfg", errp)) {
        return false;
    }
    if (apply) {
        g_mutex_lock(&s->lock);
        s->cur_key = key;
        s->cur_offset = offset;
        s->dma_addr = dma_addr;
        g_mutex_unlock(&s->lock);
    }
    return true;
}

void fw_cfg_reset(void *opaque)
{
    FWCfgState *s = opaque;

    g_mutex_lock(&s->lock);
    fw_cfg_select(s, 0);
    s->dma_addr = 0;
    g_mutex_unlock(&s->lock);
}

void fw_cfg_free(FWCfgState *s)
{
    for (int a = 0; a < 2; a++) {
        for (int i = 0; i < FW_CFG_MAX_ENTRIES; i++) {
            g_free(s->entries[a][i].data);
        }
    }
    g_free(s->files);
    g_mutex_clear(&s->lock);
    g_free(s);
}
