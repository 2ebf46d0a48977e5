/*
 * qkvm-sev-measure: predict the launch digest (GCTX.LD) of an SEV or
 * SEV-ES guest, with sev-snp-measure's command line and output for
 * --mode sev and --mode seves.  Optionally check a LAUNCH_MEASURE
 * measurement (query-sev-launch-measure) against the prediction.
 */
#include "target/i386/sev/sev-measure.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct MeasureOpts {
    char *mode, *vcpus, *vcpu_type, *vcpu_sig;
    char *vcpu_family, *vcpu_model, *vcpu_stepping;
    char *vmm_type, *ovmf, *kernel, *initrd, *append, *output_format;
    gboolean verbose, version, show_table, legacy_vm_type;
    /* qkvm extension: check a measurement */
    char *launch_measure, *tik, *policy, *api_major, *api_minor, *build_id;
} MeasureOpts;

static MeasureOpts o;

static GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, &o.version,
      "Print the version and exit", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose,
      "Say what is printed", NULL },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &o.mode,
      "Guest mode (sev, seves)", "MODE" },
    { "vcpus", 0, 0, G_OPTION_ARG_STRING, &o.vcpus,
      "Number of guest vCPUs", "N" },
    { "vcpu-type", 0, 0, G_OPTION_ARG_STRING, &o.vcpu_type,
      "Type of guest vCPU (EPYC, EPYC-v4, EPYC-Rome, EPYC-Milan, ...)",
      "CPUTYPE" },
    { "vcpu-sig", 0, 0, G_OPTION_ARG_STRING, &o.vcpu_sig,
      "Guest vCPU signature value", "VALUE" },
    { "vcpu-family", 0, 0, G_OPTION_ARG_STRING, &o.vcpu_family,
      "Guest vCPU family", "FAMILY" },
    { "vcpu-model", 0, 0, G_OPTION_ARG_STRING, &o.vcpu_model,
      "Guest vCPU model", "MODEL" },
    { "vcpu-stepping", 0, 0, G_OPTION_ARG_STRING, &o.vcpu_stepping,
      "Guest vCPU stepping", "STEPPING" },
    { "vmm-type", 0, 0, G_OPTION_ARG_STRING, &o.vmm_type,
      "Type of guest VMM (QEMU, ec2)", "VMMTYPE" },
    { "ovmf", 0, 0, G_OPTION_ARG_FILENAME, &o.ovmf,
      "OVMF file to calculate hash from", "PATH" },
    { "kernel", 0, 0, G_OPTION_ARG_FILENAME, &o.kernel,
      "Kernel file to calculate hash from", "PATH" },
    { "initrd", 0, 0, G_OPTION_ARG_FILENAME, &o.initrd,
      "Initrd file to calculate hash from (use with --kernel)", "PATH" },
    { "append", 0, 0, G_OPTION_ARG_STRING, &o.append,
      "Kernel command line to calculate hash from (use with --kernel)",
      "CMDLINE" },
    { "output-format", 0, 0, G_OPTION_ARG_STRING, &o.output_format,
      "Measurement output format (hex, base64)", "FORMAT" },
    { "legacy-vm-type", 0, 0, G_OPTION_ARG_NONE, &o.legacy_vm_type,
      "qkvm: the VMM used KVM_SEV_ES_INIT (legacy VM type): FCW and MXCSR "
      "zero in the VMSAs", NULL },
    { "show-table", 0, 0, G_OPTION_ARG_NONE, &o.show_table,
      "qkvm: list the firmware's OVMF table entries and exit", NULL },
    { "launch-measure", 0, 0, G_OPTION_ARG_STRING, &o.launch_measure,
      "qkvm: check this query-sev-launch-measure data (base64)", "DATA" },
    { "tik", 0, 0, G_OPTION_ARG_FILENAME, &o.tik,
      "qkvm: file holding the 16-byte TIK (with --launch-measure)", "PATH" },
    { "policy", 0, 0, G_OPTION_ARG_STRING, &o.policy,
      "qkvm: guest policy (query-sev; with --launch-measure)", "N" },
    { "api-major", 0, 0, G_OPTION_ARG_STRING, &o.api_major,
      "qkvm: SEV API major version (query-sev)", "N" },
    { "api-minor", 0, 0, G_OPTION_ARG_STRING, &o.api_minor,
      "qkvm: SEV API minor version (query-sev)", "N" },
    { "build-id", 0, 0, G_OPTION_ARG_STRING, &o.build_id,
      "qkvm: SEV firmware build id (query-sev)", "N" },
    { NULL }
};

