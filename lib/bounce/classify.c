/* classify.c - classify one recipient of a bounce with the knowledge base of `explain`
 * SPDX-License-Identifier: MIT
 *
 * Order (ARCHITECTURE.md): what the format itself says (an auto-reply is "vacation", a
 * feedback report "feedback") > provider rule (by remote host, code and text; rules-*.txt)
 * > enhanced status code (status-codes.tsv) > text patterns (reasons.tsv) > reply code
 * (reply-codes.tsv) > fallbacks. One refinement over a strict status-before-text order: a
 * status whose reason is only a default for a broad family (X.7.1 securityerror, X.3.0
 * systemerror, X.4.x networkerror, X.1.1 userunknown ...) yields to a text pattern that names
 * a more specific reason ("mailbox full" beside a 5.1.1), following the precedence list below
 * (Sisimai's order of reasons, sisimai/go-sisimai:reason/lib.go).
 */
#include <stdlib.h>
#include <string.h>
#include "bounce/bounce_internal.h"
#include "util/match.h"
#include "classify/explain_internal.h"
#include "classify/reply.h"
#include "kb/kb_internal.h"
#include "util/str.h"

/* Reasons a status code gives only as a weak default: a matching text pattern wins. */
static const char *const weak_reasons[] = {"securityerror", "systemerror", "networkerror",
                                           "expired",       "undefined",   "onhold",
                                           "hostunknown",   "filtered"};

/* Status reasons that a text pattern does not override (the code is precise). */
static const char *const strong_reasons[] = {"mailboxfull", "exceedlimit", "hasmoved",
                                             "mesgtoobig"};

/* Reasons about the mailbox itself: no IP was refused, none is looked for. */
static const char *const mailbox_reasons[] = {"userunknown", "hostunknown", "mailboxfull",
                                              "hasmoved",    "suspend",     "filtered",
                                              "mesgtoobig",  "exceedlimit", "vacation"};

/* Precedence when a status reason and a text reason disagree: earlier wins. */
static const char *const precedence[] = {
    "mailboxfull",     "mesgtoobig",     "exceedlimit",   "suspend",     "hasmoved",
    "norelaying",      "authfailure",    "userunknown",   "filtered",    "requireptr",
    "notcompliantrfc", "badreputation",  "contenterror",  "rejected",    "hostunknown",
    "spamdetected",    "speeding",       "toomanyconn",   "blocked",     "virusdetected",
    "policyviolation", "systemerror",    "networkerror",  "systemfull",  "notaccept",
    "expired",         "failedstarttls", "securityerror", "mailererror", "syntaxerror",
    "ratelimited",     "onhold",         "undefined"};

/* Sisimai's internal status codes for bounces that carry none (the D.S.N. it reports),
 * sisimai/p5-sisimai:lib/Sisimai/SMTP/Status.pm (InternalCode). */
static const struct {
    const char *reason, *temp, *perm;
} pseudo[] = {
    {"blocked", "4.0.971", "5.0.971"},
    {"contenterror", "4.0.960", "5.0.960"},
    {"exceedlimit", NULL, "5.0.923"},
    {"expired", "4.0.947", "5.0.947"},
    {"filtered", "4.0.924", "5.0.910"},
    {"hasmoved", NULL, "5.0.916"},
    {"hostunknown", NULL, "5.0.912"},
    {"mailboxfull", "4.0.922", "5.0.922"},
    {"mailererror", NULL, "5.0.939"},
    {"mesgtoobig", NULL, "5.0.934"},
    {"networkerror", "4.0.944", "5.0.944"},
    {"norelaying", NULL, "5.0.909"},
    {"notaccept", "4.0.932", "5.0.932"},
    {"onhold", "4.0.901", "5.0.901"},
    {"policyviolation", NULL, "5.0.972"},
    {"rejected", "4.0.918", "5.0.918"},
    {"securityerror", "4.0.970", "5.0.970"},
    {"spamdetected", "4.0.980", "5.0.980"},
    {"suspend", NULL, "5.0.921"},
    {"systemerror", "4.0.930", "5.0.930"},
    {"systemfull", "4.0.931", "5.0.931"},
    {"syntaxerror", NULL, "5.0.902"},
    {"toomanyconn", "4.0.945", "5.0.945"},
    {"userunknown", NULL, "5.0.911"},
    {"undefined", "4.0.900", "5.0.900"},
    {"virusdetected", NULL, "5.0.971"},
};

