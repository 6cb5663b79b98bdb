/* test_kb.c - unit tests for lib/kb: loading, validation errors, lookups
 * SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kb/kb_internal.h"
#include "kb_helper.h"
#include "random_helper.h"

static void test_builtin_counts(void **state)
{
    (void)state;
    assert_true(mxd_kb_count(kb, "rules") >= 80);
    assert_true(mxd_kb_count(kb, "status") >= 60);
    assert_true(mxd_kb_count(kb, "providers") >= 5);
    assert_true(mxd_kb_count(kb, "replies") >= 20);
    assert_int_equal(mxd_kb_count(kb, "nonsense"), 0);
}

static void test_every_rule_complete(void **state)
{
    (void)state;
    for (size_t i = 0; i < kb->nrules; i++) {
        const kb_rule *r = &kb->rules[i];
        assert_non_null(r->summary);
        assert_true(r->nfix >= 1);
        assert_true(r->nsources >= 1);
        assert_true(kb_is_reason(kb_str(kb, r->reason)));
        assert_true(kb_is_scope(kb_str(kb, r->scope)));
        /* issue 12: every rule records when its sources were last read */
        if (!r->checked)
            fail_msg("rule %s has no checked: date", kb_str(kb, r->id));
    }
}

static void test_status_lookup(void **state)
{
    (void)state;
    const char *title, *meaning;
    assert_int_equal(mxd_kb_status(kb, "5.1.1", &title, &meaning), MXD_OK);
    assert_non_null(strstr(title, "Bad destination mailbox address"));
    /* an unregistered detail falls back to its subject */
    assert_int_equal(mxd_kb_status(kb, "5.7.708", &title, NULL), MXD_OK);
    assert_non_null(title);
    assert_int_equal(mxd_kb_status(kb, "9.9.9", &title, NULL), MXD_ERR_NOTFOUND);
    assert_int_equal(mxd_kb_status(kb, "5.x.1", &title, NULL), MXD_ERR_NOTFOUND);
}

static void test_provider_for_host(void **state)
{
    (void)state;
    char region[32];
    const char *p = mxd_kb_provider_for_host(
        kb, "DM6NAM12FT034.eop-nam12.prod.protection.outlook.com", region, sizeof region);
    assert_non_null(p);
    assert_string_equal(p, "microsoft365");
    assert_string_equal(region, "nam12");
    p = mxd_kb_provider_for_host(kb, "example-com.mail.protection.outlook.com", region,
                                 sizeof region);
    assert_string_equal(p, "microsoft365");
    assert_string_equal(region, "");
    p = mxd_kb_provider_for_host(kb, "mx.google.com", NULL, 0);
    assert_string_equal(p, "google");
    assert_null(mxd_kb_provider_for_host(kb, "mx.example.org", region, sizeof region));
    assert_string_equal(mxd_kb_provider_for_domain(kb, "gmail.com"), "google");
    assert_non_null(mxd_kb_provider_name(kb, "microsoft365"));
    assert_null(mxd_kb_provider_name(kb, "nope"));
}

/* load a small set of files and return the error text */
static mxd_err load(const char *rules, char *why, size_t whylen)
{
    kb_file files[2] = {
        {"providers.tsv", "id\tname\tpostmaster\tsource\nacme\tAcme Mail\t-\thttps://x\n", 0},
        {"rules-test.txt", rules, strlen(rules)},
    };
    files[0].len = strlen(files[0].data);
    mxd_kb *k = NULL;
    mxd_err e = kb_load_files(files, 2, &k, why, whylen);
    mxd_kb_free(k);
    return e;
}

static const char good_rule[] = "rule: acme-1\nprovider: acme\nstatus: 5.7.1\nreason: blocked\n"
                                "scope: ip\npermanent: yes\nretry: never\nsummary: s\n"
                                "fix: f\nsource: https://x\n";

