/*
 * CPU models, -cpu parsing and the guest CPUID table, against fake hosts.
 *
 * The expected values come from QEMU 7.2 under KVM (qom-get feature-words
 * and filtered-features, and its warnings) on the same hosts.
 */
#include "target/i386/cpu.h"

#include <string.h>
#include <unistd.h>

typedef struct { uint32_t fn, idx, flags, eax, ebx, ecx, edx; } HostLeaf;

/* KVM_GET_SUPPORTED_CPUID of a (nested) AMD EPYC host: no pni, no xsave. */
static const HostLeaf amd_host[] = {
    { 0x00000000, 0x0, 0x0, 0x0000001c, 0x68747541, 0x444d4163, 0x69746e65 },
    { 0x00000001, 0x0, 0x0, 0x00a10f11, 0x00020800, 0x81202000, 0x078bfbff },
    { 0x00000002, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000003, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000004, 0x0, 0x1, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000005, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000006, 0x0, 0x0, 0x00000004, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000007, 0x0, 0x1, 0x00000001, 0x01800002, 0x00000104, 0x20000000 },
    { 0x00000007, 0x1, 0x1, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000008, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000009, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x0000000a, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x0000000b, 0x0, 0x1, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x0000000c, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x0000000d, 0x0, 0x1, 0x000000e7, 0x00000980, 0x00000980, 0x00000000 },
    { 0x0000000d, 0x1, 0x1, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x0000000d, 0x2, 0x1, 0x00000100, 0x00000240, 0x00000000, 0x00000000 },
    { 0x0000000d, 0x5, 0x1, 0x00000040, 0x00000340, 0x00000000, 0x00000000 },
    { 0x0000000d, 0x6, 0x1, 0x00000200, 0x00000380, 0x00000000, 0x00000000 },
    { 0x0000000d, 0x7, 0x1, 0x00000400, 0x00000580, 0x00000000, 0x00000000 },
    { 0x0000000e, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x0000000f, 0x0, 0x1, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000010, 0x0, 0x1, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000011, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000012, 0x0, 0x1, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000013, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000014, 0x0, 0x1, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000015, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000016, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000017, 0x0, 0x1, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000018, 0x0, 0x1, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000019, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x0000001a, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x0000001b, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x0000001c, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000000, 0x0, 0x0, 0x80000021, 0x68747541, 0x444d4163, 0x69746e65 },
    { 0x80000001, 0x0, 0x0, 0x00a10f11, 0x40000000, 0x00400393, 0x23d3fbff },
    { 0x80000002, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000003, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000004, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000005, 0x0, 0x0, 0xff48ff40, 0xff48ff40, 0x20080140, 0x20080140 },
    { 0x80000006, 0x0, 0x0, 0x5c002200, 0x6c004200, 0x04006140, 0x0a009140 },
    { 0x80000007, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000100 },
    { 0x80000008, 0x0, 0x0, 0x00003030, 0x50020005, 0x00007001, 0x00000000 },
    { 0x80000009, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x8000000a, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x8000000b, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x8000000c, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x8000000d, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x8000000e, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x8000000f, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000010, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000011, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000012, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000013, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000014, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000015, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000016, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000017, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000018, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000019, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x8000001a, 0x0, 0x0, 0x00000006, 0x00000000, 0x00000000, 0x00000000 },
    { 0x8000001b, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x8000001c, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x8000001d, 0x0, 0x1, 0x00000121, 0x01c0003f, 0x0000003f, 0x00000000 },
    { 0x8000001d, 0x1, 0x1, 0x00000122, 0x01c0003f, 0x0000003f, 0x00000000 },
    { 0x8000001d, 0x2, 0x1, 0x00000143, 0x01c0003f, 0x000007ff, 0x00000002 },
    { 0x8000001d, 0x3, 0x1, 0x00004163, 0x03c0003f, 0x00007fff, 0x00000001 },
    { 0x8000001d, 0x4, 0x1, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x8000001e, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x8000001f, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000020, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000021, 0x0, 0x0, 0x00000204, 0x00000000, 0x00000006, 0x00000000 },
    { 0x40000000, 0x0, 0x0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x0000004d },
    { 0x40000001, 0x0, 0x0, 0x01007efb, 0x00000000, 0x00000000, 0x00000000 },
};

