/* feed.h - provider feeds: Microsoft SNDS and Google Postmaster Tools reports
 * SPDX-License-Identifier: MIT
 *
 * Two readers over a report held in memory, each detecting the form it was given:
 *
 *   mxd_snds_parse  SNDS, both generations: the CSV of the old key-based data.aspx export
 *                   (with or without a header line) and of the IP status export (blocked
 *                   ranges), the CSV the 2026 portal saves, and the JSON of the REST API
 *                   (/api/report/data, /api/report/status/ip). Column names are matched
 *                   loosely: case, blanks and punctuation do not count ("RCPT commands",
 *                   "rcptCommands" and "RCPT_COMMANDS" are one column).
 *   mxd_gpt_parse   Google Postmaster Tools JSON: v1 trafficStats (one object, or a list
 *                   response {"trafficStats": [...]}) and v2 domainStats.query responses
 *                   ({"domainStats": [{name, date, metric, value}]}), grouped per domain and
 *                   day.
 *
 * Both are bounded whatever the input: at most MXD_FEED_MAX_INPUT bytes (and
 * MXD_FEED_MAX_JSON_VALUES values of JSON), MXD_FEED_MAX_ROWS rows, MXD_FEED_MAX_COLUMNS columns of
 * at most MXD_FEED_MAX_FIELD bytes each; beyond that the report is refused (MXD_ERR_TOOBIG), never
 * cut silently. A report without rows (a header line only, an empty list, Google's {}) is a report
 * of nothing, not an error; empty input is MXD_ERR_EMPTY. A malformed report is refused whole
 * (MXD_ERR_PARSE, why says where: "line 3: unterminated quoted field"), so nothing half-read is
 * stored. Strings are UTF-8 as given (control characters replaced by '?').
 *
 * mxd_snds_fetch (the REST API over libcurl, loaded on first use) keeps its OAuth 2.0 token in
 * a file of mode 0600 and renews it with the refresh token; it never writes the token into
 * why or anywhere else but that file.
 */
#ifndef MXDIAG_FEED_H
#define MXDIAG_FEED_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MXD_FEED_MAX_INPUT       (16u << 20) /* bytes of one report */
#define MXD_FEED_MAX_ROWS        100000      /* rows (SNDS) or domain-days (GPT) of one report */
#define MXD_FEED_MAX_COLUMNS     64          /* fields of one CSV record */
#define MXD_FEED_MAX_FIELD       4096        /* bytes of one field */
#define MXD_FEED_MAX_LIST        1024        /* IPs of a reputation bucket, delivery errors */
#define MXD_FEED_MAX_JSON_VALUES 2000000     /* values of one JSON answer (bounds jansson's tree) */

/* ---- SNDS ------------------------------------------------------------------------------ */

/* One IP's activity in one period (a day). Absent numbers are -1, absent strings NULL. */
typedef struct mxd_snds_row {
    char *ip;             /* "192.0.2.1", as parsed and re-formatted */
    char *date;           /* "2026-01-14": the UTC day the activity period starts */
    long long start, end; /* the activity period, seconds since 1970 UTC (0: unknown) */
    long long rcpt;       /* RCPT commands */
    long long data;       /* DATA commands */
    long long recipients; /* message recipients */
    char *filter;         /* "GREEN", "YELLOW", "RED" (upper case), or NULL */
    char *complaint;      /* the complaint rate as given: "< 0.1%", "1% - < 2%" */
    long long trap_start; /* the trap message period (0: none) */
    long long trap_end;
    long long trap_hits;
    char *helo;     /* sample HELO */
    char *mailfrom; /* JMRP P1 sender: a sample MAIL FROM */
    char *comments;
} mxd_snds_row;

/* One range of the IP status report. */
typedef struct mxd_snds_block {
    char *first_ip, *last_ip;
    int blocked; /* 1 yes, 0 no, -1 not said */
    char *reason;
} mxd_snds_block;

typedef struct mxd_snds_report {
    const char *format; /* "csv" or "json" (static) */
    mxd_snds_row *rows;
    size_t nrows;
    mxd_snds_block *blocks;
    size_t nblocks;
} mxd_snds_report;

/* mxd_snds_parse - read an SNDS report of len bytes (CSV or JSON, detected). default_date
 * ("YYYY-MM-DD", may be NULL) is the day of rows that carry no activity period. On success
 * *out is a report the caller frees with mxd_snds_free(). Errors: MXD_ERR_EMPTY, MXD_ERR_PARSE
 * (why says what and where), MXD_ERR_TOOBIG (a limit above), MXD_ERR_NOMEM; *out NULL. */
MXD_API mxd_err mxd_snds_parse(const char *data, size_t len, const char *default_date,
                               mxd_snds_report **out, char *why, size_t whylen);
MXD_API void mxd_snds_free(mxd_snds_report *r);

/* mxd_snds_json - the report as JSON {"rows": [...], "blocks": [...]} (unknown is null). The
 * caller frees the string with free(); NULL when out of memory. */
