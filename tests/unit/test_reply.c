/* test_reply.c - unit tests for lib/classify/reply.c: the sending IP a reply names
 * SPDX-License-Identifier: MIT
 *
 * The sending IP is the client the reply refuses ("Client host [IP]", "messages from IP",
 * "Missing reverse DNS for IP", Gmail's "[IP]" after the status ...), never the address of
 * the remote server written beside its name ("host NAME[IP] said:", "NAME [IP] did not like",
 * "Connected to IP but"). The table holds real reply texts of every MTA and provider of the
 * shared bounce corpus (../shared/corpus/bounces, file named in each comment) with the IP
 * they name, or NULL when they name none: no IP is better than a wrong one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "classify/reply.h"
#include "util/cidr.h"
#include "util/str.h"
#include "random_helper.h"

typedef struct ip_case {
    const char *text;
    const char *ip; /* NULL: the text names no sending IP */
} ip_case;

static const ip_case cases[] = {
    /* arf-16.eml (ARF) */
    {"This is a Example email abuse report for an email message received from IP 192.0.2.1 on Thu, "
     "29 Apr 2015 23:34:45 +0000",
     "192.0.2.1"},
    /* arf-25.eml (ARF, Rackspace) */
    {"This is a Rackspace Abuse Report for an email message received from domain example.com, IP "
     "10.0.0.1, on Sat, 31 Oct 2020 18:02:57 +0000.",
     "10.0.0.1"},
    /* lhost-amazonses-14.eml (Postfix client reject via SES) */
    {"554 5.7.1 <a8-95.smtp-out.amazonses.com[203.0.113.22]>: Client host rejected: blocked using "
     "mail.neko.example.org; Please see http://mail.neko.example.org/rbl/?ip=203.0.113.22 to send.",
     "203.0.113.22"},
    /* lhost-amazonses-15.eml */
    {"554 5.7.1 <e22-33.smtp-out.amazonses.com[192.0.2.127]>: Client host rejected: blocked using "
     "mail.neko.example.com; Please see http://mail.neko.example.com/rbl/?ip=192.0.2.127 to send.",
     "192.0.2.127"},
    /* lhost-dragonfly-01.eml (DragonFly, Gmail) */
    {"There was an error delivering your mail to <pseudo-local-part@google.example.com>. "
     "gmail-smtp-in.l.google.com [74.125.203.27] did not like our final DATA: 550-5.7.26 "
     "Unauthenticated email from example.jp is not accepted due to domain's 550-5.7.26 DMARC "
     "policy. 98e67ed59e1d1-2c2d0e28189si6418580a91.13 - gsmtp",
     NULL},
    /* lhost-dragonfly-03.eml (DragonFly, Yahoo) */
    {"There was an error delivering your mail to <pseudo-local-part@yahoo-inc.example.com>. "
     "mta5.am0.yahoodns.net [67.195.204.79] did not like our final DATA: 554 5.7.9 Message not "
     "accepted for policy reasons. See https://senders.yahooinc.com/error-codes",
     NULL},
    /* lhost-dragonfly-05.eml */
    {"There was an error delivering your mail to <authfailure@libsisimai.net>. "
     "mail-inbound.libsisimai.net [192.0.2.25] did not like our RCPT TO: 550 5.7.26 "
     "<authfailure@libsisimai.net>: Recipient address rejected: Multiple authentication checks "
     "failed",
     NULL},
    /* lhost-dragonfly-26.eml */
    {"There was an error delivering your mail to <userunknown@example.org>. mbox.example.org "
     "[192.0.2.25] did not like our RCPT TO: 550 5.1.1 <userunknown@example.org>: Recipient "
     "address rejected: User unknown",
     NULL},
    /* lhost-exim-03.eml (Exim) */
    {"SMTP error from remote mail server after end of data: host mx.example.jp [192.0.2.20]: 554 "
     "5.7.0 Header error",
     NULL},
    /* lhost-exim-05.eml */
    {"SMTP error from remote mailer after RCPT TO: <kijitora@neko.example.co.jp>: host "
     "mx49.neko.example.co.jp [192.0.2.82]: 553 5.1.1 unknown or illegal user: "
     "kijitora@neko.example.co.jp",
     NULL},
    /* lhost-exim-29.eml */
    {"550 Bad SPF records for [example.org:192.0.2.2], see http://spf.pobox.com/", NULL},
    /* lhost-exim-36.eml */
    {"host mail.example.edu [192.0.2.222] SMTP error from remote mail server after MAIL "
     "FROM:<sironeko-nyaan@neko.example.com> SIZE=1024: 550 Unroutable sender address",
     NULL},
    /* lhost-exim-42.eml */
    {"host mx1.example.net [192.0.2.222] SMTP error from remote mail server after MAIL "
     "FROM:<sironeko-nyaan@neko.example.com> SIZE=1024: 554 5.7.1 Reverse DNS lookup for host "
     "203.0.113.22 failed permanently.",
     "203.0.113.22"},
    /* lhost-exim-46.eml (issue 10 item 1) */
    {"host mx.nyaan.example.com [192.0.2.222] SMTP error from remote mail server after initial "
     "connection: 554 5.7.1 [C14] Missing reverse DNS for 203.0.113.2",
     "203.0.113.2"},
    /* lhost-exim-48.eml */
    {"550 5.7.1 Connections not accepted from servers without a valid sender domain.neko Fix "
     "reverse DNS for 203.0.113.22",
     "203.0.113.22"},
    /* lhost-exim-50.eml */
    {"host nekonyaan.example.com [203.0.113.22] SMTP error from remote mail server after MAIL "
     "FROM:<sironeko-nyaan@neko.example.com>: 550 5.1.7 No such domain neko.example.com.",
     NULL},
    /* lhost-exim-54.eml */
    {"SMTP error from remote mail server after MAIL FROM:<sironeko@example.com> SIZE=222: host "
     "mx4.example.org [192.0.2.22]: 550 NN-222 (NEKO-CAT-222) Unfortunately, messages from "
     "203.0.113.2 weren't sent. Please contact your Internet service provider since part of their "
     "network is on our block list.",
     "203.0.113.2"},
    /* lhost-exim-55.eml */
    {"SMTP error from remote mail server after end of data: host neko.nyaan.example.com "
     "[192.0.2.222]: 554 5.7.0 Reject, id=22222-22 NekoNyaan-2y:2 - SPAM. See "
     "http://neko.nyaan.example.com/block",
     NULL},
    /* lhost-exim-56.eml */
    {"SMTP error from remote mail server after initial connection: host email-22.example.net "
     "[192.0.2.222]: 554 neko-22.nyaan.r.example.net : CAT : neko22 : CAT : You've reached your "
     "daily relay quota - 203.0.113.0",
     NULL},
    /* lhost-exim-58.eml */
    {"(ultimately generated from nyaan@example.com) SMTP error from remote mail server after end "
     "of data: host neko2.example.de [192.0.2.222]: 500 Line limit exceeded",
     NULL},
    /* lhost-ezweb-08.eml (au EZweb, Outlook.com) */
    {"Each of the following recipients was rejected by a remote mail server. Recipient: < MAIL "
     "FROM:<neko-nyaan@example.org> <<< 550 SC-004 (COL0-MC1-F1) Unfortunately, messages from "
     "111.86.156.22 weren't sent. We recommend that you contact your Internet service provider.",
     "111.86.156.22"},
    /* lhost-gmail-09.eml (Gmail as the sender) */
    {"Technical details of temporary failure: The recipient server did not accept our requests to "
     "connect. Learn more at http://support.google.com/mail/bin/answer.py?answer=7720 [(0) "
     "9jo.example.jp. [192.0.2.135]:25: socket error]",
     NULL},
    /* lhost-gmail-15.eml */
    {"Technical details of permanent failure: The recipient server did not accept our requests to "
     "connect. Learn more at https://support.google.com/mail/answer/7720 [libsisimai.org "
     "192.30.252.153: socket error] [libsisimai.org 192.30.252.154: socket error]",
     NULL},
    /* lhost-imailserver-06.eml (IMail; Exim ACL notation H=) */
    {"undeliverable to kijitora@example.jp Body of message generated response: 550-REJECTED - "
     "Blacklisted URL in message. (example.com) in [black]. 550-See http://lookup.uribl.com. - "
     "Blacklisted Link - X=pascal 550-H=mail.example.com [192.0.2.11] HELO=[mail.example.com] "
     "550-F=[shironeko@neko.example.com] T=[kijitora@example.jp]",
     "192.0.2.11"},
    /* lhost-mailfoundry-01.eml (MailFoundry) */
    {"Unable to deliver message to: <kijitora@example.org> Delivery failed for the following "
     "reason: Server mx22.example.org[192.0.2.222] failed with: 550 <kijitora@example.org> No such "
     "user here",
     NULL},
    /* lhost-mailru-07.eml (Mail.ru, KDDI) */
    {"SMTP error from remote mail server after end of data: host lsean.ezweb.ne.jp "
     "[27.85.176.228]: 550 : User unknown",
     NULL},
    /* lhost-postfix-08.eml (Postfix) */
    {"connect to example.com[93.184.216.119]: Connection timed out", NULL},
    /* lhost-postfix-28.eml (Postfix, Gmail; the bracketed address is not a valid IPv6) */
    {"host gmail-smtp-in.l.google.com[2404:6800:4008:c05::1a] said: 550-5.7.1 "
     "[2401:2500:102:3032:192.0.2.222 13] Messages with multiple 550 5.7.1 addresses in From: "
     "header are not accepted. v14si1155795plk.134 - gsmtp (in reply to end of DATA command)",
     NULL},
    /* lhost-postfix-44.eml (a loopback address is never ours on the Internet) */
    {"host nyaan.example.jp[192.0.2.2] said: 501 Rcpt-To validation failed: RCPT TO not accepted: "
     "5.7.1 This system is not configured to relay mail (r) from <nekonyaans@p2.example.com> to "
     "<kijitora@example.jp> for 127.0.0.1 (in reply to RCPT TO command)",
     NULL},
    /* lhost-postfix-50.eml */
    {"delivery temporarily suspended: host mfsmax.example.net[203.0.113.127] refused to talk to "
     "me: 421 Service not available, closing transmission channel",
     NULL},
    /* lhost-postfix-75.eml (a transcript: XFORWARD ADDR is a client of the far side) */
    {"Transcript of session follows. Out: 220 mx22.example.com ESMTP MAIL SYSTEM In: EHLO "
     "mx22.example.com Out: 250-mx22.example.com Out: 250 CHUNKING In: XFORWARD "
     "NAME=neko2-nyaan3.y.example.co.jp ADDR=230.0.113.2 PORT=53672 Out: 250 2.0.0 Ok",
     NULL},
    /* lhost-postfix-03.eml */
    {"<kijitora@example.net>: host mail.example.net[192.0.2.78] said: 550 Unknown user "
     "kijitora@example.net (in reply to end of DATA command)",
     NULL},
    /* lhost-postfix-09.eml */
    {"<kijitora@example.ne.jp>: host mgate02.dti.ne.jp[202.216.228.55] said: 452 4.3.2 Connection "
     "rate limit exceeded. (in reply to MAIL FROM command)",
     NULL},
    /* lhost-postfix-30.eml (Postfix, Microsoft 365) */
    {"host here-redacted-br.mail.protection.outlook.com[207.46.163.74] said: 550 5.4.1 "
     "<kijitora@example.br>: Recipient address rejected: Access denied "
     "[BL2NAM02FT061.eop-nam02.prod.protection.outlook.com] (in reply to RCPT TO command)",
     NULL},
    /* lhost-postfix-65.eml (Postfix, SendGrid) */
    {"<nyaan@example.org>: host smtp.sendgrid.net[169.38.103.42] said: 550 Unauthenticated senders "
     "not allowed (in reply to MAIL FROM command)",
     NULL},
    /* lhost-postfix-77.eml (Postfix, Amazon SES) */
    {"host email-smtp.ap-northeast-1.amazonaws.com[203.0.113.2] said: 554 Message rejected: Email "
     "address is not verified. The following identities failed the check in region AP-NORTHEAST-1: "
     "nekochan@example.jp (in reply to end of DATA command)",
     NULL},
    /* rfc3464-03.eml (Postfix names an unnamed host by its address) */
    {"<kijitora@example.com>: host 192.0.2.2[192.0.2.2] said: 554 Mail from nekonyaan@example.net "
     "rejected for policy reasons. (in reply to MAIL FROM command)",
     NULL},
    /* lhost-qmail-04.eml (qmail) */
    {"Connected to 192.0.2.112 but my name was rejected. Remote host said: 501 5.0.0 Invalid "
     "domain name",
     NULL},
    /* lhost-qmail-06.eml */
    {"192.0.2.135 does not like recipient. Remote host said: 450 4.2.2 <kijitora@example.jp>... "
     "Mailbox Full Giving up on 192.0.2.135.",
     NULL},
    /* lhost-qmail-19.eml (qmail, Yahoo) */
    {"Connected to 98.136.96.74 but sender was rejected. Remote host said: 421 4.7.0 [TSS04] "
     "Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user complaints - "
     "4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
     "192.0.2.25"},
    /* lhost-qmail-22.eml (qmail, Outlook.com) */
    {"From: <postmaster@email.example.jp> RCPT: <pseudo-local-part-of-each-esp@outlook.com> "
     "52.101.68.13 failed after I sent the message. Remote host said: 550 5.7.509 Access denied, "
     "sending domain [EMAIL.EXAMPLE.JP] does not pass DMARC verification and has a DMARC policy of "
     "reject.",
     NULL},
    /* lhost-v5sendmail-07.eml (Sendmail V5) */
    {"501 <shironeko@example.co.jp>... no access from mail server [192.0.2.55] which is an open "
     "relay. Remote protocol error",
     "192.0.2.55"},
    /* lhost-x2-03.eml (X2) */
    {"unable to connect to remote server [192.0.2.222:25]: Operation timed out I'm not going to "
     "try again; this message has been in the queue too long.",
     NULL},
    /* rfc3464-34.eml */
    {"connect to nyaan.example.com[192.0.2.2]:25: No route to host", NULL},
    /* rhost-franceptt-06.eml (Orange) */
    {"550 mwinf5c04 ME Adresse IP source bloquee pour incident de spam. Client host blocked for "
     "spamming issues. OFR006_102 Ref http://csi.cloudmark.com/reset-request/?ip=10.0.0.1 [102]",
     "10.0.0.1"},
    /* rhost-franceptt-08.eml (Orange) */
    {"<xxxx@wanadoo.fr>: host smtp-in.orange.fr[80.12.242.9] said: 421 4.2.0 Service refuse. "
     "Veuillez essayer plus tard. Service refused, please try later. OFR005_505 [505] (in reply to "
     "end of DATA command)",
     NULL},
    /* rhost-godaddy-03.eml (GoDaddy) */
    {"<kijitora@example.com>: host smtp.secureserver.net[72.167.238.29] said: 550 5.1.1 "
     "<kijitora@example.com> - 198.51.100.225 has sent to too many recipients this hour. IB607 "
     "<http://x.co/rlbounce> (in reply to RCPT TO command)",
     "198.51.100.225"},
    /* rhost-google-04.eml (Gmail) */
    {"host gmail-smtp-in.l.google.com[64.233.187.27] said: 550-5.7.26 This mail has been blocked "
     "because the sender is unauthenticated. 550-5.7.26 Gmail requires all senders to authenticate "
     "with either SPF or DKIM. 550-5.7.26 Authentication results: 550-5.7.26 DKIM = did not pass "
     "550-5.7.26 SPF [relay3.example.com] with ip: [192.0.2.22] = did not pass",
     "192.0.2.22"},
    /* rhost-google-06.eml (Gmail) */
    {"host gmail-smtp-in.l.google.com[142.251.170.27] said: 550-5.7.25 [192.0.2.202] The IP "
     "address sending this message does not have a 550-5.7.25 PTR record setup, or the "
     "corresponding forward DNS entry does not 550-5.7.25 point to the sending IP.",
     "192.0.2.202"},
    /* rhost-yahooinc-02.eml (Postfix, Yahoo) */
    {"<kijitora@y.example.ca>: host mta6.am0.yahoodns.net[67.195.204.72] said: 421 4.7.0 [TSS04] "
     "Messages from 192.0.2.192 temporarily deferred due to unexpected volume or user complaints - "
     "4.16.55.1; see https://postmaster.verizonmedia.com/error-codes (in reply to MAIL FROM "
     "command)",
     "192.0.2.192"},
    /* rhost-mimecast-02.eml (Mimecast) */
    {"<kijitora@sample.co.uk>: host service222.mimecast.com[91.220.42.51] said: 554 email rejected "
     "due to security policies - MCSpamSignature.sa.2.2 (in reply to end of DATA command)",
     NULL},
    /* rhost-tencent-03.eml (Tencent) */
    {"<neko@qq.example.cn>: host mx3.qq.com[103.7.30.40] said: 550 DMARC check failed. "
     "http://service.mail.qq.com/cgi-bin/help?subtype=1&&no=1001508&&id=16. (in reply to end of "
     "DATA command)",
     NULL},
    /* rhost-apple-04.eml (iCloud) */
    {"<pseudo-local-part-of-icloud@icloud.com>: host mx1.mail.icloud.com[17.172.34.9] said: 550 "
     "5.1.1 <pseudo-local-part-of-icloud@icloud.com>: inactive email address (in reply to RCPT TO "
     "command)",
     NULL},
    /* tests/cli/cases/explain-ms-4.7.650 (Microsoft 365) */
    {"451 4.7.650 The mail server [203.0.113.5] has been temporarily rate limited due to IP "
     "reputation. For e-mail delivery information, see https://postmaster.live.com (S775) "
     "[BN1NAM02FT052.eop-nam02.prod.protection.outlook.com]",
     "203.0.113.5"},
    /* tests/unit/test_diagnose.c (Microsoft 365 5.7.606) */
    {"550 5.7.606 Access denied, banned sending IP [203.0.113.5]. To request removal from this "
     "list please visit https://sender.office.com/",
     "203.0.113.5"},
    /* Gmail's count form (data/rules-google.txt) */
    {"421-4.7.28 [192.0.2.1 15] Our system has detected an unusual rate of unsolicited mail "
     "originating from your IP address.",
     "192.0.2.1"},
    /* Postfix host name behind the address */
    {"host mx.example.net[192.0.2.7] said: 554 5.7.1 Service unavailable; Client host "
     "[203.0.113.5] blocked using zen.spamhaus.org",
     "203.0.113.5"},
    /* Exim DNSBL ACL */
    {"550 Rejected because 2001:db8::25 is in a black list at zen.spamhaus.org", "2001:db8::25"},
};

