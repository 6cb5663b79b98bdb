/* dkim_verify.c - DKIM signature verification (RFC 6376 section 6, RFC 8463, RFC 8301)
 * SPDX-License-Identifier: MIT
 *
 * Every DKIM-Signature field (at most MXD_DKIM_MAX_SIGNATURES) is parsed first and its key
 * query submitted; one resolver run fetches all keys; then each signature is verified: body
 * hash (canonicalized body, cut at l=), then the header hash (the fields h= names, taken from
 * the bottom up, then the signature field itself with b= emptied) against the key: RSA
 * PKCS#1 v1.5 with SHA-256, or Ed25519 over the SHA-256 hash (RFC 8463).
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/crypto.h"
#include "mxdiag/dkim.h"
#include "check/checkutil.h"
#include "check/dkim_internal.h"
#include "check/taglist.h"
#include "util/str.h"

/* Largest signature and body hash decoded (an 8192-bit RSA signature is 1024 bytes). */
#define DKIM_SIG_MAX  1024
#define DKIM_HASH_MAX 64
/* Header hash input kept (the signed fields of one signature). */
#define DKIM_HEADER_DATA_MAX (1024u * 1024)

enum { ALG_RSA = 1, ALG_ED25519 = 2 };

typedef struct sigwork {
    mxd_dkim_sig *sig;
    const dkim_field *field;
    int ready; /* parsed: waiting for its key */
    int alg;
    int relaxed_h, relaxed_b;
    unsigned char b[DKIM_SIG_MAX];
    size_t blen;
    unsigned char bh[DKIM_HASH_MAX];
    size_t bhlen;
    char *idomain; /* domain part of i= */
    dkim_txt txt;
} sigwork;

/* mxd_dkim_result_name - the result word. */
const char *mxd_dkim_result_name(mxd_dkim_result r)
{
    static const char *const names[] = {"pass", "fail", "neutral", "temperror", "permerror"};
    return (unsigned)r < sizeof names / sizeof *names ? names[r] : "unknown";
}

