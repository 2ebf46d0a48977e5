/*
 * PMU and PEBS: -cpu pmu/pebs settings against modeled KVM hosts, the
 * guest's CPUID words, IA32_PERF_CAPABILITIES, IA32_MISC_ENABLE and the
 * MSR table's reset and saved sets.
 *
 * The modeled hosts are what KVM answers on them (the X86HostCaps the
 * real ioctls would fill, fed through the same x86_cpu_build()):
 * - Ice Lake server under KVM 5.12..6.8 (the "Guest PEBS via DS" series):
 *   CPUID.01H with pdcm, ds, dtes64; leaf 0AH at KVM's PMU version 2 with
 *   8 general counters (KVM_INTEL_PMC_MAX_GENERIC) and 3 fixed ones, 48
 *   bits; IA32_PERF_CAPABILITIES as Linux vmx_get_perf_capabilities()
 *   builds it: full-width writes (bit 13), the host's LBR format 5, and
 *   the host's PEBS bits (trap, arch regs, format 4, baseline) = 0x64c5.
 * - Sapphire Rapids under KVM >= 6.9: architectural LBRs (no LBR format
 *   offered), PEBS format 5, baseline withheld (adaptive PEBS disallowed,
 *   Linux commit "KVM: VMX: Disable LBR virtualization / adaptive PEBS"):
 *   0x25c0.
 * - This project's CI host: AMD, kvm.enable_pmu=N, so leaf 0AH is zero,
 *   no pdcm, no PMU MSRs.
 * The MSR index lists are KVM's msrs_to_save_base/_pmu and emulated MSRs
 * (Linux arch/x86/kvm/x86.c) as far as the MSR table names them.
 */
#include "target/i386/cpu.h"
#include "target/i386/msr.h"

#include <string.h>

typedef struct { uint32_t fn, idx, flags, eax, ebx, ecx, edx; } HostLeaf;

static const HostLeaf icx_leaves[] = {
    { 0x00000000, 0, 0, 0x0000001b, 0x756e6547, 0x6c65746e, 0x49656e69 },
    /* ECX: pdcm (15), dtes64 (2); EDX: ds (21) */
    { 0x00000001, 0, 0, 0x000606a6, 0x00000800, 0xf7fab227, 0x0fabfbff },
    { 0x00000007, 0, 1, 0x00000000, 0xd19f0fbb, 0x00415f4e, 0xbc000410 },
    { 0x0000000a, 0, 0, 0x08300802, 0x00000000, 0x00000000, 0x00000603 },
    { 0x0000000d, 0, 1, 0x000002e7, 0x00000a88, 0x00000a88, 0x00000000 },
    { 0x0000000d, 1, 1, 0x0000000f, 0x00000000, 0x00000000, 0x00000000 },
    { 0x0000000d, 2, 1, 0x00000100, 0x00000240, 0x00000000, 0x00000000 },
    { 0x0000000d, 5, 1, 0x00000040, 0x00000440, 0x00000000, 0x00000000 },
    { 0x0000000d, 6, 1, 0x00000200, 0x00000480, 0x00000000, 0x00000000 },
    { 0x0000000d, 7, 1, 0x00000400, 0x00000680, 0x00000000, 0x00000000 },
    { 0x0000000d, 9, 1, 0x00000008, 0x00000a80, 0x00000000, 0x00000000 },
    { 0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x0000004d },
    { 0x40000001, 0, 0, 0x01007efb, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000000, 0, 0, 0x80000008, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000001, 0, 0, 0x00000000, 0x00000000, 0x00000121, 0x2c100800 },
    { 0x80000008, 0, 0, 0x0000302e, 0x00000200, 0x00000000, 0x00000000 },
};

