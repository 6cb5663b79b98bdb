/* fuzz_kb.c - libFuzzer target: the knowledge-base loader on arbitrary rule and TSV files
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <string.h>
#include "kb/kb_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The same bytes as each kind of file: a TSV table and a rules file. */
    kb_file files[3] = {
        {"providers.tsv", "id\tname\tpostmaster\tsource\nx\tX\t-\tsrc\n", 35},
        {"status-codes.tsv", (const char *)data, size},
        {"rules-fuzz.txt", (const char *)data, size},
    };
    files[0].len = strlen(files[0].data);
    mxd_kb *kb = NULL;
    char why[256];
    if (kb_load_files(files, 3, &kb, why, sizeof why) == MXD_OK)
        mxd_kb_free(kb);
    return 0;
}
