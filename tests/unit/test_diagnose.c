/* test_diagnose.c - unit tests for lib/diagnose: facts, playbook choice, marks, requests
 * SPDX-License-Identifier: MIT
 *
 * These run offline (no resolver): the live checks are covered by the CLI scenarios under
 * tests/cli/cases/diagnose-* against the test DNS server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diagnose/diagnose_internal.h"
#include "kb/kb_internal.h"
#include "util/str.h"
#include "mxdiag/mxdiag.h"
#include "kb_helper.h"

static mxd_diagnosis *reply(const char *t, const mxd_diag_opts *o)
{
    mxd_diagnosis *d = NULL;
    assert_int_equal(mxd_diagnose(kb, NULL, t, strlen(t), 1, NULL, o, &d), MXD_OK);
    return d;
}

static const mxd_diag_check *check(const mxd_diagnosis *d, const char *name)
{
    for (size_t i = 0; i < d->nchecks; i++)
        if (!strcmp(d->checks[i].name, name))
            return &d->checks[i];
    return NULL;
}

static void test_playbook_by_rule(void **state)
{
    (void)state;
    mxd_diag_opts o = {.ip = "203.0.113.5", .domain = "example.com"};
    mxd_diagnosis *d = reply("550 5.7.606 Access denied, banned sending IP [203.0.113.5]. To "
                             "request removal please visit https://sender.office.com/",
                             &o);
    assert_string_equal(d->playbook, "ms365-inbound-ip-ban");
    assert_string_equal(d->sending_ip, "203.0.113.5");
    /* the option wins over the reply, and says so */
    assert_string_equal(d->sending_ip_from, "option");
    assert_non_null(check(d, "dnsbl"));
    assert_non_null(check(d, "spf"));
    assert_null(check(d, "mx"));
    /* offline: nothing passes */
    for (size_t i = 0; i < d->nchecks; i++)
        assert_int_equal(d->checks[i].state, MXD_CHECK_UNCHECKED);
    for (size_t i = 0; i < d->nsteps; i++)
        assert_int_not_equal(d->steps[i].mark, MXD_MARK_DONE);
    assert_non_null(d->delist_body);
    assert_non_null(strstr(d->delist_body, "IP address: 203.0.113.5"));
    assert_non_null(strstr(d->delist_how, "sender.office.com"));
    mxd_diagnosis_free(d);
}

/* The sending IP is Microsoft's own outbound pool (data/provider-outbound.tsv): its PTR and
 * blocklist entries are never the user's to fix; its SPF is not either when Microsoft itself
 * refused the mail, but stays the user's question (include the provider's SPF) when another
 * receiver refused it. Offline: the range decides, no PTR lookup. */
static void test_provider_own_ip(void **state)
{
    (void)state;
    mxd_diag_opts o = {.domain = "example.com"};
    mxd_diagnosis *d = reply("550 5.7.606 Access denied, banned sending IP [40.107.243.101]. To "
                             "request removal please visit https://sender.office.com/",
                             &o);
    assert_string_equal(d->sending_ip, "40.107.243.101");
    assert_string_equal(d->sending_ip_owner, "microsoft365");
    assert_non_null(strstr(d->sending_ip_owner_why, "40.107.0.0/16"));
    static const char *const mine[] = {"dnsbl", "ptr", "spf"};
    for (size_t i = 0; i < 3; i++) {
        const mxd_diag_check *c = check(d, mine[i]);
        assert_non_null(c);
        assert_int_equal(c->state, MXD_CHECK_NOT_APPLICABLE);
        assert_non_null(strstr(c->summary, "own outbound server"));
    }
    size_t na = 0;
    for (size_t i = 0; i < d->nsteps; i++)
        if (d->steps[i].mark == MXD_MARK_NOT_APPLICABLE) {
            na++;
            assert_non_null(d->steps[i].finding);
        }
    assert_int_equal(na, 3);
    char *j = mxd_diagnosis_json(d, 0);
    assert_non_null(strstr(j, "\"sending_ip_owner\":{\"provider\":\"microsoft365\""));
    assert_non_null(strstr(j, "\"mark\":\"not_applicable\""));
    free(j);
    mxd_diagnosis_free(d);

    /* another receiver refused mail from the pool: SPF stays to check */
    d = reply("554 5.7.1 Service unavailable; Client host [2a01:111:f403:c000::1] blocked using "
              "zen.spamhaus.org",
              &o);
    assert_string_equal(d->sending_ip_owner, "microsoft365");
    assert_int_equal(check(d, "dnsbl")->state, MXD_CHECK_NOT_APPLICABLE);
    if (check(d, "ptr"))
        assert_int_equal(check(d, "ptr")->state, MXD_CHECK_NOT_APPLICABLE);
    assert_non_null(check(d, "spf"));
    assert_int_equal(check(d, "spf")->state, MXD_CHECK_UNCHECKED);
    mxd_diagnosis_free(d);

    /* an address outside the ranges is the user's */
    d = reply("550 5.7.606 Access denied, banned sending IP [203.0.113.5].", &o);
    assert_null(d->sending_ip_owner);
    assert_int_equal(check(d, "dnsbl")->state, MXD_CHECK_UNCHECKED);
    mxd_diagnosis_free(d);
}