/* An Icelake-SP host: everything Icelake-Server asks for, 46 address bits. */
static const HostLeaf intel_host[] = {
    { 0x00000000, 0x0, 0x0, 0x0000001b, 0x756e6547, 0x6c65746e, 0x49656e69 },
    { 0x00000001, 0x0, 0x0, 0x000606a6, 0x00000800, 0xf7fab223, 0x0f8bfbff },
    { 0x00000002, 0x0, 0x0, 0x00feff01, 0x00000000, 0x00000000, 0x00c30000 },
    { 0x00000004, 0x0, 0x1, 0x1c004121, 0x02c0003f, 0x0000003f, 0x00000000 },
    { 0x00000004, 0x1, 0x1, 0x1c004122, 0x01c0003f, 0x0000003f, 0x00000000 },
    { 0x00000004, 0x2, 0x1, 0x1c004143, 0x04c0003f, 0x000003ff, 0x00000000 },
    { 0x00000004, 0x3, 0x1, 0x1c03c163, 0x02c0003f, 0x0000bfff, 0x00000004 },
    { 0x00000004, 0x4, 0x1, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000006, 0x0, 0x0, 0x00000004, 0x00000000, 0x00000000, 0x00000000 },
    { 0x00000007, 0x0, 0x1, 0x00000000, 0xd19f0fbb, 0x00415f4e, 0xbc000410 },
    { 0x00000007, 0x1, 0x1, 0x00000000, 0x00000000, 0x00000000, 0x00000000 },
    { 0x0000000a, 0x0, 0x0, 0x08300805, 0x00000000, 0x00000000, 0x00000603 },
    { 0x0000000b, 0x0, 0x1, 0x00000001, 0x00000002, 0x00000100, 0x00000007 },
    { 0x0000000d, 0x0, 0x1, 0x000002e7, 0x00000a88, 0x00000a88, 0x00000000 },
    { 0x0000000d, 0x1, 0x1, 0x0000000f, 0x00000000, 0x00000000, 0x00000000 },
    { 0x0000000d, 0x2, 0x1, 0x00000100, 0x00000240, 0x00000000, 0x00000000 },
    { 0x0000000d, 0x5, 0x1, 0x00000040, 0x00000440, 0x00000000, 0x00000000 },
    { 0x0000000d, 0x6, 0x1, 0x00000200, 0x00000480, 0x00000000, 0x00000000 },
    { 0x0000000d, 0x7, 0x1, 0x00000400, 0x00000680, 0x00000000, 0x00000000 },
    { 0x0000000d, 0x9, 0x1, 0x00000008, 0x00000a80, 0x00000000, 0x00000000 },
    { 0x40000000, 0x0, 0x0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x0000004d },
    { 0x40000001, 0x0, 0x0, 0x01007efb, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000000, 0x0, 0x0, 0x80000008, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000001, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000121, 0x2c100800 },
    { 0x80000006, 0x0, 0x0, 0x00000000, 0x00000000, 0x01007040, 0x00000000 },
    { 0x80000007, 0x0, 0x0, 0x00000000, 0x00000000, 0x00000000, 0x00000100 },
    { 0x80000008, 0x0, 0x0, 0x0000302e, 0x00000200, 0x00000000, 0x00000000 },
};
#define INTEL_BRAND "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz"

static struct kvm_cpuid2 *host_new(const HostLeaf *l, size_t n,
                                   const char *brand)
{
    size_t total = n + (brand ? 3 : 0);
    /* flexible array member: header plus total entries */
    struct kvm_cpuid2 *h = g_malloc0(sizeof(*h) +
                                     total * sizeof(h->entries[0]));
    char id[48] = { 0 };

    for (size_t i = 0; i < n; i++) {
        h->entries[i] = (struct kvm_cpuid_entry2) {
            .function = l[i].fn, .index = l[i].idx, .flags = l[i].flags,
            .eax = l[i].eax, .ebx = l[i].ebx, .ecx = l[i].ecx, .edx = l[i].edx,
        };
    }
    if (brand) {
        memcpy(id, brand, MIN(strlen(brand), sizeof(id)));
        for (int i = 0; i < 3; i++) {
            struct kvm_cpuid_entry2 *e = &h->entries[n + i];
            e->function = 0x80000002 + i;
            memcpy(&e->eax, id + 16 * i, 4);
            memcpy(&e->ebx, id + 16 * i + 4, 4);
            memcpy(&e->ecx, id + 16 * i + 8, 4);
            memcpy(&e->edx, id + 16 * i + 12, 4);
        }
    }
    h->nent = total;
    return h;
}

static struct kvm_cpuid2 *amd(void)
{
    static struct kvm_cpuid2 *h;
    return h ? h : (h = host_new(amd_host, G_N_ELEMENTS(amd_host), NULL));
}

static struct kvm_cpuid2 *intel(void)
{
    static struct kvm_cpuid2 *h;
    return h ? h : (h = host_new(intel_host, G_N_ELEMENTS(intel_host),
                                 INTEL_BRAND));
}

static const X86CPUTopo one = { 1, 1, 1 };

/* Build, collecting the warnings; *warnings may be NULL if none expected. */
static struct kvm_cpuid2 *build_topo(const char *spec,
                                     struct kvm_cpuid2 *host,
                                     const X86CPUTopo *topo,
                                     GPtrArray **warnings)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(X86CPUDef) def = x86_cpu_parse(spec, &err);
    g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);
    struct kvm_cpuid2 *cpuid;

    g_assert_no_error(err);
    cpuid = x86_cpu_build_cpuid_quiet(def, host, topo, w, &err);
    g_assert_no_error(err);
    g_assert_nonnull(cpuid);
    if (warnings) {
        *warnings = g_steal_pointer(&w);
    } else {
        for (guint i = 0; i < w->len; i++) {
            g_test_message("unexpected: %s", (char *)g_ptr_array_index(w, i));
        }
        g_assert_cmpuint(w->len, ==, 0);
    }
    return cpuid;
}