/* the CI host: AMD, no pni/xsave offered by its nested KVM, no vPMU */
static const HostLeaf amd_leaves[] = {
    { 0x00000000, 0, 0, 0x0000000d, 0x68747541, 0x444d4163, 0x69746e65 },
    { 0x00000001, 0, 0, 0x00a10f11, 0x00020800, 0x81202000, 0x078bfbff },
    { 0x00000007, 0, 1, 0x00000000, 0x01800002, 0x00000104, 0x20000000 },
    { 0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x0000004d },
    { 0x40000001, 0, 0, 0x01007efb, 0x00000000, 0x00000000, 0x00000000 },
    { 0x80000000, 0, 0, 0x80000008, 0x68747541, 0x444d4163, 0x69746e65 },
    { 0x80000001, 0, 0, 0x00a10f11, 0x40000000, 0x00400393, 0x23d3fbff },
    { 0x80000008, 0, 0, 0x00003030, 0x50020005, 0x00007001, 0x00000000 },
};

static const uint32_t base_msrs[] = {
    0x10, 0x3b, 0x174, 0x175, 0x176, 0x1a0, 0x277, 0xc0000081, 0xc0000082,
    0xc0000083, 0xc0000084, 0xc0000102, 0xc0000103, 0x4b564d00, 0x4b564d01,
    0x4b564d02, 0x4b564d03, 0x4b564d04,
};
/* msrs_to_save_pmu, Intel part */
static const uint32_t pmu_msrs[] = {
    0x309, 0x30a, 0x30b, 0x38d, 0x38e, 0x38f, 0x390, 0x3f1, 0x600, 0x3f2,
    0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8,
    0x186, 0x187, 0x188, 0x189, 0x18a, 0x18b, 0x18c, 0x18d,
};

static struct kvm_cpuid2 *cpuid_of(const HostLeaf *l, size_t n)
{
    struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) + n * sizeof(c->entries[0]));

    for (size_t i = 0; i < n; i++) {
        c->entries[i] = (struct kvm_cpuid_entry2){
            .function = l[i].fn, .index = l[i].idx, .flags = l[i].flags,
            .eax = l[i].eax, .ebx = l[i].ebx, .ecx = l[i].ecx, .edx = l[i].edx,
        };
    }
    c->nent = n;
    return c;
}

static struct kvm_msr_list *msrs_of(bool with_pmu)
{
    size_t n = G_N_ELEMENTS(base_msrs) + (with_pmu ? G_N_ELEMENTS(pmu_msrs) : 0);
    struct kvm_msr_list *l = g_malloc0(sizeof(*l) + n * sizeof(uint32_t));

    memcpy(l->indices, base_msrs, sizeof(base_msrs));
    if (with_pmu) {
        memcpy(l->indices + G_N_ELEMENTS(base_msrs), pmu_msrs,
               sizeof(pmu_msrs));
    }
    l->nmsrs = n;
    return l;
}

typedef enum { HOST_ICX, HOST_SPR, HOST_CI } HostModel;

static X86HostCaps host_caps(HostModel m)
{
    switch (m) {
    case HOST_ICX:
        return (X86HostCaps){
            cpuid_of(icx_leaves, G_N_ELEMENTS(icx_leaves)), msrs_of(true),
            .pmu = true, .has_perf_caps = true, .perf_caps = 0x64c5,
        };
    case HOST_SPR:
        return (X86HostCaps){
            cpuid_of(icx_leaves, G_N_ELEMENTS(icx_leaves)), msrs_of(true),
            .pmu = true, .has_perf_caps = true, .perf_caps = 0x25c0,
        };
    default:
        return (X86HostCaps){
            cpuid_of(amd_leaves, G_N_ELEMENTS(amd_leaves)), msrs_of(false),
            .pmu = false,
        };
    }
}

typedef struct Built {
    struct kvm_cpuid2 *cpuid;
    X86PMUConfig pmu;
    GPtrArray *warnings;
    X86HostCaps caps;
} Built;

static void built_free(Built *b)
{
    g_free(b->cpuid);
    g_ptr_array_unref(b->warnings);
    x86_host_caps_clear(&b->caps);
}

static Built build_caps(const char *spec, X86HostCaps caps)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(X86CPUDef) def = x86_cpu_parse(spec, &err);
    Built b = { .warnings = g_ptr_array_new_with_free_func(g_free),
                .caps = caps };

    g_assert_no_error(err);
    b.cpuid = x86_cpu_build(def, &b.caps, NULL, b.warnings, &b.pmu, &err);
    g_assert_no_error(err);
    return b;
}

