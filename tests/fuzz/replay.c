/*
 * main() for a fuzz target without libFuzzer: run every file named on the
 * command line (directories: every file in them, sorted) through
 * LLVMFuzzerTestOneInput once.  A crash or sanitizer report fails; the
 * regression inputs of tests/fuzz/corpus run this way in `make check`.
 */
#include "fuzz.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool fuzz_replay = true;

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}

static unsigned replay_file(const char *path)
{
    g_autofree char *data = NULL;
    g_autoptr(GError) err = NULL;
    gsize len;
    uint8_t *copy;

    if (!g_file_get_contents(path, &data, &len, &err)) {
        fprintf(stderr, "replay: %s\n", err->message);
        exit(1);
    }
    /* an exact-size copy, so that ASan sees reads past the end */
    copy = g_memdup2(data, len ? len : 1);
    LLVMFuzzerTestOneInput(copy, len);
    g_free(copy);
    return 1;
}

static unsigned replay_path(const char *path)
{
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GPtrArray) names = NULL;
    const char *n;
    unsigned count = 0;

    if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
        return replay_file(path);
    }
    dir = g_dir_open(path, 0, NULL);
    names = g_ptr_array_new_with_free_func(g_free);
    while (dir && (n = g_dir_read_name(dir))) {
        g_ptr_array_add(names, g_build_filename(path, n, NULL));
    }
    g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
    for (guint i = 0; i < names->len; i++) {
        const char *p = *(const char **)&names->pdata[i];
        count += replay_path(p);
    }
    return count;
}

int main(int argc, char **argv)
{
    unsigned count = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        count += replay_path(argv[i]);
    }
    printf("replayed %u inputs\n", count);
    return count ? 0 : 1;
}