const char *bounce_pseudo_status(const char *reason, int temporary)
{
    for (size_t i = 0; i < sizeof pseudo / sizeof *pseudo; i++)
        if (!strcmp(pseudo[i].reason, reason))
            return temporary && pseudo[i].temp ? pseudo[i].temp : pseudo[i].perm;
    return "";
}

int bounce_mailbox_reason(const char *reason)
{
    return reason &&
           str_in_list(reason, mailbox_reasons, sizeof mailbox_reasons / sizeof *mailbox_reasons);
}

static size_t rank(const char *r)
{
    for (size_t i = 0; i < sizeof precedence / sizeof *precedence; i++)
        if (r[0] == precedence[i][0] && !strcmp(r, precedence[i]))
            return i;
    return sizeof precedence / sizeof *precedence;
}

/* diag_status - the last enhanced status code in the diagnostic (the innermost reply:
 * "554 4.4.7 Message expired ... <421 4.4.2 Connection timed out>"), of class cls when cls
 * is not 0; into out (16 bytes). */
static void diag_status(const char *d, size_t len, char cls, char *out)
{
    out[0] = 0;
    for (size_t i = 0; i + 5 <= len; i++) {
        if ((d[i] != '2' && d[i] != '4' && d[i] != '5') || d[i + 1] != '.')
            continue;
        if (i > 0 && (str_isalnum((unsigned char)d[i - 1]) || d[i - 1] == '.'))
            continue;
        size_t j = i + 2, n1 = 0, n2 = 0;
        while (j < len && str_isdigit((unsigned char)d[j]) && n1 < 4)
            j++, n1++;
        if (!n1 || n1 > 3 || j >= len || d[j] != '.')
            continue;
        j++;
        while (j < len && str_isdigit((unsigned char)d[j]) && n2 < 4)
            j++, n2++;
        if (!n2 || n2 > 3)
            continue;
        if (j < len && (str_isalnum((unsigned char)d[j]) ||
                        (d[j] == '.' && j + 1 < len && str_isdigit((unsigned char)d[j + 1]))))
            continue;
        if ((cls && d[i] != cls) || (!cls && d[i] == '2'))
            continue;
        memcpy(out, d + i, j - i);
        out[j - i] = 0;
        i = j;
    }
}

/* pick_status - the DSN's Status, unless the diagnostic names another, more specific code
 * of the same class (Status: 5.0.0 or 5.1.1 with "550 5.7.1 IP address blacklisted"):
 * the remote server's own code wins. */
static void pick_status(const bounce_rcpt *r, char *out)
{
    out[0] = 0;
    if (r->status[0])
        memcpy(out, r->status, strlen(r->status) + 1);
    char ds[16];
    diag_status(r->diag, r->diaglen, r->status[0], ds);
    if (!ds[0] || (out[0] && !strcmp(ds + 1, ".0.0")) || !strcmp(ds, out))
        return;
    memcpy(out, ds, strlen(ds) + 1);
}

/* find_code - the SMTP reply code in a diagnostic: a code right before the status ("550
 * 5.1.1", "550-5.1.1", "550: 5.1.1"), else the first code standing alone ("550 User unknown",
 * "ERROR_CODE :550,"), of the same class as the status when there is one. */