static void test_recipient_family_has_no_sender_checks(void **state)
{
    (void)state;
    mxd_diagnosis *d = reply("550 5.1.1 <bob@example.org>: Recipient address rejected: User "
                             "unknown in virtual mailbox table",
                             NULL);
    assert_string_equal(d->playbook, "recipient");
    assert_string_equal(d->recipient, "bob@example.org");
    assert_string_equal(d->recipient_domain, "example.org");
    assert_int_equal(d->nchecks, 1);
    assert_string_equal(d->checks[0].name, "mx");
    assert_null(d->delist_body);
    mxd_diagnosis_free(d);
}

static void test_missing_facts_are_skipped_not_passed(void **state)
{
    (void)state;
    mxd_diagnosis *d = reply("550-5.7.26 This mail has been blocked because the sender is "
                             "unauthenticated. gsmtp",
                             NULL);
    assert_string_equal(d->playbook, "auth-required");
    const mxd_diag_check *spf = check(d, "spf");
    assert_non_null(spf);
    assert_int_equal(spf->state, MXD_CHECK_SKIPPED);
    assert_non_null(strstr(spf->summary, "--ip"));
    assert_null(check(d, "dnsbl"));
    assert_null(d->delist_body);
    mxd_diagnosis_free(d);
}

static void test_throttling_is_temporary_without_request(void **state)
{
    (void)state;
    mxd_diagnosis *d = reply("451 4.7.500 Server busy. Please try again later from "
                             "[203.0.113.5]. (AS843) "
                             "[DM3NAM03FT009.eop-NAM03.prod.protection.outlook.com]",
                             NULL);
    assert_string_equal(d->playbook, "throttled");
    assert_int_equal(d->explanation->permanent, 0);
    assert_null(d->delist_body);
    assert_null(check(d, "dnsbl"));
    mxd_diagnosis_free(d);
}

static const char msg[] =
    "From: MAILER-DAEMON@mx.example.net\r\n"
    "To: alice@example.com\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n"
    "\r\n"
    "--B\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "I'm sorry to have to inform you that your message could not be delivered.\r\n"
    "--B\r\n"
    "Content-Type: message/delivery-status\r\n"
    "\r\n"
    "Reporting-MTA: dns; mx.example.net\r\n"
    "\r\n"
    "Final-Recipient: rfc822; carol@example.org\r\n"
    "Action: failed\r\n"
    "Status: 5.7.1\r\n"
    "Remote-MTA: dns; mx.example.org\r\n"
    "Diagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host [203.0.113.9]\r\n"
    " blocked using zen.spamhaus.org\r\n"
    "\r\n"
    "--B\r\n"
    "Content-Type: text/rfc822-headers\r\n"
    "\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; d=other.example;\r\n"
    "  s=wrong; bh=x; b=y\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; d=example.com;\r\n"
    "  s=mail2026; bh=x; b=y\r\n"
    "From: alice@example.com\r\n"
    "To: carol@example.org\r\n"
    "Subject: hello\r\n"
    "\r\n"
    "--B--\r\n";

static void test_facts_from_message(void **state)
{
    (void)state;
    mxd_diagnosis *d = NULL;
    assert_int_equal(mxd_diagnose(kb, NULL, msg, sizeof msg - 1, 0, "t.eml", NULL, &d), MXD_OK);
    assert_string_equal(d->source, "t.eml");
    assert_string_equal(d->sending_ip, "203.0.113.9");
    assert_string_equal(d->sender_domain, "example.com");
    assert_string_equal(d->recipient, "carol@example.org");
    assert_string_equal(d->recipient_domain, "example.org");
    /* the signature of the sender's own domain, not the first one */
    assert_string_equal(d->dkim_selector, "mail2026");
    assert_string_equal(d->dkim_selector_from, "DKIM-Signature");
    assert_string_equal(d->playbook, "ip-blocklisted");
    char *j = mxd_diagnosis_json(d, 0);
    assert_non_null(j);
    assert_non_null(strstr(j, "\"sending_ip\":\"203.0.113.9\",\"sending_ip_from\":"));
    assert_non_null(strstr(j, "\"delist_request\":null"));
    free(j);
    mxd_diagnosis_free(d);
}

