/* diagnose.c - facts from a bounce, the live checks its code family calls for, the playbook
 * SPDX-License-Identifier: MIT
 *
 * Pipeline: input (a bounce message or a pasted reply) -> explanation and facts -> playbook
 * (data/playbooks.txt) -> the checks its steps name, their DNS queries in flight together ->
 * steps marked done / to do / manual / unchecked -> delisting request (data/delist.txt).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "classify/classify.h"
#include "diagnose/diagnose_internal.h"
#include "mxdiag/bounce.h"
#include "mxdiag/check.h"
#include "util/buf.h"
#include "util/str.h"

/* Limits on what a stranger's message can make diagnose do. */
#define DIAG_TEXT_MAX  65536 /* bytes of a filled-in step or request */
#define DIAG_QUOTE_MAX 2048  /* bytes of the reply quoted in a request */

const char *mxd_mark_name(mxd_mark m)
{
    static const char *const n[] = {"todo", "done", "manual", "unchecked", "not_applicable"};
    return (unsigned)m < 5 ? n[m] : "unknown";
}

char *diag_strdup(const char *s)
{
    return s ? str_dup_n(s, strlen(s)) : NULL;
}

/* diag_printf - a new formatted string, NULL on out of memory. */
char *diag_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = malloc((size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/* diag_finding - append a finding to a check. */
mxd_err diag_finding(mxd_diag_check *c, char *text)
{
    if (!text)
        return MXD_ERR_NOMEM;
    char **p = realloc(c->findings, (c->nfindings + 1) * sizeof *p);
    if (!p) {
        free(text);
        return MXD_ERR_NOMEM;
    }
    c->findings = p;
    c->findings[c->nfindings++] = text;
    return MXD_OK;
}

/* diag_set - set a check's state and summary (takes summary). */
void diag_set(mxd_diag_check *c, mxd_check_state st, char *summary)
{
    c->state = st;
    free(c->summary);
    c->summary = summary;
}

static void free_check(mxd_diag_check *c)
{
    free(c->summary);
    for (size_t i = 0; i < c->nfindings; i++)
        free(c->findings[i]);
    free(c->findings);
    free(c->data);
}

void mxd_diagnosis_free(mxd_diagnosis *d)
{
    if (!d)
        return;
    mxd_explanation_free(d->explanation);
    free(d->sending_ip);
    free(d->sending_ip_owner_why);
    free(d->reporting_mta);
    free(d->reading);
    free(d->sender_domain);
    free(d->recipient);
    free(d->recipient_domain);
    free(d->dkim_selector);
    free(d->mail_from);
    free(d->mail_from_domain);
    free(d->helo);
    free(d->dkim_domain);
    for (size_t i = 0; i < d->ndkim_signers; i++)
        free(d->dkim_signers[i]);
    free(d->dkim_signers);
    free(d->source);
    for (size_t i = 0; i < d->nchecks; i++)
        free_check(&d->checks[i]);
    free(d->checks);
    free(d->dns_warning);
    free(d->resolver_suspect);
    for (size_t i = 0; i < d->nsteps; i++) {
        free(d->steps[i].text);
        free(d->steps[i].finding);
    }
    free(d->steps);
    free(d->delist_subject);
    free(d->delist_body);
    free(d);
}

/* ---- facts from a bounce message ---------------------------------------------------- */

/* The first failed record and the facts it was classified from (copied: a record lives
 * only during the callback). */
typedef struct first_rec {
    int have;
    char *recipient, *destination, *addresser, *senderdomain, *sending_ip;
    /* the facts (mxd_reply_facts) */
    char *text, *status, *replycode, *rhost, *mx, *lhost, *rdomain, *command, *diagtype, *action,
        *format_reason;
    size_t len;
    int record, own, attempt, hard;
    size_t n;
} first_rec;

static int on_record(void *arg, const mxd_bounce_record *r)
{
    first_rec *f = arg;
    f->n++;
    if (f->have || !strcmp(r->reason, "delivered"))
        return 0;
    f->have = 1;
    f->hard = r->hardbounce != 0;
    f->recipient = diag_strdup(r->recipient);
    f->destination = diag_strdup(r->destination);
    f->addresser = diag_strdup(r->addresser);
    f->senderdomain = diag_strdup(r->senderdomain);
    f->sending_ip = diag_strdup(r->sending_ip);
    const mxd_reply_facts *x = r->facts;
    if (x) {
        f->text = x->text ? str_dup_n(x->text, x->len) : NULL;
        f->len = x->text ? x->len : 0;
        f->status = diag_strdup(x->status);
        f->replycode = diag_strdup(x->replycode);
        f->rhost = diag_strdup(x->rhost);
        f->mx = diag_strdup(x->mx);
        f->lhost = diag_strdup(x->lhost);
        f->rdomain = diag_strdup(x->recipient_domain);
        f->command = diag_strdup(x->command);
        f->diagtype = diag_strdup(x->diagtype);
        f->action = diag_strdup(x->action);
        f->format_reason = diag_strdup(x->format_reason);
        f->record = x->record;
        f->own = x->own;
        f->attempt = x->attempt;
    }
    return 0;
}

static void first_rec_free(first_rec *f)
{
    char *p[] = {f->recipient,  f->destination, f->addresser, f->senderdomain,
                 f->sending_ip, f->text,        f->status,    f->replycode,
                 f->rhost,      f->mx,          f->lhost,     f->rdomain,
                 f->command,    f->diagtype,    f->action,    f->format_reason};
    for (size_t i = 0; i < sizeof p / sizeof *p; i++)
        free(p[i]);
}

static const char *domain_of(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    return at && at[1] ? at + 1 : NULL;
}

/* facts_from_message - explanation and facts of the first failed record. */
static mxd_err facts_from_message(const mxd_kb *kb, const char *data, size_t len,
                                  const char *source, mxd_diagnosis *d)
{
    mxd_bounce_ctx *bc;
    mxd_err e = mxd_bounce_new(kb, 0, &bc);
    if (e)
        return e;
    first_rec f = {0};
    e = mxd_bounce_parse(bc, data, len, source, on_record, &f, NULL);
    mxd_bounce_free(bc);
    if (e || !f.have) {
        first_rec_free(&f);
        return e ? e : MXD_ERR_NOTFOUND;
    }
    d->nrecords = f.n;
    d->hardbounce = f.hard;
    /* the record's verdict: the same classification from the same facts (explain.h) */
    mxd_reply_facts x = {f.text ? f.text : "",
                         f.text ? f.len : 0,
                         f.status,
                         f.replycode,
                         f.rhost,
                         f.mx,
                         f.lhost,
                         f.rdomain,
                         f.command,
                         f.diagtype,
                         f.action,
                         f.format_reason,
                         f.record,
                         f.own,
                         f.attempt};
    e = mxd_explain_facts(kb, &x, &d->explanation);
    if (e) {
        first_rec_free(&f);
        return e;
    }
    /* (the reasons classify_hardbounce() takes for a missing address) */
    d->unproved = !f.hard && classify_hardbounce(d->explanation->reason, 1, NULL, NULL);
    if (f.sending_ip && *f.sending_ip) {
        d->sending_ip = f.sending_ip, f.sending_ip = NULL;
        d->sending_ip_from = "bounce";
    }
    if (f.senderdomain && *f.senderdomain) {
        d->sender_domain = f.senderdomain, f.senderdomain = NULL;
        d->sender_domain_from = "returned message";
    }
    if (f.recipient && *f.recipient)
        d->recipient = f.recipient, f.recipient = NULL;
    const char *rd = f.destination && *f.destination ? f.destination : domain_of(d->recipient);
    d->recipient_domain = diag_strdup(rd);
    if (f.lhost && *f.lhost)
        d->reporting_mta = f.lhost, f.lhost = NULL;
    first_rec_free(&f);
    return MXD_OK;
}

/* find_address - the first e-mail address written in a reply ("<bob@example.org>: User
 * unknown"), or NULL. */
static char *find_address(const char *t)
{
    for (const char *at = strchr(t, '@'); at; at = strchr(at + 1, '@')) {
        const char *s = at, *e = at + 1;
        while (s > t && (str_isalnum((unsigned char)s[-1]) || strchr("._%+-=", s[-1])))
            s--;
        int dot = 0;
        while (str_isalnum((unsigned char)*e) || *e == '.' || *e == '-')
            dot |= *e++ == '.';
        while (e > at + 1 && e[-1] == '.')
            e--;
        if (s < at && dot && e > at + 3)
            return str_dup_n(s, (size_t)(e - s));
    }
    return NULL;
}

/* ---- placeholders ---------------------------------------------------------------------- */

/* add_quote - append at most DIAG_QUOTE_MAX bytes of s, cut before a UTF-8 sequence, with a
 * mark when cut: a stranger's reply is up to MXD_REPLY_MAX bytes long. */
static mxd_err add_quote(buf *b, const char *s)
{
    size_t n = strlen(s);
    if (n <= DIAG_QUOTE_MAX)
        return buf_add(b, s, n);
    n = DIAG_QUOTE_MAX;
    while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    mxd_err e = buf_add(b, s, n);
    return e ? e : buf_adds(b, " [...]");
}

/* diag_fill - copy tmpl with {name} placeholders replaced by values from the diagnosis. */
char *diag_fill(const mxd_diagnosis *d, const char *tmpl, const char *passing, const char *listings)
{
    buf b;
    buf_init(&b, DIAG_TEXT_MAX);
    const mxd_explanation *x = d->explanation;
    mxd_err e = MXD_OK;
    char date[16] = "";
    for (const char *p = tmpl; *p && !e; p++) {
        if (*p != '{') {
            e = buf_addc(&b, *p);
            continue;
        }
        const char *close = strchr(p, '}');
        if (!close) {
            e = buf_addc(&b, *p);
            continue;
        }
        size_t nl = (size_t)(close - p - 1);
        const char *v = NULL;
#define IS(n) (nl == sizeof(n) - 1 && !memcmp(p + 1, n, nl))
        if (IS("ip"))
            v = d->sending_ip ? d->sending_ip : "the sending IP";
        else if (IS("domain"))
            v = d->sender_domain ? d->sender_domain : "your domain";
        else if (IS("mail_from_domain"))
            v = d->mail_from_domain ? d->mail_from_domain : "your MAIL FROM (return-path) domain";
        else if (IS("recipient_domain"))
            v = d->recipient_domain ? d->recipient_domain : "the recipient domain";
        else if (IS("provider"))
            v = x->provider_name ? x->provider_name : "the receiving provider";
        else if (IS("status"))
            v = x->status[0] ? x->status : x->replycode[0] ? x->replycode : "the error";
        else if (IS("reply")) {
            e = add_quote(&b, x->text);
            p = close;
            continue;
        } else if (IS("passing_checks"))
            v = passing ? passing : "";
        else if (IS("listings"))
            v = listings ? listings : "";
        else if (IS("date")) {
            time_t now = time(NULL);
            struct tm tm;
            if (gmtime_r(&now, &tm))
                strftime(date, sizeof date, "%Y-%m-%d", &tm);
            v = date;
        }
#undef IS
        if (v) {
            e = buf_adds(&b, v);
            p = close;
        } else {
            e = buf_addc(&b, *p);
        }
    }
    if (e) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

/* ---- playbook and delisting request ----------------------------------------------------- */

static const mxd_diag_check *find_check(const mxd_diagnosis *d, const char *name)
{
    for (size_t i = 0; i < d->nchecks; i++)
        if (!strcmp(d->checks[i].name, name))
            return &d->checks[i];
    return NULL;
}

static char *join_findings(const mxd_diag_check *c)
{
    buf b;
    buf_init(&b, DIAG_TEXT_MAX);
    for (size_t i = 0; i < c->nfindings; i++)
        if ((i && buf_adds(&b, "; ")) || buf_adds(&b, c->findings[i]))
            return NULL;
    if (!b.len && c->summary && buf_adds(&b, c->summary))
        return NULL;
    return buf_steal(&b);
}

/* hard_step - mark a step that only a proved hard bounce calls for (removing the address):
 * to do when the record is a hard bounce; unchecked when the reason says the address is gone
 * but the record did not prove it (d->unproved: a person's words around the notice, a warning
 * the MTA still retries); yours to judge for a reply given alone (no record); not applicable
 * when the reason is no missing address (a full or suspended mailbox comes back). */
static mxd_err hard_step(const mxd_diagnosis *d, mxd_diag_step *s)
{
    const char *reason = d->explanation && d->explanation->reason ? d->explanation->reason : "";
    if (d->hardbounce == 1) {
        s->mark = MXD_MARK_TODO;
        s->finding =
            diag_strdup("a hard bounce: the receiving system refused the address for good");
    } else if (d->unproved) {
        s->mark = MXD_MARK_UNCHECKED;
        s->finding = diag_strdup("not proved by the mail system (see the hard bounce fact): "
                                 "confirm the address before removing it");
    } else if (d->hardbounce < 0 && classify_hardbounce(reason, 1, NULL, NULL)) {
        s->mark = MXD_MARK_MANUAL; /* a reply alone: no record to prove or disprove it */
        return MXD_OK;
    } else {
        char l[256];
        snprintf(l, sizeof l, "not a hard bounce (%s): nothing says the address is gone",
                 *reason ? reason : "no reason");
        s->mark = MXD_MARK_NOT_APPLICABLE;
        s->finding = diag_strdup(l);
    }
    return s->finding ? MXD_OK : MXD_ERR_NOMEM;
}

static mxd_err build_steps(const mxd_kb *kb, const kb_playbook *pb, mxd_diagnosis *d)
{
    d->steps = calloc(pb->nsteps ? pb->nsteps : 1, sizeof *d->steps);
    if (!d->steps)
        return MXD_ERR_NOMEM;
    for (size_t i = 0; i < pb->nsteps; i++) {
        mxd_diag_step *s = &d->steps[d->nsteps++];
        const kb_step *st = kb_playbook_step(kb, pb, i);
        s->check = kb_check_name(st->check);
        s->text = diag_fill(d, kb_str(kb, st->text), NULL, NULL);
        if (!s->text)
            return MXD_ERR_NOMEM;
        if (st->check == KB_CHECK_MANUAL) {
            s->mark = MXD_MARK_MANUAL;
            continue;
        }
        if (st->check == KB_CHECK_HARD) {
            mxd_err e = hard_step(d, s);
            if (e)
                return e;
            continue;
        }
        const mxd_diag_check *c = find_check(d, s->check);
        if (c && c->state == MXD_CHECK_NOT_APPLICABLE) {
            s->mark = MXD_MARK_NOT_APPLICABLE;
            s->finding = join_findings(c);
        } else if (!c || c->state == MXD_CHECK_UNCHECKED || c->state == MXD_CHECK_SKIPPED) {
            s->mark = MXD_MARK_UNCHECKED;
            s->finding = c ? join_findings(c) : diag_strdup("not checked");
        } else if (c->state == MXD_CHECK_PASS) {
            s->mark = MXD_MARK_DONE;
            s->finding = c->summary ? diag_strdup(c->summary) : NULL;
            if (c->summary && !s->finding)
                return MXD_ERR_NOMEM;
            continue;
        } else {
            s->mark = MXD_MARK_TODO;
            s->finding = join_findings(c);
        }
        if (!s->finding)
            return MXD_ERR_NOMEM;
    }
    return MXD_OK;
}

static mxd_err build_delist(const mxd_kb *kb, const kb_playbook *pb, mxd_diagnosis *d)
{
    const mxd_diag_check *bl = find_check(d, "dnsbl");
    int listed = bl && bl->state == MXD_CHECK_FAIL;
    const kb_delist *t = pb->delist ? kb_find_delist(kb, kb_str(kb, pb->delist)) : NULL;
    const kb_delist *dnsbl = kb_find_delist(kb, "dnsbl-removal");
    if (t == dnsbl && !listed)
        t = NULL; /* a blocklist request only when the IP is listed */
    if (!t && listed)
        t = dnsbl;
    if (!t)
        return MXD_OK;
    buf passing, listings, body;
    buf_init(&passing, DIAG_TEXT_MAX);
    buf_init(&listings, DIAG_TEXT_MAX);
    buf_init(&body, DIAG_TEXT_MAX);
    mxd_err e = MXD_OK;
    for (size_t i = 0; i < d->nchecks && !e; i++)
        if (d->checks[i].state == MXD_CHECK_PASS && d->checks[i].summary)
            e = buf_printf(&passing, "%s- %s", passing.len ? "\n" : "", d->checks[i].summary);
    if (!e && !passing.len && d->sending_ip_owner)
        e = buf_printf(&passing, "- (none applies: the sending IP is %s's own outbound server)",
                       d->sending_ip_owner_name);
    if (!e && !passing.len)
        e = buf_adds(&passing, "- [[none yet: fix the findings marked to do first]]");
    /* a check that could not be made is never claimed to pass */
    for (size_t i = 0; i < d->nchecks && !e; i++)
        if (d->checks[i].state == MXD_CHECK_UNCHECKED && d->checks[i].summary)
            e = buf_printf(&passing, "\n- [[not verified yet, check again before sending: %s]]",
                           d->checks[i].summary);
    for (size_t i = 0; bl && i < bl->nfindings && !e; i++)
        e = buf_printf(&listings, "%s- %s", listings.len ? "\n" : "", bl->findings[i]);
    if (!e && !listings.len)
        e = buf_adds(&listings, "- (none found)");
    for (size_t i = 0; i < t->nbody && !e; i++) {
        const char *line = strcmp(kb_item(kb, t->body, i), "~") ? kb_item(kb, t->body, i) : "";
        char *f = diag_fill(d, line, buf_cstr(&passing), buf_cstr(&listings));
        e = f ? buf_printf(&body, "%s\n", f) : MXD_ERR_NOMEM;
        free(f);
    }
    /* a provider's request and, when the IP is listed, the blocklists too */
    if (!e && listed && t != dnsbl && dnsbl) {
        e = buf_printf(&body, "\n-- %s: %s\n", kb_str(kb, dnsbl->title), kb_str(kb, dnsbl->how));
        if (!e)
            e = buf_printf(&body, "%s\n", buf_cstr(&listings));
    }
    if (!e) {
        d->delist_title = kb_str(kb, t->title);
        d->delist_how = kb_str(kb, t->how);
        d->delist_to = kb_str(kb, t->to);
        d->delist_subject = t->subject ? diag_fill(d, kb_str(kb, t->subject), NULL, NULL) : NULL;
        d->delist_body = buf_steal(&body);
        if ((t->subject && !d->delist_subject) || !d->delist_body)
            e = MXD_ERR_NOMEM;
    }
    buf_free(&passing);
    buf_free(&listings);
    buf_free(&body);
    return e;
}

/* ---- whose IP ------------------------------------------------------------------------------ */

/* ip_owner - is the sending IP a provider's own outbound server (provider-outbound.tsv): by
 * its published range, else (with a resolver) by its PTR name? Sets d->sending_ip_owner and
 * d->sending_ip_owner_why. A PTR lookup that fails leaves the IP the user's (the checks then
 * say what they find). */
static mxd_err ip_owner(const mxd_kb *kb, mxd_resolver *r, mxd_diagnosis *d)
{
    if (!d->sending_ip || !mxd_ip_valid(d->sending_ip))
        return MXD_OK;
    const kb_outbound *o = kb_outbound_for_ip(kb, d->sending_ip);
    char *why = NULL;
    if (o) {
        why = diag_printf("in its published range %s", kb_str(kb, o->pattern));
    } else if (r) {
        char q[MXD_DNS_NAME_MAX + 2];
        mxd_dns_answer *a = NULL;
        if (mxd_dns_reverse_name(d->sending_ip, NULL, q, sizeof q) ||
            mxd_dns_lookup(r, q, MXD_DNS_PTR, &a))
            return MXD_OK;
        for (size_t i = 0; a->status == MXD_DNS_OK && i < a->n && !o; i++)
            if (a->rr[i].type == MXD_DNS_PTR && a->rr[i].name &&
                (o = kb_outbound_for_ptr(kb, a->rr[i].name)))
                why = diag_printf("its PTR is %s", a->rr[i].name);
        mxd_dns_answer_free(a);
    }
    if (!o)
        return MXD_OK;
    if (!why)
        return MXD_ERR_NOMEM;
    d->sending_ip_owner = kb_str(kb, o->provider);
    d->sending_ip_owner_name = mxd_kb_provider_name(kb, d->sending_ip_owner);
    if (!d->sending_ip_owner_name)
        d->sending_ip_owner_name = d->sending_ip_owner;
    d->sending_ip_owner_why = why;
    return MXD_OK;
}

/* ---- a code with two readings ------------------------------------------------------------ */

/* dashed - does host start with domain written with '-' for '.' and then a '.'? (an endpoint
 * named after a customer's domain: example-org.mail.protection.outlook.com) */
static int dashed(const char *host, const char *domain)
{
    size_t n = strlen(domain);
    if (!n || strlen(host) <= n || host[n] != '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char want = domain[i] == '.' ? '-' : domain[i];
        if (tolower((unsigned char)host[i]) != tolower((unsigned char)want))
            return 0;
    }
    return 1;
}

/* choose_reading - for a rule that a playbook reads otherwise when the reply came back through
 * the sender's own server (match-rule-relayed): that reading when the bounce was made outside
 * the provider (its Reporting-MTA is not the provider's host), the reply came from the
 * provider's host (the provider is known from the remote host), and that host is not an
 * endpoint named after the sender's own domain (a relay through the provider); else the
 * ordinary one. Either way d->reading says which and why. */
static mxd_err choose_reading(const mxd_kb *kb, mxd_diagnosis *d, const kb_playbook **pb)
{
    const mxd_explanation *x = d->explanation;
    const kb_playbook *other = x->rule_line ? kb_find_playbook_relayed(kb, x->rule) : NULL;
    if (!other || !*pb || other == *pb)
        return MXD_OK;
    const char *name = x->provider_name ? x->provider_name : x->provider;
    const char *lprov =
        d->reporting_mta ? mxd_kb_provider_for_host(kb, d->reporting_mta, NULL, 0) : NULL;
    int from_rhost =
        x->provider && x->rhost && x->provider_from && !strcmp(x->provider_from, "remote host");
    int own_relay = from_rhost && d->sender_domain && dashed(x->rhost, d->sender_domain);
    if (d->reporting_mta && from_rhost && !own_relay && (!lprov || strcmp(lprov, x->provider))) {
        d->reading = diag_printf("the bounce was made by %.*s, not by %s, from the reply of %s's "
                                 "server %.*s: %s refused the mail your server sent it",
                                 DIAG_FACT_SHOWN, d->reporting_mta, name, name, DIAG_FACT_SHOWN,
                                 x->rhost, name);
        d->reading_other = kb_str(kb, (*pb)->title);
        *pb = other;
    } else {
        if (!d->reporting_mta)
            d->reading = diag_printf("a reply alone does not say where it was made: the reading "
                                     "the provider documents is taken");
        else if (own_relay)
            d->reading = diag_printf("the reply came from %.*s, the endpoint named after your own "
                                     "domain: your mail relays through %s",
                                     DIAG_FACT_SHOWN, x->rhost, name);
        else
            d->reading = diag_printf("the bounce was made inside %s (%.*s)", name, DIAG_FACT_SHOWN,
                                     d->reporting_mta);
        d->reading_other = kb_str(kb, other->title);
    }
    return d->reading ? MXD_OK : MXD_ERR_NOMEM;
}

/* ---- the whole line ----------------------------------------------------------------------- */

static mxd_err set_fact(char **dst, const char **from, const char *value, const char *how)
{
    if (!value || !*value)
        return MXD_OK;
    char *v = diag_strdup(value);
    if (!v)
        return MXD_ERR_NOMEM;
    free(*dst);
    *dst = v;
    if (from)
        *from = how;
    return MXD_OK;
}

mxd_err mxd_diagnose(const mxd_kb *kb, mxd_resolver *resolver, const char *data, size_t len,
                     int is_reply, const char *source, const mxd_diag_opts *opts,
                     mxd_diagnosis **out)
{
    if (!kb || !out || (!data && len))
        return MXD_ERR_INVALID;
    *out = NULL;
    mxd_diag_opts none = {0};
    if (!opts)
        opts = &none;
    if (opts->ip && !mxd_ip_valid(opts->ip))
        return MXD_ERR_INVALID;
    if (opts->domain && !mxd_domain_valid(opts->domain))
        return MXD_ERR_INVALID;
    if (opts->mail_from && !diag_mail_from_valid(opts->mail_from))
        return MXD_ERR_INVALID;
    mxd_diagnosis *d = calloc(1, sizeof *d);
    if (!d)
        return MXD_ERR_NOMEM;
    d->hardbounce = -1; /* (a reply alone: no record; facts_from_message sets it) */
    mxd_err e;
    d->source = diag_strdup(source ? source : is_reply ? "reply" : "stdin");
    if (!d->source) {
        mxd_diagnosis_free(d);
        return MXD_ERR_NOMEM;
    }
    e = MXD_OK;
    if (!is_reply) {
        e = facts_from_message(kb, data ? data : "", len, d->source, d);
        /* text that is no e-mail at all (no header; facts_from_message left d as it was) is a
         * pasted reply, as `mxdiag explain -` takes it: examples/gmail-5.7.26.txt */
        is_reply = e == MXD_ERR_PARSE;
    }
    if (is_reply) {
        e = mxd_explain(kb, data ? data : "", len, NULL, &d->explanation);
        if (!e && d->explanation->sending_ip)
            e = set_fact(&d->sending_ip, &d->sending_ip_from, d->explanation->sending_ip, "reply");
        if (!e && (d->recipient = find_address(d->explanation->text)) &&
            !(d->recipient_domain = diag_strdup(domain_of(d->recipient))))
            e = MXD_ERR_NOMEM;
        d->nrecords = 1;
    }
    if (!e)
        e = set_fact(&d->sending_ip, &d->sending_ip_from, opts->ip, "option");
    if (!e)
        e = set_fact(&d->sender_domain, &d->sender_domain_from, opts->domain, "option");
    if (!e)
        e = set_fact(&d->dkim_selector, &d->dkim_selector_from, opts->selector, "option");
    if (!e)
        e = diag_sender_facts(is_reply ? NULL : data, len, opts, d);
    if (!e && d->recipient_domain)
        d->recipient_provider = mxd_kb_provider_for_domain(kb, d->recipient_domain);
    if (e) {
        mxd_diagnosis_free(d);
        return e;
    }
    const mxd_explanation *x = d->explanation;
    const kb_playbook *pb =
        kb_find_playbook(kb, x->rule_line ? x->rule : NULL, x->reason, x->scope);
    e = choose_reading(kb, d, &pb);
    if (!e && pb) {
        d->playbook = kb_str(kb, pb->id);
        d->playbook_title = kb_str(kb, pb->title);
        unsigned want = 0;
        for (size_t i = 0; i < pb->nsteps; i++)
            want |= 1u << kb_playbook_step(kb, pb, i)->check;
        if (want & ((1u << KB_CHECK_DNSBL) | (1u << KB_CHECK_PTR) | (1u << KB_CHECK_SPF)))
            e = ip_owner(kb, resolver, d);
        if (!e)
            e = diag_run_checks(kb, resolver, opts, want, d);
        if (!e)
            e = build_steps(kb, pb, d);
        if (!e)
            e = build_delist(kb, pb, d);
    }
    if (!e && resolver && mxd_resolver_warning(resolver))
        e = set_fact(&d->dns_warning, NULL, mxd_resolver_warning(resolver), NULL);
    if (e) {
        mxd_diagnosis_free(d);
        return e;
    }
    *out = d;
    return MXD_OK;
}
