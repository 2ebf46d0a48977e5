/*
 * x86 CPU models and the guest's CPUID table.
 *
 * Pure code: the host comes in as the KVM_GET_SUPPORTED_CPUID answer, so
 * the unit tests can hand it a fake host.  Feature names, model values and
 * message wording follow QEMU 7.2 running under KVM.
 */
#include "target/i386/cpu.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"
#include "qemu/option.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#define BIT(n) (1u << (n))

enum { R_EAX, R_EBX, R_ECX, R_EDX };
static const char *const reg_names[] = { "EAX", "EBX", "ECX", "EDX" };

/* QEMU 7.2's order: the "doesn't support" warnings come out in this order. */
typedef enum FeatureWord {
    FEAT_1_EDX,
    FEAT_1_ECX,
    FEAT_7_0_EBX,
    FEAT_7_0_ECX,
    FEAT_7_0_EDX,
    FEAT_7_1_EAX,
    FEAT_8000_0001_EDX,
    FEAT_8000_0001_ECX,
    FEAT_8000_0007_EDX,
    FEAT_8000_0008_EBX,
    FEAT_KVM,
    FEAT_KVM_HINTS,
    FEAT_SVM,
    FEAT_XSAVE,
    FEAT_6_EAX,
    FEAT_XSAVE_COMP_LO,
    FEAT_XSAVE_COMP_HI,
    FEAT_14_0_ECX,
    FEAT_PERF_CAPS,         /* an MSR word: IA32_PERF_CAPABILITIES[31:0] */
    FEATURE_WORDS,
} FeatureWord;

typedef uint32_t FeatureWordArray[FEATURE_WORDS];

typedef struct FeatureWordInfo {
    uint32_t leaf, subleaf;
    int reg;
    uint32_t msr;               /* non-zero: the word is this MSR, not CPUID */
    const char *names[32];
    uint32_t no_autoenable;     /* host/max leave these off */
} FeatureWordInfo;

#define CPUID_FPU               BIT(0)
#define CPUID_PSE36             BIT(17)
#define CPUID_SSE               BIT(25)
#define CPUID_HT                BIT(28)
#define CPUID_DTS               BIT(21)     /* "ds": debug store */
#define CPUID_EXT_DTES64        BIT(2)
#define CPUID_EXT_MONITOR       BIT(3)
#define CPUID_EXT_PDCM          BIT(15)
#define CPUID_EXT_TSC_DEADLINE  BIT(24)
#define CPUID_EXT_XSAVE         BIT(26)
#define CPUID_EXT_AVX           BIT(28)
#define CPUID_EXT_HYPERVISOR    BIT(31)
#define CPUID_7_0_EBX_SGX       BIT(2)
#define CPUID_7_0_EBX_MPX       BIT(14)
#define CPUID_7_0_EBX_AVX512F   BIT(16)
#define CPUID_7_0_EBX_INTEL_PT  BIT(25)
#define CPUID_7_0_ECX_PKU       BIT(3)
#define CPUID_7_0_ECX_LA57      BIT(16)
#define CPUID_7_0_ECX_SGXLC     BIT(30)
#define CPUID_7_0_EDX_AMX_TILE  BIT(24)
#define CPUID_EXT2_LM           BIT(29)
/* 1.EDX bits that AMD repeats in 0x80000001.EDX (fpu..pse36, mmx, fxsr) */
#define CPUID_EXT2_AMD_ALIASES  0x0183f3ffu
#define CPUID_EXT3_CMP_LEG      BIT(1)
#define CPUID_EXT3_SVM          BIT(2)
#define CPUID_EXT3_TOPOEXT      BIT(22)
#define CPUID_APM_INVTSC        BIT(8)
#define CPUID_6_EAX_ARAT        BIT(2)

#define VENDOR_INTEL "GenuineIntel"
#define VENDOR_AMD   "AuthenticAMD"

/* Names as QEMU 7.2 spells them ("-cpu help" lists the same set). */
static const FeatureWordInfo feature_word_info[FEATURE_WORDS] = {
    [FEAT_1_EDX] = {
        .leaf = 1, .reg = R_EDX,
        .names = {
            "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce",
            "cx8", "apic", NULL, "sep", "mtrr", "pge", "mca", "cmov",
            "pat", "pse36", "pn", "clflush", NULL, "ds", "acpi", "mmx",
            "fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe",
        },
        /* set from the topology, not from the host */
        .no_autoenable = CPUID_HT,
    },
    [FEAT_1_ECX] = {
        .leaf = 1, .reg = R_ECX,
        .names = {
            "pni", "pclmulqdq", "dtes64", "monitor", "ds-cpl", "vmx", "smx",
            "est", "tm2", "ssse3", "cid", NULL, "fma", "cx16", "xtpr", "pdcm",
            NULL, "pcid", "dca", "sse4.1", "sse4.2", "x2apic", "movbe",
            "popcnt", "tsc-deadline", "aes", "xsave",
            NULL /* osxsave: the CPU sets it */, "avx", "f16c", "rdrand",
            "hypervisor",
        },
    },
    [FEAT_7_0_EBX] = {
        .leaf = 7, .subleaf = 0, .reg = R_EBX,
        .names = {
            "fsgsbase", "tsc-adjust", "sgx", "bmi1", "hle", "avx2", NULL,
            "smep", "bmi2", "erms", "invpcid", "rtm", NULL, NULL, "mpx", NULL,
            "avx512f", "avx512dq", "rdseed", "adx", "smap", "avx512ifma",
            "pcommit", "clflushopt", "clwb", "intel-pt", "avx512pf",
            "avx512er", "avx512cd", "sha-ni", "avx512bw", "avx512vl",
        },
    },
    [FEAT_7_0_ECX] = {
        .leaf = 7, .subleaf = 0, .reg = R_ECX,
        .names = {
            NULL, "avx512vbmi", "umip", "pku", NULL /* ospke: the CPU's */,
            "waitpkg", "avx512vbmi2", NULL, "gfni", "vaes", "vpclmulqdq",
            "avx512vnni", "avx512bitalg", NULL, "avx512-vpopcntdq", NULL,
            "la57", [22] = "rdpid", [24] = "bus-lock-detect", "cldemote", NULL,
            "movdiri", "movdir64b", NULL, "sgxlc", "pks",
        },
    },
    [FEAT_7_0_EDX] = {
        .leaf = 7, .subleaf = 0, .reg = R_EDX,
        .names = {
            [2] = "avx512-4vnniw", "avx512-4fmaps", "fsrm",
            [8] = "avx512-vp2intersect", NULL, "md-clear", [14] = "serialize",
            [16] = "tsx-ldtrk", [19] = "arch-lbr", [22] = "amx-bf16",
            "avx512-fp16", "amx-tile", "amx-int8", "spec-ctrl", "stibp", NULL,
            "arch-capabilities", "core-capability", "ssbd",
        },
    },
    [FEAT_7_1_EAX] = {
        .leaf = 7, .subleaf = 1, .reg = R_EAX,
        .names = { [4] = "avx-vnni", [5] = "avx512-bf16" },
    },
    [FEAT_8000_0001_EDX] = {
        /* the bits shared with 1.EDX are copied from there on AMD */
        .leaf = 0x80000001, .reg = R_EDX,
        .names = {
            [11] = "syscall", [20] = "nx", [22] = "mmxext",
            [25] = "fxsr-opt", [26] = "pdpe1gb", [27] = "rdtscp",
            [29] = "lm", [30] = "3dnowext", [31] = "3dnow",
        },
    },
    [FEAT_8000_0001_ECX] = {
        .leaf = 0x80000001, .reg = R_ECX,
        .names = {
            "lahf-lm", "cmp-legacy", "svm", "extapic", "cr8legacy", "abm",
            "sse4a", "misalignsse", "3dnowprefetch", "osvw", "ibs", "xop",
            "skinit", "wdt", NULL, "lwp", "fma4", "tce", NULL, "nodeid-msr",
            NULL, "tbm", "topoext", "perfctr-core", "perfctr-nb",
        },
        /* needs cache topology leaves consistent with -smp: opt-in only */
        .no_autoenable = CPUID_EXT3_TOPOEXT,
    },
    [FEAT_8000_0007_EDX] = {
        .leaf = 0x80000007, .reg = R_EDX,
        .names = { [8] = "invtsc" },
        /* not migratable, so "host" leaves it off like QEMU's default */
        .no_autoenable = CPUID_APM_INVTSC,
    },
    [FEAT_8000_0008_EBX] = {
        .leaf = 0x80000008, .reg = R_EBX,
        .names = {
            [0] = "clzero", [2] = "xsaveerptr", [9] = "wbnoinvd",
            [12] = "ibpb", [14] = "ibrs", [15] = "amd-stibp",
            [24] = "amd-ssbd", [25] = "virt-ssbd", [26] = "amd-no-ssb",
        },
    },
    [FEAT_KVM] = {
        .leaf = 0x40000001, .reg = R_EAX,
        .names = {
            "kvmclock", "kvm-nopiodelay", "kvm-mmu", "kvmclock", "kvm-asyncpf",
            "kvm-steal-time", "kvm-pv-eoi", "kvm-pv-unhalt", NULL,
            "kvm-pv-tlb-flush", NULL, "kvm-pv-ipi", "kvm-poll-control",
            "kvm-pv-sched-yield", "kvm-asyncpf-int", "kvm-msi-ext-dest-id",
            [24] = "kvmclock-stable-bit",
        },
    },
    [FEAT_KVM_HINTS] = {
        .leaf = 0x40000001, .reg = R_EDX,
        .names = { [0] = "kvm-hint-dedicated" },
        .no_autoenable = ~0u,
    },
    [FEAT_SVM] = {
        .leaf = 0x8000000A, .reg = R_EDX,
        .names = {
            "npt", "lbrv", "svm-lock", "nrip-save", "tsc-scale", "vmcb-clean",
            "flushbyasid", "decodeassists", [10] = "pause-filter",
            [12] = "pfthreshold", "avic", [15] = "v-vmsave-vmload", "vgif",
            [28] = "svme-addr-chk",
        },
    },
    [FEAT_XSAVE] = {
        .leaf = 0xD, .subleaf = 1, .reg = R_EAX,
        .names = { "xsaveopt", "xsavec", "xgetbv1", "xsaves", "xfd" },
    },
    [FEAT_6_EAX] = {
        .leaf = 6, .reg = R_EAX,
        .names = { [2] = "arat" },
    },
    /* XSAVE components: unnamed, derived from the features that use them */
    [FEAT_XSAVE_COMP_LO] = { .leaf = 0xD, .subleaf = 0, .reg = R_EAX },
    [FEAT_XSAVE_COMP_HI] = { .leaf = 0xD, .subleaf = 0, .reg = R_EDX },
    [FEAT_14_0_ECX] = {
        .leaf = 0x14, .subleaf = 0, .reg = R_ECX,
        .names = { [31] = "intel-pt-lip" },
    },
    /*
     * IA32_PERF_CAPABILITIES (SDM vol. 4, table 2-2, MSR 345H; vol. 3B
     * 18.4.4.2 "PEBS Record Format"): [5:0] LBR format, 6 PEBS trap,
     * 7 PEBS saves arch regs, [11:8] PEBS record format, 13 full-width
     * counter writes, 14 PEBS baseline (adaptive PEBS), 17 PEBS timing
     * info (Linux msr-index.h PERF_CAP_PEBS_TIMING_INFO).  The two
     * formats are numbers, set by lbr-fmt= and pebs-fmt=.
     */
    [FEAT_PERF_CAPS] = {
        .msr = 0x345,
        .names = {
            [6] = "pebs-trap", [7] = "pebs-arch-reg",
            [13] = "full-width-write", [14] = "pebs-baseline",
            [17] = "pebs-timing-info",
        },
    },
};