static Built build(const char *spec, HostModel m)
{
    return build_caps(spec, host_caps(m));
}

static uint32_t reg(const Built *b, uint32_t fn, int r)
{
    struct kvm_cpuid_entry2 *e = x86_cpuid_find(b->cpuid, fn, 0);

    if (!e) {
        return 0;           /* all-zero leaves are left out */
    }
    return r == 0 ? e->eax : r == 1 ? e->ebx : r == 2 ? e->ecx : e->edx;
}
enum { EAX, EBX, ECX, EDX };
#define PDCM    (1u << 15)
#define DTES64  (1u << 2)
#define DS      (1u << 21)

static void no_warnings(const Built *b)
{
    for (guint i = 0; i < b->warnings->len; i++) {
        g_test_message("unexpected: %s",
                       (char *)g_ptr_array_index(b->warnings, i));
    }
    g_assert_cmpuint(b->warnings->len, ==, 0);
}

static bool has_warning(const Built *b, const char *text)
{
    for (guint i = 0; i < b->warnings->len; i++) {
        if (!strcmp(g_ptr_array_index(b->warnings, i), text)) {
            return true;
        }
    }
    for (guint i = 0; i < b->warnings->len; i++) {
        g_test_message("have: %s", (char *)g_ptr_array_index(b->warnings, i));
    }
    return false;
}

/* The set of MSR indexes as "0x3f1 0x600 ..." in list order. */
static char *msr_set(const Built *b, X86MSRUse use)
{
    g_autofree struct kvm_msrs *l = x86_msr_list(&b->pmu, &b->caps, use);
    GString *s = g_string_new("");

    for (uint32_t i = 0; i < l->nmsrs; i++) {
        g_string_append_printf(s, "%s%#x", i ? " " : "", l->entries[i].index);
    }
    return g_string_free(s, FALSE);
}

static uint64_t reset_value(const Built *b, uint32_t index, bool *found)
{
    g_autofree struct kvm_msrs *l = x86_msr_list(&b->pmu, &b->caps,
                                                 X86_MSR_RESET);

    for (uint32_t i = 0; i < l->nmsrs; i++) {
        if (l->entries[i].index == index) {
            *found = true;
            return l->entries[i].data;
        }
    }
    *found = false;
    return 0;
}

#define BASE_SAVED "0x10 0x3b 0x174 0x175 0x176 0x1a0 0x277 0xc0000081 " \
    "0xc0000082 0xc0000083 0xc0000084 0xc0000102 0xc0000103 0x4b564d00 " \
    "0x4b564d01 0x4b564d02 0x4b564d03 0x4b564d04"
#define PMU_SAVED " 0x309 0x30a 0x30b 0x38d 0x38e 0x390 0xc1 0xc2 0xc3 " \
    "0xc4 0xc5 0xc6 0xc7 0xc8 0x186 0x187 0x188 0x189 0x18a 0x18b 0x18c 0x18d"

/* A named model leaves the PMU off, as QEMU: no leaf 0AH, no PMU MSRs. */
static void test_named_default(void)
{
    Built b = build("Icelake-Server", HOST_ICX);
    g_autofree char *saved = msr_set(&b, X86_MSR_SAVE);

    no_warnings(&b);
    g_assert_false(b.pmu.pmu);
    g_assert_false(b.pmu.pebs);
    g_assert_cmphex(reg(&b, 1, ECX) & (PDCM | DTES64), ==, 0);
    g_assert_cmphex(reg(&b, 1, EDX) & DS, ==, 0);
    g_assert_cmphex(reg(&b, 0xa, EAX), ==, 0);
    /* fast strings, BTS unavailable, PEBS unavailable; no EMON */
    g_assert_cmphex(b.pmu.misc_enable, ==, 0x1801);
    g_assert_cmpstr(saved, ==, BASE_SAVED);
    built_free(&b);
}

