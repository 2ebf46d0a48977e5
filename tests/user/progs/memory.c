/*
 * The address space: brk growth, malloc of large blocks (mmap and
 * mremap inside), anonymous and file mmap (private and shared),
 * mprotect, munmap, madvise(DONTNEED).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHECK(x) do { if (!(x)) { printf("FAIL %s:%d: %s (%s)\n", \
    __FILE__, __LINE__, #x, strerror(errno)); exit(1); } } while (0)
#define MiB (1024 * 1024)

static uint64_t sum(const uint8_t *p, size_t n, size_t step)
{
    uint64_t s = 0;

    for (size_t i = 0; i < n; i += step) {
        s = s * 31 + p[i];
    }
    return s;
}

static void test_brk(void)
{
    uint8_t *start = sbrk(0), *p;

    for (int i = 0; i < 64; i++) {
        p = sbrk(MiB);
        CHECK(p != (void *)-1);
        memset(p, i, MiB);
    }
    p = sbrk(0);
    printf("brk grew: %ld MiB\n", (long)(p - start) / MiB);
    printf("brk sum: %lu\n", (unsigned long)sum(start, p - start, 4096));
    CHECK(sbrk(-32 * MiB) != (void *)-1);
    CHECK((uint8_t *)sbrk(0) == p - 32 * MiB);
}

static void test_malloc(void)
{
    size_t n = 3 * MiB;
    uint8_t *p = malloc(n);

    CHECK(p);
    memset(p, 0x5a, n);
    for (int i = 0; i < 6; i++) {
        n *= 2;
        p = realloc(p, n);      /* glibc: mremap of the mmapped chunk */
        CHECK(p);
        memset(p + n / 2, i, n / 2);
    }
    printf("realloc sum: %lu\n", (unsigned long)sum(p, n, 4096));
    free(p);
}

static void test_anon(void)
{
    size_t n = 256 * (size_t)MiB;
    uint8_t *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    CHECK(p != MAP_FAILED);
    for (size_t i = 0; i < n; i += MiB) {
        p[i] = (uint8_t)(i / MiB);
    }
    printf("anon sum: %lu\n", (unsigned long)sum(p, n, MiB));
    CHECK(madvise(p, MiB, MADV_DONTNEED) == 0);
    printf("after DONTNEED: %d\n", p[0]);
    CHECK(mprotect(p, MiB, PROT_READ) == 0);
    printf("read-only still reads: %d\n", p[4096]);
    CHECK(munmap(p, n) == 0);
    CHECK(mprotect(p, 4096, PROT_READ) < 0 && errno == ENOMEM);
    p = mmap(p, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
             -1, 0);
    CHECK(p != MAP_FAILED);
    printf("remapped zero: %d\n", p[0]);
    CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
          == MAP_FAILED && errno == EINVAL);
}

static void test_file(const char *dir)
{
    char path[4096];
    char buf[16] = { 0 };
    char *priv, *shared;
    int fd;

    snprintf(path, sizeof(path), "%s/map.bin", dir);
    fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, 8192) == 0);
    CHECK(pwrite(fd, "file data", 9, 4096) == 9);
    priv = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    shared = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(priv != MAP_FAILED && shared != MAP_FAILED);
    printf("private sees: %s\n", priv + 4096);
    memcpy(priv + 4096, "PRIVATE", 7);
    memcpy(shared, "shared write", 12);
    CHECK(msync(shared, 8192, MS_SYNC) == 0);
    CHECK(pread(fd, buf, 12, 0) == 12);
    printf("file after shared write: %s\n", buf);
    CHECK(pread(fd, buf, 9, 4096) == 9);
    printf("file after private write: %.9s\n", buf);
    CHECK(munmap(priv, 8192) == 0 && munmap(shared, 8192) == 0);
    close(fd);
    unlink(path);
}

int main(int argc, char **argv)
{
    test_brk();
    test_malloc();
    test_anon();
    test_file(argc > 1 ? argv[1] : "/tmp");
    printf("ok\n");
    return 0;
}
