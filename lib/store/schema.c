/* schema.c - the database schema, as a list of migrations
 * SPDX-License-Identifier: MIT
 *
 * PRAGMA user_version holds the number of migrations applied (on PostgreSQL the table
 * mxd_schema, and pg_translate() turns the steps' SQLite DDL into PostgreSQL's). Step N takes a
 * database of version N-1 to version N; opening applies the pending ones in one BEGIN IMMEDIATE
 * transaction (a crash leaves the old version whole) and re-reads the version inside it, so
 * two processes opening one new database at once migrate it once. A version above
 * MXD_STORE_SCHEMA_VERSION was written by a newer mxdiag: refused (MXD_ERR_DATA), never
 * downgraded. Steps are only ever appended; a released step is never edited.
 *
 *   1  messages, events, suppressions (WITHOUT ROWID: the check by address is one b-tree
 *      search), suppression_history, DMARC aggregate reports (dmarc_reports, dmarc_rows,
 *      dmarc_reasons, dmarc_auth) and TLS reports (tls_reports, tls_policies, tls_failures).
 *   2  dmarc_failures (failure reports, unique by message key) with an index by reported
 *      domain and arrival, and an index of dmarc_reports by date range for windows without a
 *      domain.
 *   3  the watch daemon's tables: watch_checks (the current result per check key), watch_history
 *      (runs of equal results), watch_alerts (at most one open per key: a partial unique
 *      index), watch_notices (what is still to send, per channel), traffic_hourly (mail log
 *      outcomes per provider and hour) and log_positions (where each followed log was left).
 *   4  provider feeds and warm-up: snds_daily (one row per IP and day: a re-import replaces
 *      it), snds_blocks (the IP status report's ranges, first and last seen), gpt_daily (one
 *      row per domain and day; v2's per-metric answers fill it column by column), gpt_ips (the
 *      sample IPs of v1's reputation buckets) and warmup_plans (the parameters of each IP's
 *      plan: the plan itself is recomputed from them).
 */
#include <stdio.h>
#include "store/store_internal.h"

