/* A system call nobody implements: -1/ENOSYS, and the program goes on. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    long r = syscall(999, 1, 2, 3);

    printf("syscall(999) = %ld errno=%d (%s)\n", r, errno, strerror(errno));
    return 0;
}