static struct kvm_cpuid2 *build(const char *spec, struct kvm_cpuid2 *host)
{
    return build_topo(spec, host, &one, NULL);
}

static uint32_t reg(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx, int r)
{
    struct kvm_cpuid_entry2 *e = x86_cpuid_find(c, fn, idx);

    if (!e) {
        g_error("no leaf %#x.%u", fn, idx);
    }
    return r == 0 ? e->eax : r == 1 ? e->ebx : r == 2 ? e->ecx : e->edx;
}
enum { EAX, EBX, ECX, EDX };

static char *vendor_of(struct kvm_cpuid2 *c, uint32_t leaf)
{
    struct kvm_cpuid_entry2 *e = x86_cpuid_find(c, leaf, 0);
    char v[13] = { 0 };

    memcpy(v, &e->ebx, 4);
    memcpy(v + 4, &e->edx, 4);
    memcpy(v + 8, &e->ecx, 4);
    return g_strdup(v);
}

static char *model_id_of(struct kvm_cpuid2 *c)
{
    char id[49] = { 0 };

    for (int i = 0; i < 3; i++) {
        struct kvm_cpuid_entry2 *e = x86_cpuid_find(c, 0x80000002 + i, 0);
        if (!e) {
            continue;       /* an all-zero part is left out */
        }
        memcpy(id + 16 * i, &e->eax, 4);
        memcpy(id + 16 * i + 4, &e->ebx, 4);
        memcpy(id + 16 * i + 8, &e->ecx, 4);
        memcpy(id + 16 * i + 12, &e->edx, 4);
    }
    return g_strdup(id);
}

static void parse_error(const char *spec, const char *msg)
{
    g_autoptr(GError) err = NULL;

    g_assert_null(x86_cpu_parse(spec, &err));
    g_assert_nonnull(err);
    g_assert_cmpstr(err->message, ==, msg);
}

/* qemu64 on the AMD host: QEMU 7.2's feature-words, one warning (pni). */
static void test_qemu64_amd(void)
{
    GPtrArray *w;
    g_autofree struct kvm_cpuid2 *c = build_topo("qemu64", amd(), &one, &w);
    g_autofree char *vendor = vendor_of(c, 0);
    g_autofree char *xvendor = vendor_of(c, 0x80000000);
    g_autofree char *id = model_id_of(c);

    g_assert_cmpstr(vendor, ==, "AuthenticAMD");
    g_assert_cmpstr(xvendor, ==, "AuthenticAMD");
    g_assert_cmpstr(id, ==, "QEMU Virtual CPU version 2.5+");
    g_assert_cmphex(reg(c, 0, 0, EAX), ==, 0xd);
    g_assert_cmphex(reg(c, 0x80000000, 0, EAX), ==, 0x8000000a);
    g_assert_cmphex(reg(c, 1, 0, EAX), ==, 0x00060fb1);     /* 15/107/1 */
    g_assert_cmphex(reg(c, 1, 0, EBX), ==, 0x00000800);
    g_assert_cmphex(reg(c, 1, 0, EDX), ==, 0x078bfbfd);
    g_assert_cmphex(reg(c, 1, 0, ECX), ==, 0x80202000);     /* pni filtered */
    g_assert_cmphex(reg(c, 0x80000001, 0, EDX), ==, 0x2193fbfd);
    g_assert_cmphex(reg(c, 0x80000001, 0, ECX), ==, 0x00000001);
    g_assert_cmphex(reg(c, 0x40000001, 0, EAX), ==, 0x0100007b);
    g_assert_cmphex(reg(c, 7, 0, EBX), ==, 0);
    g_assert_cmphex(reg(c, 0x80000008, 0, EAX), ==, 0x3028);  /* 40/48 bits */

    g_assert_cmpuint(w->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(w, 0), ==,
                    "host doesn't support requested feature: "
                    "CPUID.01H:ECX.pni [bit 0]");
    g_ptr_array_unref(w);
}

/* Under KVM QEMU takes the host's vendor for every model. */
static void test_qemu64_intel(void)
{
    g_autofree struct kvm_cpuid2 *c = build("qemu64", intel());
    g_autofree struct kvm_cpuid2 *a = build("qemu64,vendor=AuthenticAMD",
                                            intel());
    g_autofree char *vendor = vendor_of(c, 0);
    g_autofree char *avendor = vendor_of(a, 0);

    g_assert_cmpstr(vendor, ==, "GenuineIntel");
    g_assert_cmphex(reg(c, 1, 0, ECX), ==, 0x80202001);
    g_assert_cmphex(reg(c, 0x80000001, 0, EDX), ==, 0x20100800);
    /* AMD repeats the 1.EDX bits in 0x80000001.EDX */
    g_assert_cmpstr(avendor, ==, "AuthenticAMD");
    g_assert_cmphex(reg(a, 0x80000001, 0, EDX), ==, 0x2193fbfd);
}

