/* fuzz_kb.c - libFuzzer target: the knowledge-base loader on arbitrary data files
 * SPDX-License-Identifier: MIT
 *
 * The first byte picks which data file the rest of the input is (every TSV table, a rules
 * file, playbooks.txt, delist.txt), so each parser is reached on its own: fed to all of them
 * at once, the first table's error stopped the load before the later parsers ran. The data is
 * not NUL-terminated, as with mxd_kb_open_dir(), so reads past the end are caught.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kb/kb_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const kinds[] = {
    "status-codes.tsv",
    "reply-codes.tsv",
    "providers.tsv",
    "provider-hosts.tsv",
    "reasons.tsv",
    "rules-fuzz.txt",
    "playbooks.txt",
    "delist.txt",
    "dnsbl.tsv",
    "public-resolvers.tsv",
    "rdns-generic.tsv",
    "dkim-selectors.tsv",
    /* (appended, so that the seeds' first bytes keep their files) */
    "bounce-phrases.tsv",
    "bounce-categories.tsv",
    "pseudo-status.tsv",
    "provider-outbound.tsv",
    "senders.tsv",
};
#define NKINDS (sizeof kinds / sizeof *kinds)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *kind = kinds[data[0] % NKINDS];
    /* a copy of exactly the right size: ASan sees any read past the end */
    size_t n = size - 1;
    char *copy = malloc(n ? n : 1);
    if (!copy)
        return 0;
    memcpy(copy, data + 1, n);
    static const char providers[] = "id\tname\tpostmaster\tsource\nx\tX\t-\tsrc\n";
    kb_file files[2] = {
        {"providers.tsv", providers, sizeof providers - 1},
        {kind, copy, n},
    };
    size_t nfiles = 2;
    if (!strcmp(kind, "providers.tsv")) {
        files[0] = files[1];
        nfiles = 1;
    }
    mxd_kb *kb = NULL;
    char why[256];
    if (kb_load_files(files, nfiles, &kb, why, sizeof why) == MXD_OK)
        mxd_kb_free(kb);
    free(copy);
    return 0;
}