static void test_rule_validation(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(load(good_rule, why, sizeof why), MXD_OK);

    assert_int_equal(load("rule: a\nstauts: 5.7.1\n", why, sizeof why), MXD_ERR_DATA);
    assert_string_equal(why, "rules-test.txt:2: unknown key 'stauts'");

    /* checked: a date, and block: yes or no */
    char dated[512];
    snprintf(dated, sizeof dated, "%schecked: 2026-12-05\nblock: no\n", good_rule);
    assert_int_equal(load(dated, why, sizeof why), MXD_OK);
    snprintf(dated, sizeof dated, "%schecked: last week\n", good_rule);
    assert_int_equal(load(dated, why, sizeof why), MXD_ERR_DATA);
    assert_non_null(strstr(why, "checked must be a date"));
    snprintf(dated, sizeof dated, "%sblock: maybe\n", good_rule);
    assert_int_equal(load(dated, why, sizeof why), MXD_ERR_DATA);
    assert_non_null(strstr(why, "block must be yes or no"));

    char bad[512];
    memcpy(bad, good_rule, sizeof good_rule);
    char *p = strstr(bad, "blocked");
    memcpy(p, "blocke ", 7);
    assert_int_equal(load(bad, why, sizeof why), MXD_ERR_DATA);
    assert_non_null(strstr(why, "unknown reason"));
    /* Sisimai 5's "ratelimited" is speeding's other name: one reason, one name */
    assert_int_equal(
        load("rule: a\nprovider: nobody\nstatus: 4.7.1\nreason: ratelimited\n", why, sizeof why),
        MXD_ERR_DATA);
    assert_non_null(strstr(why, "unknown reason 'ratelimited'"));

    assert_int_equal(load("rule: a\nprovider: nobody\nstatus: 5.7.1\nreason: blocked\n"
                          "scope: ip\npermanent: yes\nretry: never\nsummary: s\nfix: f\n"
                          "source: x\n",
                          why, sizeof why),
                     MXD_ERR_DATA);
    assert_non_null(strstr(why, "unknown provider 'nobody'"));

    assert_int_equal(load("rule: a\nstatus: 5.7.1\nreason: blocked\nscope: ip\n"
                          "permanent: yes\nretry: never\nsummary: s\nsource: x\n",
                          why, sizeof why),
                     MXD_ERR_DATA);
    assert_non_null(strstr(why, "no fix step"));

    assert_int_equal(load("rule: a\nstatus: 5.7.9-5.6.1\n", why, sizeof why), MXD_ERR_DATA);
    assert_non_null(strstr(why, "keep class and subject"));

    char twice[1024];
    snprintf(twice, sizeof twice, "%s\n%s", good_rule, good_rule);
    assert_int_equal(load(twice, why, sizeof why), MXD_ERR_DATA);
    assert_non_null(strstr(why, "duplicate rule id acme-1"));
}

static void test_tsv_validation(void **state)
{
    (void)state;
    kb_file f = {"status-codes.tsv", "code\ttitle\n5\tx\n", 0};
    f.len = strlen(f.data);
    mxd_kb *k = NULL;
    char why[256];
    assert_int_equal(kb_load_files(&f, 1, &k, why, sizeof why), MXD_ERR_DATA);
    assert_non_null(strstr(why, "status-codes.tsv:1: header must be"));
    f.data = "code\ttitle\tmeaning\treason\tscope\tsource\nX.1.1\tBad\tmeans\tnope\t-\tsrc\n";
    f.len = strlen(f.data);
    assert_int_equal(kb_load_files(&f, 1, &k, why, sizeof why), MXD_ERR_DATA);
    assert_string_equal(why, "status-codes.tsv:2: unknown reason 'nope'");
    assert_null(k);
    /* Regression: a Latin-1 byte loaded, then its text went missing from the JSON (jansson
     * refuses strings that are not UTF-8). Data files must be UTF-8. */
    f.data =
        "code\ttitle\tmeaning\treason\tscope\tsource\n5\tFailure\tPermanent \351chec\t-\t-\tsrc\n";
    f.len = strlen(f.data);
    assert_int_equal(kb_load_files(&f, 1, &k, why, sizeof why), MXD_ERR_DATA);
    assert_string_equal(why, "status-codes.tsv:2: not UTF-8 (byte 0xe9)");
    assert_null(k);
    /* an unknown bounce-phrases kind is refused, naming every kind there is (the last too) */
    kb_file ph = {"bounce-phrases.tsv", "kind\tpattern\tsource\nzzz\tabc\tsrc\n", 0};
    ph.len = strlen(ph.data);
    assert_int_equal(kb_load_files(&ph, 1, &k, why, sizeof why), MXD_ERR_DATA);
    assert_non_null(strstr(why, "unknown kind 'zzz' (want from, subject,"));
    assert_non_null(strstr(why, "subject-label, footer or banner)"));
    f.data = "code\ttitle\tmeaning\treason\tscope\tsource\n5\tFailure\tPermanent "
             "\303\251chec\t-\t-\tsrc\n";
    f.len = strlen(f.data);
    assert_int_equal(kb_load_files(&f, 1, &k, why, sizeof why), MXD_OK);
    mxd_kb_free(k);
}

