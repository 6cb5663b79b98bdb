/* check_internal.h - shared machinery of the DNS checks (blocklists, PTR, MX)
 * SPDX-License-Identifier: MIT
 *
 * A check is a task with a count of DNS answers it still waits for; each callback ends with
 * task_done(), and the task's finish function runs when the last answer is in (it fills in
 * counts, verdicts and warnings). The contexts the callbacks get belong to the task and live
 * until the task's report is freed.
 */
#ifndef MXD_CHECK_INTERNAL_H
#define MXD_CHECK_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include "mxdiag/check.h"
#include "kb/kb_internal.h"

#define CHECK_QNAME_MAX 320 /* a reversed IPv6 address under a zone, or a domain under one */
#define CHECK_KEY_MAX   64  /* Spamhaus DQS key */
#define CHECK_MAX_WARN  32  /* warnings per report */
#define CHECK_WARN_TEXT 1024

typedef struct check_task {
    size_t pending;
    void (*finish)(struct check_task *t);
} check_task;

/* task_done - one answer less to wait for; runs finish after the last. */
void task_done(check_task *t);

struct bl_run;
typedef struct bl_slot {
    struct bl_run *run;
    size_t idx;
} bl_slot;

/* One half of a list's health probe (RFC 5782 section 5): the entry that must be listed
 * (127.0.0.2, TEST) or the one that must not (127.0.0.1, INVALID). */
enum { BL_HALF_WAIT = 0, BL_HALF_OK, BL_HALF_FAILED, BL_HALF_UNKNOWN };
enum { BL_PROBE_LISTED = 0, BL_PROBE_UNLISTED = 1 }; /* which half */

typedef struct bl_half {
    int state;         /* BL_HALF_* */
    int unanswered;    /* FAILED because the must-be-listed entry was not listed */
    char *why;         /* for FAILED and UNKNOWN: what went wrong (owned) */
    const char *label; /* the entry as shown: "127.0.0.2", "TEST", "dbltest.com" (static/kb) */
} bl_half;

/* The blocklist part of a check: one query per selected list, and two per probed list for
 * its test entries (the resolver's cache sends those once per run, whatever the number of
 * checks that share it). */
typedef struct bl_run {
    mxd_resolver *r;
    check_task *task;
    const kb_dnsbl **lists;
    const mxd_kb *kb; /* the kb of the lists */
    mxd_bl_entry *e;
    char **qnames;
    bl_slot *slots;
    size_t n;
    int no_txt;
    int no_probe;
    char **pnames;           /* per list two test-entry query names (listed, unlisted), or NULL */
    bl_half *halves;         /* per list two probe halves */
    bl_slot *pslots;         /* per list two: idx = list * 2 + half */
    size_t probe_failed;     /* after bl_run_finish: lists that answered but are errors because
                                their probe failed or could not run */
    size_t probe_unanswered; /* ... of them: the test entry was not listed (NXDOMAIN) */
} bl_run;

/* bl_run_prepare - select the lists (opts->lists, the list kind and address family) and
 * build the query names for target (an address for IP lists, a domain for domain lists).
 * Nothing is sent. MXD_ERR_INVALID (reason in why) for unknown or unsuitable list names or a
 * bad DQS key. explicit_skip receives how many named lists do not cover the family. */
mxd_err bl_run_prepare(bl_run *br, const mxd_kb *kb, const mxd_check_opts *opts, int domain,
                       int family, const char *target, size_t *explicit_skip, char *why,
                       size_t whylen);

/* bl_run_submit - queue every query; counts them into the task. Never fails: a query that
 * cannot be queued is marked as an error at once. */
void bl_run_submit(bl_run *br, mxd_resolver *r, check_task *task);

/* bl_run_finish - count and order the entries (listed, error, clean); frees the scratch. */
void bl_run_finish(bl_run *br, size_t *listed, size_t *errors, size_t *clean);

/* bl_run_free - everything, entries included (for a report that is freed). */
void bl_run_free(bl_run *br);

/* dnsbl_interpret - the verdict of one list's A answer: codes with meanings, listed or error
 * (error codes of the list, answers outside 127.0.0.0/8, failed lookups). Fills result,
 * codes, meanings, ncodes and error of e. MXD_ERR_NOMEM only. */
