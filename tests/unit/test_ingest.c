/* test_ingest.c - unit tests for lib/ingest: what a message is, what it does to the
 * suppression list, and the whole path into a real SQLite store
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ingest/ingest_internal.h"
#include "mxdiag/ingest.h"
#include "mxdiag/verdict.h"
#include "kb_helper.h"
#include "tmpdir_helper.h"

static int setup(void **state)
{
    if (kb_setup(state))
        return -1;
    return tmpdir_make("ingest");
}

static int teardown(void **state)
{
    kb_teardown(state);
    return tmpdir_remove();
}

/* Suppression safety: only a permanent failure of the recipient, or a complaint, suppresses;
 * a temporary failure of the recipient's mailbox counts as soft; every block is a block. */
static void test_effect_table(void **state)
{
    (void)state;
    static const struct {
        const char *reason, *scope, *feedbacktype;
        int hard;
        mxd_event_effect want;
    } t[] = {
        {"userunknown", "recipient", "", 1, MXD_EFFECT_HARD},
        {"hasmoved", "recipient", "", 1, MXD_EFFECT_HARD},
        {"mailboxfull", "recipient", "", 0, MXD_EFFECT_SOFT},
        {"suspend", "recipient", "", 0, MXD_EFFECT_SOFT},
        {"blocked", "ip", "", 0, MXD_EFFECT_BLOCK},
        {"badreputation", "ip", "", 0, MXD_EFFECT_BLOCK},
        {"speeding", "rate", "", 0, MXD_EFFECT_BLOCK},
        {"toomanyconn", "rate", "", 0, MXD_EFFECT_BLOCK},
        {"spamdetected", "content", "", 0, MXD_EFFECT_BLOCK},
        {"policyviolation", "tenant", "", 0, MXD_EFFECT_BLOCK},
        {"authfailure", "domain", "", 0, MXD_EFFECT_BLOCK},
        {"rejected", "sender", "", 0, MXD_EFFECT_BLOCK},
        {"expired", "system", "", 0, MXD_EFFECT_BLOCK},
        {"networkerror", NULL, "", 0, MXD_EFFECT_BLOCK},
        {"undefined", NULL, "", 0, MXD_EFFECT_BLOCK},
        {"feedback", NULL, "abuse", 0, MXD_EFFECT_COMPLAINT},
        {"feedback", NULL, "fraud", 0, MXD_EFFECT_COMPLAINT},
        {"feedback", NULL, "", 0, MXD_EFFECT_COMPLAINT},
        {"feedback", NULL, "not-spam", 0, MXD_EFFECT_BLOCK},
        {"feedback", NULL, "virus", 0, MXD_EFFECT_BLOCK},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        mxd_bounce_record r;
        memset(&r, 0, sizeof r);
        r.reason = t[i].reason;
        r.scope = t[i].scope;
        r.feedbacktype = t[i].feedbacktype;
        r.hardbounce = t[i].hard;
        if (ingest_effect(&r) != t[i].want)
            fail_msg("%s/%s/%s: effect %d, want %d", t[i].reason, t[i].scope ? t[i].scope : "-",
                     t[i].feedbacktype, ingest_effect(&r), t[i].want);
    }
}

static void test_report_bytes(void **state)
{
    (void)state;
    assert_true(ingest_is_report_bytes("\x1f\x8b\x08", 3));
    assert_true(ingest_is_report_bytes("PK\3\4rest", 8));
    assert_true(ingest_is_report_bytes("\xef\xbb\xbf  <?xml", 10));
    assert_true(ingest_is_report_bytes("\n{\"organization-name\"", 21));
    assert_false(ingest_is_report_bytes("From: a@b\n\nx", 12));
    assert_false(ingest_is_report_bytes("Received: x\n", 12));
    assert_false(ingest_is_report_bytes("", 0));
}