#define PERF_CAP_LBR_FMT        0x3fu
#define PERF_CAP_PEBS_TRAP      BIT(6)
#define PERF_CAP_PEBS_ARCH_REG  BIT(7)
#define PERF_CAP_PEBS_FMT_SHIFT 8
#define PERF_CAP_PEBS_FMT       (0xfu << PERF_CAP_PEBS_FMT_SHIFT)
#define PERF_CAP_PEBS_BASELINE  BIT(14)
#define PERF_CAP_PEBS_TIMING    BIT(17)
/* the named PEBS bits; KVM's PERF_CAP_PEBS_MASK is these plus the format */
#define PERF_CAP_PEBS_BITS      (PERF_CAP_PEBS_TRAP | PERF_CAP_PEBS_ARCH_REG | \
                                 PERF_CAP_PEBS_BASELINE | PERF_CAP_PEBS_TIMING)

/*
 * IA32_MISC_ENABLE (SDM vol. 4, table 2-2, MSR 1A0H).  KVM leaves the
 * value to userspace (Linux 9fc222967a39, "KVM: x86: Give host userspace
 * full control of MSR_IA32_MISC_ENABLES"), so the bits describing the
 * PMU are composed here from the guest's features.
 */
#define MISC_ENABLE_FAST_STRING     BIT(0)
#define MISC_ENABLE_EMON            BIT(7)      /* perf monitoring available */
#define MISC_ENABLE_BTS_UNAVAIL     BIT(11)
#define MISC_ENABLE_PEBS_UNAVAIL    BIT(12)
#define MISC_ENABLE_MWAIT           BIT(18)     /* ENABLE MONITOR FSM */

/* Which feature turns on each XSAVE state component (by component number). */
static const struct {
    FeatureWord w;
    uint32_t mask;
} xsave_components[] = {
    [0] = { FEAT_1_EDX, CPUID_FPU },
    [1] = { FEAT_1_EDX, CPUID_SSE },
    [2] = { FEAT_1_ECX, CPUID_EXT_AVX },
    [3] = { FEAT_7_0_EBX, CPUID_7_0_EBX_MPX },          /* BNDREGS */
    [4] = { FEAT_7_0_EBX, CPUID_7_0_EBX_MPX },          /* BNDCSR */
    [5] = { FEAT_7_0_EBX, CPUID_7_0_EBX_AVX512F },      /* opmask */
    [6] = { FEAT_7_0_EBX, CPUID_7_0_EBX_AVX512F },      /* ZMM_Hi256 */
    [7] = { FEAT_7_0_EBX, CPUID_7_0_EBX_AVX512F },      /* Hi16_ZMM */
    [9] = { FEAT_7_0_ECX, CPUID_7_0_ECX_PKU },
    [17] = { FEAT_7_0_EDX, CPUID_7_0_EDX_AMX_TILE },    /* XTILECFG */
    [18] = { FEAT_7_0_EDX, CPUID_7_0_EDX_AMX_TILE },    /* XTILEDATA */
};

/* Features meaningless without another one (QEMU's feature_dependencies). */
static const struct {
    FeatureWord from;
    uint32_t from_mask;
    FeatureWord to;
    uint32_t to_mask;
} feature_deps[] = {
    { FEAT_7_0_EBX, CPUID_7_0_EBX_INTEL_PT, FEAT_14_0_ECX, ~0u },
    { FEAT_8000_0001_ECX, CPUID_EXT3_SVM, FEAT_SVM, ~0u },
    { FEAT_7_0_EBX, CPUID_7_0_EBX_SGX, FEAT_7_0_ECX, CPUID_7_0_ECX_SGXLC },
    /* the MSR exists only with PDCM (SDM vol. 4, table 2-2, 345H) */
    { FEAT_1_ECX, CPUID_EXT_PDCM, FEAT_PERF_CAPS, ~0u },
};

/* Other spellings QEMU accepts (after '_' has become '-'). */
static const struct { const char *alias, *name; } feature_aliases[] = {
    { "sse3", "pni" }, { "pclmuldq", "pclmulqdq" }, { "sse4-1", "sse4.1" },
    { "sse4-2", "sse4.2" }, { "xd", "nx" }, { "ffxsr", "fxsr-opt" },
    { "i64", "lm" },
};

/* QEMU's kvm_default_props: applied to every named model under KVM. */
static const struct { const char *name; bool on; } kvm_default_props[] = {
    { "kvmclock", true }, { "kvm-nopiodelay", true }, { "kvm-asyncpf", true },
    { "kvm-steal-time", true }, { "kvm-pv-eoi", true },
    { "kvmclock-stable-bit", true }, { "x2apic", true },
    { "kvm-msi-ext-dest-id", false }, { "acpi", false }, { "monitor", false },
    { "svm", false },
};

typedef struct X86CPUModel {
    const char *name;
    const char *vendor;     /* used only if the host's is unknown */
    int family, model, stepping;
    uint32_t level, xlevel;
    const char *model_id;   /* host/max: the "-cpu help" text */
    const char *features;   /* feature names, space separated */
    bool host;              /* host/max: all KVM supports, host identity */
} X86CPUModel;

/*
 * QEMU 7.2 values of the -v1 models (the unversioned names resolve to v1
 * on the pc machines).  EPYC-Genoa and SapphireRapids came after 7.2.
 */
static const X86CPUModel x86_cpu_models[] = {
    {
        .name = "EPYC", .vendor = VENDOR_AMD,
        .family = 23, .model = 1, .stepping = 2,
        .level = 0xd, .xlevel = 0x8000001E,
        .model_id = "AMD EPYC Processor",
        .features =
            "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov "
            "pat pse36 clflush mmx fxsr sse sse2 pni pclmulqdq ssse3 fma "
            "cx16 sse4.1 sse4.2 movbe popcnt aes xsave avx f16c rdrand "
            "fsgsbase bmi1 avx2 smep bmi2 rdseed adx smap clflushopt sha-ni "
            "syscall nx mmxext fxsr-opt pdpe1gb rdtscp lm lahf-lm svm "
            "cr8legacy abm sse4a misalignsse 3dnowprefetch osvw topoext "
            "npt nrip-save xsaveopt xsavec xgetbv1 arat",
    }, {
        .name = "EPYC-Milan", .vendor = VENDOR_AMD,
        .family = 25, .model = 1, .stepping = 1,
        .level = 0xd, .xlevel = 0x8000001E,
        .model_id = "AMD EPYC-Milan Processor",
        .features =
            "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov "
            "pat pse36 clflush mmx fxsr sse sse2 pni pclmulqdq ssse3 fma "
            "cx16 pcid sse4.1 sse4.2 movbe popcnt aes xsave avx f16c rdrand "
            "fsgsbase bmi1 avx2 smep bmi2 erms invpcid rdseed adx smap "
            "clflushopt clwb sha-ni umip pku rdpid fsrm syscall nx mmxext "
            "fxsr-opt pdpe1gb rdtscp lm lahf-lm svm cr8legacy abm sse4a "
            "misalignsse 3dnowprefetch osvw topoext perfctr-core clzero "
            "xsaveerptr wbnoinvd ibpb ibrs amd-stibp amd-ssbd npt nrip-save "
            "svme-addr-chk xsaveopt xsavec xgetbv1 xsaves arat",
    }, {
        .name = "EPYC-Rome", .vendor = VENDOR_AMD,
        .family = 23, .model = 49, .stepping = 0,
        .level = 0xd, .xlevel = 0x8000001E,
        .model_id = "AMD EPYC-Rome Processor",
        .features =
            "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov "
            "pat pse36 clflush mmx fxsr sse sse2 pni pclmulqdq ssse3 fma "
            "cx16 sse4.1 sse4.2 movbe popcnt aes xsave avx f16c rdrand "
            "fsgsbase bmi1 avx2 smep bmi2 rdseed adx smap clflushopt clwb "
            "sha-ni umip rdpid syscall nx mmxext fxsr-opt pdpe1gb rdtscp lm "
            "lahf-lm svm cr8legacy abm sse4a misalignsse 3dnowprefetch osvw "
            "topoext perfctr-core clzero xsaveerptr wbnoinvd ibpb amd-stibp "
            "npt nrip-save xsaveopt xsavec xgetbv1 xsaves arat",
    }, {
        .name = "Icelake-Server", .vendor = VENDOR_INTEL,
        .family = 6, .model = 134, .stepping = 0,
        .level = 0xd, .xlevel = 0x80000008,
        .model_id = "Intel Xeon Processor (Icelake)",
        .features =
            "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov "
            "pat pse36 clflush mmx fxsr sse sse2 pni pclmulqdq ssse3 fma "
            "cx16 pcid sse4.1 sse4.2 movbe popcnt tsc-deadline aes xsave avx "
            "f16c rdrand fsgsbase bmi1 hle avx2 smep bmi2 erms invpcid rtm "
            "avx512f avx512dq rdseed adx smap clflushopt clwb avx512cd "
            "avx512bw avx512vl avx512vbmi umip pku avx512vbmi2 gfni vaes "
            "vpclmulqdq avx512vnni avx512bitalg avx512-vpopcntdq la57 "
            "spec-ctrl ssbd syscall nx pdpe1gb rdtscp lm lahf-lm abm "
            "3dnowprefetch wbnoinvd xsaveopt xsavec xgetbv1 arat",
    }, {
        .name = "Skylake-Server", .vendor = VENDOR_INTEL,
        .family = 6, .model = 85, .stepping = 4,
        .level = 0xd, .xlevel = 0x80000008,
        .model_id = "Intel Xeon Processor (Skylake)",
        .features =
            "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov "
            "pat pse36 clflush mmx fxsr sse sse2 pni pclmulqdq ssse3 fma "
            "cx16 pcid sse4.1 sse4.2 movbe popcnt tsc-deadline aes xsave avx "
            "f16c rdrand fsgsbase bmi1 hle avx2 smep bmi2 erms invpcid rtm "
            "avx512f avx512dq rdseed adx smap clflushopt clwb avx512cd "
            "avx512bw avx512vl pku syscall nx pdpe1gb rdtscp lm lahf-lm abm "
            "3dnowprefetch xsaveopt xsavec xgetbv1 arat",
    }, {
        .name = "kvm64", .vendor = VENDOR_INTEL,
        .family = 15, .model = 6, .stepping = 1,
        .level = 0xd, .xlevel = 0x80000008,
        .model_id = "Common KVM processor",
        .features =
            "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov "
            "pat pse36 clflush mmx fxsr sse sse2 pni cx16 syscall nx lm",
    }, {
        .name = "qemu32", .vendor = VENDOR_INTEL,
        .family = 6, .model = 6, .stepping = 3,
        .level = 4, .xlevel = 0x80000004,
        .model_id = "QEMU Virtual CPU version 2.5+",
        .features =
            "fpu de pse tsc msr pae mce cx8 apic sep pge cmov pat mmx fxsr "
            "sse sse2 pni",
    }, {
        .name = "qemu64", .vendor = VENDOR_AMD,
        .family = 15, .model = 107, .stepping = 1,
        .level = 0xd, .xlevel = 0x8000000A,
        .model_id = "QEMU Virtual CPU version 2.5+",
        .features =
            "fpu de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat "
            "pse36 clflush mmx fxsr sse sse2 pni cx16 syscall nx lm lahf-lm "
            "svm",
    },
    { .name = "host", .host = true,
      .model_id = "processor with all supported host features" },
    { .name = "max", .host = true,
      .model_id = "Enables all features supported by the accelerator in "
                  "the current host" },
};

