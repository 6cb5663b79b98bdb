/* test_mail.c - unit tests for lib/mail: message sources, the structure scanner, decoders
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE 1 /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mail/mail_internal.h"
#include "mxdiag/mail.h"
#include "tmpdir_helper.h"

static int setup(void **state)
{
    (void)state;
    return tmpdir_make("mail");
}

static int teardown(void **state)
{
    (void)state;
    return tmpdir_remove();
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static char *path_in(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return p;
}

/* --- sources --- */

/* Symbolic links back up the tree and a second hard link: every message read once, the walk
 * ends (it used to loop for ever on cur/a -> . and cur/b -> .). */
static void test_maildir_links_read_once(void **state)
{
    (void)state;
    char p[600], q[600];
    snprintf(p, sizeof p, "%s/loop", tmpdir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/loop/cur", tmpdir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/loop/new", tmpdir);
    mkdir(p, 0700);
    const char *a = "Subject: a\n\nA\n", *b = "Subject: b\n\nB\n";
    write_file(path_in("loop/cur/1.host"), a, strlen(a));
    write_file(path_in("loop/new/2.host"), b, strlen(b));
    assert_int_equal(symlink(".", path_in("loop/cur/a")), 0);
    assert_int_equal(symlink(".", path_in("loop/cur/b")), 0);
    assert_int_equal(symlink("../cur", path_in("loop/cur/loop")), 0);
    assert_int_equal(symlink("../new", path_in("loop/new/up")), 0);
    snprintf(q, sizeof q, "%s/loop/new/3.host", tmpdir);
    assert_int_equal(link(path_in("loop/cur/1.host"), q), 0);
    assert_int_equal(symlink("2.host", path_in("loop/new/4.host")), 0);
    mxd_mail_source *s;
    char why[256];
    assert_int_equal(mxd_mail_open(path_in("loop"), &s, why, sizeof why), MXD_OK);
    mxd_mail_msg m;
    int n = 0, na = 0, nb = 0;
    mxd_err e;
    while ((e = mxd_mail_next(s, &m, why, sizeof why)) == MXD_OK && n < 100) {
        n++;
        na += !memcmp(m.data, "Subject: a", 10);
        nb += !memcmp(m.data, "Subject: b", 10);
    }
    assert_int_equal(e, MXD_ERR_NOTFOUND);
    assert_int_equal(n, 2);
    assert_int_equal(na, 1);
    assert_int_equal(nb, 1);
    mxd_mail_close(s);
}

/* A FIFO or a device named as the source is refused at once (it would block or never end). */
static void test_not_a_regular_file(void **state)
{
    (void)state;
    assert_int_equal(mkfifo(path_in("fifo"), 0600), 0);
    mxd_mail_source *s = NULL;
    char why[256] = "";
    assert_int_equal(mxd_mail_open(path_in("fifo"), &s, why, sizeof why), MXD_ERR_IO);
    assert_null(s);
    assert_non_null(strstr(why, "FIFO"));
    why[0] = 0;
    assert_int_equal(mxd_mail_open("/dev/zero", &s, why, sizeof why), MXD_ERR_IO);
    assert_null(s);
    assert_non_null(strstr(why, "not a regular file"));
}

static void test_single_message_file(void **state)
{
    (void)state;
    const char *msg = "From: a@example.org\nSubject: x\n\nbody\n";
    write_file(path_in("one.eml"), msg, strlen(msg));
    mxd_mail_source *s;
    char why[256];
    assert_int_equal(mxd_mail_open(path_in("one.eml"), &s, why, sizeof why), MXD_OK);
    mxd_mail_msg m;
    assert_int_equal(mxd_mail_next(s, &m, why, sizeof why), MXD_OK);
    assert_int_equal(mxd_mail_kind_of(s), MXD_MAIL_MESSAGE);
    assert_int_equal(m.len, strlen(msg));
    assert_memory_equal(m.data, msg, m.len);
    assert_string_equal(m.label, path_in("one.eml"));
    assert_int_equal(mxd_mail_next(s, &m, why, sizeof why), MXD_ERR_NOTFOUND);
    mxd_mail_close(s);
}

static void test_missing_path(void **state)
{
    (void)state;
    mxd_mail_source *s = NULL;
    char why[256] = "";
    assert_int_equal(mxd_mail_open(path_in("no-such-file"), &s, why, sizeof why), MXD_ERR_NOTFOUND);
    assert_null(s);
    assert_non_null(strstr(why, "no-such-file"));
}

