# bounce-metamorphic.py - `mxdiag bounce` gives the same records for a bounce however it reaches
# the reader: changes a real mail path makes to a notice must not change what it says.
# SPDX-License-Identifier: MIT
#
# usage: bounce-metamorphic.py MXDIAG WORKDIR [-v] [--split SPLITDIR]... DIR...
# (SPLITDIR: a corpus under a DIR split in halves as bounce-split.sh and bounce-real.sh split
# theirs; its held half's differences are counted, never named, and never fail the run)
# Every message file under each DIR (bounces, auto-replies, ordinary mail; *.json, *.md, *.txt
# licence notes, *.py and *.tsv are no messages) is rewritten by each transform below into
# WORKDIR/<transform>/, mxdiag reads each directory once (--jsonl), and each file's records are
# compared with the original's: recipient, action, status, reason, hard-bounce flag and the
# diagnostic text (its blanks as one; a forward's records are compared without it). No
# transform is random: the same input gives the same files, and the test the same result.
#
# The transforms (each is something a mail path really does to a notice on its way to the
# reader):
#   crlf      line ends CR LF (a message saved by a Windows client, an IMAP fetch)
#   mbox      the message in an mbox, with ">From " quoting (a mail spool, an export)
#   received  three more header fields on top (the receiving side's Received, a spam filter's
#             X-Spam-Status and an ARC-Seal, as a mailbox server adds them)
#   lowerhdr  the top header's field names in lower case (some stores and gateways write them so)
#   subject   "[EXTERNAL] " before the Subject (a gateway's tag for mail from outside)
#   banner    a gateway's "CAUTION: This email originated from outside ..." paragraph before
#             the first text part's words (plain 7bit/8bit parts only: the others are left as
#             they are)
#   wrap60    the first plain text part's lines longer than 60 columns wrapped at a blank
#             (a notice an MTA of another version or locale wraps at another width, a client
#             or gateway re-flowing it); compared without the diagnostic (a reader that takes
#             a line takes less of a wrapped one)
#   qp        the first plain text part in quoted-printable (as Exchange and many MTAs send it)
#   base64    the same in base64 (as Gmail and Microsoft send some notices)
#   trailing  two blanks at the end of its lines (as some clients keep them)
#   html      the first plain text part as HTML only (a client or gateway converting it)
#   encoded   the Subject and the From's display name as RFC 2047 encoded-words
#   latin1    the first plain text part re-encoded from UTF-8 in ISO-8859-1 (where it can be)
#   dsnorder  the fields of each recipient's group of the delivery-status part in reverse order
#   addrcase  every address's domain in the body in upper case (compared without the
#             diagnostic, which quotes the address as written)
#   paste     a text notice's words alone, as a user copies them out of a client (recipients
#             and reasons compared, a hard flag may be lost): measured, never failed on
#             (MEASURED below)
#   fwdinline a text notice forwarded inline as Gmail writes it: measured, never failed on
#   forward   the notice forwarded as an attachment (message/rfc822) by a person: the same
#             records, a hard flag lost (a text notice a person passes on is hearsay: a
#             delivery-status report is the mail system's own words), never one gained
#
# Files KNOWN (below) names may differ under that transform (each with why).
# The script prints, per transform, how many files kept their records; with -v each
# difference. It exits 1 when a file not in KNOWN changed, else 0.
import json
import os
import subprocess
import sys

HDR_END = (b"\r\n\r\n", b"\n\n")

BANNER = (b"CAUTION: This email originated from outside of the organization. Do not click "
          b"links or open attachments unless you recognize the sender and know the content "
          b"is safe.\n\n")

# (transform, a part of the file's path, why its records may differ)
_NESTED = ("a message that is itself a person's forward, reply or list post quoting a notice, "
           "or a notice nesting one, forwarded again: an attached message is read one level "
           "deep (lib/bounce/bounce.c), its own attachment or quote is not")
_SESJSON = ("Amazon SES's JSON notification attached to a person's message: an attached message "
            "is read when it is a delivery-status report or a notice bounce-phrases.tsv knows")
_NOBLANK = ("a text part written without the blank line after its header (Twisted's "
            "bounce.py): the transform's Content-Transfer-Encoding field lands in its text")