static char *fixture(const char *name, size_t *len)
{
    const char *srcdir = getenv("MXD_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/ingest/%s", srcdir ? srcdir : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char *d = malloc(1 << 20);
    assert_non_null(d);
    *len = fread(d, 1, 1 << 20, f);
    fclose(f);
    return d;
}

/* Each hand-written fixture is classified as what it is. */
static void test_kinds(void **state)
{
    (void)state;
    static const struct {
        const char *file, *kind;
        size_t events;
    } t[] = {
        {"01-hard-5.1.1.eml", MXD_KIND_BOUNCE, 1},
        {"02-soft-mailboxfull-1.eml", MXD_KIND_BOUNCE, 1},
        {"03-block-5.7.1.eml", MXD_KIND_BOUNCE, 1},
        {"04-arf-abuse.eml", MXD_KIND_COMPLAINT, 1},
        {"05-jmrp-complaint.eml", MXD_KIND_COMPLAINT, 1},
        {"06-dmarc-aggregate.eml", MXD_KIND_DMARC_AGG, 0},
        {"07-tls-report.eml", MXD_KIND_TLSRPT, 0},
        {"08-dmarc-failure.eml", MXD_KIND_DMARC_FAILURE, 0},
        {"09-auto-reply.eml", MXD_KIND_AUTOREPLY, 0},
        {"10-other.eml", MXD_KIND_OTHER, 0},
        {"11-receiver.example!example.com!1796083200!1796169599.zip", MXD_KIND_DMARC_AGG, 0},
    };
    mxd_ingest *ing;
    assert_int_equal(ingest_new_reader(kb, NULL, &ing), MXD_OK);
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        size_t len;
        char *d = fixture(t[i].file, &len);
        mxd_mail_msg m = {d, len, t[i].file, t[i].file, 0};
        mxd_ingest_result res;
        char key[300];
        mxd_err e = ingest_read(ing, &m, &res, key, sizeof key);
        if (e != MXD_OK || strcmp(res.kind, t[i].kind))
            fail_msg("%s: %s (%s), want %s", t[i].file, res.kind, mxd_strerror(e), t[i].kind);
        const char *addr;
        mxd_event_effect eff;
        assert_int_equal(ingest_events(ing, 0, &addr, &eff), t[i].events);
        assert_string_equal(res.why, "");
        if (!strcmp(t[i].file, "05-jmrp-complaint.eml")) {
            assert_string_equal(addr, "erin@hotmail.com");
            assert_int_equal(eff, MXD_EFFECT_COMPLAINT);
        }
        if (!strcmp(t[i].file, "01-hard-5.1.1.eml")) {
            assert_string_equal(key, "mid:b1@mail.example.com");
            assert_int_equal(eff, MXD_EFFECT_HARD);
        }
        if (!strcmp(t[i].file, "03-block-5.7.1.eml"))
            assert_int_equal(eff, MXD_EFFECT_BLOCK);
        if (!strcmp(t[i].file, "08-dmarc-failure.eml")) {
            const mxd_dmarc_failure *f = ingest_failure(ing);
            assert_non_null(f);
            assert_string_equal(f->source_ip, "203.0.113.66");
            assert_string_equal(f->auth_failure, "dmarc");
            assert_string_equal(f->reported_domain, "example.com");
            assert_string_equal(f->original_rcpt_to, "frank@receiver.example");
            assert_string_equal(f->delivery_result, "reject");
            assert_string_equal(f->message_id, "spoof-1@bad.example");
            assert_string_equal(f->header_from, "billing@example.com");
            assert_true(f->arrival > 0);
        }
        if (!strncmp(t[i].file, "11-", 3))
            assert_int_equal(strncmp(key, "sha256:", 7), 0);
        /* the same message with its line ends broken (CR alone, CR CR LF) is the same kind
         * with the same events: ingest reads mended lines, as `mxdiag bounce` does */
        for (int mode = 0; mode < 2 && strstr(t[i].file, ".eml"); mode++) {
            char *b = malloc(len * 3 + 1);
            assert_non_null(b);
            size_t bl = 0;
            for (size_t k = 0; k < len; k++) {
                if (d[k] == '\r' && k + 1 < len && d[k + 1] == '\n')
                    continue;
                if (d[k] != '\n')
                    b[bl++] = d[k];
                else if (mode == 0)
                    b[bl++] = '\r';
                else
                    memcpy(b + bl, "\r\r\n", 3), bl += 3;
            }
            mxd_mail_msg mb = {b, bl, t[i].file, t[i].file, 0};
            e = ingest_read(ing, &mb, &res, key, sizeof key);
            if (e != MXD_OK || strcmp(res.kind, t[i].kind))
                fail_msg("%s, line ends %s: %s (%s), want %s", t[i].file, mode ? "CR CR LF" : "CR",
                         res.kind, mxd_strerror(e), t[i].kind);
            assert_int_equal(ingest_events(ing, 0, &addr, &eff), t[i].events);
            free(b);
        }
        free(d);
    }
    mxd_ingest_free(ing);
}

/* A damaged attachment: the reason is said, nothing crashes, the message is still read. */
static void test_damaged_attachment(void **state)
{
    (void)state;
    static const char msg[] =
        "From: dmarc@receiver.example\nSubject: Report Domain: example.com\n"
        "Message-ID: <bad1@receiver.example>\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"X\"\n\n--X\nContent-Type: text/plain\n\nhi\n"
        "--X\nContent-Type: application/gzip\nContent-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment; filename=\"r.xml.gz\"\n\nH4sIAAAAAAAAA2ZvbwAAAA==\n"
        "--X--\n";
    mxd_ingest *ing;
    assert_int_equal(ingest_new_reader(kb, NULL, &ing), MXD_OK);
    mxd_mail_msg m = {msg, sizeof msg - 1, "bad", "bad", 0};
    mxd_ingest_result res;
    char key[300];
    assert_int_equal(ingest_read(ing, &m, &res, key, sizeof key), MXD_OK);
    assert_string_equal(res.kind, MXD_KIND_OTHER);
    assert_non_null(strstr(res.why, "r.xml.gz"));
    mxd_ingest_free(ing);
}

typedef struct found {
    char list[2048];
} found;

static int on_sup(void *arg, const mxd_suppression *e)
{
    found *f = arg;
    size_t o = strlen(f->list);
    snprintf(f->list + o, sizeof f->list - o, "%s:%s:%llu ", e->address, e->effect, e->count);
    return 0;
}

