/* cpuloop: CPU-bound user-mode loop (no system calls in the loop). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000000;
    volatile unsigned long x = 1;

    for (unsigned long i = 0; i < n; i++)
        x = x * 6364136223846793005ul + 1442695040888963407ul;
    printf("%lu\n", (unsigned long)x);
    return 0;
}
