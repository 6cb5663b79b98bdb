/* cmd_check_domain.c - mxdiag check domain: MX, SPF, DMARC, DKIM, MTA-STS, TLS-RPT of a domain
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include <mxdiag/domain.h>

/* Findings listed under "fix first". */
#define DOMAIN_FIX_FIRST 5

enum { NAGIOS_OK = 0, NAGIOS_WARNING = 1, NAGIOS_CRITICAL = 2, NAGIOS_UNKNOWN = 3 };

static void help(FILE *out)
{
    fprintf(out,
            "usage: mxdiag check domain DOMAIN [--selector S ...] [--message FILE] [--json]\n"
            "                           [--nagios]\n\n"
            "Check how DOMAIN is set up for sending and receiving mail: MX hosts (and\n"
            "whose service they are), SPF (lint: lookups, void lookups, syntax, +all ...),\n"
            "DMARC (policy, reports, external report authorisation), DKIM keys (the given\n"
            "selectors, else common selectors of Microsoft 365, Google, Mailchimp ...),\n"
            "MTA-STS (_mta-sts TXT; the policy file is not fetched) and TLS-RPT\n"
            "(_smtp._tls TXT); then what to fix first.\n\n"
            "options:\n"
            "  --selector S  a DKIM selector to look up (repeatable; default: probe)\n"
            "  --message F   look up the selectors of the DKIM signatures (by DOMAIN) of\n"
            "                the message in file F\n"
            "  --json        one JSON object: domain mx spf dmarc dkim mta_sts tls_rpt\n"
            "                findings\n"
            "  --nagios      one status line and Nagios plugin exit codes: 0 OK, 1 WARNING,\n"
            "                2 CRITICAL (errors found), 3 UNKNOWN (an area could not be\n"
            "                checked: DNS failed or the resolver is suspect)\n"
            "%s"
            "  -h, --help    this help\n\n"
            "exit status: 0 checked (whatever was found), 64 bad usage or domain, 69 DNS\n"
            "unusable (no area could be checked: no answer, or a resolver that denies\n"
            "names that exist); with --nagios the plugin codes above\n",
            cli_dns_help);
}

static void line(const cli_global *g, const char *label, const char *text)
{
    printf("%-10s", label);
    term_wrap_at(stdout, g, 10, 10, text);
}

static const char *not_checked(const mxd_domain_report *r, mxd_dns_status st, char *t, size_t tl);

static void print_mx(const cli_global *g, const mxd_domain_report *r)
{
    const mxd_mx_report *mx = r->mx;
    char t[2048];
    size_t o = 0;
    if (!mx) {
        line(g, "MX", "not checked");
        return;
    }
    if (r->state[MXD_AREA_MX] == MXD_CHECK_UNCHECKED) {
        line(g, "MX", not_checked(r, mx->status, t, sizeof t));
        return;
    }
    if (mx->null_mx) {
        line(g, "MX", "null MX: the domain accepts no mail (RFC 7505)");
        return;
    }
    if (!mx->nhosts) {
        snprintf(t, sizeof t, "none (DNS %s)", mxd_dns_status_name(mx->status));
        line(g, "MX", t);
        return;
    }
    t[0] = 0;
    for (size_t i = 0; i < mx->nhosts && o < sizeof t - 200; i++) {
        const mxd_mx_host *h = &mx->hosts[i];
        o +=
            (size_t)snprintf(t + o, sizeof t - o, "%s%d %s%s%s%s", i ? "; " : "", h->pref, h->name,
                             h->provider_name ? " (" : "", h->provider_name ? h->provider_name : "",
                             h->provider_name ? ")" : "");
    }
    if (mx->implicit)
        snprintf(t + o, sizeof t - o, " (no MX record: the domain's own address)");
    else if (mx->truncated && o < sizeof t)
        snprintf(t + o, sizeof t - o, "; more not shown (only the %d most preferred are checked)",
                 MXD_CHECK_MAX_MX_HOSTS);
    line(g, "MX", t);
}

/* not_checked - the line of an area that could not be checked: why, never "none". */
static const char *not_checked(const mxd_domain_report *r, mxd_dns_status st, char *t, size_t tl)
{
    if (r->resolver_suspect)
        snprintf(t, tl, "not checked (the resolver is suspect)");
    else if (st != MXD_DNS_OK)
        snprintf(t, tl, "not checked (DNS %s)", mxd_dns_status_name(st));
    else
        snprintf(t, tl, "not checked (DNS trouble)");
    return t;
}