static void test_bad_input(void **state)
{
    (void)state;
    mxd_diagnosis *d = NULL;
    assert_int_equal(mxd_diagnose(kb, NULL, "", 0, 1, NULL, NULL, &d), MXD_ERR_EMPTY);
    assert_int_equal(mxd_diagnose(kb, NULL, "hello", 5, 1, NULL, NULL, &d), MXD_ERR_NOTFOUND);
    const char plain[] = "From: a@example.com\r\nSubject: hi\r\n\r\njust mail\r\n";
    assert_int_equal(mxd_diagnose(kb, NULL, plain, sizeof plain - 1, 0, NULL, NULL, &d),
                     MXD_ERR_NOTFOUND);
    mxd_diag_opts o = {.ip = "not-an-ip"};
    assert_int_equal(mxd_diagnose(kb, NULL, "550 5.1.1 x", 11, 1, NULL, &o, &d), MXD_ERR_INVALID);
    assert_null(d);
}

static void test_every_playbook_resolves(void **state)
{
    (void)state;
    /* each playbook's rule globs name at least one existing rule: a typo would orphan it */
    for (size_t i = 0; i < kb->nplaybooks; i++) {
        const kb_playbook *pb = &kb->playbooks[i];
        for (size_t k = 0; k < pb->nmatch_rules; k++) {
            int hit = 0;
            for (size_t r = 0; r < kb->nrules && !hit; r++)
                hit =
                    str_glob_match(kb_str(kb, kb->rules[r].id), strlen(kb_str(kb, kb->rules[r].id)),
                                   kb_item(kb, pb->match_rules, k));
            if (!hit)
                fail_msg("playbook %s: match-rule %s matches no rule", kb_str(kb, pb->id),
                         kb_item(kb, pb->match_rules, k));
        }
    }
    assert_non_null(kb_find_playbook(kb, "ms365-5.7.708", NULL, NULL));
    assert_string_equal(kb_str(kb, kb_find_playbook(kb, "nope", "userunknown", NULL)->id),
                        "recipient");
    assert_string_equal(kb_str(kb, kb_find_playbook(kb, NULL, NULL, "tenant")->id),
                        "tenant-config");
    assert_null(kb_find_playbook(kb, NULL, NULL, NULL));
}

/* Every playbook of data/playbooks.txt is chosen for at least one real reply, and the most
 * specific match wins (issue 12): the Outlook.com block playbook (match-rule outlookcom-*,
 * rule-scope ip) no longer captures an unknown recipient, Sender ID, 5.7.515, RP-* or the
 * 4.7.5xx/4.7.650 deferrals; a new playbook without a reply here fails the test. */
static const struct {
    const char *reply, *playbook;
} reach[] = {
    {"550 5.7.708 Access denied, traffic not accepted from this IP. (AS(7230)) "
     "[AM4PEPF00027A5F.eurprd04.prod.outlook.com]",
     "ms365-own-tenant"},
    {"550 5.7.705 Access denied, tenant has exceeded threshold.", "ms365-own-tenant"},
    {"550 5.7.750 Service unavailable. Client blocked from sending from unregistered domain.",
     "ms365-own-tenant"},
    {"550 5.7.703 Your message can't be delivered because messages to bob@example.net are "
     "blocked by your organization using Tenant Allow Block List.",
     "ms365-tenant-block-list"},
    {"550 5.7.606 Access denied, banned sending IP [203.0.113.5]. To request removal from this "
     "list please visit https://sender.office.com/ and follow the directions.",
     "ms365-inbound-ip-ban"},
    {"550 5.7.511 Access denied, banned sender[203.0.113.5]. To request removal from this list, "
     "forward this message to delist@microsoft.com.",
     "ms365-banned-sender"},
    {"550 5.7.1 Unfortunately, messages from [203.0.113.5] weren't sent. Please contact your "
     "Internet service provider since part of their network is on our block list (S3150). "
     "[BY2NAM01FT030.eop-nam01.olc.protection.outlook.com]",
     "outlookcom-block"},
    {"550 5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail "
     "requires all senders to authenticate with either SPF or DKIM. - gsmtp",
     "auth-required"},
    {"550 5.7.25 The IP address sending this message does not have a PTR record setup, or the "
     "corresponding forward DNS entry does not point to the sending IP. - gsmtp",
     "reverse-dns"},
    {"451 4.7.500 Server busy. Please try again later from [203.0.113.5]. (AS843) "
     "[DM3NAM03FT009.eop-NAM03.prod.protection.outlook.com]",
     "throttled"},
    {"554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org",
     "ip-blocklisted"},
    {"550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in virtual mailbox "
     "table",
     "recipient"},
    {"552 5.3.4 Message size exceeds fixed limit", "content"},
    {"553 5.1.8 <alice@nonexistent.invalid>: Sender address rejected: Domain not found",
     "sender-domain"},
    {"550 5.7.64 TenantAttribution; Relay Access Denied", "tenant-config"},
    {"554 5.2.2 mailbox full; STOREDRV.Submission.Exception:SubmissionQuotaExceededException; "
     "Submission quota exceeded [DM3NAM03FT009.eop-NAM03.prod.protection.outlook.com]",
     "rate"},
};

