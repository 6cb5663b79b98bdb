/* log.h - read mail logs: framing, MTA line parsers, per-recipient events, a report
 * SPDX-License-Identifier: MIT
 *
 * Three layers, each usable alone:
 *
 *   mxd_log_input  opens one log (a file, "-" for standard input; .gz .xz .bz2 through
 *                  libarchive, loaded on first use) and yields framed lines: syslog RFC 3164 ("Mar
 * 5 10:00:01"), RFC 3339 (rsyslog's file format), RFC 5424, `journalctl -o export` and
 *                  `-o json` records, each as time, host, program, pid and message.
 *   mxd_log_ctx    takes framed lines, parses Postfix, Exim and Sendmail lines, reassembles
 *                  each message by queue ID in a bounded table and calls back once per
 *                  recipient outcome (an mxd_log_event), classified with the knowledge base.
 *   the report     counts what the context saw (totals counted as pflogsumm counts them,
 *                  per provider, per sender, alerts) and writes it as JSON or hands it over.
 *
 * Memory is bounded whatever the input: lines longer than MXD_LOG_LINE_MAX are cut, at most
 * MXD_LOG_INFLIGHT_MAX messages are held in flight (the least recently seen is evicted), and
 * the report keeps at most MXD_LOG_KEYS_MAX providers and senders. A line that cannot be read
 * is counted as unknown, never an error.
 */
#ifndef MXDIAG_LOG_H
#define MXDIAG_LOG_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"
#include "mxdiag/kb.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MXD_LOG_LINE_MAX     16384 /* longest line kept; the rest of a longer line is dropped */
#define MXD_LOG_INFLIGHT_MAX 32768 /* messages reassembled at the same time */
#define MXD_LOG_KEYS_MAX     4096  /* providers and senders kept by the report each */
#define MXD_LOG_INPUTS_MAX   256   /* inputs read together in time order */

typedef enum mxd_log_format {
    MXD_LOG_FMT_AUTO = 0, /* detect per line (framing) and per program (MTA) */
    MXD_LOG_FMT_POSTFIX,
    MXD_LOG_FMT_EXIM,
    MXD_LOG_FMT_SENDMAIL,
    MXD_LOG_FMT_JOURNAL /* journalctl -o export or -o json only */
} mxd_log_format;

/* One framed log line. Strings are NUL-terminated and valid until the next call on the same
 * input; absent ones are "". */
typedef struct mxd_log_line {
    int framed;       /* 0: no known framing (counted as unknown by the context) */
    long long time;   /* seconds since 1970 UTC; 0 when the line has no time */
    long usec;        /* microseconds, when the stamp has them */
    const char *host; /* the host that logged it */
    const char *prog; /* "postfix/smtp", "postfix-out/smtp", "exim", "sm-mta" ... */
    long pid;         /* -1 when absent */
    const char *msg;  /* the message after "prog[pid]: " */
    size_t msglen;
} mxd_log_line;

/* How an input frames its lines. */
typedef struct mxd_log_input_opts {
    mxd_log_format format; /* MXD_LOG_FMT_JOURNAL: records are journal export/JSON */
    int year;              /* year of the first RFC 3164 line (0: from ref_time) */
    long long ref_time;    /* without year: no RFC 3164 stamp lies more than a day after this;
                              0: the file's modification time (standard input: required) */
    int follow;            /* a last line without its newline waits for the newline */
} mxd_log_input_opts;

typedef struct mxd_log_input mxd_log_input;

/* mxd_log_input_open - open path ("-": standard input; compressed files are detected by their
 * first bytes). On success *out is an input the caller closes with mxd_log_input_close().
 * Errors: MXD_ERR_NOTFOUND (no such file), MXD_ERR_IO (cannot be read; why says why),
 * MXD_ERR_NOLIB (compressed, and libarchive.so.13 cannot be loaded; why names the file and
 * says why), MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_log_input_open(const char *path, const mxd_log_input_opts *opts,
                                   mxd_log_input **out, char *why, size_t whylen);

/* mxd_log_input_open_mem - an input over len bytes in memory (not copied: they must outlive
 * the input), for tests and fuzzing. */
