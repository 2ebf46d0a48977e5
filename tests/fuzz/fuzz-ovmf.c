/*
 * The OVMF footer table (target/i386/sev/ovmf.c) and the SEV-ES reset
 * block, hashes and secret areas found through it.  The input is the
 * tail of a firmware image; it is placed at the end of a 4 KiB-or-larger
 * image (the parser reads from the end).
 */
#include "fuzz.h"
#include "target/i386/sev/sev-measure.h"

#include <glib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len = MAX(size, (size_t)OVMF_MIN_SIZE);
    g_autofree uint8_t *fw = g_malloc0(len);
    g_autoptr(OvmfTable) t = NULL;
    uint32_t a, s;

    memcpy(fw + len - size, data, size);
    t = ovmf_table_parse(fw, len, NULL);
    if (t) {
        g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
        ovmf_sev_es_reset_addr(t, &a, &e1);
        ovmf_sev_hashes_area(t, &a, &s, &e2);
        ovmf_sev_secret_area(t, &a, &s, &e3);
    }
    return 0;
}
