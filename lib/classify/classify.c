/* classify.c - one verdict for one refused delivery: the classification explain, bounce and
 * diagnose share
 * SPDX-License-Identifier: MIT
 *
 * Every command classifies with classify_decide(), from the facts it has (mxd_reply_facts:
 * the reply text, the status and reply code reported beside it, remote host, MX, reporting
 * MTA, recipient domain, SMTP command ...), so one input gets one verdict wherever it is
 * read (ARCHITECTURE.md "One verdict").
 *
 * Provider: a provider's rules apply only when the facts identify the provider
 * (classify_provider(): remote host, MX, reporting MTA, a text or a status code only it
 * uses, the recipient domain; data/provider-hosts.tsv). Otherwise the generic rules decide:
 * a 5.1.1 from an unknown server is no Microsoft 365 reply.
 *
 * Order (ARCHITECTURE.md): what the format itself says (an auto-reply is "vacation", a
 * feedback report "feedback") > provider rule (by remote host, code and text; rules-*.txt)
 * > enhanced status code (status-codes.tsv) > text patterns (reasons.tsv, and the generic
 * rules, which weigh as text patterns) > reply code (reply-codes.tsv) > fallbacks. One
 * refinement over a strict status-before-text order: a status whose reason is only a default
 * for a broad family (X.7.1 securityerror, X.3.0 systemerror, X.4.x networkerror, X.1.1
 * userunknown ...) yields to a text pattern that names a more specific reason ("mailbox full"
 * beside a 5.1.1), following the precedence list below (Sisimai's order of reasons,
 * sisimai/go-sisimai:reason/lib.go). When a status, text or reply code decided and a generic
 * rule matching the reply gives the same reason, that rule explains the verdict (its summary,
 * causes and fix steps).
 */
#include <stdlib.h>
#include <string.h>
#include "classify/classify.h"
#include "classify/explain_internal.h"
#include "util/match.h"
#include "util/str.h"

/* Reasons a status code gives only as a weak default: a matching text pattern wins. */
static const char *const weak_reasons[] = {"securityerror", "systemerror", "networkerror",
                                           "expired",       "undefined",   "onhold",
                                           "hostunknown",   "filtered"};

/* Status reasons that a text pattern does not override (the code is precise). */
static const char *const strong_reasons[] = {"mailboxfull", "exceedlimit", "hasmoved",
                                             "mesgtoobig"};

/* Reasons that say the refusal is about the sender, its IP, its rate or its message, not about
 * the address: found in the text, they win over an address status (X.1.1 userunknown, X.1.2
 * hostunknown) the server gave beside them. A server that answers "550 5.1.1 ... has sent to
 * too many recipients this hour" has refused us, not the mailbox (Sisimai does the same for a
 * X.1.1 whose text matches another reason: sisimai/p5-sisimai:lib/Sisimai/Reason/UserUnknown.pm,
 * true(), "prematches"); a suppressed good address is the costlier mistake. */
static const char *const sender_side_reasons[] = {
    "blocked",         "rejected",        "norelaying",  "toomanyconn", "speeding",
    "badreputation",   "spamdetected",    "authfailure", "requireptr",  "virusdetected",
    "policyviolation", "notcompliantrfc", "mailboxfull", "suspend",     "exceedlimit",
    "contenterror",    "suppressed"}; /* (the sender's own service refused: SES writes 5.1.1 beside
                      it) */

/* Reasons whose wording, found anywhere beside an address status (X.1.1) and an unknown-user
 * wording, says the refusal was not about the mailbox: Sisimai checks these before it accepts
 * a X.1.1 as userunknown (sisimai/go-sisimai:reason/why-userunknown.go, ProbesInto: RePASS,
 * ReBLOC, ReFULL, ReMOVE, ReFROM). Only patterns of at least ADDRESS_OVERRIDE_MIN bytes count:
 * a short word ("rbl", "batv") is too weak to overturn the address status. */
static const char *const address_overrides[] = {"norelaying", "blocked", "mailboxfull", "hasmoved",
                                                "rejected"};