/* first_error - the worst finding of an area when it is an error (other than code
 * "absent", which says the record is missing), or NULL: the summary line of a failed area
 * says what the findings say. */
static const mxd_finding *first_error(const mxd_domain_report *r, const char *area,
                                      const char *absent)
{
    for (size_t i = 0; i < r->nfindings; i++) {
        const mxd_finding *f = &r->findings[i];
        if (f->severity == MXD_SEV_ERROR && !strcmp(f->area, area))
            return strcmp(f->code, absent) ? f : NULL;
    }
    return NULL;
}

static void print_summary(const cli_global *g, const mxd_domain_report *r)
{
    char t[2048];
    const mxd_check_state *st = r->state;
    print_mx(g, r);
    const mxd_spf_report *s = r->spf;
    if (st[MXD_AREA_SPF] == MXD_CHECK_UNCHECKED && !s->record)
        not_checked(r, MXD_DNS_OK, t, sizeof t);
    else if (s->status == MXD_SPF_NONE)
        snprintf(t, sizeof t, "none");
    else
        snprintf(t, sizeof t, "%s, %d of 10 DNS lookups: %s",
                 s->status == MXD_SPF_PERMERROR   ? "broken (permerror)"
                 : s->status == MXD_SPF_TEMPERROR ? "unreadable (DNS trouble)"
                                                  : "valid",
                 s->dns_lookups, s->record ? s->record : "-");
    line(g, "SPF", t);
    const mxd_dmarc_result *d = r->dmarc;
    if (st[MXD_AREA_DMARC] == MXD_CHECK_UNCHECKED)
        not_checked(r, MXD_DNS_OK, t, sizeof t);
    else if (d->record && !d->record->valid)
        snprintf(t, sizeof t, "invalid (receivers ignore it) at _dmarc.%s: %s",
                 d->record_domain ? d->record_domain : r->domain, d->record->text);
    else if (!d->found && first_error(r, "dmarc", "dmarc-none"))
        snprintf(t, sizeof t, "invalid: %s", first_error(r, "dmarc", "dmarc-none")->text);
    else if (d->found)
        snprintf(t, sizeof t, "p=%s%s%s, %zu report address%s: %s",
                 mxd_dmarc_policy_name(d->policy), d->record_domain ? " from _dmarc." : "",
                 d->record_domain ? d->record_domain : "", d->record->nrua,
                 d->record->nrua == 1 ? "" : "es", d->record->text);
    else
        snprintf(t, sizeof t, "%s", d->temperror ? "unknown (DNS trouble)" : "none");
    line(g, "DMARC", t);
    const mxd_dkim_keys_report *k = r->dkim;
    size_t o = (size_t)snprintf(t, sizeof t, "%s%zu key%s found (%s %zu selector%s",
                                st[MXD_AREA_DKIM] == MXD_CHECK_UNCHECKED ? "not checked: " : "",
                                k->nfound, k->nfound == 1 ? "" : "s",
                                k->probed ? "probed" : "asked", k->nkeys, k->nkeys == 1 ? "" : "s");
    if (k->nfailed && o < sizeof t)
        o += (size_t)snprintf(t + o, sizeof t - o, ", %zu not answered", k->nfailed);
    if (r->resolver_suspect && st[MXD_AREA_DKIM] == MXD_CHECK_UNCHECKED && o < sizeof t)
        o += (size_t)snprintf(t + o, sizeof t - o, "; the resolver is suspect");
    if (o < sizeof t)
        o += (size_t)snprintf(t + o, sizeof t - o, ")");
    for (size_t i = 0, n = 0; i < k->nkeys && o < sizeof t - 100; i++) {
        const mxd_dkim_key *key = &k->keys[i];
        if (!key->found)
            continue;
        if (key->valid)
            o += (size_t)snprintf(t + o, sizeof t - o, "%s%s (%s %d)", n++ ? ", " : ": ",
                                  key->selector, key->key_type, key->bits);
        else
            o += (size_t)snprintf(t + o, sizeof t - o, "%s%s (%s)", n++ ? ", " : ": ",
                                  key->selector, key->revoked ? "revoked" : "unusable");
    }
    line(g, "DKIM", t);
    const mxd_txt_policy *p = &r->mta_sts;
    if (st[MXD_AREA_MTA_STS] == MXD_CHECK_UNCHECKED)
        not_checked(r, p->status, t, sizeof t);
    else
        snprintf(t, sizeof t, "%s%s%s", p->found ? (p->valid ? "" : "invalid: ") : "none",
                 p->found ? p->record : "", p->valid ? " (policy file not fetched)" : "");
    line(g, "MTA-STS", t);
    p = &r->tls_rpt;
    if (st[MXD_AREA_TLS_RPT] == MXD_CHECK_UNCHECKED)
        not_checked(r, p->status, t, sizeof t);
    else
        snprintf(t, sizeof t, "%s%s", p->found ? (p->valid ? "" : "invalid: ") : "none",
                 p->found ? p->record : "");
    line(g, "TLS-RPT", t);
}

