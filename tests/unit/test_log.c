/* test_log.c - unit tests for lib/log: framing, journal records, the Postfix parser,
 * reassembly by queue ID, bounded memory, following a file through rotation
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log/log_internal.h"
#include "util/date.h"
#include "mxdiag/mxdiag.h"
#include "kb_helper.h"
#include "tmpdir_helper.h"

/* first - frame the first line of text with the given options. */
static mxd_log_input *open_text(const char *text, int year, long long ref)
{
    mxd_log_input_opts o = {0};
    o.year = year;
    o.ref_time = ref;
    mxd_log_input *in = NULL;
    assert_int_equal(mxd_log_input_open_mem(text, strlen(text), &o, &in), MXD_OK);
    return in;
}

static long long ymd(int y, unsigned m, unsigned d, int h, int mi, int s)
{
    return date_days_from_civil(y, m, d) * 86400LL + h * 3600 + mi * 60 + s;
}

static void test_3164_year_and_new_year(void **state)
{
    (void)state;
    mxd_log_input *in = open_text("Dec 31 23:59:59 mx postfix/smtp[12]: ABCDEF1234: removed\n"
                                  "Jan  1 00:00:01 mx postfix/qmgr[13]: hello\n"
                                  "Jan 01 00:00:02 mx postfix/qmgr: no pid\n",
                                  2026, 0);
    mxd_log_line l;
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_true(l.framed);
    assert_int_equal(l.time, ymd(2026, 12, 31, 23, 59, 59));
    assert_string_equal(l.host, "mx");
    assert_string_equal(l.prog, "postfix/smtp");
    assert_int_equal(l.pid, 12);
    assert_string_equal(l.msg, "ABCDEF1234: removed");
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_int_equal(l.time, ymd(2027, 1, 1, 0, 0, 1)); /* counted up at New Year */
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_int_equal(l.time, ymd(2027, 1, 1, 0, 0, 2)); /* zero-padded day (postlogd) */
    assert_int_equal(l.pid, -1);
    assert_string_equal(l.prog, "postfix/qmgr");
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_ERR_NOTFOUND);
    mxd_log_input_close(in);
}

static void test_3164_year_from_reference(void **state)
{
    (void)state;
    /* the file was last written on 2027-01-01 12:00: December is the year before */
    long long ref = ymd(2027, 1, 1, 12, 0, 0);
    mxd_log_input *in = open_text("Dec 31 23:00:00 mx postfix/smtp[1]: x\n"
                                  "Jan  1 01:00:00 mx postfix/smtp[1]: y\n",
                                  0, ref);
    mxd_log_line l;
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_int_equal(l.time, ymd(2026, 12, 31, 23, 0, 0));
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_int_equal(l.time, ymd(2027, 1, 1, 1, 0, 0));
    mxd_log_input_close(in);
}

static void test_3339_and_5424(void **state)
{
    (void)state;
    mxd_log_input *in = open_text(
        "2023-03-14T00:00:31.185246+01:00 helga postfix/postscreen[3163107]: CONNECT from x\n"
        "<22>1 2023-03-14T10:00:00Z mx.example.org postfix/smtp 4242 - [meta x=\"a\\]b\"] "
        "\xEF\xBB\xBF"
        "ABCDEF1234: removed\n"
        "<13>1 - - - - - -\n"
        "2023-03-14 10:00:00 10HmaX-000000005vi-0000 Completed\n",
        0, 1);
    mxd_log_line l;
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_int_equal(l.time, ymd(2023, 3, 13, 23, 0, 31));
    assert_int_equal(l.usec, 185246);
    assert_string_equal(l.prog, "postfix/postscreen");
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_true(l.framed);
    assert_int_equal(l.time, ymd(2023, 3, 14, 10, 0, 0));
    assert_string_equal(l.host, "mx.example.org");
    assert_string_equal(l.prog, "postfix/smtp");
    assert_int_equal(l.pid, 4242);
    assert_string_equal(l.msg, "ABCDEF1234: removed"); /* structured data and BOM skipped */
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_true(l.framed);
    assert_int_equal(l.time, 0);
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_true(l.framed); /* Exim's main log: no host, no program */
    assert_string_equal(l.prog, "exim");
    assert_string_equal(l.msg, "10HmaX-000000005vi-0000 Completed");
    mxd_log_input_close(in);
}

/* the shapes a log takes out of journalctl -o short-iso (ISO 8601's basic offset "+0100") and
 * out of containers: docker compose's "service-1  | " prefix, docker logs -t's own stamp before
 * the line's (the outer one has the year and the zone, and is kept) */