#define ADDRESS_OVERRIDE_MIN 6
/* reasons.tsv patterns marked on the stack (more: on the heap) */
#define ADDRESS_OVERRIDE_MAX 2048

/* Hard bounce: permanent, and the recipient address itself does not exist or no longer takes
 * mail (sisimai/p5-sisimai:lib/Sisimai/SMTP/Failure.pm is_hardbounce(): hasmoved, userunknown,
 * hostunknown, and notaccept unless temporary). Every other reason is soft. */
static const char *const hard_reasons[] = {"userunknown", "hostunknown", "hasmoved", "notaccept"};

/* Scopes that are never a hard bounce, whatever the reason: the block is about us. */
static const char *const soft_scopes[] = {"ip", "tenant", "content", "rate", "sender"};

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
    "onhold",          "undefined"};

const char *classify_pseudo_status(const mxd_kb *kb, const char *reason, int temporary)
{
    return kb_pseudo_status(kb, reason, temporary);
}

/* says_temporary - Sisimai's test of a reply text without a status code for a temporary
 * failure: " temporar" or " persistent" in it (sisimai/p5-sisimai:lib/Sisimai/SMTP/Failure.pm
 * is_temporary()); low is lower-cased. */
static int says_temporary(const char *low, size_t len)
{
    return (len && str_find(low, len, " temporar", 9)) ||
           (len && str_find(low, len, " persistent", 11));
}

int classify_hardbounce(const char *reason, int permanent, const char *scope, const char *command)
{
    if (permanent != 1 || !reason ||
        !str_in_list(reason, hard_reasons, sizeof hard_reasons / sizeof *hard_reasons))
        return 0;
    if (scope && str_in_list(scope, soft_scopes, sizeof soft_scopes / sizeof *soft_scopes))
        return 0;
    /* refused at MAIL FROM or at the connection: never the address's fault */
    if (command && (!strcmp(command, "MAIL") || !strcmp(command, "CONN") ||
                    !strcmp(command, "EHLO") || !strcmp(command, "HELO")))
        return 0;
    return 1;
}

int classify_record_hard(const classify_verdict *v, const char *action, const char *command)
{
    return !v->soft_wording && !(action && str_caseeq(action, strlen(action), "delayed")) &&
           classify_hardbounce(v->reason, v->permanent, v->scope, command);
}

int classify_mailbox_reason(const char *reason)
{
    return reason &&
           str_in_list(reason, mailbox_reasons, sizeof mailbox_reasons / sizeof *mailbox_reasons);
}

/* mask_qmail_giveup - blank qmail-remote's "Giving up on <ip>." in the lower-cased text: it
 * ends every permanent refusal of all recipients ("if (!flagbother) quit(\"DGiving up on
 * \",\"\")", qmail-remote.c) and says nothing of a queue timeout, where Sisimai's "giving up on"
 * (sisimai/go-sisimai:reason/why-expired.go) would read one; the remote server's words decide.
 * An IP address (a digit, or '[' / ':' of an IPv6 one) follows qmail's words, not a host
 * name or "the following addresses" (Citadel's expiry). */
static void mask_qmail_giveup(char *low, size_t len)
{
    static const char w[] = "giving up on ";
    const size_t wl = sizeof w - 1;
    for (const char *p = len ? str_find(low, len, w, wl) : NULL; p;) {
        size_t at = (size_t)(p - low);
        if (at + wl < len && (str_isdigit((unsigned char)low[at + wl]) || low[at + wl] == '[' ||
                              low[at + wl] == ':'))
            memset(low + at, ' ', wl);
        at += wl;
        p = at < len ? str_find(low + at, len - at, w, wl) : NULL;
    }
}

/* rcpt_refusal - does a reply that names no SMTP command still say it refused the address
 * at RCPT TO? "Recipient address rejected" (low: the lower-cased reply) is what Postfix's
 * smtpd says to RCPT TO (its recipient restrictions, smtpd_check.c) and Exchange Online's DBEB
 * to the same command (the seventeenth round's R003, R026) - when a status that says
 * something (cls.subj.det, not X.0.0) or Postfix's "User unknown in ... table" stands beside
 * it (review-s12b M3), and unless a X.7 status says a policy refused it (Postfix's
 * access-table REJECT is "554 5.7.1 <a@b>: Recipient address rejected: Access denied"; SFR
 * says "550 5.7.1 ... User unknown" after DATA), the reply is temporary (temp) or the MTA
 * still retries (delayed) (review-s12 H1, M2). */