KNOWN = [
    ("forward", "/people/", _NESTED),
    ("forward", "/forwarded-bounce.eml", _NESTED),
    ("forward", "/fwd-gmail-in-reply-to.eml", _NESTED),
    ("forward", "/fwd-thunderbird-flowed.eml", _NESTED),
    ("forward", "/nested-dsn.eml", _NESTED),
    ("forward", "/lhost-sendmail-14.eml", _NESTED),
    ("forward", "/ses-notification.eml", _SESJSON),
    ("forward", "/ses-suppressed-json.eml", _SESJSON),
    ("forward", "/lhost-amazonses-10.eml", _SESJSON),
    ("wrap60", "/mdaemon.eml", "MDaemon quotes its session log, a line per event: a wrapped "
     "line's rest (\"Name server reports domain\\nname unknown\") is no event of its own"),
    ("wrap60", "/lhost-sendmail-21.eml", "Sendmail's transcript, a line per reply: a wrapped "
     "reply's rest (\"Deferred: Connection\\nrefused by ...\") is not read, and \"Deferred\" "
     "alone reads expired"),
    ("html", "/fwd-thunderbird-flowed.eml", "a person's inline forward written format=flowed: "
     "as HTML its soft breaks are line breaks, and the list's bounce address in the quoted "
     "header reads as a second recipient (soft: hearsay)"),
    ("qp", "/twisted-dsn-no-blank.eml", _NOBLANK),
    ("base64", "/twisted-dsn-no-blank.eml", _NOBLANK),
    ("wrap60", "/rfc3464-39.eml", "a notice no reader knows whose recipient moves to the line "
     "after its lead: onhold (a diagnostic of dashes and a label) becomes undefined (none), "
     "Sisimai's two names for a reason it cannot tell"),
]


# transforms measured, never failed on: what they change is mostly the design (a paste loses
# the header fields that said what the message is)
MEASURED = {
    "fwdinline": "forwarded inline by a person: read as the notice it forwards only when its "
                 "own words say it is one (a notice's subject, sentence or lead), never hard",
    "paste": "pasted without its header: an auto-reply, a Google Groups or Lotus Notes notice "
             "and a few others are known by their header fields only; a person's words around a "
             "notice pasted whole (no '> ' quoting) are read as the notice",
}


def known(name, path):
    for t, part, why in KNOWN:
        if t == name and part in path:
            return why
    return None


def held(path):
    """The held half of a split corpus (bounce-split.sh: the first hex digit of the MD5 of the
    file's name is 8-f): measured, never read file by file."""
    import hashlib
    return hashlib.md5(os.path.basename(path).encode()).hexdigest()[0] in "89abcdef"


def split_header(data):
    """(header, separator, body) of a message; None when it has no blank line after a header."""
    cut = None
    for sep in HDR_END:
        i = data.find(sep)
        if i >= 0 and (cut is None or i < cut[0]):
            cut = (i, sep)
    if cut is None:
        return None
    i, sep = cut
    return data[:i], sep, data[i + len(sep):]


def nl_of(data):
    return b"\r\n" if b"\r\n" in data[:4096] else b"\n"


def looks_like_message(data):
    """A header opens the file: field lines, among them a From, Subject or Received field
    (a notice pasted without its header, or a log, is no message here)."""
    parts = split_header(data)
    if not parts:
        return False
    lines = parts[0].replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[0].startswith(b"From "):
        lines = lines[1:]
    seen = False
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            continue
        name, colon, _ = line.partition(b":")
        if not colon or not name or not all(33 <= c <= 126 for c in name):
            return False
        seen |= name.lower() in (b"from", b"subject", b"received")
    return seen


def message_parts(data):
    """(header, separator, body, line end) of a message file that opens with its header (not
    an mbox, not a pasted text), else None."""
    if data.startswith(b"From ") or not looks_like_message(data):
        return None
    parts = split_header(data)
    if not parts:
        return None
    head, sep, body = parts
    return head, sep, body, nl_of(head + sep)


def t_crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def t_mbox(data):
    if data.startswith(b"From "):
        return None
    nl = nl_of(data)
    lines = data.split(nl)
    out = [b"From MAILER-DAEMON Thu Jan  1 00:00:00 2026"]
    for line in lines:
        s = line
        k = 0
        while k < len(s) and s[k:k + 1] == b">":
            k += 1
        if s[k:k + 5] == b"From ":
            s = b">" + s
        out.append(s)
    body = nl.join(out)
    if not body.endswith(nl):
        body += nl
    return body + nl