static const char step1[] =
    "CREATE TABLE messages ("
    " id INTEGER PRIMARY KEY,"
    " key TEXT NOT NULL UNIQUE,"
    " kind TEXT NOT NULL,"
    " source TEXT,"
    " at INTEGER NOT NULL);"

    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY,"
    " msgkey TEXT NOT NULL,"
    " address TEXT NOT NULL,"
    " effect TEXT NOT NULL CHECK (effect IN ('hard','complaint','soft','block')),"
    " reason TEXT, status TEXT, replycode TEXT, diagnostic TEXT, provider TEXT, scope TEXT,"
    " feedbacktype TEXT, source TEXT,"
    " at INTEGER NOT NULL,"
    " UNIQUE (msgkey, address));"
    "CREATE INDEX events_address ON events (address, effect, at);"

    "CREATE TABLE suppressions ("
    " address TEXT PRIMARY KEY,"
    " reason TEXT,"
    " effect TEXT NOT NULL CHECK (effect IN ('hard','complaint','soft','manual')),"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " count INTEGER NOT NULL DEFAULT 0,"
    " source TEXT,"
    " msgkey TEXT,"
    " active INTEGER NOT NULL DEFAULT 1,"
    " removed_at INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"

    "CREATE TABLE suppression_history ("
    " id INTEGER PRIMARY KEY,"
    " address TEXT NOT NULL,"
    " action TEXT NOT NULL CHECK (action IN ('manual-add','remove')),"
    " reason TEXT,"
    " source TEXT,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX suppression_history_address ON suppression_history (address, at);"

    "CREATE TABLE dmarc_reports ("
    " id INTEGER PRIMARY KEY,"
    " reporter TEXT NOT NULL,"
    " report_id TEXT NOT NULL,"
    " version TEXT, rfc9990 INTEGER NOT NULL DEFAULT 0,"
    " org_name TEXT, email TEXT, extra_contact_info TEXT,"
    " begin_at INTEGER NOT NULL, end_at INTEGER NOT NULL,"
    " errors TEXT," /* JSON array of strings, NULL when none */
    " generator TEXT,"
    " domain TEXT COLLATE NOCASE,"
    " adkim TEXT, aspf TEXT, p TEXT, sp TEXT, np TEXT, pct TEXT, fo TEXT, testing TEXT,"
    " discovery_method TEXT,"
    " messages INTEGER NOT NULL DEFAULT 0,"
    " source TEXT,"
    " at INTEGER NOT NULL,"
    " UNIQUE (reporter, report_id));"
    "CREATE INDEX dmarc_reports_domain ON dmarc_reports (domain, end_at);"

    "CREATE TABLE dmarc_rows ("
    " id INTEGER PRIMARY KEY,"
    " report INTEGER NOT NULL REFERENCES dmarc_reports (id) ON DELETE CASCADE,"
    " source_ip TEXT,"
    " count INTEGER NOT NULL DEFAULT 0,"
    " disposition TEXT, dkim TEXT, spf TEXT,"
    " header_from TEXT, envelope_from TEXT, envelope_to TEXT);"
    "CREATE INDEX dmarc_rows_report ON dmarc_rows (report);"

    "CREATE TABLE dmarc_reasons ("
    " id INTEGER PRIMARY KEY,"
    " row INTEGER NOT NULL REFERENCES dmarc_rows (id) ON DELETE CASCADE,"
    " type TEXT, comment TEXT);"
    "CREATE INDEX dmarc_reasons_row ON dmarc_reasons (row);"

    "CREATE TABLE dmarc_auth ("
    " id INTEGER PRIMARY KEY,"
    " row INTEGER NOT NULL REFERENCES dmarc_rows (id) ON DELETE CASCADE,"
    " kind TEXT NOT NULL CHECK (kind IN ('dkim','spf')),"
    " domain TEXT, selector TEXT, scope TEXT, result TEXT, human_result TEXT);"
    "CREATE INDEX dmarc_auth_row ON dmarc_auth (row, kind);"

    "CREATE TABLE tls_reports ("
    " id INTEGER PRIMARY KEY,"
    " org_name TEXT NOT NULL,"
    " report_id TEXT NOT NULL,"
    " contact_info TEXT,"
    " begin_at INTEGER NOT NULL, end_at INTEGER NOT NULL,"
    " source TEXT,"
    " at INTEGER NOT NULL,"
    " UNIQUE (org_name, report_id));"

    "CREATE TABLE tls_policies ("
    " id INTEGER PRIMARY KEY,"
    " report INTEGER NOT NULL REFERENCES tls_reports (id) ON DELETE CASCADE,"
    " policy_type TEXT,"
    " policy_domain TEXT COLLATE NOCASE,"
    " policy_strings TEXT," /* JSON array */
    " mx_hosts TEXT,"       /* JSON array */
    " successful INTEGER NOT NULL DEFAULT 0,"
    " failed INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX tls_policies_report ON tls_policies (report);"

    "CREATE TABLE tls_failures ("
    " id INTEGER PRIMARY KEY,"
    " policy INTEGER NOT NULL REFERENCES tls_policies (id) ON DELETE CASCADE,"
    " result_type TEXT, sending_mta_ip TEXT, receiving_mx_hostname TEXT,"
    " receiving_mx_helo TEXT, receiving_ip TEXT,"
    " failed_session_count INTEGER NOT NULL DEFAULT 0,"
    " additional_information TEXT, failure_reason_code TEXT);"
    "CREATE INDEX tls_failures_policy ON tls_failures (policy);";

static const char step2[] =
    "CREATE TABLE dmarc_failures ("
    " id INTEGER PRIMARY KEY,"
    " msgkey TEXT NOT NULL UNIQUE,"
    " reporter TEXT, feedback_type TEXT, auth_failure TEXT,"
    " reported_domain TEXT COLLATE NOCASE,"
    " source_ip TEXT, original_mail_from TEXT, original_rcpt_to TEXT,"
    " original_envelope_id TEXT, delivery_result TEXT,"
    " dkim_domain TEXT, dkim_selector TEXT, dkim_identity TEXT,"
    " spf_dns TEXT, identity_alignment TEXT, authentication_results TEXT,"
    " arrival INTEGER NOT NULL DEFAULT 0,"
    " user_agent TEXT, header_from TEXT, subject TEXT, message_id TEXT,"
    " source TEXT,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX dmarc_failures_domain ON dmarc_failures (reported_domain, arrival);"
    "CREATE INDEX dmarc_reports_range ON dmarc_reports (end_at, begin_at);";