/* The tables whose rows are checked against each other by a scan are capped, so that a huge
 * --data-dir file is refused at once instead of taking minutes at every start. */
static void test_row_caps(void **state)
{
    (void)state;
    /* each row: the prefix, a number, the rest */
    static const struct {
        const char *file, *header, *pre, *post, *want;
        int rows;
    } t[] = {
        {"providers.tsv", "id\tname\tpostmaster\tsource\n", "p", "\tP\t-\ts\n",
         "more than 1024 providers", 1025},
        {"bounce-categories.tsv", "field\tvalue\treason\tsource\n", "f\tv", "\tonhold\ts\n",
         "more than 4096 rows", 4097},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        size_t cap = (size_t)t[i].rows * 40 + 64, n = 0;
        char *d = malloc(cap);
        assert_non_null(d);
        n += (size_t)snprintf(d + n, cap - n, "%s", t[i].header);
        for (int r = 0; r < t[i].rows; r++)
            n += (size_t)snprintf(d + n, cap - n, "%s%d%s", t[i].pre, r, t[i].post);
        kb_file f = {t[i].file, d, n};
        mxd_kb *k = NULL;
        char why[256] = "";
        assert_int_equal(kb_load_files(&f, 1, &k, why, sizeof why), MXD_ERR_DATA);
        if (!strstr(why, t[i].want))
            fail_msg("%s: %s", t[i].file, why);
        assert_null(k);
        free(d);
    }
}

/* provider-outbound.tsv: a provider's own outbound ranges and PTR names */
static void test_provider_outbound(void **state)
{
    (void)state;
    assert_true(mxd_kb_count(kb, "provider-outbound") >= 5);
    const kb_outbound *o = kb_outbound_for_ip(kb, "40.107.243.101");
    assert_non_null(o);
    assert_string_equal(kb_str(kb, o->provider), "microsoft365");
    assert_string_equal(kb_str(kb, o->pattern), "40.107.0.0/16");
    assert_non_null(kb_outbound_for_ip(kb, "2a01:111:f403:c000::1"));
    assert_non_null(kb_outbound_for_ip(kb, "::ffff:40.107.1.1"));
    assert_null(kb_outbound_for_ip(kb, "203.0.113.5"));
    assert_null(kb_outbound_for_ip(kb, "not an ip"));
    assert_non_null(
        kb_outbound_for_ptr(kb, "mail-dm6nam12on2101.outbound.protection.outlook.com."));
    assert_null(kb_outbound_for_ptr(kb, "outlook.com.example.net"));
    assert_null(kb_outbound_for_ptr(kb, "mail.example.com"));

    kb_file f[2] = {{"providers.tsv", "id\tname\tpostmaster\tsource\nms\tMS\t-\tsrc\n", 0},
                    {"provider-outbound.tsv", NULL, 0}};
    f[0].len = strlen(f[0].data);
    static const struct {
        const char *row, *why;
    } bad[] = {
        {"cidr\t40.107.0.0\tms\tsrc", "is not an address range"},
        {"cidr\t40.107.0.0/33\tms\tsrc", "bad prefix length"},
        {"cidr\t40.107.0.0/16\tnobody\tsrc", "unknown provider 'nobody'"},
        {"ptr\toutlook.com\tms\tsrc", "a ptr pattern is *.domain"},
        {"asn\t8075\tms\tsrc", "kind must be cidr or ptr"},
    };
    char data[256], why[256];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(data, sizeof data, "kind\tpattern\tprovider\tsource\n%s\n", bad[i].row);
        f[1].data = data;
        f[1].len = strlen(data);
        mxd_kb *k = NULL;
        assert_int_equal(kb_load_files(f, 2, &k, why, sizeof why), MXD_ERR_DATA);
        if (!strstr(why, bad[i].why))
            fail_msg("%s: %s", bad[i].row, why);
        assert_null(k);
    }
}