def t_received(data):
    if data.startswith(b"From ") or not looks_like_message(data):
        return None
    nl = nl_of(data)
    extra = [b"Received: from mx.example.invalid (mx.example.invalid [192.0.2.200])",
             b"\tby imap.example.invalid with LMTP id a1b2c3; Thu, 1 Jan 2026 00:00:02 +0000",
             b"X-Spam-Status: No, score=-0.1 required=5.0",
             b"ARC-Seal: i=1; a=rsa-sha256; d=example.invalid; s=arc; t=1767225602; cv=none;",
             b"\tb=AAAA"]
    return nl.join(extra) + nl + data


def t_lowerhdr(data):
    parts = message_parts(data)
    if not parts:
        return None
    head, sep, body, nl = parts
    out = []
    for line in head.split(nl):
        if line[:1] in (b" ", b"\t") or b":" not in line:
            out.append(line)
        else:
            name, rest = line.split(b":", 1)
            out.append(name.lower() + b":" + rest)
    return nl.join(out) + sep + body


def t_subject(data):
    parts = message_parts(data)
    if not parts:
        return None
    head, sep, body, nl = parts
    lines = head.split(nl)
    for i, line in enumerate(lines):
        if line[:8].lower() == b"subject:":
            v = line[8:]
            lines[i] = line[:8] + b" [EXTERNAL]" + (v if v.startswith(b" ") else b" " + v)
            return nl.join(lines) + sep + body
    return None


def t_encoded(data):
    """The Subject and the From's display name as RFC 2047 encoded-words (=?UTF-8?B?...?=),
    as Exchange and most clients send a field with non-ASCII letters."""
    import base64
    parts = message_parts(data)
    if not parts:
        return None
    head, sep, body, nl = parts
    lines = head.split(nl)
    out, done, i = [], False, 0
    while i < len(lines):
        line = lines[i]
        j = i + 1
        while j < len(lines) and lines[j][:1] in (b" ", b"\t"):
            j += 1
        field = b" ".join([line] + [x.strip() for x in lines[i + 1:j]])
        name, _, value = field.partition(b":")
        value = value.strip()
        if name.lower() == b"subject" and value and b"=?" not in value:
            enc = b"=?UTF-8?B?" + base64.b64encode(value) + b"?="
            out.append(name + b": " + enc)
            done = True
        elif name.lower() == b"from" and b"<" in value and b"=?" not in value:
            disp, _, addr = value.partition(b"<")
            disp = disp.strip().strip(b'"')
            if disp:
                enc = b"=?UTF-8?B?" + base64.b64encode(disp) + b"?="
                out.append(name + b": " + enc + b" <" + addr)
                done = True
            else:
                out.extend(lines[i:j])
        else:
            out.extend(lines[i:j])
        i = j
    return nl.join(out) + sep + body if done else None


def header_value(head, name, nl):
    """The unfolded value of the first field name in head (bytes, lower case), or b""."""
    lines = head.split(nl)
    for i, line in enumerate(lines):
        if line[:len(name) + 1].lower() == name + b":":
            v = line[len(name) + 1:]
            for more in lines[i + 1:]:
                if more[:1] not in (b" ", b"\t"):
                    break
                v += b" " + more.strip()
            return v.strip().lower()
    return b""


def t_banner(data):
    """The banner before the first text/plain part's words (a plain one: no QP or base64)."""
    nl = nl_of(data)
    return t_banner_at(data, BANNER.replace(b"\n", nl))


def t_banner_at(data, banner):
    """data with banner put before the first plain text part's words; None when it has none."""
    parts = message_parts(data)
    if not parts:
        return None
    head, sep, body, nl = parts
    ctype = header_value(head, b"content-type", nl)
    cte = header_value(head, b"content-transfer-encoding", nl)
    if not ctype.startswith(b"multipart/"):
        if (ctype and not ctype.startswith(b"text/plain")) or cte in (b"base64",
                                                                       b"quoted-printable"):
            return None
        return head + sep + banner + body
    boundary = top_boundary(data)
    if not boundary:
        return None
    delim = b"--" + boundary
    at = body.find(delim)
    if at < 0:
        return None
    part_start = body.find(nl, at)
    if part_start < 0:
        return None
    part_start += len(nl)
    rest = body[part_start:]
    if rest.startswith(nl):  # a part with no header: text/plain
        return head + sep + body[:part_start] + nl + banner + rest[len(nl):]
    pparts = split_header(rest)
    if pparts is None:
        return None
    phead, psep, pbody = pparts
    if delim in phead:
        return None
    pctype = header_value(phead, b"content-type", nl)
    pcte = header_value(phead, b"content-transfer-encoding", nl)
    if (pctype and not pctype.startswith(b"text/plain")) or pcte in (b"base64",
                                                                      b"quoted-printable"):
        return None
    return head + sep + body[:part_start] + phead + psep + banner + pbody