/* Python's int(s, 0) for the forms people write: 0x.., 0o.., 0b.., N */
static bool parse_auto(const char *opt, const char *s, uint64_t max,
                       uint64_t *val)
{
    const char *digits = s;
    unsigned base = 10;
    guint64 v;

    if (s[0] == '0' && s[1] && strchr("xXoObB", s[1])) {
        base = strchr("xX", s[1]) ? 16 : strchr("oO", s[1]) ? 8 : 2;
        digits += 2;
    }
    if (!g_ascii_string_to_unsigned(digits, base, 0, max, &v, NULL)) {
        error_report("%s: invalid value '%s'", opt, s);
        return false;
    }
    *val = v;
    return true;
}

static bool parse_dec(const char *opt, const char *s, uint64_t max,
                      uint64_t *val)
{
    guint64 v;

    if (!g_ascii_string_to_unsigned(s, 10, 0, max, &v, NULL)) {
        error_report("%s: invalid value '%s'", opt, s);
        return false;
    }
    *val = v;
    return true;
}

/* sev-snp-measure's precedence: family/model/stepping, sig, type. */
static bool get_vcpu_sig(SevVmmType vmm, uint32_t *sig)
{
    uint64_t f, m, s, v;

    if (o.vcpu_family) {
        if (!o.vcpu_model || !o.vcpu_stepping) {
            error_report("--vcpu-family needs --vcpu-model and "
                         "--vcpu-stepping");
            return false;
        }
        if (!parse_dec("--vcpu-family", o.vcpu_family, 0x10e, &f) ||
            !parse_dec("--vcpu-model", o.vcpu_model, 0xff, &m) ||
            !parse_dec("--vcpu-stepping", o.vcpu_stepping, 0xf, &s)) {
            return false;
        }
        *sig = sev_cpu_sig(f, m, s);
    } else if (o.vcpu_sig) {
        if (!parse_auto("--vcpu-sig", o.vcpu_sig, UINT32_MAX, &v)) {
            return false;
        }
        *sig = v;
    } else if (o.vcpu_type) {
        if (!sev_cpu_sig_from_type(o.vcpu_type, sig)) {
            g_autoptr(GString) names = g_string_new(NULL);

            for (unsigned i = 0; sev_cpu_type_name(i); i++) {
                g_string_append_printf(names, "%s%s", i ? ", " : "",
                                       sev_cpu_type_name(i));
            }
            error_report("--vcpu-type: invalid choice '%s' (choose from %s)",
                         o.vcpu_type, names->str);
            return false;
        }
    } else if (vmm != SEV_VMM_EC2) {
        error_report("missing --vcpu-type or --vcpu-sig or --vcpu-family "
                     "in guest mode '%s'", o.mode);
        return false;
    } else {
        *sig = 0;
    }
    return true;
}

static bool get_mode(SevMode *mode)
{
    if (!o.mode) {
        error_report("the following arguments are required: --mode");
        return false;
    }
    if (!strcmp(o.mode, "sev")) {
        *mode = SEV_MODE_SEV;
    } else if (!strcmp(o.mode, "seves")) {
        *mode = SEV_MODE_SEV_ES;
    } else if (g_str_has_prefix(o.mode, "snp")) {
        error_report("--mode %s: SEV-SNP is not supported (sev, seves)",
                     o.mode);
        return false;
    } else {
        error_report("--mode: invalid choice '%s' (choose from 'sev', "
                     "'seves')", o.mode);
        return false;
    }
    return true;
}