static int rcpt_refusal(const char *low, size_t len, int cls, int subj, int det, int temp,
                        int delayed)
{
    static const char w[] = "recipient address rejected", t[] = "user unknown in ";
    if (!len || !str_find(low, len, w, sizeof w - 1) || (cls && subj == 7) || temp || delayed)
        return 0;
    return (cls && !(subj == 0 && det == 0)) || str_find(low, len, t, sizeof t - 1);
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
        size_t n = reply_status_len(d, len, i);
        if (!n || (cls && d[i] != cls) || (!cls && d[i] == '2'))
            continue;
        memcpy(out, d + i, n);
        out[n] = 0;
        i += n;
    }
}

/* text_status_wins - does a code of the same class in the text (ds) stand for the failure
 * better than the given Status (g)? As Sisimai chooses between the two (its status.Prefer,
 * sisimai/go-sisimai:smtp/status/prefer.go): the given Status stands unless it says less than
 * the text: a class-only X.0.0, an X.Y.0 / X.0.Z beside a fully specific code, or a code that
 * names no cause of its own (4.4.7 expired, 4.7.0, 5.3.Z system, X.5.1/2/4/5 protocol). The
 * given 5.1.1 yields to a specific code (5.7.1 "blocked") and 5.1.3 to a 5.7.Z. */
static int text_status_wins(const char *g, const char *ds)
{
    if (!strcmp(g, ds) || strstr(ds, ".0.0"))
        return 0;
    if (strstr(g, ".0.0"))
        return 1;
    int gzero = strstr(g, ".0") != NULL, dzero = strstr(ds, ".0") != NULL;
    if (gzero && !dzero)
        return 1;
    if (!strcmp(g, "4.4.7") || !strcmp(g, "4.7.0") || !strncmp(g, "5.3.", 4))
        return 1;
    if (g[1] == '.' && g[2] == '5' && g[3] == '.' &&
        (!strcmp(g + 4, "1") || !strcmp(g + 4, "2") || !strcmp(g + 4, "4") || !strcmp(g + 4, "5")))
        return 1;
    if (!strcmp(g, "5.1.1"))
        return !dzero && strncmp(ds, "5.5.", 4) != 0;
    if (!strcmp(g, "5.1.3"))
        return !strncmp(ds, "5.7.", 4);
    return 0;
}

/* pick_status - the status given beside the text (a DSN's Status), unless the text names
 * another code of the same class that says more (text_status_wins(): Status 5.0.0 or 5.1.1
 * with "550 5.7.1 IP address blacklisted"): then the remote server's own code wins. Without a given
 * status, the reply's own (reply_parse(): the one after the reply code, else the first), unless
 * that is a success code; then the last failure code in the text. */
static void pick_status(const char *given, const char *d, size_t len, const reply_parts *rp,
                        char *out)
{
    out[0] = 0;
    if (!given || !given[0]) {
        if (rp && rp->status[0] && rp->status[0] != '2')
            memcpy(out, rp->status, strlen(rp->status) + 1);
        else /* a failure's code, not a "250 2.0.0 Ok" of a session transcript */
            diag_status(d, len, 0, out);
        return;
    }
    size_t gl = strlen(given);
    if (gl >= 16)
        return;
    memcpy(out, given, gl + 1);
    char ds[16];
    diag_status(d, len, given[0], ds);
    if (ds[0] && text_status_wins(given, ds))
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

/* copy_str - s into out (outlen bytes, truncated, NUL-terminated). */
static void copy_str(char *out, size_t outlen, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, s ? s : "", n);
    out[n] = 0;
}

static int is(const char *s, const char *v)
{
    return s && !strcmp(s, v);
}

/* Which reasons.tsv patterns occur in the lower-cased reply: worked out once (bmatch_all) for
 * the wording questions below. state 0 not yet, 1 done, -1 not possible. */
