/*
 * ELF loader.  Everything read from the file is checked before use: a
 * bad file is a one-line error, never a crash.
 */
#include "user/elfload.h"
#include "user/mmap.h"
#include "qemu/error-report.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* More program headers than any real program has; bounds our reads. */
#define ELF_MAX_PHNUM 512

typedef struct ElfFile {
    int fd;
    const char *path;
    Elf64_Ehdr ehdr;
    Elf64_Phdr *phdr;       /* ehdr.e_phnum entries */
    uint64_t lo, hi;        /* page-aligned span of the PT_LOAD segments */
} ElfFile;

static bool read_exact(ElfFile *f, void *buf, size_t len, uint64_t off,
                       GError **errp)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = pread(f->fd, (char *)buf + done, len - done, off + done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            error_setg_errno(errp, errno, "read error");
            return false;
        }
        if (n == 0) {
            error_setg(errp, "ELF file is truncated");
            return false;
        }
        done += n;
    }
    return true;
}

static bool check_ehdr(const Elf64_Ehdr *e, GError **errp)
{
    if (memcmp(e->e_ident, ELFMAG, SELFMAG) != 0) {
        error_setg(errp, "%s", g_strerror(ENOEXEC));
        return false;
    }
    if (e->e_ident[EI_CLASS] != ELFCLASS64 ||
        e->e_ident[EI_DATA] != ELFDATA2LSB || e->e_machine != EM_X86_64) {
        error_setg(errp, "Invalid ELF image for this architecture");
        return false;
    }
    if (e->e_type != ET_EXEC && e->e_type != ET_DYN) {
        error_setg(errp, "not an executable ELF file (e_type %u)", e->e_type);
        return false;
    }
    if (e->e_phentsize != sizeof(Elf64_Phdr) || e->e_phnum == 0 ||
        e->e_phnum > ELF_MAX_PHNUM) {
        error_setg(errp, "bad ELF program header table");
        return false;
    }
    return true;
}

/* The segments' span; every size and address checked for overflow. */
static bool check_segments(ElfFile *f, uint64_t file_size, GError **errp)
{
    bool any = false;

    f->lo = UINT64_MAX;
    f->hi = 0;
    for (int i = 0; i < f->ehdr.e_phnum; i++) {
        const Elf64_Phdr *p = &f->phdr[i];

        if (p->p_type != PT_LOAD) {
            continue;
        }
        if (p->p_filesz > p->p_memsz ||
            p->p_offset > file_size || p->p_filesz > file_size - p->p_offset) {
            error_setg(errp, "ELF file is truncated");
            return false;
        }
        if (p->p_vaddr + p->p_memsz < p->p_vaddr ||
            p->p_vaddr + p->p_memsz > (1ULL << 47)) {
            error_setg(errp, "ELF segment %d is outside the address space", i);
            return false;
        }
        f->lo = MIN(f->lo, p->p_vaddr & TARGET_PAGE_MASK);
        f->hi = MAX(f->hi, TARGET_PAGE_ALIGN(p->p_vaddr + p->p_memsz));
        any = true;
    }
    if (!any) {
        error_setg(errp, "ELF file has no loadable segment");
        return false;
    }
    return true;
}

static bool elf_open(ElfFile *f, const char *path, GError **errp)
{
    struct stat st;
    size_t phsize;

    memset(f, 0, sizeof(*f));
    f->path = path;
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) {
        error_setg(errp, "%s", g_strerror(errno));
        return false;
    }
    if (fstat(f->fd, &st) < 0) {
        error_setg(errp, "%s", g_strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        error_setg(errp, "%s",
                   g_strerror(S_ISDIR(st.st_mode) ? EISDIR : EACCES));
        return false;
    }
    if ((size_t)st.st_size < sizeof(f->ehdr)) {
        error_setg(errp, "%s", g_strerror(ENOEXEC));
        return false;
    }
    if (!read_exact(f, &f->ehdr, sizeof(f->ehdr), 0, errp) ||
        !check_ehdr(&f->ehdr, errp)) {
        return false;
    }
    phsize = (size_t)f->ehdr.e_phnum * sizeof(Elf64_Phdr);
    if (f->ehdr.e_phoff > (uint64_t)st.st_size ||
        phsize > (uint64_t)st.st_size - f->ehdr.e_phoff) {
        error_setg(errp, "ELF file is truncated");
        return false;
    }
    f->phdr = g_new(Elf64_Phdr, f->ehdr.e_phnum);
    return read_exact(f, f->phdr, phsize, f->ehdr.e_phoff, errp) &&
           check_segments(f, st.st_size, errp);
}