static void test_journal_iso_and_container_prefixes(void **state)
{
    (void)state;
    mxd_log_input *in =
        open_text("2023-03-14T00:00:31+0100 helga postfix/smtp[31]: ABCDEF1234: removed\n"
                  "2023-03-14T00:00:31.5-0130 helga postfix/smtp[31]: x\n"
                  "mail-1  | Mar 14 10:00:00 mx postfix/qmgr[13]: ABCDEF1234: removed\n"
                  "mail_1    | 2023-03-14T10:00:00.123456789Z mx postfix/smtp[7]: y\n"
                  "2023-03-14T09:59:58.000000001Z Mar 14 11:59:58 mx postfix/smtp[8]: z\n"
                  "mail-1  | 2023-03-14T09:59:59Z Mar 14 09:59:59 mx postfix/smtp[9]: w\n"
                  "not a service | Mar 14 10:00:00 mx postfix/qmgr[13]: v\n"
                  "2023-03-14T00:00:31+01 helga postfix/smtp[31]: u\n",
                  2023, 0);
    mxd_log_line l;
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_true(l.framed);
    assert_int_equal(l.time, ymd(2023, 3, 13, 23, 0, 31));
    assert_string_equal(l.host, "helga");
    assert_string_equal(l.msg, "ABCDEF1234: removed");
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_int_equal(l.time, ymd(2023, 3, 14, 1, 30, 31));
    assert_int_equal(l.usec, 500000);
    assert_string_equal(l.prog, "postfix/smtp");
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_true(l.framed);
    assert_int_equal(l.time, ymd(2023, 3, 14, 10, 0, 0));
    assert_string_equal(l.host, "mx");
    assert_string_equal(l.prog, "postfix/qmgr");
    assert_int_equal(l.pid, 13);
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_int_equal(l.time, ymd(2023, 3, 14, 10, 0, 0));
    assert_int_equal(l.usec, 123456);
    assert_string_equal(l.msg, "y");
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_int_equal(l.time, ymd(2023, 3, 14, 9, 59, 58)); /* docker's stamp, not the line's */
    assert_string_equal(l.host, "mx");
    assert_string_equal(l.prog, "postfix/smtp");
    assert_string_equal(l.msg, "z");
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_int_equal(l.pid, 9);
    assert_string_equal(l.msg, "w");
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_false(l.framed); /* (a name with blanks is no service's) */
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_false(l.framed); /* ("+01": no offset ISO 8601 allows in a stamp with seconds) */
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_ERR_NOTFOUND);
    mxd_log_input_close(in);
}

static void test_unknown_and_long_lines(void **state)
{
    (void)state;
    size_t n = MXD_LOG_LINE_MAX * 3;
    char *text = malloc(n + 200);
    assert_non_null(text);
    strcpy(text, "garbage\r\n");
    size_t o = strlen(text);
    memcpy(text + o, "Mar  1 00:00:00 h p[1]: ", 24);
    memset(text + o + 24, 'x', n);
    o += 24 + n;
    strcpy(text + o, "\nMar  1 00:00:01 h postfix/qmgr[2]: ABCDEF1234: removed");
    mxd_log_input *in = open_text(text, 2024, 0);
    mxd_log_line l;
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_false(l.framed);
    assert_string_equal(l.msg, "garbage"); /* CR dropped */
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_true(l.framed);
    assert_int_equal(l.msglen, MXD_LOG_LINE_MAX - 24); /* cut */
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_string_equal(l.msg, "ABCDEF1234: removed"); /* the line after is whole */
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_ERR_NOTFOUND);
    unsigned long long lines, cut;
    mxd_log_input_stats(in, &lines, &cut);
    assert_int_equal(lines, 3);
    assert_int_equal(cut, 1);
    mxd_log_input_close(in);
    free(text);
}

static void test_journal_export_binary(void **state)
{
    (void)state;
    static const char rec[] = "__CURSOR=s=1;i=2\n"
                              "__REALTIME_TIMESTAMP=1678784431185246\n"
                              "_HOSTNAME=helga\n"
                              "SYSLOG_IDENTIFIER=postfix/smtp\n"
                              "SYSLOG_PID=77\n"
                              "MESSAGE\n"
                              "\x14\0\0\0\0\0\0\0"
                              "ABCDEF1234: re\nmoved\n"
                              "\n"
                              "__REALTIME_TIMESTAMP=1678784432000000\n"
                              "MESSAGE=second\n"
                              "\n";
    mxd_log_input_opts o = {0};
    mxd_log_input *in = NULL;
    assert_int_equal(mxd_log_input_open_mem(rec, sizeof rec - 1, &o, &in), MXD_OK);
    mxd_log_line l;
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_true(l.framed);
    assert_int_equal(l.time, 1678784431);
    assert_int_equal(l.usec, 185246);
    assert_string_equal(l.host, "helga");
    assert_string_equal(l.prog, "postfix/smtp");
    assert_int_equal(l.pid, 77);
    assert_string_equal(l.msg, "ABCDEF1234: re moved"); /* binary field, newline made blank */
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_int_equal(l.time, 1678784432);
    assert_string_equal(l.msg, "second");
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_ERR_NOTFOUND);
    mxd_log_input_close(in);
}

