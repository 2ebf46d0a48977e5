/*
 * CPU signatures of vCPU types: what a QEMU vCPU has in EDX at reset
 * (CPUID Fn0000_0001_EAX), which SEV-ES measures as part of each VMSA.
 */
#include "target/i386/sev/sev-measure.h"

#include <string.h>

/*
 * AMD CPUID Specification (pub. 25481), CPUID Fn0000_0001_EAX: stepping
 * [3:0], base model [7:4], base family [11:8], extended model [19:16],
 * extended family [27:20].  Families above 0xf are base 0xf plus the
 * extended family; models above 0xf put their high nibble in the
 * extended model.
 */
uint32_t sev_cpu_sig(unsigned family, unsigned model, unsigned stepping)
{
    unsigned fam_lo = family > 0xf ? 0xf : family;
    unsigned fam_hi = family > 0xf ? (family - 0xf) & 0xff : 0;

    return fam_hi << 20 | ((model >> 4) & 0xf) << 16 | fam_lo << 8 |
           (model & 0xf) << 4 | (stepping & 0xf);
}

typedef struct SevCpuType {
    const char *name;
    uint8_t family, model, stepping;
} SevCpuType;

/*
 * The types sev-snp-measure accepts (QEMU's builtin_x86_defs and their
 * versions): family/model/stepping of each QEMU CPU model.
 */
static const SevCpuType cpu_types[] = {
    { "EPYC",           23, 1, 2 },
    { "EPYC-v1",        23, 1, 2 },
    { "EPYC-v2",        23, 1, 2 },
    { "EPYC-IBPB",      23, 1, 2 },
    { "EPYC-v3",        23, 1, 2 },
    { "EPYC-v4",        23, 1, 2 },
    { "EPYC-Rome",      23, 49, 0 },
    { "EPYC-Rome-v1",   23, 49, 0 },
    { "EPYC-Rome-v2",   23, 49, 0 },
    { "EPYC-Rome-v3",   23, 49, 0 },
    { "EPYC-Milan",     25, 1, 1 },
    { "EPYC-Milan-v1",  25, 1, 1 },
    { "EPYC-Milan-v2",  25, 1, 1 },
    { "EPYC-Genoa",     25, 17, 0 },
    { "EPYC-Genoa-v1",  25, 17, 0 },
    { "EPYC-Turin",     26, 0, 0 },
};

bool sev_cpu_sig_from_type(const char *type, uint32_t *sig)
{
    for (size_t i = 0; i < G_N_ELEMENTS(cpu_types); i++) {
        const SevCpuType *t = &cpu_types[i];

        if (!strcmp(t->name, type)) {
            *sig = sev_cpu_sig(t->family, t->model, t->stepping);
            return true;
        }
    }
    return false;
}

const char *sev_cpu_type_name(unsigned i)
{
    return i < G_N_ELEMENTS(cpu_types) ? cpu_types[i].name : NULL;
}
