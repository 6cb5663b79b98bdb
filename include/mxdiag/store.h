/* store.h - the record: suppression list, bounce and complaint events, DMARC and TLS reports
 * SPDX-License-Identifier: MIT
 *
 * A durable store, SQLite (loaded on first use, like libarchive and GMime: see util/dl.h) in
 * WAL mode, or, given a "postgresql://" URI instead of a path, the same schema on a PostgreSQL
 * server that many hosts share (libpq, loaded the same way; lib/store/pg.c). The schema is
 * versioned (PRAGMA user_version); opening an older database runs the migrations up to
 * MXD_STORE_SCHEMA_VERSION in one transaction; a newer one is refused.
 *
 * Writers bracket each message with mxd_store_begin() / mxd_store_commit(): one transaction
 * per message, so a crash (SIGKILL at any moment) loses at most the message being written,
 * which the next run ingests again; nothing is stored twice (messages and reports have unique
 * keys, see below). Many processes may write at once: a writer waits up to the busy timeout
 * for the lock, then gets MXD_ERR_BUSY (the caller exits 75, EX_TEMPFAIL, so Postfix retries).
 *
 * Addresses are stored normalised: angle brackets and blanks removed, lower case.
 * Times are seconds since 1970, UTC.
 *
 * Every function returning mxd_err writes a one-line reason into the store (mxd_store_error())
 * on failure. Strings handed to callbacks are valid only during the call.
 */
#ifndef MXDIAG_STORE_H
#define MXDIAG_STORE_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"
#include "mxdiag/report.h"
#include "mxdiag/feed.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MXD_STORE_SCHEMA_VERSION 4

typedef struct mxd_store mxd_store;

enum {
    MXD_STORE_READONLY = 1, /* open an existing database for reading (no create, no migration) */
};

/* mxd_store_default_path - where the database lives when no --db or MXDIAG_DB is given:
 * $XDG_STATE_HOME/mxdiag/mxdiag.db, or $HOME/.local/state/mxdiag/mxdiag.db. Writes it into
 * out; MXD_ERR_INVALID when neither variable is set, MXD_ERR_TOOBIG when out is too small. */
MXD_API mxd_err mxd_store_default_path(char *out, size_t outlen);

/* mxd_store_open - open (and unless READONLY create, with its parent directories, mode 0700)
 * the database at path, migrate it, set WAL and the busy timeout (default 10000 ms). A path
 * that starts "postgresql://" or "postgres://" is a libpq URI: the schema is created in the
 * database (its search_path) when missing; a server that cannot be reached is MXD_ERR_BUSY
 * (try again later); READONLY on a database without the schema is MXD_ERR_NOTFOUND.
 * Errors: MXD_ERR_NOTFOUND (READONLY and no such file), MXD_ERR_IO (cannot open or not a
 * database: why says which), MXD_ERR_DATA (the schema is newer than this program knows),
 * MXD_ERR_BUSY (locked longer than the timeout during migration), MXD_ERR_NOLIB (libsqlite3
 * cannot be loaded), MXD_ERR_NOMEM. On error *out is NULL and why (may be NULL) says why. */
MXD_API mxd_err mxd_store_open(const char *path, unsigned flags, mxd_store **out, char *why,
                               size_t whylen);
MXD_API void mxd_store_close(mxd_store *s);

/* mxd_store_shared - 1 when s is a PostgreSQL database that many hosts may share (fleet
 * mode: `--db postgresql://...`), 0 for an SQLite file. */
MXD_API int mxd_store_shared(const mxd_store *s);

/* mxd_store_leader - whether this connection leads the work called name (one `mxdiag watch`
 * of a fleet runs the checks and sends the alerts): on PostgreSQL a session advisory lock,
 * taken by the first to ask and held until its connection ends (a leader killed with SIGKILL
 * loses it at once: the next to ask takes over); *leader 1 when held. Ask again before each
 * piece of leader's work: a connection that broke loses the lock. On SQLite always 1. */
MXD_API mxd_err mxd_store_leader(mxd_store *s, const char *name, int *leader);

/* mxd_store_error - the reason of the last failed call on s ("" when none). */
MXD_API const char *mxd_store_error(const mxd_store *s);