/* pmu=on: leaf 0AH and the architectural PMU MSRs, still no PEBS. */
static void test_pmu_on(void)
{
    Built b = build("Icelake-Server,pmu=on", HOST_ICX);
    g_autofree char *saved = msr_set(&b, X86_MSR_SAVE);
    bool found;

    no_warnings(&b);
    g_assert_true(b.pmu.pmu);
    g_assert_cmphex(reg(&b, 0xa, EAX), ==, 0x08300802);
    g_assert_cmphex(reg(&b, 0xa, EDX), ==, 0x603);
    g_assert_cmpuint(b.pmu.gp_counters, ==, 8);
    g_assert_cmpuint(b.pmu.fixed_counters, ==, 3);
    g_assert_cmphex(reg(&b, 1, ECX) & PDCM, ==, 0);   /* the model has none */
    g_assert_cmphex(b.pmu.misc_enable, ==, 0x1881);  /* + EMON */
    g_assert_cmpstr(saved, ==, BASE_SAVED PMU_SAVED " 0x38f");
    /* GLOBAL_CTRL resets with the 8 general counters enabled */
    g_assert_cmphex(reset_value(&b, 0x38f, &found), ==, 0xff);
    g_assert_true(found);
    reset_value(&b, 0x345, &found);
    g_assert_false(found);
    built_free(&b);
}

/* pebs=on on a named model brings pmu, pdcm, ds, dtes64 and the host's PEBS. */
static void test_pebs_on(void)
{
    Built b = build("Icelake-Server,pebs=on", HOST_ICX);
    g_autofree char *saved = msr_set(&b, X86_MSR_SAVE);
    g_autofree char *reset = msr_set(&b, X86_MSR_RESET);
    bool found;

    no_warnings(&b);
    g_assert_true(b.pmu.pmu && b.pmu.pebs && b.pmu.ds && b.pmu.pdcm);
    g_assert_cmphex(reg(&b, 1, ECX) & (PDCM | DTES64), ==, PDCM | DTES64);
    g_assert_cmphex(reg(&b, 1, EDX) & DS, ==, DS);
    /* trap, arch regs, format 4, baseline; no LBR format, no full width */
    g_assert_cmphex(b.pmu.perf_caps, ==, 0x44c0);
    g_assert_cmphex(b.pmu.misc_enable, ==, 0x0881);
    g_assert_cmpstr(saved, ==,
                    BASE_SAVED PMU_SAVED " 0x600 0x3f1 0x3f2 0x38f");
    /* PERF_CAPABILITIES is configuration: written first, never saved */
    g_assert_true(g_str_has_prefix(reset, BASE_SAVED " 0x345 0x309"));
    g_assert_cmphex(reset_value(&b, 0x345, &found), ==, 0x44c0);
    g_assert_cmphex(reset_value(&b, 0x1a0, &found), ==, 0x0881);
    built_free(&b);
}

/* host takes all the host offers, without a word. */
static void test_host(void)
{
    Built b = build("host", HOST_ICX);

    no_warnings(&b);
    g_assert_true(b.pmu.pebs);
    g_assert_cmphex(b.pmu.perf_caps, ==, 0x64c5);
    g_assert_cmphex(reg(&b, 1, ECX), ==, 0xf7fab227 | (1u << 31));
    g_assert_cmphex(reg(&b, 1, EDX) & DS, ==, DS);
    g_assert_cmphex(b.pmu.misc_enable, ==, 0x0881);
    built_free(&b);
}

/* pebs=off keeps the PMU and the LBR format, drops ds/dtes64/PEBS bits. */
static void test_host_pebs_off(void)
{
    Built b = build("host,pebs=off", HOST_ICX);
    g_autofree char *saved = msr_set(&b, X86_MSR_SAVE);

    no_warnings(&b);
    g_assert_true(b.pmu.pmu);
    g_assert_false(b.pmu.pebs || b.pmu.ds);
    g_assert_cmphex(reg(&b, 1, ECX) & (PDCM | DTES64), ==, PDCM);
    g_assert_cmphex(reg(&b, 1, EDX) & DS, ==, 0);
    g_assert_cmphex(b.pmu.perf_caps, ==, 0x2005);
    g_assert_cmphex(b.pmu.misc_enable, ==, 0x1881);
    g_assert_cmpstr(saved, ==, BASE_SAVED PMU_SAVED " 0x38f");
    built_free(&b);
}