def wrap_lines(body, nl, width):
    """Lines longer than width broken at the last blank before it, the continuation indented
    as its line is."""
    out = []
    for line in body.split(nl):
        while len(line) > width:
            cut = line.rfind(b" ", 0, width)
            ind = len(line) - len(line.lstrip(b" \t"))
            if cut <= ind:
                break
            out.append(line[:cut].rstrip(b" "))
            line = line[:ind] + line[cut + 1:].lstrip(b" ")
        out.append(line)
    return nl.join(out)


def t_wrap60(data):
    """The first plain text part re-wrapped at 60 columns (a gateway or a client re-flowing it)."""
    got = first_plain_part(data)
    if not got:
        return None
    head, text, tail, nl = got
    return head + wrap_lines(text, nl, 60) + tail


def first_plain_part(data):
    """(before, part header, separator, text, after) of the first plain text part (7bit/8bit
    text/plain, the message's own or a multipart's first), or None."""
    marked = t_banner_at(data, b"\x00MARK\x00")
    if marked is None:
        return None
    i = marked.index(b"\x00MARK\x00")
    head, rest = marked[:i], marked[i + 6:]
    nl = nl_of(data)
    boundary = top_boundary(data)
    j = rest.find(nl + b"--" + boundary) if boundary else -1
    text, tail = (rest, b"") if j < 0 else (rest[:j], rest[j:])
    return head, text, tail, nl


def top_boundary(data):
    """The boundary of a multipart message, as its header writes it; None for a single part."""
    parts = split_header(data)
    if not parts:
        return None
    head, sep, _ = parts
    nl = nl_of(head + sep)
    if not header_value(head, b"content-type", nl).startswith(b"multipart/"):
        return None
    raw = head.replace(nl + b"\t", b" ").replace(nl + b" ", b" ")
    i = raw.lower().find(b"boundary=")
    if i < 0:
        return None
    v = raw[i + 9:].split(b";")[0].strip()
    return v[1:].split(b'"')[0] if v.startswith(b'"') else v.split()[0]


def part_fields(head, nl, name, value):
    """head (ending in the blank line before the part's text) with the part's own field name
    (lower case, with its colon) replaced by name: value. The part's header is what follows
    the last boundary line (a multipart's part) or the whole head (a single part)."""
    end = head.rfind(nl + nl)
    if end < 0:
        return None
    body = head[:end]
    cut = body.rfind(nl + b"--")
    cut = 0 if cut < 0 else body.index(nl, cut + len(nl)) + len(nl) if nl in body[cut + len(nl):] \
        else len(body)
    before, own = body[:cut], body[cut:]
    out, skip = [], False
    for x in own.split(nl) if own else []:
        if skip and x[:1] in (b" ", b"\t"):
            continue
        skip = x.lower().startswith(name)
        if not skip:
            out.append(x)
    field = name[:1].upper() + name[1:-1] + b": " + value
    field = b"-".join(w[:1].upper() + w[1:] for w in field.split(b"-"))
    own = nl.join(out + [field]) if out else field
    sep = b"" if not before or before.endswith(nl) else nl
    return before + sep + own + nl + nl


def with_cte(head, nl, cte):
    """head (ending in its blank line) with a Content-Transfer-Encoding field: cte."""
    return part_fields(head, nl, b"content-transfer-encoding:", cte)


def encoded_part(data, cte, encode):
    """data with its first plain text part's text encoded by encode(text, nl) under the
    Content-Transfer-Encoding cte; None when it has no such part."""
    got = first_plain_part(data)
    if not got:
        return None
    head, text, tail, nl = got
    h = with_cte(head, nl, cte)
    return None if h is None else h + encode(text, nl) + tail