static void test_edits(void)
{
    g_autofree struct kvm_cpuid2 *c =
        build("qemu64,+avx,+xsave,-cx16,lahf_lm=off,sse4_1=on,sse4.2,"
              "kvm_pv_unhalt=on,-kvmclock,model-id=Hello,family=6,model=0x55,"
              "stepping=4", intel());
    g_autofree struct kvm_cpuid2 *d =
        build("qemu64,-pni,pni=on,x2apic=off,x2apic=on,sse3=off,sse3=on",
              intel());
    g_autofree struct kvm_cpuid2 *e = build("qemu64,pni=on,-sse3", intel());
    g_autofree char *id = model_id_of(c);
    uint32_t ecx = reg(c, 1, 0, ECX);

    g_assert_true(ecx & (1u << 28));            /* +avx */
    g_assert_false(ecx & (1u << 13));           /* -cx16 */
    g_assert_true(ecx & (1u << 19));            /* sse4_1=on, alias */
    g_assert_true(ecx & (1u << 20));            /* bare sse4.2 */
    g_assert_cmphex(reg(c, 0x80000001, 0, ECX), ==, 0);
    g_assert_cmphex(reg(c, 0x40000001, 0, EAX), ==, 0x01000072 | 0x80);
    g_assert_cmpstr(id, ==, "Hello");
    g_assert_null(x86_cpuid_find(c, 0x80000003, 0));    /* no leftovers */
    g_assert_cmphex(reg(c, 1, 0, EAX), ==, 0x00050654);
    /* "-feat" wins over any "feat=on"; between feat=, the last one */
    g_assert_false(reg(d, 1, 0, ECX) & 1);
    g_assert_true(reg(d, 1, 0, ECX) & (1u << 21));
    g_assert_false(reg(e, 1, 0, ECX) & 1);
}

static void test_parse_errors(void)
{
    parse_error("foo", "unable to find CPU model 'foo'");
    parse_error("qemu64,+foo", "Property 'qemu64-x86_64-cpu.foo' not found");
    parse_error("EPYC,-foo_bar",
                "Property 'EPYC-x86_64-cpu.foo-bar' not found");
    parse_error("qemu64,foo=on", "can't apply global qemu64-x86_64-cpu.foo=on: "
                "Property 'qemu64-x86_64-cpu.foo' not found");
    parse_error("qemu64,foo", "can't apply global qemu64-x86_64-cpu.foo=on: "
                "Property 'qemu64-x86_64-cpu.foo' not found");
    parse_error("qemu64,pni=maybe", "can't apply global qemu64-x86_64-cpu."
                "pni=maybe: Parameter 'pni' expects 'on' or 'off'");
    parse_error("qemu64,family=300", "can't apply global qemu64-x86_64-cpu."
                "family=300: Property .family doesn't take value 300 "
                "(minimum: 0, maximum: 270)");
    parse_error("qemu64,family=abc", "can't apply global qemu64-x86_64-cpu."
                "family=abc: Parameter 'family' expects int64");
    parse_error("qemu64,level=xx", "can't apply global qemu64-x86_64-cpu."
                "level=xx: Parameter 'level' expects uint64");
    parse_error("qemu64,vendor=Intel", "can't apply global qemu64-x86_64-cpu."
                "vendor=Intel: Property '.vendor' doesn't take value 'Intel'");
}

/* What QEMU 7.2 prints for -cpu Icelake-Server on the AMD host, in order. */
static const char icelake_on_amd[] =
    "01H:ECX.pni [bit 0],01H:ECX.pclmulqdq [bit 1],01H:ECX.ssse3 [bit 9],"
    "01H:ECX.fma [bit 12],01H:ECX.pcid [bit 17],01H:ECX.sse4.1 [bit 19],"
    "01H:ECX.sse4.2 [bit 20],01H:ECX.movbe [bit 22],01H:ECX.popcnt [bit 23],"
    "01H:ECX.aes [bit 25],01H:ECX.xsave [bit 26],01H:ECX.avx [bit 28],"
    "01H:ECX.f16c [bit 29],01H:ECX.rdrand [bit 30],07H:EBX.fsgsbase [bit 0],"
    "07H:EBX.bmi1 [bit 3],07H:EBX.hle [bit 4],07H:EBX.avx2 [bit 5],"
    "07H:EBX.smep [bit 7],07H:EBX.bmi2 [bit 8],07H:EBX.erms [bit 9],"
    "07H:EBX.invpcid [bit 10],07H:EBX.rtm [bit 11],07H:EBX.avx512f [bit 16],"
    "07H:EBX.avx512dq [bit 17],07H:EBX.rdseed [bit 18],07H:EBX.adx [bit 19],"
    "07H:EBX.smap [bit 20],07H:EBX.avx512cd [bit 28],"
    "07H:EBX.avx512bw [bit 30],07H:EBX.avx512vl [bit 31],"
    "07H:ECX.avx512vbmi [bit 1],07H:ECX.pku [bit 3],"
    "07H:ECX.avx512vbmi2 [bit 6],07H:ECX.vaes [bit 9],"
    "07H:ECX.vpclmulqdq [bit 10],07H:ECX.avx512vnni [bit 11],"
    "07H:ECX.avx512bitalg [bit 12],07H:ECX.avx512-vpopcntdq [bit 14],"
    "07H:ECX.la57 [bit 16],07H:EDX.spec-ctrl [bit 26],07H:EDX.ssbd [bit 31],"
    "80000001H:EDX.pdpe1gb [bit 26],80000001H:EDX.rdtscp [bit 27],"
    "80000001H:ECX.abm [bit 5],80000008H:EBX.wbnoinvd [bit 9],"
    "0DH:EAX.xsaveopt [bit 0],0DH:EAX.xsavec [bit 1],0DH:EAX.xgetbv1 [bit 2],"
    "0DH:EAX [bit 9]";