MXD_API mxd_err mxd_log_input_open_mem(const char *data, size_t len, const mxd_log_input_opts *opts,
                                       mxd_log_input **out);

/* mxd_log_input_next - the next line or record into *line. Returns MXD_OK, MXD_ERR_NOTFOUND at
 * the end, MXD_ERR_IO on a read error (why says what). */
MXD_API mxd_err mxd_log_input_next(mxd_log_input *in, mxd_log_line *line, char *why, size_t whylen);

/* mxd_log_input_close - close and free; NULL is accepted. */
MXD_API void mxd_log_input_close(mxd_log_input *in);

/* mxd_log_input_stats - lines read so far, and how many were longer than MXD_LOG_LINE_MAX. */
MXD_API void mxd_log_input_stats(const mxd_log_input *in, unsigned long long *lines,
                                 unsigned long long *cut);

/* Where a follow left off: the file's identity and the offset read up to. */
typedef struct mxd_log_position {
    unsigned long long dev, ino;
    unsigned long long offset;
} mxd_log_position;

/* mxd_log_input_position - the identity and offset up to which lines were returned (plain
 * files only; MXD_ERR_INVALID for compressed input and standard input). */
MXD_API mxd_err mxd_log_input_position(const mxd_log_input *in, mxd_log_position *pos);

/* mxd_log_input_seek - continue a plain file from pos->offset (a saved position of the same
 * file). MXD_ERR_INVALID when the input cannot seek. */
MXD_API mxd_err mxd_log_input_seek(mxd_log_input *in, unsigned long long offset);

/* mxd_log_input_poll - for --follow: the input reached its end; look at its path again. Returns
 * 0 when nothing changed (no new bytes), 1 when new bytes can be read, 2 when the file was
 * replaced (rotation by rename: the old file was read to its end and the new one opened from
 * its start), 3 when it was truncated (copy-truncate: read again from the start). -1 on error
 * (why says what). The caller decides when to poll; the library keeps no clock. */
MXD_API int mxd_log_input_poll(mxd_log_input *in, char *why, size_t whylen);

/* One recipient outcome (or an inbound rejection). Strings are valid during the callback only;
 * absent ones are NULL. Field names follow mxd_bounce_record where the concept is the same. */
typedef struct mxd_log_event {
    long long timestamp;        /* seconds since 1970 UTC */
    const char *mta;            /* "postfix", "exim", "sendmail" */
    const char *instance;       /* "postfix", "postfix-out", "postfix/submission" ... */
    const char *queueid;        /* the MTA's queue ID */
    const char *messageid;      /* Message-ID without <> */
    const char *addresser;      /* envelope sender ("" for the null sender) */
    const char *senderdomain;   /* its domain */
    const char *sasl_username;  /* SMTP AUTH user the message came in with */
    const char *client_host;    /* the client that handed the message over */
    const char *client_ip;      /* its address */
    const char *recipient;      /* to= */
    const char *orig_to;        /* orig_to= */
    const char *destination;    /* recipient domain */
    const char *provider;       /* provider id (kb), from the relay host, else the domain */
    const char *rhost;          /* relay host name */
    const char *relay_ip;       /* relay address */
    const char *outcome;        /* sent, deferred, bounced, expired, rejected */
    const char *action;         /* RFC 3464: delivered, delayed, failed */
    const char *status;         /* DSN code "5.1.1" (Postfix dsn=) */
    const char *replycode;      /* "550" */
    const char *reason;         /* Sisimai reason name, "delivered" for sent */
    const char *scope;          /* ip domain sender recipient content rate tenant system */
    const char *summary;        /* the knowledge base's one-line explanation (kb) */
    int hardbounce;             /* 1: permanent and the recipient's fault */
    double delay;               /* seconds, -1 unknown */
    long long size;             /* message size, -1 unknown */
    const char *diagnosticcode; /* the reply text */
    int not_block;              /* the knowledge base says this block-class reason is no block
                                   (greylisting): no new-block alert */
} mxd_log_event;