def t_qp(data):
    """The first plain text part in quoted-printable (as Exchange and many MTAs send it)."""
    import quopri
    return encoded_part(data, b"quoted-printable", lambda t, nl: quopri.encodestring(
        t.replace(nl, b"\n")).replace(b"\n", nl))


def t_base64(data):
    """The first plain text part in base64 (as Gmail and Microsoft send some notices)."""
    import base64
    return encoded_part(data, b"base64",
                        lambda t, nl: base64.encodebytes(t).replace(b"\n", nl) + nl)


def t_trailing(data):
    """Blanks at the end of the first plain text part's lines (as some clients keep them)."""
    got = first_plain_part(data)
    if not got:
        return None
    head, text, tail, nl = got
    return head + nl.join(x + b"  " if x else x for x in text.split(nl)) + tail


def with_type(head, nl, ctype):
    """head (ending in its blank line) with the part's Content-Type field replaced by ctype."""
    return part_fields(head, nl, b"content-type:", ctype)


def t_html(data):
    """The first plain text part as HTML only (a client or a gateway that sends HTML): each
    line a line of a <p>, blank lines ending paragraphs, the text's <, > and & escaped, its
    indentation in &nbsp; (as clients convert plain text)."""
    import html as htmlmod
    got = first_plain_part(data)
    if not got:
        return None
    head, text, tail, nl = got
    if b"\x1b" in text:  # (ISO-2022-JP: its bytes are no characters to escape one by one)
        return None
    h = with_type(head, nl, b"text/html; charset=utf-8")
    if h is None:
        return None

    def line(x):  # (escaped, its indentation kept as a client keeps it: &nbsp;)
        t = htmlmod.escape(x.decode("utf-8", "replace"))
        n = len(t) - len(t.lstrip(" "))
        return ("&nbsp;" * n + t[n:]).encode()

    paras = [p for p in text.replace(nl, b"\n").split(b"\n\n") if p.strip()]
    body = b"".join(b"<p>" + b"<br>\n".join(line(x) for x in p.split(b"\n")) + b"</p>\n"
                    for p in paras)
    doc = b"<html><body>\n" + body + b"</body></html>\n"
    return h + doc.replace(b"\n", nl) + tail


def t_latin1(data):
    """The first plain text part, in UTF-8 with letters beyond ASCII, re-encoded in
    ISO-8859-1 (as a European MTA or client may send it), its charset labelled so."""
    got = first_plain_part(data)
    if not got:
        return None
    head, text, tail, nl = got
    try:
        u = text.decode("utf-8")
        if u.isascii():
            return None
        enc = u.encode("iso-8859-1")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return None
    h = with_type(head, nl, b"text/plain; charset=iso-8859-1")
    h = h and part_fields(h, nl, b"content-transfer-encoding:", b"8bit")
    return h + enc + tail if h else None


def t_dsnorder(data):
    """The fields of each recipient's group in the delivery-status part in reverse order
    (RFC 3464 sets no order; MTAs write Status before Action, Diagnostic-Code first ...), a
    folded field kept with its continuation lines. Only a 7bit/8bit part, and only a group of
    one recipient (one written without the blank line between recipients is left as it is)."""
    low = data.lower()
    i = low.find(b"content-type: message/delivery-status")
    if i < 0:
        return None
    nl = nl_of(data)
    hdr_end = data.find(nl + nl, i)
    if hdr_end < 0 or b"base64" in low[i:hdr_end] or b"quoted-printable" in low[i:hdr_end]:
        return None
    start = hdr_end + 2 * len(nl)
    boundary = top_boundary(data)
    end = data.find(nl + b"--" + boundary, start) if boundary else -1
    if end < 0:
        return None
    groups = data[start:end].split(nl + nl)
    out = [groups[0]]  # (the per-message fields stay as they are)
    changed = False
    for g in groups[1:]:
        fields = []
        trail = len(g) - len(g.rstrip(b"\r\n"))
        g, rest = g[:len(g) - trail], g[len(g) - trail:]
        for line in g.split(nl):
            if line[:1] in (b" ", b"\t") and fields:
                fields[-1].append(line)
            else:
                fields.append([line])
        finals = sum(f[0].lower().startswith(b"final-recipient:") for f in fields)
        if len(fields) > 1 and finals == 1 and all(f[0].strip() for f in fields):
            fields.reverse()
            changed = True
        out.append(nl.join(nl.join(f) for f in fields) + rest)
    if not changed:
        return None
    return data[:start] + (nl + nl).join(out) + data[end:]