static void find_code(const mxd_kb *kb, const char *d, size_t len, const char *status, char *out)
{
    out[0] = 0;
    size_t sl = strlen(status);
    size_t first = (size_t)-1;
    for (size_t i = 0; i + 3 <= len; i++) {
        if (d[i] < '2' || d[i] > '5' || d[i + 1] < '0' || d[i + 1] > '5' ||
            !str_isdigit((unsigned char)d[i + 2]))
            continue;
        if (i > 0 && (str_isalnum((unsigned char)d[i - 1]) || d[i - 1] == '.' || d[i - 1] == '-' ||
                      d[i - 1] == '_' || d[i - 1] == '#' || d[i - 1] == '/' || d[i - 1] == '=' ||
                      d[i - 1] == '+' || d[i - 1] == '$'))
            continue;
        if (i + 3 < len) {
            char n = d[i + 3];
            if (str_isalnum((unsigned char)n) || n == '.' || n == '@' || n == '_' || n == '%' ||
                n == '/')
                continue;
            if (n == '-' && i + 4 < len && !str_isdigit((unsigned char)d[i + 4]))
                continue;
        }
        char code[4] = {d[i], d[i + 1], d[i + 2], 0};
        if (!kb_find_reply(kb, code))
            continue; /* not an SMTP reply code (RFC 5321 section 4.2.3) */
        if ((status[0] && d[i] != status[0]) || (!status[0] && d[i] == '2'))
            continue;
        size_t j = i + 3;
        while (j < len && j < i + 6 && (d[j] == ' ' || d[j] == '-' || d[j] == ':'))
            j++;
        if (sl && j + sl <= len && !memcmp(d + j, status, sl)) {
            memcpy(out, d + i, 3);
            out[3] = 0;
            return;
        }
        if (first == (size_t)-1)
            first = i;
    }
    if (first != (size_t)-1) {
        memcpy(out, d + first, 3);
        out[3] = 0;
    }
}