typedef int (*mxd_log_event_cb)(void *arg, const mxd_log_event *ev);

/* Alert kinds. */
typedef enum mxd_log_alert_kind {
    MXD_LOG_ALERT_SPIKE = 0,   /* a sender's hourly volume jumped */
    MXD_LOG_ALERT_BOUNCE_RATE, /* a provider bounced or deferred too much in an hour */
    MXD_LOG_ALERT_NEW_BLOCK    /* a provider's first block-class reply */
} mxd_log_alert_kind;

typedef struct mxd_log_alert {
    mxd_log_alert_kind kind;
    const char *kind_name; /* "spike", "bounce-rate", "new-block" */
    const char *key;       /* the sender or provider */
    const char *by;        /* spike: the sender key kind ("sasl-user" ...); else "provider" */
    long long time;        /* start of the hour, or the time of the reply */
    unsigned long count;   /* messages in the hour (spike), replies (rate) */
    double average;        /* rolling hourly average (spike) */
    double rate;           /* bounce or deferral rate (bounce-rate) */
    const char *reason;    /* the reason (new-block, bounce-rate) */
    const char *text;      /* a reply that triggered it */
    const char *next;      /* what to check next */
} mxd_log_alert;

typedef int (*mxd_log_alert_cb)(void *arg, const mxd_log_alert *a);

/* Sender keys: the report keeps one sender table per key (all of them by default), and spikes
 * are watched for each. */
typedef enum mxd_log_by {
    MXD_LOG_BY_ALL = 0, /* sender domain, sender, SASL user and client IP */
    MXD_LOG_BY_SENDER_DOMAIN,
    MXD_LOG_BY_SENDER,
    MXD_LOG_BY_SASL_USER,
    MXD_LOG_BY_CLIENT,
    MXD_LOG_BY_PROVIDER /* providers only: no sender table */
} mxd_log_by;

typedef struct mxd_log_opts {
    mxd_log_format format;   /* which MTA parsers run (AUTO: all) */
    long long since, until;  /* only lines in [since, until); 0: no bound */
    mxd_log_by by;           /* which sender tables the report keeps */
    double spike_factor;     /* default 3 */
    long long spike_window;  /* seconds, default 7 days */
    unsigned long spike_min; /* an hour below this never spikes; default 50 */
    double rate_threshold;   /* a provider hour with a bounce or deferral rate at least this
                                (0..1) alerts; default 0.3 */
    unsigned long rate_min;  /* ... when it has at least this many outcomes; default 20 */
    size_t inflight_max;     /* 0: MXD_LOG_INFLIGHT_MAX */
    mxd_log_event_cb on_event;
    mxd_log_alert_cb on_alert;
    void *arg;
} mxd_log_opts;

typedef struct mxd_log_ctx mxd_log_ctx;

/* mxd_log_new - a context using kb (which must outlive it). opts may be NULL (defaults). Free
 * with mxd_log_free(). */
MXD_API mxd_err mxd_log_new(const mxd_kb *kb, const mxd_log_opts *opts, mxd_log_ctx **out);
MXD_API void mxd_log_free(mxd_log_ctx *c);

/* mxd_log_feed - one framed line. Returns MXD_OK (also for lines it does not know: those are
 * counted), MXD_ERR_NOMEM. A callback returning non-zero makes it return MXD_ERR_INVALID. */
MXD_API mxd_err mxd_log_feed(mxd_log_ctx *c, const mxd_log_line *line);

/* mxd_log_read - every line of the inputs, merged in time order (the earliest next line of
 * all inputs first), fed to the context. Stops at the first read error (MXD_ERR_IO, why). */
MXD_API mxd_err mxd_log_read(mxd_log_ctx *c, mxd_log_input *const *in, size_t n, char *why,
                             size_t whylen);

/* mxd_log_finish - the end of input: close the last hour for the alerts. Call once. */
MXD_API mxd_err mxd_log_finish(mxd_log_ctx *c);

