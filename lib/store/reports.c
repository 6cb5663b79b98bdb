/* reports.c - DMARC aggregate, DMARC failure and TLS reports: storing them, and the queries
 * SPDX-License-Identifier: MIT
 *
 * An aggregate report is one dmarc_reports row (metadata and policy_published; <error>s as a
 * JSON array of strings), a dmarc_rows row per <record>, with dmarc_reasons (override reasons)
 * and dmarc_auth (raw DKIM and SPF results) under it. A TLS report is a tls_reports row,
 * tls_policies (policy strings and mx-host patterns as JSON arrays) and tls_failures. Both are
 * unique by reporter + report id: a repeat is ignored as a whole (*added = 0). Each add is all
 * or nothing: its own transaction when none is open, else a savepoint in the caller's.
 *
 * The queries select the reports whose date range overlaps the window, then aggregate their
 * rows weighted by message count; distinct lists are built by group_concat over a DISTINCT,
 * sorted subquery so that they come out in the same order every time.
 */
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "store/store_internal.h"

/* count64 - an unsigned count as SQLite's signed 64-bit integer (capped). */
static long long count64(unsigned long long n)
{
    return n > (unsigned long long)LLONG_MAX ? LLONG_MAX : (long long)n;
}

/* ucount - a column as an unsigned count. */
static unsigned long long ucount(store_stmt *st, int i)
{
    long long v = store_col_int64(st, i);
    return v > 0 ? (unsigned long long)v : 0;
}

/* json_list - v[0..n) as a JSON array of strings (free() it); NULL for n == 0. *e is set to
 * MXD_ERR_NOMEM when it cannot be made. */
static char *json_list(char *const *v, size_t n, mxd_err *e)
{
    if (!n)
        return NULL;
    json_t *a = json_array();
    char *out = NULL;
    if (!a)
        goto done;
    for (size_t i = 0; i < n; i++) {
        const char *t = v[i] ? v[i] : "";
        json_t *j = json_string(t);
        if (!j)
            j = json_string_nocheck(t);
        if (!j || json_array_append_new(a, j))
            goto done;
    }
    out = json_dumps(a, JSON_COMPACT);
done:
    json_decref(a);
    if (!out)
        *e = MXD_ERR_NOMEM;
    return out;
}

/* step_reset - step an INSERT, then reset it for the next use. */
static mxd_err step_reset(mxd_store *s, store_stmt *st, const char *what)
{
    int rc = store_step(st);
    store_reset(st);
    return rc == SQLITE_DONE ? MXD_OK : store_sqlerr(s, rc, what);
}

/* --- DMARC aggregate reports -------------------------------------------------------------- */

/* insert_report - the dmarc_reports row; *id 0 when it was already there. */
static mxd_err insert_report(mxd_store *s, const mxd_dmarc_agg *r, const char *reporter,
                             const char *source, long long at, long long *id)
{
    mxd_err e = MXD_OK;
    unsigned long long messages = 0;
    *id = 0;
    char *errors = json_list(r->errors, r->nerrors, &e);
    if (e)
        return store_fail(s, e, "out of memory");
    for (size_t i = 0; i < r->nrows; i++)
        messages += r->rows[i].count;
    store_stmt *st;
    e = store_prepare(s,
                      "INSERT OR IGNORE INTO dmarc_reports (reporter, report_id, version, rfc9990,"
                      " org_name, email, extra_contact_info, begin_at, end_at, errors, generator,"
                      " domain, adkim, aspf, p, sp, np, pct, fo, testing, discovery_method,"
                      " messages, source, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
                      " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
                      &st);
    if (e) {
        free(errors);
        return e;
    }
    store_bind_text(st, 1, reporter);
    store_bind_text(st, 2, r->report_id);
    store_bind_text(st, 3, r->version);
    store_bind_int64(st, 4, r->rfc9990 != 0);
    store_bind_text(st, 5, r->org_name);
    store_bind_text(st, 6, r->email);
    store_bind_text(st, 7, r->extra_contact_info);
    store_bind_int64(st, 8, r->begin);
    store_bind_int64(st, 9, r->end);
    store_bind_text(st, 10, errors);
    store_bind_text(st, 11, r->generator);
    store_bind_text(st, 12, r->domain);
    store_bind_text(st, 13, r->adkim);
    store_bind_text(st, 14, r->aspf);
    store_bind_text(st, 15, r->p);
    store_bind_text(st, 16, r->sp);
    store_bind_text(st, 17, r->np);
    store_bind_text(st, 18, r->pct);
    store_bind_text(st, 19, r->fo);
    store_bind_text(st, 20, r->testing);
    store_bind_text(st, 21, r->discovery_method);
    store_bind_int64(st, 22, count64(messages));
    store_bind_text(st, 23, source);
    store_bind_int64(st, 24, at);
    int rc = store_step(st);
    if (rc == SQLITE_DONE) {
        if (store_changes(s) > 0)
            *id = store_last_id(s);
    } else {
        e = store_sqlerr(s, rc, "adding a DMARC report");
    }
    store_release(s, st);
    free(errors);
    return e;
}