static void print_finding(const cli_global *g, const mxd_finding *f, const char *lead)
{
    char t[2600];
    snprintf(t, sizeof t, "%s[%s] %s: %s", lead, mxd_severity_name(f->severity), f->area, f->text);
    printf("  ");
    term_wrap(stdout, g, 0, 6, t);
    if (f->fix) {
        snprintf(t, sizeof t, "fix: %s", f->fix);
        printf("      ");
        term_wrap(stdout, g, 0, 11, t);
    }
}

static void print_text(const cli_global *g, const mxd_domain_report *r)
{
    char nc[200] = "";
    if (r->unchecked)
        snprintf(nc, sizeof nc, "; %zu of %d areas not checked (%s)", r->unchecked,
                 MXD_DOMAIN_AREAS, r->resolver_suspect ? "the resolver is suspect" : "DNS failed");
    else if (r->dns_trouble)
        snprintf(nc, sizeof nc, " (some DNS lookups failed)");
    printf("%s%s%s: %zu error%s, %zu warning%s%s\n\n", term_c(g, "bold"), r->domain,
           term_c(g, "reset"), r->errors, r->errors == 1 ? "" : "s", r->warnings,
           r->warnings == 1 ? "" : "s", nc);
    print_summary(g, r);
    size_t first = 0;
    for (size_t i = 0; i < r->nfindings && first < DOMAIN_FIX_FIRST; i++)
        if (r->findings[i].severity > MXD_SEV_INFO)
            first++;
    if (first) {
        printf("\nFix first:\n");
        for (size_t i = 0; i < first; i++) {
            char lead[32]; /* "%zu. " never needs more than 23 */
            snprintf(lead, sizeof lead, "%zu. ", i + 1);
            print_finding(g, &r->findings[i], lead);
        }
    } else if (r->unchecked) {
        printf("\nNothing to fix in what could be checked; %zu area%s could not be: check "
               "again.\n",
               r->unchecked, r->unchecked == 1 ? "" : "s");
    } else {
        printf("\nNothing to fix.\n");
    }
    if (r->nfindings > first) {
        printf("\nAlso:\n");
        for (size_t i = first; i < r->nfindings; i++)
            print_finding(g, &r->findings[i], "- ");
    }
}

