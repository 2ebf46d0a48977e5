/*
 * A fuzz target is one function, libFuzzer's entry point: it feeds one
 * input to the real parser or handler and returns 0.  It is linked either
 * with libFuzzer (clang, --enable-fuzzing: tests/fuzz/fuzz-NAME) or with
 * replay.c (any compiler: tests/fuzz/replay-NAME FILE|DIR..., run on the
 * in-tree corpus by `make check`).  See docs/devel/fuzzing.rst.
 */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* optional (weak in replay.c): one-time set-up */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