static const char step3[] =
    "CREATE TABLE watch_checks ("
    " key TEXT PRIMARY KEY,"
    " kind TEXT NOT NULL, subject TEXT NOT NULL, item TEXT,"
    " state INTEGER NOT NULL CHECK (state IN (0, 1, 2)),"
    " value TEXT, detail TEXT,"
    " since INTEGER NOT NULL, checked_at INTEGER NOT NULL,"
    " failures INTEGER NOT NULL DEFAULT 0,"
    " known_state INTEGER NOT NULL DEFAULT 2, known_value TEXT) WITHOUT ROWID;"

    "CREATE TABLE watch_history ("
    " id INTEGER PRIMARY KEY,"
    " key TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, item TEXT,"
    " state INTEGER NOT NULL, value TEXT, detail TEXT,"
    " first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,"
    " runs INTEGER NOT NULL DEFAULT 1);"
    "CREATE INDEX watch_history_key ON watch_history (key, first_at);"
    "CREATE INDEX watch_history_first ON watch_history (first_at);"

    "CREATE TABLE watch_alerts ("
    " id INTEGER PRIMARY KEY,"
    " key TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT, item TEXT,"
    " severity TEXT NOT NULL, title TEXT NOT NULL, detail TEXT,"
    " opened_at INTEGER NOT NULL, closed_at INTEGER NOT NULL DEFAULT 0,"
    " notified_at INTEGER NOT NULL DEFAULT 0, notices INTEGER NOT NULL DEFAULT 0);"
    "CREATE UNIQUE INDEX watch_alerts_open ON watch_alerts (key) WHERE closed_at = 0;"
    "CREATE INDEX watch_alerts_closed ON watch_alerts (closed_at);"

    "CREATE TABLE watch_notices ("
    " id INTEGER PRIMARY KEY,"
    " alert INTEGER NOT NULL,"
    " type TEXT NOT NULL CHECK (type IN ('open', 'repeat', 'recovery', 'event')),"
    " body TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " pending INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_at INTEGER NOT NULL DEFAULT 0,"
    " error TEXT);"
    "CREATE INDEX watch_notices_pending ON watch_notices (next_at) WHERE pending != 0;"

    "CREATE TABLE traffic_hourly ("
    " hour INTEGER NOT NULL, provider TEXT NOT NULL,"
    " sent INTEGER NOT NULL DEFAULT 0, deferred INTEGER NOT NULL DEFAULT 0,"
    " bounced INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0,"
    " expired INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (hour, provider)) WITHOUT ROWID;"

    "CREATE TABLE log_positions ("
    " path TEXT PRIMARY KEY, dev INTEGER NOT NULL, ino INTEGER NOT NULL,"
    " offset INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;";