static int print_nagios(const mxd_domain_report *r)
{
    /* an error found is CRITICAL whatever else could not be checked; an area not checked is
     * UNKNOWN, never OK */
    int code = r->errors      ? NAGIOS_CRITICAL
               : r->unchecked ? NAGIOS_UNKNOWN
               : r->warnings  ? NAGIOS_WARNING
                              : NAGIOS_OK;
    static const char *const words[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    printf("DOMAIN %s - %s: %zu error%s, %zu warning%s", words[code], r->domain, r->errors,
           r->errors == 1 ? "" : "s", r->warnings, r->warnings == 1 ? "" : "s");
    if (code == NAGIOS_UNKNOWN && r->resolver_suspect) {
        printf("; not checked: the resolver is suspect");
    } else if (code == NAGIOS_UNKNOWN) {
        printf("; DNS lookups failed");
        if (r->unchecked < MXD_DOMAIN_AREAS) {
            printf(", not checked:");
            for (int a = 0, n = 0; a < MXD_DOMAIN_AREAS; a++)
                if (r->state[a] == MXD_CHECK_UNCHECKED)
                    printf("%s %s", n++ ? "," : "", mxd_domain_area_name((mxd_domain_area)a));
        }
    } else if (r->nfindings && r->findings[0].severity > MXD_SEV_INFO)
        printf("; %s", r->findings[0].text);
    printf("\n");
    return code;
}

int cmd_check_domain(const cli_global *g0, int argc, char **argv)
{
    cli_global g = *g0;
    const char *domain = NULL, *message = NULL;
    const char *sel[MXD_DKIM_MAX_SELECTORS];
    size_t nsel = 0;
    int json = 0, nagios = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--nagios")) {
            nagios = 1;
        } else if (cli_is_opt(a, "--selector")) {
            if (cli_selector_option("check domain", argc, argv, &i, sel, &nsel))
                return EX_USAGE_;
        } else if (cli_is_opt(a, "--message")) {
            if (!(message = cli_take_value("check domain", argc, argv, &i, "--message", 0)))
                return EX_USAGE_;
        } else if (a[0] == '-' && a[1]) {
            if (cli_other_option(&g, "check domain", argc, argv, &i))
                return EX_USAGE_;
        } else if (!domain) {
            domain = a;
        } else {
            cli_err("check domain", "one DOMAIN only");
            return EX_USAGE_;
        }
    }
    if (!domain) {
        help(stderr);
        return EX_USAGE_;
    }
    if (json && nagios) {
        cli_err("check domain", "--json and --nagios exclude each other");
        return EX_USAGE_;
    }
    if (!mxd_domain_valid(domain)) {
        cli_err("check domain", "'%s' is not a domain name", domain);
        return EX_USAGE_;
    }
    mxd_dkim_signer *signers = NULL;
    size_t nsigners = 0;
    if (message) {
        int r = cli_read_signers("check domain", message, &signers, &nsigners);
        if (r)
            return nagios ? NAGIOS_UNKNOWN : r;
        if (!cli_signer_selectors(signers, nsigners, domain, sel, &nsel, MXD_DKIM_MAX_SELECTORS)) {
            cli_err("check domain", "%s has no DKIM signature with d=%s", message, domain);
            mxd_dkim_signers_free(signers, nsigners);
            return nagios ? NAGIOS_UNKNOWN : EX_DATAERR_;
        }
    }
    mxd_kb *kb;
    int rc = cli_open_kb(&g, "check domain", &kb);
    if (rc) {
        mxd_dkim_signers_free(signers, nsigners);
        return nagios ? NAGIOS_UNKNOWN : rc;
    }
    mxd_resolver *res;
    rc = cli_open_resolver(&g, "check domain", &res);
    if (rc) {
        mxd_kb_free(kb);
        mxd_dkim_signers_free(signers, nsigners);
        if (nagios)
            printf("DOMAIN UNKNOWN - the DNS resolver cannot start\n");
        return nagios ? NAGIOS_UNKNOWN : rc;
    }
    mxd_domain_report *rep;
    mxd_err e = mxd_check_domain(res, kb, domain, sel, nsel, &rep);
    if (e) {
        cli_err("check domain", "%s",
                e == MXD_ERR_INVALID ? "a --selector is not valid" : mxd_strerror(e));
        rc = nagios ? NAGIOS_UNKNOWN : e == MXD_ERR_INVALID ? EX_USAGE_ : EX_OSERR_;
    } else {
        if (json) {
            char *js = mxd_domain_report_json(rep, 1);
            if (js)
                printf("%s\n", js);
            free(js);
        } else if (nagios) {
            rc = print_nagios(rep);
        } else {
            print_text(&g, rep);
        }
        if (!nagios && rep->dns_unusable) {
            cli_err("check domain", "%s",
                    rep->resolver_suspect ? "the resolver is suspect: nothing could be checked"
                                          : "no DNS answer: nothing could be checked (check "
                                            "--dns-server and the network)");
            rc = EX_UNAVAILABLE_;
        }
        mxd_domain_report_free(rep);
    }
    mxd_resolver_free(res);
    mxd_kb_free(kb);
    mxd_dkim_signers_free(signers, nsigners);
    return rc;
}