/* Outlook.com replies that the block playbook captured before, with where they belong now. */
static const struct {
    const char *reply, *playbook;
} outlookcom[] = {
    {"550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). "
     "[AM4PEPF00027A5F.eurprd04.prod.protection.outlook.com] "
     "hotmail-com.olc.protection.outlook.com",
     "recipient"},
    {"550 5.7.515 Access denied, sending domain example.com does not meet the required "
     "authentication level. hotmail-com.olc.protection.outlook.com",
     "auth-required"},
    {"451 4.7.650 The mail server [203.0.113.5] has been temporarily rate limited due to IP "
     "reputation. For e-mail delivery information, see https://postmaster.live.com (S775) "
     "hotmail-com.olc.protection.outlook.com",
     "throttled"},
    {"421 RP-001 (BAY004-MC1F12) Unfortunately, some messages from 203.0.113.5 weren't sent. "
     "Please try again. We have limits for how many messages can be sent per hour and per day. "
     "hotmail-com.olc.protection.outlook.com",
     "throttled"},
};

static void test_every_playbook_reachable(void **state)
{
    (void)state;
    for (size_t i = 0; i < kb->nplaybooks; i++) {
        int named = 0;
        for (size_t k = 0; k < sizeof reach / sizeof *reach && !named; k++)
            named = !strcmp(reach[k].playbook, kb_str(kb, kb->playbooks[i].id));
        if (!named)
            fail_msg("playbook %s: no reply in the test reaches it",
                     kb_str(kb, kb->playbooks[i].id));
    }
    for (size_t k = 0; k < sizeof reach / sizeof *reach; k++) {
        mxd_diagnosis *d = reply(reach[k].reply, NULL);
        if (!d->playbook || strcmp(d->playbook, reach[k].playbook))
            fail_msg("'%.40s...' (rule %s): playbook %s, want %s", reach[k].reply,
                     d->explanation->rule ? d->explanation->rule : "-",
                     d->playbook ? d->playbook : "none", reach[k].playbook);
        mxd_diagnosis_free(d);
    }
    for (size_t k = 0; k < sizeof outlookcom / sizeof *outlookcom; k++) {
        mxd_diagnosis *d = reply(outlookcom[k].reply, NULL);
        if (!d->playbook || strcmp(d->playbook, outlookcom[k].playbook))
            fail_msg("'%.40s...' (rule %s): playbook %s, want %s", outlookcom[k].reply,
                     d->explanation->rule ? d->explanation->rule : "-",
                     d->playbook ? d->playbook : "none", outlookcom[k].playbook);
        mxd_diagnosis_free(d);
    }
}

static void test_huge_reply_quoted_in_request(void **state)
{
    (void)state;
    /* Regression: a 64 KiB reply is quoted in the delisting request ({reply}); the filled-in
     * line passed the 64 KiB cap and the whole diagnosis failed. The quote is now cut. */
    static const char head[] = "550 5.7.708 Service unavailable. Access denied, traffic not "
                               "accepted from this IP. ";
    size_t n = MXD_REPLY_MAX;
    char *t = malloc(n);
    assert_non_null(t);
    memset(t, 'x', n);
    memcpy(t, head, sizeof head - 1);
    mxd_diagnosis *d = NULL;
    assert_int_equal(mxd_diagnose(kb, NULL, t, n, 1, NULL, NULL, &d), MXD_OK);
    assert_string_equal(d->explanation->rule, "ms365-5.7.708");
    assert_non_null(d->delist_body);
    assert_non_null(strstr(d->delist_body, "550 5.7.708 Service unavailable"));
    assert_true(strlen(d->delist_body) < 16384);
    char *j = mxd_diagnosis_json(d, 0);
    assert_non_null(j);
    free(j);
    mxd_diagnosis_free(d);
    free(t);
}