struct X86CPUDef {
    const X86CPUModel *model;
    char *type;                     /* the name as given, for messages */
    FeatureWordArray on, off;       /* feat=on|off: the later one wins */
    FeatureWordArray plus, minus;   /* +feat, -feat: after those, '-' wins */
    char *vendor, *model_id;        /* NULL: the model's (or host's) */
    int family, model_nr, stepping; /* -1: the model's */
    int64_t level, xlevel;          /* -1: the model's, raised as needed */
    bool check, enforce;
    int pmu;                        /* -1: on for host/max only */
    int pebs;                       /* -1: on for host/max if the host has it */
    int pebs_fmt, lbr_fmt;          /* -1: the host's (host/max) or none */
};

/* ---- names ---- */

static bool feature_lookup(const char *prop, FeatureWordArray mask)
{
    bool found = false;

    for (size_t i = 0; i < G_N_ELEMENTS(feature_aliases); i++) {
        if (!strcmp(prop, feature_aliases[i].alias)) {
            prop = feature_aliases[i].name;
        }
    }
    memset(mask, 0, sizeof(FeatureWordArray));
    /* no early exit: "kvmclock" names two bits */
    for (int w = 0; w < FEATURE_WORDS; w++) {
        for (int bit = 0; bit < 32; bit++) {
            const char *name = feature_word_info[w].names[bit];
            if (name && !strcmp(name, prop)) {
                mask[w] |= BIT(bit);
                found = true;
            }
        }
    }
    return found;
}

static uint32_t named_bits(FeatureWord w)
{
    uint32_t mask = 0;

    for (int bit = 0; bit < 32; bit++) {
        if (feature_word_info[w].names[bit]) {
            mask |= BIT(bit);
        }
    }
    return mask;
}

static void model_features(const X86CPUModel *m, FeatureWordArray out)
{
    g_auto(GStrv) names = g_strsplit(m->features, " ", -1);

    memset(out, 0, sizeof(FeatureWordArray));
    for (char **n = names; *n; n++) {
        FeatureWordArray mask;
        bool known = feature_lookup(*n, mask);

        g_assert(known);    /* a typo in the model table */
        for (int w = 0; w < FEATURE_WORDS; w++) {
            out[w] |= mask[w];
        }
    }
}

static const X86CPUModel *model_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(x86_cpu_models); i++) {
        const X86CPUModel *m = &x86_cpu_models[i];
        g_autofree char *v1 = g_strdup_printf("%s-v1", m->name);

        if (!strcmp(name, m->name) || (!m->host && !strcmp(name, v1))) {
            return m;
        }
    }
    return NULL;
}

/* ---- -cpu parsing ---- */

static bool parse_int_prop(const char *prop, const char *val, int max,
                           int *out, GError **errp)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(val, &end, 0);
    if (!*val || *end || errno) {
        error_setg(errp, "Parameter '%s' expects int64", prop);
        return false;
    }
    if (v < 0 || v > max) {
        error_setg(errp, "Property .%s doesn't take value %lld "
                   "(minimum: 0, maximum: %d)", prop, v, max);
        return false;
    }
    *out = v;
    return true;
}

static bool parse_level_prop(const char *prop, const char *val,
                             int64_t *out, GError **errp)
{
    uint64_t v;

    if (qemu_strtou64(val, &v) < 0) {
        error_setg(errp, "Parameter '%s' expects uint64", prop);
        return false;
    }
    if (v > UINT32_MAX) {
        error_setg(errp, "Parameter '%s' expects uint32_t", prop);
        return false;
    }
    *out = v;
    return true;
}

static bool parse_feature_prop(X86CPUDef *def, const char *prop,
                               const char *val, GError **errp)
{
    FeatureWordArray mask;
    bool on;

    if (!feature_lookup(prop, mask)) {
        error_setg(errp, "Property '%s-x86_64-cpu.%s' not found",
                   def->type, prop);
        return false;
    }
    if (!qemu_parse_bool(prop, val, &on, errp)) {
        return false;
    }
    for (int w = 0; w < FEATURE_WORDS; w++) {
        def->on[w] = on ? def->on[w] | mask[w] : def->on[w] & ~mask[w];
        def->off[w] = on ? def->off[w] & ~mask[w] : def->off[w] | mask[w];
    }
    return true;
}

/* One "name=value" item; QEMU turns each into a global property. */
static bool parse_prop(X86CPUDef *def, const char *prop, const char *val,
                       GError **errp)
{
    bool ok = true;

    if (!strcmp(prop, "model-id")) {
        g_free(def->model_id);
        def->model_id = g_strdup(val);
    } else if (!strcmp(prop, "vendor")) {
        if (strlen(val) != 12) {
            error_setg(errp, "Property '.vendor' doesn't take value '%s'", val);
            ok = false;
        } else {
            g_free(def->vendor);
            def->vendor = g_strdup(val);
        }
    } else if (!strcmp(prop, "family")) {
        ok = parse_int_prop(prop, val, 0xff + 0xf, &def->family, errp);
    } else if (!strcmp(prop, "model")) {
        ok = parse_int_prop(prop, val, 0xff, &def->model_nr, errp);
    } else if (!strcmp(prop, "stepping")) {
        ok = parse_int_prop(prop, val, 0xf, &def->stepping, errp);
    } else if (!strcmp(prop, "level")) {
        ok = parse_level_prop(prop, val, &def->level, errp);
    } else if (!strcmp(prop, "xlevel")) {
        ok = parse_level_prop(prop, val, &def->xlevel, errp);
    } else if (!strcmp(prop, "enforce")) {
        ok = qemu_parse_bool(prop, val, &def->enforce, errp);
    } else if (!strcmp(prop, "check")) {
        ok = qemu_parse_bool(prop, val, &def->check, errp);
    } else if (!strcmp(prop, "pmu") || !strcmp(prop, "pebs")) {
        bool on;
        int *dst = prop[1] == 'm' ? &def->pmu : &def->pebs;
        ok = qemu_parse_bool(prop, val, &on, errp);
        *dst = ok ? on : *dst;
    } else if (!strcmp(prop, "pebs-fmt")) {
        ok = parse_int_prop(prop, val, 0xf, &def->pebs_fmt, errp);
    } else if (!strcmp(prop, "lbr-fmt")) {
        ok = parse_int_prop(prop, val, PERF_CAP_LBR_FMT, &def->lbr_fmt, errp);
    } else {
        ok = parse_feature_prop(def, prop, val, errp);
    }
    if (!ok) {
        error_prepend(errp, "can't apply global %s-x86_64-cpu.%s=%s: ",
                      def->type, prop, val);
    }
    return ok;
}

/* "+feat" / "-feat": QEMU applies these after all the feat=on|off. */
static bool parse_plus_minus(X86CPUDef *def, const char *prop, GError **errp)
{
    FeatureWordArray mask;

    if (!feature_lookup(prop + 1, mask)) {
        error_setg(errp, "Property '%s-x86_64-cpu.%s' not found",
                   def->type, prop + 1);
        return false;
    }
    for (int w = 0; w < FEATURE_WORDS; w++) {
        if (prop[0] == '+') {
            def->plus[w] |= mask[w];
        } else {
            def->minus[w] |= mask[w];
        }
    }
    return true;
}