/* Counters, pflogsumm's definitions (see man mxdiag, "log"). */
typedef struct mxd_log_totals {
    unsigned long long received;  /* smtpd/postscreen client= and pickup lines */
    unsigned long long delivered; /* status=sent recipient lines (not "forwarded as") */
    unsigned long long forwarded;
    unsigned long long deferred;  /* messages with at least one deferral */
    unsigned long long deferrals; /* status=deferred recipient lines */
    unsigned long long bounced;   /* status=bounced recipient lines */
    unsigned long long expired;   /* messages returned to sender after the queue lifetime */
    unsigned long long rejected;  /* smtpd, postscreen and cleanup rejects */
    unsigned long long lines;     /* lines fed */
    unsigned long long unknown;   /* lines without a known framing */
    unsigned long long ignored;   /* framed lines no parser took (connect, warning ...) */
    unsigned long long evicted;   /* messages dropped from the in-flight table */
    long long first, last;        /* earliest and latest stamp seen (0: none) */
} mxd_log_totals;

MXD_API void mxd_log_totals_get(const mxd_log_ctx *c, mxd_log_totals *t);

/* mxd_log_report_json - the report as one JSON document {totals, domains, providers, senders,
 * alerts, input}; top reasons per provider (at most top). Returns a string the caller frees
 * with free(), NULL when out of memory. */
MXD_API char *mxd_log_report_json(const mxd_log_ctx *c, size_t top, int pretty);

/* One row of the report (a provider, a sender or a recipient domain). */
typedef struct mxd_log_row {
    const char *key;
    const char *by;   /* senders: "sender-domain", "sender", "sasl-user" or "client" */
    const char *name; /* provider display name (kb), else NULL */
    unsigned long long messages, sent, deferred, bounced, rejected, expired;
} mxd_log_row;

/* One top reason of a provider. */
typedef struct mxd_log_reason {
    const char *reason;  /* Sisimai reason */
    const char *status;  /* DSN code */
    const char *summary; /* one line (kb), NULL when none */
    const char *text;    /* a reply text that had it */
    unsigned long long count;
    char next[320]; /* the command to run next: mxdiag diagnose --reply 'TEXT' (one shell word) */
} mxd_log_reason;

enum { MXD_LOG_TABLE_PROVIDERS = 0, MXD_LOG_TABLE_SENDERS, MXD_LOG_TABLE_DOMAINS };

/* mxd_log_rows - the rows of one table, most messages first: the i-th row into *row, 0, or -1
 * past the end. Strings belong to the context. */
MXD_API int mxd_log_rows(const mxd_log_ctx *c, int table, size_t i, mxd_log_row *row);

/* mxd_log_provider_reason - the j-th most frequent non-delivery reason of provider row i. */
MXD_API int mxd_log_provider_reason(const mxd_log_ctx *c, size_t i, size_t j, mxd_log_reason *r);

/* mxd_log_alerts - the i-th alert raised so far into *a; 0, or -1 past the end. */
MXD_API int mxd_log_alert_get(const mxd_log_ctx *c, size_t i, mxd_log_alert *a);

/* mxd_log_parse_time - "2023-03-14", "2023-03-14T10:00[:00][.frac][Z|+01:00]" (a blank for
 * the T is fine; no zone is UTC) into seconds since 1970. MXD_ERR_PARSE when it is none. */
MXD_API mxd_err mxd_log_parse_time(const char *s, long long *t);

/* mxd_log_event_json - one event as a JSON object (no newline); the caller frees it. */
MXD_API char *mxd_log_event_json(const mxd_log_event *ev);

/* mxd_log_alert_json - one alert as a JSON object {kind, key, time, count, [average | rate],
 * reason, text, next} (no newline); the caller frees it. */
MXD_API char *mxd_log_alert_json(const mxd_log_alert *a);

/* mxd_log_event_csv - the CSV header line (header != 0) or one event as a CSV line (RFC 4180,
 * no newline); the caller frees it. */
MXD_API char *mxd_log_event_csv(const mxd_log_event *ev, int header);

#ifdef __cplusplus
}
#endif
#endif