static void test_errors_have_text(void **state)
{
    (void)state;
    for (int e = 0; e < MXD_ERR__COUNT; e++) {
        const char *s = mxd_strerror((mxd_err)e);
        assert_non_null(s);
        assert_string_not_equal(s, "unknown error");
    }
    assert_string_equal(mxd_strerror((mxd_err)999), "unknown error");
}

/* The source tree's data/ directory in dir; 0 when MXD_SOURCE_DIR is not set (skip). */
static int data_dir(char *dir, size_t n)
{
    const char *src = getenv("MXD_SOURCE_DIR");
    if (!src)
        return 0;
    snprintf(dir, n, "%s/data", src);
    return 1;
}

static void test_open_dir_matches_builtin(void **state)
{
    (void)state;
    char dir[4096];
    if (!data_dir(dir, sizeof dir))
        skip();
    mxd_kb *k = NULL;
    char why[256] = "";
    assert_int_equal(mxd_kb_open_dir(dir, &k, why, sizeof why), MXD_OK);
    assert_int_equal(mxd_kb_count(k, "rules"), mxd_kb_count(kb, "rules"));
    assert_int_equal(mxd_kb_count(k, "status"), mxd_kb_count(kb, "status"));
    mxd_kb_free(k);
    assert_int_equal(mxd_kb_open_dir("/nonexistent-dir", &k, why, sizeof why), MXD_ERR_IO);
    assert_non_null(strstr(why, "/nonexistent-dir"));
}