X86CPUDef *x86_cpu_parse(const char *spec, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(spec, "model", errp);
    X86CPUDef *def;
    const X86CPUModel *m;

    if (!opts) {
        return NULL;
    }
    /* the model name is always first; a later "model=N" is the number */
    if (!opts->nr || strcmp(opts->opts[0].name, "model")) {
        error_setg(errp, "unable to find CPU model '%s'",
                   opts->nr ? opts->opts[0].name : "");
        return NULL;
    }
    m = model_find(opts->opts[0].value);
    if (!m) {
        error_setg(errp, "unable to find CPU model '%s'", opts->opts[0].value);
        return NULL;
    }
    def = g_new0(X86CPUDef, 1);
    def->model = m;
    def->type = g_strdup(opts->opts[0].value);
    def->family = def->model_nr = def->stepping = -1;
    def->level = def->xlevel = -1;
    def->check = true;
    def->pmu = def->pebs = def->pebs_fmt = def->lbr_fmt = -1;

    for (size_t i = 1; i < opts->nr; i++) {
        QemuOpt *o = &opts->opts[i];
        /* QEMU spells properties with '-' and accepts '_' */
        g_autofree char *prop = g_strdelimit(g_strdup(o->name), "_", '-');
        bool ok;

        o->used = true;
        if (prop[0] == '+' || prop[0] == '-') {
            ok = parse_plus_minus(def, prop, errp);
        } else {
            ok = parse_prop(def, prop, o->value, errp);
        }
        if (!ok) {
            x86_cpu_def_free(def);
            return NULL;
        }
    }
    return def;
}

void x86_cpu_def_free(X86CPUDef *def)
{
    if (def) {
        g_free(def->type);
        g_free(def->vendor);
        g_free(def->model_id);
        g_free(def);
    }
}

const char *x86_cpu_def_model(const X86CPUDef *def)
{
    return def->model->name;
}

static uint32_t encode_signature(int family, int model, int stepping)
{
    uint32_t eax = (stepping & 0xf) | (model & 0xf) << 4 | (model & 0xf0) << 12;

    if (family > 0xf) {
        eax |= 0xf << 8 | (family - 0xf) << 20;
    } else {
        eax |= family << 8;
    }
    return eax;
}

uint32_t x86_cpu_def_signature(const X86CPUDef *def)
{
    const X86CPUModel *m = def->model;

    return encode_signature(def->family >= 0 ? def->family : m->family,
                            def->model_nr >= 0 ? def->model_nr : m->model,
                            def->stepping >= 0 ? def->stepping : m->stepping);
}

/* ---- the host ---- */

static const struct kvm_cpuid_entry2 *host_entry(const struct kvm_cpuid2 *host,
                                                 uint32_t fn, uint32_t idx)
{
    for (uint32_t i = 0; i < host->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &host->entries[i];
        bool indexed = e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX;

        if (e->function == fn && (e->index == idx || !indexed)) {
            return e;
        }
    }
    return NULL;
}

static uint32_t entry_reg(const struct kvm_cpuid_entry2 *e, int reg)
{
    const uint32_t regs[] = { e->eax, e->ebx, e->ecx, e->edx };
    return regs[reg];
}

static uint32_t host_reg(const struct kvm_cpuid2 *host, uint32_t fn,
                         uint32_t idx, int reg)
{
    const struct kvm_cpuid_entry2 *e = host_entry(host, fn, idx);
    return e ? entry_reg(e, reg) : 0;
}

/* What KVM can give the guest, with the additions QEMU makes on its own. */
static uint32_t host_feature_word(const X86HostCaps *caps, FeatureWord w)
{
    const FeatureWordInfo *fi = &feature_word_info[w];
    const struct kvm_cpuid2 *host = caps->cpuid;
    uint32_t v = fi->msr ? 0 : host_reg(host, fi->leaf, fi->subleaf, fi->reg);

    switch (w) {
    case FEAT_PERF_CAPS:
        v = caps->has_perf_caps ? (uint32_t)caps->perf_caps : 0;
        break;
    case FEAT_1_ECX:
        /* ours to set; tsc-deadline is emulated by the in-kernel LAPIC */
        v |= CPUID_EXT_HYPERVISOR | CPUID_EXT_TSC_DEADLINE;
        break;
    case FEAT_6_EAX:
        v |= CPUID_6_EAX_ARAT;          /* the LAPIC timer is emulated */
        break;
    case FEAT_8000_0001_EDX:
        /* Intel hosts report these in leaf 1 only */
        v |= host_reg(host, 1, 0, R_EDX) & CPUID_EXT2_AMD_ALIASES;
        break;
    default:
        break;
    }
    return v;
}

static void host_model_id(const struct kvm_cpuid2 *host, char out[49])
{
    uint32_t regs[12] = { 0 };

    for (int i = 0; i < 12; i++) {
        regs[i] = host_reg(host, 0x80000002 + i / 4, 0, i % 4);
    }
#if defined(__x86_64__) || defined(__i386__)
    /* KVM usually leaves the brand string out; QEMU reads the real CPU's */
    if (!regs[0]) {
        for (int i = 0; i < 3; i++) {
            __get_cpuid(0x80000002 + i, &regs[i * 4], &regs[i * 4 + 1],
                        &regs[i * 4 + 2], &regs[i * 4 + 3]);
        }
    }
#endif
    memcpy(out, regs, 48);
    out[48] = '\0';
}

/* ---- the resolved CPU ---- */

typedef struct X86CPUConfig {
    const X86CPUDef *def;
    const X86HostCaps *caps;
    const struct kvm_cpuid2 *host;  /* caps->cpuid */
    unsigned threads, cores, smt_bits, pkg_shift;
    char vendor[13];
    int family, model, stepping;
    uint32_t level, xlevel, level_func7;
    unsigned phys_bits;
    char model_id[49];
    bool pmu, pebs, filtered;
    unsigned pmu_want;              /* PF() rows wanted, see pmu_expand() */
    uint64_t perf_caps;             /* IA32_PERF_CAPABILITIES (with pdcm) */
    FeatureWordArray req, hostw, features;
    GPtrArray *warnings;            /* NULL: warn_report() */
} X86CPUConfig;

static bool vendor_is(const X86CPUConfig *c, const char *vendor)
{
    return !strcmp(c->vendor, vendor);
}

static unsigned bits_for(unsigned count)
{
    return count <= 1 ? 0 : 32 - __builtin_clz(count - 1);
}

static void cpu_resolve_identity(X86CPUConfig *c)
{
    const X86CPUDef *def = c->def;
    const X86CPUModel *m = def->model;
    const struct kvm_cpuid_entry2 *l0 = host_entry(c->host, 0, 0);
    uint32_t sig = host_reg(c->host, 1, 0, R_EAX);

    /*
     * Under KVM, QEMU gives every model the host's vendor: guests then use
     * the SYSENTER/SYSCALL flavour the hardware runs natively.
     */
    if (def->vendor) {
        g_strlcpy(c->vendor, def->vendor, sizeof(c->vendor));
    } else if (l0 && l0->ebx) {
        memcpy(c->vendor, &l0->ebx, 4);
        memcpy(c->vendor + 4, &l0->edx, 4);
        memcpy(c->vendor + 8, &l0->ecx, 4);
    } else {
        g_strlcpy(c->vendor, m->vendor ? m->vendor : VENDOR_INTEL,
                  sizeof(c->vendor));
    }
    if (m->host) {
        c->family = (sig >> 8) & 0xf;
        if (c->family == 0xf) {
            c->family += (sig >> 20) & 0xff;
        }
        c->model = ((sig >> 4) & 0xf) | ((sig >> 12) & 0xf0);
        c->stepping = sig & 0xf;
        c->level = host_reg(c->host, 0, 0, R_EAX);
        c->xlevel = host_reg(c->host, 0x80000000, 0, R_EAX);
        c->phys_bits = host_reg(c->host, 0x80000008, 0, R_EAX) & 0xff;
        host_model_id(c->host, c->model_id);
    } else {
        c->family = m->family;
        c->model = m->model;
        c->stepping = m->stepping;
        c->level = m->level;
        c->xlevel = m->xlevel;
        g_strlcpy(c->model_id, m->model_id, sizeof(c->model_id));
    }
    c->family = def->family >= 0 ? def->family : c->family;
    c->model = def->model_nr >= 0 ? def->model_nr : c->model;
    c->stepping = def->stepping >= 0 ? def->stepping : c->stepping;
    if (def->model_id) {
        /* 0x80000002..4 carry all 48 bytes: pad with NULs, not leftovers */
        memset(c->model_id, 0, sizeof(c->model_id));
        g_strlcpy(c->model_id, def->model_id, sizeof(c->model_id));
    }
}

static void mark_unavailable(X86CPUConfig *c, FeatureWord w, uint32_t mask,
                             const char *why)
{
    const FeatureWordInfo *fi = &feature_word_info[w];

    c->filtered |= mask != 0;
    if (!c->def->check && !c->def->enforce) {
        return;
    }
    for (int bit = 0; bit < 32; bit++) {
        const char *name = fi->names[bit];
        g_autofree char *msg = NULL;

        if (!(mask & BIT(bit))) {
            continue;
        }
        if (fi->msr) {
            msg = g_strdup_printf("%s: MSR(%02XH)%s%s [bit %d]", why, fi->msr,
                                  name ? "." : "", name ? name : "", bit);
        } else {
            msg = g_strdup_printf("%s: CPUID.%02XH:%s%s%s [bit %d]", why,
                                  fi->leaf, reg_names[fi->reg],
                                  name ? "." : "", name ? name : "", bit);
        }
        if (c->warnings) {
            g_ptr_array_add(c->warnings, g_steal_pointer(&msg));
        } else {
            warn_report("%s", msg);
        }
    }
}

static uint64_t xsave_components_of(const FeatureWordArray f)
{
    uint64_t comps = 0;

    if (!(f[FEAT_1_ECX] & CPUID_EXT_XSAVE)) {
        return 0;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(xsave_components); i++) {
        if (f[xsave_components[i].w] & xsave_components[i].mask) {
            comps |= 1ull << i;
        }
    }
    return comps;
}

/* ---- the PMU and PEBS ---- */

/*
 * The PMU/PEBS dependencies, written down once.  A row is wanted when the
 * user asks for it (pmu=on, +pdcm, ...), when the model has it by default
 * (host/max: what the host offers), or when a wanted row implies it; an
 * explicit "off" always wins.  It is then on when the host has it and
 * every row in .needs is on.  So pmu=off clears pdcm, ds and dtes64 (and
 * with pdcm the IA32_PERF_CAPABILITIES word, feature_deps[]); pebs=off
 * clears ds and dtes64, which KVM offers only for PEBS (Linux
 * vmx_set_cpu_caps: DS/DTES64 only if vmx_pebs_supported()).
 */