static void verdict(sigwork *w, mxd_dkim_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* verdict - set the result and its reason (the first reason given stays). */
static void verdict(sigwork *w, mxd_dkim_result r, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    w->sig->result = r;
    w->ready = 0;
    if (!w->sig->reason)
        w->sig->reason = str_dup_n(text, strlen(text));
}

static char *tagdup(const taglist *tl, const char *name)
{
    const taglist_tag *t = taglist_get(tl, name);
    return t ? str_dup_n(t->val, t->vlen) : NULL;
}

/* parse_num - decimal digits, at most 18 of them. -1 when bad. */
static long long parse_num(const taglist_tag *t)
{
    unsigned long v;
    if (!t || t->vlen > 18 || str_parse_uint(t->val, t->vlen, 999999999999999999ul, &v))
        return -1;
    return (long long)v;
}

/* under - is sub equal to dom or one of its subdomains (case-insensitive)? */
static int under(const char *sub, const char *dom)
{
    size_t sl = strlen(sub), dl = strlen(dom);
    if (sl < dl || !str_caseeq(sub + sl - dl, dl, dom))
        return 0;
    return sl == dl || sub[sl - dl - 1] == '.';
}

/* parse_sig - the tags of one DKIM-Signature; submits its key query when usable. */
static int parse_sig(mxd_resolver *r, sigwork *w, long long now)
{
    mxd_dkim_sig *s = w->sig;
    const dkim_field *f = w->field;
    const char *colon = memchr(f->raw, ':', f->len);
    const char *v = colon + 1;
    size_t vlen = (size_t)(f->raw + f->len - v);
    taglist tl;
    char why[200];
    s->timestamp = s->expires = s->body_length = -1;
    s->body_hash_ok = -1;
    if (taglist_parse(v, vlen, &tl, why, sizeof why)) {
        verdict(w, MXD_DKIM_PERMERROR, "malformed DKIM-Signature: %s", why);
        return 0;
    }
    s->domain = tagdup(&tl, "d");
    s->selector = tagdup(&tl, "s");
    s->algorithm = tagdup(&tl, "a");
    s->identity = tagdup(&tl, "i");
    s->headers = tagdup(&tl, "h");
    static const char *const required[] = {"v", "a", "b", "bh", "d", "h", "s"};
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        if (!taglist_get(&tl, required[i])) {
            verdict(w, MXD_DKIM_PERMERROR, "the signature has no %s= tag", required[i]);
            return 0;
        }
    if (!s->domain || !s->selector || !s->algorithm || !s->headers)
        return -1;
    size_t o = 0; /* h= without its folding and blanks: "from:to:subject" */
    for (size_t i = 0; s->headers[i]; i++)
        if (!taglist_is_ws((unsigned char)s->headers[i]))
            s->headers[o++] = s->headers[i];
    s->headers[o] = 0;
    for (char *c = s->domain; *c; c++)
        *c = (char)str_tolower((unsigned char)*c);
    const taglist_tag *t = taglist_get(&tl, "v");
    if (!(t->vlen == 1 && t->val[0] == '1')) {
        verdict(w, MXD_DKIM_NEUTRAL, "unsupported version v=%.*s", (int)t->vlen, t->val);
        return 0;
    }
    if (!strcmp(s->algorithm, "rsa-sha256")) {
        w->alg = ALG_RSA;
    } else if (!strcmp(s->algorithm, "ed25519-sha256")) {
        w->alg = ALG_ED25519;
    } else if (!strcmp(s->algorithm, "rsa-sha1")) {
        verdict(w, MXD_DKIM_NEUTRAL, "rsa-sha1 signatures are no longer accepted (RFC 8301)");
        return 0;
    } else {
        verdict(w, MXD_DKIM_NEUTRAL, "unknown algorithm a=%s", s->algorithm);
        return 0;
    }
    /* c=header[/body], default simple/simple */
    t = taglist_get(&tl, "c");
    const char *cv = t ? t->val : "simple";
    size_t cl = t ? t->vlen : 6;
    const char *slash = memchr(cv, '/', cl);
    size_t hl = slash ? (size_t)(slash - cv) : cl;
    const char *bv = slash ? slash + 1 : "simple";
    size_t bl = slash ? (size_t)(cv + cl - bv) : 6;
    int hs = str_caseeq(cv, hl, "simple"), hr = str_caseeq(cv, hl, "relaxed");
    int bs = str_caseeq(bv, bl, "simple"), br = str_caseeq(bv, bl, "relaxed");
    if (!(hs || hr) || !(bs || br)) {
        verdict(w, MXD_DKIM_NEUTRAL, "unknown canonicalization c=%.*s", (int)cl, cv);
        return 0;
    }
    w->relaxed_h = hr;
    w->relaxed_b = br;
    char canon[32];
    snprintf(canon, sizeof canon, "%s/%s", hr ? "relaxed" : "simple", br ? "relaxed" : "simple");
    s->canon = str_dup_n(canon, strlen(canon));
    t = taglist_get(&tl, "q");
    if (t && !str_caseeq(t->val, t->vlen, "dns/txt")) {
        verdict(w, MXD_DKIM_NEUTRAL, "unknown key query method q=%.*s", (int)t->vlen, t->val);
        return 0;
    }
    /* h= must sign From */
    int from = 0;
    for (size_t i = 0, n = strlen(s->headers); i <= n;) {
        size_t j = i;
        while (j < n && s->headers[j] != ':')
            j++;
        size_t a = i, b = j;
        while (a < b && taglist_is_ws((unsigned char)s->headers[a]))
            a++;
        while (b > a && taglist_is_ws((unsigned char)s->headers[b - 1]))
            b--;
        from |= str_caseeq(s->headers + a, b - a, "from");
        i = j + 1;
    }
    if (!from) {
        verdict(w, MXD_DKIM_PERMERROR, "h= does not include From (RFC 6376 5.4)");
        return 0;
    }
    /* i= must be in d= */
    if (s->identity) {
        const char *at = strrchr(s->identity, '@');
        if (!at || !under(at + 1, s->domain)) {
            verdict(w, MXD_DKIM_PERMERROR, "i=%s is not within d=%s", s->identity, s->domain);
            return 0;
        }
        w->idomain = str_dup_n(at + 1, strlen(at + 1));
    } else {
        char idf[300];
        snprintf(idf, sizeof idf, "@%s", s->domain);
        s->identity = str_dup_n(idf, strlen(idf));
        w->idomain = str_dup_n(s->domain, strlen(s->domain));
    }
    if (!s->identity || !w->idomain || !s->canon)
        return -1;
    t = taglist_get(&tl, "l");
    if (t && (s->body_length = parse_num(t)) < 0) {
        verdict(w, MXD_DKIM_PERMERROR, "bad body length l=%.*s", (int)t->vlen, t->val);
        return 0;
    }
    t = taglist_get(&tl, "t");
    if (t && (s->timestamp = parse_num(t)) < 0) {
        verdict(w, MXD_DKIM_PERMERROR, "bad timestamp t=%.*s", (int)t->vlen, t->val);
        return 0;
    }
    t = taglist_get(&tl, "x");
    if (t && (s->expires = parse_num(t)) < 0) {
        verdict(w, MXD_DKIM_PERMERROR, "bad expiry x=%.*s", (int)t->vlen, t->val);
        return 0;
    }
    if (s->expires >= 0 && s->timestamp >= 0 && s->expires < s->timestamp) {
        verdict(w, MXD_DKIM_PERMERROR, "x= is earlier than t=");
        return 0;
    }
    t = taglist_get(&tl, "b");
    if (dkim_b64_decode(t->val, t->vlen, w->b, sizeof w->b, &w->blen) || !w->blen) {
        verdict(w, MXD_DKIM_PERMERROR, "b= is not valid base64");
        return 0;
    }
    t = taglist_get(&tl, "bh");
    if (dkim_b64_decode(t->val, t->vlen, w->bh, sizeof w->bh, &w->bhlen) || w->bhlen != 32) {
        verdict(w, MXD_DKIM_PERMERROR, "bh= is not a base64 SHA-256 hash");
        return 0;
    }
    if (s->expires >= 0 && s->expires < now) {
        verdict(w, MXD_DKIM_FAIL, "the signature expired (x=%lld)", s->expires);
        return 0;
    }
    char name[600];
    int n = snprintf(name, sizeof name, "%s._domainkey.%s", s->selector, s->domain);
    if (n < 0 || (size_t)n >= sizeof name || !mxd_dns_name_valid(name, (size_t)n)) {
        verdict(w, MXD_DKIM_PERMERROR, "s= and d= do not make a valid key name");
        return 0;
    }
    mxd_err e = mxd_dns_submit(r, name, MXD_DNS_TXT, dkim_txt_cb, &w->txt);
    if (e == MXD_ERR_NOMEM)
        return -1;
    if (e) {
        verdict(w, MXD_DKIM_PERMERROR, "s= and d= do not make a valid key name");
        return 0;
    }
    w->ready = 1;
    return 0;
}

/* digest_sink - feed a digest, at most budget bytes. */
typedef struct digest_sink {
    EVP_MD_CTX *md;
    long long budget; /* -1: no limit */
} digest_sink;

static void feed(void *arg, const char *p, size_t n)
{
    digest_sink *d = arg;
    if (d->budget >= 0) {
        if (d->budget == 0)
            return;
        if ((long long)n > d->budget)
            n = (size_t)d->budget;
        d->budget -= (long long)n;
    }
    EVP_DigestUpdate(d->md, p, n);
}

/* body_hash - check bh=; 1 match, 0 mismatch (verdict set), -1 out of memory. */
static int body_hash(sigwork *w, const dkim_msg *m)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(md);
        return -1;
    }
    digest_sink d = {md, w->sig->body_length};
    size_t total = dkim_canon_body(m->body, m->blen, w->relaxed_b, feed, &d);
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned hl = 0;
    EVP_DigestFinal_ex(md, h, &hl);
    EVP_MD_CTX_free(md);
    if (w->sig->body_length >= 0 && (unsigned long long)w->sig->body_length > total) {
        verdict(w, MXD_DKIM_PERMERROR,
                "l=%lld is longer than the canonicalized body (%zu bytes): the message was cut",
                w->sig->body_length, total);
        return 0;
    }
    w->sig->body_hash_ok = hl == w->bhlen && !memcmp(h, w->bh, hl);
    if (!w->sig->body_hash_ok) {
        verdict(w, MXD_DKIM_FAIL, "body hash did not verify: the body changed after signing");
        return 0;
    }
    return 1;
}