static void test_filter_like_qemu(void)
{
    GPtrArray *w;
    g_autofree struct kvm_cpuid2 *c = build_topo("Icelake-Server", amd(),
                                                 &one, &w);
    g_auto(GStrv) expected = g_strsplit(icelake_on_amd, ",", -1);
    g_autofree char *vendor = vendor_of(c, 0);

    g_assert_cmpuint(w->len, ==, g_strv_length(expected));
    for (guint i = 0; i < w->len; i++) {
        g_autofree char *line = g_strdup_printf(
            "host doesn't support requested feature: CPUID.%s", expected[i]);
        g_assert_cmpstr(g_ptr_array_index(w, i), ==, line);
    }
    g_ptr_array_unref(w);
    g_assert_cmpstr(vendor, ==, "AuthenticAMD");
    /* no xsave left, so no 0xD state */
    g_assert_null(x86_cpuid_find(c, 0xd, 0));
}

/* The real thing prints through warn_report(), i.e. to stderr. */
static void test_filter_stderr(void)
{
    if (g_test_subprocess()) {
        g_autoptr(X86CPUDef) def = x86_cpu_parse("qemu64,+avx512f", NULL);
        g_free(x86_cpu_build_cpuid(def, amd(), &one, NULL));
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr(
        "*warning: host doesn't support requested feature: "
        "CPUID.01H:ECX.pni [bit 0]\n*warning: host doesn't support requested "
        "feature: CPUID.07H:EBX.avx512f [bit 16]\n");
}

static void test_enforce(void)
{
    g_autoptr(X86CPUDef) def = x86_cpu_parse("qemu64,enforce", NULL);
    g_autoptr(X86CPUDef) ice = x86_cpu_parse("Icelake-Server,enforce", NULL);
    g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    g_autofree struct kvm_cpuid2 *ok = NULL;

    g_assert_null(x86_cpu_build_cpuid_quiet(def, amd(), &one, w, &err));
    g_assert_cmpstr(err->message, ==,
                    "Host doesn't support requested features");
    g_assert_cmpuint(w->len, ==, 1);    /* the warnings still come first */
    ok = x86_cpu_build_cpuid_quiet(ice, intel(), &one, w, NULL);
    g_assert_nonnull(ok);
    g_assert_cmpuint(w->len, ==, 1);
}

static void test_dependency(void)
{
    GPtrArray *w;
    g_autofree struct kvm_cpuid2 *c = build_topo("EPYC,+npt", amd(), &one, &w);
    g_autofree struct kvm_cpuid2 *s = NULL;

    g_assert_cmpstr(g_ptr_array_index(w, 0), ==,
                    "This feature depends on other features that were not "
                    "requested: CPUID.8000000AH:EDX.npt [bit 0]");
    g_ptr_array_unref(w);
    g_assert_null(x86_cpuid_find(c, 0x8000000a, 0));      /* all zero */
    /* with svm on, EPYC asks for npt and nrip-save too (as QEMU's does) */
    s = build_topo("EPYC,+svm", amd(), &one, &w);
    g_assert_true(g_ptr_array_find_with_equal_func(w,
                  "host doesn't support requested feature: "
                  "CPUID.8000000AH:EDX.npt [bit 0]", g_str_equal, NULL));
    g_assert_true(g_ptr_array_find_with_equal_func(w,
                  "host doesn't support requested feature: "
                  "CPUID.8000000AH:EDX.nrip-save [bit 3]", g_str_equal, NULL));
    g_ptr_array_unref(w);
}

/* -cpu host: what KVM reports (QEMU 7.2 gave the same words). */
static void test_host_amd(void)
{
    g_autofree struct kvm_cpuid2 *c = build("host", amd());

    g_assert_cmphex(reg(c, 0, 0, EAX), ==, 0x1c);
    g_assert_cmphex(reg(c, 0x80000000, 0, EAX), ==, 0x80000021);
    g_assert_cmphex(reg(c, 1, 0, EAX), ==, 0x00a10f11);
    g_assert_cmphex(reg(c, 1, 0, ECX), ==, 0x81202000);
    g_assert_cmphex(reg(c, 1, 0, EDX), ==, 0x078bfbff);
    g_assert_cmphex(reg(c, 7, 0, EBX), ==, 0x01800002);
    g_assert_cmphex(reg(c, 7, 0, ECX), ==, 0x00000104);
    g_assert_cmphex(reg(c, 7, 0, EDX), ==, 0x20000000);
    g_assert_cmphex(reg(c, 0x80000001, 0, ECX), ==, 0x393);   /* no topoext */
    g_assert_cmphex(reg(c, 0x80000001, 0, EDX), ==, 0x23d3fbff);
    g_assert_null(x86_cpuid_find(c, 0x80000007, 0));          /* no invtsc */
    g_assert_cmphex(reg(c, 0x80000008, 0, EBX), ==, 5);
    g_assert_cmphex(reg(c, 0x80000008, 0, EAX), ==, 0x3030);
    g_assert_cmphex(reg(c, 0x40000001, 0, EAX), ==, 0x01007afb);  /* named */
    g_assert_cmphex(reg(c, 0x80000021, 0, EAX), ==, 0x204);   /* passed on */
    g_assert_cmphex(reg(c, 0x8000001a, 0, EAX), ==, 6);
    g_assert_cmphex(reg(c, 0x80000006, 0, ECX), ==, 0x04006140);
}

static void test_host_intel(void)
{
    X86CPUTopo topo = { 1, 4, 2 };
    g_autofree struct kvm_cpuid2 *c = build_topo("max", intel(), &topo, NULL);
    g_autofree char *id = model_id_of(c);

    g_assert_cmpstr(id, ==, INTEL_BRAND);
    g_assert_cmphex(reg(c, 1, 0, EAX), ==, 0x000606a6);
    g_assert_cmphex(reg(c, 1, 0, ECX), ==, 0xf7fab223);   /* pdcm: pmu=on */
    g_assert_cmphex(reg(c, 0xa, 0, EAX), ==, 0x08300805);
    g_assert_cmphex(reg(c, 2, 0, EDX), ==, 0x00c30000);
    /* host caches, our topology: 4 cores, the L3 spans 8 APIC ids */
    g_assert_cmphex(reg(c, 4, 0, EAX), ==, 0x0c000121);
    g_assert_cmphex(reg(c, 4, 2, EAX), ==, 0x0c004143);
    g_assert_cmphex(reg(c, 4, 3, EAX), ==, 0x0c01c163);
    g_assert_cmphex(reg(c, 4, 3, ECX), ==, 0xbfff);
    g_assert_cmphex(reg(c, 0x80000008, 0, EAX), ==, 0x392e);  /* la57 */
    g_assert_cmphex(reg(c, 0xd, 0, EAX), ==, 0x2e7);
}

static void test_topology(void)
{
    X86CPUTopo topo = { 2, 3, 2 };
    g_autofree struct kvm_cpuid2 *c = build_topo("Skylake-Server", intel(),
                                                 &topo, NULL);

    g_assert_cmphex(reg(c, 1, 0, EBX), ==, 0x00060800);
    g_assert_true(reg(c, 1, 0, EDX) & (1u << 28));          /* ht */
    g_assert_cmphex(reg(c, 0xb, 0, EAX), ==, 1);
    g_assert_cmphex(reg(c, 0xb, 0, EBX), ==, 2);
    g_assert_cmphex(reg(c, 0xb, 0, ECX), ==, 0x100);
    g_assert_cmphex(reg(c, 0xb, 1, EAX), ==, 3);
    g_assert_cmphex(reg(c, 0xb, 1, EBX), ==, 6);
    g_assert_cmphex(reg(c, 0xb, 1, ECX), ==, 0x201);
    g_assert_cmphex(reg(c, 0xb, 2, ECX), ==, 2);
    g_assert_null(x86_cpuid_find(c, 0xb, 3));
    /*
     * QEMU 7.2: 3 cores; the L1d is not shared, the L2 is by the 2 threads,
     * the L3 by the package's 8 APIC ids.
     */
    g_assert_cmphex(reg(c, 4, 0, EAX) >> 14, ==, 2u << 12);
    g_assert_cmphex((reg(c, 4, 2, EAX) >> 14) & 0xfff, ==, 1);
    g_assert_cmphex((reg(c, 4, 3, EAX) >> 14) & 0xfff, ==, 7);
    g_assert_cmphex(reg(c, 4, 0, EAX) & 0x3fff, ==, 0x121);
    g_assert_cmphex(reg(c, 4, 4, EAX), ==, 0);
    g_assert_cmphex(reg(c, 0x80000008, 0, ECX), ==, 0x3005);

    g_assert_cmpuint(x86_topo_apic_id(&topo, 0), ==, 0);
    g_assert_cmpuint(x86_topo_apic_id(&topo, 5), ==, 5);    /* core 2 */
    g_assert_cmpuint(x86_topo_apic_id(&topo, 6), ==, 8);    /* socket 1 */
    g_assert_cmpuint(x86_topo_apic_id(&topo, 11), ==, 13);
}

static void test_apic_id(void)
{
    X86CPUTopo topo = { 2, 2, 2 };
    g_autofree struct kvm_cpuid2 *c = build_topo("Icelake-Server", intel(),
                                                 &topo, NULL);
    g_autofree struct kvm_cpuid2 *e = NULL;
    GPtrArray *w;

    x86_cpuid_set_apic_id(c, 5);
    g_assert_cmphex(reg(c, 1, 0, EBX), ==, 0x05040800);
    g_assert_cmphex(reg(c, 0xb, 0, EDX), ==, 5);
    g_assert_cmphex(reg(c, 0xb, 1, EDX), ==, 5);
    g_assert_cmphex(reg(c, 0xb, 2, EDX), ==, 5);
    x86_cpuid_set_apic_id(c, 2);
    g_assert_cmphex(reg(c, 1, 0, EBX), ==, 0x02040800);

    /* AMD topoext: 0x8000001E carries the ids, 0x8000001D the caches */
    e = build_topo("EPYC", amd(), &topo, &w);
    g_ptr_array_unref(w);
    g_assert_true(reg(e, 0x80000001, 0, ECX) & (1u << 22));
    g_assert_true(reg(e, 0x80000001, 0, ECX) & (1u << 1));  /* cmp-legacy */
    g_assert_cmphex(reg(e, 0x80000008, 0, ECX), ==, 0x2003);
    x86_cpuid_set_apic_id(e, 6);                    /* socket 1, core 1 */
    g_assert_cmphex(reg(e, 0x8000001e, 0, EAX), ==, 6);
    g_assert_cmphex(reg(e, 0x8000001e, 0, EBX), ==, 0x103);
    g_assert_cmphex(reg(e, 0x8000001e, 0, ECX), ==, 1);
    g_assert_cmphex(reg(e, 0x8000001d, 0, EAX), ==, 0x4121);
    g_assert_cmphex(reg(e, 0x8000001d, 3, EAX), ==, 0xc163);
    g_assert_cmphex(reg(e, 4, 0, EAX), ==, 0);      /* AMD: no leaf 4 */
}

/* SEV-style: another module adds 0x8000001F past EPYC's xlevel. */
static void test_set_entry(void)
{
    GPtrArray *w;
    struct kvm_cpuid2 *c = build_topo("EPYC", amd(), &one, &w);
    struct kvm_cpuid_entry2 sev = {
        .function = 0x8000001f, .eax = 0xf, .ebx = 0x33 | 1 << 6,
    };
    struct kvm_cpuid_entry2 l6 = { .function = 6, .eax = 0 };
    uint32_t n = c->nent;

    g_ptr_array_unref(w);
    g_assert_null(x86_cpuid_find(c, 0x8000001f, 0));
    x86_cpuid_set_entry(&c, &sev);
    g_assert_cmpuint(c->nent, ==, n + 1);
    g_assert_cmphex(reg(c, 0x8000001f, 0, EBX), ==, 0x73);
    g_assert_cmphex(reg(c, 0x80000000, 0, EAX), ==, 0x8000001f);
    x86_cpuid_set_entry(&c, &l6);                   /* replaces */
    g_assert_cmpuint(c->nent, ==, n + 1);
    g_assert_cmphex(reg(c, 6, 0, EAX), ==, 0);
    g_assert_cmphex(reg(c, 0, 0, EAX), ==, 0xd);
    g_free(c);
}

static void test_levels(void)
{
    g_autofree struct kvm_cpuid2 *q32 = build("qemu32", intel());
    g_autofree struct kvm_cpuid2 *low =
        build("qemu64,level=5,xlevel=0x80000004", intel());
    g_autofree struct kvm_cpuid2 *up = build("qemu32,+avx2", intel());
    g_autofree struct kvm_cpuid2 *ice = build("Icelake-Server", intel());

    g_assert_cmphex(reg(q32, 0, 0, EAX), ==, 4);
    g_assert_cmphex(reg(q32, 0x80000000, 0, EAX), ==, 0x80000004);
    g_assert_nonnull(x86_cpuid_find(q32, 4, 0));
    g_assert_null(x86_cpuid_find(q32, 5, 0));
    g_assert_null(x86_cpuid_find(q32, 7, 0));
    g_assert_null(x86_cpuid_find(q32, 0xb, 0));
    g_assert_null(x86_cpuid_find(q32, 0x80000005, 0));
    g_assert_null(x86_cpuid_find(low, 0xd, 0));
    g_assert_nonnull(x86_cpuid_find(low, 5, 0));
    g_assert_null(x86_cpuid_find(low, 0x80000008, 0));
    g_assert_nonnull(x86_cpuid_find(low, 0x40000001, 0));
    /* a leaf-7 feature lifts the level to 7 */
    g_assert_cmphex(reg(up, 0, 0, EAX), ==, 7);
    g_assert_true(reg(up, 7, 0, EBX) & (1u << 5));
    g_assert_cmphex(reg(ice, 7, 0, EAX), ==, 0);
    g_assert_null(x86_cpuid_find(ice, 7, 1));
}

static void test_signature(void)
{
    static const struct { const char *spec; uint32_t sig; } cases[] = {
        { "EPYC", 0x00800f12 }, { "EPYC-Rome", 0x00830f10 },
        { "EPYC-Milan", 0x00a00f11 }, { "EPYC-v1", 0x00800f12 },
        { "Icelake-Server", 0x00080660 }, { "Skylake-Server", 0x00050654 },
        { "qemu64", 0x00060fb1 }, { "kvm64", 0x00000f61 },
        { "qemu32", 0x00000663 },
        { "qemu64,family=0x19,model=0x21", 0x00a20f11 },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(X86CPUDef) def = x86_cpu_parse(cases[i].spec, NULL);
        g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);
        g_autofree struct kvm_cpuid2 *c =
            x86_cpu_build_cpuid_quiet(def, amd(), &one, w, NULL);

        g_assert_cmphex(x86_cpu_def_signature(def), ==, cases[i].sig);
        g_assert_cmphex(reg(c, 1, 0, EAX), ==, cases[i].sig);
        g_assert_cmphex(reg(c, 0x80000001, 0, EAX), ==, cases[i].sig);
    }
}