typedef enum { PF_PMU, PF_PDCM, PF_DS, PF_DTES64, PF_PEBS, PF_NR } PMUFeature;
#define PF(f) (1u << PF_##f)

static const struct {
    const char *name;
    FeatureWord w;              /* its CPUID bit (bit 0: not a CPUID bit) */
    uint32_t bit;
    unsigned needs, implied_by; /* PF() sets */
    const char *host_lacks;     /* why a host without it cannot */
} pmu_deps[PF_NR] = {
    [PF_PMU] = {
        "pmu", .implied_by = PF(PEBS),
        .host_lacks = "host KVM has no vPMU (kvm.enable_pmu=N)",
    },
    [PF_PDCM] = {
        "pdcm", FEAT_1_ECX, CPUID_EXT_PDCM, PF(PMU), PF(PEBS),
        "host KVM does not offer CPUID.01H:ECX.pdcm",
    },
    [PF_DS] = {
        "ds", FEAT_1_EDX, CPUID_DTS, PF(PMU), PF(PEBS),
        "host KVM has no PEBS via DS (CPUID.01H:EDX.ds; needs an Intel "
        "Ice Lake server or later host)",
    },
    [PF_DTES64] = {
        "dtes64", FEAT_1_ECX, CPUID_EXT_DTES64, PF(PMU), PF(PEBS),
        "host KVM has no PEBS via DS (CPUID.01H:ECX.dtes64; needs an Intel "
        "Ice Lake server or later host)",
    },
    [PF_PEBS] = {
        "pebs", .needs = PF(PMU) | PF(PDCM) | PF(DS) | PF(DTES64),
        .host_lacks = "host KVM does not report IA32_PERF_CAPABILITIES",
    },
};

/* As mark_unavailable(): reported with check/enforce, fatal with enforce. */
static void G_GNUC_PRINTF(2, 3) pmu_warn(X86CPUConfig *c, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    c->filtered = true;
    if (!c->def->check && !c->def->enforce) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (c->warnings) {
        g_ptr_array_add(c->warnings, g_steal_pointer(&msg));
    } else {
        warn_report("%s", msg);
    }
}

/* The final value of a bit after the -cpu edits: 1 on, 0 off, -1 not set. */
static int edited(const X86CPUConfig *c, FeatureWord w, uint32_t mask)
{
    const X86CPUDef *d = c->def;

    if (d->minus[w] & mask) {
        return 0;
    }
    if (d->plus[w] & mask) {
        return 1;
    }
    return (d->on[w] & mask) ? 1 : (d->off[w] & mask) ? 0 : -1;
}

static int pmu_explicit(const X86CPUConfig *c, PMUFeature f)
{
    switch (f) {
    case PF_PMU:
        return c->def->pmu;
    case PF_PEBS:
        return c->def->pebs;
    default:
        return edited(c, pmu_deps[f].w, pmu_deps[f].bit);
    }
}

static bool host_has_pebs(const X86CPUConfig *c)
{
    return c->caps->pmu && c->caps->has_perf_caps &&
           (c->hostw[FEAT_1_EDX] & CPUID_DTS) &&
           (c->hostw[FEAT_1_ECX] & CPUID_EXT_DTES64);
}

/* Before the -cpu edits: put the wanted rows into the request. */
static void pmu_expand(X86CPUConfig *c)
{
    const X86CPUModel *m = c->def->model;
    unsigned want = 0;

    /* implications flow from later rows to earlier ones */
    for (int f = PF_NR - 1; f >= 0; f--) {
        int ex = pmu_explicit(c, f);
        bool dflt;

        switch (f) {
        case PF_PMU:
            dflt = m->host;
            break;
        case PF_PDCM:
            dflt = c->req[FEAT_1_ECX] & CPUID_EXT_PDCM;
            break;
        case PF_PEBS:
            dflt = m->host && host_has_pebs(c);
            break;
        default:
            dflt = false;           /* ds, dtes64: only for PEBS */
            break;
        }
        if (ex == 1 || (ex < 0 && (dflt || (want & pmu_deps[f].implied_by)))) {
            want |= 1u << f;
        }
        if (pmu_deps[f].bit) {
            c->req[pmu_deps[f].w] &= ~pmu_deps[f].bit;
            c->req[pmu_deps[f].w] |= (want & (1u << f)) ? pmu_deps[f].bit : 0;
        }
    }
    c->pmu_want = want;
    /* PEBS wanted: the host's PEBS capability bits come with it */
    c->req[FEAT_PERF_CAPS] &= ~PERF_CAP_PEBS_BITS;
    if (want & PF(PEBS)) {
        c->req[FEAT_PERF_CAPS] |= c->hostw[FEAT_PERF_CAPS] & PERF_CAP_PEBS_BITS;
    }
}

/* Why row f cannot be on: its first missing need, or the host. */
static char *pmu_missing(const X86CPUConfig *c, PMUFeature f, unsigned have)
{
    for (int n = 0; n < PF_NR; n++) {
        if (!(pmu_deps[f].needs & (1u << n)) || (have & (1u << n))) {
            continue;
        }
        if (!(c->pmu_want & (1u << n))) {
            return g_strdup_printf("%s needs %s, which is off",
                                   pmu_deps[f].name, pmu_deps[n].name);
        }
        return pmu_missing(c, n, have);
    }
    return g_strdup(pmu_deps[f].host_lacks);
}

static bool pmu_host_has(const X86CPUConfig *c, PMUFeature f)
{
    switch (f) {
    case PF_PMU:
        return c->caps->pmu;
    case PF_PEBS:
        return c->caps->has_perf_caps;
    default:
        /* after cpu_filter_features(), which warned if it was asked for */
        return c->features[pmu_deps[f].w] & pmu_deps[f].bit;
    }
}

/* The name of the lowest set bit of a perf-caps mask. */
static const char *perf_cap_name(uint32_t mask)
{
    return feature_word_info[FEAT_PERF_CAPS].names[__builtin_ctz(mask)];
}

/* PEBS's own settings: formats and capability bits KVM will take. */
static bool pebs_settings_ok(X86CPUConfig *c, uint64_t *caps)
{
    const X86CPUDef *def = c->def;
    uint64_t host = c->caps->perf_caps;
    unsigned host_fmt = (host & PERF_CAP_PEBS_FMT) >> PERF_CAP_PEBS_FMT_SHIFT;
    unsigned fmt = def->pebs_fmt >= 0 ? (unsigned)def->pebs_fmt : host_fmt;
    uint32_t dropped = (host & PERF_CAP_PEBS_BITS) & ~*caps;

    if (fmt != host_fmt) {
        pmu_warn(c, "pebs-fmt=%u: the host's PEBS record format is %u: "
                 "pebs disabled", fmt, host_fmt);
        return false;
    }
    /*
     * KVM takes a non-zero PEBS format only with exactly the host's PEBS
     * bits (Linux vmx_set_msr, MSR_IA32_PERF_CAPABILITIES: PERF_CAP_PEBS_MASK
     * must match).  Format 0 is a valid format too (never "no PEBS").
     */
    if (fmt && dropped) {
        pmu_warn(c, "%s=off: KVM takes the host's PEBS capabilities only as "
                 "a whole: pebs disabled", perf_cap_name(dropped));
        return false;
    }
    *caps |= (uint64_t)fmt << PERF_CAP_PEBS_FMT_SHIFT;
    return true;
}

/* After cpu_filter_features(): what the guest's PMU really is. */
static void pmu_resolve(X86CPUConfig *c)
{
    const X86CPUDef *def = c->def;
    unsigned have = 0;
    uint64_t caps = c->features[FEAT_PERF_CAPS];
    uint32_t pebs_bits;

    for (int f = 0; f < PF_NR; f++) {
        bool want = c->pmu_want & (1u << f);
        bool needs_ok = (have & pmu_deps[f].needs) == pmu_deps[f].needs;

        if (want && needs_ok && pmu_host_has(c, f)) {
            have |= 1u << f;
        } else if (want && pmu_explicit(c, f) == 1 &&
                   (!pmu_deps[f].bit || needs_ok == false)) {
            /* (a CPUID bit the host lacks was reported by the filter) */
            g_autofree char *why = pmu_missing(c, f, have);
            pmu_warn(c, "%s: %s disabled", why, pmu_deps[f].name);
        }
    }

    if (have & PF(PEBS)) {
        if (!pebs_settings_ok(c, &caps)) {
            have &= ~PF(PEBS);
            /* ds and dtes64 were there for PEBS, unless asked for */
            have &= ~((pmu_explicit(c, PF_DS) == 1 ? 0 : PF(DS)) |
                      (pmu_explicit(c, PF_DTES64) == 1 ? 0 : PF(DTES64)));
        }
    } else if (def->pebs_fmt >= 0) {
        pmu_warn(c, "pebs-fmt=%d needs pebs, which is off: ignored",
                 def->pebs_fmt);
    }
    pebs_bits = caps & PERF_CAP_PEBS_BITS;
    if (!(have & PF(PEBS)) && pebs_bits) {
        for (uint32_t b = pebs_bits; b; b &= b - 1) {
            if (edited(c, FEAT_PERF_CAPS, b & -b) == 1) {
                pmu_warn(c, "%s needs pebs, which is off: %s disabled",
                         perf_cap_name(b & -b), perf_cap_name(b & -b));
            }
        }
        caps &= ~(uint64_t)PERF_CAP_PEBS_BITS;
    }

    /* LBR format: KVM takes only the host's (vmx_set_msr, PMU_CAP_LBR_FMT) */
    if (def->lbr_fmt > 0 || (def->lbr_fmt < 0 && def->model->host)) {
        unsigned host_lbr = c->caps->perf_caps & PERF_CAP_LBR_FMT;
        unsigned lbr = def->lbr_fmt >= 0 ? (unsigned)def->lbr_fmt : host_lbr;

        if (!(have & PF(PDCM))) {
            if (def->lbr_fmt > 0) {
                pmu_warn(c, "lbr-fmt=%u needs pdcm, which is off: ignored",
                         lbr);
            }
        } else if (lbr != host_lbr) {
            pmu_warn(c, "lbr-fmt=%u: the host's LBR format is %u: lbr-fmt=0 "
                     "used", lbr, host_lbr);
        } else {
            caps |= lbr;
        }
    }

    for (int f = 0; f < PF_NR; f++) {
        if (pmu_deps[f].bit && !(have & (1u << f))) {
            c->features[pmu_deps[f].w] &= ~pmu_deps[f].bit;
        }
    }
    if (!(have & PF(PDCM))) {
        caps = 0;
    }
    c->features[FEAT_PERF_CAPS] = caps;
    c->perf_caps = caps;
    c->pmu = have & PF(PMU);
    c->pebs = have & PF(PEBS);
}