static void test_journal_json(void **state)
{
    (void)state;
    mxd_log_input *in =
        open_text("{\"__REALTIME_TIMESTAMP\":\"1678784431000000\",\"_HOSTNAME\":\"h\","
                  "\"SYSLOG_IDENTIFIER\":\"postfix/qmgr\",\"_PID\":\"9\",\"MESSAGE\":\"ABCDEF1234: "
                  "removed\"}\n"
                  "{\"__REALTIME_TIMESTAMP\":\"1678784432000000\",\"MESSAGE\":[104,105]}\n"
                  "{not json\n"
                  "Mar  1 10:00:00 h postfix/qmgr[1]: ABCDEF1234: removed\n",
                  0, 1);
    mxd_log_line l;
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_int_equal(l.time, 1678784431);
    assert_string_equal(l.prog, "postfix/qmgr");
    assert_int_equal(l.pid, 9);
    assert_string_equal(l.msg, "ABCDEF1234: removed");
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_string_equal(l.msg, "hi"); /* binary MESSAGE as an array of bytes */
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_false(l.framed); /* broken JSON: counted, not fatal */
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_true(l.framed); /* a syslog line among JSON records is framed as syslog */
    assert_string_equal(l.prog, "postfix/qmgr");
    mxd_log_input_close(in);
}

static void test_journal_export_bad_size(void **state)
{
    (void)state;
    /* a field name without '=' and a size that cannot be: the record ends there, and what
     * follows is still read */
    static const char rec[] = "__CURSOR=s=1\n"
                              "__REALTIME_TIMESTAMP=1678784431000000\n"
                              "MESSAGE\n"
                              "\xff\xff\xff\xff\xff\xff\xff\x7f"
                              "MESSAGE=lost\n"
                              "\n"
                              "__REALTIME_TIMESTAMP=1678784432000000\n"
                              "MESSAGE=kept\n"
                              "\n";
    mxd_log_input_opts o = {0};
    mxd_log_input *in = NULL;
    assert_int_equal(mxd_log_input_open_mem(rec, sizeof rec - 1, &o, &in), MXD_OK);
    mxd_log_line l;
    assert_int_equal(mxd_log_input_next(in, &l, NULL, 0), MXD_OK);
    assert_int_equal(l.time, 1678784431);
    int kept = 0;
    while (mxd_log_input_next(in, &l, NULL, 0) == MXD_OK)
        kept += !strcmp(l.msg, "kept") && l.time == 1678784432;
    assert_int_equal(kept, 1);
    mxd_log_input_close(in);
}

/* --- the Postfix parser ------------------------------------------------------------------ */

static int pf(const char *prog, const char *msg, log_rec *r, char *scratch, size_t n)
{
    snprintf(scratch, n, "%s", msg);
    return log_postfix_parse(prog, scratch, strlen(scratch), r);
}

static void test_postfix_delivery_fields(void **state)
{
    (void)state;
    char s[2048];
    log_rec r;
    assert_true(pf("postfix-out/smtp",
                   "4TRnqq3FHTz1xVP: to=<a@b.example>, orig_to=<x@b.example>, "
                   "relay=mx.b.example[192.0.2.1]:25, conn_use=2, delay=12.5, "
                   "delays=0.1/0/2/10, tls=may, dsn=4.7.28, status=deferred (host "
                   "mx.b.example[192.0.2.1] said: 421 4.7.28 slow down (in reply to end of DATA "
                   "command))",
                   &r, s, sizeof s));
    assert_int_equal(r.kind, LR_DELIVERY);
    assert_string_equal(r.instance, "postfix-out");
    assert_string_equal(r.service, "smtp");
    assert_string_equal(r.qid, "4TRnqq3FHTz1xVP");
    assert_string_equal(r.to, "a@b.example");
    assert_string_equal(r.orig_to, "x@b.example");
    assert_string_equal(r.relay_host, "mx.b.example");
    assert_string_equal(r.relay_ip, "192.0.2.1");
    assert_true(r.delay > 12.49 && r.delay < 12.51);
    assert_string_equal(r.dsn, "4.7.28");
    assert_string_equal(r.status, "deferred");
    assert_string_equal(r.text, "host mx.b.example[192.0.2.1] said: 421 4.7.28 slow down (in "
                                "reply to end of DATA command)");
}

