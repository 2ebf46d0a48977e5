/*
 * A file I/O round trip in the directory given as argv[1]: write,
 * writev, pwrite, lseek, read, readv, pread, fstat, rename, readdir,
 * symlink/readlink, dup2, pipe, fcntl, unlink, mkdir/rmdir.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define CHECK(x) do { if (!(x)) { printf("FAIL %s:%d: %s (%s)\n", \
    __FILE__, __LINE__, #x, strerror(errno)); exit(1); } } while (0)

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(const char *dir)
{
    DIR *d = opendir(dir);
    char *names[64];
    int n = 0;
    struct dirent *e;

    CHECK(d);
    while ((e = readdir(d)) && n < 64) {
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp);
    for (int i = 0; i < n; i++) {
        printf("dir: %s\n", names[i]);
        free(names[i]);
    }
}

int main(int argc, char **argv)
{
    char path[4096], path2[4096], link[4096], buf[256] = { 0 };
    char a[8] = { 0 }, b[8] = { 0 };
    struct iovec wv[2] = { { "hello ", 6 }, { "world\n", 6 } };
    struct iovec rv[2] = { { a, 6 }, { b, 6 } };
    struct stat st;
    const void *volatile bad = (void *)16;  /* never mapped */
    int fd, p[2];

    CHECK(argc > 1);
    CHECK(chdir(argv[1]) == 0);
    snprintf(path, sizeof(path), "%s/data.txt", argv[1]);
    fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0640);
    CHECK(fd >= 0);
    CHECK(write(fd, "0123456789\n", 11) == 11);
    CHECK(writev(fd, wv, 2) == 12);
    CHECK(pwrite(fd, "AB", 2, 3) == 2);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    CHECK(read(fd, buf, sizeof(buf)) == 23);
    printf("read: %s", buf);
    CHECK(lseek(fd, 11, SEEK_SET) == 11);
    CHECK(readv(fd, rv, 2) == 12);
    printf("readv: [%s][%s]\n", a, b);
    memset(buf, 0, sizeof(buf));
    CHECK(pread(fd, buf, 4, 2) == 4);
    printf("pread: %s\n", buf);
    CHECK(fstat(fd, &st) == 0);
    printf("size: %ld mode: %o\n", (long)st.st_size, st.st_mode & 0777);
    CHECK(close(fd) == 0);

    snprintf(path2, sizeof(path2), "%s/renamed.txt", argv[1]);
    CHECK(rename(path, path2) == 0);
    CHECK(access(path, F_OK) < 0 && errno == ENOENT);
    CHECK(symlink("renamed.txt", "link") == 0);
    memset(link, 0, sizeof(link));
    CHECK(readlink("link", link, sizeof(link)) == 11);
    printf("readlink: %s\n", link);
    CHECK(mkdir("sub", 0755) == 0);
    list_dir(".");
    CHECK(rmdir("sub") == 0);
    CHECK(stat("link", &st) == 0 && st.st_size == 23);
    CHECK(lstat("link", &st) == 0 && S_ISLNK(st.st_mode));

    CHECK(pipe(p) == 0);
    CHECK(write(p[1], "through a pipe\n", 15) == 15);
    memset(buf, 0, sizeof(buf));
    CHECK(read(p[0], buf, sizeof(buf)) == 15);
    printf("pipe: %s", buf);
    fd = dup(p[1]);
    CHECK(fd > p[1]);
    CHECK(dup2(p[0], 42) == 42);
    CHECK(fcntl(42, F_GETFD) == 0);
    CHECK(fcntl(42, F_SETFD, FD_CLOEXEC) == 0 && fcntl(42, F_GETFD) == 1);
    CHECK(fcntl(p[1], F_SETFL, O_NONBLOCK) == 0);
    CHECK((fcntl(p[1], F_GETFL) & O_NONBLOCK) != 0);
    CHECK(read(4242, buf, 1) < 0 && errno == EBADF);
    CHECK(open("missing", O_RDONLY) < 0 && errno == ENOENT);
    CHECK(write(fd, bad, 1) < 0 && errno == EFAULT);

    CHECK(unlink("link") == 0 && unlink(path2) == 0);
    list_dir(".");
    printf("ok\n");
    return 0;
}