/* box_open - data written to the file name under the test directory, opened as a source. */
static mxd_mail_source *box_open(const char *name, const char *data, size_t len)
{
    mxd_mail_source *s = NULL;
    char why[256];
    write_file(path_in(name), data, len);
    assert_int_equal(mxd_mail_open(path_in(name), &s, why, sizeof why), MXD_OK);
    return s;
}

static void test_mbox_messages_and_labels(void **state)
{
    (void)state;
    const char *mbox = "From a@example.org Mon Jan  1 00:00:00 2024\n"
                       "Subject: one\n\nfirst\n\n"
                       "From b@example.org Mon Jan  1 00:00:01 2024\n"
                       "Subject: two\n\nsecond, with a quoted\n>From line\n\n"
                       "From c@example.org Mon Jan  1 00:00:02 2024\r\n"
                       "Subject: three\r\n\r\nthird\r\n"
                       /* a year of two digits, as old writers put it, ends the line */
                       "From d@example.org Thu Jan  1 00:00:00 70\n"
                       "Subject: four\n\nfourth\n"
                       /* prose with a month, a time and a small number: no separator */
                       "From Jan 3 at 9:00 we have 10 staff on call\n"
                       "From Berlin on Mar 3 at 10:45 I am on train ICE 23\n"
                       "From Tuesday Dec 1 the desk opens at 9:00 in room 12\n\n"
                       "From e@example.org Sat Jan  1 10:00:00 00 \r\n"
                       "Subject: five\n\nfifth\n"
                       /* a time zone between the time and the year, as mutt reads it */
                       "From f@example.org Wed Aug  2 00:39:12 MET DST 95\n"
                       "Subject: six\n\nsixth\n";
    write_file(path_in("box.mbox"), mbox, strlen(mbox));
    mxd_mail_source *s;
    char why[256];
    assert_int_equal(mxd_mail_open(path_in("box.mbox"), &s, why, sizeof why), MXD_OK);
    mxd_mail_msg m;
    const char *subjects[] = {"Subject: one",  "Subject: two",  "Subject: three",
                              "Subject: four", "Subject: five", "Subject: six"};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(mxd_mail_next(s, &m, why, sizeof why), MXD_OK);
        assert_int_equal(mxd_mail_kind_of(s), MXD_MAIL_MBOX);
        assert_true(m.len >= strlen(subjects[i]));
        assert_memory_equal(m.data, subjects[i], strlen(subjects[i]));
        char label[600];
        snprintf(label, sizeof label, "%s:%d", path_in("box.mbox"), i + 1);
        assert_string_equal(m.label, label);
        /* no message carries the next one's separator; the fourth keeps its prose */
        if (i == 3)
            assert_non_null(memmem(m.data, m.len, "\nFrom Berlin on Mar 3", 21));
        else
            assert_null(memmem(m.data, m.len, "\nFrom ", 6));
    }
    assert_int_equal(mxd_mail_next(s, &m, why, sizeof why), MXD_ERR_NOTFOUND);
    mxd_mail_close(s);
}

/* An mbox whose lines end in CR alone (classic Mac OS, Eudora), with or without an LF a tool
 * appended at the end, is split at its "From " lines like any other, blank lines after a "From "
 * line kept as in the LF form; an LF mbox with a stray CR in its first or a later "From " line
 * still splits at the LF. */
static void test_mbox_cr_line_ends(void **state)
{
    (void)state;
    static const char cr[] = "From a@example.org Mon Jan  1 00:00:00 2024\r"
                             "Subject: one\r\rfirst\r\r"
                             "From b@example.org Mon Jan  1 00:00:01 2024\r"
                             "Subject: two\r\rsecond\r\r"
                             "From c@example.org Mon Jan  1 00:00:02 2024\r"
                             "Subject: three\r\rthird\r";
    static const char lf[] = "From a@example.org Mon\rJan  1 00:00:00 2024\n"
                             "Subject: one\n\nfirst\n\n"
                             "From b@example.org x\ry Mon Jan  1 00:00:01 2024\n"
                             "Subject: two\n\nsecond\n";
    for (int v = 0; v < 3; v++) {
        char box[sizeof cr + 1];
        size_t bl = v == 2 ? sizeof lf - 1 : sizeof cr - 1;
        memcpy(box, v == 2 ? lf : cr, bl);
        if (v == 1)
            box[bl++] = '\n';
        mxd_mail_source *s = box_open("cr.mbox", box, bl);
        char why[256];
        mxd_mail_msg m;
        const char *subjects[] = {"Subject: one", "Subject: two", "Subject: three"};
        int want = v == 2 ? 2 : 3;
        for (int i = 0; i < want; i++) {
            if (mxd_mail_next(s, &m, why, sizeof why) != MXD_OK)
                fail_msg("variant %d: message %d missing", v, i + 1);
            assert_true(m.len >= strlen(subjects[i]));
            assert_memory_equal(m.data, subjects[i], strlen(subjects[i]));
            assert_null(memmem(m.data, m.len, "From ", 5));
        }
        assert_int_equal(mxd_mail_next(s, &m, why, sizeof why), MXD_ERR_NOTFOUND);
        mxd_mail_close(s);
    }
}