static void test_postfix_other_lines(void **state)
{
    (void)state;
    char s[2048];
    log_rec r;
    assert_true(pf("postfix/submission/smtpd",
                   "3F2A1C0ABC: client=c.example[198.51.100.7], sasl_method=PLAIN, "
                   "sasl_username=alice",
                   &r, s, sizeof s));
    assert_int_equal(r.kind, LR_CLIENT);
    assert_string_equal(r.instance, "postfix"); /* one queue for all services */
    assert_string_equal(r.client_host, "c.example");
    assert_string_equal(r.client_ip, "198.51.100.7");
    assert_string_equal(r.sasl_user, "alice");
    assert_true(pf("postfix/cleanup", "3F2A1C0ABC: message-id=<m1@example>", &r, s, sizeof s));
    assert_int_equal(r.kind, LR_MSGID);
    assert_string_equal(r.messageid, "m1@example");
    assert_true(pf("postfix/qmgr", "3F2A1C0ABC: from=<>, size=812, nrcpt=3 (queue active)", &r, s,
                   sizeof s));
    assert_int_equal(r.kind, LR_FROM);
    assert_string_equal(r.from, "");
    assert_int_equal(r.size, 812);
    assert_int_equal(r.nrcpt, 3);
    assert_true(pf("postfix/qmgr", "3F2A1C0ABC: from=<a@x>, status=expired, returned to sender", &r,
                   s, sizeof s));
    assert_int_equal(r.kind, LR_EXPIRED);
    assert_true(pf("postfix/smtpd",
                   "NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 <s@x>: Relay "
                   "access denied; from=<f@bad> to=<s@x> proto=ESMTP helo=<bad>",
                   &r, s, sizeof s));
    assert_int_equal(r.kind, LR_REJECT);
    assert_true(r.counted);
    assert_string_equal(r.client_ip, "203.0.113.9");
    assert_string_equal(r.from, "f@bad");
    assert_string_equal(r.to, "s@x");
    assert_string_equal(r.text, "554 5.7.1 <s@x>: Relay access denied");
    assert_true(pf("postfix/postscreen",
                   "NOQUEUE: reject: RCPT from [203.0.113.8]:4123: 550 5.7.1 Service "
                   "unavailable; client [203.0.113.8] blocked using zen.spamhaus.org; "
                   "from=<f@bad>, to=<s@x>, proto=ESMTP, helo=<bad>",
                   &r, s, sizeof s));
    assert_string_equal(r.client_ip, "203.0.113.8");
    assert_string_equal(r.to, "s@x");
    assert_true(pf("postfix/bounce", "3F2A1C0ABC: sender non-delivery notification: 4B7D2C0DEF", &r,
                   s, sizeof s));
    assert_string_equal(r.new_qid, "4B7D2C0DEF");
    /* an instance name without a service (fuzz/regressions/fuzz_log/postfix-instance-without-
     * service: it crashed, reading before the name) */
    assert_true(pf("postfix-out", "3F2A1C0ABC: client=a[192.0.2.4]", &r, s, sizeof s));
    assert_string_equal(r.instance, "postfix-out");
    assert_string_equal(r.service, "");
    assert_string_equal(r.client_ip, "192.0.2.4");
    /* not a queue ID, not Postfix */
    assert_false(pf("postfix/smtpd", "warning: hostname x does not resolve", &r, s, sizeof s));
    assert_false(pf("postfix/smtpd", "disconnect from x[1.2.3.4] ehlo=1", &r, s, sizeof s));
    assert_false(pf("dovecot", "ABCDEF1234: removed", &r, s, sizeof s));
    assert_false(pf("postfix/qmgr", "ABCDEF1234:", &r, s, sizeof s));
}

