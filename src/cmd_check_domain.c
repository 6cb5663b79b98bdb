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
            "                2 CRITICAL (errors found), 3 UNKNOWN (DNS trouble, nothing known)\n"
            "%s"
            "  -h, --help    this help\n\n"
            "exit status: 0 checked (whatever was found), 64 bad usage or domain, 69 DNS\n"
            "unusable; with --nagios the plugin codes above\n",
            cli_dns_help);
}

static void line(const cli_global *g, const char *label, const char *text)
{
    printf("%-10s", label);
    term_wrap_at(stdout, g, 10, 10, text);
}

static void print_mx(const cli_global *g, const mxd_mx_report *mx)
{
    char t[2048];
    size_t o = 0;
    if (!mx) {
        line(g, "MX", "not checked");
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

static void print_summary(const cli_global *g, const mxd_domain_report *r)
{
    char t[2048];
    print_mx(g, r->mx);
    const mxd_spf_report *s = r->spf;
    if (s->status == MXD_SPF_NONE)
        snprintf(t, sizeof t, "none");
    else
        snprintf(t, sizeof t, "%s, %d of 10 DNS lookups: %s",
                 s->status == MXD_SPF_PERMERROR   ? "broken (permerror)"
                 : s->status == MXD_SPF_TEMPERROR ? "unreadable (DNS trouble)"
                                                  : "valid",
                 s->dns_lookups, s->record ? s->record : "-");
    line(g, "SPF", t);
    const mxd_dmarc_result *d = r->dmarc;
    if (d->found)
        snprintf(t, sizeof t, "p=%s%s%s, %zu report address%s: %s",
                 mxd_dmarc_policy_name(d->policy), d->record_domain ? " from _dmarc." : "",
                 d->record_domain ? d->record_domain : "", d->record->nrua,
                 d->record->nrua == 1 ? "" : "es", d->record->text);
    else
        snprintf(t, sizeof t, "%s", d->temperror ? "unknown (DNS trouble)" : "none");
    line(g, "DMARC", t);
    const mxd_dkim_keys_report *k = r->dkim;
    size_t o = (size_t)snprintf(t, sizeof t, "%zu key%s found (%s %zu selector%s)", k->nfound,
                                k->nfound == 1 ? "" : "s", k->probed ? "probed" : "asked", k->nkeys,
                                k->nkeys == 1 ? "" : "s");
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
    snprintf(t, sizeof t, "%s%s%s", p->found ? (p->valid ? "" : "invalid: ") : "none",
             p->found ? p->record : "", p->valid ? " (policy file not fetched)" : "");
    line(g, "MTA-STS", t);
    p = &r->tls_rpt;
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
    printf("%s%s%s: %zu error%s, %zu warning%s%s\n\n", term_c(g, "bold"), r->domain,
           term_c(g, "reset"), r->errors, r->errors == 1 ? "" : "s", r->warnings,
           r->warnings == 1 ? "" : "s", r->dns_trouble ? " (some DNS lookups failed)" : "");
    print_summary(g, r);
    size_t first = 0;
    for (size_t i = 0; i < r->nfindings && first < DOMAIN_FIX_FIRST; i++)
        if (r->findings[i].severity > MXD_SEV_INFO)
            first++;
    if (first) {
        printf("\nFix first:\n");
        for (size_t i = 0; i < first; i++) {
            char lead[16];
            snprintf(lead, sizeof lead, "%zu. ", i + 1);
            print_finding(g, &r->findings[i], lead);
        }
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
    int unknown = r->dns_trouble && r->spf->status == MXD_SPF_TEMPERROR && !r->dmarc->found &&
                  r->dkim->nfound == 0;
    int code = unknown       ? NAGIOS_UNKNOWN
               : r->errors   ? NAGIOS_CRITICAL
               : r->warnings ? NAGIOS_WARNING
                             : NAGIOS_OK;
    static const char *const words[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    printf("DOMAIN %s - %s: %zu error%s, %zu warning%s", words[code], r->domain, r->errors,
           r->errors == 1 ? "" : "s", r->warnings, r->warnings == 1 ? "" : "s");
    if (code == NAGIOS_UNKNOWN)
        printf("; DNS lookups failed");
    else if (r->nfindings && r->findings[0].severity > MXD_SEV_INFO)
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
        mxd_domain_report_free(rep);
    }
    mxd_resolver_free(res);
    mxd_kb_free(kb);
    mxd_dkim_signers_free(signers, nsigners);
    return rc;
}