/* mxd_store_schema_version - the database's version (after migration: the current one). */
MXD_API int mxd_store_schema_version(mxd_store *s);

/* mxd_store_set_busy_timeout - how long a writer waits for another one's lock, in ms. */
MXD_API void mxd_store_set_busy_timeout(mxd_store *s, int ms);

/* Transactions. begin takes the write lock at once (BEGIN IMMEDIATE): MXD_ERR_BUSY when it
 * stays taken beyond the busy timeout. (On PostgreSQL begin takes no lock: each write takes
 * the lock of what it changes, and a write that waits beyond the timeout fails with
 * MXD_ERR_BUSY.) A commit is atomic and survives the process being
 * killed at any moment; it is on disk (survives a power loss) once mxd_store_sync() has
 * returned MXD_OK: call it after a batch of commits, before saying "stored" to anyone (ingest
 * does before it exits 0). */
MXD_API mxd_err mxd_store_begin(mxd_store *s);
MXD_API mxd_err mxd_store_commit(mxd_store *s);
MXD_API void mxd_store_rollback(mxd_store *s);

/* mxd_store_lock - inside a transaction: take the store's write lock now, before reading what
 * the transaction will decide on (on PostgreSQL writers otherwise lock only what they change;
 * on SQLite BEGIN IMMEDIATE holds it already). MXD_ERR_BUSY after the busy timeout. */
MXD_API mxd_err mxd_store_lock(mxd_store *s);

/* mxd_store_sync - write what was committed to disk (fdatasync of the database and its WAL).
 * MXD_ERR_IO when the disk refuses. */
MXD_API mxd_err mxd_store_sync(mxd_store *s);

/* ---- messages ---------------------------------------------------------------------- */

/* Kinds of ingested message (mxd_store_message_add, the summaries). */
#define MXD_KIND_BOUNCE        "bounce"
#define MXD_KIND_COMPLAINT     "complaint" /* ARF feedback, JMRP ... */
#define MXD_KIND_DMARC_AGG     "dmarc-aggregate"
#define MXD_KIND_DMARC_FAILURE "dmarc-failure"
#define MXD_KIND_TLSRPT        "tls-report"
#define MXD_KIND_AUTOREPLY     "auto-reply"
#define MXD_KIND_OTHER         "other"

/* mxd_store_message_add - remember that the message with key (its Message-ID, else a hash
 * of its bytes: the caller decides) was ingested as kind from source (a path, "path:N") at
 * time at. *added is 1 when new, 0 when the key was already there (nothing changes then: the
 * caller skips the message). Inside a transaction. */
MXD_API mxd_err mxd_store_message_add(mxd_store *s, const char *key, const char *kind,
                                      const char *source, long long at, int *added);

/* ---- bounce and complaint events, suppression ---------------------------------------- */

/* What an event does to the suppression list (the caller classifies, the store applies):
 *   hard       permanent and the recipient's fault: suppress now;
 *   complaint  the recipient complained (ARF abuse, fraud ...): suppress now;
 *   soft       a temporary failure of the recipient (mailbox full ...): suppress once the
 *              address has soft_limit soft events within soft_days days (of event time);
 *   block      an IP, tenant, domain, content, rate or policy block: recorded, never
 *              suppresses anyone. */
typedef enum mxd_event_effect {
    MXD_EFFECT_HARD = 1,
    MXD_EFFECT_COMPLAINT = 2,
    MXD_EFFECT_SOFT = 3,
    MXD_EFFECT_BLOCK = 4
} mxd_event_effect;

typedef struct mxd_store_event {
    const char *msgkey;  /* the key the message was added with */
    const char *address; /* the recipient (normalised by the store) */
    mxd_event_effect effect;
    const char *reason;       /* Sisimai reason (userunknown, feedback ...) */
    const char *status;       /* "5.1.1" */
    const char *replycode;    /* "550" or NULL */
    const char *diagnostic;   /* the error text, or the complaint's feedback type */
    const char *provider;     /* or NULL */
    const char *scope;        /* or NULL */
    const char *feedbacktype; /* for complaints, else NULL */
    const char *source;       /* "path:N" */
    long long at;             /* when it happened (the bounce's time; else ingest time) */
} mxd_store_event;