static const char step4[] =
    "CREATE TABLE snds_daily ("
    " ip TEXT NOT NULL, date TEXT NOT NULL,"
    " activity_start INTEGER, activity_end INTEGER,"
    " rcpt INTEGER, data INTEGER, recipients INTEGER,"
    " filter TEXT, complaint TEXT,"
    " trap_start INTEGER, trap_end INTEGER, trap_hits INTEGER,"
    " helo TEXT, mailfrom TEXT, comments TEXT,"
    " source TEXT, at INTEGER NOT NULL,"
    " PRIMARY KEY (ip, date)) WITHOUT ROWID;"
    "CREATE INDEX snds_daily_date ON snds_daily (date);"

    "CREATE TABLE snds_blocks ("
    " first_ip TEXT NOT NULL, last_ip TEXT NOT NULL,"
    " blocked INTEGER, reason TEXT,"
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, source TEXT,"
    " PRIMARY KEY (first_ip, last_ip)) WITHOUT ROWID;"

    "CREATE TABLE gpt_daily ("
    " domain TEXT NOT NULL COLLATE NOCASE, date TEXT NOT NULL,"
    " spam_rate REAL, domain_reputation TEXT,"
    " spf REAL, dkim REAL, dmarc REAL, inbound_tls REAL, outbound_tls REAL,"
    " delivery_error_rate REAL,"
    " delivery_errors TEXT," /* JSON array */
    " ip_reputations TEXT,"  /* JSON array */
    " source TEXT, at INTEGER NOT NULL,"
    " PRIMARY KEY (domain, date)) WITHOUT ROWID;"
    "CREATE INDEX gpt_daily_date ON gpt_daily (date);"

    "CREATE TABLE gpt_ips ("
    " domain TEXT NOT NULL COLLATE NOCASE, date TEXT NOT NULL, ip TEXT NOT NULL,"
    " reputation TEXT,"
    " PRIMARY KEY (domain, date, ip)) WITHOUT ROWID;"

    "CREATE TABLE warmup_plans ("
    " ip TEXT PRIMARY KEY, target INTEGER NOT NULL, start TEXT NOT NULL,"
    " days INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;";

/* The migrations: steps[i] takes version i to version i + 1. */
static const char *const steps[] = {step1, step2, step3, step4};

_Static_assert(sizeof steps / sizeof steps[0] == MXD_STORE_SCHEMA_VERSION,
               "one migration step per schema version");

/* user_version - the database's PRAGMA user_version into *v. */
static mxd_err user_version(mxd_store *s, int *v)
{
    if (s->backend == STORE_PG)
        return store_pg_version(s, v);
    store_stmt *st;
    mxd_err e = store_prepare(s, "PRAGMA user_version", &st);
    if (e)
        return e;
    int rc = store_step(st);
    if (rc == SQLITE_ROW) {
        *v = (int)store_col_int64(st, 0);
        store_release(s, st);
        return MXD_OK;
    }
    e = store_sqlerr(s, rc, "reading the schema version");
    store_release(s, st);
    return e;
}

static mxd_err too_new(mxd_store *s, int v)
{
    return store_fail(s, MXD_ERR_DATA,
                      "%s: schema version %d is newer than this mxdiag knows (%d): "
                      "use a newer mxdiag",
                      s->path, v, MXD_STORE_SCHEMA_VERSION);
}

mxd_err store_migrate(mxd_store *s, int target)
{
    int v;
    mxd_err e = user_version(s, &v);
    if (e)
        return e;
    if (v > MXD_STORE_SCHEMA_VERSION)
        return too_new(s, v);
    if (v >= target || s->readonly) {
        s->version = v;
        return MXD_OK;
    }
    if ((e = store_exec(s, s->backend == STORE_PG ? "BEGIN" : "BEGIN IMMEDIATE")))
        return e;
    if (s->backend == STORE_PG && (e = store_pg_migrate_lock(s)))
        goto fail;
    if ((e = user_version(s, &v))) /* another process may have migrated meanwhile */
        goto fail;
    if (v > MXD_STORE_SCHEMA_VERSION) {
        e = too_new(s, v);
        goto fail;
    }
    for (int i = v; i < target; i++) {
        if ((e = store_exec(s, steps[i]))) {
            char step[STORE_ERR_MAX];
            snprintf(step, sizeof step, "%s", s->err);
            e = store_fail(s, e, "%s: migration to schema version %d: %s", s->path, i + 1, step);
            goto fail;
        }
    }
    if (v < target && s->backend == STORE_PG) {
        if ((e = store_pg_set_version(s, target)))
            goto fail;
        v = target;
    }
    if (v < target) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", target);
        if ((e = store_exec(s, sql)))
            goto fail;
        v = target;
    }
    if ((e = store_exec(s, "COMMIT")))
        goto fail;
    s->version = v;
    return MXD_OK;
fail:
    if (store_in_transaction(s))
        store_exec(s, "ROLLBACK");
    return e;
}