static void elf_close(ElfFile *f)
{
    if (f->fd >= 0) {
        close(f->fd);
    }
    g_free(f->phdr);
}

static int seg_prot(uint32_t flags)
{
    return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
           (flags & PF_X ? PROT_EXEC : 0);
}

/*
 * Choose the load bias: none for ET_EXEC (which must fit the window),
 * else ELF_ET_DYN_BASE (or a quarter of a small window) if free, else the
 * highest free range.
 */
static bool choose_bias(GuestMem *m, ElfFile *f, uint64_t *bias,
                        GError **errp)
{
    uint64_t span = f->hi - f->lo, base;

    if (f->ehdr.e_type == ET_EXEC) {
        if (f->lo < GUEST_MMAP_MIN_ADDR || !guest_range(m, f->lo, span) ||
            guest_vma_overlaps(m, f->lo, f->hi)) {
            error_setg(errp, "program is linked at 0x%" G_GINT64_MODIFIER
                       "x-0x%" G_GINT64_MODIFIER "x, outside the %"
                       G_GUINT64_FORMAT " MiB guest address space (see -R)",
                       f->lo, f->hi, m->size >> 20);
            return false;
        }
        *bias = 0;
        return true;
    }
    /* small windows (-R): a quarter of the way up leaves room for brk */
    base = MIN(ELF_ET_DYN_BASE, (m->size / 4) & TARGET_PAGE_MASK);
    if (!guest_range(m, base, span) || guest_vma_overlaps(m, base, base + span)) {
        base = guest_vma_find_free(m, span, GUEST_MMAP_MIN_ADDR, m->mmap_top);
    }
    if (!base) {
        error_setg(errp, "program needs %" G_GUINT64_FORMAT " MiB, more than "
                   "the guest address space has free (see -R)", span >> 20);
        return false;
    }
    *bias = base - f->lo;
    return true;
}