/* The features the model and the -cpu edits ask for (QEMU's expand step). */
static void cpu_expand_features(X86CPUConfig *c)
{
    const X86CPUDef *def = c->def;
    uint64_t comps;

    for (int w = 0; w < FEATURE_WORDS; w++) {
        c->hostw[w] = host_feature_word(c->caps, w);
    }
    if (def->model->host) {
        for (int w = 0; w < FEATURE_WORDS; w++) {
            c->req[w] = c->hostw[w] & named_bits(w) &
                        ~feature_word_info[w].no_autoenable;
        }
    } else {
        model_features(def->model, c->req);
        for (size_t i = 0; i < G_N_ELEMENTS(kvm_default_props); i++) {
            FeatureWordArray mask;
            feature_lookup(kvm_default_props[i].name, mask);
            for (int w = 0; w < FEATURE_WORDS; w++) {
                c->req[w] = kvm_default_props[i].on ? c->req[w] | mask[w]
                                                    : c->req[w] & ~mask[w];
            }
        }
    }
    c->req[FEAT_1_ECX] |= CPUID_EXT_HYPERVISOR;
    pmu_expand(c);
    for (int w = 0; w < FEATURE_WORDS; w++) {
        c->req[w] = (((c->req[w] | def->on[w]) & ~def->off[w]) | def->plus[w])
                    & ~def->minus[w];
    }
    if (vendor_is(c, VENDOR_AMD)) {
        uint32_t *ext2 = &c->req[FEAT_8000_0001_EDX];
        *ext2 = (*ext2 & ~CPUID_EXT2_AMD_ALIASES) |
                (c->req[FEAT_1_EDX] & CPUID_EXT2_AMD_ALIASES);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(feature_deps); i++) {
        uint32_t gone;

        if (c->req[feature_deps[i].from] & feature_deps[i].from_mask) {
            continue;
        }
        gone = c->req[feature_deps[i].to] & feature_deps[i].to_mask;
        /* only an error if the user asked for the dependent feature */
        mark_unavailable(c, feature_deps[i].to,
                         gone & (def->on[feature_deps[i].to] |
                                 def->plus[feature_deps[i].to]),
                         "This feature depends on other features that "
                         "were not requested");
        c->req[feature_deps[i].to] &= ~gone;
    }
    comps = xsave_components_of(c->req);
    c->req[FEAT_XSAVE_COMP_LO] = comps;
    c->req[FEAT_XSAVE_COMP_HI] = comps >> 32;
}

/* Raise level/xlevel to cover the leaves the features live in. */
static void cpu_adjust_levels(X86CPUConfig *c)
{
    uint32_t level = c->level, xlevel = c->xlevel;

    for (int w = 0; w < FEATURE_WORDS; w++) {
        uint32_t leaf = feature_word_info[w].leaf;

        if (!c->req[w] || feature_word_info[w].msr) {
            continue;
        }
        if (leaf < 0x40000000) {
            level = MAX(level, leaf);
        } else if (leaf >= 0x80000000) {
            xlevel = MAX(xlevel, leaf);
        }
        if (leaf == 7) {
            c->level_func7 = MAX(c->level_func7, feature_word_info[w].subleaf);
        }
    }
    if (c->req[FEAT_8000_0001_ECX] & CPUID_EXT3_SVM) {
        xlevel = MAX(xlevel, 0x8000000A);
    }
    if (c->req[FEAT_7_0_EBX] & CPUID_7_0_EBX_INTEL_PT) {
        level = MAX(level, 0x14);
    }
    c->level = c->def->level >= 0 ? (uint32_t)c->def->level : level;
    c->xlevel = c->def->xlevel >= 0 ? (uint32_t)c->def->xlevel : xlevel;
}

static void cpu_filter_features(X86CPUConfig *c)
{
    uint64_t comps;

    for (int w = 0; w < FEATURE_WORDS; w++) {
        mark_unavailable(c, w, c->req[w] & ~c->hostw[w],
                         "host doesn't support requested feature");
        c->features[w] = c->req[w] & c->hostw[w];
    }
    /* no state components for features the host took away */
    comps = xsave_components_of(c->features);
    c->features[FEAT_XSAVE_COMP_LO] &= comps;
    c->features[FEAT_XSAVE_COMP_HI] &= comps >> 32;

    if (!c->phys_bits) {
        /* QEMU's default for named models */
        c->phys_bits = (c->features[FEAT_8000_0001_EDX] & CPUID_EXT2_LM) ? 40 :
                       (c->features[FEAT_1_EDX] & CPUID_PSE36) ? 36 : 32;
    }
}

/* ---- emitting the leaves ---- */

#define MAX_LEAVES 0x40     /* per range; real CPUs stop well below */

static struct kvm_cpuid_entry2 *cpuid_add(GArray *out, uint32_t fn,
                                          uint32_t idx, bool indexed)
{
    struct kvm_cpuid_entry2 e = {
        .function = fn, .index = idx,
        .flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
    };

    g_array_append_val(out, e);
    return &g_array_index(out, struct kvm_cpuid_entry2, out->len - 1);
}

/* Every subleaf the host has for this leaf; an all-zero leaf if none. */
static void cpuid_copy_host(X86CPUConfig *c, GArray *out, uint32_t leaf)
{
    guint before = out->len;

    for (uint32_t i = 0; i < c->host->nent; i++) {
        if (c->host->entries[i].function == leaf) {
            g_array_append_val(out, c->host->entries[i]);
        }
    }
    if (out->len == before) {
        cpuid_add(out, leaf, 0, false);
    }
}

static void cpuid_set_vendor(const X86CPUConfig *c, struct kvm_cpuid_entry2 *e)
{
    memcpy(&e->ebx, c->vendor, 4);
    memcpy(&e->edx, c->vendor + 4, 4);
    memcpy(&e->ecx, c->vendor + 8, 4);
}

/* Caches of the named models (QEMU's "legacy" ones): 32K L1s, 4M L2, 16M L3. */
typedef struct X86CacheInfo {
    uint8_t type, level;        /* type 1 data, 2 instruction, 3 unified */
    uint32_t ways, sets;
    uint32_t edx;               /* no-invd-sharing, inclusive, complex */
} X86CacheInfo;

static const X86CacheInfo legacy_caches[] = {
    { .type = 1, .level = 1, .ways = 8, .sets = 64, .edx = BIT(0) },
    { .type = 2, .level = 1, .ways = 8, .sets = 64, .edx = BIT(0) },
    { .type = 3, .level = 2, .ways = 16, .sets = 4096, .edx = BIT(0) },
    { .type = 3, .level = 3, .ways = 16, .sets = 16384,
      .edx = BIT(1) | BIT(2) },
};

/*
 * Leaf 4 / 0x8000001D EAX: how many logical CPUs share the cache, and
 * (leaf 4) cores - 1.  QEMU 7.2's numbers: in leaf 4 an L1 is never
 * shared and the L3 spans the package's APIC id range; in 0x8000001D
 * the L1/L2 go with the SMT siblings and the L3 with the package.
 */
static void cache_set_topology(const X86CPUConfig *c,
                               struct kvm_cpuid_entry2 *e, bool leaf4)
{
    unsigned level = (e->eax >> 5) & 7;
    unsigned sharing = level >= 3 ? (leaf4 ? 1u << c->pkg_shift
                                           : c->threads * c->cores)
                     : level == 1 && leaf4 ? 1 : c->threads;

    if (!(e->eax & 0x1f)) {
        return;                         /* the terminating null entry */
    }
    e->eax &= leaf4 ? 0x3fff : 0xfc003fff;
    e->eax |= MIN(sharing - 1, 0xfffu) << 14;
    if (leaf4) {
        e->eax |= MIN(c->cores - 1, 0x3fu) << 26;
    }
}

static void cpuid_cache_leaves(X86CPUConfig *c, GArray *out, uint32_t leaf)
{
    bool leaf4 = leaf == 4;
    guint first = out->len;

    if (c->def->model->host) {
        cpuid_copy_host(c, out, leaf);
    } else {
        for (uint32_t i = 0; i < G_N_ELEMENTS(legacy_caches); i++) {
            struct kvm_cpuid_entry2 *e = cpuid_add(out, leaf, i, true);
            const X86CacheInfo *ci = &legacy_caches[i];

            e->eax = ci->type | ci->level << 5 | BIT(8) /* self-init */;
            e->ebx = (64 - 1) | (ci->ways - 1) << 22;  /* 64-byte lines */
            e->ecx = ci->sets - 1;
            e->edx = ci->edx;
        }
        cpuid_add(out, leaf, G_N_ELEMENTS(legacy_caches), true);  /* end */
    }
    for (guint i = first; i < out->len; i++) {
        struct kvm_cpuid_entry2 *e =
            &g_array_index(out, struct kvm_cpuid_entry2, i);
        e->flags |= KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
        cache_set_topology(c, e, leaf4);
    }
}

/* 0xB: SMT level, core level, then the invalid level that ends the list. */
static void cpuid_topology(X86CPUConfig *c, GArray *out, uint32_t leaf)
{
    struct kvm_cpuid_entry2 *e;

    e = cpuid_add(out, leaf, 0, true);
    e->eax = c->smt_bits;
    e->ebx = c->threads;
    e->ecx = 0 | 1 << 8;
    e = cpuid_add(out, leaf, 1, true);
    e->eax = c->pkg_shift;
    e->ebx = c->threads * c->cores;
    e->ecx = 1 | 2 << 8;
    e = cpuid_add(out, leaf, 2, true);
    e->ecx = 2;
}