static void test_table(void **state)
{
    (void)state;
    size_t bad = 0, with_ip = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const ip_case *c = &cases[i];
        with_ip += c->ip != NULL;
        /* reply_parse() (explain, diagnose) and reply_rhost_ip() (bounce) agree */
        reply_parts rp;
        assert_int_equal(reply_parse(c->text, strlen(c->text), &rp), MXD_OK);
        char *ip = NULL;
        reply_rhost_ip(c->text, strlen(c->text), NULL, &ip);
        const char *got[2] = {rp.sending_ip, ip};
        for (int k = 0; k < 2; k++)
            if ((c->ip == NULL) != (got[k] == NULL) || (c->ip && strcmp(c->ip, got[k]))) {
                print_error("case %zu (%s): want %s, got %s\n  %s\n", i,
                            k ? "reply_rhost_ip" : "reply_parse", c->ip ? c->ip : "none",
                            got[k] ? got[k] : "none", c->text);
                bad++;
            }
        free(ip);
        reply_free(&rp);
    }
    assert_true(sizeof cases / sizeof *cases >= 40);
    assert_true(with_ip >= 15);
    assert_int_equal(bad, 0);
}

/* The reply code and status: "550: 5.1.1" (Yahoo's notices) is a code and a status; a colon
 * after three digits without a status of the code's class is neither ("Error 550: denied",
 * "550: 4.1.1"). */