MXD_API char *mxd_snds_json(const mxd_snds_report *r, int pretty);

/* ---- Google Postmaster Tools ------------------------------------------------------------- */

typedef struct mxd_gpt_iprep {
    char *reputation;   /* HIGH, MEDIUM, LOW, BAD, REPUTATION_CATEGORY_UNSPECIFIED */
    long long ip_count; /* -1 unknown */
    char **ips;         /* sample IPs */
    size_t nips;
} mxd_gpt_iprep;

typedef struct mxd_gpt_error {
    char *error_class; /* PERMANENT_ERROR, TEMPORARY_ERROR */
    char *error_type;  /* REJECTED_CONTENT, RATE_LIMIT_EXCEEDED ... */
    double ratio;      /* 0..1 */
} mxd_gpt_error;

/* One domain on one day. Ratios are 0..1 as Google gives them; -1 when absent. */
typedef struct mxd_gpt_day {
    char *domain;
    char *date; /* "2026-01-14" */
    double spam_rate;
    char *domain_reputation; /* or NULL */
    double spf, dkim, dmarc; /* authentication success ratios */
    double inbound_tls, outbound_tls;
    double delivery_error_rate; /* v2's total; v1: the sum of deliveryErrors ratios */
    mxd_gpt_iprep *ipreps;
    size_t nipreps;
    mxd_gpt_error *errors;
    size_t nerrors;
} mxd_gpt_day;

typedef struct mxd_gpt_report {
    const char *format; /* "v1" or "v2" (static) */
    mxd_gpt_day *days;
    size_t ndays;
} mxd_gpt_report;

/* mxd_gpt_parse - read a Postmaster Tools JSON answer; as mxd_snds_parse. */
MXD_API mxd_err mxd_gpt_parse(const char *data, size_t len, mxd_gpt_report **out, char *why,
                              size_t whylen);
MXD_API void mxd_gpt_free(mxd_gpt_report *r);

/* mxd_gpt_json - {"days": [...]}, freed by the caller with free(); NULL when out of memory. */
MXD_API char *mxd_gpt_json(const mxd_gpt_report *r, int pretty);

/* ---- SNDS REST API ------------------------------------------------------------------------ */

#define MXD_SNDS_DEFAULT_URL       "https://substrate.office.com/ip-domain-management-snds"
#define MXD_SNDS_DEFAULT_TOKEN_URL "https://login.microsoftonline.com/consumers/oauth2/v2.0/token"
#define MXD_SNDS_TIMEOUT           60    /* seconds per request */
#define MXD_SNDS_TOKEN_MAX         65536 /* bytes of the token file */
#define MXD_SNDS_TOKEN_SKEW        60    /* renew a token this many seconds before it expires */

/* The token file, JSON written by the user once (mode 0600):
 *   {"access_token": "...", "refresh_token": "...", "expires_at": 1767225600,
 *    "client_id": "...", "scope": "..."}
 * expires_at (seconds since 1970) may be absent: then the token is tried and renewed on 401. */
typedef struct mxd_snds_fetch_opts {
    const char *base_url;   /* NULL: $MXDIAG_SNDS_URL, else MXD_SNDS_DEFAULT_URL */
    const char *token_url;  /* NULL: $MXDIAG_SNDS_TOKEN_URL, else the token file's
                               "token_endpoint", else MXD_SNDS_DEFAULT_TOKEN_URL */
    const char *token_file; /* required */
    const char *date;       /* "YYYY-MM-DD" or NULL: the API's latest */
    long long now;          /* the time, for expiry (seconds since 1970) */
} mxd_snds_fetch_opts;

/* What a fetch did (for the caller to tell). */
typedef struct mxd_snds_fetch_info {
    int refreshed;      /* the token was renewed (and the file rewritten) */
    char data_url[512]; /* the URLs asked */
    char status_url[512];
} mxd_snds_fetch_info;

/* mxd_snds_fetch - the IP data report and the IP status report from the API, each parsed with
 * mxd_snds_parse into *data and *status (caller frees both with mxd_snds_free()). The token is
 * renewed when it has expired (or expires within MXD_SNDS_TOKEN_SKEW) or when the API answers
 * 401, and the token file is replaced atomically (mode 0600). Errors: MXD_ERR_INVALID (the
 * token file is readable or writable by group or others, or has no access token),
 * MXD_ERR_NOTFOUND (no token file), MXD_ERR_IO (network, HTTP error: why says which URL and
 * status), MXD_ERR_PARSE (a malformed answer), MXD_ERR_NOLIB (libcurl), MXD_ERR_TOOBIG. */
MXD_API mxd_err mxd_snds_fetch(const mxd_snds_fetch_opts *o, mxd_snds_report **data,
                               mxd_snds_report **status, mxd_snds_fetch_info *info, char *why,
                               size_t whylen);

#ifdef __cplusplus
}
#endif
#endif
