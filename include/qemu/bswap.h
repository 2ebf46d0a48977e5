/*
 * Little-endian loads and stores at unaligned byte pointers: guest
 * structures (boot info, VMSA, PCI config space) are little-endian
 * whatever the host, and these never alias or fault on alignment.
 */
#ifndef QEMU_BSWAP_H
#define QEMU_BSWAP_H

#include <stdint.h>

static inline uint16_t lduw_le_p(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static inline uint32_t ldl_le_p(const uint8_t *p)
{
    return lduw_le_p(p) | (uint32_t)lduw_le_p(p + 2) << 16;
}

static inline uint64_t ldq_le_p(const uint8_t *p)
{
    return ldl_le_p(p) | (uint64_t)ldl_le_p(p + 4) << 32;
}

static inline void stw_le_p(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}

static inline void stl_le_p(uint8_t *p, uint32_t v)
{
    stw_le_p(p, v);
    stw_le_p(p + 2, v >> 16);
}

static inline void stq_le_p(uint8_t *p, uint64_t v)
{
    stl_le_p(p, v);
    stl_le_p(p + 4, v >> 32);
}

#endif