typedef struct mxd_store_policy {
    unsigned soft_limit; /* soft events that suppress (default 3); 0: soft never suppresses */
    unsigned soft_days;  /* within this many days (default 7) */
} mxd_store_policy;

MXD_API void mxd_store_set_policy(mxd_store *s, const mxd_store_policy *p);

/* mxd_store_event_add - record an event (unique by msgkey + address: *added 0 for a
 * repeat, which changes nothing) and apply its effect on the suppression list. *suppressed
 * (may be NULL) is 1 when this event made the address suppressed (newly or again after a
 * remove), 0 otherwise. An address already suppressed gets last_seen and count updated.
 * Inside a transaction. */
MXD_API mxd_err mxd_store_event_add(mxd_store *s, const mxd_store_event *ev, int *added,
                                    int *suppressed);

typedef struct mxd_suppression {
    const char *address;
    const char *reason; /* the reason of the event that suppressed it (or of `suppress add`) */
    const char *effect; /* "hard" "complaint" "soft" "manual" */
    long long first_seen;
    long long last_seen;
    unsigned long long count; /* events for the address that count (hard, complaint, soft) */
    const char *source;       /* the message that caused it: "path:N" (or "manual") */
    const char *msgkey;       /* its key, NULL for manual entries */
    int active;               /* 0: removed (kept for history) */
    long long removed_at;     /* 0 unless removed */
} mxd_suppression;

typedef int (*mxd_suppression_cb)(void *arg, const mxd_suppression *e);

/* mxd_store_suppress_add - suppress address by hand (`suppress add --reason R`), at time at.
 * mxd_store_suppress_remove - lift it (the row and its history stay, active = 0); *found 0
 * when the address was not actively suppressed. Each opens its own transaction when none is
 * open. */
MXD_API mxd_err mxd_store_suppress_add(mxd_store *s, const char *address, const char *reason,
                                       long long at);
MXD_API mxd_err mxd_store_suppress_remove(mxd_store *s, const char *address, long long at,
                                          int *found);

/* mxd_store_suppress_each - every suppression (only active ones unless include_removed), by
 * address. Stops when cb returns non-zero. */
MXD_API mxd_err mxd_store_suppress_each(mxd_store *s, int include_removed, mxd_suppression_cb cb,
                                        void *arg);

/* mxd_store_suppress_check - look up n addresses in one read transaction (batched: fast over
 * a million); hit[i] is 1 when addresses[i] is actively suppressed. cb (may be NULL) gets the
 * entry of each hit. */
MXD_API mxd_err mxd_store_suppress_check(mxd_store *s, const char *const *addresses, size_t n,
                                         int *hit, mxd_suppression_cb cb, void *arg);

/* mxd_store_history_each - the events and manual actions of one address, oldest first
 * (events of the same second by what and reason, so the order does not depend on which
 * writer stored them first): cb gets (arg, at, what, reason, source) with what "hard"
 * "complaint" "soft" "block" "manual-add" "remove". */
typedef int (*mxd_history_cb)(void *arg, long long at, const char *what, const char *reason,
                              const char *source);
MXD_API mxd_err mxd_store_history_each(mxd_store *s, const char *address, mxd_history_cb cb,
                                       void *arg);

/* ---- reports ------------------------------------------------------------------------- */

/* mxd_store_dmarc_agg_add - store an aggregate report (every field of it). Unique by
 * reporter (org_name, else email) + report_id: *added 0 for a repeat. Inside a transaction. */
MXD_API mxd_err mxd_store_dmarc_agg_add(mxd_store *s, const mxd_dmarc_agg *r, const char *source,
                                        long long at, int *added);

/* mxd_store_tlsrpt_add - the same for a TLS report (organization-name + report-id). */
MXD_API mxd_err mxd_store_tlsrpt_add(mxd_store *s, const mxd_tlsrpt *r, const char *source,
                                     long long at, int *added);

/* mxd_store_dmarc_failure_add - a failure report, unique by msgkey. */
MXD_API mxd_err mxd_store_dmarc_failure_add(mxd_store *s, const char *msgkey,
                                            const mxd_dmarc_failure *f, const char *source,
                                            long long at, int *added);