static void test_code_colon(void **state)
{
    (void)state;
    static const struct {
        const char *text, *code, *status;
    } c[] = {
        {"550: 5.1.1 <a@example.net>: Recipient address rejected: User unknown", "550", "5.1.1"},
        {"Error 550: access denied", "", ""},
        {"550: 4.1.1 odd", "", ""},
        {"550 5.7.1 blocked", "550", "5.7.1"},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        reply_parts rp;
        assert_int_equal(reply_parse(c[i].text, strlen(c[i].text), &rp), MXD_OK);
        if (strcmp(rp.code, c[i].code) || (c[i].status[0] && strcmp(rp.status, c[i].status)))
            fail_msg("%s: code %s status %s", c[i].text, rp.code, rp.status);
        reply_free(&rp);
    }
}

/* multi-line replies are joined first: Gmail's bracket after a continuation line */
static void test_multiline(void **state)
{
    (void)state;
    static const char t[] = "550-5.7.25 [192.0.2.202] The IP address sending this message does "
                            "not have a\r\n550-5.7.25 PTR record setup\r\n550 5.7.25 gsmtp";
    reply_parts rp;
    assert_int_equal(reply_parse(t, sizeof t - 1, &rp), MXD_OK);
    assert_non_null(rp.sending_ip);
    assert_string_equal(rp.sending_ip, "192.0.2.202");
    reply_free(&rp);
    /* the same reply joined into one line by the MTA that reports it (a DSN's Diagnostic-Code,
     * behind Exim's wrapper words): its markers inside the text go too, so its wording reads
     * as one sentence; a "550 " that is not the reply's own marker stays */
    static const struct {
        const char *in, *out;
    } joined[] = {
        {"550-5.2.1 The user you are trying to contact is receiving mail at a rate that "
         "550-5.2.1 prevents additional messages from being delivered. 550 5.2.1 gsmtp",
         "550-5.2.1 The user you are trying to contact is receiving mail at a rate that prevents "
         "additional messages from being delivered. gsmtp"},
        {"SMTP error from remote mail server after RCPT TO:<a@example.com>: 550-5.7.1 an unusual "
         "rate of 550-5.7.1 unsolicited mail",
         "SMTP error from remote mail server after RCPT TO:<a@example.com>: 550-5.7.1 an unusual "
         "rate of unsolicited mail"},
        {"550-5.7.1 we answered 550 5.7.2 to that", "550-5.7.1 we answered 550 5.7.2 to that"},
        {"550 5.7.1 we answered 550-x to that", "550 5.7.1 we answered 550-x to that"},
        {"550-5.7.1 call 550-0199 550-5.7.1 for help", "550-5.7.1 call 550-0199 for help"},
    };
    /* a line that ends inside a marker's status, the buffer not NUL-terminated: nothing is
     * read past it (ASan) */
    static const char cut[] = "550-5.2.1 The user is over quota 550-5.2";
    char *nt = malloc(sizeof cut - 1);
    assert_non_null(nt);
    memcpy(nt, cut, sizeof cut - 1);
    assert_int_equal(reply_parse(nt, sizeof cut - 1, &rp), MXD_OK);
    reply_free(&rp);
    free(nt);
    for (size_t i = 0; i < sizeof joined / sizeof *joined; i++) {
        assert_int_equal(reply_parse(joined[i].in, strlen(joined[i].in), &rp), MXD_OK);
        assert_string_equal(rp.text, joined[i].out);
        reply_free(&rp);
    }
}