/* In a CR-only mbox a blank line right after a "From " line belongs to the message, as in the
 * LF form (where the "From " line ends at its LF). */
static void test_mbox_cr_blank_after_from(void **state)
{
    (void)state;
    static const char box[] = "From a Mon Jan  1 00:00:00 2024\r\rX: y\r\rbody\r"
                              "From b Mon Jan  1 00:00:01 2024\r\rZ: w\r\rbody2\r";
    mxd_mail_source *s = box_open("crblank.mbox", box, sizeof box - 1);
    char why[256];
    mxd_mail_msg m;
    const char *want[] = {"\rX: y\r\rbody\r", "\rZ: w\r\rbody2\r"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(mxd_mail_next(s, &m, why, sizeof why), MXD_OK);
        assert_int_equal(m.len, strlen(want[i]));
        assert_memory_equal(m.data, want[i], m.len);
    }
    assert_int_equal(mxd_mail_next(s, &m, why, sizeof why), MXD_ERR_NOTFOUND);
    mxd_mail_close(s);
}

/* A first "From " line as long as the look-ahead window, or longer, in every line-end form:
 * the mbox is still split at its "From " lines, and the first message starts with its header
 * (no line end left over from the "From " line). */
static void test_mbox_long_from_line(void **state)
{
    (void)state;
    static const char *const eols[] = {"\r\n", "\r", "\r\r\n", "\n"};
    static const size_t lens[] = {4093, 4094, 4095, 4096, 5000};
    for (size_t e = 0; e < sizeof eols / sizeof *eols; e++)
        for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
            static char box[12000];
            const char *eol = eols[e];
            size_t n = (size_t)snprintf(box, sizeof box, "From a ");
            while (n < lens[li])
                box[n++] = 'x';
            n += (size_t)snprintf(box + n, sizeof box - n,
                                  "%sSubject: one%s%sfirst%sFrom b Mon Jan  1 00:00:01 2024%s"
                                  "Subject: two%s%ssecond%s",
                                  eol, eol, eol, eol, eol, eol, eol, eol);
            mxd_mail_source *s = box_open("longfrom.mbox", box, n);
            char why[256];
            mxd_mail_msg m;
            int count = 0;
            while (mxd_mail_next(s, &m, why, sizeof why) == MXD_OK) {
                if (!count && lens[li] < 4096 && (m.len < 8 || memcmp(m.data, "Subject:", 8)))
                    fail_msg("form %zu, line %zu: first message starts '%.8s'", e, lens[li],
                             m.data);
                count++;
            }
            if (count != 2)
                fail_msg("form %zu, line %zu: %d messages", e, lens[li], count);
            mxd_mail_close(s);
        }
}

/* A large mbox is streamed: messages split exactly across read chunks, memory bounded. */
static void test_mbox_streams_across_chunks(void **state)
{
    (void)state;
    FILE *f = fopen(path_in("big.mbox"), "wb");
    assert_non_null(f);
    const int n = 3000;
    char body[1200];
    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = 0;
    for (int i = 0; i < n; i++)
        fprintf(f, "From x@example.org Mon Jan  1 00:00:00 2024\nSubject: m%d\n\n%s\n\n", i, body);
    fclose(f);
    mxd_mail_source *s;
    char why[256];
    assert_int_equal(mxd_mail_open(path_in("big.mbox"), &s, why, sizeof why), MXD_OK);
    mxd_mail_msg m;
    int count = 0;
    while (mxd_mail_next(s, &m, why, sizeof why) == MXD_OK) {
        char want[32];
        int wl = snprintf(want, sizeof want, "Subject: m%d\n", count);
        assert_true(m.len > (size_t)wl);
        assert_memory_equal(m.data, want, (size_t)wl);
        count++;
    }
    assert_int_equal(count, n);
    assert_true(mxd_mail_bytes_read(s) > 3000000ull);
    mxd_mail_close(s);
}