/* pmu=off clears pdcm, ds, dtes64, leaf 0AH and the perf-caps word. */
static void test_host_pmu_off(void)
{
    Built b = build("host,pmu=off", HOST_ICX);
    g_autofree char *saved = msr_set(&b, X86_MSR_SAVE);

    no_warnings(&b);
    g_assert_false(b.pmu.pmu || b.pmu.pebs || b.pmu.pdcm);
    g_assert_cmphex(reg(&b, 1, ECX) & (PDCM | DTES64), ==, 0);
    g_assert_cmphex(reg(&b, 1, EDX) & DS, ==, 0);
    g_assert_cmphex(reg(&b, 0xa, EAX), ==, 0);
    g_assert_cmphex(b.pmu.perf_caps, ==, 0);
    g_assert_cmphex(b.pmu.misc_enable, ==, 0x1801);
    g_assert_cmpstr(saved, ==, BASE_SAVED);
    built_free(&b);
}

/* Sapphire Rapids on a current KVM: format 5, no baseline, no DATA_CFG. */
static void test_spr(void)
{
    Built b = build("Icelake-Server,pebs=on", HOST_SPR);
    Built bl = build("Icelake-Server,pebs=on,pebs-baseline=on", HOST_SPR);
    g_autofree char *saved = msr_set(&b, X86_MSR_SAVE);

    no_warnings(&b);
    g_assert_cmphex(b.pmu.perf_caps, ==, 0x05c0);
    g_assert_cmpstr(saved, ==, BASE_SAVED PMU_SAVED " 0x600 0x3f1 0x38f");
    g_assert_true(has_warning(&bl, "host doesn't support requested feature: "
                              "MSR(345H).pebs-baseline [bit 14]"));
    g_assert_cmphex(bl.pmu.perf_caps, ==, 0x05c0);
    built_free(&b);
    built_free(&bl);
}

/* PEBS format 0 is a format: PEBS stays on, PEBS_UNAVAIL stays clear. */
static void test_pebs_fmt0(void)
{
    X86HostCaps caps = host_caps(HOST_ICX);
    Built b;
    g_autofree char *saved = NULL;

    caps.perf_caps = 0x20c0;        /* FW writes, trap, arch regs, format 0 */
    b = build_caps("Icelake-Server,pebs=on,pebs-fmt=0", caps);
    saved = msr_set(&b, X86_MSR_SAVE);
    no_warnings(&b);
    g_assert_true(b.pmu.pebs);
    g_assert_cmphex(b.pmu.perf_caps, ==, 0x00c0);
    g_assert_cmphex(b.pmu.misc_enable & 0x1000, ==, 0);
    g_assert_cmpstr(saved, ==, BASE_SAVED PMU_SAVED " 0x600 0x3f1 0x38f");
    built_free(&b);
}

/* A version 1 PMU has general counters only: no fixed or global MSRs. */
static void test_pmu_v1(void)
{
    X86HostCaps caps = host_caps(HOST_ICX);
    Built b;
    g_autofree char *saved = NULL;

    x86_cpuid_find(caps.cpuid, 0xa, 0)->eax = 0x08300801;
    b = build_caps("Icelake-Server,pmu=on", caps);
    saved = msr_set(&b, X86_MSR_SAVE);
    no_warnings(&b);
    g_assert_cmpuint(b.pmu.version, ==, 1);
    g_assert_cmpuint(b.pmu.fixed_counters, ==, 0);
    g_assert_cmpstr(saved, ==, BASE_SAVED " 0xc1 0xc2 0xc3 0xc4 0xc5 0xc6 "
                    "0xc7 0xc8 0x186 0x187 0x188 0x189 0x18a 0x18b 0x18c "
                    "0x18d");
    built_free(&b);
}

