/* cmd_dkim.c - mxdiag dkim: verify the DKIM signatures of a message, look up DKIM keys
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include <mxdiag/dkim.h>

static void help(FILE *out)
{
    fprintf(out,
            "usage: mxdiag dkim verify [--json] [--time EPOCH] FILE|-\n"
            "       mxdiag dkim keys [--json] [--selector S ...] [--message FILE] [DOMAIN]\n\n"
            "verify: check every DKIM-Signature of the message in FILE (- for standard\n"
            "input): rsa-sha256 and ed25519-sha256, simple and relaxed canonicalization,\n"
            "l=, the body hash and the signature over the header fields, with the keys\n"
            "fetched over DNS. One result per signature: pass, fail (with the reason),\n"
            "neutral, temperror or permerror.\n\n"
            "keys: the DKIM keys of DOMAIN for the given selectors (--selector, or the s=\n"
            "of the signatures of --message FILE whose d= is DOMAIN; without DOMAIN, the d=\n"
            "of its first signature), or for a list of common selectors (Microsoft 365,\n"
            "Google, Mailchimp, SendGrid ...) when none is given: key type and size,\n"
            "revoked, testing, and what to fix.\n\n"
            "options:\n"
            "  --json          one JSON object (verify: from_domain signatures pass;\n"
            "                  keys: domain probed keys findings)\n"
            "  --time EPOCH    verify: the time for signature expiry (x=), default now\n"
            "  --selector S    keys: a selector to look up (repeatable)\n"
            "  --message FILE  keys: look up the selectors of the message's signatures\n"
            "%s"
            "  -h, --help      this help\n\n"
            "exit status: 0 checked (whatever the results), 64 bad usage, 65 unusable input,\n"
            "66 cannot read FILE, 69 DNS unusable (no selector answered, or \"no key\"\n"
            "from a resolver that denies the top-level domain too)\n",
            cli_dns_help);
}

static void print_verify(const cli_global *g, const mxd_dkim_verify_report *rep)
{
    if (!rep->nsigs) {
        printf("none: the message has no DKIM-Signature\n");
        return;
    }
    printf("%zu signature%s, %zu pass%s\n", rep->nsigs, rep->nsigs == 1 ? "" : "s", rep->npass,
           rep->truncated ? " (more signatures were not checked)" : "");
    for (size_t i = 0; i < rep->nsigs; i++) {
        const mxd_dkim_sig *s = &rep->sigs[i];
        char line[1024];
        printf("\nsignature %zu: %s%s%s%s\n", i + 1, term_c(g, "bold"),
               mxd_dkim_result_name(s->result), term_c(g, "reset"),
               s->domain && rep->from_domain && !strcmp(s->domain, rep->from_domain)
                   ? " (d= is the From domain)"
                   : "");
        if (s->reason) {
            snprintf(line, sizeof line, "reason: %s", s->reason);
            printf("  ");
            term_wrap(stdout, g, 0, 10, line);
        }
        snprintf(line, sizeof line, "d=%s s=%s a=%s c=%s", s->domain ? s->domain : "-",
                 s->selector ? s->selector : "-", s->algorithm ? s->algorithm : "-",
                 s->canon ? s->canon : "-");
        printf("  %s\n", line);
        if (s->headers) {
            snprintf(line, sizeof line, "signed fields: %s", s->headers);
            printf("  ");
            term_wrap(stdout, g, 0, 4, line);
        }
        if (s->body_length >= 0)
            printf("  body length limit: l=%lld (text added after it is not covered)\n",
                   s->body_length);
        if (s->key_bits)
            printf("  key: %s, %d bits%s\n", s->key_type, s->key_bits,
                   s->key_testing ? ", testing (t=y)" : "");
        if (s->body_hash_ok >= 0)
            printf("  body hash: %s\n", s->body_hash_ok ? "ok" : "mismatch");
    }
}

static void print_keys(const cli_global *g, const mxd_dkim_keys_report *rep)
{
    printf("DKIM keys of %s (%s %zu selector%s): %zu found", rep->domain,
           rep->probed ? "probed" : "asked", rep->nkeys, rep->nkeys == 1 ? "" : "s", rep->nfound);
    if (rep->nfailed)
        printf(", %zu not checked (DNS failed)", rep->nfailed);
    printf("\n");
    for (size_t i = 0; i < rep->nkeys; i++) {
        const mxd_dkim_key *k = &rep->keys[i];
        char line[1200];
        if (!k->found) {
            if (rep->probed && (k->status == MXD_DNS_NXDOMAIN || k->status == MXD_DNS_NODATA))
                continue;
            snprintf(line, sizeof line, "%s: no key (DNS %s)", k->name,
                     mxd_dns_status_name(k->status));
        } else if (!k->valid) {
            snprintf(line, sizeof line, "%s: unusable: %s", k->name,
                     k->problem ? k->problem : "invalid");
        } else {
            snprintf(line, sizeof line, "%s: %s, %d bits%s%s%s%s", k->name, k->key_type, k->bits,
                     k->testing ? ", testing (t=y)" : "", k->strict ? ", strict (t=s)" : "",
                     k->provider ? "; selector used by " : "", k->provider ? k->provider : "");
        }
        printf("  ");
        term_wrap(stdout, g, 0, 4, line);
    }
    if (rep->nfindings) {
        printf("\nfindings:\n");
        for (size_t i = 0; i < rep->nfindings; i++) {
            const mxd_finding *f = &rep->findings[i];
            char line[2400];
            snprintf(line, sizeof line, "%-8s%s", mxd_severity_name(f->severity), f->text);
            printf("  ");
            term_wrap(stdout, g, 0, 10, line);
            if (f->fix) {
                snprintf(line, sizeof line, "fix: %s", f->fix);
                printf("          ");
                term_wrap(stdout, g, 0, 15, line);
            }
        }
    }
}

/* read_file - a whole message (at most MXD_DKIM_MAX_MESSAGE bytes); prints errors. */
static int read_file(const char *cmd, const char *file, char **msg, size_t *len)
{
    int oerr = 0;
    FILE *f = cli_open_input(file, &oerr);
    if (!f) {
        cli_err(cmd, "cannot open %s: %s", file, cli_strerror(oerr));
        return EX_NOINPUT_;
    }
    *msg = cli_read_stream(f, MXD_DKIM_MAX_MESSAGE + 1, len);
    int saved = errno;
    if (f != stdin)
        fclose(f);
    if (!*msg) {
        cli_err(cmd, "cannot read %s: %s", file, strerror(saved));
        return EX_IOERR_;
    }
    if (*len > MXD_DKIM_MAX_MESSAGE) {
        free(*msg);
        cli_err(cmd, "%s is larger than %u bytes", file, MXD_DKIM_MAX_MESSAGE);
        return EX_DATAERR_;
    }
    if (*len == 0) {
        free(*msg);
        cli_err(cmd, "%s is empty", file);
        return EX_DATAERR_;
    }
    return 0;
}