static void test_open_dir_empty_fails(void **state)
{
    (void)state;
    /* Regression: an empty directory (or one without the data files) loaded as an empty
     * knowledge base that explained nothing. */
    char dir[] = "/tmp/mxd-kb-empty-XXXXXX";
    assert_non_null(mkdtemp(dir));
    mxd_kb *k = NULL;
    char why[256] = "";
    assert_int_equal(mxd_kb_open_dir(dir, &k, why, sizeof why), MXD_ERR_DATA);
    assert_null(k);
    assert_non_null(strstr(why, dir));
    assert_non_null(strstr(why, "providers.tsv"));
    /* one file is not enough either */
    char path[256];
    snprintf(path, sizeof path, "%s/reasons.tsv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("reason\tpattern\tsource\n", f);
    fclose(f);
    assert_int_equal(mxd_kb_open_dir(dir, &k, why, sizeof why), MXD_ERR_DATA);
    assert_null(k);
    unlink(path);
    rmdir(dir);
}

static void test_playbook_step_at_end_of_data(void **state)
{
    (void)state;
    /* Regression: "step: manual:" followed by blanks at the very end of a file that is not
     * NUL-terminated (mxd_kb_open_dir) read past the data. The data ends right before a page
     * that cannot be read, so the over-read crashes even without a sanitizer. */
    static const char pb[] = "playbook: p\ntitle: t\nsource: s\nstep: manual:   ";
    long page = sysconf(_SC_PAGESIZE);
    assert_true(page > 0 && (size_t)page > sizeof pb);
    char *m =
        mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    assert_int_equal(mprotect(m + page, (size_t)page, PROT_NONE), 0);
    size_t n = sizeof pb - 1;
    char *data = m + page - n;
    memcpy(data, pb, n);
    kb_file f = {"playbooks.txt", data, n};
    mxd_kb *k = NULL;
    char why[256] = "";
    assert_int_equal(kb_load_files(&f, 1, &k, why, sizeof why), MXD_ERR_DATA);
    assert_non_null(strstr(why, "step without text"));
    munmap(m, (size_t)page * 2);
}

static void test_open_dir_playbook_file_name(void **state)
{
    (void)state;
    /* Regression: playbooks kept a pointer to the file name mxd_kb_open_dir() frees after
     * loading (use after free under ASan). */
    char dir[4096];
    if (!data_dir(dir, sizeof dir))
        skip();
    mxd_kb *k = NULL;
    char why[256] = "";
    assert_int_equal(mxd_kb_open_dir(dir, &k, why, sizeof why), MXD_OK);
    assert_true(k->nplaybooks > 0);
    for (size_t i = 0; i < k->nplaybooks; i++)
        assert_string_equal(kb_str(k, k->playbooks[i].file), "playbooks.txt");
    mxd_kb_free(k);
}

static int data_file(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 4 && (!strcmp(d->d_name + n - 4, ".tsv") || !strcmp(d->d_name + n - 4, ".txt"));
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* The built-in kb is the loader's own form written out by kbgen (the tables hold offsets and
 * indexes, no pointers): data/ loaded in kbgen's order (file names sorted) gives the same
 * string pool byte for byte and the same offsets and indexes in every table. */
static void test_builtin_is_loaded_form(void **state)
{
    (void)state;
    char dir[4096];
    if (!data_dir(dir, sizeof dir))
        skip();
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, data_file, by_name);
    assert_true(n > 0);
    kb_file *files = calloc((size_t)n, sizeof *files);
    assert_non_null(files);
    for (int i = 0; i < n; i++) {
        char path[4352];
        snprintf(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char *data = malloc(KB_MAX_FILE_SIZE);
        assert_non_null(data);
        files[i].len = fread(data, 1, KB_MAX_FILE_SIZE, f);
        fclose(f);
        files[i].data = data;
        files[i].name = ents[i]->d_name;
    }
    mxd_kb *k = NULL;
    char why[256] = "";
    assert_int_equal(kb_load_files(files, (size_t)n, &k, why, sizeof why), MXD_OK);
    assert_int_equal(k->npool, kb->npool);
    assert_memory_equal(k->pool, kb->pool, kb->npool);
    assert_int_equal(k->nlists, kb->nlists);
    assert_memory_equal(k->lists, kb->lists, kb->nlists * sizeof *kb->lists);
    assert_int_equal(k->nsranges, kb->nsranges);
    assert_memory_equal(k->sranges, kb->sranges, kb->nsranges * sizeof *kb->sranges);
    assert_int_equal(k->nsteps, kb->nsteps);
    for (size_t i = 0; i < kb->nsteps; i++) {
        assert_int_equal(k->steps[i].check, kb->steps[i].check);
        assert_int_equal(k->steps[i].text, kb->steps[i].text);
    }
    assert_int_equal(k->ncodes, kb->ncodes);
    for (size_t i = 0; i < kb->ncodes; i++)
        assert_int_equal(k->codes[i].meaning, kb->codes[i].meaning);
    assert_int_equal(k->nrules, kb->nrules);
    for (size_t i = 0; i < kb->nrules; i++) {
        const kb_rule *a = &k->rules[i], *b = &kb->rules[i];
        assert_int_equal(a->id, b->id);
        assert_int_equal(a->provider, b->provider);
        assert_int_equal(a->summary, b->summary);
        assert_int_equal(a->texts, b->texts);
        assert_int_equal(a->status, b->status);
        assert_int_equal(a->causes, b->causes);
        assert_int_equal(a->sources, b->sources);
        assert_int_equal(a->file, b->file);
        assert_int_equal(a->line, b->line);
    }
    assert_int_equal(k->nplaybooks, kb->nplaybooks);
    for (size_t i = 0; i < kb->nplaybooks; i++) {
        assert_int_equal(k->playbooks[i].id, kb->playbooks[i].id);
        assert_int_equal(k->playbooks[i].steps, kb->playbooks[i].steps);
        assert_int_equal(k->playbooks[i].match_rules, kb->playbooks[i].match_rules);
    }
    assert_int_equal(k->ndnsbls, kb->ndnsbls);
    for (size_t i = 0; i < kb->ndnsbls; i++) {
        assert_int_equal(k->dnsbls[i].zone, kb->dnsbls[i].zone);
        assert_int_equal(k->dnsbls[i].codes, kb->dnsbls[i].codes);
        assert_int_equal(k->dnsbls[i].errors, kb->dnsbls[i].errors);
    }
    assert_int_equal(k->fast->nhost, kb->fast->nhost);
    for (size_t i = 0; i < kb->fast->nhost; i++)
        assert_int_equal(k->fast->host[i].lit, kb->fast->host[i].lit);
    mxd_kb_free(k);
    for (int i = 0; i < n; i++) {
        free((void *)files[i].data);
        free(ents[i]);
    }
    free(ents);
    free(files);
}

/* plain_tag_at - a tag pattern ('#' a digit, other bytes any case) at low[i], as a whole
 * word: what kb_tag_provider() looks for, written plainly. */
static int plain_tag_at(const char *low, size_t len, size_t i, const char *p)
{
    if (i > 0 && (isalnum((unsigned char)low[i - 1]) || low[i - 1] == '-'))
        return 0;
    size_t j = i;
    for (; *p; p++, j++)
        if (j >= len || (*p == '#' ? !isdigit((unsigned char)low[j])
                                   : low[j] != (char)tolower((unsigned char)*p)))
            return 0;
    return j >= len || !(isalnum((unsigned char)low[j]) || low[j] == '-');
}

/* The tag lookup (a bit per tag under its first byte) finds what trying every tag, in file
 * order, at every offset finds: on random texts made of tags, near misses and separators. */
static void test_tag_provider(void **state)
{
    (void)state;
    const struct kb_fast *f = kb->fast;
    assert_true(f->ntags > 32);
    static const char *const parts[] = {"[tss04]", "[ts01]", "[ph01]", "[bl21]", "[cs01]", "s3140",
                                        "as3150", "sc-001", "ou-002", "ofr004_519", "lpn007_510",
                                        "[hme1]", "ts", "[tss0]", "s314", " ", "-", "x", "[", "3",
                                        "550 ", "dy-12", "rp-123", "lpnaaa_999",
                                        /* the tags past the 32nd (the search's masks are 64
                                         * bits wide): Exchange Online's, NetEase's, Yahoo's GL */
                                        "as(1430)", "as(201806281)", "as(12345)", "as(12)",
                                        "hl:icc", "dt:spm", "wm:blu", "rp:cel", "[gl01]", "hl:ic"};
    unsigned seed = 77;
    char t[128];
    for (int n = 0; n < 20000; n++) {
        size_t len = random_pieces(parts, sizeof parts / sizeof *parts, 10, &seed, t, sizeof t);
        const char *want = NULL;
        for (size_t k = 0; k < f->ntags && !want; k++)
            for (size_t i = 0; i < len && !want; i++)
                if (plain_tag_at(t, len, i, kb_str(kb, kb->hosts[f->tags[k]].pattern)))
                    want = kb_str(kb, kb->hosts[f->tags[k]].provider);
        const char *got = kb_tag_provider(kb, t, len, NULL);
        if (got != want)
            fail_msg("'%.*s': %s, want %s", (int)len, t, got ? got : "-", want ? want : "-");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_counts),
        cmocka_unit_test(test_every_rule_complete),
        cmocka_unit_test(test_status_lookup),
        cmocka_unit_test(test_provider_for_host),
        cmocka_unit_test(test_rule_validation),
        cmocka_unit_test(test_tsv_validation),
        cmocka_unit_test(test_row_caps),
        cmocka_unit_test(test_provider_outbound),
        cmocka_unit_test(test_errors_have_text),
        cmocka_unit_test(test_open_dir_empty_fails),
        cmocka_unit_test(test_open_dir_matches_builtin),
        cmocka_unit_test(test_playbook_step_at_end_of_data),
        cmocka_unit_test(test_open_dir_playbook_file_name),
        cmocka_unit_test(test_tag_provider),
        cmocka_unit_test(test_builtin_is_loaded_form),
    };
    return cmocka_run_group_tests(tests, kb_setup, kb_teardown);
}