static void test_xsave(void)
{
    g_autofree struct kvm_cpuid2 *ice = build("Icelake-Server", intel());
    g_autofree struct kvm_cpuid2 *sse = build("qemu64,+xsave", intel());
    g_autofree struct kvm_cpuid2 *avx = build("qemu64,+xsave,+avx,+xsaveopt",
                                              intel());
    g_autofree struct kvm_cpuid2 *none = build("qemu64", intel());

    g_assert_cmphex(reg(ice, 0xd, 0, EAX), ==, 0x2e7);
    g_assert_cmphex(reg(ice, 0xd, 0, ECX), ==, 0xa88);
    g_assert_cmphex(reg(ice, 0xd, 1, EAX), ==, 7);
    g_assert_cmphex(reg(ice, 0xd, 9, EBX), ==, 0xa80);
    g_assert_null(x86_cpuid_find(ice, 0xd, 3));
    g_assert_cmphex(reg(sse, 0xd, 0, EAX), ==, 3);
    g_assert_cmphex(reg(sse, 0xd, 0, ECX), ==, 576);
    g_assert_null(x86_cpuid_find(sse, 0xd, 2));
    g_assert_cmphex(reg(avx, 0xd, 0, EAX), ==, 7);
    g_assert_cmphex(reg(avx, 0xd, 0, ECX), ==, 832);
    g_assert_cmphex(reg(avx, 0xd, 1, EAX), ==, 1);
    g_assert_cmphex(reg(avx, 0xd, 2, EAX), ==, 0x100);
    g_assert_null(x86_cpuid_find(none, 0xd, 0));
}