/* ---- envelope, From and alignment (issue 10 item 2) ------------------------------------ */

/* A DMARC rejection of a message an ESP sent for brand.example; the returned message's
 * header block is given by the caller. */
static char *esp_bounce(const char *dsn_extra, const char *returned)
{
    static const char fmt[] =
        "Return-Path: <>\r\n"
        "From: MAILER-DAEMON@mta1.esp.example\r\n"
        "To: news@brand.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n"
        "\r\n"
        "--B\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mta1.esp.example\r\n"
        "%s"
        "\r\n"
        "Final-Recipient: rfc822; carol@gmail.com\r\n"
        "Action: failed\r\n"
        "Status: 5.7.26\r\n"
        "Remote-MTA: dns; gmail-smtp-in.l.google.com\r\n"
        "Diagnostic-Code: smtp; 550 5.7.26 Unauthenticated email from brand.example is not\r\n"
        " accepted due to domain's DMARC policy. - gsmtp\r\n"
        "\r\n"
        "--B\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        "%s"
        "From: Brand News <news@brand.example>\r\n"
        "To: carol@gmail.com\r\n"
        "Subject: offers\r\n"
        "\r\n"
        "--B--\r\n";
    size_t n = sizeof fmt + strlen(dsn_extra) + strlen(returned);
    char *m = malloc(n);
    assert_non_null(m);
    snprintf(m, n, fmt, dsn_extra, returned);
    return m;
}

static mxd_diagnosis *diag_msg(const char *m, const mxd_diag_opts *o)
{
    mxd_diagnosis *d = NULL;
    assert_int_equal(mxd_diagnose(kb, NULL, m, strlen(m), 0, "t.eml", o, &d), MXD_OK);
    return d;
}

/* One verdict: diagnose explains a bounce with the facts its record carries, the "own verdict"
 * among them: an MTA's own unknown-user notice (Apache James's "550 - ... no such user
 * here", MDaemon's own remark) is userunknown there as it is in `mxdiag bounce`. */
static void test_own_verdict_carried(void **state)
{
    (void)state;
    static const char *const files[] = {"james-local.eml", "exim-local-unknown.eml"};
    const char *src = getenv("MXD_SOURCE_DIR");
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/tests/fixtures/bounces/%s", src ? src : ".", files[i]);
        FILE *f = fopen(path, "rb");
        if (!f)
            fail_msg("cannot open %s", path);
        static char m[1 << 16];
        size_t n = fread(m, 1, sizeof m - 1, f);
        fclose(f);
        m[n] = 0;
        mxd_diagnosis *d = diag_msg(m, NULL);
        assert_string_equal(d->explanation->reason, "userunknown");
        mxd_diagnosis_free(d);
    }
}

static void test_envelope_from_return_path(void **state)
{
    (void)state;
    char *m = esp_bounce("", "Return-Path: <bounces+x@bounces.esp.example>\r\n"
                             "DKIM-Signature: v=1; d=esp.example; s=s1; bh=x; b=y\r\n");
    mxd_diagnosis *d = diag_msg(m, NULL);
    /* From and MAIL FROM apart, each with its source */
    assert_string_equal(d->sender_domain, "brand.example");
    assert_string_equal(d->sender_domain_from, "From header of the returned message");
    assert_string_equal(d->mail_from, "bounces+x@bounces.esp.example");
    assert_string_equal(d->mail_from_from, "Return-Path of the returned message");
    assert_string_equal(d->mail_from_domain, "bounces.esp.example");
    /* the signer is listed, but its selector is not tried on brand.example */
    assert_int_equal(d->ndkim_signers, 1);
    assert_string_equal(d->dkim_signers[0], "esp.example");
    assert_int_equal(d->returned_headers, 1);
    assert_null(d->dkim_selector);
    /* the SPF step names the envelope domain */
    int spf_step = 0;
    for (size_t i = 0; i < d->nsteps; i++)
        if (!strcmp(d->steps[i].check, "spf")) {
            spf_step = 1;
            assert_non_null(strstr(d->steps[i].text, "bounces.esp.example"));
        }
    assert_true(spf_step);
    char *j = mxd_diagnosis_json(d, 0);
    assert_non_null(j);
    assert_non_null(strstr(j, "\"mail_from_domain\":\"bounces.esp.example\","
                              "\"mail_from_domain_from\":\"Return-Path of the returned message\""));
    assert_non_null(strstr(j, "\"dkim_signers\":[\"esp.example\"]"));
    free(j);
    mxd_diagnosis_free(d);
    free(m);
}