mxd_err dnsbl_interpret(const mxd_kb *kb, const kb_dnsbl *bl, const mxd_dns_answer *a,
                        mxd_bl_entry *e);

/* dnsbl_probe_names - the query names of a list's two test entries under zone (the zone as
 * asked, a DQS zone included) into listed / unlisted (each len bytes), and their labels as
 * shown. 1 when the list has test entries, 0 when it has none (KB_TEST_NONE), -1 when a name
 * does not fit. */
int dnsbl_probe_names(const mxd_kb *kb, const kb_dnsbl *bl, const char *zone, char *listed,
                      char *unlisted, size_t len, const char **listed_label,
                      const char **unlisted_label);

/* dnsbl_probe_judge - read the answer to one test entry (which: BL_PROBE_LISTED for the
 * entry that must be listed, BL_PROBE_UNLISTED for the one that must not) into h: OK, FAILED
 * (a wrong answer or an error code) or UNKNOWN (the lookup failed), with the reason.
 * h->label must be set. MXD_ERR_NOMEM only (h then says "out of memory"). */
mxd_err dnsbl_probe_judge(const mxd_kb *kb, const kb_dnsbl *bl, const mxd_dns_answer *a, int which,
                          bl_half *h);

/* dnsbl_probe_apply - the probe's verdict on a list's entry: sets e->probe from the two
 * halves and, when the probe failed or could not run, turns the result into MXD_BL_ERROR
 * with the reason (a listing's codes, meanings and TXT are dropped: they say nothing; an
 * error of the list's own answer is kept). MXD_ERR_NOMEM only. */
mxd_err dnsbl_probe_apply(mxd_bl_entry *e, const bl_half *listed, const bl_half *unlisted);

/* dnsbl_txt_join - the TXT records of an answer as one printable line (records joined with
 * " / ", control bytes as spaces, at most MXD_CHECK_TXT_MAX bytes); NULL when there is none. */
char *dnsbl_txt_join(const mxd_dns_answer *a);

/* bl_entries_json - the "dnsbl" array. */
json_t *bl_entries_json(const mxd_bl_entry *e, size_t n);

/* strv_push - append a copy of s to a string vector (at most max entries; extra ones are
 * dropped). Returns 0, or -1 on out of memory. */
int strv_push(char ***v, size_t *n, size_t max, const char *s);
void strv_free(char **v, size_t n);

/* check_warn - printf into a new warning of a report. */
void check_warn(char ***v, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The reverse-DNS part of an IP check: the PTR query, then A/AAAA of each PTR name. */
struct ptr_run;
typedef struct ptr_slot {
    struct ptr_run *run;
    size_t idx;
} ptr_slot;

typedef struct ptr_run {
    mxd_resolver *r;
    check_task *task;
    mxd_ptr_info *info; /* the report's */
    int family;
    unsigned char addr[16];
    char qname[CHECK_QNAME_MAX];
    ptr_slot slots[MXD_CHECK_MAX_PTR_NAMES + 1];
} ptr_run;

/* ptr_run_submit - queue the PTR query of the address (family, addr: 4 or 16 bytes). */
void ptr_run_submit(ptr_run *pr, mxd_resolver *r, check_task *task, mxd_ptr_info *info, int family,
                    const unsigned char *addr);

/* ptr_run_finish - the verdicts (fcrdns, generic, domain match against want, the registrable
 * domain of --domain or NULL) and their warnings. */
void ptr_run_finish(ptr_run *pr, const mxd_kb *kb, const char *want, char ***warn, size_t *nwarn);

void ptr_info_clear(mxd_ptr_info *p);

/* check_ptr_generic - does name look like a generic / dynamic reverse name for the address
 * (the address written in it, or a word of rdns-generic.tsv)? 1 with the reason in why, or
 * 0. */
int check_ptr_generic(const mxd_kb *kb, int family, const unsigned char *addr, const char *name,
                      char *why, size_t whylen);

/* json helpers */
json_t *check_jstr(const char *s); /* string or null */
json_t *check_jtri(int v);         /* true, false or null for -1 */
json_t *check_jstrv(char *const *v, size_t n);
char *check_dump(json_t *o, int pretty); /* dumps and releases o */

/* check_registrable - the registrable domain of name (public suffix list) copied to out;
 * 0 on success, -1 when the name has none. */
int check_registrable(const char *name, char *out, size_t outlen);

#endif
