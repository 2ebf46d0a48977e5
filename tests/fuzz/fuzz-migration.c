/*
 * The incoming migration stream (migration/savevm.c's qemu_loadvm, what
 * -incoming file: and migrate-incoming run) against the in-process pc
 * machine, whose sections are those of qkvm-system-x86_64 -accel qtest:
 * clock, RAM, fw_cfg, RTC, i440fx, ACPI PM, serial, ...
 *
 * The first input byte picks how the rest becomes a stream:
 *   0  as is (header, markers and CRCs are the fuzzer's business);
 *   1  as is, with every section CRC and the trailer's recomputed, so
 *      mutations reach the section loaders rather than the CRC check;
 *   2  patches (section index, offset, bytes) applied to a stream just
 *      saved from the machine, CRCs recomputed: each loader sees its own
 *      format with a few bytes changed.
 *
 * What is checked beyond "no crash": a refused stream leaves the machine
 * as it was (its saved state is byte-identical before and after), since
 * every loader validates before any applies (savevm.h).  An accepted
 * stream is undone by loading the state saved before it.
 */
#include "fuzz.h"
#include "fuzz-machine.h"
#include "migration/savevm.h"
#include "qemu/bswap.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static GByteArray *save_state(MachineState *ms)
{
    g_autoptr(GError) err = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    GByteArray *out;

    if (!f || !qemu_savevm_write(ms, f, &err)) {
        fprintf(stderr, "fuzz: cannot save the machine: %s\n",
                err ? err->message : "open_memstream failed");
        abort();
    }
    fclose(f);
    out = g_byte_array_new_take((guint8 *)buf, len);
    return out;
}

/* Offsets of what a section CRC covers, found as the loader would. */
typedef struct Sec {
    size_t start, data, end;    /* marker, data, CRC */
} Sec;

/* The sections of a stream that parses, up to a bad one; trailer at *tail. */
static GArray *split(const uint8_t *b, size_t len, size_t *tail)
{
    GArray *secs = g_array_new(FALSE, FALSE, sizeof(Sec));
    size_t pos = 16;

    *tail = 0;
    while (pos + 4 <= len) {
        Sec s = { .start = pos };
        uint64_t dlen;
        uint16_t nlen;

        if (ldl_le_p(b + pos) == QKVM_END_MARKER) {
            *tail = pos;
            break;
        }
        if (len - pos < 6) {
            break;
        }
        nlen = lduw_le_p(b + pos + 4);
        if (len - pos - 6 < (size_t)nlen + 16) {
            break;
        }
        s.data = pos + 6 + nlen + 16;
        dlen = ldq_le_p(b + s.data - 8);
        if (dlen > len - s.data || len - s.data - dlen < 4) {
            break;
        }
        s.end = s.data + dlen;
        g_array_append_val(secs, s);
        pos = s.end + 4;
    }
    return secs;
}

static void fix_crcs(uint8_t *b, size_t len)
{
    size_t tail;
    g_autoptr(GArray) secs = split(b, len, &tail);

    for (guint i = 0; i < secs->len; i++) {
        Sec *s = &g_array_index(secs, Sec, i);
        stl_le_p(b + s->end, vms_crc32(0, b + s->start, s->end - s->start));
    }
    if (tail && len - tail >= 12) {
        stl_le_p(b + tail + 8, vms_crc32(0, b + tail, 8));
    }
}

/* Mode 2: patches of (u8 section, u32 offset, u8 length, bytes). */
static void patch(GByteArray *st, const uint8_t *p, size_t n)
{
    size_t tail;
    g_autoptr(GArray) secs = split(st->data, st->len, &tail);

    while (n >= 6 && secs->len) {
        Sec *s = &g_array_index(secs, Sec, p[0] % secs->len);
        size_t span = s->end - s->start;     /* header and data */
        size_t off = ldl_le_p(p + 1) % (span ? span : 1);
        size_t plen = MIN((size_t)p[5], n - 6);

        plen = MIN(plen, span - off);
        memcpy(st->data + s->start + off, p + 6, plen);
        p += 6 + plen;
        n -= 6 + plen;
    }
    fix_crcs(st->data, st->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* nothing else touches this machine, and every input leaves it as
     * it was (checked below), so its state is saved once */
    static GByteArray *before;
    MachineState *ms;
    g_autoptr(GByteArray) stream = NULL;
    g_autoptr(GByteArray) after = NULL;
    g_autoptr(GError) err = NULL;

    if (!before) {
        /*
         * -m 2M: a refused stream saves the machine to compare, and that
         * scans all of RAM for non-zero pages (a 32 MiB machine made it
         * about 1 ms an input under ASan).  The loaders are the same whatever the size.
         */
        fuzz_machine_ram_size = 2u << 20;
        before = save_state(fuzz_machine());
    }
    ms = fuzz_machine();
    if (!size) {
        return 0;
    }
    switch (data[0] % 3) {
    case 0:
    case 1:
        stream = g_byte_array_new();
        g_byte_array_append(stream, data + 1, size - 1);
        if (data[0] % 3 == 1) {
            fix_crcs(stream->data, stream->len);
        }
        break;
    case 2:
        stream = g_byte_array_new();
        g_byte_array_append(stream, before->data, before->len);
        patch(stream, data + 1, size - 1);
        break;
    }
    if (qemu_loadvm(ms, stream->data, stream->len, &err)) {
        g_autoptr(GError) undo = NULL;
        if (!qemu_loadvm(ms, before->data, before->len, &undo)) {
            fprintf(stderr, "fuzz: the machine's own saved state is "
                    "refused: %s\n", undo->message);
            abort();
        }
        return 0;
    }
    after = save_state(ms);
    if (after->len != before->len ||
        memcmp(after->data, before->data, before->len)) {
        fprintf(stderr, "fuzz: a refused stream changed the machine (%s)\n",
                err->message);
        abort();
    }
    return 0;
}