/* Map the span read-write, read each segment in, then set protections. */
static bool map_segments(GuestMem *m, ElfFile *f, uint64_t bias,
                         GError **errp)
{
    int64_t r = target_mmap(m, f->lo + bias, f->hi - f->lo,
                            PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

    if (r < 0) {
        error_setg(errp, "cannot map the program: %s", g_strerror(-r));
        return false;
    }
    for (int i = 0; i < f->ehdr.e_phnum; i++) {
        const Elf64_Phdr *p = &f->phdr[i];
        void *dst;

        if (p->p_type != PT_LOAD) {
            continue;
        }
        /* guest address first: base + vaddr + bias may overflow a pointer */
        dst = guest_range(m, p->p_vaddr + bias, p->p_filesz);
        if (!dst) {
            error_setg(errp, "segment at 0x%" G_GINT64_MODIFIER "x is outside "
                       "the program's mapping", p->p_vaddr);
            return false;
        }
        if (!read_exact(f, dst, p->p_filesz, p->p_offset, errp)) {
            return false;
        }
    }
    for (int i = 0; i < f->ehdr.e_phnum; i++) {
        const Elf64_Phdr *p = &f->phdr[i];
        uint64_t start = (p->p_vaddr + bias) & TARGET_PAGE_MASK;
        uint64_t end = TARGET_PAGE_ALIGN(p->p_vaddr + bias + p->p_memsz);

        if (p->p_type == PT_LOAD && end > start) {
            target_mprotect(m, start, end - start, seg_prot(p->p_flags));
        }
    }
    return true;
}

/*
 * AT_PHDR: PT_PHDR if present, else the headers inside the first
 * segment that maps their file offset (as the kernel's binfmt_elf).
 */
static uint64_t phdr_addr(const ElfFile *f, uint64_t bias)
{
    for (int i = 0; i < f->ehdr.e_phnum; i++) {
        if (f->phdr[i].p_type == PT_PHDR) {
            return f->phdr[i].p_vaddr + bias;
        }
    }
    for (int i = 0; i < f->ehdr.e_phnum; i++) {
        const Elf64_Phdr *p = &f->phdr[i];
        if (p->p_type == PT_LOAD && p->p_offset <= f->ehdr.e_phoff &&
            f->ehdr.e_phoff - p->p_offset < p->p_filesz) {
            return p->p_vaddr + bias + (f->ehdr.e_phoff - p->p_offset);
        }
    }
    return 0;
}

static bool load_one(GuestMem *m, ElfFile *f, uint64_t *bias, GError **errp)
{
    return choose_bias(m, f, bias, errp) && map_segments(m, f, *bias, errp);
}

/* PT_INTERP's path, or NULL; false if the header is malformed. */
static bool read_interp(ElfFile *f, char **interp, GError **errp)
{
    *interp = NULL;
    for (int i = 0; i < f->ehdr.e_phnum; i++) {
        const Elf64_Phdr *p = &f->phdr[i];

        if (p->p_type != PT_INTERP) {
            continue;
        }
        if (p->p_filesz < 2 || p->p_filesz > 4096) {
            error_setg(errp, "bad PT_INTERP");
            return false;
        }
        *interp = g_malloc0(p->p_filesz + 1);
        if (!read_exact(f, *interp, p->p_filesz, p->p_offset, errp)) {
            g_free(*interp);
            *interp = NULL;
            return false;
        }
        return true;
    }
    return true;
}

/* The interpreter under -L's prefix if it exists there, else as named. */
static char *interp_path(const char *interp, const char *ld_prefix)
{
    if (ld_prefix && interp[0] == '/') {
        char *p = g_strconcat(ld_prefix, interp, NULL);
        if (access(p, F_OK) == 0) {
            return p;
        }
        g_free(p);
    }
    return g_strdup(interp);
}

static bool load_interp(GuestMem *m, const char *interp,
                        const char *ld_prefix, ImageInfo *info,
                        GError **errp)
{
    g_autofree char *path = interp_path(interp, ld_prefix);
    ElfFile f;
    uint64_t bias;
    bool ok = elf_open(&f, path, errp);

    if (ok && f.ehdr.e_type != ET_DYN) {
        error_setg(errp, "not a shared object (ET_DYN)");
        ok = false;
    }
    ok = ok && load_one(m, &f, &bias, errp);
    if (ok) {
        info->interp_base = f.lo + bias;
        info->entry = f.ehdr.e_entry + bias;
    } else {
        g_prefix_error(errp, "interpreter %s: ", path);
    }
    elf_close(&f);
    return ok;
}

bool elf_load_program(GuestMem *m, const char *path, const char *ld_prefix,
                      ImageInfo *info, GError **errp)
{
    ElfFile f;
    g_autofree char *interp = NULL;
    uint64_t bias;
    bool ok;

    memset(info, 0, sizeof(*info));
    ok = elf_open(&f, path, errp) && read_interp(&f, &interp, errp) &&
         load_one(m, &f, &bias, errp);
    if (ok) {
        info->load_bias = bias;
        info->prog_entry = info->entry = f.ehdr.e_entry + bias;
        info->phdr = phdr_addr(&f, bias);
        info->phent = f.ehdr.e_phentsize;
        info->phnum = f.ehdr.e_phnum;
        info->end = f.hi + bias;
    }
    elf_close(&f);
    return ok && (!interp || load_interp(m, interp, ld_prefix, info, errp));
}