static void test_kvm_leaves(void)
{
    g_autofree struct kvm_cpuid2 *c = build("kvm64,kvm-pv-eoi=off", intel());
    struct kvm_cpuid_entry2 *e = x86_cpuid_find(c, 0x40000000, 0);
    char sig[13] = { 0 };

    memcpy(sig, &e->ebx, 4);
    memcpy(sig + 4, &e->ecx, 4);
    memcpy(sig + 8, &e->edx, 4);
    g_assert_cmpstr(sig, ==, "KVMKVMKVM");
    g_assert_cmphex(e->eax, ==, 0x40000001);
    g_assert_cmphex(reg(c, 0x40000001, 0, EAX), ==, 0x0100003b);
    /* kvm defaults: x2apic on, no acpi/monitor/svm */
    g_assert_true(reg(c, 1, 0, ECX) & (1u << 21));
    g_assert_true(reg(c, 1, 0, ECX) & (1u << 31));
}

static void test_list(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    x86_cpu_list(f);
    fclose(f);
    g_assert_nonnull(strstr(buf, "\nx86 qemu64                "
                            "QEMU Virtual CPU version 2.5+\n"));
    g_assert_nonnull(strstr(buf, "\nx86 EPYC-Milan            "
                            "AMD EPYC-Milan Processor\n"));
    g_assert_nonnull(strstr(buf, "\nRecognized CPUID flags:\n  3dnow "));
    g_assert_nonnull(strstr(buf, " kvmclock-stable-bit "));
    free(buf);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cpuid/qemu64/amd-host", test_qemu64_amd);
    g_test_add_func("/cpuid/qemu64/intel-host", test_qemu64_intel);
    g_test_add_func("/cpuid/parse/edits", test_edits);
    g_test_add_func("/cpuid/parse/errors", test_parse_errors);
    g_test_add_func("/cpuid/filter/like-qemu", test_filter_like_qemu);
    g_test_add_func("/cpuid/filter/stderr", test_filter_stderr);
    g_test_add_func("/cpuid/filter/enforce", test_enforce);
    g_test_add_func("/cpuid/filter/dependency", test_dependency);
    g_test_add_func("/cpuid/host/amd", test_host_amd);
    g_test_add_func("/cpuid/host/intel", test_host_intel);
    g_test_add_func("/cpuid/topology", test_topology);
    g_test_add_func("/cpuid/apic-id", test_apic_id);
    g_test_add_func("/cpuid/levels", test_levels);
    g_test_add_func("/cpuid/set-entry", test_set_entry);
    g_test_add_func("/cpuid/signature", test_signature);
    g_test_add_func("/cpuid/xsave", test_xsave);
    g_test_add_func("/cpuid/kvm-leaves", test_kvm_leaves);
    g_test_add_func("/cpuid/list", test_list);
    return g_test_run();
}
