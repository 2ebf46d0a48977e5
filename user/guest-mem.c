/*
 * The guest window: reservation, mapped-range bookkeeping, and safe
 * copies to and from guest memory.
 */
#include "user/guest-mem.h"
#include "qemu/error-report.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

bool guest_host_unmap(GuestMem *m, uint64_t start, uint64_t end)
{
    void *p = mmap(m->base + start, end - start, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
                   -1, 0);
    return p != MAP_FAILED;
}

bool guest_mem_init(GuestMem *m, uint64_t size, GError **errp)
{
    void *p;

    memset(m, 0, sizeof(*m));
    /* PROT_NONE and NORESERVE: costs address space, not memory */
    p = mmap(NULL, size + GUEST_GUARD_SIZE, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot reserve %" G_GUINT64_FORMAT
                         " MiB for the guest address space", size >> 20);
        return false;
    }
    m->base = p;
    m->size = size;
    m->vmas = g_array_new(FALSE, FALSE, sizeof(GuestVMA));
    return true;
}

/*
 * process_vm_readv on ourselves: the kernel walks our page tables with
 * the guest's protections, so an unmapped guest page is EFAULT here
 * instead of SIGSEGV in the VMM.  (A transfer never splits an iovec
 * element, so the result is all or nothing.)
 */
bool guest_read(const GuestMem *m, uint64_t addr, void *dst, size_t len)
{
    void *src = guest_range(m, addr, len);
    struct iovec local = { dst, len }, remote = { src, len };

    if (!src) {
        return false;
    }
    return len == 0 ||
           process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)len;
}

bool guest_write(const GuestMem *m, uint64_t addr, const void *src,
                 size_t len)
{
    void *dst = guest_range(m, addr, len);
    struct iovec local = { (void *)src, len }, remote = { dst, len };

    if (!dst) {
        return false;
    }
    return len == 0 ||
           process_vm_writev(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)len;
}

char *guest_strdup(const GuestMem *m, uint64_t addr, size_t max)
{
    GString *s = g_string_new(NULL);

    /* page by page, so a string ending before an unmapped page is read */
    while (s->len < max) {
        char buf[TARGET_PAGE_SIZE];
        size_t n = MIN(TARGET_PAGE_SIZE - (addr & ~TARGET_PAGE_MASK),
                       max - s->len);
        void *nul;

        if (!guest_read(m, addr, buf, n)) {
            g_string_free(s, TRUE);
            return NULL;
        }
        nul = memchr(buf, 0, n);
        g_string_append_len(s, buf, nul ? (char *)nul - buf : (gssize)n);
        if (nul) {
            break;
        }
        addr += n;
    }
    return g_string_free(s, FALSE);
}

static GuestVMA *vma_at(const GuestMem *m, guint i)
{
    return &g_array_index(m->vmas, GuestVMA, i);
}

/* Index of the first VMA ending above addr (binary search). */
static guint vma_first_above(const GuestMem *m, uint64_t addr)
{
    guint lo = 0, hi = m->vmas->len;

    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        if (vma_at(m, mid)->end <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

bool guest_vma_overlaps(const GuestMem *m, uint64_t start, uint64_t end)
{
    guint i = vma_first_above(m, start);
    return i < m->vmas->len && vma_at(m, i)->start < end;
}

bool guest_vma_covered(const GuestMem *m, uint64_t start, uint64_t end)
{
    /* merged VMAs: one of them must hold the whole range */
    guint i = vma_first_above(m, start);
    return i < m->vmas->len && vma_at(m, i)->start <= start &&
           vma_at(m, i)->end >= end;
}

void guest_vma_remove(GuestMem *m, uint64_t start, uint64_t end)
{
    guint i = vma_first_above(m, start);

    while (i < m->vmas->len && vma_at(m, i)->start < end) {
        GuestVMA *v = vma_at(m, i);

        if (v->start < start && v->end > end) {
            /* punch a hole: split in two */
            GuestVMA tail = { end, v->end };
            v->end = start;
            g_array_insert_val(m->vmas, i + 1, tail);
            return;
        }
        if (v->start < start) {
            v->end = start;
            i++;
        } else if (v->end > end) {
            v->start = end;
            return;
        } else {
            g_array_remove_index(m->vmas, i);
        }
    }
}

void guest_vma_add(GuestMem *m, uint64_t start, uint64_t end)
{
    GuestVMA v;
    guint i;

    guest_vma_remove(m, start, end);
    i = vma_first_above(m, start);
    /* merge with the neighbours it touches */
    if (i > 0 && vma_at(m, i - 1)->end == start) {
        start = vma_at(m, --i)->start;
        g_array_remove_index(m->vmas, i);
    }
    if (i < m->vmas->len && vma_at(m, i)->start == end) {
        end = vma_at(m, i)->end;
        g_array_remove_index(m->vmas, i);
    }
    v = (GuestVMA) { start, end };
    g_array_insert_val(m->vmas, i, v);
}

uint64_t guest_vma_find_free(const GuestMem *m, uint64_t len, uint64_t low,
                             uint64_t high)
{
    guint i = vma_first_above(m, high);

    if (len == 0 || high < low || len > high - low) {
        return 0;
    }
    /* walk the gaps downwards from high */
    for (;;) {
        uint64_t gap_end = high;
        uint64_t gap_start = i > 0 ? vma_at(m, i - 1)->end : low;

        if (i < m->vmas->len && vma_at(m, i)->start < gap_end) {
            gap_end = vma_at(m, i)->start;
        }
        gap_start = MAX(gap_start, low);
        if (gap_end > gap_start && gap_end - gap_start >= len) {
            return gap_end - len;
        }
        if (i == 0 || vma_at(m, i - 1)->end <= low) {
            return 0;
        }
        i--;
        high = vma_at(m, i)->start;
    }
}