static bool get_vmm(SevVmmType *vmm)
{
    if (!o.vmm_type || !strcmp(o.vmm_type, "QEMU")) {
        *vmm = o.legacy_vm_type ? SEV_VMM_QEMU_LEGACY_VM : SEV_VMM_QEMU;
    } else if (o.legacy_vm_type) {
        error_report("--legacy-vm-type applies to --vmm-type QEMU only");
        return false;
    } else if (!strcmp(o.vmm_type, "ec2")) {
        *vmm = SEV_VMM_EC2;
    } else {
        error_report("unknown VMM type '%s'", o.vmm_type);
        return false;
    }
    return true;
}

/* Everything but the firmware: mode, vCPUs, signature, files given. */
static bool get_params(SevLaunchParams *p)
{
    uint64_t n;

    if (!get_mode(&p->mode) || !get_vmm(&p->vmm)) {
        return false;
    }
    if (!o.ovmf) {
        error_report("the following arguments are required: --ovmf");
        return false;
    }
    if (o.initrd && !o.kernel) {
        error_report("--kernel required when using --initrd");
        return false;
    }
    if (o.append && !o.kernel) {
        error_report("--kernel required when using --append");
        return false;
    }
    if (p->mode == SEV_MODE_SEV) {
        return true;            /* no VMSAs: vCPUs do not matter */
    }
    if (!o.vcpus) {
        error_report("missing --vcpus N in guest mode '%s'", o.mode);
        return false;
    }
    if (!parse_dec("--vcpus", o.vcpus, 4096, &n)) {
        return false;
    }
    if (!n) {
        error_report("--vcpus: a guest has at least one vCPU");
        return false;
    }
    p->vcpus = n;
    return get_vcpu_sig(p->vmm, &p->vcpu_sig);
}

static bool read_tik(uint8_t tik[SEV_TIK_SIZE])
{
    g_autofree char *data = NULL;
    g_autoptr(GError) err = NULL;
    size_t len;

    if (!qemu_read_file("TIK", o.tik, &data, &len, &err)) {
        error_report("%s", err->message);
        return false;
    }
    if (len != SEV_TIK_SIZE) {
        error_report("%s: a TIK is %d bytes, the file has %zu", o.tik,
                     SEV_TIK_SIZE, len);
        return false;
    }
    memcpy(tik, data, SEV_TIK_SIZE);
    return true;
}

static bool get_measure_info(SevMeasureInfo *info)
{
    uint64_t v[4];

    if (!o.tik || !o.policy || !o.api_major || !o.api_minor || !o.build_id) {
        error_report("--launch-measure needs --tik, --policy, --api-major, "
                     "--api-minor and --build-id");
        return false;
    }
    if (!parse_auto("--policy", o.policy, UINT32_MAX, &v[0]) ||
        !parse_dec("--api-major", o.api_major, 0xff, &v[1]) ||
        !parse_dec("--api-minor", o.api_minor, 0xff, &v[2]) ||
        !parse_dec("--build-id", o.build_id, 0xff, &v[3])) {
        return false;
    }
    *info = (SevMeasureInfo) {
        .policy = v[0], .api_major = v[1], .api_minor = v[2], .build = v[3],
    };
    return true;
}

/* MEASURE || MNONCE from the firmware against HMAC over our digest. */
static bool check_measurement(const uint8_t ld[SEV_DIGEST_SIZE])
{
    g_autofree guchar *buf = NULL;
    uint8_t tik[SEV_TIK_SIZE], expect[SEV_DIGEST_SIZE];
    SevMeasureInfo info;
    gsize len;

    if (!get_measure_info(&info) || !read_tik(tik)) {
        return false;
    }
    buf = g_base64_decode(o.launch_measure, &len);
    if (len != SEV_MEASURE_BUF_SIZE) {
        error_report("--launch-measure: expected %d bytes of base64 data "
                     "(MEASURE || MNONCE), got %zu", SEV_MEASURE_BUF_SIZE,
                     (size_t)len);
        return false;
    }
    sev_launch_measure(tik, &info, ld, buf + SEV_DIGEST_SIZE, expect);
    if (memcmp(expect, buf, SEV_DIGEST_SIZE)) {
        error_report("launch measurement does not match the predicted "
                     "launch digest");
        return false;
    }
    return true;
}