static void cpuid_xsave(X86CPUConfig *c, GArray *out)
{
    uint64_t comps = c->features[FEAT_XSAVE_COMP_LO] |
                     (uint64_t)c->features[FEAT_XSAVE_COMP_HI] << 32;
    uint32_t size = 512 + 64;           /* legacy area + header */
    struct kvm_cpuid_entry2 *e;

    if (!(c->features[FEAT_1_ECX] & CPUID_EXT_XSAVE)) {
        return;
    }
    for (int i = 2; i < 64; i++) {
        const struct kvm_cpuid_entry2 *h = host_entry(c->host, 0xD, i);
        if ((comps & (1ull << i)) && h) {
            size = MAX(size, h->ebx + h->eax);
        }
    }
    e = cpuid_add(out, 0xD, 0, true);
    e->eax = comps;
    e->edx = comps >> 32;
    e->ebx = e->ecx = size;     /* KVM rewrites EBX as the guest sets XCR0 */
    e = cpuid_add(out, 0xD, 1, true);
    e->eax = c->features[FEAT_XSAVE];
    for (int i = 2; i < 64; i++) {
        const struct kvm_cpuid_entry2 *h = host_entry(c->host, 0xD, i);
        if ((comps & (1ull << i)) && h) {
            e = cpuid_add(out, 0xD, i, true);
            e->eax = h->eax;            /* size */
            e->ebx = h->ebx;            /* offset */
            e->ecx = h->ecx;            /* supervisor / alignment flags */
        }
    }
}

static void cpuid_basic_leaf(X86CPUConfig *c, GArray *out, uint32_t leaf)
{
    unsigned logical = c->threads * c->cores;
    struct kvm_cpuid_entry2 *e;

    switch (leaf) {
    case 0:
        e = cpuid_add(out, 0, 0, false);
        e->eax = c->level;
        cpuid_set_vendor(c, e);
        break;
    case 1:
        e = cpuid_add(out, 1, 0, false);
        e->eax = encode_signature(c->family, c->model, c->stepping);
        e->ebx = 8 << 8;                /* CLFLUSH line: 8 quadwords */
        e->ecx = c->features[FEAT_1_ECX];
        e->edx = c->features[FEAT_1_EDX];
        if (logical > 1) {
            e->ebx |= MIN(logical, 0xffu) << 16;
            e->edx |= CPUID_HT;
        }
        break;
    case 2:
        /* AMD guests read caches from 0x8000001D (QEMU's vendor-cpuid-only) */
        if (vendor_is(c, VENDOR_AMD)) {
            cpuid_add(out, 2, 0, false);
        } else if (c->def->model->host) {
            cpuid_copy_host(c, out, 2);
        } else {
            e = cpuid_add(out, 2, 0, false);
            e->eax = 1;                 /* one round of descriptors */
            e->ecx = 0x4d;              /* L3 16M */
            e->edx = 0x2c << 16 | 0x30 << 8 | 0x7d;     /* L1d, L1i, L2 */
        }
        break;
    case 4:
        if (vendor_is(c, VENDOR_AMD)) {
            cpuid_add(out, 4, 0, true);
        } else {
            cpuid_cache_leaves(c, out, 4);
        }
        break;
    case 5:
        /* QEMU's fixed MWAIT leaf: no line sizes, EMX + interrupt break */
        e = cpuid_add(out, 5, 0, false);
        e->ecx = BIT(0) | BIT(1);
        break;
    case 6:
        e = cpuid_add(out, 6, 0, false);
        e->eax = c->features[FEAT_6_EAX];
        break;
    case 7:
        for (uint32_t i = 0; i <= c->level_func7; i++) {
            e = cpuid_add(out, 7, i, true);
            if (i == 0) {
                e->eax = c->level_func7;
                e->ebx = c->features[FEAT_7_0_EBX];
                e->ecx = c->features[FEAT_7_0_ECX];
                e->edx = c->features[FEAT_7_0_EDX];
            } else if (i == 1) {
                e->eax = c->features[FEAT_7_1_EAX];
            }
        }
        break;
    case 0xA:
        if (c->pmu) {
            cpuid_copy_host(c, out, 0xA);
        } else {
            cpuid_add(out, 0xA, 0, false);
        }
        break;
    case 0xB:
        cpuid_topology(c, out, leaf);
        break;
    case 0x1F:
        break;      /* like QEMU with one die: 0xB says it all */
    case 0xD:
        cpuid_xsave(c, out);
        break;
    default:
        if (c->def->model->host) {
            cpuid_copy_host(c, out, leaf);
        } else {
            cpuid_add(out, leaf, 0, false);
        }
        break;
    }
}

static void cpuid_kvm_leaves(X86CPUConfig *c, GArray *out)
{
    struct kvm_cpuid_entry2 *e;

    e = cpuid_add(out, 0x40000000, 0, false);
    e->eax = 0x40000001;
    memcpy(&e->ebx, "KVMK", 4);
    memcpy(&e->ecx, "VMKV", 4);
    memcpy(&e->edx, "M\0\0\0", 4);
    e = cpuid_add(out, 0x40000001, 0, false);
    e->eax = c->features[FEAT_KVM];
    e->edx = c->features[FEAT_KVM_HINTS];
}

static void cpuid_ext_leaf(X86CPUConfig *c, GArray *out, uint32_t leaf)
{
    unsigned logical = c->threads * c->cores;
    bool topoext = c->features[FEAT_8000_0001_ECX] & CPUID_EXT3_TOPOEXT;
    struct kvm_cpuid_entry2 *e;

    switch (leaf) {
    case 0x80000000:
        e = cpuid_add(out, leaf, 0, false);
        e->eax = c->xlevel;
        cpuid_set_vendor(c, e);
        break;
    case 0x80000001:
        e = cpuid_add(out, leaf, 0, false);
        e->eax = encode_signature(c->family, c->model, c->stepping);
        e->ecx = c->features[FEAT_8000_0001_ECX];
        e->edx = c->features[FEAT_8000_0001_EDX];
        /* Linux drops the thread information if Intel sets this */
        if (logical > 1 && !vendor_is(c, VENDOR_INTEL)) {
            e->ecx |= CPUID_EXT3_CMP_LEG;
        }
        break;
    case 0x80000002 ... 0x80000004: {
        const char *id = c->model_id + (leaf - 0x80000002) * 16;
        e = cpuid_add(out, leaf, 0, false);
        memcpy(&e->eax, id, 4);
        memcpy(&e->ebx, id + 4, 4);
        memcpy(&e->ecx, id + 8, 4);
        memcpy(&e->edx, id + 12, 4);
        break;
    }
    case 0x80000005:
    case 0x80000006:
        if (c->def->model->host) {
            cpuid_copy_host(c, out, leaf);
        } else {
            /* QEMU's legacy AMD L1 / L2+L3 cache and TLB descriptions */
            static const uint32_t legacy[2][4] = {
                { 0x01ff01ff, 0x01ff01ff, 0x40020140, 0x40020140 },
                { 0x00000000, 0x42004200, 0x02008140, 0x00808140 },
            };
            const uint32_t *r = legacy[leaf - 0x80000005];
            e = cpuid_add(out, leaf, 0, false);
            e->eax = r[0];
            e->ebx = r[1];
            e->ecx = r[2];
            e->edx = r[3];
        }
        break;
    case 0x80000007:
        e = cpuid_add(out, leaf, 0, false);
        e->edx = c->features[FEAT_8000_0007_EDX];
        break;
    case 0x80000008:
        e = cpuid_add(out, leaf, 0, false);
        e->eax = c->phys_bits;
        if (c->features[FEAT_8000_0001_EDX] & CPUID_EXT2_LM) {
            bool la57 = c->features[FEAT_7_0_ECX] & CPUID_7_0_ECX_LA57;
            e->eax |= (la57 ? 57 : 48) << 8;
        }
        e->ebx = c->features[FEAT_8000_0008_EBX];
        if (logical > 1) {
            /* APIC id bits per package, threads per package - 1 */
            e->ecx = c->pkg_shift << 12 | MIN(logical - 1, 0xffu);
        }
        break;
    case 0x8000000A:
        e = cpuid_add(out, leaf, 0, false);
        if (c->features[FEAT_8000_0001_ECX] & CPUID_EXT3_SVM) {
            e->eax = 1;                 /* SVM revision */
            e->ebx = 0x10;              /* number of ASIDs */
            e->edx = c->features[FEAT_SVM];
        }
        break;
    case 0x8000001D:
        cpuid_cache_leaves(c, out, leaf);   /* QEMU: even without topoext */
        break;
    case 0x8000001E:
        if (topoext) {
            /* EAX (APIC id) and the core/node ids come per vCPU */
            e = cpuid_add(out, leaf, 0, false);
            e->ebx = (c->threads - 1) << 8;
        }
        break;
    case 0x8000001F:
        cpuid_add(out, leaf, 0, false);     /* SEV: filled in by SEV setup */
        break;
    default:
        if (c->def->model->host) {
            cpuid_copy_host(c, out, leaf);
        } else {
            cpuid_add(out, leaf, 0, false);
        }
        break;
    }
}

/* IA32_MISC_ENABLE at reset, from the guest's features. */
static uint64_t misc_enable_of(const X86CPUConfig *c)
{
    uint64_t v = MISC_ENABLE_FAST_STRING | MISC_ENABLE_BTS_UNAVAIL;

    v |= c->pmu ? MISC_ENABLE_EMON : 0;
    v |= c->pebs ? 0 : MISC_ENABLE_PEBS_UNAVAIL;
    v |= (c->features[FEAT_1_ECX] & CPUID_EXT_MONITOR) ? MISC_ENABLE_MWAIT : 0;
    return v;
}

static void pmu_config_of(const X86CPUConfig *c, const struct kvm_cpuid2 *cpuid,
                          X86PMUConfig *pmu)
{
    const struct kvm_cpuid_entry2 *a = host_entry(cpuid, 0xA, 0);
    unsigned version = a ? a->eax & 0xff : 0;

    *pmu = (X86PMUConfig){
        .pmu = c->pmu, .pebs = c->pebs,
        .ds = c->features[FEAT_1_EDX] & CPUID_DTS,
        .pdcm = c->features[FEAT_1_ECX] & CPUID_EXT_PDCM,
        .perf_caps = c->perf_caps,
        .misc_enable = misc_enable_of(c),
        .version = c->pmu ? version : 0,
        /* SDM vol. 3B 18.2 "Architectural Performance Monitoring": leaf
         * 0AH EAX[15:8] general counters; EDX[4:0] fixed ones (version 2+) */
        .gp_counters = c->pmu && version ? (a->eax >> 8) & 0xff : 0,
        .fixed_counters = c->pmu && version > 1 ? a->edx & 0x1f : 0,
    };
}