typedef struct reason_hits {
    int state;
    unsigned char *hit; /* stack_hit, or on the heap for a longer table */
    unsigned char stack_hit[ADDRESS_OVERRIDE_MAX];
} reason_hits;

/* reason_wording - the first reasons.tsv pattern (file order), at least ADDRESS_OVERRIDE_MIN
 * bytes long, that occurs in low and whose reason is one of list[0..n), or -1. */
static long reason_wording(const mxd_kb *kb, const char *low, size_t len, reason_hits *rh,
                           const char *const *list, size_t nlist)
{
    const struct bmatch *m = kb_reason_match(kb);
    size_t n = m ? bmatch_count(m) : 0;
    if (!rh->state) {
        rh->state = -1;
        /* a table longer than the stack buffer (an expert's additions) is looked at in full
         * too: a safety check that stopped at a size would let blocks count as hard bounces */
        if (n && n == kb->nreasons && len) {
            rh->hit = n <= sizeof rh->stack_hit ? rh->stack_hit : malloc(n);
            if (rh->hit) {
                bmatch_all(m, low, len, rh->hit);
                rh->state = 1;
            }
        }
    }
    if (rh->state < 0)
        return -1;
    /* (hits are few: memchr finds the next) */
    const unsigned char *h = rh->hit, *end = rh->hit + n;
    for (; (h = memchr(h, 1, (size_t)(end - h))) != NULL; h++) {
        size_t i = (size_t)(h - rh->hit);
        if (strlen(kb_str(kb, kb->reasons[i].pattern)) >= ADDRESS_OVERRIDE_MIN &&
            str_in_list(kb_str(kb, kb->reasons[i].reason), list, nlist))
            return (long)i;
    }
    return -1;
}

/* address_override - beside a X.1.1 and an unknown-user wording: the first reasons.tsv
 * pattern of an address_overrides reason that also occurs in low, or -1. */
static long address_override(const mxd_kb *kb, const char *low, size_t len, reason_hits *rh)
{
    return reason_wording(kb, low, len, rh, address_overrides,
                          sizeof address_overrides / sizeof *address_overrides);
}

/* blames_sender - does low hold a reasons.tsv wording of a reason that puts the refusal on
 * the sender, its IP, rate or message, or on a mailbox that exists (sender_side_reasons)?
 * Such a reply is no proof that the address is gone, whatever reason won: it is never a hard
 * bounce. */
static int blames_sender(const mxd_kb *kb, const char *low, size_t len, reason_hits *rh)
{
    return reason_wording(kb, low, len, rh, sender_side_reasons,
                          sizeof sender_side_reasons / sizeof *sender_side_reasons) >= 0;
}

const char *classify_provider(const mxd_kb *kb, const mxd_reply_facts *f, const char *rhost,
                              const char *low, size_t len, int cls, int subj, int det,
                              const char **from)
{
    const char *p = NULL;
    *from = NULL;
    /* who answered: the remote host, else the MX we would have talked to; then a text only
     * that provider's replies carry; then (no remote host named) the host that reported the
     * failure, for its own errors; then the recipient's domain; last a status code only that
     * provider uses (the domain tells Outlook.com from Microsoft 365, the code does not) */
    if (rhost && *rhost && (p = kb_host_provider(kb, rhost)))
        *from = "remote host";
    else if (f->mx && *f->mx && (p = kb_host_provider(kb, f->mx)))
        *from = "MX";
    else if ((p = kb_hint_provider(kb, low, len)))
        *from = "text";
    else if ((p = kb_tag_provider(kb, low, len, NULL)))
        *from = "tag";
    else if (!(rhost && *rhost) && f->lhost && *f->lhost && (p = kb_host_provider(kb, f->lhost)))
        *from = "reporting MTA";
    else if (f->recipient_domain && *f->recipient_domain &&
             (p = kb_domain_provider(kb, f->recipient_domain)))
        *from = "recipient domain";
    else if (cls && (p = kb_status_provider(kb, cls, subj, det)))
        *from = "status code";
    return p;
}

#define CLASSIFY_STACK_TEXT 4096 /* reply text lower-cased on the stack up to this size */