static void test_exim_and_sendmail_lines(void **state)
{
    (void)state;
    char s[2048];
    log_rec r;
    snprintf(s, sizeof s, "%s",
             "10HmaX-000000005vi-0000 ** nobody@example.net <alias@example.net> R=dnslookup "
             "T=remote_smtp H=mx.example.net [192.0.2.25]: SMTP error from remote mail server "
             "after RCPT TO:<nobody@example.net>: 550 5.1.1 User unknown");
    assert_true(log_exim_parse(s, strlen(s), &r));
    assert_int_equal(r.kind, LR_DELIVERY);
    assert_string_equal(r.qid, "10HmaX-000000005vi-0000");
    assert_string_equal(r.status, "bounced");
    assert_string_equal(r.to, "nobody@example.net");
    assert_string_equal(r.orig_to, "alias@example.net");
    assert_string_equal(r.relay_host, "mx.example.net");
    assert_string_equal(r.relay_ip, "192.0.2.25");
    assert_string_equal(r.text, "SMTP error from remote mail server after RCPT "
                                "TO:<nobody@example.net>: 550 5.1.1 User unknown");
    snprintf(s, sizeof s, "%s",
             "1RookS-000Pg8-VO <= a@x H=c.example [198.51.100.7]:4 P=esmtpsa "
             "A=dovecot_login:alice S=2345 id=m2@x");
    assert_true(log_exim_parse(s, strlen(s), &r));
    assert_int_equal(r.kind, LR_FROM);
    assert_string_equal(r.from, "a@x");
    assert_string_equal(r.sasl_user, "alice");
    assert_string_equal(r.messageid, "m2@x");
    assert_int_equal(r.size, 2345);
    assert_string_equal(r.client_ip, "198.51.100.7");
    snprintf(s, sizeof s, "%s", "login authenticator failed for (x) [192.0.2.1]: 535 no");
    assert_false(log_exim_parse(s, strlen(s), &r));
    snprintf(s, sizeof s, "%s",
             "2A1B3C4D005678: to=<b@x>,<c@x>, delay=1+00:00:04, xdelay=00:00:01, "
             "mailer=esmtp, pri=120, relay=mx.x. [192.0.2.9], dsn=4.7.0, stat=Deferred: 421 "
             "4.7.0 try later");
    assert_true(log_sendmail_parse(s, strlen(s), &r));
    assert_string_equal(r.to, "<b@x>,<c@x>"); /* split by the context */
    assert_string_equal(r.status, "deferred");
    assert_string_equal(r.dsn, "4.7.0");
    assert_string_equal(r.relay_host, "mx.x");
    assert_true(r.delay > 86403.9 && r.delay < 86404.1);
    assert_string_equal(r.text, "421 4.7.0 try later");
    snprintf(s, sizeof s, "%s",
             "s1P819mk027713: ruleset=check_rcpt, arg1=<a@x>, relay=h.example [192.0.2.4] (may "
             "be forged), reject=550 5.7.1 <a@x>... Relaying denied");
    assert_true(log_sendmail_parse(s, strlen(s), &r));
    assert_int_equal(r.kind, LR_REJECT);
    assert_string_equal(r.to, "a@x");
    assert_string_equal(r.client_ip, "192.0.2.4");
    assert_string_equal(r.text, "550 5.7.1 <a@x>... Relaying denied");
    /* review-s15: Exim's failure with no router named, a pipe's command with blanks, and
     * Sendmail's "stat=queued" (no delivery tried: no outcome) */
    snprintf(s, sizeof s, "%s", "1RookS-000Pg8-VB ** mo@example.net: retry timeout exceeded");
    assert_true(log_exim_parse(s, strlen(s), &r));
    assert_string_equal(r.to, "mo@example.net");
    assert_string_equal(r.text, "retry timeout exceeded");
    snprintf(s, sizeof s, "%s",
             "1RookS-000Pg8-VF ** |/usr/bin/procmail -d quin <quin@example.org> R=procmail "
             "T=procmail_pipe: Child process of procmail_pipe transport returned 75");
    assert_true(log_exim_parse(s, strlen(s), &r));
    assert_string_equal(r.to, "quin@example.org");
    snprintf(s, sizeof s, "%s",
             "xB7A0000A123: to=<qa@example.com>, delay=00:00:00, mailer=esmtp, pri=30316, "
             "stat=queued");
    assert_true(log_sendmail_parse(s, strlen(s), &r));
    assert_int_equal(r.kind, LR_NONE);
}

/* --- reassembly -------------------------------------------------------------------------- */

typedef struct seen {
    int n;
    char last[512];
} seen;

static int on_ev(void *arg, const mxd_log_event *ev)
{
    seen *s = arg;
    s->n++;
    snprintf(s->last, sizeof s->last, "%s|%s|%s|%s|%s|%s", ev->outcome,
             ev->addresser ? ev->addresser : "-", ev->sasl_username ? ev->sasl_username : "-",
             ev->messageid ? ev->messageid : "-", ev->reason ? ev->reason : "-",
             ev->provider ? ev->provider : "-");
    return 0;
}