struct kvm_cpuid2 *x86_cpu_build(const X86CPUDef *def,
                                 const X86HostCaps *caps,
                                 const X86CPUTopo *topo,
                                 GPtrArray *warnings, X86PMUConfig *pmu,
                                 GError **errp)
{
    X86CPUConfig c = {
        .def = def, .caps = caps, .host = caps->cpuid, .warnings = warnings,
        .threads = topo ? MAX(topo->threads, 1u) : 1,
        .cores = topo ? MAX(topo->cores, 1u) : 1,
    };
    g_autoptr(GArray) out = g_array_new(FALSE, TRUE,
                                        sizeof(struct kvm_cpuid_entry2));
    struct kvm_cpuid2 *cpuid;

    c.smt_bits = bits_for(c.threads);
    c.pkg_shift = c.smt_bits + bits_for(c.cores);
    cpu_resolve_identity(&c);
    cpu_expand_features(&c);
    cpu_adjust_levels(&c);
    cpu_filter_features(&c);
    pmu_resolve(&c);
    if (c.filtered && def->enforce) {
        error_setg(errp, "Host doesn't support requested features");
        return NULL;
    }

    /* a silly level=0xffffffff must not emit (or loop) forever */
    for (uint32_t leaf = 0; leaf <= MIN(c.level, MAX_LEAVES - 1); leaf++) {
        cpuid_basic_leaf(&c, out, leaf);
    }
    cpuid_kvm_leaves(&c, out);
    for (uint32_t leaf = 0x80000000;
         leaf <= MIN(c.xlevel, 0x80000000 + MAX_LEAVES - 1); leaf++) {
        cpuid_ext_leaf(&c, out, leaf);
    }

    /* like QEMU, leave out the all-zero leaves (the guest reads zeros) */
    for (guint i = out->len; i-- > 0;) {
        struct kvm_cpuid_entry2 *e =
            &g_array_index(out, struct kvm_cpuid_entry2, i);
        if (!(e->eax | e->ebx | e->ecx | e->edx) &&
            !(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
            e->function != 0x8000001E) {    /* per-vCPU values go there */
            g_array_remove_index(out, i);
        }
    }

    /* flexible array member: header plus out->len entries */
    cpuid = QEMU_FLEX_NEW0(struct kvm_cpuid2, entries, out->len);
    cpuid->nent = out->len;
    memcpy(cpuid->entries, out->data, out->len * sizeof(cpuid->entries[0]));
    if (pmu) {
        pmu_config_of(&c, cpuid, pmu);
    }
    return cpuid;
}

X86HostCaps x86_host_caps_from_cpuid(const struct kvm_cpuid2 *cpuid)
{
    const struct kvm_cpuid_entry2 *a = host_entry(cpuid, 0xA, 0);

    return (X86HostCaps){
        .cpuid = (struct kvm_cpuid2 *)cpuid,
        /* KVM zeroes leaf 0xA without enable_pmu (Linux cpuid.c, case 0xa) */
        .pmu = a && (a->eax & 0xff),
        .has_perf_caps = host_reg(cpuid, 1, 0, R_ECX) & CPUID_EXT_PDCM,
    };
}

void x86_host_caps_clear(X86HostCaps *caps)
{
    g_clear_pointer(&caps->cpuid, g_free);
    g_clear_pointer(&caps->msrs, g_free);
}

bool x86_host_has_msr(const X86HostCaps *caps, uint32_t index)
{
    for (uint32_t i = 0; caps->msrs && i < caps->msrs->nmsrs; i++) {
        if (caps->msrs->indices[i] == index) {
            return true;
        }
    }
    return false;
}

struct kvm_cpuid2 *x86_cpu_build_cpuid_quiet(const X86CPUDef *def,
                                             const struct kvm_cpuid2 *host,
                                             const X86CPUTopo *topo,
                                             GPtrArray *warnings,
                                             GError **errp)
{
    X86HostCaps caps = x86_host_caps_from_cpuid(host);

    return x86_cpu_build(def, &caps, topo, warnings, NULL, errp);
}

struct kvm_cpuid2 *x86_cpu_build_cpuid(const X86CPUDef *def,
                                       const struct kvm_cpuid2 *host,
                                       const X86CPUTopo *topo,
                                       GError **errp)
{
    return x86_cpu_build_cpuid_quiet(def, host, topo, NULL, errp);
}

struct kvm_cpuid_entry2 *x86_cpuid_find(struct kvm_cpuid2 *cpuid,
                                        uint32_t function, uint32_t index)
{
    return (struct kvm_cpuid_entry2 *)host_entry(cpuid, function, index);
}

void x86_cpuid_set_entry(struct kvm_cpuid2 **cpuid,
                         const struct kvm_cpuid_entry2 *entry)
{
    struct kvm_cpuid_entry2 *e = x86_cpuid_find(*cpuid, entry->function,
                                                entry->index);
    struct kvm_cpuid_entry2 *range;

    if (!e) {
        uint32_t n = (*cpuid)->nent + 1;
        struct kvm_cpuid2 *grown = QEMU_FLEX_NEW0(struct kvm_cpuid2, entries, n);

        memcpy(grown->entries, (*cpuid)->entries, (n - 1) * sizeof(*e));
        g_free(*cpuid);
        *cpuid = grown;
        (*cpuid)->nent = n;
        e = &(*cpuid)->entries[n - 1];
    }
    *e = *entry;
    /* make the new leaf reachable: raise the range's maximum leaf */
    range = x86_cpuid_find(*cpuid, entry->function & 0xffff0000, 0);
    if (range && range != e && range->eax < entry->function) {
        range->eax = entry->function;
    }
}

uint32_t x86_topo_apic_id(const X86CPUTopo *topo, unsigned cpu_index)
{
    unsigned threads = MAX(topo->threads, 1u), cores = MAX(topo->cores, 1u);
    unsigned smt_bits = bits_for(threads);
    unsigned pkg_shift = smt_bits + bits_for(cores);
    unsigned thread = cpu_index % threads;
    unsigned core = (cpu_index / threads) % cores;
    unsigned socket = cpu_index / (threads * cores);

    return socket << pkg_shift | core << smt_bits | thread;
}

void x86_cpuid_set_apic_id(struct kvm_cpuid2 *cpuid, uint32_t apic_id)
{
    struct kvm_cpuid_entry2 *ext1 = x86_cpuid_find(cpuid, 0x80000001, 0);
    struct kvm_cpuid_entry2 *topo = x86_cpuid_find(cpuid, 0xB, 1);
    unsigned pkg_shift = topo ? topo->eax & 0x1f : 0;

    for (uint32_t i = 0; i < cpuid->nent; i++) {
        struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

        switch (e->function) {
        case 1:
            e->ebx = (e->ebx & 0x00ffffff) | apic_id << 24;
            break;
        case 0xB:
        case 0x1F:
            e->edx = apic_id;
            break;
        case 0x8000001E:
            if (ext1 && (ext1->ecx & CPUID_EXT3_TOPOEXT)) {
                unsigned smt_bits = bits_for(((e->ebx >> 8) & 0xff) + 1);
                e->eax = apic_id;
                e->ebx = (e->ebx & 0xff00) | ((apic_id >> smt_bits) & 0xff);
                e->ecx = topo ? (apic_id >> pkg_shift) & 0xff : 0;  /* node */
            }
            break;
        default:
            break;
        }
    }
}

void x86_cpu_foreach_feature(struct kvm_cpuid2 *cpuid, const X86PMUConfig *pmu,
                             void (*fn)(const char *name, bool on,
                                        void *opaque),
                             void *opaque)
{
    for (int w = 0; w < FEATURE_WORDS; w++) {
        const FeatureWordInfo *fi = &feature_word_info[w];
        struct kvm_cpuid_entry2 *e =
            fi->msr ? NULL : x86_cpuid_find(cpuid, fi->leaf, fi->subleaf);
        uint32_t v = fi->msr ? (pmu->pdcm ? (uint32_t)pmu->perf_caps : 0)
                   : e ? entry_reg(e, fi->reg) : 0;

        for (int bit = 0; bit < 32; bit++) {
            /* "kvmclock" names two bits: report it once, on if either is */
            if (fi->names[bit] && !(w == FEAT_KVM && bit == 3)) {
                bool on = v & BIT(bit);
                if (w == FEAT_KVM && bit == 0) {
                    on |= !!(v & BIT(3));
                }
                fn(fi->names[bit], on, opaque);
            }
        }
    }
}

/* ---- -cpu help ---- */

static gint cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

GStrv x86_cpu_model_names(void)
{
    GStrv names = g_new0(char *, G_N_ELEMENTS(x86_cpu_models) + 1);

    for (size_t i = 0; i < G_N_ELEMENTS(x86_cpu_models); i++) {
        names[i] = g_strdup(x86_cpu_models[i].name);
    }
    return names;
}

void x86_cpu_list(FILE *f)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    size_t len = 0;

    fprintf(f, "Available CPUs:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(x86_cpu_models); i++) {
        fprintf(f, "x86 %-20s  %s\n", x86_cpu_models[i].name,
                x86_cpu_models[i].model_id);
    }
    for (int w = 0; w < FEATURE_WORDS; w++) {
        for (int bit = 0; bit < 32; bit++) {
            const char *name = feature_word_info[w].names[bit];
            if (name) {
                g_ptr_array_add(names, (gpointer)name);
            }
        }
    }
    g_ptr_array_sort(names, cmp_names);
    fprintf(f, "\nRecognized CPUID flags:\n");
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        if (len + strlen(name) + 1 >= 75) {
            fputc('\n', f);
            len = 0;
        }
        fprintf(f, "%s%s", len ? " " : "  ", name);
        len += strlen(name) + 1;
    }
    fputc('\n', f);
}