static void test_envelope_sources_in_order(void **state)
{
    (void)state;
    /* the DSN's X-Postfix-Sender wins over the returned message's Return-Path */
    char *m = esp_bounce("X-Postfix-Sender: rfc822; b1@bounces.esp.example\r\n",
                         "Return-Path: <b2@other.example>\r\n");
    mxd_diagnosis *d = diag_msg(m, NULL);
    assert_string_equal(d->mail_from, "b1@bounces.esp.example");
    assert_string_equal(d->mail_from_from, "DSN (X-Postfix-Sender)");
    assert_int_equal(d->ndkim_signers, 0);
    assert_int_equal(d->returned_headers, 1);
    mxd_diagnosis_free(d);
    free(m);
    /* --mail-from wins over both; a bare domain is its own MAIL FROM domain */
    mxd_diag_opts o = {0};
    o.mail_from = "esp-bounces.example";
    m = esp_bounce("X-Postfix-Sender: rfc822; b1@bounces.esp.example\r\n", "");
    d = diag_msg(m, &o);
    assert_string_equal(d->mail_from, "esp-bounces.example");
    assert_string_equal(d->mail_from_from, "option");
    assert_string_equal(d->mail_from_domain, "esp-bounces.example");
    mxd_diagnosis_free(d);
    free(m);
    /* Received-SPF: envelope-from and helo; Authentication-Results after it */
    m = esp_bounce("",
                   "Authentication-Results: mx.google.com; spf=pass smtp.mailfrom=a@ar.example\r\n"
                   "Received-SPF: pass (domain of x) client-ip=198.51.100.7;\r\n"
                   " envelope-from=<r@rspf.example>; helo=mta1.esp.example;\r\n");
    d = diag_msg(m, NULL);
    assert_string_equal(d->mail_from, "r@rspf.example");
    assert_string_equal(d->mail_from_from, "Received-SPF of the returned message");
    assert_string_equal(d->helo, "mta1.esp.example");
    mxd_diagnosis_free(d);
    free(m);
    /* the null sender: SPF checks the HELO name the receiver recorded for the sending IP */
    o.mail_from = NULL;
    o.ip = "198.51.100.7";
    m = esp_bounce("", "Return-Path: <>\r\n"
                       "Received: from mta1.esp.example (mta1.esp.example [198.51.100.7])\r\n"
                       "  by mx.google.com with ESMTPS id x; Mon, 23 Nov 2026 09:14:01 +0000\r\n"
                       "Received: from app (app [10.0.0.7]) by mta1.esp.example; Mon, 23 Nov\r\n");
    d = diag_msg(m, &o);
    assert_string_equal(d->mail_from, "");
    assert_string_equal(d->helo, "mta1.esp.example");
    assert_string_equal(d->mail_from_domain, "mta1.esp.example");
    mxd_diagnosis_free(d);
    free(m);
    /* a Return-Path cut by a quoted-printable soft break is no envelope; the next source is */
    m = esp_bounce("", "Return-Path: automated-bounces+FF00@email.e=\r\n"
                       "Authentication-Results: mx; spf=pass smtp.mailfrom=a@ar.example\r\n");
    d = diag_msg(m, NULL);
    assert_string_equal(d->mail_from, "a@ar.example");
    mxd_diagnosis_free(d);
    free(m);
    /* Gmail names the domain it checked SPF for: the envelope domain */
    o.ip = NULL;
    o.domain = "brand.example";
    d = reply("550-5.7.26 This mail has been blocked because the sender is unauthenticated.\n"
              "550-5.7.26  DKIM = did not pass\n"
              "550-5.7.26  SPF [bounces.esp.example] with ip: [198.51.100.7] = did not pass\n"
              "550 5.7.26 https://support.google.com/mail/answer/81126 - gsmtp",
              &o);
    assert_string_equal(d->mail_from, "bounces.esp.example");
    assert_string_equal(d->mail_from_domain, "bounces.esp.example");
    assert_string_equal(d->sender_domain, "brand.example");
    mxd_diagnosis_free(d);
    /* no envelope anywhere: the From domain stands in, and says it is assumed */
    m = esp_bounce("", "");
    d = diag_msg(m, NULL);
    assert_null(d->mail_from);
    assert_string_equal(d->mail_from_domain, "brand.example");
    assert_string_equal(d->mail_from_domain_from, DIAG_MAIL_FROM_ASSUMED);
    mxd_diagnosis_free(d);
    free(m);
}