def t_addrcase(data):
    """Every address's domain in the body in upper case (people type "Bob@Example.NET"; some
    MTAs write the recipient as it was given): the records are the same, recipients compared
    in lower case. Only a message whose body is 7bit/8bit text throughout."""
    import re
    parts = split_header(data)
    if not parts or data.startswith(b"From "):
        return None
    head, sep, body = parts
    if re.search(rb"(?i)content-transfer-encoding:\s*(base64|quoted-printable)", data):
        return None
    if b"\x1b" in body:
        return None
    new = re.sub(rb"(@)([A-Za-z0-9.-]+\.[A-Za-z]{2,})", lambda m: m.group(1) + m.group(2).upper(),
                 body)
    return head + sep + new if new != body else None


def t_paste(data):
    """A text notice's words alone, as a user copies them out of the mail client to ask why
    (a notice with a delivery-status part or a feedback report is not pasted: its fields are
    not what a client shows)."""
    low = data.lower()
    if b"message/delivery-status" in low or b"message/feedback-report" in low:
        return None
    got = first_plain_part(data)
    if not got:
        return None
    head, text, tail, nl = got
    text = text.strip()
    return text + nl if text else None


def t_fwdinline(data):
    """A text notice forwarded inline as Gmail writes it ("---------- Forwarded message
    ---------" and the notice's From, Date, Subject and To above its words) by a person who
    asks why: measured, never failed on (the records are the same, never hard)."""
    low = data.lower()
    if b"message/delivery-status" in low or b"message/feedback-report" in low:
        return None
    parts = message_parts(data)
    got = first_plain_part(data)
    if not parts or not got:
        return None
    head, sep, body, nl = parts
    _, text, _, _ = got
    def field(name):
        v = header_value(head, name, nl)
        return v.decode("utf-8", "replace").encode() if v else b""
    out = [b"From: Pat Person <pat@example.invalid>",
           b"To: help@example.invalid",
           b"Subject: Fwd: " + (field(b"subject") or b"bounce"),
           b"Date: Thu, 1 Jan 2026 00:00:05 +0000",
           b"Message-ID: <fwdinline-0001@example.invalid>",
           b"MIME-Version: 1.0",
           b"Content-Type: text/plain; charset=utf-8",
           b"",
           b"Why did this come back?",
           b"",
           b"---------- Forwarded message ---------",
           b"From: " + field(b"from"),
           b"Date: " + field(b"date"),
           b"Subject: " + field(b"subject"),
           b"To: " + field(b"to"),
           b""]
    return nl.join(out) + nl + text.strip() + nl


def t_forward(data):
    if data.startswith(b"From ") or not looks_like_message(data):
        return None
    nl = nl_of(data)
    b = b"fwd-boundary-0001"
    outer = [b"From: Pat Person <pat@example.invalid>",
             b"To: postmaster@example.invalid",
             b"Subject: Fwd: this bounced, why?",
             b"Date: Thu, 1 Jan 2026 00:00:05 +0000",
             b"Message-ID: <fwd-0001@example.invalid>",
             b"MIME-Version: 1.0",
             b"Content-Type: multipart/mixed; boundary=\"" + b + b"\"",
             b"",
             b"--" + b,
             b"Content-Type: text/plain; charset=utf-8",
             b"",
             b"Hi, I got the message below back. Can you tell me why?",
             b"",
             b"--" + b,
             b"Content-Type: message/rfc822",
             b"Content-Disposition: attachment; filename=\"bounce.eml\"",
             b"",
             b""]
    tail = (b"" if data.endswith(nl) else nl) + b"--" + b + b"--" + nl
    return nl.join(outer) + data + tail


TRANSFORMS = [("crlf", t_crlf), ("mbox", t_mbox), ("received", t_received),
              ("lowerhdr", t_lowerhdr), ("subject", t_subject), ("banner", t_banner),
              ("forward", t_forward), ("wrap60", t_wrap60), ("qp", t_qp), ("base64", t_base64),
              ("trailing", t_trailing), ("html", t_html), ("encoded", t_encoded),
              ("latin1", t_latin1), ("dsnorder", t_dsnorder), ("addrcase", t_addrcase),
              ("paste", t_paste), ("fwdinline", t_fwdinline)]