/* A time window for the queries: reports whose date range overlaps [since, until); 0 for
 * "no bound". domain NULL: every domain. */
typedef struct mxd_store_window {
    const char *domain;
    long long since;
    long long until;
} mxd_store_window;

/* One source IP of the aggregate reports in a window, summed over its rows (per domain). */
typedef struct mxd_dmarc_source {
    const char *domain; /* policy_published domain */
    const char *ip;
    unsigned long long messages;
    unsigned long long reports;                  /* reports it appears in */
    unsigned long long none, quarantine, reject; /* disposition, in messages */
    unsigned long long spf_aligned;              /* messages with policy_evaluated spf pass */
    unsigned long long dkim_aligned;             /* ... dkim pass */
    unsigned long long dmarc_pass;               /* ... either */
    unsigned long long spf_pass;                 /* messages with some raw SPF result pass */
    unsigned long long dkim_pass;                /* messages with some raw DKIM result pass */
    unsigned long long forwarded;                /* messages with an override reason forwarded,
                                                    trusted_forwarder or mailing_list */
    const char *header_from;                     /* distinct values, ", "-separated */
    const char *envelope_from;                   /* distinct values */
    const char *spf_domains;  /* distinct "domain=result" of the raw SPF results */
    const char *dkim_domains; /* distinct "domain/selector=result" of the raw DKIM results */
    const char *overrides;    /* distinct override types */
    const char *reporters;    /* distinct reporter names */
    long long first;          /* earliest begin of its reports */
    long long last;           /* latest end */
} mxd_dmarc_source;

typedef int (*mxd_dmarc_source_cb)(void *arg, const mxd_dmarc_source *src);

/* mxd_store_dmarc_sources - per (domain, source IP) over the window, most messages first. */
MXD_API mxd_err mxd_store_dmarc_sources(mxd_store *s, const mxd_store_window *w,
                                        mxd_dmarc_source_cb cb, void *arg);

/* mxd_store_dmarc_totals - reports and messages in the window. */
MXD_API mxd_err mxd_store_dmarc_totals(mxd_store *s, const mxd_store_window *w,
                                       unsigned long long *reports, unsigned long long *messages);

/* One line of TLS failures in a window: per policy domain, policy type, sending MTA, receiving
 * MX and result type; rows with result_type NULL are the per-policy totals. */
typedef struct mxd_tls_summary {
    const char *policy_domain;
    const char *policy_type;
    const char *result_type; /* NULL: the policy's totals line */
    const char *sending_mta_ip;
    const char *receiving_mx_hostname;
    const char *receiving_ip;
    const char *reporters;         /* distinct organisation names */
    unsigned long long successful; /* totals line only */
    unsigned long long failed;
    unsigned long long reports;
} mxd_tls_summary;

typedef int (*mxd_tls_summary_cb)(void *arg, const mxd_tls_summary *t);

/* mxd_store_tls_summary - totals per (policy domain, type), each followed by its failure
 * lines (most failed sessions first). */
MXD_API mxd_err mxd_store_tls_summary(mxd_store *s, const mxd_store_window *w,
                                      mxd_tls_summary_cb cb, void *arg);

/* ---- watch: check states, their history, alerts and their notices, traffic ---------------
 *
 * `mxdiag watch` keeps here what it checks (one row per check key: "dnsbl/192.0.2.1/spamcop",
 * "spf/example.org", "dkim/example.org/s1" ...), every result as runs of equal results (a
 * result equal to the previous one extends its run: first_at .. last_at, runs), the alerts
 * (at most one open per key), the notices to send for them (kept until every channel took
 * them: a notice written in the transaction that opened the alert is sent after a crash,
 * never lost, and a restart finds the alert open instead of raising it again), the mail log's
 * volume per provider and hour, and where each followed log was left off (written in the same
 * transaction as the volume it read, so a kill -9 never counts a line twice). */

typedef enum mxd_watch_state {
    MXD_WATCH_OK = 0,      /* checked: fine */
    MXD_WATCH_PROBLEM = 1, /* checked: needs action */
    MXD_WATCH_UNKNOWN = 2  /* could not be checked (never a clean result) */
} mxd_watch_state;