static void test_selector_of_aligned_signer(void **state)
{
    (void)state;
    /* the signature aligned with From gives the selector and the domain its key is under */
    char *m =
        esp_bounce("", "DKIM-Signature: v=1; d=esp.example; s=s1; bh=x; b=y\r\n"
                       "DKIM-Signature: v=1; d=mail.brand.example;\r\n  s=esp1; bh=x; b=y\r\n");
    mxd_diagnosis *d = diag_msg(m, NULL);
    assert_int_equal(d->ndkim_signers, 2);
    assert_string_equal(d->dkim_selector, "esp1");
    assert_string_equal(d->dkim_domain, "mail.brand.example");
    mxd_diagnosis_free(d);
    free(m);
}

static void test_mailbox(void **state)
{
    (void)state;
    char out[64];
    assert_true(diag_mailbox("<a@b.example>", 13, out, sizeof out));
    assert_string_equal(out, "a@b.example");
    assert_true(diag_mailbox("<>", 2, out, sizeof out));
    assert_string_equal(out, "");
    assert_true(diag_mailbox("rfc822; x+y@z.example", 21, out, sizeof out));
    assert_string_equal(out, "x+y@z.example");
    assert_true(diag_mailbox("\"News\" <n@brand.example>", 24, out, sizeof out));
    assert_string_equal(out, "n@brand.example");
    assert_false(diag_mailbox("MAILER-DAEMON", 13, out, sizeof out));
    assert_false(diag_mailbox("<no-at-sign>", 12, out, sizeof out));
    assert_false(diag_mailbox("<a@b.example", 12, out, sizeof out));
    assert_true(diag_mail_from_valid("bounces@esp.example"));
    assert_true(diag_mail_from_valid("esp.example"));
    assert_false(diag_mail_from_valid("a b@esp.example"));
    assert_false(diag_mail_from_valid("@esp.example"));
    assert_false(diag_mail_from_valid("nodot"));
}

static void test_aligned_relaxed_strict(void **state)
{
    (void)state;
    /* relaxed: the same organisational domain, subdomains either side */
    assert_true(diag_aligned("brand.example", "mail.brand.example", 0));
    assert_true(diag_aligned("news.brand.example", "bounces.brand.example", 0));
    assert_true(diag_aligned("BRAND.example", "brand.example.", 1));
    /* strict: the same name only */
    assert_false(diag_aligned("brand.example", "mail.brand.example", 1));
    /* different organisations, also under a multi-label public suffix */
    assert_false(diag_aligned("brand.example", "bounces.esp.example", 0));
    assert_true(diag_aligned("news.brand.co.uk", "bounces.brand.co.uk", 0));
    assert_false(diag_aligned("brand.co.uk", "esp.co.uk", 0));
    assert_false(diag_aligned("brand.example", NULL, 0));
}

static mxd_diag_check *verdict(const diag_auth *a)
{
    mxd_diag_check *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->name = "dmarc";
    assert_int_equal(diag_dmarc_verdict(a, c), MXD_OK);
    assert_non_null(c->summary);
    return c;
}

static int has_finding(const mxd_diag_check *c, const char *s)
{
    for (size_t i = 0; i < c->nfindings; i++)
        if (strstr(c->findings[i], s))
            return 1;
    return 0;
}

static void verdict_free(mxd_diag_check *c)
{
    free(c->summary);
    for (size_t i = 0; i < c->nfindings; i++)
        free(c->findings[i]);
    free(c->findings);
    free(c);
}

