/*
 * Initial stack: strings, AT_RANDOM bytes, auxv, envp, argv, argc.
 */
#include "user/stack.h"
#include "user/mmap.h"
#include "qemu/error-report.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

bool stack_map(GuestMem *m, uint64_t size, GError **errp)
{
    uint64_t base;
    int64_t r;

    size = TARGET_PAGE_ALIGN(size);
    if (size < 16 * TARGET_PAGE_SIZE || size > m->size / 4) {
        error_setg(errp, "stack size %" G_GUINT64_FORMAT " KiB does not fit "
                   "the guest address space", size >> 10);
        return false;
    }
    base = m->size - size;
    r = target_mmap(m, base, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (r < 0) {
        error_setg(errp, "cannot map the stack: %s", g_strerror(-r));
        return false;
    }
    m->stack_base = base;
    m->stack_top = m->size;
    m->mmap_top = base - TARGET_STACK_GAP;
    return true;
}

/* Top-down writer into the freshly mapped (so directly writable) stack. */
typedef struct StackWriter {
    GuestMem *m;
    uint64_t p;
} StackWriter;

static uint64_t push_bytes(StackWriter *w, const void *data, size_t len)
{
    w->p -= len;
    memcpy(w->m->base + w->p, data, len);
    return w->p;
}

static uint64_t push_str(StackWriter *w, const char *s)
{
    return push_bytes(w, s, strlen(s) + 1);
}

static size_t strv_bytes(char **v)
{
    size_t n = 0;

    for (; *v; v++) {
        n += strlen(*v) + 1;
    }
    return n;
}

/*
 * The kernel's own value for us (not getauxval's: glibc reports its own
 * AT_HWCAP on x86), or 0.
 */
static uint64_t host_auxval(uint64_t type)
{
    static uint64_t *auxv;
    static size_t n;

    if (!auxv) {
        gchar *data = NULL;
        gsize len = 0;

        g_file_get_contents("/proc/self/auxv", &data, &len, NULL);
        auxv = (uint64_t *)(data ? data : g_malloc0(16));
        n = data ? len / 16 : 0;
    }
    for (size_t i = 0; i < n && auxv[2 * i] != AT_NULL; i++) {
        if (auxv[2 * i] == type) {
            return auxv[2 * i + 1];
        }
    }
    return 0;
}

/* The pairs, in the kernel's order; host values where they are host facts. */
static size_t fill_auxv(uint64_t *av, const ImageInfo *img, uint64_t random,
                        uint64_t platform, uint64_t execfn)
{
    size_t n = 0;
#define AUX(type, val) do { av[n++] = (type); av[n++] = (val); } while (0)
    if (host_auxval(AT_MINSIGSTKSZ)) {
        AUX(AT_MINSIGSTKSZ, host_auxval(AT_MINSIGSTKSZ));
    }
    AUX(AT_HWCAP, host_auxval(AT_HWCAP));
    AUX(AT_PAGESZ, TARGET_PAGE_SIZE);
    AUX(AT_CLKTCK, host_auxval(AT_CLKTCK) ?: (uint64_t)sysconf(_SC_CLK_TCK));
    AUX(AT_PHDR, img->phdr);
    AUX(AT_PHENT, img->phent);
    AUX(AT_PHNUM, img->phnum);
    AUX(AT_BASE, img->interp_base);
    AUX(AT_FLAGS, 0);
    AUX(AT_ENTRY, img->prog_entry);
    AUX(AT_UID, getuid());
    AUX(AT_EUID, geteuid());
    AUX(AT_GID, getgid());
    AUX(AT_EGID, getegid());
    AUX(AT_SECURE, 0);
    AUX(AT_RANDOM, random);
    AUX(AT_HWCAP2, host_auxval(AT_HWCAP2));
    AUX(AT_EXECFN, execfn);
    AUX(AT_PLATFORM, platform);
    AUX(AT_NULL, 0);
#undef AUX
    return n;
}

#define AUXV_MAX_WORDS 64

bool stack_build(GuestMem *m, const ImageInfo *img, const StackArgs *args,
                 uint64_t *sp, GError **errp)
{
    StackWriter w = { m, m->stack_top };
    size_t argc = g_strv_length(args->argv), envc = g_strv_length(args->envp);
    g_autofree uint64_t *argp = g_new(uint64_t, argc + 1);
    g_autofree uint64_t *envp = g_new(uint64_t, envc + 1);
    uint64_t auxv[AUXV_MAX_WORDS], execfn, platform, random, zero = 0;
    const char *plat = (const char *)(uintptr_t)host_auxval(AT_PLATFORM);
    size_t nauxv, words;

    /* Linux's limit: argument and environment strings <= stack / 4 */
    if (strv_bytes(args->argv) + strv_bytes(args->envp) +
        strlen(args->execfn) + 8 * (argc + envc) >
        (m->stack_top - m->stack_base) / 4) {
        error_setg(errp, "%s", g_strerror(E2BIG));
        return false;
    }
    push_bytes(&w, &zero, sizeof(zero));    /* end marker */
    execfn = push_str(&w, args->execfn);
    for (size_t i = envc; i-- > 0;) {
        envp[i] = push_str(&w, args->envp[i]);
    }
    for (size_t i = argc; i-- > 0;) {
        argp[i] = push_str(&w, args->argv[i]);
    }
    platform = push_str(&w, plat ? plat : "x86_64");
    random = push_bytes(&w, args->random, 16);
    nauxv = fill_auxv(auxv, img, random, platform, execfn);

    /* argc + argv + NULL + envp + NULL + auxv, with sp 16-byte aligned */
    words = 1 + argc + 1 + envc + 1 + nauxv;
    w.p = (w.p - words * 8) & ~15ULL;
    *sp = w.p;
    argp[argc] = envp[envc] = 0;
    memcpy(m->base + w.p, &(uint64_t){ argc }, 8);
    memcpy(m->base + w.p + 8, argp, (argc + 1) * 8);
    memcpy(m->base + w.p + 8 * (argc + 2), envp, (envc + 1) * 8);
    memcpy(m->base + w.p + 8 * (argc + envc + 3), auxv, nauxv * 8);
    return true;
}