static void test_maildir_and_tree(void **state)
{
    (void)state;
    char p[600];
    snprintf(p, sizeof p, "%s/md", tmpdir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/md/cur", tmpdir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/md/new", tmpdir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/md/tmp", tmpdir);
    mkdir(p, 0700);
    const char *a = "Subject: a\n\nA\n", *b = "Subject: b\n\nB\n", *t = "Subject: tmp\n\nT\n";
    write_file(path_in("md/cur/1.host:2,S"), a, strlen(a));
    write_file(path_in("md/new/2.host"), b, strlen(b));
    write_file(path_in("md/tmp/3.host"), t, strlen(t)); /* not delivered yet: skipped */
    mxd_mail_source *s;
    char why[256];
    assert_int_equal(mxd_mail_open(path_in("md"), &s, why, sizeof why), MXD_OK);
    assert_int_equal(mxd_mail_kind_of(s), MXD_MAIL_MAILDIR);
    mxd_mail_msg m;
    assert_int_equal(mxd_mail_next(s, &m, why, sizeof why), MXD_OK);
    assert_memory_equal(m.data, "Subject: a", 10);
    assert_int_equal(mxd_mail_next(s, &m, why, sizeof why), MXD_OK);
    assert_memory_equal(m.data, "Subject: b", 10);
    assert_int_equal(mxd_mail_next(s, &m, why, sizeof why), MXD_ERR_NOTFOUND);
    mxd_mail_close(s);

    /* a plain directory tree, walked recursively in name order, dot files skipped */
    snprintf(p, sizeof p, "%s/tree", tmpdir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/tree/sub", tmpdir);
    mkdir(p, 0700);
    write_file(path_in("tree/b.eml"), b, strlen(b));
    write_file(path_in("tree/sub/a.eml"), a, strlen(a));
    write_file(path_in("tree/.hidden"), t, strlen(t));
    assert_int_equal(mxd_mail_open(path_in("tree"), &s, why, sizeof why), MXD_OK);
    assert_int_equal(mxd_mail_kind_of(s), MXD_MAIL_DIR);
    assert_int_equal(mxd_mail_next(s, &m, why, sizeof why), MXD_OK);
    assert_memory_equal(m.data, "Subject: b", 10);
    assert_int_equal(mxd_mail_next(s, &m, why, sizeof why), MXD_OK);
    assert_memory_equal(m.data, "Subject: a", 10);
    assert_int_equal(mxd_mail_next(s, &m, why, sizeof why), MXD_ERR_NOTFOUND);
    mxd_mail_close(s);
}

/* --- the scanner --- */

static void test_scan_multipart_report(void **state)
{
    (void)state;
    const char *msg = "From: x@example.org\n"
                      "Content-Type: multipart/report; report-type=delivery-status;\n"
                      "\tboundary=\"b=1\"\n"
                      "\n"
                      "preamble\n"
                      "--b=1\n"
                      "Content-Type: text/plain; charset=\"ISO-8859-1\"\n"
                      "Content-Transfer-Encoding: quoted-printable\n"
                      "\n"
                      "gr=FC=DF\n"
                      "--b=1\n"
                      "Content-Type: message/delivery-status\n"
                      "\n"
                      "Final-Recipient: rfc822; y@example.net\n"
                      "--b=1\n"
                      "Content-Type: message/rfc822\n"
                      "\n"
                      "Subject: inner\n"
                      "Content-Type: multipart/alternative; boundary=inner\n"
                      "\n"
                      "--inner\n"
                      "\n"
                      "plain\n"
                      "--inner--\n"
                      "--b=1--\n"
                      "epilogue\n";
    mail_scan ms;
    mail_scan_init(&ms);
    assert_int_equal(mail_scan_run(&ms, msg, strlen(msg)), MXD_OK);
    assert_int_equal(ms.nparts, 6);
    assert_string_equal(ms.parts[0].type, "multipart/report");
    assert_string_equal(ms.parts[0].boundary, "b=1");
    assert_string_equal(ms.parts[1].type, "text/plain");
    assert_string_equal(ms.parts[1].charset, "iso-8859-1");
    assert_int_equal(ms.parts[1].cte, MAIL_CTE_QP);
    assert_string_equal(ms.parts[2].type, "message/delivery-status");
    assert_string_equal(ms.parts[3].type, "message/rfc822");
    assert_int_equal(ms.parts[3].kind, MAIL_MESSAGE);
    assert_int_equal(ms.parts[4].parent, 3);
    assert_string_equal(ms.parts[4].type, "multipart/alternative");
    assert_string_equal(ms.parts[5].type, "text/plain"); /* the default */
    assert_int_equal(ms.parts[5].depth, 3);
    /* the line break before a delimiter belongs to the delimiter */
    assert_int_equal(ms.parts[2].blen, strlen("Final-Recipient: rfc822; y@example.net"));
    /* shallow: the returned message's header block only, its body not taken apart */
    ms.shallow = 1;
    assert_int_equal(mail_scan_run(&ms, msg, strlen(msg)), MXD_OK);
    assert_int_equal(ms.nparts, 5);
    assert_string_equal(ms.parts[4].type, "message/x-unscanned");
    /* a comment after the type (RFC 2045 5.1), nested too, is no part of it */
    static const char cmt[] = "Content-Type: text/html (a (nested) comment); charset=UTF-8\n\nx\n";
    ms.shallow = 0;
    assert_int_equal(mail_scan_run(&ms, cmt, strlen(cmt)), MXD_OK);
    assert_string_equal(ms.parts[0].type, "text/html");
    assert_string_equal(ms.parts[0].charset, "utf-8");
    /* (a quoted pair inside it, and a comment longer than a type, before it) */
    static const char qp[] = "Content-Type: text/html (a\\) b); charset=utf-8\n\nx\n";
    assert_int_equal(mail_scan_run(&ms, qp, strlen(qp)), MXD_OK);
    assert_string_equal(ms.parts[0].type, "text/html");
    static const char lc[] = "Content-Type: (generated by the gateway of example.org, version "
                             "12.3.4, build 5678, for the mail system) TEXT/html\n\nx\n";
    assert_int_equal(mail_scan_run(&ms, lc, strlen(lc)), MXD_OK);
    assert_string_equal(ms.parts[0].type, "text/html");
    /* format=flowed (RFC 3676) is read from text/plain only, delsp=yes with it; any case */
    static const char fl[] = "Content-Type: text/plain; charset=utf-8; Format=\"Flowed\"\n\nx\n";
    assert_int_equal(mail_scan_run(&ms, fl, strlen(fl)), MXD_OK);
    assert_int_equal(ms.parts[0].flowed, MAIL_FLOWED);
    static const char fd[] = "Content-Type: text/plain; format=flowed; DelSp=YES\n\nx\n";
    assert_int_equal(mail_scan_run(&ms, fd, strlen(fd)), MXD_OK);
    assert_int_equal(ms.parts[0].flowed, MAIL_FLOWED | MAIL_DELSP);
    /* mail_decode_text() undoes the soft breaks, mail_decode_part() keeps the body as sent */
    {
        buf d;
        buf_init(&d, 1024);
        assert_int_equal(mail_decode_text(&ms.parts[0], &d, NULL), MXD_OK);
        assert_string_equal(buf_cstr(&d), "x\n");
        static const char fw[] = "Content-Type: text/plain; format=flowed\n\nSender IP \nAddress: "
                                 "192.0.2.1\n";
        assert_int_equal(mail_scan_run(&ms, fw, strlen(fw)), MXD_OK);
        buf_reset(&d);
        assert_int_equal(mail_decode_text(&ms.parts[0], &d, NULL), MXD_OK);
        assert_string_equal(buf_cstr(&d), "Sender IP Address: 192.0.2.1\n");
        buf_reset(&d);
        assert_int_equal(mail_decode_part(&ms.parts[0], &d, NULL), MXD_OK);
        assert_string_equal(buf_cstr(&d), "Sender IP \nAddress: 192.0.2.1\n");
        buf_free(&d);
    }
    static const char fh[] = "Content-Type: text/html; format=flowed\n\nx\n";
    assert_int_equal(mail_scan_run(&ms, fh, strlen(fh)), MXD_OK);
    assert_int_equal(ms.parts[0].flowed, 0);
    static const char ff[] = "Content-Type: text/plain; format=fixed; delsp=yes\n\nx\n";
    assert_int_equal(mail_scan_run(&ms, ff, strlen(ff)), MXD_OK);
    assert_int_equal(ms.parts[0].flowed, 0);
    assert_int_equal(mail_scan_run(&ms, msg, strlen(msg)), MXD_OK);
    assert_int_equal(ms.parts[4].parent, 3);
    assert_memory_equal(ms.parts[4].hdr, "Subject: inner", 14);
    ms.shallow = 0;
    assert_int_equal(mail_scan_run(&ms, msg, strlen(msg)), MXD_OK);
    buf b;
    buf_init(&b, 1024);
    assert_int_equal(mail_decode_part(&ms.parts[1], &b, NULL), MXD_OK);
    assert_string_equal(buf_cstr(&b), "gr\xc3\xbc\xc3\x9f");
    buf_free(&b);
    mail_scan_free(&ms);
}

static void test_scan_headers(void **state)
{
    (void)state;
    const char *hdr = "Subject: a\n folded\r\n\tline\r\nX-Empty:\r\nTo: t@example.org\r\n";
    buf b;
    buf_init(&b, 4096);
    assert_true(mail_header_get(hdr, strlen(hdr), "subject", &b));
    assert_string_equal(buf_cstr(&b), "a folded\tline");
    assert_true(mail_header_get(hdr, strlen(hdr), "X-Empty", &b));
    assert_string_equal(buf_cstr(&b), "");
    assert_false(mail_header_get(hdr, strlen(hdr), "From", &b));
    buf_free(&b);
    char v[64];
    const char *ct = "text/plain; format=flowed; charset*=utf-8''%41b%63; name=\"a;b\"";
    assert_true(mail_param(ct, strlen(ct), "charset", v, sizeof v));
    assert_string_equal(v, "Abc");
    assert_true(mail_param(ct, strlen(ct), "name", v, sizeof v));
    assert_string_equal(v, "a;b");
    assert_false(mail_param(ct, strlen(ct), "boundary", v, sizeof v));
    /* RFC 2231 continuations: sections joined in order, each extended one decoded; a
     * section out of its place or a second section 0 is left out */
    static const struct {
        const char *ct, *want;
    } cont[] = {
        {"multipart/report; boundary*0=\"abc\"; boundary*1=def; report-type=x", "abcdef"},
        {"multipart/report; boundary*0*=us-ascii''a%20b; boundary*1*=%41; boundary*2=\"c\"",
         "a bAc"},
        {"multipart/report; boundary*0=ab; boundary*2=zz; boundary*1=cd", "abcd"},
        {"multipart/report; boundary*0=ab; boundary*0=zz", "ab"},
        {"multipart/report; boundary*1=zz; boundary*0=ab", "ab"},
        {"multipart/report; boundary=plain; boundary*0=zz", "plain"},
        {"multipart/report; boundary*00x=zz; boundary=ok", "ok"},
    };
    for (size_t i = 0; i < sizeof cont / sizeof *cont; i++) {
        assert_true(mail_param(cont[i].ct, strlen(cont[i].ct), "boundary", v, sizeof v));
        assert_string_equal(v, cont[i].want);
    }
    /* a '%' not followed by two hex digits is itself */
    ct = "text/plain; name*=utf-8''a%zzb%4";
    assert_true(mail_param(ct, strlen(ct), "name", v, sizeof v));
    assert_string_equal(v, "a%zzb%4");
}

/* Hostile structure: every limit holds, nothing crashes, time stays linear. */
static void test_scan_limits(void **state)
{
    (void)state;
    mail_scan ms;
    mail_scan_init(&ms);
    /* a 10,000-part MIME bomb */
    buf b;
    buf_init(&b, 64u << 20);
    buf_adds(&b, "Content-Type: multipart/mixed; boundary=x\n\n");
    for (int i = 0; i < 10000; i++)
        buf_adds(&b, "--x\nContent-Type: text/plain\n\npart\n");
    buf_adds(&b, "--x--\n");
    assert_int_equal(mail_scan_run(&ms, b.ptr, b.len), MXD_OK);
    assert_int_equal(ms.nparts, MAIL_MAX_PARTS);
    assert_true(ms.limited);
    /* deep nesting of message/rfc822 */
    buf_reset(&b);
    for (int i = 0; i < 2000; i++)
        buf_adds(&b, "Content-Type: message/rfc822\n\n");
    buf_adds(&b, "Subject: bottom\n\nx\n");
    assert_int_equal(mail_scan_run(&ms, b.ptr, b.len), MXD_OK);
    assert_true(ms.nparts <= MAIL_MAX_DEPTH);
    assert_true(ms.limited);
    /* a 1 MB header line and NUL bytes */
    buf_reset(&b);
    buf_adds(&b, "Subject: ");
    for (int i = 0; i < (1 << 20); i++)
        buf_addc(&b, (char)('a' + i % 26));
    buf_add(&b, "\nX-Nul: a\0b\n\nbody\0with nul\n", 27);
    assert_int_equal(mail_scan_run(&ms, b.ptr, b.len), MXD_OK);
    assert_int_equal(ms.nparts, 1);
    assert_true(ms.limited); /* the fields after 256 KiB of header are not looked at */
    buf v;
    buf_init(&v, MAIL_MAX_FIELD + 1);
    assert_true(mail_header_get(ms.parts[0].hdr, ms.parts[0].hlen, "Subject", &v));
    assert_int_equal(v.len, MAIL_MAX_FIELD);
    buf_free(&v);
    /* truncated in the middle of a part and of a header */
    const char *trunc = "Content-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: te";
    assert_int_equal(mail_scan_run(&ms, trunc, strlen(trunc)), MXD_OK);
    assert_int_equal(ms.nparts, 2);
    assert_false(ms.limited); /* (a run starts afresh) */
    buf_free(&b);
    mail_scan_free(&ms);
}

/* --- decoders --- */

static void test_decoders(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 4096);
    const char *b64 = "SGVsbG8s\nIHdvcmxk\n";
    assert_int_equal(mail_decode_body(b64, strlen(b64), MAIL_CTE_BASE64, "", &b, NULL), MXD_OK);
    assert_string_equal(buf_cstr(&b), "Hello, world");
    buf_reset(&b);
    const char *qp = "soft=\nbreak =3D equals";
    assert_int_equal(mail_decode_body(qp, strlen(qp), MAIL_CTE_QP, "us-ascii", &b, NULL), MXD_OK);
    assert_string_equal(buf_cstr(&b), "softbreak = equals");
    /* RFC 2045 6.7 (3): blanks a transport added at a line's end are no part of the text, so a
     * soft break padded so is still one (a Zoho notice's "5.1.=" then "1" gave "5.1.= 1") */
    buf_reset(&b);
    const char *pad = "ERROR_CODE :5.1.= \t\r\n1 user unknown  \nnext line\t\n=\nend ";
    assert_int_equal(mail_decode_body(pad, strlen(pad), MAIL_CTE_QP, "us-ascii", &b, NULL), MXD_OK);
    assert_string_equal(buf_cstr(&b), "ERROR_CODE :5.1.1 user unknown\nnext line\nend");
    /* (blanks inside a line, and an encoded one at its end, stay) */
    buf_reset(&b);
    const char *inner = "a  b=20\nc";
    assert_int_equal(mail_decode_body(inner, strlen(inner), MAIL_CTE_QP, "us-ascii", &b, NULL),
                     MXD_OK);
    assert_string_equal(buf_cstr(&b), "a  b \nc");
    /* charset conversion, with and without a converter cache */
    mail_conv_cache cc;
    memset(&cc, 0, sizeof cc);
    for (int i = 0; i < 2; i++) {
        buf_reset(&b);
        assert_int_equal(mail_to_utf8("caf\xe9", 4, "iso-8859-1", &b, i ? &cc : NULL), MXD_OK);
        assert_string_equal(buf_cstr(&b), "caf\xc3\xa9");
    }
    mail_conv_cache_free(&cc);
    /* bytes that are not UTF-8 in a UTF-8 part become '?' */
    buf_reset(&b);
    assert_int_equal(mail_to_utf8("a\xff"
                                  "b",
                                  3, "utf-8", &b, NULL),
                     MXD_OK);
    assert_string_equal(buf_cstr(&b), "a?b");
    /* 8-bit bytes in text labelled ISO-2022-JP (EUC-JP, in truth): one '?' each, and the
     * shift state kept across them (ESC $ B ... ESC ( B around a JIS X 0208 pair) */
    buf_reset(&b);
    const char *euc = "abc\xbc\xa1\xa4\xce xyz \x1b$B$\"\x1b(B\xa4!";
    assert_int_equal(mail_to_utf8(euc, strlen(euc), "iso-2022-jp", &b, NULL), MXD_OK);
    assert_string_equal(buf_cstr(&b), "abc???? xyz \xe3\x81\x82?!");
    /* an unknown charset is copied as cleaned UTF-8 */
    buf_reset(&b);
    assert_int_equal(mail_to_utf8("plain", 5, "x-no-such-charset", &b, NULL), MXD_OK);
    assert_string_equal(buf_cstr(&b), "plain");
    /* RFC 2047 */
    char *h = mail_decode_header("=?ISO-8859-1?Q?Gr=FC=DFe?= und =?UTF-8?B?w6k=?=", NULL);
    assert_non_null(h);
    assert_string_equal(h, "Gr\xc3\xbc\xc3\x9f"
                           "e und \xc3\xa9");
    free(h);
    /* RFC 3676: a line ending in a space goes on in the next one at the same quote depth;
     * an unquoted line's stuffing space goes; the signature line "-- " is no soft break; a
     * change of quote depth ends the flowed line; CRLF and LF ends alike */
    buf_reset(&b);
    buf_add(&b, "keep\n", 5);
    const char *flow = "<bob@example.net>: host mx.example.net said: 550 5.1.1 \r\n"
                       " <bob@example.net>: User unknown (in \r\nreply to RCPT TO command)\r\n"
                       "\r\n"
                       " From here\n"
                       "  indented\n"
                       "> quoted and \n"
                       "> flowed\n"
                       ">> deeper \n"
                       "> back\n"
                       "-- \n"
                       "sig \n"
                       "last ";
    buf_add(&b, flow, strlen(flow));
    size_t before = b.len;
    mail_unflow(&b, 5, MAIL_FLOWED);
    assert_true(b.len <= before);
    assert_string_equal(buf_cstr(&b),
                        "keep\n<bob@example.net>: host mx.example.net said: 550 5.1.1 "
                        "<bob@example.net>: User unknown (in reply to RCPT TO command)\n\n"
                        "From here\n indented\n> quoted and flowed\n>> deeper \n> back\n-- \n"
                        "sig last \n");
    /* delsp=yes: the space before each soft break goes too (a break inside a word) */
    buf_reset(&b);
    const char *ds = "Recipient address rej \nected: User unk \nnown\n";
    buf_add(&b, ds, strlen(ds));
    mail_unflow(&b, 0, MAIL_FLOWED | MAIL_DELSP);
    assert_string_equal(buf_cstr(&b), "Recipient address rejected: User unknown\n");
    /* (nothing to do, and an empty tail, change nothing) */
    mail_unflow(&b, b.len, MAIL_FLOWED);
    assert_string_equal(buf_cstr(&b), "Recipient address rejected: User unknown\n");
    /* a field does not go on with the line before it (blanks a gateway added at the ends of
     * a delivery-status block's lines); prose wrapped before a capitalised word and a colon
     * does */
    buf_reset(&b);
    const char *fb = "Final-Recipient: rfc822; a@example.net \nAction: failed \nStatus: 5.1.1\n";
    buf_add(&b, fb, strlen(fb));
    mail_unflow(&b, 0, MAIL_FLOWED);
    assert_string_equal(
        buf_cstr(&b), "Final-Recipient: rfc822; a@example.net \nAction: failed \nStatus: 5.1.1\n");
    /* HTML to text */
    buf_reset(&b);
    const char *html = "<html><style>p{}</style><p>User&nbsp;unknown &lt;x@y&gt;</p><br>550</html>";
    assert_int_equal(mail_html_to_text(html, strlen(html), &b), MXD_OK);
    assert_non_null(strstr(buf_cstr(&b), "User unknown <x@y>"));
    assert_non_null(strstr(buf_cstr(&b), "550"));
    assert_null(strstr(buf_cstr(&b), "p{}"));
    /* the source's line ends and blanks after a line break open no line: DSN fields in an
     * HTML notice stay fields, none a folded continuation of the one above */
    buf_reset(&b);
    const char *fields = "<p>\nFinal-Recipient: rfc822; x@y<br>\n  Action: failed<br>\r\n"
                         "\tStatus: 5.1.1</p>";
    assert_int_equal(mail_html_to_text(fields, strlen(fields), &b), MXD_OK);
    assert_string_equal(buf_cstr(&b), "\nFinal-Recipient: rfc822; x@y\nAction: failed\nStatus: "
                                      "5.1.1\n");
    /* numeric references decimal and hexadecimal, HTML 4.01's Latin-1 names (their case
     * counts); what is none stays as written */
    buf_reset(&b);
    const char *refs = "hasn&#x27;t &#39;a&#X2019; r&eacute;pondu &Uuml;ber Stra&szlig;e "
                       "&EACUTE; &#xZZ; &bogus; &#x0000000041;&#160;&#xa0;&amp";
    assert_int_equal(mail_html_to_text(refs, strlen(refs), &b), MXD_OK);
    assert_string_equal(buf_cstr(&b), "hasn't 'a\xe2\x80\x99 r\xc3\xa9pondu \xc3\x9c"
                                      "ber Stra\xc3\x9f"
                                      "e &EACUTE; &#xZZ; &bogus; A  &amp");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_message_file),
        cmocka_unit_test(test_missing_path),
        cmocka_unit_test(test_mbox_messages_and_labels),
        cmocka_unit_test(test_mbox_cr_line_ends),
        cmocka_unit_test(test_mbox_cr_blank_after_from),
        cmocka_unit_test(test_mbox_long_from_line),
        cmocka_unit_test(test_mbox_streams_across_chunks),
        cmocka_unit_test(test_maildir_and_tree),
        cmocka_unit_test(test_maildir_links_read_once),
        cmocka_unit_test(test_not_a_regular_file),
        cmocka_unit_test(test_scan_multipart_report),
        cmocka_unit_test(test_scan_headers),
        cmocka_unit_test(test_scan_limits),
        cmocka_unit_test(test_decoders),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