static void feed_text(mxd_log_ctx *c, const char *text)
{
    mxd_log_input *in = open_text(text, 2026, 0);
    assert_int_equal(mxd_log_read(c, &in, 1, NULL, 0), MXD_OK);
    mxd_log_input_close(in);
}

static const char flow[] =
    "Mar  1 10:00:00 mx postfix/smtpd[1]: ABCDEF0001: client=c[192.0.2.7], "
    "sasl_method=PLAIN, sasl_username=alice\n"
    "Mar  1 10:00:00 mx postfix/cleanup[2]: ABCDEF0001: message-id=<m@x>\n"
    "Mar  1 10:00:00 mx postfix/qmgr[3]: ABCDEF0001: from=<alice@example.org>, size=10, "
    "nrcpt=1 (queue active)\n"
    "Mar  1 10:00:01 mx postfix/smtp[4]: ABCDEF0001: to=<bob@gmail.com>, "
    "relay=gmail-smtp-in.l.google.com[142.250.27.26]:25, delay=1, delays=0/0/0/1, "
    "dsn=5.1.1, status=bounced (host gmail-smtp-in.l.google.com[142.250.27.26] said: 550-5.1.1 "
    "The email account that you tried to reach does not exist. (in reply to RCPT TO command))\n"
    "Mar  1 10:00:01 mx postfix/qmgr[3]: ABCDEF0001: removed\n";

static void test_reassembly(void **state)
{
    (void)state;
    seen s = {0};
    mxd_log_opts o = {0};
    o.on_event = on_ev;
    o.arg = &s;
    mxd_log_ctx *c;
    assert_int_equal(mxd_log_new(kb, &o, &c), MXD_OK);
    feed_text(c, flow);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.last, "bounced|alice@example.org|alice|m@x|userunknown|google");
    mxd_log_totals t;
    mxd_log_totals_get(c, &t);
    assert_int_equal(t.received, 1);
    assert_int_equal(t.bounced, 1);
    assert_int_equal(t.lines, 5);
    assert_int_equal(c->nmsgs, 0); /* removed: nothing left in flight */
    mxd_log_free(c);
}

/* one verdict: an event's reason and provider are what mxd_explain says of the same reply */
typedef struct verdicts {
    int n, agree;
} verdicts;

static int on_ev_explain(void *arg, const mxd_log_event *ev)
{
    verdicts *v = arg;
    if (!ev->diagnosticcode || !strcmp(ev->outcome, "sent"))
        return 0;
    mxd_explanation *x = NULL;
    assert_int_equal(mxd_explain(kb, ev->diagnosticcode, strlen(ev->diagnosticcode), ev->rhost, &x),
                     MXD_OK);
    v->n++;
    v->agree += !strcmp(x->reason, ev->reason) && (x->scope == NULL) == (ev->scope == NULL) &&
                (!x->scope || !strcmp(x->scope, ev->scope));
    mxd_explanation_free(x);
    return 0;
}

static void test_same_verdict_as_explain(void **state)
{
    (void)state;
    static const char text[] =
        "Mar  1 10:00:01 mx postfix/smtp[4]: ABCDEF0001: to=<a@outlook.com>, "
        "relay=outlook-com.olc.protection.outlook.com[52.101.42.0]:25, delay=1, "
        "delays=0/0/0/1, dsn=5.7.1, status=bounced (host "
        "outlook-com.olc.protection.outlook.com[52.101.42.0] said: 550 5.7.1 Unfortunately, "
        "messages from [203.0.113.5] weren't sent. Please contact your Internet service provider "
        "since part of their network is on our block list (S3150). "
        "[BN1NAM02FT012.eop-nam02.prod.protection.outlook.com] (in reply to MAIL FROM "
        "command))\n"
        "Mar  1 10:00:02 mx postfix/smtp[4]: ABCDEF0002: to=<b@yahoo.com>, "
        "relay=mta5.am0.yahoodns.net[67.195.204.72]:25, delay=1, delays=0/0/0/1, dsn=4.7.0, "
        "status=deferred (host mta5.am0.yahoodns.net[67.195.204.72] said: 421 4.7.0 [TSS04] "
        "Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user "
        "complaints (in reply to MAIL FROM command))\n"
        "Mar  1 10:00:03 mx postfix/smtpd[5]: NOQUEUE: reject: RCPT from x[203.0.113.9]: 554 "
        "5.7.1 <s@x>: Relay access denied; from=<f@bad> to=<s@x> proto=ESMTP helo=<bad>\n";
    verdicts v = {0, 0};
    mxd_log_opts o = {0};
    o.on_event = on_ev_explain;
    o.arg = &v;
    mxd_log_ctx *c;
    assert_int_equal(mxd_log_new(kb, &o, &c), MXD_OK);
    feed_text(c, text);
    assert_int_equal(v.n, 3);
    assert_int_equal(v.agree, 3);
    mxd_log_free(c);
}