enum { ST_ROW, ST_REASON, ST_AUTH, ST_N };

static mxd_err insert_rows(mxd_store *s, const mxd_dmarc_agg *r, long long report, store_stmt **st)
{
    mxd_err e;
    for (size_t i = 0; i < r->nrows; i++) {
        const mxd_dmarc_row *w = &r->rows[i];
        store_stmt *q = st[ST_ROW];
        store_bind_int64(q, 1, report);
        store_bind_text(q, 2, w->source_ip);
        store_bind_int64(q, 3, count64(w->count));
        store_bind_text(q, 4, w->disposition);
        store_bind_text(q, 5, w->dkim);
        store_bind_text(q, 6, w->spf);
        store_bind_text(q, 7, w->header_from);
        store_bind_text(q, 8, w->envelope_from);
        store_bind_text(q, 9, w->envelope_to);
        if ((e = step_reset(s, q, "adding a DMARC row")))
            return e;
        long long row = store_last_id(s);
        q = st[ST_REASON];
        for (size_t k = 0; k < w->nreasons; k++) {
            store_bind_int64(q, 1, row);
            store_bind_text(q, 2, w->reasons[k].type);
            store_bind_text(q, 3, w->reasons[k].comment);
            if ((e = step_reset(s, q, "adding an override reason")))
                return e;
        }
        q = st[ST_AUTH];
        for (size_t k = 0; k < w->ndkim; k++) {
            const mxd_dmarc_dkim_result *d = &w->dkim_results[k];
            store_bind_int64(q, 1, row);
            store_bind_text(q, 2, "dkim");
            store_bind_text(q, 3, d->domain);
            store_bind_text(q, 4, d->selector);
            store_bind_text(q, 5, NULL);
            store_bind_text(q, 6, d->result);
            store_bind_text(q, 7, d->human_result);
            if ((e = step_reset(s, q, "adding a DKIM result")))
                return e;
        }
        for (size_t k = 0; k < w->nspf; k++) {
            const mxd_dmarc_spf_result *f = &w->spf_results[k];
            store_bind_int64(q, 1, row);
            store_bind_text(q, 2, "spf");
            store_bind_text(q, 3, f->domain);
            store_bind_text(q, 4, NULL);
            store_bind_text(q, 5, f->scope);
            store_bind_text(q, 6, f->result);
            store_bind_text(q, 7, f->human_result);
            if ((e = step_reset(s, q, "adding an SPF result")))
                return e;
        }
    }
    return MXD_OK;
}