/* header_data - the signed fields h= names (bottom up) and the signature field with its b=
 * value removed, canonicalized, into out. */
static mxd_err header_data(const sigwork *w, const dkim_msg *m, unsigned char *used, buf *out)
{
    memset(used, 0, m->nf);
    const char *h = w->sig->headers;
    size_t n = strlen(h);
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && h[j] != ':')
            j++;
        size_t a = i, b = j;
        while (a < b && taglist_is_ws((unsigned char)h[a]))
            a++;
        while (b > a && taglist_is_ws((unsigned char)h[b - 1]))
            b--;
        i = j + 1;
        if (a == b)
            continue;
        for (size_t k = m->nf; k-- > 0;) {
            const dkim_field *f = &m->f[k];
            if (used[k] || !f->nlen || f->nlen != b - a)
                continue;
            int same = 1;
            for (size_t c = 0; c < f->nlen && same; c++)
                same =
                    str_tolower((unsigned char)f->raw[c]) == str_tolower((unsigned char)h[a + c]);
            if (!same)
                continue;
            used[k] = 1;
            mxd_err e = dkim_canon_header(f->raw, f->len, w->relaxed_h, out);
            if (e)
                return e;
            break;
        }
    }
    /* the signature field itself, b= emptied (with the blanks around its value) */
    const dkim_field *f = w->field;
    const char *colon = memchr(f->raw, ':', f->len);
    const char *v = colon + 1, *vend = f->raw + f->len;
    if (vend - v >= 2 && vend[-2] == '\r' && vend[-1] == '\n')
        vend -= 2;
    taglist tl;
    char why[100];
    if (taglist_parse(v, (size_t)(vend - v), &tl, why, sizeof why))
        return MXD_ERR_PARSE;
    const taglist_tag *bt = taglist_get(&tl, "b");
    if (!bt)
        return MXD_ERR_PARSE;
    const char *cut = bt->name + bt->nlen;
    while (cut < vend && *cut != '=')
        cut++;
    cut++;
    const char *resume = bt->val + bt->vlen;
    while (resume < vend && *resume != ';')
        resume++;
    buf tmp;
    buf_init(&tmp, f->len);
    mxd_err e = buf_add(&tmp, f->raw, (size_t)(cut - f->raw));
    if (!e)
        e = buf_add(&tmp, resume, (size_t)(f->raw + f->len - resume));
    if (!e)
        e = dkim_canon_header(tmp.ptr, tmp.len, w->relaxed_h, out);
    buf_free(&tmp);
    if (!e && out->len >= 2 && out->ptr[out->len - 2] == '\r' && out->ptr[out->len - 1] == '\n')
        out->ptr[out->len -= 2] = 0;
    return e;
}