void classify_decide(const mxd_kb *kb, const mxd_reply_facts *f, const char *text, size_t len,
                     const reply_parts *rp_in, classify_verdict *c)
{
    memset(c, 0, sizeof *c);
    c->permanent = -1;
    c->retry = MXD_RETRY_UNKNOWN;
    if (!text)
        len = 0;
    if (len > MXD_REPLY_MAX)
        len = MXD_REPLY_MAX;
    /* the reply's parts (remote host, sending IP, its own status) are worked out only when
     * something needs them: rp_state 0 not yet, 1 done, -1 failed */
    reply_parts own;
    memset(&own, 0, sizeof own);
    reason_hits rh; /* (asked for after the verdict too, whichever way it was reached) */
    rh.state = 0;
    rh.hit = NULL;
    const reply_parts *rp = rp_in;
    int rp_state = rp_in ? 1 : 0;
#define HAVE_RP()                                                                                  \
    (rp_state                                                                                      \
         ? rp_state > 0                                                                            \
         : (rp_state = (len && reply_parse(text, len, &own) == MXD_OK) ? (rp = &own, 1) : -1) > 0)
    const char *action = f->action ? f->action : "";
    const char *command = f->command ? f->command : "";
    const char *diagtype = f->diagtype ? f->diagtype : "";
    if (f->status && f->status[0])
        pick_status(f->status, text, len, NULL, c->status);
    else if (len && HAVE_RP())
        pick_status(NULL, text, len, rp, c->status);
    if (f->replycode && f->replycode[0])
        copy_str(c->replycode, sizeof c->replycode, f->replycode);
    else
        find_code(kb, text, len, c->status, c->replycode);
    /* a code the registry does not list ("530"), where the reply opens with it */
    if (!c->replycode[0] && len && HAVE_RP() && rp->code[0] && rp->code[0] != '2' &&
        (!c->status[0] || c->status[0] == rp->code[0]))
        memcpy(c->replycode, rp->code, sizeof c->replycode);
    if (f->rhost && f->rhost[0])
        copy_str(c->rhost, sizeof c->rhost, f->rhost);
    else if (len && HAVE_RP() && rp->rhost)
        copy_str(c->rhost, sizeof c->rhost, rp->rhost);

    int cls = 0, subj = 0, det = 0;
    if (c->status[0] && kb_status_parse(c->status, strlen(c->status), &cls, &subj, &det))
        cls = 0, c->status[0] = 0;
    /* the wordings are looked for in the reply as explain reads it (one verdict): a
     * multi-line reply joined before it reached us (a DSN's Diagnostic-Code, a log line) keeps
     * its continuation markers inside ("... at a rate that 450-prevents additional ..."),
     * which the normalised reply has dropped; not where a client's wrapper was taken off
     * (its words stay in the text a wording may need) */
    const char *ptext = text;
    size_t plen = len;
    if (!rp_in && len && HAVE_RP() && !rp->wrapper && rp->text)
        ptext = rp->text, plen = rp->len;
    char stack_low[CLASSIFY_STACK_TEXT];
    char *low = plen <= sizeof stack_low ? stack_low : malloc(plen);
    size_t llen = low ? plen : 0;
    if (low) {
        bmatch_lower(ptext, plen, low);
        mask_qmail_giveup(low, llen);
    }
    c->provider = classify_provider(kb, f, c->rhost, low, llen, cls, subj, det, &c->provider_from);
    const char *prov = c->provider;
    c->kstatus = cls ? kb_find_status(kb, cls, subj, det) : NULL;
    c->kreply = c->replycode[0] ? kb_find_reply(kb, c->replycode) : NULL;
    c->found = cls || c->kreply;

    int pcls = cls;
    if (!pcls && c->replycode[0])
        pcls = c->replycode[0] - '0';
    if (pcls == 5)
        c->permanent = 1;
    else if (pcls == 4)
        c->permanent = 0;
    else if (is(action, "failed"))
        c->permanent = 1;
    else if (is(action, "delayed"))
        c->permanent = 0;
    c->retry = c->permanent == 1   ? MXD_RETRY_NEVER
               : c->permanent == 0 ? MXD_RETRY_LATER
                                   : MXD_RETRY_UNKNOWN;

    /* (the library's own copy of the name: the facts' strings may not outlive the verdict) */
    if (kb_reason_name(f->format_reason)) {
        c->reason = kb_reason_name(f->format_reason);
        c->decided_by = "format";
        c->rule = c->reason;
        c->found = 1;
        goto done;
    }
    /* the first text pattern of reasons.tsv (one pass, match.c) */
    long tid = kb_reason_first(kb, low, llen);
    if (tid >= 0)
        c->found = 1;
    /* a rule, with the status settled on: the identified provider's rules, and the generic
     * ones (which weigh as text patterns: used when no text pattern matched, or to explain
     * a verdict they agree with) */
    const kb_rule *grule = NULL;
    reply_parts ctx;
    memset(&ctx, 0, sizeof ctx);
    if (len && HAVE_RP()) {
        ctx = *rp;
        ctx.status[0] = 0;
        ctx.cls = ctx.subj = ctx.det = 0;
        ctx.code[0] = 0;
        if (cls) {
            memcpy(ctx.status, c->status, strlen(c->status) + 1);
            ctx.cls = cls, ctx.subj = subj, ctx.det = det;
        }
        memcpy(ctx.code, c->replycode, sizeof ctx.code);
        ctx.rhost = c->rhost[0] ? c->rhost : NULL;
        const kb_rule *rule = prov && kb_provider_has_rules(kb, prov)
                                  ? explain_best_rule_ex(kb, &ctx, prov, 1)
                                  : NULL;
        /* a code only one provider uses, worded otherwise than its rules: the code's own
         * documented meaning, marked as chosen by the code alone */
        if (!rule && prov && cls && kb_status_provider(kb, cls, subj, det) &&
            kb_provider_has_rules(kb, prov)) {
            rule = explain_code_rule(kb, &ctx, prov);
            c->code_only = rule != NULL;
        }
        if (rule) {
            c->reason = kb_str(kb, rule->reason);
            c->scope = kb_str(kb, rule->scope);
            c->permanent = rule->permanent;
            c->retry = rule->retry;
            c->decided_by = "rule";
            c->krule = rule;
            c->found = 1;
            goto done;
        }
        grule = explain_best_rule_ex(kb, &ctx, NULL, 0);
        if (grule)
            c->found = 1;
    }
    {
        const kb_status *st = c->kstatus;
        const char *sreason = st ? kb_str(kb, st->reason) : NULL;
        if (sreason && !strcmp(sreason, "delivered") && cls != 2)
            sreason = NULL;
        const char *treason = NULL;
        const char *tpat = NULL;
        if (tid >= 0) {
            treason = kb_str(kb, kb->reasons[tid].reason);
            tpat = kb_str(kb, kb->reasons[tid].pattern);
        }
        /* a X.1.1 beside an unknown-user wording and a block, relay, full-mailbox, moved or
         * sender wording: the other wording (address_overrides) */
        if (sreason && treason && !strcmp(sreason, "userunknown") &&
            !strcmp(treason, "userunknown")) {
            long o = address_override(kb, low, llen, &rh);
            if (o >= 0) {
                treason = kb_str(kb, kb->reasons[o].reason);
                tpat = kb_str(kb, kb->reasons[o].pattern);
            }
        }
        int rule_text = 0;
        if (!treason && grule) {
            treason = kb_str(kb, grule->reason);
            rule_text = 1;
        }
        int use_text = treason && (!sreason ||
                                   str_in_list(sreason, weak_reasons,
                                               sizeof weak_reasons / sizeof *weak_reasons) ||
                                   rank(treason) < rank(sreason));
        /* a precise status stands against any wording but a full mailbox: Sisimai asks
         * MailboxFull before every other reason and it defers to no status there but suspend
         * (sisimai/p5-sisimai:lib/Sisimai/Reason/MailboxFull.pm true(); X.2.3 beside "quota"
         * is the mailbox's quota) */
        if (use_text && sreason &&
            str_in_list(sreason, strong_reasons, sizeof strong_reasons / sizeof *strong_reasons) &&
            strcmp(treason, "mailboxfull"))
            use_text = 0;
        /* an address status beside a text that blames the sender: the text (see
         * sender_side_reasons), and not the address status's scope */
        int sender_text = treason && sreason &&
                          (!strcmp(sreason, "userunknown") || !strcmp(sreason, "hostunknown")) &&
                          str_in_list(treason, sender_side_reasons,
                                      sizeof sender_side_reasons / sizeof *sender_side_reasons);
        if (sender_text)
            use_text = 1;
        /* a local delivery program failed (Diagnostic-Code: X-Unix; ...) */
        if (is(diagtype, "X-UNIX") &&
            (!treason || !strcmp(treason, "userunknown") || !strcmp(treason, "mailererror"))) {
            treason = "mailererror";
            tpat = "X-Unix";
            rule_text = 0;
            use_text = 1;
        }
        /* a sender-address status (X.1.7 bad sender's mailbox, X.1.8 bad sender's system,
         * RFC 3463 section 3.2) beside an unknown-user or unknown-host wording: the unknown
         * address is the sender's, never the recipient's (Exchange: "550 5.1.7 Invalid
         * address"; sisimai/p5-sisimai:lib/Sisimai/Rhost/Microsoft.pm, rejected) */
        if (cls && subj == 1 && (det == 7 || det == 8) && treason &&
            (!strcmp(treason, "userunknown") || !strcmp(treason, "hostunknown")))
            use_text = 0;
        /* refused at MAIL FROM: the sender is the problem */
        if (treason && !strcmp(treason, "rejected") && is(command, "MAIL"))
            use_text = 1;
        else if (sreason && !strcmp(sreason, "rejected") && is(command, "MAIL"))
            use_text = 0;
        if (use_text && !rule_text) {
            c->reason = treason;
            c->decided_by = "text";
            c->rule = tpat;
            c->rule_file = "reasons.tsv";
            c->scope = st && !sender_text ? kb_str(kb, st->scope) : NULL;
        } else if (use_text) {
            c->reason = kb_str(kb, grule->reason);
            c->scope = kb_str(kb, grule->scope);
            c->decided_by = "rule";
            c->krule = grule;
        } else if (sreason) {
            c->reason = sreason;
            c->decided_by = "status";
            c->rule = kb_str(kb, st->code);
            c->rule_file = "status-codes.tsv";
            c->scope = kb_str(kb, st->scope);
        } else {
            const kb_reply *rc = c->kreply;
            if (rc && rc->reason) {
                c->reason = kb_str(kb, rc->reason);
                c->decided_by = "reply";
                c->rule = kb_str(kb, rc->code);
                c->rule_file = "reply-codes.tsv";
                c->scope = kb_str(kb, rc->scope);
            }
        }
        /* "user unknown" said after the message was sent (or without saying when), with a
         * status that does not itself say user unknown, is a recipient-side filter, not a
         * missing mailbox (Sisimai's Filtered, sisimai/go-sisimai:reason/why-filtered.go).
         * Sisimai asks Filtered only for Diagnostic-Code type SMTP or none
         * (sisimai/go-sisimai:reason/find.go), and its Postfix reader files Postfix's own
         * "X-Postfix" type as SMTP (lhost/via-postfix.go: `if ... == "X-POSTFIX" { v.Spec =
         * "SMTP" }`). mxdiag does not follow that for an MTA's own verdict, where no remote
         * server read the message and no filter can have spoken, so the mailbox is missing:
         * the X-Postfix type with neither a reply code nor a command (text Postfix wrote
         * itself: its local(8) or virtual(8) lookup, `unknown user: "name"`), and what a
         * format reader marks as its MTA's own (f->own: James's local-address notice). A
         * remote reply relayed under X-Postfix ("host ... said: 550 ...") is still asked.
         * Nor does it for a reply that names no command but says it refused the address at
         * RCPT TO (rcpt_refusal). */
        int mta_own = (f->own || (is(diagtype, "X-POSTFIX") && !c->replycode[0])) && !command[0];
        int filter_may = c->reason && !strcmp(c->reason, "userunknown") && !mta_own &&
                         (!diagtype[0] || is(diagtype, "SMTP") || is(diagtype, "X-POSTFIX")) &&
                         !(sreason && !strcmp(sreason, "userunknown")) && !(cls && subj == 1) &&
                         !is(command, "RCPT") && !is(command, "MAIL") && !is(command, "CONN") &&
                         !is(command, "EHLO") && !is(command, "HELO") &&
                         !(!command[0] && rcpt_refusal(low, llen, cls, subj, det,
                                                       c->replycode[0] == '4' ||
                                                           (len && HAVE_RP() && rp->code[0] == '4'),
                                                       is(action, "delayed")));
        if (filter_may && (f->record || command[0])) {
            c->reason = "filtered";
            c->decided_by = "text";
            c->krule = NULL;
        } else if (filter_may) {
            c->when_unknown = 1; /* (a reply alone: explain says so in its note) */
        }
        if (!c->reason) {
            c->decided_by = "fallback";
            if (subj == 6 && cls)
                c->reason = "contenterror";
            else if (subj == 7 && cls)
                c->reason = "securityerror";
            else if (is(diagtype, "X-UNIX"))
                c->reason = "mailererror";
            else if ((is(action, "delayed") && !f->attempt) || is(action, "expired"))
                c->reason = "expired";
            else if (is(command, "MAIL")) /* the reverse-path was refused (RFC 5321 3.3) */
                c->reason = "rejected";   /* (Sisimai's Rejected, Reason/Rejected.pm) */
            else if (is(command, "EHLO") || is(command, "HELO") || is(command, "CONN"))
                c->reason = "blocked";
            else if (len && f->record) /* Sisimai's name for a record it cannot decide */
                c->reason = "onhold";
            else
                c->reason = "undefined";
            c->rule = c->reason;
            if (!c->scope && st)
                c->scope = kb_str(kb, st->scope);
        }
        /* a generic rule that gives the same reason explains the verdict */
        if (!c->krule && grule && !strcmp(kb_str(kb, grule->reason), c->reason) &&
            strcmp(c->decided_by, "fallback")) {
            c->krule = grule;
            c->decided_by = "rule";
            if (grule->scope)
                c->scope = kb_str(kb, grule->scope);
            if (grule->permanent == c->permanent)
                c->retry = grule->retry;
        }
    }
done:
    if (c->krule) {
        c->rule = kb_str(kb, c->krule->id);
        c->rule_file = kb_str(kb, c->krule->file);
        c->rule_line = c->krule->line;
    }
    memcpy(c->record_status, c->status, sizeof c->status);
    if (!c->status[0] && c->reason) {
        /* temporary as Sisimai decides it for a bounce without a status: a 4xx reply code, or
         * a text that says so; and a DSN's Action: delayed */
        int temp = c->replycode[0] == '4' || is(action, "delayed") ||
                   (c->replycode[0] != '5' && says_temporary(low, llen));
        const char *ps = classify_pseudo_status(kb, c->reason, temp);
        memcpy(c->record_status, ps, strlen(ps) + 1);
        if (c->permanent < 0 && ps[0] && f->record) {
            c->permanent = !temp; /* not the code's class: 5.0.912 stands in for a temporary one */
            c->retry = c->permanent ? MXD_RETRY_NEVER : MXD_RETRY_LATER;
        }
    }
    /* suppression safety: an address reason beside a wording that blames the sender, or in a
     * reply that says the failure is temporary, does not prove the address gone */
    c->soft_wording =
        c->reason &&
        str_in_list(c->reason, hard_reasons, sizeof hard_reasons / sizeof *hard_reasons) &&
        (says_temporary(low, llen) || blames_sender(kb, low, llen, &rh));
    /* the IP the remote side refused: only a question when the refusal is not about the
     * mailbox itself */
    if (len && !classify_mailbox_reason(c->reason) && HAVE_RP() && rp->sending_ip)
        copy_str(c->sending_ip, sizeof c->sending_ip, rp->sending_ip);
    if (low != stack_low)
        free(low);
    if (rh.hit && rh.hit != rh.stack_hit)
        free(rh.hit);
    if (rp == &own)
        reply_free(&own);
#undef HAVE_RP
}