/* whatever the text, an answer is an address written in it that a server could connect from */
static void check_random(const char *t, size_t len)
{
    char *ip = NULL;
    reply_rhost_ip(t, len, NULL, &ip);
    if (!ip)
        return;
    size_t il = strlen(ip);
    cidr_addr a;
    if (!str_find(t, len, ip, il) || cidr_parse_ip(ip, il, &a) || cidr_not_routable(&a))
        fail_msg("'%.*s': got %s", (int)len, t, ip);
    free(ip);
}

static void test_random(void **state)
{
    (void)state;
    /* pieces that make runs, IPs, host names and client words meet often */
    static const char *const parts[] = {
        "192.0.2.1", "10.0.0.",    "2001:db8::",  ":",          ".",    "ab",  "mx.ex", "[",
        "]",         " ",          "ip ",         "from ",      "-",    "f00", "9",     "host",
        "127.0.0.1", " is listed", "client host", "550-5.7.1 ", " 15]", "H="};
    unsigned seed = 99;
    char t[160];
    for (int n = 0; n < 20000; n++) {
        size_t len = random_pieces(parts, sizeof parts / sizeof *parts, 16, &seed, t, sizeof t);
        check_random(t, len);
    }
}

/* plain_binary - reply.c's looks_binary() written the plain way: a NUL, or over 5% of the
 * bytes control characters (not tab, CR, LF) or DEL. */
