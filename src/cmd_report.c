/* cmd_report.c - mxdiag report dmarc|tls: what the stored reports say
 * SPDX-License-Identifier: MIT
 *
 * report dmarc: per source IP of a domain's aggregate reports over a period, the messages,
 * dispositions, SPF and DKIM raw and aligned, the reverse DNS name (all PTR queries in flight
 * together), the sending service and a verdict (verdict.h). report tls: per policy, the
 * sessions and the failures by sending MTA, receiving MX and result type.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <mxdiag/store.h>
#include <mxdiag/ingest.h>
#include <mxdiag/mail.h>
#include <mxdiag/verdict.h>
#include <mxdiag/dns.h>
#include <mxdiag/log.h>
#include "cli.h"

#define SOURCES_MAX 100000 /* sources listed */

enum { OUT_TEXT, OUT_JSON, OUT_CSV };

static void help(FILE *out)
{
    fprintf(out,
            "usage: mxdiag report dmarc [--domain D] [--since T] [--until T] [--no-dns]\n"
            "                           [--json | --csv] [--db PATH] [DNS options]\n"
            "       mxdiag report tls [--domain D] [--since T] [--until T] [--json]\n"
            "                         [--db PATH]\n"
            "       mxdiag report show INPUT...\n\n"
            "What the reports stored by `mxdiag ingest` say.\n\n"
            "  dmarc  per source IP of the DMARC aggregate reports: messages, disposition,\n"
            "         SPF and DKIM results (raw and aligned), the reverse DNS name, the sending\n"
            "         service, and a verdict: aligned, forwarded, not-aligned (a service sends\n"
            "         for you without your domain set up: what to configure is said) or\n"
            "         unauthorised\n"
            "  tls    per TLS policy: sessions, failures by sending MTA, receiving MX and\n"
            "         result type (RFC 8460)\n"
            "  show   read the DMARC aggregate and TLS reports of INPUT (messages, mbox,\n"
            "         Maildir, report files) without storing them: one JSON array of\n"
            "         {source, kind, report}, each report as parsedmarc shapes it\n\n"
            "options:\n"
            "  --domain D       only reports about domain D\n"
            "  --since, --until reports whose period overlaps [since, until): 2026-12-01,\n"
            "                   2026-12-01T10:00Z\n"
            "  --no-dns         do not look up the reverse DNS names of the sources\n"
            "  --json, --csv    for machines\n"
            "  --db PATH        the database (else $MXDIAG_DB, else\n"
            "                   $XDG_STATE_HOME/mxdiag/mxdiag.db)\n"
            "                   or postgresql://...: a database many hosts share\n"
            "%s"
            "  -h, --help       this help\n\n"
            "exit status: 0 done, 64 bad usage, 66 no database yet, 74 database error\n",
            cli_dns_help);
}

typedef struct src_copy {
    mxd_dmarc_source s; /* strings below are copies */
    char *ptr;
    mxd_dns_status ptr_status;
} src_copy;

typedef struct collect {
    src_copy *v;
    size_t n, alloc;
    int cut;
} collect;