/* check_sig - the cryptographic check: 1 verified, 0 not, -1 an OpenSSL failure. */
static int check_sig(const sigwork *w, EVP_PKEY *pk, const buf *data)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = -1;
    if (!ctx)
        return -1;
    if (w->alg == ALG_RSA) {
        if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pk) == 1)
            ok = EVP_DigestVerify(ctx, w->b, w->blen, (const unsigned char *)data->ptr,
                                  data->len) == 1;
    } else {
        unsigned char h[32];
        unsigned hl = 0;
        if (EVP_Digest(data->ptr, data->len, h, &hl, EVP_sha256(), NULL) == 1 &&
            EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) == 1)
            ok = EVP_DigestVerify(ctx, w->b, w->blen, h, hl) == 1;
    }
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

/* finish - verify one signature whose key answer arrived. -1 on out of memory. */
static int finish(sigwork *w, const dkim_msg *m, unsigned char *used)
{
    mxd_dkim_sig *s = w->sig;
    char name[600];
    snprintf(name, sizeof name, "%s._domainkey.%s", s->selector, s->domain);
    if (w->txt.nomem)
        return -1;
    if (!w->txt.done || (w->txt.status != MXD_DNS_OK && w->txt.status != MXD_DNS_NXDOMAIN &&
                         w->txt.status != MXD_DNS_NODATA)) {
        verdict(w, MXD_DKIM_TEMPERROR, "DNS %s for the key %s",
                mxd_dns_status_name(w->txt.done ? w->txt.status : MXD_DNS_TIMEOUT), name);
        return 0;
    }
    if (w->txt.status != MXD_DNS_OK || !w->txt.n) {
        verdict(w, MXD_DKIM_PERMERROR, "no key record at %s", name);
        return 0;
    }
    mxd_dkim_key k = {0};
    void *pkv = NULL;
    if (dkim_choose(&w->txt, &k, &pkv))
        return -1;
    EVP_PKEY *pk = pkv;
    snprintf(s->key_type, sizeof s->key_type, "%s", k.key_type);
    s->key_bits = k.bits;
    s->key_testing = k.testing;
    int rc = 0;
    if (!k.valid || !pk) {
        verdict(w, MXD_DKIM_PERMERROR, "the key %s is unusable: %s", name,
                k.problem ? k.problem : "no key");
    } else if ((w->alg == ALG_RSA) != !strcmp(k.key_type, "rsa")) {
        verdict(w, MXD_DKIM_PERMERROR, "a=%s does not match the key type k=%s", s->algorithm,
                k.key_type);
    } else if (w->alg == ALG_RSA && k.bits < MXD_DKIM_MIN_BITS) {
        verdict(w, MXD_DKIM_PERMERROR,
                "the RSA key has %d bits; keys under 1024 bits are refused (RFC 8301)", k.bits);
    } else if (k.strict && strcmp(w->idomain, s->domain) != 0) {
        verdict(w, MXD_DKIM_PERMERROR, "the key has t=s but i= is a subdomain of d=");
    } else {
        int bh = body_hash(w, m);
        if (bh < 0) {
            rc = -1;
        } else if (bh > 0) {
            buf data;
            buf_init(&data, DKIM_HEADER_DATA_MAX);
            mxd_err e = header_data(w, m, used, &data);
            if (e == MXD_ERR_NOMEM) {
                rc = -1;
            } else if (e) {
                verdict(w, MXD_DKIM_PERMERROR, "the signed header fields are too large");
            } else {
                int ok = check_sig(w, pk, &data);
                if (ok < 0)
                    rc = -1;
                else if (!ok)
                    verdict(w, MXD_DKIM_FAIL,
                            "signature did not verify: a signed header field changed, or the "
                            "key does not match");
                else
                    s->result = MXD_DKIM_PASS;
            }
            buf_free(&data);
        }
    }
    EVP_PKEY_free(pk);
    k.selector = k.domain = k.name = NULL;
    mxd_dkim_key_clear(&k);
    return rc;
}