int cli_read_signers(const char *cmd, const char *file, mxd_dkim_signer **v, size_t *n)
{
    char *msg;
    size_t len;
    int rc = read_file(cmd, file, &msg, &len);
    if (rc)
        return rc;
    mxd_err e = mxd_dkim_signers(msg, len, v, n);
    free(msg);
    if (e) {
        cli_err(cmd, "%s: %s", file, mxd_strerror(e));
        return e == MXD_ERR_NOMEM ? EX_OSERR_ : EX_DATAERR_;
    }
    if (*n == 0) {
        mxd_dkim_signers_free(*v, *n);
        *v = NULL;
        cli_err(cmd, "%s has no DKIM-Signature with d= and s=", file);
        return EX_DATAERR_;
    }
    return 0;
}

static int parse_time(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v <= 0)
        return -1;
    *out = v;
    return 0;
}

static int run_verify(cli_global *g, int json, long long now, const char *file)
{
    char *msg;
    size_t len = 0;
    int rc0 = read_file("dkim", file, &msg, &len);
    if (rc0)
        return rc0;
    mxd_resolver *res;
    int rc = cli_open_resolver(g, "dkim", &res);
    if (rc) {
        free(msg);
        return rc;
    }
    mxd_dkim_verify_opts o = {now};
    mxd_dkim_verify_report *rep;
    mxd_err e = mxd_dkim_verify(res, msg, len, &o, &rep);
    free(msg);
    if (e) {
        cli_err("dkim", "%s", mxd_strerror(e));
        rc = e == MXD_ERR_NOMEM ? EX_OSERR_ : e == MXD_ERR_NOLIB ? EX_UNAVAILABLE_ : EX_DATAERR_;
    } else {
        char *js = json ? mxd_dkim_verify_report_json(rep, 1) : NULL;
        if (js)
            printf("%s\n", js);
        else if (!json)
            print_verify(g, rep);
        free(js);
        mxd_dkim_verify_report_free(rep);
    }
    mxd_resolver_free(res);
    return rc;
}

