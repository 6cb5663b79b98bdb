/* log_internal.h - mail-log reading shared by the files of lib/log (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_LOG_INTERNAL_H
#define MXD_LOG_INTERNAL_H

#include <stddef.h>
#include "mxdiag/log.h"
#include "mxdiag/explain.h"

#define LOG_FIELD_MAX 256 /* longest address, host, message-id kept per message */
#define LOG_QID_MAX   32  /* longest queue ID */

/* --- frame.c: syslog stamps and headers ------------------------------------------------- */

/* The RFC 3164 year state of one input. */
typedef struct log_year {
    int year;           /* the year of the line being read (0: infer from ref) */
    int last_mon;       /* month (1..12) of the last RFC 3164 line, 0 before the first */
    long long ref_time; /* without a year: no stamp lies more than a day after this */
    char date[10];      /* the last RFC 3339 date seen ("2023-03-14") ... */
    long long days;     /* ... as days since 1970 */
} log_year;

/* log_compose_prefix - the bytes of "docker compose logs"' prefix at s ("mail-1  | ": a
 * service name, blanks, a bar and a blank), 0 when there is none. log_frame_syslog() skips it;
 * so does the bounce stage's reader of pasted log lines. */
size_t log_compose_prefix(const char *s, size_t len);

/* log_frame_syslog - frame one line (len bytes, writable: NULs are put in place) as RFC 3164,
 * RFC 3339, RFC 5424 or an Exim main log line. Sets *out (out->framed = 0 when it is none of
 * these; msg is then the whole line). */
void log_frame_syslog(char *line, size_t len, log_year *ys, mxd_log_line *out);

/* log_parse_3339 - parse "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)" (also ' ' for 'T', and no zone:
 * UTC) at s; the bytes taken, 0 when it is not one. */
size_t log_parse_3339(const char *s, size_t len, long long *t, long *usec);

/* log_parse_3339_ys - the same, with the date of the last stamp remembered in ys (lines of a
 * log share their date: the calendar arithmetic runs once a day). */
size_t log_parse_3339_ys(const char *s, size_t len, log_year *ys, long long *t, long *usec);

/* --- classify.c: the one call to the knowledge base ----------------------------------- */

typedef struct log_verdict {
    const char *reason;   /* Sisimai reason (kb), "undefined" when unknown */
    const char *scope;    /* (kb) or NULL */
    const char *provider; /* (kb) or NULL */
    const char *summary;  /* (kb) or NULL */
    char replycode[4];
    char status[16];
    int permanent;  /* 1, 0, -1 */
    int not_block;  /* the rule says its block-class reason is no block (greylisting) */
    int hardbounce; /* a delivery outcome's: the bounce record's hard-bounce flag */
} log_verdict;

/* What a verdict is decided on: the reply text, the relay host; for a delivery outcome (a
 * bounced or deferred line) also its action ("failed", "delayed"; NULL for a rejection), DSN
 * status, the recipient's domain and the provider that domain maps to (the cache's key: a
 * domain decides the verdict only through its provider). */
typedef struct log_facts {
    const char *text;
    size_t len;
    const char *rhost, *action, *status, *rdomain, *rprovider;
} log_facts;

typedef struct log_cache log_cache;

/* log_classify - the verdict of the knowledge base on the facts. Results are cached (cache may
 * be NULL). Never fails: unknown is "undefined". */
void log_classify(const mxd_kb *kb, log_cache *cache, const log_facts *f, log_verdict *out);
log_cache *log_cache_new(void);
void log_cache_free(log_cache *c);

/* --- postfix.c, exim.c, sendmail.c: one line into a log_rec ------------------------------ */

typedef enum log_rec_kind {
    LR_NONE = 0,
    LR_CLIENT,   /* a message came in over SMTP: client=, sasl_username= */
    LR_PICKUP,   /* a message came in locally */
    LR_MSGID,    /* message-id= */
    LR_FROM,     /* from= size= nrcpt= (queue active) */
    LR_DELIVERY, /* to= relay= ... status= */
    LR_EXPIRED,  /* from=, status=expired, returned to sender */
    LR_REMOVED,  /* the message left the queue */
    LR_REJECT,   /* NOQUEUE or QID reject (smtpd, postscreen, cleanup) */
    LR_NOTIFY,   /* sender non-delivery notification: NEWQID */
    LR_COMPLETED /* Exim: Completed */
} log_rec_kind;

/* What one MTA line says. Strings point into the line or a parser scratch (valid until the
 * next line); absent ones are NULL. */
typedef struct log_rec {
    log_rec_kind kind;
    const char *mta;   /* "postfix" ... */
    char instance[64]; /* "postfix", "postfix-out", "postfix/submission" */
    char service[32];  /* "smtp", "smtpd", "qmgr" ... */
    char qid[LOG_QID_MAX];
    const char *client_host, *client_ip, *sasl_user;
    const char *messageid, *from, *to, *orig_to;
    const char *relay_host, *relay_ip;
    const char *dsn, *status, *text, *new_qid;
    double delay;
    long long size;
    long nrcpt;
    int forwarded; /* "forwarded as" */
    int counted;   /* a reject pflogsumm counts */
} log_rec;