/* What KVM would refuse is refused here, naming the piece. */
static void test_pebs_refused(void)
{
    static const struct { const char *spec, *warning; } cases[] = {
        { "Icelake-Server,pebs=on,pebs-baseline=off",
          "pebs-baseline=off: KVM takes the host's PEBS capabilities only "
          "as a whole: pebs disabled" },
        { "Icelake-Server,pebs=on,pebs-fmt=3",
          "pebs-fmt=3: the host's PEBS record format is 4: pebs disabled" },
        { "Icelake-Server,pmu=off,pebs=on",
          "pebs needs pmu, which is off: pebs disabled" },
        { "Icelake-Server,pebs=on,ds=off",
          "pebs needs ds, which is off: pebs disabled" },
        { "Icelake-Server,+pdcm",
          "pdcm needs pmu, which is off: pdcm disabled" },
        { "Icelake-Server,pmu=on,+pdcm,lbr-fmt=3",
          "lbr-fmt=3: the host's LBR format is 5: lbr-fmt=0 used" },
        { "Icelake-Server,pmu=on,pebs-trap=on",
          "This feature depends on other features that were not requested: "
          "MSR(345H).pebs-trap [bit 6]" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *enforced = g_strconcat(cases[i].spec, ",enforce",
                                                NULL);
        g_autoptr(X86CPUDef) def = x86_cpu_parse(enforced, NULL);
        g_autoptr(GError) err = NULL;
        g_autoptr(GPtrArray) quiet = g_ptr_array_new_with_free_func(g_free);
        X86HostCaps caps = host_caps(HOST_ICX);
        Built b = build(cases[i].spec, HOST_ICX);

        g_test_message("%s", cases[i].spec);
        g_assert_true(has_warning(&b, cases[i].warning));
        g_assert_false(b.pmu.pebs);
        g_assert_cmphex(b.pmu.perf_caps & 0x4fc0, ==, 0);
        g_assert_null(x86_cpu_build(def, &caps, NULL, quiet, NULL, &err));
        g_assert_cmpstr(err->message, ==,
                        "Host doesn't support requested features");
        x86_host_caps_clear(&caps);
        built_free(&b);
    }
}

/* The LBR format is the host's or none. */
static void test_lbr_fmt(void)
{
    Built b = build("Icelake-Server,pmu=on,+pdcm,lbr-fmt=5,full-width-write=on",
                    HOST_ICX);

    no_warnings(&b);
    g_assert_cmphex(b.pmu.perf_caps, ==, 0x2005);
    built_free(&b);
}

/* The CI host: no vPMU.  The warning names kvm.enable_pmu. */
static void test_no_vpmu(void)
{
    Built pmu = build("qemu64,pmu=on", HOST_CI);
    Built pebs = build("qemu64,pebs=on", HOST_CI);
    Built host = build("host", HOST_CI);
    g_autofree char *saved = msr_set(&host, X86_MSR_SAVE);
    g_autoptr(X86CPUDef) def = x86_cpu_parse("qemu64,pmu=on,enforce", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) quiet = g_ptr_array_new_with_free_func(g_free);
    X86HostCaps caps = host_caps(HOST_CI);

    g_assert_true(has_warning(&pmu, "host KVM has no vPMU "
                              "(kvm.enable_pmu=N): pmu disabled"));
    g_assert_false(pmu.pmu.pmu);
    g_assert_cmphex(pmu.pmu.misc_enable, ==, 0x1801);
    g_assert_true(has_warning(&pebs, "host KVM has no vPMU "
                              "(kvm.enable_pmu=N): pebs disabled"));
    no_warnings(&host);
    g_assert_false(host.pmu.pmu);
    g_assert_cmphex(host.pmu.misc_enable, ==, 0x1801);
    g_assert_cmpstr(saved, ==, BASE_SAVED);
    g_assert_null(x86_cpu_build(def, &caps, NULL, quiet, NULL, &err));
    g_assert_cmpstr(err->message, ==, "Host doesn't support requested features");
    x86_host_caps_clear(&caps);
    built_free(&pmu);
    built_free(&pebs);
    built_free(&host);
}

/* Restore writes saved values back untouched; a foreign set is refused. */
static void test_restore_list(void)
{
    Built b = build("Icelake-Server,pebs=on", HOST_ICX);
    Built plain = build("Icelake-Server", HOST_ICX);
    g_autofree struct kvm_msrs *saved = x86_msr_list(&b.pmu, &b.caps,
                                                     X86_MSR_SAVE);
    g_autofree struct kvm_msrs *put = NULL;
    g_autoptr(GError) err = NULL;
    bool checked = false;

    for (uint32_t i = 0; i < saved->nmsrs; i++) {
        /* PEBS on fixed counter 0 (bit 32) and on PMC0 */
        saved->entries[i].data = saved->entries[i].index == MSR_IA32_PEBS_ENABLE
                                 ? 0x0000000100000001ull : i;
    }
    put = x86_msr_restore_list(saved, &b.pmu, &b.caps, &err);
    g_assert_no_error(err);
    /* a restored vCPU gets its -cpu's PERF_CAPABILITIES first */
    g_assert_cmphex(put->entries[0].index, ==, MSR_IA32_PERF_CAPABILITIES);
    g_assert_cmphex(put->entries[0].data, ==, 0x44c0);
    g_assert_cmpuint(put->nmsrs, ==, saved->nmsrs + 1);
    for (uint32_t i = 0; i < put->nmsrs; i++) {
        if (put->entries[i].index == MSR_IA32_PEBS_ENABLE) {
            g_assert_cmphex(put->entries[i].data, ==, 0x0000000100000001ull);
            checked = true;
        }
    }
    g_assert_true(checked);
    g_assert_null(x86_msr_restore_list(saved, &plain.pmu, &plain.caps, &err));
    g_assert_cmpstr(err->message, ==, "saved state has MSR IA32_FIXED_CTR0 "
                    "(0x309) that this vCPU does not have (saved with another "
                    "-cpu or host?)");
    g_clear_error(&err);
    saved->nmsrs = 3;
    g_assert_null(x86_msr_restore_list(saved, &b.pmu, &b.caps, &err));
    g_assert_cmpstr(err->message, ==, "saved state lacks MSR IA32_SYSENTER_ESP "
                    "(0x175) that this vCPU has (saved with another -cpu or "
                    "host?)");
    built_free(&b);
    built_free(&plain);
}

static void test_parse(void)
{
    g_autoptr(GError) err = NULL;

    g_assert_null(x86_cpu_parse("qemu64,pebs-fmt=16", &err));
    g_assert_cmpstr(err->message, ==, "can't apply global qemu64-x86_64-cpu."
                    "pebs-fmt=16: Property .pebs-fmt doesn't take value 16 "
                    "(minimum: 0, maximum: 15)");
    g_clear_error(&err);
    g_assert_null(x86_cpu_parse("qemu64,lbr-fmt=64", &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_null(x86_cpu_parse("qemu64,pebs=maybe", &err));
    g_assert_nonnull(err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pmu/named-default", test_named_default);
    g_test_add_func("/pmu/pmu-on", test_pmu_on);
    g_test_add_func("/pmu/pebs-on", test_pebs_on);
    g_test_add_func("/pmu/host", test_host);
    g_test_add_func("/pmu/host-pebs-off", test_host_pebs_off);
    g_test_add_func("/pmu/host-pmu-off", test_host_pmu_off);
    g_test_add_func("/pmu/sapphire-rapids", test_spr);
    g_test_add_func("/pmu/pebs-fmt0", test_pebs_fmt0);
    g_test_add_func("/pmu/pmu-v1", test_pmu_v1);
    g_test_add_func("/pmu/refused", test_pebs_refused);
    g_test_add_func("/pmu/lbr-fmt", test_lbr_fmt);
    g_test_add_func("/pmu/no-vpmu", test_no_vpmu);
    g_test_add_func("/pmu/restore-list", test_restore_list);
    g_test_add_func("/pmu/parse", test_parse);
    return g_test_run();
}