SKIP_EXT = (".json", ".md", ".py", ".tsv", ".license")


def inputs(dirs):
    out = []
    for d in dirs:
        for root, subdirs, files in os.walk(d):
            subdirs.sort()
            for f in sorted(files):
                if f.endswith(SKIP_EXT) or f.startswith("LICENSE") or f == "SOURCES.md":
                    continue
                out.append(os.path.join(root, f))
    return out


def records(binary, directory):
    """Each file's records under directory, by the path relative to it."""
    p = subprocess.run([binary, "bounce", "--jsonl", directory], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    if p.returncode not in (0, 65):
        print("FAIL mxdiag bounce exited %d on %s" % (p.returncode, directory))
        sys.exit(1)
    by = {}
    for line in p.stdout.splitlines():
        r = json.loads(line)
        rel = os.path.relpath(r["origin"], directory)
        by.setdefault(rel, []).append((r["recipient"].lower(), r["action"], r["status"],
                                       r["reason"], r["hardbounce"],
                                       " ".join(r["diagnosticcode"].split())))
    return {k: sorted(v) for k, v in by.items()}


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv[1:]
    split = set()
    while "--split" in args:  # (--split DIR: a corpus split in halves, its held half counted)
        i = args.index("--split")
        split.add(args[i + 1])
        del args[i:i + 2]
    binary, work, dirs = args[0], args[1], args[2:]
    files = inputs(dirs)
    in_split = {f for f in files for d in split if f.startswith(d.rstrip("/") + "/")}
    names = {}
    base = os.path.join(work, "orig")
    for i, f in enumerate(files):
        rel = "%04d-%s" % (i, os.path.basename(f))
        names[rel] = f
        os.makedirs(base, exist_ok=True)
        with open(f, "rb") as src, open(os.path.join(base, rel), "wb") as dst:
            dst.write(src.read())
    orig = records(binary, base)
    fail = 0
    for name, fn in TRANSFORMS:
        tdir = os.path.join(work, name)
        os.makedirs(tdir, exist_ok=True)
        done = []
        for rel in sorted(names):
            with open(os.path.join(base, rel), "rb") as src:
                out = fn(src.read())
            if out is None:
                continue
            with open(os.path.join(tdir, rel), "wb") as dst:
                dst.write(out)
            done.append(rel)
        got = records(binary, tdir)
        same = 0
        held_diff = 0
        for rel in done:
            want = orig.get(rel, [])
            have = got.get(rel, [])
            if name in ("paste", "fwdinline"):  # (recipients, reasons; a flag may be lost)
                if ([x[0] for x in have] == [x[0] for x in want] and
                        all(h[3] == w[3] and h[4] <= w[4] for h, w in zip(have, want))):
                    have = want
            # (a reader that takes a line takes less of a wrapped one; an address's case is
            # in the diagnostic as written)
            if name in ("wrap60", "addrcase"):
                have = [x[:5] for x in have]
                want = [x[:5] for x in want]
            if name == "forward":
                # (the same records; a hard flag may be lost, a text notice a person passes on
                # being hearsay, but never gained; an auto-reply or a feedback report a person
                # passes on is none of the person's: no record then is right too)
                have = [x[:5] for x in have]
                want = [x[:5] for x in want]
                if [x[:4] for x in have] == [x[:4] for x in want] and all(
                        h[4] <= w[4] for h, w in zip(have, want)):
                    have = want
                elif not have and all(w[3] in ("vacation", "feedback") for w in want):
                    have = want
            if have == want:
                same += 1
                continue
            path = names[rel]
            if path in in_split and held(path):
                held_diff += 1
                continue
            why = known(name, path) or (MEASURED.get(name) if name in MEASURED else None)
            if not why:
                fail = 1
            if verbose or not why:
                print("%s %s: %s: was %s, now %s%s" % ("note" if why else "FAIL", name, path,
                                                       want, have,
                                                       " (known: %s)" % why if why else ""))
        print("%-9s %d of %d files keep their records%s" % (
            name, same, len(done),
            "; held half: %d differ (not named)" % held_diff if split else ""))
    return fail


if __name__ == "__main__":
    sys.exit(main())