/* log_postfix_parse - parse a Postfix line (prog "postfix..."); 1 when it was one it knows,
 * 0 otherwise. msg is writable (NULs are put in place). */
/* log_rec_init - r emptied for the MTA's parser: no delay, no size known; instance and
 * service set to the MTA's name when service is non-zero (Exim, Sendmail: one program). */
void log_rec_init(log_rec *r, const char *mta, int service);
int log_postfix_parse(const char *prog, char *msg, size_t len, log_rec *r);

/* log_postfix_prog - is prog a Postfix program name ("postfix/smtp", "postfix-out/qmgr",
 * "postfix/submission/smtpd")? */
int log_postfix_prog(const char *prog);

/* log_exim_parse - an Exim main-log message ("10HmaX-000000005vi-0000 <= ..."). */
int log_exim_parse(char *msg, size_t len, log_rec *r);

/* log_sendmail_parse - a Sendmail line ("QID: from=..., to=..., stat=..."). */
int log_sendmail_parse(char *msg, size_t len, log_rec *r);

/* --- log.c / report.c: the context ------------------------------------------------------ */

#define LOG_REASONS_MAX  8    /* top reasons kept per provider */
#define LOG_ALERTS_MAX   1024 /* alerts kept for the report (later ones are only counted) */
#define LOG_WINDOW_HOURS 1488 /* longest --spike-window: 62 days */
#define LOG_TEXT_MAX     240  /* reply text kept as an example */
#define LOG_SENDER_KINDS 4

/* A message in flight, keyed by (instance, queue ID). */
typedef struct log_msg {
    char qid[LOG_QID_MAX];
    char instance[48];
    char from[LOG_FIELD_MAX];
    char msgid[LOG_FIELD_MAX];
    char client_host[128], client_ip[48], sasl[128];
    long long size;
    unsigned long long h;
    unsigned hnext, prev, next; /* hash chain and LRU list: index + 1, 0 for none */
    unsigned char used, has_from, received, deferred, notify;
} log_msg;

typedef struct log_reason_ct {
    const char *reason, *summary; /* kb */
    char status[16];
    char text[LOG_TEXT_MAX];
    unsigned long long count;
} log_reason_ct;

/* One row of a report table: a provider, a sender or a recipient domain. */
typedef struct log_row {
    char key[LOG_FIELD_MAX];
    const char *name;
    unsigned long long messages, sent, deferred, bounced, rejected, expired;
    /* providers: top reasons, the hour's rates, block reasons seen */
    log_reason_ct *reasons;
    size_t nreasons;
    long long rate_hour;
    unsigned long rate_n, rate_bounced, rate_deferred;
    int rate_alerted;
    unsigned blocks;
    /* senders: hourly volume ring over the spike window */
    unsigned *ring;
    unsigned long long ring_sum;
    long long cur_hour, first_hour;
    unsigned long cur_count;
    int spike_alerted;
} log_row;

typedef struct log_table {
    log_row *rows;
    size_t n, cap;
    unsigned *idx; /* open addressing: row index + 1 */
    size_t idxcap;
} log_table;

typedef struct log_alert_rec {
    mxd_log_alert a;
    int kind; /* sender table of a spike */
    char key[LOG_FIELD_MAX];
    char text[LOG_TEXT_MAX];
    char next[LOG_FIELD_MAX + 160];
} log_alert_rec;

#define LOG_PCACHE_SLOTS 512 /* provider lookups remembered (host or domain -> provider) */

typedef struct log_pslot {
    char key[128]; /* "h:host" or "d:domain" */
    const char *provider;
    int used;
} log_pslot;

struct mxd_log_ctx {
    log_pslot pcache[LOG_PCACHE_SLOTS];
    const mxd_kb *kb;
    mxd_log_opts o;
    log_cache *cache;
    log_msg *msgs;
    size_t msgcap, nmsgs, nused;
    unsigned *buckets;
    size_t nbuckets;
    unsigned freelist, lru_head, lru_tail;
    mxd_log_totals t;
    log_table providers, domains;
    log_table senders[LOG_SENDER_KINDS]; /* by sender domain, sender, SASL user, client */
    log_alert_rec *alerts;
    size_t nalerts;
    unsigned long long alerts_dropped;
    unsigned window_hours;
    int stopped;
};

/* report.c */
log_row *log_table_get(log_table *t, const char *key, size_t keylen);
void log_table_free(log_table *t);
void log_report_event(mxd_log_ctx *c, const mxd_log_event *ev);
void log_report_received(mxd_log_ctx *c, const log_msg *m, long long when);

#endif