/* mxd_watch_state_name - "ok", "problem", "unknown". */
MXD_API const char *mxd_watch_state_name(mxd_watch_state s);

/* One check's result, or (from the _each calls) its current row. */
typedef struct mxd_watch_check {
    const char *key;     /* unique: "<kind>/<subject>[/<item>]" */
    const char *kind;    /* dnsbl ptr spf dkim dmarc mx mta-sts tls-rpt */
    const char *subject; /* the IP or domain */
    const char *item;    /* the list id, the DKIM selector, or NULL */
    mxd_watch_state state;
    const char *value;  /* short, compared to see a change ("listed 127.0.0.2", "2048 bits") */
    const char *detail; /* one line for a person */
    long long since;    /* rows: when the state took its value */
    long long checked_at;
    unsigned failures;           /* rows: consecutive UNKNOWN results */
    const char *known_value;     /* rows: the value of the last result that was not UNKNOWN */
    mxd_watch_state known_state; /* ... and its state (MXD_WATCH_UNKNOWN when never known) */
} mxd_watch_check;

/* What a key looked like before mxd_store_watch_record() stored a new result. */
typedef struct mxd_watch_prev {
    int found;                   /* 0: the key is new */
    mxd_watch_state state;       /* the previous result's state */
    mxd_watch_state known_state; /* the last state that was not UNKNOWN (UNKNOWN if none) */
    char known_value[256];       /* its value ("" when none) */
    unsigned failures;           /* consecutive UNKNOWN results, this one included */
} mxd_watch_prev;

/* mxd_store_watch_record - store result r (key, kind, subject, state, value, detail) checked at
 * time at: the current row, and the history (the last run of this key is extended when state,
 * value and detail are equal, else a new run starts). *prev (may be NULL) gets what was there
 * before. All or nothing (its own transaction unless one is open). */
MXD_API mxd_err mxd_store_watch_record(mxd_store *s, const mxd_watch_check *r, long long at,
                                       mxd_watch_prev *prev);

typedef int (*mxd_watch_check_cb)(void *arg, const mxd_watch_check *c);

/* mxd_store_watch_each - the current rows, by subject, kind and item. */
MXD_API mxd_err mxd_store_watch_each(mxd_store *s, mxd_watch_check_cb cb, void *arg);

/* mxd_store_watch_forget - drop the current rows whose key is not one of keys[0..n): checks no
 * longer configured (their history stays until pruned). *dropped (may be NULL) counts them. */
MXD_API mxd_err mxd_store_watch_forget(mxd_store *s, const char *const *keys, size_t n,
                                       size_t *dropped);

/* One run of equal results of a key. */
typedef struct mxd_watch_span {
    const char *key, *kind, *subject, *item;
    mxd_watch_state state;
    const char *value, *detail;
    long long first_at, last_at;
    unsigned long long runs;
} mxd_watch_span;

typedef int (*mxd_watch_span_cb)(void *arg, const mxd_watch_span *r);

/* mxd_store_watch_history - the runs that started in [since, until) (0: no bound), newest
 * first, at most limit (0: all); key NULL: every key. A run is a change: the timeline. With
 * MXD_WATCH_CHANGES, a key's first run is left out when it is OK (a check that started out
 * fine changed nothing). */
#define MXD_WATCH_CHANGES 1u
MXD_API mxd_err mxd_store_watch_history(mxd_store *s, const char *key, long long since,
                                        long long until, size_t limit, unsigned flags,
                                        mxd_watch_span_cb cb, void *arg);

/* An alert: opened on a change for the worse, closed (recovered) on the change back. */
typedef struct mxd_watch_alert {
    long long id;
    const char *key;      /* the check key, "cannot/<check key>", "log/<kind>/<subject>" */
    const char *kind;     /* listed, ptr, spf, dkim, dmarc, mx, mta-sts, tls-rpt, cannot-check,
                             weakened, spike, bounce-rate, new-block */
    const char *subject;  /* the IP, domain, provider or sender */
    const char *item;     /* list id, selector, or NULL */
    const char *severity; /* "critical", "warning", "info" */
    const char *title;    /* one line */
    const char *detail;
    long long opened_at;
    long long closed_at; /* 0 while open */
    long long notified_at;
    unsigned notices;
} mxd_watch_alert;