static int plain_binary(const unsigned char *s, size_t len)
{
    size_t ctl = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == 0)
            return 1;
        ctl += (s[i] < 32 && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') || s[i] == 0x7f;
    }
    return ctl * 20 > len;
}

/* the binary test reads eight bytes at a time: control bytes, DEL and NUL at every offset,
 * near the 5% line, and 8-bit bytes (not control characters), agree with the plain loop */
static void test_binary(void **state)
{
    (void)state;
    static const unsigned char alpha[] = {'a',  ' ',  '5',  '.',  '\n', '\r', '\t', 0x1f,
                                          0x7f, 0x80, 0xff, 0x20, 0x7e, 0x01, 0x00, 0x9f};
    unsigned seed = 4242;
    unsigned char t[200];
    for (int n = 0; n < 50000; n++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = 1 + (seed >> 16) % sizeof t;
        seed = seed * 1103515245u + 12345u;
        unsigned rare = 1 + (seed >> 16) % 40; /* one byte in rare is drawn from all of alpha */
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 16;
            t[i] = r % rare ? (unsigned char)('a' + r % 26) : alpha[(r / 64) % sizeof alpha];
        }
        t[0] = 'x'; /* (a text of blanks only is MXD_ERR_EMPTY) */
        reply_parts rp;
        mxd_err e = reply_parse((const char *)t, len, &rp);
        if ((e == MXD_ERR_BINARY) != plain_binary(t, len))
            fail_msg("text %d (%zu bytes): binary %d, want %d", n, len, e == MXD_ERR_BINARY,
                     plain_binary(t, len));
        if (!e)
            reply_free(&rp);
    }
}

