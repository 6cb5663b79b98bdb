/* fuzz_ingest.c - libFuzzer target: what a message at the report address is (lib/ingest)
 * SPDX-License-Identifier: MIT
 *
 * The first phase of mxdiag ingest on arbitrary bytes: message or report file, the MIME walk
 * to the attachments, base64, gzip and zip, the DMARC and TLS readers, ARF feedback and
 * failure reports (with a base64 feedback-report part), JMRP complaints, plain-text failure
 * notices, and the bounce parser. Nothing is stored (no database).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mxdiag/mxdiag.h>
#include "ingest/ingest_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_options(void);

/* No leak check at exit for this target: LeakSanitizer's tracer (ptrace, stopping every
 * thread) crashed now and then on this process, whose GMime/GLib start threads of their own
 * ("Tracer caught signal 11 ... LeakSanitizer has encountered a fatal error", after all runs
 * had passed). The same code runs with leak checking on in unit/test_ingest under ASan. */
const char *__lsan_default_options(void)
{
    return "detect_leaks=0";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mxd_kb *kb;
    static mxd_ingest *ing;
    if (!kb && (mxd_kb_open(&kb) || ingest_new_reader(kb, NULL, &ing)))
        abort();
    mxd_mail_msg m = {(const char *)data, size, "fuzz", "fuzz.eml", 0};
    mxd_ingest_result res;
    char key[300];
    mxd_err e = ingest_read(ing, &m, &res, key, sizeof key);
    if (e != MXD_OK && e != MXD_ERR_PARSE && e != MXD_ERR_EMPTY && e != MXD_ERR_TOOBIG)
        abort();
    if (e == MXD_OK && (!res.kind || strlen(key) < 5))
        abort();
    const char *addr;
    mxd_event_effect eff;
    size_t n = ingest_events(ing, 0, &addr, &eff);
    for (size_t i = 0; i < n; i++)
        if (ingest_events(ing, i, &addr, &eff) != n || !addr || eff < MXD_EFFECT_HARD ||
            eff > MXD_EFFECT_BLOCK)
            abort();
    return 0;
}
