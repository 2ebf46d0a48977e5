/* Large output: argv[1] MiB (default 16) of numbered lines on stdout. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long bytes = (argc > 1 ? atol(argv[1]) : 16) << 20, n = 0;

    for (long i = 0; n < bytes; i++) {
        n += printf("%08ld the quick brown fox jumps over the lazy dog\n", i);
    }
    return 0;
}