void bounce_classify(const bounce_view *v, const bounce_rcpt *r, bounce_class *c)
{
    const mxd_kb *kb = v->kb;
    memset(c, 0, sizeof *c);
    c->permanent = -1;
    c->retry = MXD_RETRY_UNKNOWN;
    /* The reply's parts (remote host, sending IP, the normalised text rules match on) are
     * worked out only when something needs them: rp_state 0 not yet, 1 done, -1 failed. */
    reply_parts rp;
    memset(&rp, 0, sizeof rp);
    int rp_state = 0;
#define HAVE_RP()                                                                                  \
    (rp_state                                                                                      \
         ? rp_state > 0                                                                            \
         : (rp_state = (r->diaglen && reply_parse(r->diag, r->diaglen, &rp) == MXD_OK) ? 1 : -1) > \
               0)
    pick_status(r, c->status);
    if (r->replycode[0])
        memcpy(c->replycode, r->replycode, 4);
    else
        find_code(kb, r->diag, r->diaglen, c->status, c->replycode);
    if (r->rhost[0]) {
        bounce_copy(c->rhost, sizeof c->rhost, r->rhost, strlen(r->rhost));
    } else if (r->diaglen) {
        /* the remote host named in the text (reply.c's reading, without the other passes) */
        char *rh = NULL;
        reply_rhost_ip(r->diag, r->diaglen, &rh, NULL);
        if (rh)
            bounce_copy(c->rhost, sizeof c->rhost, rh, strlen(rh));
        free(rh);
    }

    /* provider: remote host, text hints, then the recipient's domain */
    const char *prov = c->rhost[0] ? bview_provider_for_host(v, c->rhost) : NULL;
    int sure = prov != NULL;
    /* provider hints in the text (URLs, tags), longest first: compiled in v->hints */
    char low[BOUNCE_MAX_DIAG];
    bmatch_lower(r->diag, r->diaglen, low);
    if (!prov && r->diaglen && v->hints) {
        long h = bmatch_first(v->hints, low, r->diaglen);
        if (h >= 0)
            prov = v->hint_provider[h];
    }
    if (!prov) {
        const char *at = strrchr(r->recipient, '@');
        if (at)
            prov = bview_provider_for_domain(v, at + 1);
    }
    c->provider = prov;

    int cls = 0, subj = 0, det = 0;
    if (c->status[0] && kb_status_parse(c->status, strlen(c->status), &cls, &subj, &det))
        cls = 0;
    if (!cls && c->replycode[0])
        cls = c->replycode[0] - '0';
    if (cls == 5)
        c->permanent = 1;
    else if (cls == 4)
        c->permanent = 0;
    else if (!strcmp(r->action, "failed"))
        c->permanent = 1;
    else if (!strcmp(r->action, "delayed"))
        c->permanent = 0;
    c->retry = c->permanent == 1   ? MXD_RETRY_NEVER
               : c->permanent == 0 ? MXD_RETRY_LATER
                                   : MXD_RETRY_UNKNOWN;

    if (r->reason) {
        c->reason = r->reason;
        c->decided_by = "format";
        c->rule = r->reason;
        goto done;
    }
    /* the first text pattern of reasons.tsv (one pass, match.c) */
    long tid = r->diaglen ? bmatch_first(v->reasons, low, r->diaglen) : -1;
    /* a provider rule, with the status we settled on; generic rules (no provider) weigh as
     * text patterns, so they are only looked at when no text pattern matched */
    const kb_rule *grule = NULL;
    if (((prov && v->provider_has_rules(v, prov)) || tid < 0) && HAVE_RP()) {
        if (c->status[0] &&
            kb_status_parse(c->status, strlen(c->status), &rp.cls, &rp.subj, &rp.det) == 0)
            memcpy(rp.status, c->status, strlen(c->status) + 1);
        if (c->replycode[0])
            memcpy(rp.code, c->replycode, 4);
        if (!rp.rhost && c->rhost[0])
            rp.rhost = str_dup_n(c->rhost, strlen(c->rhost));
        /* with a text pattern found, generic rules would not be used: skip them */
        const kb_rule *rule = explain_best_rule_ex(kb, &rp, prov, sure, tid >= 0);
        if (rule && rule->provider && prov && !strcmp(rule->provider, prov)) {
            c->reason = rule->reason;
            c->scope = rule->scope;
            c->permanent = rule->permanent;
            c->retry = rule->retry;
            c->decided_by = "rule";
            c->rule = rule->id;
            c->rule_file = rule->file;
            c->rule_line = rule->line;
            goto done;
        }
        if (rule && !rule->provider)
            grule = rule;
    }
    {
        const kb_status *st = cls && c->status[0] ? kb_find_status(kb, cls, subj, det) : NULL;
        const char *sreason = st ? st->reason : NULL;
        if (sreason && !strcmp(sreason, "delivered") && cls != 2)
            sreason = NULL;
        const char *treason = NULL;
        const char *tpat = NULL;
        if (tid >= 0) {
            treason = kb->reasons[tid].reason;
            tpat = kb->reasons[tid].pattern;
        }
        if (!treason && grule) {
            treason = grule->reason;
            tpat = NULL;
        }
        int use_text = treason && (!sreason ||
                                   str_in_list(sreason, weak_reasons,
                                               sizeof weak_reasons / sizeof *weak_reasons) ||
                                   rank(treason) < rank(sreason));
        if (use_text && sreason &&
            str_in_list(sreason, strong_reasons, sizeof strong_reasons / sizeof *strong_reasons))
            use_text = 0;
        /* a local delivery program failed (Diagnostic-Code: X-Unix; ...) */
        if (!strcmp(r->diagtype, "X-UNIX") &&
            (!treason || !strcmp(treason, "userunknown") || !strcmp(treason, "mailererror"))) {
            treason = "mailererror";
            tpat = "X-Unix";
            use_text = 1;
        }
        /* refused at MAIL FROM: the sender is the problem */
        if (treason && !strcmp(treason, "rejected") && !strcmp(r->command, "MAIL"))
            use_text = 1;
        else if (sreason && !strcmp(sreason, "rejected") && !strcmp(r->command, "MAIL"))
            use_text = 0;
        if (use_text && tpat) {
            c->reason = treason;
            c->decided_by = "text";
            c->rule = tpat;
            c->rule_file = "reasons.tsv";
            c->scope = st ? st->scope : NULL;
        } else if (use_text) {
            c->reason = grule->reason;
            c->scope = grule->scope;
            c->decided_by = "rule";
            c->rule = grule->id;
            c->rule_file = grule->file;
            c->rule_line = grule->line;
        } else if (sreason) {
            c->reason = sreason;
            c->decided_by = "status";
            c->rule = st->code;
            c->rule_file = "status-codes.tsv";
            c->scope = st->scope;
        } else {
            const kb_reply *rc = c->replycode[0] ? kb_find_reply(kb, c->replycode) : NULL;
            if (rc && rc->reason) {
                c->reason = rc->reason;
                c->decided_by = "reply";
                c->rule = rc->code;
                c->rule_file = "reply-codes.tsv";
                c->scope = rc->scope;
            }
        }
        /* "user unknown" said after the message was sent (or without saying when), with a
         * status that is not about the address, is a recipient-side filter, not a missing
         * mailbox (Sisimai's Filtered, sisimai/go-sisimai:reason/why-filtered.go) */
        if (c->reason && !strcmp(c->reason, "userunknown") &&
            !(sreason && !strcmp(sreason, "userunknown")) && !(cls && subj == 1) &&
            strcmp(r->command, "RCPT") && strcmp(r->command, "MAIL") &&
            strcmp(r->command, "CONN") && strcmp(r->command, "EHLO") &&
            strcmp(r->command, "HELO")) {
            c->reason = "filtered";
            c->decided_by = "text";
        }
        if (!c->reason) {
            c->decided_by = "fallback";
            if (subj == 6 && cls)
                c->reason = "contenterror";
            else if (subj == 7 && cls)
                c->reason = "securityerror";
            else if (!strcmp(r->diagtype, "X-UNIX") || !strcmp(r->diagtype, "X-POSTFIX"))
                c->reason = "mailererror";
            else if (!strcmp(r->action, "delayed") || !strcmp(r->action, "expired"))
                c->reason = "expired";
            else if (!strcmp(r->command, "EHLO") || !strcmp(r->command, "HELO") ||
                     !strcmp(r->command, "CONN"))
                c->reason = "blocked";
            else if (r->diaglen)
                c->reason = "onhold";
            else
                c->reason = "undefined";
            c->rule = c->reason;
            if (!c->scope && st)
                c->scope = st->scope;
        }
    }
done:
    if (!c->status[0] && c->reason) {
        int temp = c->replycode[0] == '4' || !strcmp(r->action, "delayed") || c->permanent == 0;
        const char *ps = bounce_pseudo_status(c->reason, temp);
        memcpy(c->status, ps, strlen(ps) + 1);
        if (c->permanent < 0 && ps[0]) {
            c->permanent = ps[0] == '5';
            c->retry = c->permanent ? MXD_RETRY_NEVER : MXD_RETRY_LATER;
        }
    }
    /* the IP the remote side refused: only a question when the refusal is not about the
     * mailbox itself */
    if (c->reason && r->diaglen &&
        !str_in_list(c->reason, mailbox_reasons,
                     sizeof mailbox_reasons / sizeof *mailbox_reasons)) {
        char *ip = NULL;
        if (rp_state > 0)
            ip = rp.sending_ip;
        else
            reply_rhost_ip(r->diag, r->diaglen, NULL, &ip);
        if (ip)
            bounce_copy(c->sending_ip, sizeof c->sending_ip, ip, strlen(ip));
        if (rp_state <= 0)
            free(ip);
    }
    if (rp_state > 0)
        reply_free(&rp);
#undef HAVE_RP
}