static int run_keys(cli_global *g, int json, const char *domain, const char **sel, size_t nsel)
{
    mxd_kb *kb = NULL;
    int rc = cli_open_kb(g, "dkim", &kb);
    if (rc)
        return rc;
    mxd_resolver *res;
    rc = cli_open_resolver(g, "dkim", &res);
    if (rc) {
        mxd_kb_free(kb);
        return rc;
    }
    mxd_dkim_keys_report *rep;
    mxd_err e = mxd_dkim_keys(res, kb, domain, sel, nsel, &rep);
    if (e == MXD_ERR_INVALID) {
        cli_err("dkim", "'%s' is not a domain name, or a selector is not valid", domain);
        rc = EX_USAGE_;
    } else if (e) {
        cli_err("dkim", "%s", mxd_strerror(e));
        rc = e == MXD_ERR_TOOBIG ? EX_USAGE_ : e == MXD_ERR_NOLIB ? EX_UNAVAILABLE_ : EX_OSERR_;
    } else {
        /* "no key" is believed only from a resolver that knows the top-level domain */
        char why[512] = "";
        if (rep->nkeys && !rep->nfound && !rep->nfailed)
            mxd_nxdomain_suspect(res, rep->domain, why, sizeof why);
        char *js = json ? mxd_dkim_keys_report_json(rep, 1) : NULL;
        if (js) {
            printf("%s\n", js);
        } else if (!json && why[0]) {
            printf("DKIM keys of %s: not checked (the resolver is suspect)\n  ! ", rep->domain);
            term_wrap_at(stdout, g, 4, 4, why);
        } else if (!json) {
            print_keys(g, rep);
        }
        free(js);
        if (why[0]) {
            cli_err("dkim", "the resolver is suspect: %s", why);
            rc = EX_UNAVAILABLE_;
        } else if (rep->nkeys && rep->nfailed == rep->nkeys) {
            cli_err("dkim", "no DNS answer for any selector: nothing could be checked");
            rc = EX_UNAVAILABLE_;
        }
        mxd_dkim_keys_report_free(rep);
    }
    mxd_resolver_free(res);
    mxd_kb_free(kb);
    return rc;
}

int cmd_dkim(const cli_global *g0, int argc, char **argv)
{
    cli_global g = *g0;
    if (argc < 2) {
        help(stderr);
        return EX_USAGE_;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        help(stdout);
        return 0;
    }
    int verify = !strcmp(argv[1], "verify"), keys = !strcmp(argv[1], "keys");
    if (!verify && !keys) {
        cli_err("dkim", "unknown subcommand '%s' (verify or keys; try --help)", argv[1]);
        return EX_USAGE_;
    }
    int json = 0;
    long long now = 0;
    const char *arg = NULL, *message = NULL;
    const char *sel[MXD_DKIM_MAX_SELECTORS];
    size_t nsel = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (verify && !strcmp(a, "--time")) {
            if (i + 1 >= argc || parse_time(argv[++i], &now)) {
                cli_err("dkim", "--time needs seconds since 1970");
                return EX_USAGE_;
            }
        } else if (keys && cli_is_opt(a, "--selector")) {
            if (cli_selector_option("dkim", argc, argv, &i, sel, &nsel))
                return EX_USAGE_;
        } else if (keys && cli_is_opt(a, "--message")) {
            if (!(message = cli_take_value("dkim", argc, argv, &i, "--message", 0)))
                return EX_USAGE_;
        } else if (a[0] == '-' && a[1]) {
            if (cli_other_option(&g, "dkim", argc, argv, &i))
                return EX_USAGE_;
        } else if (!arg) {
            arg = a;
        } else {
            cli_err("dkim", "one %s only", verify ? "FILE" : "DOMAIN");
            return EX_USAGE_;
        }
    }
    mxd_dkim_signer *signers = NULL;
    size_t nsigners = 0;
    if (message) {
        int rc = cli_read_signers("dkim", message, &signers, &nsigners);
        if (rc)
            return rc;
        if (!arg)
            arg = signers[0].domain;
        if (!cli_signer_selectors(signers, nsigners, arg, sel, &nsel, MXD_DKIM_MAX_SELECTORS)) {
            cli_err("dkim", "%s has no signature with d=%s", message, arg);
            mxd_dkim_signers_free(signers, nsigners);
            return EX_DATAERR_;
        }
    }
    if (!arg) {
        cli_err("dkim", "%s needs %s", argv[1], verify ? "a FILE (or -)" : "a DOMAIN");
        return EX_USAGE_;
    }
    int rc = verify ? run_verify(&g, json, now, arg) : run_keys(&g, json, arg, sel, nsel);
    mxd_dkim_signers_free(signers, nsigners);
    int wr = cli_stdout_status("dkim", 0);
    return wr && !rc ? wr : rc;
}
