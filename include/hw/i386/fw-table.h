/*
 * Appending to a firmware table being built (ACPI, MP table): integers
 * little-endian, fixed-length strings.
 */
#ifndef HW_I386_FW_TABLE_H
#define HW_I386_FW_TABLE_H

#include <glib.h>
#include <stdint.h>
#include <string.h>

static inline void fw_put_le(GByteArray *a, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = v >> (8 * i);
        g_byte_array_append(a, &b, 1);
    }
}

/* A fixed-length field: len is the field size, s must fill it exactly. */
static inline void fw_put_str(GByteArray *a, const char *s, size_t len)
{
    g_assert(strlen(s) == len);
    g_byte_array_append(a, (const uint8_t *)s, len);
}

#endif