static void ingest_dir(mxd_store *st, const char *dir, size_t *stored, size_t *dups)
{
    mxd_ingest *ing;
    assert_int_equal(mxd_ingest_new(kb, st, &ing), MXD_OK);
    mxd_mail_source *src;
    char why[256];
    assert_int_equal(mxd_mail_open(dir, &src, why, sizeof why), MXD_OK);
    mxd_mail_msg m;
    *stored = *dups = 0;
    while (mxd_mail_next(src, &m, why, sizeof why) == MXD_OK) {
        mxd_ingest_result res;
        assert_int_equal(mxd_ingest_message(ing, &m, 1796600000, &res), MXD_OK);
        res.duplicate ? (*dups)++ : (*stored)++;
    }
    mxd_mail_close(src);
    mxd_ingest_free(ing);
}

/* The fixtures into a real store: who is suppressed, and nothing twice. */
static void test_store_path(void **state)
{
    (void)state;
    char db[512], dir[1024];
    snprintf(db, sizeof db, "%s/a/b/mxdiag.db", tmpdir);
    snprintf(dir, sizeof dir, "%s/tests/fixtures/ingest",
             getenv("MXD_SOURCE_DIR") ? getenv("MXD_SOURCE_DIR") : ".");
    mxd_store *st;
    char why[256];
    assert_int_equal(mxd_store_open(db, 0, &st, why, sizeof why), MXD_OK);
    size_t stored, dups;
    ingest_dir(st, dir, &stored, &dups);
    assert_int_equal(stored, 13);
    assert_int_equal(dups, 0);
    found f = {""};
    assert_int_equal(mxd_store_suppress_each(st, 0, on_sup, &f), MXD_OK);
    /* alice hard; bob three soft bounces within 7 days; dave and erin complained; carol's
     * content block, frank's failure report and grace's auto-reply suppress nobody */
    assert_string_equal(f.list, "alice@example.net:hard:1 bob@example.net:soft:3 "
                                "dave@example.org:complaint:1 erin@hotmail.com:complaint:1 ");
    unsigned long long reports, messages;
    mxd_store_window w = {"example.com", 0, 0};
    assert_int_equal(mxd_store_dmarc_totals(st, &w, &reports, &messages), MXD_OK);
    assert_int_equal(reports, 1); /* the zip holds the same report as the mail: stored once */
    assert_int_equal(messages, 128);
    ingest_dir(st, dir, &stored, &dups);
    assert_int_equal(stored, 0);
    assert_int_equal(dups, 13);
    mxd_store_close(st);

    /* with a soft limit of 4, three full-mailbox bounces suppress nobody */
    snprintf(db, sizeof db, "%s/soft4.db", tmpdir);
    assert_int_equal(mxd_store_open(db, 0, &st, why, sizeof why), MXD_OK);
    mxd_store_policy pol = {4, 7};
    mxd_store_set_policy(st, &pol);
    ingest_dir(st, dir, &stored, &dups);
    found g = {""};
    assert_int_equal(mxd_store_suppress_each(st, 0, on_sup, &g), MXD_OK);
    assert_null(strstr(g.list, "bob@"));
    mxd_store_close(st);
}

typedef struct verdicts {
    char list[1024];
    const mxd_kb *kb;
} verdicts;

static int on_src(void *arg, const mxd_dmarc_source *s)
{
    verdicts *v = arg;
    mxd_dmarc_verdict d;
    mxd_dmarc_verdict_of(v->kb, s, NULL, &d);
    size_t o = strlen(v->list);
    snprintf(v->list + o, sizeof v->list - o, "%s=%s/%s ", s->ip, d.verdict,
             d.service ? d.service : "-");
    return 0;
}

/* The verdicts on the fixture report's four sources. */
static void test_verdicts(void **state)
{
    (void)state;
    char db[512], dir[1024];
    snprintf(db, sizeof db, "%s/verdicts.db", tmpdir);
    snprintf(dir, sizeof dir, "%s/tests/fixtures/ingest",
             getenv("MXD_SOURCE_DIR") ? getenv("MXD_SOURCE_DIR") : ".");
    mxd_store *st;
    char why[256];
    assert_int_equal(mxd_store_open(db, 0, &st, why, sizeof why), MXD_OK);
    size_t stored, dups;
    ingest_dir(st, dir, &stored, &dups);
    verdicts v = {"", kb};
    mxd_store_window w = {NULL, 0, 0};
    assert_int_equal(mxd_store_dmarc_sources(st, &w, on_src, &v), MXD_OK);
    assert_string_equal(v.list, "192.0.2.10=aligned/- 198.51.100.7=not-aligned/SendGrid (Twilio) "
                                "203.0.113.66=unauthorised/- 209.85.220.41=forwarded/- ");
    mxd_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_effect_table), cmocka_unit_test(test_report_bytes),
        cmocka_unit_test(test_kinds),        cmocka_unit_test(test_damaged_attachment),
        cmocka_unit_test(test_store_path),   cmocka_unit_test(test_verdicts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
