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
    mxd_diag_opts o = {"203.0.113.5", "example.com", NULL, NULL, 0};
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
    mxd_diag_opts o = {NULL, "example.com", NULL, NULL, 0};
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
    assert_non_null(strstr(j, "\"sending_ip\":{\"value\":\"203.0.113.9\""));
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
    mxd_diag_opts o = {"not-an-ip", NULL, NULL, NULL, 0};
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
                hit = str_glob_match(kb->rules[r].id, strlen(kb->rules[r].id), pb->match_rules[k]);
            if (!hit)
                fail_msg("playbook %s: match-rule %s matches no rule", pb->id, pb->match_rules[k]);
        }
    }
    assert_non_null(kb_find_playbook(kb, "ms365-5.7.708", NULL, NULL));
    assert_string_equal(kb_find_playbook(kb, "nope", "userunknown", NULL)->id, "recipient");
    assert_string_equal(kb_find_playbook(kb, NULL, NULL, "tenant")->id, "tenant-config");
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
            named = !strcmp(reach[k].playbook, kb->playbooks[i].id);
        if (!named)
            fail_msg("playbook %s: no reply in the test reaches it", kb->playbooks[i].id);
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
        cmocka_unit_test(test_every_playbook_reachable),
    };
    return cmocka_run_group_tests(tests, kb_setup, kb_teardown);
}