typedef int (*mxd_watch_alert_cb)(void *arg, const mxd_watch_alert *a);

/* mxd_store_alert_open_id - the id of key's open alert into *id (0 when none). */
MXD_API mxd_err mxd_store_alert_open_id(mxd_store *s, const char *key, long long *id);

/* mxd_store_alert_last_opened - when the latest alert of key (open or closed) was opened into
 * *at (0 when key never had one). */
MXD_API mxd_err mxd_store_alert_last_opened(mxd_store *s, const char *key, long long *at);

/* mxd_store_alert_open - open an alert (key, kind, subject, item, severity, title, detail of a)
 * at time at; *id its id. MXD_ERR_INVALID when key has one open already. Inside the caller's
 * transaction with the notice it sends (mxd_store_notice_add). */
MXD_API mxd_err mxd_store_alert_open(mxd_store *s, const mxd_watch_alert *a, long long at,
                                     long long *id);

/* mxd_store_alert_update - a still open alert's title and detail (the listing's code changed). */
MXD_API mxd_err mxd_store_alert_update(mxd_store *s, long long id, const char *title,
                                       const char *detail);

/* mxd_store_alert_close - close alert id at time at. */
MXD_API mxd_err mxd_store_alert_close(mxd_store *s, long long id, long long at);

/* mxd_store_alert_notified - count a notice of alert id sent (or queued) at time at. */
MXD_API mxd_err mxd_store_alert_notified(mxd_store *s, long long id, long long at);

/* mxd_store_alerts - alerts, newest first: open ones only (open_only), or also those closed at
 * or after since; at most limit (0: all). mxd_store_alerts_due - the open alerts last notified
 * at or before before (for the repeat). */
MXD_API mxd_err mxd_store_alerts(mxd_store *s, int open_only, long long since, size_t limit,
                                 mxd_watch_alert_cb cb, void *arg);
MXD_API mxd_err mxd_store_alerts_due(mxd_store *s, long long before, mxd_watch_alert_cb cb,
                                     void *arg);

/* mxd_store_alert_get - alert id to cb (not called when there is none). */
MXD_API mxd_err mxd_store_alert_get(mxd_store *s, long long id, mxd_watch_alert_cb cb, void *arg);

/* A notice: one message about an alert (type "open", "repeat", "recovery", "event"), its body
 * (the JSON every channel gets), and the channels (a bit mask the caller defines) that have not
 * taken it yet. */
typedef struct mxd_watch_notice {
    long long id, alert;
    const char *type;
    const char *body;
    long long created_at;
    unsigned pending;
    unsigned attempts;
    const char *error; /* the last failure, or NULL */
} mxd_watch_notice;

typedef int (*mxd_watch_notice_cb)(void *arg, const mxd_watch_notice *n);

MXD_API mxd_err mxd_store_notice_add(mxd_store *s, long long alert, const char *type,
                                     const char *body, unsigned channels, long long at);

/* mxd_store_notices_pending - notices with channels left and due (next try at or before now),
 * oldest first. */
MXD_API mxd_err mxd_store_notices_pending(mxd_store *s, long long now, mxd_watch_notice_cb cb,
                                          void *arg);

/* mxd_store_notice_done - after a try: the channels still pending (0: done), when to try again,
 * and the failure (NULL when none). */
MXD_API mxd_err mxd_store_notice_done(mxd_store *s, long long id, unsigned pending,
                                      long long next_at, const char *error);

/* mxd_store_traffic_add - n outcomes (sent, deferred, bounced, rejected, expired) for provider
 * in the hour that starts at hour (seconds, a multiple of 3600). */
MXD_API mxd_err mxd_store_traffic_add(mxd_store *s, long long hour, const char *provider,
                                      const char *outcome, unsigned long long n);

typedef struct mxd_traffic_row {
    long long hour; /* 0 in totals */
    const char *provider;
    unsigned long long sent, deferred, bounced, rejected, expired;
} mxd_traffic_row;

