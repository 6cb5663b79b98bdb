/* fuzz_log.c - libFuzzer target: the log input (syslog framing, journal export and JSON
 * records) and the Postfix, Exim and Sendmail line parsers with reassembly, on arbitrary bytes
 * SPDX-License-Identifier: MIT
 *
 * The first byte picks the input format (even: detected, odd: journal only); the rest is the
 * log. Every event is written as JSON and CSV, and the report as JSON, so their writers run
 * on what the parsers made of the bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <mxdiag/mxdiag.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_event(void *arg, const mxd_log_event *ev)
{
    (void)arg;
    char *j = mxd_log_event_json(ev), *c = mxd_log_event_csv(ev, 0);
    if (!j || !c)
        abort();
    free(j);
    free(c);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mxd_kb *kb;
    if (!kb && mxd_kb_open(&kb))
        abort();
    if (size < 1)
        return 0;
    mxd_log_input_opts io = {0};
    io.format = (data[0] & 1) ? MXD_LOG_FMT_JOURNAL : MXD_LOG_FMT_AUTO;
    io.year = 2026;
    mxd_log_input *in = NULL;
    if (mxd_log_input_open_mem((const char *)data + 1, size - 1, &io, &in) != MXD_OK)
        abort();
    mxd_log_opts o = {0};
    o.on_event = on_event;
    o.inflight_max = 8; /* small, so eviction runs too */
    o.spike_min = 1;
    o.rate_min = 1;
    mxd_log_ctx *c = NULL;
    if (mxd_log_new(kb, &o, &c) != MXD_OK)
        abort();
    if (mxd_log_read(c, &in, 1, NULL, 0) != MXD_OK)
        abort();
    mxd_log_finish(c);
    char *j = mxd_log_report_json(c, 3, 0);
    if (!j)
        abort();
    free(j);
    mxd_log_free(c);
    mxd_log_input_close(in);
    return 0;
}