/* from_domain - the domain of the (first) From address, lower case, or NULL. */
static char *from_domain(const dkim_msg *m)
{
    for (size_t i = 0; i < m->nf; i++) {
        if (!dkim_field_is(&m->f[i], "from"))
            continue;
        const char *v = memchr(m->f[i].raw, ':', m->f[i].len) + 1;
        const char *e = m->f[i].raw + m->f[i].len;
        const char *at = NULL;
        for (const char *p = v; p < e; p++)
            if (*p == '@')
                at = p;
        if (!at)
            return NULL;
        const char *d = at + 1, *de = d;
        while (de < e &&
               (str_isalnum((unsigned char)*de) || *de == '.' || *de == '-' || *de == '_'))
            de++;
        if (de == d)
            return NULL;
        char *out = str_dup_n(d, (size_t)(de - d));
        for (char *c = out; c && *c; c++)
            *c = (char)str_tolower((unsigned char)*c);
        return out;
    }
    return NULL;
}

/* mxd_dkim_verify - verify all signatures of a message. */
mxd_err mxd_dkim_verify(mxd_resolver *r, const char *msg, size_t len,
                        const mxd_dkim_verify_opts *opts, mxd_dkim_verify_report **out)
{
    *out = NULL;
    if (!r || (!msg && len))
        return MXD_ERR_INVALID;
    if (len > MXD_DKIM_MAX_MESSAGE)
        return MXD_ERR_TOOBIG;
    if (len == 0)
        return MXD_ERR_EMPTY;
    if (crypto_load())
        return MXD_ERR_NOLIB;
    long long now = opts && opts->now ? opts->now : (long long)time(NULL);
    dkim_msg m;
    if (dkim_msg_parse(msg, len, &m))
        return MXD_ERR_NOMEM;
    mxd_dkim_verify_report *rep = calloc(1, sizeof *rep);
    unsigned char *used = malloc(m.nf ? m.nf : 1);
    size_t nsig = 0;
    for (size_t i = 0; i < m.nf; i++)
        if (dkim_field_is(&m.f[i], "dkim-signature"))
            nsig++;
    if (nsig > MXD_DKIM_MAX_SIGNATURES) {
        nsig = MXD_DKIM_MAX_SIGNATURES;
        if (rep)
            rep->truncated = 1;
    }
    sigwork *w = calloc(nsig ? nsig : 1, sizeof *w);
    int nomem = !rep || !used || !w;
    if (!nomem) {
        rep->sigs = calloc(nsig ? nsig : 1, sizeof *rep->sigs);
        rep->from_domain = from_domain(&m);
        nomem = !rep->sigs;
    }
    for (size_t i = 0, k = 0; !nomem && i < m.nf && k < nsig; i++) {
        if (!dkim_field_is(&m.f[i], "dkim-signature"))
            continue;
        w[k].sig = &rep->sigs[k];
        w[k].field = &m.f[i];
        rep->nsigs = ++k;
        if (parse_sig(r, &w[k - 1], now) < 0)
            nomem = 1;
    }
    if (!nomem && rep->nsigs)
        mxd_resolver_run(r);
    for (size_t i = 0; !nomem && i < rep->nsigs; i++)
        if (w[i].ready && finish(&w[i], &m, used) < 0)
            nomem = 1;
    for (size_t i = 0; w && i < nsig; i++) {
        dkim_txt_free(&w[i].txt);
        free(w[i].idomain);
        if (rep && i < rep->nsigs && w[i].sig->result == MXD_DKIM_PASS)
            rep->npass++;
    }
    free(w);
    free(used);
    dkim_msg_free(&m);
    if (nomem) {
        mxd_dkim_verify_report_free(rep);
        return MXD_ERR_NOMEM;
    }
    *out = rep;
    return MXD_OK;
}