static mxd_err dmarc_agg_add(mxd_store *s, const mxd_dmarc_agg *r, const char *source, long long at,
                             int *added)
{
    static const char *const sql[ST_N] = {
        [ST_ROW] = ("INSERT INTO dmarc_rows (report, source_ip, count, disposition, dkim, spf,"
                    " header_from, envelope_from, envelope_to)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        [ST_REASON] = "INSERT INTO dmarc_reasons (row, type, comment) VALUES (?1, ?2, ?3)",
        [ST_AUTH] = ("INSERT INTO dmarc_auth (row, kind, domain, selector, scope, result,"
                     " human_result) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
    };
    if (added)
        *added = 0;
    if (!s || !r)
        return MXD_ERR_INVALID;
    const char *reporter = r->org_name && *r->org_name ? r->org_name : r->email;
    if (!reporter || !*reporter || !r->report_id || !*r->report_id)
        return store_fail(s, MXD_ERR_INVALID,
                          "a DMARC report needs a reporter (org_name or email) and a report_id");
    long long id;
    mxd_err e = insert_report(s, r, reporter, source, at, &id);
    if (e || !id)
        return e;
    store_stmt *st[ST_N] = {NULL};
    for (int i = 0; i < ST_N && !e; i++)
        e = store_prepare(s, sql[i], &st[i]);
    if (!e)
        e = insert_rows(s, r, id, st);
    for (int i = 0; i < ST_N; i++)
        if (st[i])
            store_release(s, st[i]);
    if (!e && added)
        *added = 1;
    return e;
}

/* --- TLS reports ------------------------------------------------------------------------------ */

static mxd_err insert_policy(mxd_store *s, const mxd_tls_policy *p, long long report,
                             store_stmt *pst, store_stmt *fst)
{
    mxd_err e = MXD_OK;
    char *strings = json_list(p->policy_strings, p->nstrings, &e);
    char *mx = json_list(p->mx_hosts, p->nmx, &e);
    if (e) {
        free(strings);
        free(mx);
        return store_fail(s, e, "out of memory");
    }
    store_bind_int64(pst, 1, report);
    store_bind_text(pst, 2, p->policy_type);
    store_bind_text(pst, 3, p->policy_domain);
    store_bind_text(pst, 4, strings);
    store_bind_text(pst, 5, mx);
    store_bind_int64(pst, 6, count64(p->successful));
    store_bind_int64(pst, 7, count64(p->failed));
    e = step_reset(s, pst, "adding a TLS policy");
    free(strings);
    free(mx);
    if (e)
        return e;
    long long policy = store_last_id(s);
    for (size_t i = 0; i < p->nfailures; i++) {
        const mxd_tls_failure *f = &p->failures[i];
        store_bind_int64(fst, 1, policy);
        store_bind_text(fst, 2, f->result_type);
        store_bind_text(fst, 3, f->sending_mta_ip);
        store_bind_text(fst, 4, f->receiving_mx_hostname);
        store_bind_text(fst, 5, f->receiving_mx_helo);
        store_bind_text(fst, 6, f->receiving_ip);
        store_bind_int64(fst, 7, count64(f->failed_session_count));
        store_bind_text(fst, 8, f->additional_information);
        store_bind_text(fst, 9, f->failure_reason_code);
        if ((e = step_reset(s, fst, "adding a TLS failure")))
            return e;
    }
    return MXD_OK;
}

static mxd_err tlsrpt_add(mxd_store *s, const mxd_tlsrpt *r, const char *source, long long at,
                          int *added)
{
    if (added)
        *added = 0;
    if (!s || !r)
        return MXD_ERR_INVALID;
    if (!r->org_name || !*r->org_name || !r->report_id || !*r->report_id)
        return store_fail(s, MXD_ERR_INVALID,
                          "a TLS report needs an organization-name and a report-id");
    store_stmt *st, *pst = NULL, *fst = NULL;
    mxd_err e = store_prepare(s,
                              "INSERT OR IGNORE INTO tls_reports (org_name, report_id,"
                              " contact_info, begin_at, end_at, source, at)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                              &st);
    if (e)
        return e;
    store_bind_text(st, 1, r->org_name);
    store_bind_text(st, 2, r->report_id);
    store_bind_text(st, 3, r->contact_info);
    store_bind_int64(st, 4, r->begin);
    store_bind_int64(st, 5, r->end);
    store_bind_text(st, 6, source);
    store_bind_int64(st, 7, at);
    int rc = store_step(st);
    long long id = 0;
    if (rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "adding a TLS report");
    else if (store_changes(s) > 0)
        id = store_last_id(s);
    store_release(s, st);
    if (e || !id)
        return e;
    if (!(e = store_prepare(s,
                            "INSERT INTO tls_policies (report, policy_type, policy_domain,"
                            " policy_strings, mx_hosts, successful, failed)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                            &pst)) &&
        !(e = store_prepare(s,
                            "INSERT INTO tls_failures (policy, result_type, sending_mta_ip,"
                            " receiving_mx_hostname, receiving_mx_helo, receiving_ip,"
                            " failed_session_count, additional_information,"
                            " failure_reason_code) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                            &fst))) {
        for (size_t i = 0; i < r->npolicies && !e; i++)
            e = insert_policy(s, &r->policies[i], id, pst, fst);
    }
    if (pst)
        store_release(s, pst);
    if (fst)
        store_release(s, fst);
    if (!e && added)
        *added = 1;
    return e;
}

/* --- DMARC failure reports ------------------------------------------------------------------ */

mxd_err mxd_store_dmarc_failure_add(mxd_store *s, const char *msgkey, const mxd_dmarc_failure *f,
                                    const char *source, long long at, int *added)
{
    if (added)
        *added = 0;
    if (!s || !f)
        return MXD_ERR_INVALID;
    if (!msgkey || !*msgkey)
        return store_fail(s, MXD_ERR_INVALID, "a failure report needs the key of its message");
    store_stmt *st;
    mxd_err e = store_prepare(
        s,
        "INSERT OR IGNORE INTO dmarc_failures (msgkey, reporter, feedback_type, auth_failure,"
        " reported_domain, source_ip, original_mail_from, original_rcpt_to,"
        " original_envelope_id, delivery_result, dkim_domain, dkim_selector, dkim_identity,"
        " spf_dns, identity_alignment, authentication_results, arrival, user_agent,"
        " header_from, subject, message_id, source, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
        " ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
        &st);
    if (e)
        return e;
    const char *text[] = {msgkey,
                          f->reporter,
                          f->feedback_type,
                          f->auth_failure,
                          f->reported_domain,
                          f->source_ip,
                          f->original_mail_from,
                          f->original_rcpt_to,
                          f->original_envelope_id,
                          f->delivery_result,
                          f->dkim_domain,
                          f->dkim_selector,
                          f->dkim_identity,
                          f->spf_dns,
                          f->identity_alignment,
                          f->authentication_results};
    for (int i = 0; i < (int)(sizeof text / sizeof text[0]); i++)
        store_bind_text(st, i + 1, text[i]);
    store_bind_int64(st, 17, f->arrival);
    store_bind_text(st, 18, f->user_agent);
    store_bind_text(st, 19, f->header_from);
    store_bind_text(st, 20, f->subject);
    store_bind_text(st, 21, f->message_id);
    store_bind_text(st, 22, source);
    store_bind_int64(st, 23, at);
    int rc = store_step(st);
    if (rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "adding a failure report");
    else if (added)
        *added = store_changes(s) > 0;
    store_release(s, st);
    return e;
}

/* --- queries ------------------------------------------------------------------------------ */

/* The window over a table with begin_at, end_at: ?2 since, ?3 until, bound by bind_window()
 * to the smallest and largest integers when unbounded. A report overlaps [since, until) when
 * it begins before until and ends after since. Written so that an index on end_at is used. */
#define WINDOW_SQL " end_at > ?2 AND begin_at < ?3 "

/* REPORTS_IN_WINDOW(cols) - the DMARC reports in the window, of domain ?1 (NULL: every domain):
 * two branches rather than "?1 IS NULL OR domain = ?1", which no index serves; the planner
 * skips the one whose constant test fails, the other searches dmarc_reports_domain or
 * dmarc_reports_range. */
#define REPORTS_IN_WINDOW(cols)                                                                    \
    "SELECT " cols " FROM dmarc_reports WHERE domain = ?1 AND" WINDOW_SQL "UNION ALL SELECT " cols \
    " FROM dmarc_reports WHERE ?1 IS NULL AND" WINDOW_SQL

static void bind_window(store_stmt *st, const mxd_store_window *w)
{
    store_bind_text(st, 1, w && w->domain && *w->domain ? w->domain : NULL);
    store_bind_int64(st, 2, w && w->since ? w->since : LLONG_MIN);
    store_bind_int64(st, 3, w && w->until ? w->until : LLONG_MAX);
}

/* DISTINCT_LIST(name, expr, from) - a CTE name(domain, ip, list): the distinct non-NULL
 * values of expr per (domain, ip), sorted, ", "-separated. */
#define DISTINCT_LIST(name, expr, from)                                                            \
    " " name " AS (SELECT domain, ip, group_concat(v, ', ') AS list FROM"                          \
    " (SELECT DISTINCT w.domain AS domain, w.ip AS ip, " expr " AS v " from                        \
    " ORDER BY 1, 2, 3) AS d WHERE v IS NOT NULL GROUP BY domain, ip)"

/* One CTE per line reads better than the formatter's split strings. */
/* clang-format off */
static const char sources_sql[] =
    "WITH r AS MATERIALIZED ("
    REPORTS_IN_WINDOW("id, reporter, coalesce(domain, '') AS domain, begin_at, end_at") "),"
    " w AS MATERIALIZED (SELECT w.id AS id, w.report AS report, r.domain AS domain,"
    "  coalesce(w.source_ip, '') AS ip, w.count AS n, w.disposition AS disposition,"
    "  w.dkim AS dkim, w.spf AS spf, w.header_from AS header_from,"
    "  w.envelope_from AS envelope_from, r.reporter AS reporter, r.begin_at AS begin_at,"
    "  r.end_at AS end_at,"
    "  CASE WHEN EXISTS (SELECT 1 FROM dmarc_auth a WHERE a.row = w.id AND a.kind = 'spf'"
    "   AND a.result = 'pass') THEN 1 ELSE 0 END AS spfp,"
    "  CASE WHEN EXISTS (SELECT 1 FROM dmarc_auth a WHERE a.row = w.id AND a.kind = 'dkim'"
    "   AND a.result = 'pass') THEN 1 ELSE 0 END AS dkimp,"
    "  CASE WHEN EXISTS (SELECT 1 FROM dmarc_reasons x WHERE x.row = w.id"
    "   AND x.type IN ('forwarded', 'trusted_forwarder', 'mailing_list')) THEN 1 ELSE 0 END"
    "   AS fwd"
    "  FROM dmarc_rows w JOIN r ON w.report = r.id),"
    " g AS (SELECT domain, ip, sum(n) AS messages, count(DISTINCT report) AS reports,"
    "  sum(CASE WHEN disposition = 'none' THEN n ELSE 0 END) AS dnone,"
    "  sum(CASE WHEN disposition = 'quarantine' THEN n ELSE 0 END) AS dquarantine,"
    "  sum(CASE WHEN disposition = 'reject' THEN n ELSE 0 END) AS dreject,"
    "  sum(CASE WHEN spf = 'pass' THEN n ELSE 0 END) AS spfa,"
    "  sum(CASE WHEN dkim = 'pass' THEN n ELSE 0 END) AS dkima,"
    "  sum(CASE WHEN spf = 'pass' OR dkim = 'pass' THEN n ELSE 0 END) AS dpass,"
    "  sum(spfp * n) AS spfp, sum(dkimp * n) AS dkimp, sum(fwd * n) AS fwd,"
    "  min(begin_at) AS first, max(end_at) AS last FROM w GROUP BY domain, ip),"
    DISTINCT_LIST("hf", "w.header_from", "FROM w") ","
    DISTINCT_LIST("ef", "w.envelope_from", "FROM w") ","
    DISTINCT_LIST("sd", "coalesce(a.domain, '') || '=' || coalesce(a.result, '')",
                  "FROM w JOIN dmarc_auth a ON a.row = w.id AND a.kind = 'spf'") ","
    DISTINCT_LIST("kd",
                  "coalesce(a.domain, '') || coalesce('/' || a.selector, '') || '='"
                  " || coalesce(a.result, '')",
                  "FROM w JOIN dmarc_auth a ON a.row = w.id AND a.kind = 'dkim'") ","
    DISTINCT_LIST("ov", "x.type", "FROM w JOIN dmarc_reasons x ON x.row = w.id") ","
    DISTINCT_LIST("rp", "w.reporter", "FROM w")
    " SELECT g.domain, g.ip, g.messages, g.reports, g.dnone, g.dquarantine, g.dreject, g.spfa,"
    "  g.dkima, g.dpass, g.spfp, g.dkimp, g.fwd, hf.list, ef.list, sd.list, kd.list, ov.list,"
    "  rp.list, g.first, g.last FROM g"
    " LEFT JOIN hf ON hf.domain = g.domain AND hf.ip = g.ip"
    " LEFT JOIN ef ON ef.domain = g.domain AND ef.ip = g.ip"
    " LEFT JOIN sd ON sd.domain = g.domain AND sd.ip = g.ip"
    " LEFT JOIN kd ON kd.domain = g.domain AND kd.ip = g.ip"
    " LEFT JOIN ov ON ov.domain = g.domain AND ov.ip = g.ip"
    " LEFT JOIN rp ON rp.domain = g.domain AND rp.ip = g.ip"
    " ORDER BY g.messages DESC, g.domain, g.ip";
/* clang-format on */
/* clang-format on */

mxd_err mxd_store_dmarc_sources(mxd_store *s, const mxd_store_window *w, mxd_dmarc_source_cb cb,
                                void *arg)
{
    store_stmt *st;
    if (!s || !cb)
        return MXD_ERR_INVALID;
    mxd_err e = store_prepare(s, sources_sql, &st);
    if (e)
        return e;
    bind_window(st, w);
    int rc;
    while ((rc = store_step(st)) == SQLITE_ROW) {
        mxd_dmarc_source d;
        d.domain = store_col(st, 0);
        d.ip = store_col(st, 1);
        d.messages = ucount(st, 2);
        d.reports = ucount(st, 3);
        d.none = ucount(st, 4);
        d.quarantine = ucount(st, 5);
        d.reject = ucount(st, 6);
        d.spf_aligned = ucount(st, 7);
        d.dkim_aligned = ucount(st, 8);
        d.dmarc_pass = ucount(st, 9);
        d.spf_pass = ucount(st, 10);
        d.dkim_pass = ucount(st, 11);
        d.forwarded = ucount(st, 12);
        d.header_from = store_col(st, 13);
        d.envelope_from = store_col(st, 14);
        d.spf_domains = store_col(st, 15);
        d.dkim_domains = store_col(st, 16);
        d.overrides = store_col(st, 17);
        d.reporters = store_col(st, 18);
        d.first = store_col_int64(st, 19);
        d.last = store_col_int64(st, 20);
        if (cb(arg, &d))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "summing DMARC sources");
    store_release(s, st);
    return e;
}

mxd_err mxd_store_dmarc_totals(mxd_store *s, const mxd_store_window *w, unsigned long long *reports,
                               unsigned long long *messages)
{
    store_stmt *st;
    if (reports)
        *reports = 0;
    if (messages)
        *messages = 0;
    if (!s)
        return MXD_ERR_INVALID;
    mxd_err e = store_prepare(
        s,
        "SELECT count(*), coalesce(sum(messages), 0) FROM (" REPORTS_IN_WINDOW("messages") ") AS d",
        &st);
    if (e)
        return e;
    bind_window(st, w);
    int rc = store_step(st);
    if (rc == SQLITE_ROW) {
        if (reports)
            *reports = ucount(st, 0);
        if (messages)
            *messages = ucount(st, 1);
    } else {
        e = store_sqlerr(s, rc, "counting DMARC reports");
    }
    store_release(s, st);
    return e;
}

static const char tls_sql[] =
    "WITH r AS MATERIALIZED (SELECT id, org_name FROM tls_reports WHERE" WINDOW_SQL "),"
    " p AS MATERIALIZED (SELECT p.id AS id, p.report AS report,"
    "  coalesce(p.policy_domain, '') AS pd, coalesce(p.policy_type, '') AS pt,"
    "  p.successful AS ok, p.failed AS bad, r.org_name AS org FROM tls_policies p"
    "  JOIN r ON p.report = r.id WHERE ?1 IS NULL OR p.policy_domain = ?1),"
    " t AS (SELECT pd, pt, sum(ok) AS ok, sum(bad) AS bad, count(DISTINCT report) AS nrep"
    "  FROM p GROUP BY pd, pt),"
    " tr AS (SELECT pd, pt, group_concat(org, ', ') AS list FROM"
    "  (SELECT DISTINCT pd, pt, org FROM p ORDER BY 1, 2, 3) AS d GROUP BY pd, pt),"
    " f AS MATERIALIZED (SELECT p.pd AS pd, p.pt AS pt, coalesce(f.result_type, '') AS rt,"
    "  coalesce(f.sending_mta_ip, '') AS mta, coalesce(f.receiving_mx_hostname, '') AS mx,"
    "  coalesce(f.receiving_ip, '') AS rip, f.failed_session_count AS n, p.report AS report,"
    "  p.org AS org FROM tls_failures f JOIN p ON f.policy = p.id),"
    " fl AS (SELECT pd, pt, rt, mta, mx, rip, sum(n) AS bad, count(DISTINCT report) AS nrep"
    "  FROM f GROUP BY pd, pt, rt, mta, mx, rip),"
    " fr AS (SELECT pd, pt, rt, mta, mx, rip, group_concat(org, ', ') AS list FROM"
    "  (SELECT DISTINCT pd, pt, rt, mta, mx, rip, org FROM f ORDER BY 1, 2, 3, 4, 5, 6, 7)"
    "  AS d GROUP BY pd, pt, rt, mta, mx, rip)"
    " SELECT t.pd, t.pt, NULL, NULL, NULL, NULL, tr.list, t.ok, t.bad, t.nrep, 0, t.bad"
    "  FROM t LEFT JOIN tr ON tr.pd = t.pd AND tr.pt = t.pt"
    " UNION ALL"
    " SELECT fl.pd, fl.pt, fl.rt, nullif(fl.mta, ''), nullif(fl.mx, ''), nullif(fl.rip, ''),"
    "  fr.list, 0, fl.bad, fl.nrep, 1, fl.bad FROM fl LEFT JOIN fr ON fr.pd = fl.pd"
    "  AND fr.pt = fl.pt AND fr.rt = fl.rt AND fr.mta = fl.mta AND fr.mx = fl.mx"
    "  AND fr.rip = fl.rip"
    " ORDER BY 1, 2, 11, 12 DESC, 3, 4, 5, 6";

mxd_err mxd_store_tls_summary(mxd_store *s, const mxd_store_window *w, mxd_tls_summary_cb cb,
                              void *arg)
{
    store_stmt *st;
    if (!s || !cb)
        return MXD_ERR_INVALID;
    mxd_err e = store_prepare(s, tls_sql, &st);
    if (e)
        return e;
    bind_window(st, w);
    int rc;
    while ((rc = store_step(st)) == SQLITE_ROW) {
        mxd_tls_summary t;
        const char *pd = store_col(st, 0), *pt = store_col(st, 1);
        t.policy_domain = pd && *pd ? pd : NULL;
        t.policy_type = pt && *pt ? pt : NULL;
        t.result_type = store_col(st, 2);
        t.sending_mta_ip = store_col(st, 3);
        t.receiving_mx_hostname = store_col(st, 4);
        t.receiving_ip = store_col(st, 5);
        t.reporters = store_col(st, 6);
        t.successful = ucount(st, 7);
        t.failed = ucount(st, 8);
        t.reports = ucount(st, 9);
        if (cb(arg, &t))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "summing TLS reports");
    store_release(s, st);
    return e;
}

/* --- all or nothing: a report is stored whole or not at all ------------------------------ */

mxd_err mxd_store_dmarc_agg_add(mxd_store *s, const mxd_dmarc_agg *r, const char *source,
                                long long at, int *added)
{
    int own;
    if (added)
        *added = 0;
    if (!s || !r)
        return MXD_ERR_INVALID;
    mxd_err e = store_implicit_begin(s, &own);
    if (e)
        return e;
    e = store_implicit_end(s, own, dmarc_agg_add(s, r, source, at, added));
    if (e && added)
        *added = 0;
    return e;
}

mxd_err mxd_store_tlsrpt_add(mxd_store *s, const mxd_tlsrpt *r, const char *source, long long at,
                             int *added)
{
    int own;
    if (added)
        *added = 0;
    if (!s || !r)
        return MXD_ERR_INVALID;
    mxd_err e = store_implicit_begin(s, &own);
    if (e)
        return e;
    e = store_implicit_end(s, own, tlsrpt_add(s, r, source, at, added));
    if (e && added)
        *added = 0;
    return e;
}