static char *dupn(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int on_source(void *arg, const mxd_dmarc_source *s)
{
    collect *c = arg;
    if (c->n == SOURCES_MAX) {
        c->cut = 1;
        return 1;
    }
    if (c->n == c->alloc) {
        size_t na = c->alloc ? c->alloc * 2 : 64;
        src_copy *nv = realloc(c->v, na * sizeof *nv);
        if (!nv)
            return 1;
        c->v = nv;
        c->alloc = na;
    }
    src_copy *d = &c->v[c->n++];
    memset(d, 0, sizeof *d);
    d->s = *s;
    d->s.domain = dupn(s->domain);
    d->s.ip = dupn(s->ip);
    d->s.header_from = dupn(s->header_from);
    d->s.envelope_from = dupn(s->envelope_from);
    d->s.spf_domains = dupn(s->spf_domains);
    d->s.dkim_domains = dupn(s->dkim_domains);
    d->s.overrides = dupn(s->overrides);
    d->s.reporters = dupn(s->reporters);
    d->ptr_status = MXD_DNS_ERROR;
    return 0;
}

static void collect_free(collect *c)
{
    for (size_t i = 0; i < c->n; i++) {
        mxd_dmarc_source *s = &c->v[i].s;
        free((char *)s->domain), free((char *)s->ip), free((char *)s->header_from);
        free((char *)s->envelope_from), free((char *)s->spf_domains);
        free((char *)s->dkim_domains), free((char *)s->overrides), free((char *)s->reporters);
        free(c->v[i].ptr);
    }
    free(c->v);
}

static void on_ptr(void *arg, const mxd_dns_answer *a)
{
    src_copy *d = arg;
    d->ptr_status = a->status;
    if (a->status == MXD_DNS_OK && a->n && a->rr[0].name)
        d->ptr = strdup(a->rr[0].name);
}

/* lookup_ptrs - the reverse DNS name of every source, all queries in flight together. Only
 * the addresses of stored reports are asked: nothing else decides what is queried. */
static int lookup_ptrs(const cli_global *g, collect *c)
{
    mxd_resolver *r = NULL;
    int rc = cli_open_resolver(g, "report", &r);
    if (rc)
        return rc;
    for (size_t i = 0; i < c->n; i++) {
        char name[128];
        if (mxd_dns_reverse_name(c->v[i].s.ip, NULL, name, sizeof name) != MXD_OK)
            continue;
        mxd_dns_submit(r, name, MXD_DNS_PTR, on_ptr, &c->v[i]);
    }
    mxd_resolver_run(r);
    mxd_resolver_free(r);
    return 0;
}

static void csv_field(const char *s)
{
    s = s ? s : "";
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static const char *ptr_text(const src_copy *d, int no_dns)
{
    if (no_dns)
        return "not looked up";
    if (d->ptr)
        return d->ptr;
    return d->ptr_status == MXD_DNS_NXDOMAIN || d->ptr_status == MXD_DNS_NODATA
               ? "no PTR"
               : "unknown (lookup failed)";
}

static int report_dmarc(const cli_global *g, mxd_store *st, const mxd_store_window *w, int out,
                        int no_dns)
{
    mxd_kb *kb = NULL;
    int rc = cli_open_kb(g, "report", &kb);
    if (rc)
        return rc;
    collect c = {0};
    unsigned long long reports = 0, messages = 0;
    mxd_err e = mxd_store_dmarc_totals(st, w, &reports, &messages);
    if (!e)
        e = mxd_store_dmarc_sources(st, w, on_source, &c);
    if (e) {
        cli_err("report", "%s", mxd_store_error(st)[0] ? mxd_store_error(st) : mxd_strerror(e));
        collect_free(&c);
        mxd_kb_free(kb);
        return EX_IOERR_;
    }
    if (!no_dns && c.n && (rc = lookup_ptrs(g, &c))) {
        collect_free(&c);
        mxd_kb_free(kb);
        return rc;
    }
    json_t *jsrc = out == OUT_JSON ? json_array() : NULL;
    if (out == OUT_CSV)
        printf("domain,ip,messages,none,quarantine,reject,spf_aligned,dkim_aligned,dmarc_pass,"
               "spf_pass,dkim_pass,ptr,service,verdict,header_from,spf_domains,dkim_domains,"
               "reporters\n");
    if (out == OUT_TEXT) {
        printf("%llu DMARC aggregate report%s, %llu message%s", reports, reports == 1 ? "" : "s",
               messages, messages == 1 ? "" : "s");
        if (w->domain)
            printf(" for %s", w->domain);
        printf(", %zu source%s\n", c.n, c.n == 1 ? "" : "s");
    }
    unsigned long long by[4] = {0};
    for (size_t i = 0; i < c.n; i++) {
        const src_copy *d = &c.v[i];
        const mxd_dmarc_source *s = &d->s;
        mxd_dmarc_verdict v;
        mxd_dmarc_verdict_of(kb, s, d->ptr, &v);
        by[!strcmp(v.verdict, "aligned")       ? 0
           : !strcmp(v.verdict, "forwarded")   ? 1
           : !strcmp(v.verdict, "not-aligned") ? 2
                                               : 3] += s->messages;
        if (out == OUT_JSON) {
            json_t *o = json_pack(
                "{s:s?, s:s, s:I, s:I, s:{s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:I, s:I, s:s?,"
                " s:s?, s:s?, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:I}",
                "domain", s->domain, "ip", s->ip, "messages", (json_int_t)s->messages, "reports",
                (json_int_t)s->reports, "disposition", "none", (json_int_t)s->none, "quarantine",
                (json_int_t)s->quarantine, "reject", (json_int_t)s->reject, "spf_aligned",
                (json_int_t)s->spf_aligned, "dkim_aligned", (json_int_t)s->dkim_aligned,
                "dmarc_pass", (json_int_t)s->dmarc_pass, "spf_pass", (json_int_t)s->spf_pass,
                "dkim_pass", (json_int_t)s->dkim_pass, "forwarded", (json_int_t)s->forwarded, "ptr",
                no_dns ? NULL : d->ptr, "service", v.service, "category", v.category, "verdict",
                v.verdict, "why", v.why, "advice", v.advice[0] ? v.advice : NULL, "header_from",
                s->header_from, "envelope_from", s->envelope_from, "spf_domains", s->spf_domains,
                "dkim_domains", s->dkim_domains, "reporters", s->reporters, "first",
                (json_int_t)s->first, "last", (json_int_t)s->last);
            if (o)
                json_array_append_new(jsrc, o);
        } else if (out == OUT_CSV) {
            csv_field(s->domain);
            printf(",%s,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,", s->ip, s->messages, s->none,
                   s->quarantine, s->reject, s->spf_aligned, s->dkim_aligned, s->dmarc_pass,
                   s->spf_pass, s->dkim_pass);
            csv_field(no_dns ? "" : d->ptr);
            putchar(',');
            csv_field(v.service);
            printf(",%s,", v.verdict);
            csv_field(s->header_from);
            putchar(',');
            csv_field(s->spf_domains);
            putchar(',');
            csv_field(s->dkim_domains);
            putchar(',');
            csv_field(s->reporters);
            putchar('\n');
        } else {
            printf("\n%s  %llu message%s  %s\n", s->ip, s->messages, s->messages == 1 ? "" : "s",
                   v.verdict);
            printf("  reverse DNS  %s%s%s%s\n", ptr_text(d, no_dns), v.service ? " (" : "",
                   v.service ? v.service : "", v.service ? ")" : "");
            printf("  from         %s%s%s\n", s->header_from ? s->header_from : "-",
                   s->envelope_from ? ", envelope " : "", s->envelope_from ? s->envelope_from : "");
            printf("  disposition  none %llu, quarantine %llu, reject %llu\n", s->none,
                   s->quarantine, s->reject);
            printf("  aligned      SPF %llu, DKIM %llu, DMARC pass %llu\n", s->spf_aligned,
                   s->dkim_aligned, s->dmarc_pass);
            printf("  SPF          %s\n", s->spf_domains ? s->spf_domains : "-");
            printf("  DKIM         %s\n", s->dkim_domains ? s->dkim_domains : "-");
            if (s->overrides)
                printf("  overrides    %s\n", s->overrides);
            printf("  reported by  %s\n", s->reporters ? s->reporters : "-");
            term_wrap(stdout, g, 2, 2, v.why);
            if (v.advice[0]) {
                char adv[600];
                snprintf(adv, sizeof adv, "To do: %s", v.advice);
                term_wrap(stdout, g, 2, 8, adv);
            }
        }
    }
    if (out == OUT_JSON) {
        json_t *doc =
            json_pack("{s:s?, s:o, s:o, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:o}", "domain",
                      w->domain, "since", w->since ? json_integer(w->since) : json_null(), "until",
                      w->until ? json_integer(w->until) : json_null(), "reports",
                      (json_int_t)reports, "messages", (json_int_t)messages, "verdicts", "aligned",
                      (json_int_t)by[0], "forwarded", (json_int_t)by[1], "not-aligned",
                      (json_int_t)by[2], "unauthorised", (json_int_t)by[3], "sources", jsrc);
        if (!doc)
            cli_err("report", "out of memory");
        char *txt = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        if (txt)
            printf("%s\n", txt);
        free(txt);
        json_decref(doc);
    } else if (out == OUT_TEXT && c.n) {
        printf("\nmessages by verdict: aligned %llu, forwarded %llu, not-aligned %llu, "
               "unauthorised %llu\n",
               by[0], by[1], by[2], by[3]);
    }
    if (c.cut)
        cli_err("report", "only the first %d sources are listed", SOURCES_MAX);
    collect_free(&c);
    mxd_kb_free(kb);
    return 0;
}

typedef struct tls_out {
    int out;
    json_t *policies, *cur; /* JSON: the policy being filled */
    unsigned long n;
} tls_out;

static int on_tls(void *arg, const mxd_tls_summary *t)
{
    tls_out *o = arg;
    o->n++;
    if (o->out == OUT_JSON) {
        if (!t->result_type) {
            o->cur =
                json_pack("{s:s?, s:s?, s:I, s:I, s:I, s:s?, s:[]}", "policy_domain",
                          t->policy_domain, "policy_type", t->policy_type, "successful",
                          (json_int_t)t->successful, "failed", (json_int_t)t->failed, "reports",
                          (json_int_t)t->reports, "reporters", t->reporters, "failures");
            if (o->cur)
                json_array_append_new(o->policies, o->cur);
        } else if (o->cur) {
            json_t *f =
                json_pack("{s:s, s:s?, s:s?, s:s?, s:I, s:s?}", "result_type", t->result_type,
                          "sending_mta_ip", t->sending_mta_ip, "receiving_mx_hostname",
                          t->receiving_mx_hostname, "receiving_ip", t->receiving_ip, "failed",
                          (json_int_t)t->failed, "reporters", t->reporters);
            if (f)
                json_array_append_new(json_object_get(o->cur, "failures"), f);
        }
        return 0;
    }
    if (!t->result_type) {
        unsigned long long all = t->successful + t->failed;
        printf("\n%s (%s): %llu sessions, %llu failed (%.1f%%), %llu report%s from %s\n",
               t->policy_domain ? t->policy_domain : "-", t->policy_type ? t->policy_type : "-",
               all, t->failed, all ? 100.0 * (double)t->failed / (double)all : 0.0, t->reports,
               t->reports == 1 ? "" : "s", t->reporters ? t->reporters : "-");
    } else {
        printf("  %-28s %6llu  from %s to %s%s%s%s\n", t->result_type, t->failed,
               t->sending_mta_ip ? t->sending_mta_ip : "-",
               t->receiving_mx_hostname ? t->receiving_mx_hostname : "-",
               t->receiving_ip ? " [" : "", t->receiving_ip ? t->receiving_ip : "",
               t->receiving_ip ? "]" : "");
    }
    return 0;
}

static int report_tls(mxd_store *st, const mxd_store_window *w, int out)
{
    tls_out o = {out, out == OUT_JSON ? json_array() : NULL, NULL, 0};
    mxd_err e = mxd_store_tls_summary(st, w, on_tls, &o);
    if (e) {
        cli_err("report", "%s", mxd_store_error(st)[0] ? mxd_store_error(st) : mxd_strerror(e));
        json_decref(o.policies);
        return EX_IOERR_;
    }
    if (out == OUT_JSON) {
        json_t *doc = json_pack("{s:s?, s:o}", "domain", w->domain, "policies", o.policies);
        char *txt = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        if (txt)
            printf("%s\n", txt);
        free(txt);
        json_decref(doc);
    } else if (!o.n) {
        printf("no TLS report%s%s\n", w->domain ? " for " : "", w->domain ? w->domain : "");
    }
    return 0;
}

/* report_show - the reports of every INPUT as JSON, nothing stored. */
static int report_show(const cli_global *g, char **inputs, int n)
{
    mxd_kb *kb = NULL;
    int rc = cli_open_kb(g, "report", &kb);
    if (rc)
        return rc;
    mxd_ingest *ing = NULL;
    if (mxd_ingest_new(kb, NULL, &ing)) {
        mxd_kb_free(kb);
        return EX_OSERR_;
    }
    json_t *all = json_array();
    int bad = 0, missing = 0;
    for (int i = 0; i < n && all; i++) {
        char why[512] = "";
        mxd_mail_source *src;
        if (mxd_mail_open(inputs[i], &src, why, sizeof why) != MXD_OK) {
            cli_err("report", "%s", why[0] ? why : inputs[i]);
            missing = 1;
            continue;
        }
        mxd_mail_msg m;
        while (mxd_mail_next(src, &m, why, sizeof why) == MXD_OK) {
            mxd_ingest_result res;
            char *txt = NULL;
            mxd_err e = mxd_ingest_reports_json(ing, &m, &res, &txt);
            if (e) {
                cli_err("report", "%s: %s", m.label, res.why[0] ? res.why : mxd_strerror(e));
                bad = 1;
                continue;
            }
            if (res.why[0]) {
                cli_err("report", "%s: %s", m.label, res.why);
                bad = 1;
            }
            json_t *arr = json_loads(txt, 0, NULL);
            free(txt);
            size_t k;
            json_t *o;
            json_array_foreach(arr, k, o)
            {
                json_t *r =
                    json_pack("{s:s, s:O, s:O}", "source", m.label, "kind",
                              json_object_get(o, "kind"), "report", json_object_get(o, "report"));
                if (r)
                    json_array_append_new(all, r);
            }
            json_decref(arr);
        }
        mxd_mail_close(src);
    }
    char *out = all ? json_dumps(all, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (out)
        printf("%s\n", out);
    free(out);
    json_decref(all);
    mxd_ingest_free(ing);
    mxd_kb_free(kb);
    return missing ? EX_NOINPUT_ : bad ? EX_DATAERR_ : 0;
}

int cmd_report(const cli_global *g0, int argc, char **argv)
{
    cli_global g = *g0;
    const char *sub = NULL, *db = NULL;
    mxd_store_window w = {NULL, 0, 0};
    int out = OUT_TEXT, no_dns = 0, rc = 0;
    char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
    int ninputs = 0;
    if (!inputs)
        return EX_OSERR_;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            free(inputs);
            return 0;
        }
        if (sub && !strcmp(sub, "show") && (a[0] != '-' || !strcmp(a, "-"))) {
            inputs[ninputs++] = argv[i];
        } else if (a[0] != '-') {
            if (sub) {
                cli_err("report", "unexpected argument '%s'", a);
                rc = EX_USAGE_;
            }
            sub = a;
        } else if (cli_is_opt(a, "--db")) {
            if (!(db = cli_take_value("report", argc, argv, &i, "--db", 0)))
                rc = EX_USAGE_;
        } else if (cli_is_opt(a, "--domain")) {
            if (!(w.domain = cli_take_value("report", argc, argv, &i, "--domain", 0)))
                rc = EX_USAGE_;
        } else if (cli_is_opt(a, "--since") || cli_is_opt(a, "--until")) {
            int since = cli_is_opt(a, "--since");
            const char *name = since ? "--since" : "--until";
            if (!(v = cli_take_value("report", argc, argv, &i, name, 0)))
                rc = EX_USAGE_;
            else if (mxd_log_parse_time(v, since ? &w.since : &w.until) != MXD_OK) {
                cli_err("report", "%s: '%s' is not a date (2026-12-01, 2026-12-01T10:00Z)", name,
                        v);
                rc = EX_USAGE_;
            }
        } else if (!strcmp(a, "--json")) {
            out = OUT_JSON;
        } else if (!strcmp(a, "--csv")) {
            out = OUT_CSV;
        } else if (!strcmp(a, "--no-dns")) {
            no_dns = 1;
        } else if (cli_other_option(&g, "report", argc, argv, &i)) {
            rc = EX_USAGE_;
        }
    }
    if (!rc && (!sub || (strcmp(sub, "dmarc") && strcmp(sub, "tls") && strcmp(sub, "show")))) {
        cli_err("report",
                sub ? "unknown report '%s' (dmarc, tls or show)"
                    : "which report: dmarc, tls or show%s",
                sub ? sub : "");
        rc = EX_USAGE_;
    }
    if (!rc && !strcmp(sub, "show") && !ninputs) {
        cli_err("report", "show needs an INPUT: a report file, a message, an mbox, a Maildir "
                          "or '-'");
        rc = EX_USAGE_;
    }
    if (!rc && !strcmp(sub, "show")) {
        rc = report_show(&g, inputs, ninputs);
        free(inputs);
        if (fflush(stdout) || ferror(stdout))
            return cli_stdout_status("report", 0);
        return rc;
    }
    free(inputs);
    if (!rc && !strcmp(sub, "tls") && out == OUT_CSV) {
        cli_err("report", "report tls has no --csv (use --json)");
        rc = EX_USAGE_;
    }
    if (rc)
        return rc;
    mxd_store *st = NULL;
    rc = cli_open_store("report", db, MXD_STORE_READONLY, &st);
    if (rc)
        return rc;
    rc = !strcmp(sub, "dmarc") ? report_dmarc(&g, st, &w, out, no_dns) : report_tls(st, &w, out);
    mxd_store_close(st);
    if (fflush(stdout) || ferror(stdout))
        return cli_stdout_status("report", 0);
    return rc;
}