/* mxd_dkim_signers - d= and s= of the signatures. */
mxd_err mxd_dkim_signers(const char *msg, size_t len, mxd_dkim_signer **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (len > MXD_DKIM_MAX_MESSAGE)
        return MXD_ERR_TOOBIG;
    dkim_msg m;
    if (dkim_msg_parse(msg ? msg : "", msg ? len : 0, &m))
        return MXD_ERR_NOMEM;
    mxd_dkim_signer *v = calloc(MXD_DKIM_MAX_SIGNATURES, sizeof *v);
    size_t k = 0, seen = 0;
    mxd_err e = v ? MXD_OK : MXD_ERR_NOMEM;
    for (size_t i = 0; !e && i < m.nf && seen < MXD_DKIM_MAX_SIGNATURES; i++) {
        if (!dkim_field_is(&m.f[i], "dkim-signature"))
            continue;
        seen++;
        const char *colon = memchr(m.f[i].raw, ':', m.f[i].len);
        taglist tl;
        char why[100];
        if (taglist_parse(colon + 1, (size_t)(m.f[i].raw + m.f[i].len - colon - 1), &tl, why,
                          sizeof why))
            continue;
        const taglist_tag *d = taglist_get(&tl, "d"), *s = taglist_get(&tl, "s");
        if (!d || !s || !d->vlen || !s->vlen)
            continue;
        int dup = 0;
        for (size_t j = 0; j < k && !dup; j++)
            dup = str_caseeq(d->val, d->vlen, v[j].domain) && strlen(v[j].selector) == s->vlen &&
                  !memcmp(v[j].selector, s->val, s->vlen);
        if (dup)
            continue;
        v[k].domain = str_dup_n(d->val, d->vlen);
        v[k].selector = str_dup_n(s->val, s->vlen);
        if (!v[k].domain || !v[k].selector) {
            e = MXD_ERR_NOMEM;
            k++;
            break;
        }
        for (char *c = v[k].domain; *c; c++)
            *c = (char)str_tolower((unsigned char)*c);
        k++;
    }
    dkim_msg_free(&m);
    if (e) {
        mxd_dkim_signers_free(v, k);
        return e;
    }
    *out = v;
    *n = k;
    return MXD_OK;
}