/* a new-block alert comes from a block, not from greylisting (which Sisimai counts as
 * spamdetected: the rule says "block: no" in data/rules-generic.txt) */
static void test_greylisting_is_no_block(void **state)
{
    (void)state;
    static const char text[] =
        "Mar  1 10:00:01 mx postfix/smtp[4]: ABCDEF0001: to=<a@example.net>, "
        "relay=mx.example.net[192.0.2.25]:25, delay=1, delays=0/0/0/1, dsn=4.2.0, "
        "status=deferred (host mx.example.net[192.0.2.25] said: 450 4.2.0 <a@example.net>: "
        "Recipient address rejected: Greylisted, see "
        "http://postgrey.schweikert.ch/help/example.net.html (in reply to RCPT TO command))\n"
        "Mar  1 10:00:02 mx postfix/smtp[4]: ABCDEF0002: to=<b@example.com>, "
        "relay=mx.example.com[192.0.2.26]:25, delay=1, delays=0/0/0/1, dsn=5.7.1, "
        "status=bounced (host mx.example.com[192.0.2.26] said: 554 5.7.1 Service unavailable; "
        "Client host [203.0.113.5] blocked using zen.spamhaus.org (in reply to RCPT TO "
        "command))\n";
    mxd_log_opts o = {0};
    mxd_log_ctx *c;
    assert_int_equal(mxd_log_new(kb, &o, &c), MXD_OK);
    feed_text(c, text);
    mxd_log_alert a;
    size_t blocks = 0;
    for (size_t i = 0; mxd_log_alert_get(c, i, &a) == 0; i++)
        if (a.kind == MXD_LOG_ALERT_NEW_BLOCK) {
            blocks++;
            assert_string_equal(a.key, "example.com");
            assert_string_equal(a.reason, "blocked");
        }
    assert_int_equal(blocks, 1);
    mxd_log_free(c);
}

static void test_inflight_bounded(void **state)
{
    (void)state;
    seen s = {0};
    mxd_log_opts o = {0};
    o.on_event = on_ev;
    o.arg = &s;
    o.inflight_max = 2;
    mxd_log_ctx *c;
    assert_int_equal(mxd_log_new(kb, &o, &c), MXD_OK);
    char text[4096];
    size_t n = 0;
    for (int i = 0; i < 5; i++)
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "Mar  1 10:00:0%d mx postfix/qmgr[3]: ABCDEF000%d: from=<u%d@x>, "
                              "size=1, nrcpt=1 (queue active)\n",
                              i, i, i);
    /* the oldest messages were evicted: the first one's delivery has no sender */
    snprintf(text + n, sizeof text - n,
             "Mar  1 10:00:09 mx postfix/local[4]: ABCDEF0000: to=<r@x>, relay=local, "
             "delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (delivered to mailbox)\n"
             "Mar  1 10:00:09 mx postfix/local[4]: ABCDEF0004: to=<r@x>, relay=local, "
             "delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (delivered to mailbox)\n");
    feed_text(c, text);
    assert_int_equal(c->nmsgs, 2);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.last, "sent|u4@x|-|-|delivered|-");
    mxd_log_totals t;
    mxd_log_totals_get(c, &t);
    assert_int_equal(t.evicted, 3);
    assert_int_equal(t.delivered, 2);
    mxd_log_free(c);
}

static void test_report_tables_bounded(void **state)
{
    (void)state;
    mxd_log_ctx *c;
    assert_int_equal(mxd_log_new(kb, NULL, &c), MXD_OK);
    char msg[256];
    mxd_log_line l = {0};
    l.framed = 1;
    l.time = 1700000000;
    l.host = "mx";
    l.prog = "postfix/local";
    l.msg = msg;
    for (int i = 0; i < 5000; i++) {
        l.msglen = (size_t)snprintf(msg, sizeof msg,
                                    "ABCDEF%04d: to=<u@d%d.example>, relay=local, delay=1, "
                                    "delays=0/0/0/1, dsn=2.0.0, status=sent (ok)",
                                    i, i);
        assert_int_equal(mxd_log_feed(c, &l), MXD_OK);
    }
    mxd_log_finish(c);
    mxd_log_row r;
    unsigned long long sent = 0, other = 0;
    size_t n = 0;
    for (; mxd_log_rows(c, MXD_LOG_TABLE_DOMAINS, n, &r) == 0; n++) {
        sent += r.sent;
        if (!strcmp(r.key, "(other)"))
            other = r.sent;
    }
    assert_int_equal(n, MXD_LOG_KEYS_MAX); /* grown to the cap, the last row "(other)" */
    assert_int_equal(sent, 5000);          /* nothing lost: the rest is "(other)" */
    assert_int_equal(other, 5000 - (MXD_LOG_KEYS_MAX - 1));
    mxd_log_free(c);
}