static char *format_digest(const uint8_t ld[SEV_DIGEST_SIZE])
{
    GString *s;

    if (o.output_format && !strcmp(o.output_format, "base64")) {
        return g_base64_encode(ld, SEV_DIGEST_SIZE);
    }
    s = g_string_new(NULL);
    for (unsigned i = 0; i < SEV_DIGEST_SIZE; i++) {
        g_string_append_printf(s, "%02x", ld[i]);
    }
    return g_string_free(s, FALSE);
}

/* --show-table: one line per entry, GUID and data in hex */
static bool show_table(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(OvmfTable) t = NULL;
    g_autofree char *fw = NULL;
    size_t size;

    if (!o.ovmf) {
        error_report("the following arguments are required: --ovmf");
        return false;
    }
    if (!qemu_read_file("firmware", o.ovmf, &fw, &size, &err)) {
        error_report("%s", err->message);
        return false;
    }
    t = ovmf_table_parse((const uint8_t *)fw, size, &err);
    if (!t) {
        error_report("%s: %s", o.ovmf, err->message);
        return false;
    }
    for (size_t i = 0; i < t->nr; i++) {
        g_autofree char *id = sev_guid_to_string(&t->entries[i].guid);

        printf("%s ", id);
        for (size_t j = 0; j < t->entries[i].len; j++) {
            printf("%02x", t->entries[i].data[j]);
        }
        printf("\n");
    }
    return true;
}

static bool compute(SevLaunchParams *p, uint8_t ld[SEV_DIGEST_SIZE])
{
    g_autoptr(GError) err = NULL;
    g_autofree char *fw = NULL;
    SevKernelHashes hashes;

    if (!qemu_read_file("firmware", o.ovmf, &fw, &p->fw_size, &err)) {
        error_report("%s", err->message);
        return false;
    }
    p->fw = (const uint8_t *)fw;
    if (o.kernel) {
        if (!sev_kernel_hashes_from_files(&hashes, o.kernel, o.initrd,
                                          o.append, &err)) {
            error_report("%s", err->message);
            return false;
        }
        p->hashes = &hashes;
    }
    if (!sev_calc_launch_digest(p, ld, &err)) {
        error_report("%s: %s", o.ovmf, err->message);
        return false;
    }
    return true;
}

static bool parse_args(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GError) err = NULL;

    g_option_context_set_summary(ctx, "Calculate AMD SEV/SEV-ES guest "
                                 "launch measurement (launch digest)");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        error_report("%s", err->message);
        return false;
    }
    if (argc > 1) {
        error_report("unrecognized arguments: %s", argv[1]);
        return false;
    }
    if (o.output_format && strcmp(o.output_format, "hex") &&
        strcmp(o.output_format, "base64")) {
        error_report("--output-format: invalid choice '%s' (choose from "
                     "'hex', 'base64')", o.output_format);
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    SevLaunchParams p = { 0 };
    uint8_t ld[SEV_DIGEST_SIZE];
    g_autofree char *out = NULL;

    error_set_progname(argv[0]);
    if (!parse_args(argc, argv)) {
        return 1;
    }
    if (o.version) {
        printf("qkvm-sev-measure %s\n", QKVM_VERSION);
        return 0;
    }
    if (o.show_table) {
        return show_table() ? 0 : 1;
    }
    if (!get_params(&p) || !compute(&p, ld)) {
        return 1;
    }
    out = format_digest(ld);
    if (o.verbose) {
        printf("Calculated %s guest measurement: %s\n",
               p.mode == SEV_MODE_SEV ? "SEV" : "SEV_ES", out);
    } else {
        printf("%s\n", out);
    }
    if (o.launch_measure) {
        if (!check_measurement(ld)) {
            return 1;
        }
        if (o.verbose) {
            printf("Launch measurement matches\n");
        }
    }
    return 0;
}