/* mxd_dkim_signers_free - NULL is fine. */
void mxd_dkim_signers_free(mxd_dkim_signer *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].domain);
        free(v[i].selector);
    }
    free(v);
}

/* mxd_dkim_verify_report_free - NULL is fine. */
void mxd_dkim_verify_report_free(mxd_dkim_verify_report *rep)
{
    if (!rep)
        return;
    for (size_t i = 0; i < rep->nsigs; i++) {
        mxd_dkim_sig *s = &rep->sigs[i];
        free(s->reason);
        free(s->domain);
        free(s->selector);
        free(s->algorithm);
        free(s->canon);
        free(s->identity);
        free(s->headers);
    }
    free(rep->sigs);
    free(rep->from_domain);
    free(rep);
}

static json_t *num_or_null(long long v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

/* mxd_dkim_verify_report_json - the report as JSON. */
char *mxd_dkim_verify_report_json(const mxd_dkim_verify_report *rep, int pretty)
{
    json_t *o = json_object();
    json_t *a = json_array();
    if (!o || !a) {
        json_decref(o);
        json_decref(a);
        return NULL;
    }
    json_object_set_new(o, "from_domain", checkutil_json_str(rep->from_domain));
    for (size_t i = 0; i < rep->nsigs; i++) {
        const mxd_dkim_sig *s = &rep->sigs[i];
        json_t *j = json_object();
        json_object_set_new(j, "result", json_string(mxd_dkim_result_name(s->result)));
        json_object_set_new(j, "problem", checkutil_json_str(s->reason)); /* as everywhere */
        json_object_set_new(j, "d", checkutil_json_str(s->domain));
        json_object_set_new(j, "s", checkutil_json_str(s->selector));
        json_object_set_new(j, "a", checkutil_json_str(s->algorithm));
        json_object_set_new(j, "c", checkutil_json_str(s->canon));
        json_object_set_new(j, "i", checkutil_json_str(s->identity));
        json_object_set_new(j, "h", checkutil_json_str(s->headers));
        json_object_set_new(j, "t", num_or_null(s->timestamp));
        json_object_set_new(j, "x", num_or_null(s->expires));
        json_object_set_new(j, "l", num_or_null(s->body_length));
        json_object_set_new(j, "body_hash",
                            s->body_hash_ok < 0 ? json_null() : json_boolean(s->body_hash_ok));
        /* the key as dkim keys names its fields (type, bits, testing); null when none was
         * fetched */
        json_t *key = json_null();
        if (s->key_bits && (key = json_object())) {
            json_object_set_new(key, "type", json_string(s->key_type));
            json_object_set_new(key, "bits", json_integer(s->key_bits));
            json_object_set_new(key, "testing", json_boolean(s->key_testing));
        }
        json_object_set_new(j, "key", key ? key : json_null());
        json_array_append_new(a, j);
    }
    json_object_set_new(o, "signatures", a);
    json_object_set_new(o, "pass", json_integer((json_int_t)rep->npass));
    json_object_set_new(o, "truncated", json_boolean(rep->truncated));
    return checkutil_json_dump(o, pretty);
}