/* --- follow ------------------------------------------------------------------------------ */

static void append(const char *path, const char *mode, const char *text)
{
    FILE *f = fopen(path, mode);
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int drain(mxd_log_input *in)
{
    mxd_log_line l;
    int n = 0;
    while (mxd_log_input_next(in, &l, NULL, 0) == MXD_OK)
        n++;
    return n;
}

static void test_follow_rotation(void **state)
{
    (void)state;
    char path[300], old[300];
    assert_int_equal(tmpdir_make("log"), 0);
    snprintf(path, sizeof path, "%s/mail.log", tmpdir);
    snprintf(old, sizeof old, "%s/mail.log.1", tmpdir);
    append(path, "w", "Mar  1 10:00:00 mx postfix/qmgr[3]: ABCDEF0001: removed\n");
    mxd_log_input_opts o = {0};
    o.year = 2026;
    o.follow = 1;
    mxd_log_input *in;
    assert_int_equal(mxd_log_input_open(path, &o, &in, NULL, 0), MXD_OK);
    assert_int_equal(drain(in), 1);
    assert_int_equal(mxd_log_input_poll(in, NULL, 0), 0); /* nothing new */
    /* a partial line waits for its newline */
    append(path, "a", "Mar  1 10:00:01 mx postfix/qmgr[3]: ABCDEF0002: re");
    assert_int_equal(mxd_log_input_poll(in, NULL, 0), 1);
    assert_int_equal(drain(in), 0);
    append(path, "a", "moved\n");
    assert_int_equal(mxd_log_input_poll(in, NULL, 0), 1);
    assert_int_equal(drain(in), 1);
    /* rotation by rename: the old file gets one more line before the new file appears */
    assert_int_equal(rename(path, old), 0);
    append(old, "a", "Mar  1 10:00:02 mx postfix/qmgr[3]: ABCDEF0003: removed\n");
    append(path, "w", "Mar  1 10:00:03 mx postfix/qmgr[3]: ABCDEF0004: removed\n");
    assert_int_equal(mxd_log_input_poll(in, NULL, 0), 1); /* drain the old one first */
    assert_int_equal(drain(in), 1);
    assert_int_equal(mxd_log_input_poll(in, NULL, 0), 2); /* then the new file */
    assert_int_equal(drain(in), 1);
    mxd_log_position p;
    assert_int_equal(mxd_log_input_position(in, &p), MXD_OK);
    assert_int_equal(p.offset, 56);
    /* copy-truncate: the file shrinks under us */
    append(path, "w", "Mar  1 10:00:04 x p[1]: a\n");
    assert_int_equal(mxd_log_input_poll(in, NULL, 0), 3);
    assert_int_equal(drain(in), 1);
    mxd_log_input_close(in);
    /* a restart resumes at a saved offset */
    append(path, "a", "Mar  1 10:00:05 x p[1]: b\n");
    assert_int_equal(mxd_log_input_open(path, &o, &in, NULL, 0), MXD_OK);
    assert_int_equal(mxd_log_input_seek(in, 26), MXD_OK);
    assert_int_equal(drain(in), 1);
    mxd_log_input_close(in);
    assert_int_equal(tmpdir_remove(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_3164_year_and_new_year),
        cmocka_unit_test(test_3164_year_from_reference),
        cmocka_unit_test(test_3339_and_5424),
        cmocka_unit_test(test_journal_iso_and_container_prefixes),
        cmocka_unit_test(test_unknown_and_long_lines),
        cmocka_unit_test(test_journal_export_binary),
        cmocka_unit_test(test_journal_json),
        cmocka_unit_test(test_journal_export_bad_size),
        cmocka_unit_test(test_postfix_delivery_fields),
        cmocka_unit_test(test_postfix_other_lines),
        cmocka_unit_test(test_exim_and_sendmail_lines),
        cmocka_unit_test(test_reassembly),
        cmocka_unit_test(test_same_verdict_as_explain),
        cmocka_unit_test(test_greylisting_is_no_block),
        cmocka_unit_test(test_inflight_bounded),
        cmocka_unit_test(test_report_tables_bounded),
        cmocka_unit_test(test_follow_rotation),
    };
    return cmocka_run_group_tests(tests, kb_setup, kb_teardown);
}
