/*
 * A fuzz target is one function, libFuzzer's entry point: it feeds one
 * input to the real parser or handler and returns 0.  It is linked either
 * with libFuzzer (clang, --enable-fuzzing: tests/fuzz/fuzz-NAME) or with
 * replay.c (any compiler: tests/fuzz/replay-NAME FILE|DIR..., run on the
 * in-tree corpus by `make check`).  See docs/devel/fuzzing.rst.
 */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a stream of little-endian numbers; 0s once it runs out. */
typedef struct Input {
    const uint8_t *p;
    size_t left;
} Input;

static inline uint64_t take(Input *in, unsigned bytes)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes && in->left; i++, in->left--) {
        v |= (uint64_t)*in->p++ << (8 * i);
    }
    return v;
}
/* optional (weak in replay.c): one-time set-up */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * Defined (true) only in replay.c: a harness may spare a fuzzing campaign
 * work whose cost grows with the input's numbers but reaches no new code,
 * while the replay of the in-tree corpus (make check) still does it all.
 */
extern bool fuzz_replay __attribute__((weak));

static inline bool fuzz_replaying(void)
{
    return &fuzz_replay && fuzz_replay;
}

#endif