/* the wrappers taken off: each HTML marker in any case, at the end of the text and not, a '<'
 * that starts none; the Exchange and Gmail phrases (which all say "server") in any case */
static void test_unwrap(void **state)
{
    (void)state;
    static const struct {
        const char *text, *wrapper; /* wrapper NULL: none */
    } wraps[] = {
        {"<html><body>550 5.1.1 User unknown</body></html>", "HTML"},
        {"550 5.1.1 <bob@example.org>: User unknown", NULL},
        {"550 User unknown<BR>", "HTML"},
        {"550 User unknown <Br/> more", "HTML"},
        {"<P>550 User unknown</P>", "HTML"},
        {"<p class=x>550 User unknown", "HTML"},
        {"550 User unknown <p", NULL},
        {"550 User unknown <", NULL},
        {"550 <x> <y> <DIV>User unknown", "HTML"},
        {"550 User unknown <TD>", "HTML"},
        {"550 User unknown <b>", NULL},
        {"<<<<br", "HTML"},
        {"Remote Server returned '550 5.1.1 User unknown'", "Exchange 'Remote Server returned'"},
        {"REMOTE SERVER RETURNED '550 5.1.1 User unknown'", "Exchange 'Remote Server returned'"},
        {"Remote Server returned ''", NULL},
        {"Diagnostic information for administrators: 550 5.1.1 User unknown",
         "Exchange 'Diagnostic information for administrators'"},
        {"The error that the other server returned was: 550 5.1.1 User unknown",
         "Gmail 'The error that the other server returned was'"},
        {"The response from the remote SERVER was: 550 5.1.1 User unknown",
         "Gmail 'The error that the other server returned was'"},
        {"The response from the remote serve was: 550 5.1.1 User unknown", NULL},
        {"550 5.1.1 server says User unknown", NULL},
    };
    for (size_t i = 0; i < sizeof wraps / sizeof *wraps; i++) {
        reply_parts rp;
        assert_int_equal(reply_parse(wraps[i].text, strlen(wraps[i].text), &rp), MXD_OK);
        const char *want = wraps[i].wrapper, *got = rp.wrapper;
        if ((want == NULL) != (got == NULL) || (want && strcmp(want, got)))
            fail_msg("'%s': wrapper %s, want %s", wraps[i].text, got ? got : "none",
                     want ? want : "none");
        reply_free(&rp);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),  cmocka_unit_test(test_multiline),
        cmocka_unit_test(test_random), cmocka_unit_test(test_binary),
        cmocka_unit_test(test_unwrap), cmocka_unit_test(test_code_colon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