typedef int (*mxd_traffic_cb)(void *arg, const mxd_traffic_row *r);

/* mxd_store_traffic - the hours in [since, until) (0: no bound), by hour then provider; with
 * totals, one row per provider summed over the window instead (hour 0), most mail first. */
MXD_API mxd_err mxd_store_traffic(mxd_store *s, long long since, long long until, int totals,
                                  mxd_traffic_cb cb, void *arg);

/* mxd_store_logpos_get / _set - where the followed log at path was left (dev, ino, offset);
 * *found 0 when never. */
MXD_API mxd_err mxd_store_logpos_get(mxd_store *s, const char *path, unsigned long long *dev,
                                     unsigned long long *ino, unsigned long long *offset,
                                     int *found);
MXD_API mxd_err mxd_store_logpos_set(mxd_store *s, const char *path, unsigned long long dev,
                                     unsigned long long ino, unsigned long long offset,
                                     long long at);

/* mxd_store_watch_prune - drop history runs that ended, alerts closed, notices sent and
 * traffic hours before before: the database stays bounded however long the daemon runs. */
MXD_API mxd_err mxd_store_watch_prune(mxd_store *s, long long before);

/* ---- provider feeds: SNDS, Postmaster Tools; warm-up plans -------------------------------
 *
 * One row per IP and day (SNDS) and per domain and day (Postmaster Tools): importing the same
 * report again replaces the rows with equal values, so a re-import is idempotent. Each put is
 * all or nothing (its own transaction unless one is open). *added (may be NULL) is 1 when the
 * row is new, 0 when it replaced one. */

MXD_API mxd_err mxd_store_snds_put(mxd_store *s, const mxd_snds_row *r, const char *source,
                                   long long at, int *added);

/* mxd_store_snds_block_put - a range of the IP status report, unique by (first, last IP):
 * first_seen stays, last_seen, blocked and reason are replaced. */
MXD_API mxd_err mxd_store_snds_block_put(mxd_store *s, const mxd_snds_block *b, const char *source,
                                         long long at, int *added);

/* mxd_store_gpt_put - a Postmaster Tools day; a value absent from d (-1, NULL) keeps the stored
 * one (v2 answers one metric at a time), the sample IPs of its reputation buckets go to
 * gpt_ips. */
MXD_API mxd_err mxd_store_gpt_put(mxd_store *s, const mxd_gpt_day *d, const char *source,
                                  long long at, int *added);

typedef int (*mxd_snds_row_cb)(void *arg, const mxd_snds_row *r);
typedef int (*mxd_snds_block_cb)(void *arg, const mxd_snds_block *b, long long first_seen,
                                 long long last_seen);
typedef int (*mxd_gpt_day_cb)(void *arg, const mxd_gpt_day *d);

/* mxd_store_snds_each - the SNDS rows of days at or after since ("YYYY-MM-DD", NULL: all),
 * newest day first, then by IP. mxd_store_snds_blocks_each - the ranges, blocked ones only
 * when blocked_only. mxd_store_gpt_each - the Postmaster Tools days at or after since, newest
 * first (without the reputation buckets: nipreps and nerrors are 0). Stop when cb returns
 * non-zero. */
MXD_API mxd_err mxd_store_snds_each(mxd_store *s, const char *since, mxd_snds_row_cb cb, void *arg);
MXD_API mxd_err mxd_store_snds_blocks_each(mxd_store *s, int blocked_only, mxd_snds_block_cb cb,
                                           void *arg);
MXD_API mxd_err mxd_store_gpt_each(mxd_store *s, const char *since, mxd_gpt_day_cb cb, void *arg);

/* mxd_store_warmup_put / _get - an IP's warm-up plan parameters: target per day, first day
 * ("YYYY-MM-DD"), days. get: *found 0 when the IP has none. */
MXD_API mxd_err mxd_store_warmup_put(mxd_store *s, const char *ip, unsigned long long target,
                                     const char *start, unsigned days, long long at);
MXD_API mxd_err mxd_store_warmup_get(mxd_store *s, const char *ip, unsigned long long *target,
                                     char start[11], unsigned *days, int *found);

#ifdef __cplusplus
}
#endif
#endif