static void test_dmarc_verdict(void **state)
{
    (void)state;
    const char *esp[] = {"esp.example"};
    const char *brand[] = {"esp.example", "brand.example"};
    const char *sub[] = {"mail.brand.example"};
    diag_auth a = {.from_domain = "brand.example",
                   .mail_from_domain = "bounces.esp.example",
                   .spf = MXD_SPF_PASS,
                   .signers = esp,
                   .nsigners = 1,
                   .signers_known = 1,
                   .policy = "reject",
                   .record_domain = "brand.example"};
    /* the ESP case: SPF passes, but for the ESP's domain; DKIM is the ESP's: fail, with both
     * fixes */
    mxd_diag_check *c = verdict(&a);
    assert_int_equal(c->state, MXD_CHECK_FAIL);
    assert_true(has_finding(c, "does not align with the From domain brand.example"));
    assert_true(has_finding(c, "custom return-path"));
    assert_true(has_finding(c, "sign with d=brand.example"));
    verdict_free(c);
    /* not signed at all */
    a.nsigners = 0;
    c = verdict(&a);
    assert_int_equal(c->state, MXD_CHECK_FAIL);
    assert_true(has_finding(c, "carries no DKIM signature"));
    verdict_free(c);
    /* a DKIM signature of the From domain aligns */
    a.signers = brand;
    a.nsigners = 2;
    c = verdict(&a);
    assert_int_equal(c->state, MXD_CHECK_PASS);
    assert_non_null(strstr(c->summary, "DKIM d=brand.example aligns"));
    verdict_free(c);
    /* ... and a subdomain signer in relaxed mode, not in strict */
    a.signers = sub;
    a.nsigners = 1;
    c = verdict(&a);
    assert_int_equal(c->state, MXD_CHECK_PASS);
    verdict_free(c);
    a.adkim_strict = 1;
    c = verdict(&a);
    assert_int_equal(c->state, MXD_CHECK_FAIL);
    assert_true(has_finding(c, "adkim=s"));
    verdict_free(c);
    /* a custom return-path under the From domain: SPF aligns relaxed, not strict */
    a.signers = esp;
    a.mail_from_domain = "bounces.brand.example";
    c = verdict(&a);
    assert_int_equal(c->state, MXD_CHECK_PASS);
    assert_non_null(strstr(c->summary, "aligned (aspf=r)"));
    verdict_free(c);
    a.aspf_strict = 1;
    c = verdict(&a);
    assert_int_equal(c->state, MXD_CHECK_FAIL);
    assert_true(has_finding(c, "aspf=s"));
    verdict_free(c);
    a.aspf_strict = 0;
    /* aligned but SPF fails: no aligned pass */
    a.spf = MXD_SPF_FAIL;
    c = verdict(&a);
    assert_int_equal(c->state, MXD_CHECK_FAIL);
    assert_true(has_finding(c, "gives fail, not pass"));
    verdict_free(c);
    /* SPF could not be evaluated, or the signatures are not known: unchecked, never fail */
    a.spf = -1;
    c = verdict(&a);
    assert_int_equal(c->state, MXD_CHECK_UNCHECKED);
    verdict_free(c);
    a.spf = MXD_SPF_PASS;
    a.mail_from_domain = "bounces.esp.example";
    a.signers_known = 0;
    a.nsigners = 0;
    c = verdict(&a);
    assert_int_equal(c->state, MXD_CHECK_UNCHECKED);
    assert_true(has_finding(c, "DKIM alignment not known"));
    verdict_free(c);
    /* the envelope only assumed to be the From domain: a pass says so, a miss is unchecked */
    a.signers_known = 1;
    a.mail_from_domain = "brand.example";
    a.mail_from_assumed = 1;
    c = verdict(&a);
    assert_int_equal(c->state, MXD_CHECK_PASS);
    assert_non_null(strstr(c->summary, "if the envelope sender is in brand.example"));
    verdict_free(c);
    a.spf = MXD_SPF_FAIL;
    c = verdict(&a);
    assert_int_equal(c->state, MXD_CHECK_UNCHECKED);
    assert_true(has_finding(c, "--mail-from"));
    verdict_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_playbook_by_rule),
        cmocka_unit_test(test_huge_reply_quoted_in_request),
        cmocka_unit_test(test_recipient_family_has_no_sender_checks),
        cmocka_unit_test(test_missing_facts_are_skipped_not_passed),
        cmocka_unit_test(test_throttling_is_temporary_without_request),
        cmocka_unit_test(test_facts_from_message),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_provider_own_ip),
        cmocka_unit_test(test_every_playbook_resolves),
        cmocka_unit_test(test_envelope_from_return_path),
        cmocka_unit_test(test_envelope_sources_in_order),
        cmocka_unit_test(test_own_verdict_carried),
        cmocka_unit_test(test_selector_of_aligned_signer),
        cmocka_unit_test(test_mailbox),
        cmocka_unit_test(test_aligned_relaxed_strict),
        cmocka_unit_test(test_dmarc_verdict),
        cmocka_unit_test(test_every_playbook_reachable),
    };
    return cmocka_run_group_tests(tests, kb_setup, kb_teardown);
}
