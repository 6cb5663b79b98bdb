/* dkim_key.c - DKIM key records (RFC 6376 section 3.6.1, RFC 8463): parse, measure, look up
 * SPDX-License-Identifier: MIT
 *
 * Key sizes come from OpenSSL: RSA keys are SubjectPublicKeyInfo (what RFC 6376 asks for) or,
 * as some publish, a bare RSAPublicKey; Ed25519 keys are the raw 32 bytes of RFC 8463.
 * mxd_dkim_keys() submits every selector's query before running the resolver once, so probing
 * thirty common selectors costs one round trip.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/crypto.h"
#include "mxdiag/dkim.h"
#include "check/checkutil.h"
#include "check/dkim_internal.h"
#include "check/taglist.h"
#include "util/str.h"

#define AREA "dkim"
/* Largest decoded public key accepted (an 8192-bit RSA key is about 1.1 KB). */
#define DKIM_KEY_MAX_DER 4096

/* list_has - does the colon-separated list hold word (case-insensitive)? */
static int list_has(const char *v, size_t vlen, const char *word)
{
    size_t i = 0;
    while (i <= vlen) {
        size_t j = i;
        while (j < vlen && v[j] != ':')
            j++;
        size_t a = i, b = j;
        while (a < b && taglist_is_ws((unsigned char)v[a]))
            a++;
        while (b > a && taglist_is_ws((unsigned char)v[b - 1]))
            b--;
        if (str_caseeq(v + a, b - a, word))
            return 1;
        i = j + 1;
    }
    return 0;
}

/* decode_key - the OpenSSL key of p= data, or NULL. */
static EVP_PKEY *decode_key(const char *type, const unsigned char *der, size_t n)
{
    EVP_PKEY *k = NULL;
    if (!strcmp(type, "ed25519")) {
        if (n == 32)
            k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, n);
    } else if (!strcmp(type, "rsa")) {
        const unsigned char *p = der;
        k = d2i_PUBKEY(NULL, &p, (long)n);
        if (k && EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
            EVP_PKEY_free(k);
            k = NULL;
        }
        if (!k) {
            p = der;
            k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)n);
        }
    }
    ERR_clear_error();
    return k;
}

static void set_problem(mxd_dkim_key *k, const char *text, int *nomem)
{
    if (k->problem)
        return;
    k->problem = str_dup_n(text, strlen(text));
    if (!k->problem)
        *nomem = 1;
}

/* dkim_key_parse_full - parse a record; with pkey, also hand over the OpenSSL key. */
mxd_err dkim_key_parse_full(const char *txt, size_t len, mxd_dkim_key *out, void **pkey)
{
    memset(out, 0, sizeof *out);
    if (pkey)
        *pkey = NULL;
    if (crypto_load())
        return MXD_ERR_NOLIB;
    if (len > MXD_DKIM_MAX_RECORD)
        return MXD_ERR_TOOBIG;
    snprintf(out->key_type, sizeof out->key_type, "rsa");
    out->sha256 = out->email = 1;
    out->record = str_dup_n(txt, len);
    if (!out->record)
        return MXD_ERR_NOMEM;
    int nomem = 0;
    taglist tl;
    char why[200];
    if (memchr(txt, 0, len)) {
        set_problem(out, "the key record holds a NUL byte", &nomem);
        return nomem ? MXD_ERR_NOMEM : MXD_OK;
    }
    if (taglist_parse(txt, len, &tl, why, sizeof why)) {
        char p[300];
        snprintf(p, sizeof p, "key record syntax: %s", why);
        set_problem(out, p, &nomem);
        return nomem ? MXD_ERR_NOMEM : MXD_OK;
    }
    const taglist_tag *v = taglist_get(&tl, "v");
    if (v && (v != &tl.t[0] || !(v->vlen == 5 && !memcmp(v->val, "DKIM1", 5))))
        set_problem(out, "v= must come first and be DKIM1", &nomem);
    const taglist_tag *t;
    if ((t = taglist_get(&tl, "h")) != NULL)
        out->sha256 = list_has(t->val, t->vlen, "sha256");
    if ((t = taglist_get(&tl, "k")) != NULL)
        snprintf(out->key_type, sizeof out->key_type, "%.*s", (int)t->vlen, t->val);
    for (char *c = out->key_type; *c; c++)
        *c = (char)str_tolower((unsigned char)*c);
    if ((t = taglist_get(&tl, "s")) != NULL)
        out->email = list_has(t->val, t->vlen, "*") || list_has(t->val, t->vlen, "email");
    if ((t = taglist_get(&tl, "t")) != NULL) {
        out->testing = list_has(t->val, t->vlen, "y");
        out->strict = list_has(t->val, t->vlen, "s");
    }
    const taglist_tag *p = taglist_get(&tl, "p");
    int known = !strcmp(out->key_type, "rsa") || !strcmp(out->key_type, "ed25519");
    if (!p) {
        set_problem(out, "the record has no p= tag (no key)", &nomem);
    } else if (p->vlen == 0) {
        out->revoked = 1;
        set_problem(out, "the key is revoked (empty p=)", &nomem);
    } else {
        unsigned char *der = malloc(DKIM_KEY_MAX_DER);
        size_t n = 0;
        if (!der)
            return MXD_ERR_NOMEM;
        if (dkim_b64_decode(p->val, p->vlen, der, DKIM_KEY_MAX_DER, &n)) {
            set_problem(out, "p= is not valid base64", &nomem);
        } else if (known) {
            EVP_PKEY *k = decode_key(out->key_type, der, n);
            if (!k) {
                char msg[100];
                snprintf(msg, sizeof msg, "p= does not hold a valid %s public key", out->key_type);
                set_problem(out, msg, &nomem);
            } else {
                out->bits = EVP_PKEY_get_bits(k);
                if (pkey)
                    *pkey = k;
                else
                    EVP_PKEY_free(k);
            }
        }
        free(der);
    }
    if (!known) {
        char msg[80];
        snprintf(msg, sizeof msg, "unknown key type k=%s", out->key_type);
        set_problem(out, msg, &nomem);
    }
    if (!out->sha256)
        set_problem(out, "h= does not allow sha256", &nomem);
    if (!out->email)
        set_problem(out, "s= does not include email", &nomem);
    out->valid = !out->problem;
    if (nomem) {
        if (pkey && *pkey) {
            EVP_PKEY_free(*pkey);
            *pkey = NULL;
        }
        mxd_dkim_key_clear(out);
        return MXD_ERR_NOMEM;
    }
    return MXD_OK;
}

/* mxd_dkim_key_parse - parse and measure a key record. */
mxd_err mxd_dkim_key_parse(const char *txt, size_t len, mxd_dkim_key *out)
{
    return dkim_key_parse_full(txt, len, out, NULL);
}

/* mxd_dkim_key_clear - free the strings of a key. */
void mxd_dkim_key_clear(mxd_dkim_key *k)
{
    if (!k)
        return;
    free(k->selector);
    free(k->domain);
    free(k->name);
    free(k->record);
    free(k->problem);
    memset(k, 0, sizeof *k);
}

/* ---- looking keys up ----------------------------------------------------------------- */

/* dkim_txt_new / dkim_txt_free / dkim_txt_cb - keep a TXT answer beyond its callback. */
void dkim_txt_cb(void *arg, const mxd_dns_answer *a)
{
    dkim_txt *t = arg;
    t->status = a->status;
    t->done = 1;
    size_t n = a->n < DKIM_TXT_MAX ? a->n : DKIM_TXT_MAX;
    for (size_t i = 0; i < n; i++) {
        const mxd_dns_rr *rr = &a->rr[i];
        if (rr->type != MXD_DNS_TXT || !rr->text)
            continue;
        size_t l = rr->len > MXD_DKIM_MAX_RECORD ? MXD_DKIM_MAX_RECORD : rr->len;
        char *c = malloc(l + 1);
        if (!c) {
            t->nomem = 1;
            return;
        }
        memcpy(c, rr->text, l);
        c[l] = 0;
        t->text[t->n] = c;
        t->len[t->n++] = l;
    }
}

void dkim_txt_free(dkim_txt *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->text[i]);
    t->n = 0;
}

/* dkim_choose - parse the records of t into k: the first valid one, else the first. With
 * pkey, the OpenSSL key of the chosen record is handed over. */
mxd_err dkim_choose(const dkim_txt *t, mxd_dkim_key *k, void **pkey)
{
    mxd_dkim_key tmp;
    for (size_t i = 0; i < t->n; i++) {
        void *pk = NULL;
        mxd_err e = dkim_key_parse_full(t->text[i], t->len[i], &tmp, pkey ? &pk : NULL);
        if (e)
            return e;
        if (tmp.valid || i + 1 == t->n) {
            /* keep the identity fields of k */
            tmp.selector = k->selector;
            tmp.domain = k->domain;
            tmp.name = k->name;
            tmp.source = k->source;
            tmp.provider = k->provider;
            tmp.status = k->status;
            tmp.found = 1;
            *k = tmp;
            if (pkey)
                *pkey = pk;
            return MXD_OK;
        }
        EVP_PKEY_free(pk);
        free(tmp.record);
        free(tmp.problem);
    }
    return MXD_OK;
}

static int selector_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 200 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!str_isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return 0;
    return 1;
}

static void judge_key(const mxd_dkim_key *k, int probed, checkutil_findings *f)
{
    if (!k->found) {
        if (k->status != MXD_DNS_NXDOMAIN && k->status != MXD_DNS_NODATA &&
            k->status != MXD_DNS_OK && !probed)
            checkutil_finding(f, MXD_SEV_WARNING, AREA, "dkim-dns", NULL,
                              "DNS %s for %s: the key could not be read",
                              mxd_dns_status_name(k->status), k->name);
        else if (!probed)
            checkutil_finding(f, MXD_SEV_ERROR, AREA, "dkim-key-missing",
                              "Publish the public key your mail system gives you as TXT at "
                              "that name (or the CNAME your provider asks for).",
                              "no DKIM key at %s: signatures with s=%s fail", k->name, k->selector);
        return;
    }
    if (k->revoked) {
        checkutil_finding(f, probed ? MXD_SEV_INFO : MXD_SEV_WARNING, AREA, "dkim-key-revoked",
                          probed ? NULL : "Sign with another selector, or publish the key again.",
                          "the key %s is revoked (empty p=)", k->name);
        return;
    }
    if (!k->valid) {
        checkutil_finding(f, MXD_SEV_ERROR, AREA, "dkim-key-invalid",
                          "Publish the record exactly as your mail system gives it: "
                          "\"v=DKIM1; k=rsa; p=<base64 key>\".",
                          "the key record %s is unusable: %s", k->name,
                          k->problem ? k->problem : "invalid");
        return;
    }
    if (!strcmp(k->key_type, "rsa") && k->bits && k->bits < MXD_DKIM_MIN_BITS)
        checkutil_finding(f, MXD_SEV_ERROR, AREA, "dkim-key-weak",
                          "Generate a 2048-bit key, publish it under a new selector and switch "
                          "signing to it.",
                          "the RSA key %s has %d bits: receivers refuse keys under 1024 bits "
                          "(RFC 8301), so its signatures fail",
                          k->name, k->bits);
    else if (!strcmp(k->key_type, "rsa") && k->bits && k->bits < MXD_DKIM_GOOD_BITS)
        checkutil_finding(f, MXD_SEV_WARNING, AREA, "dkim-key-short",
                          "Rotate to a 2048-bit key under a new selector.",
                          "the RSA key %s has %d bits; 2048 bits are recommended", k->name,
                          k->bits);
    if (k->testing)
        checkutil_finding(f, MXD_SEV_WARNING, AREA, "dkim-key-testing",
                          "Remove t=y from the key record once signing works.",
                          "the key %s is in testing mode (t=y): receivers may treat signed "
                          "mail as unsigned",
                          k->name);
}

/* mxd_dkim_keys - look up or probe. */
mxd_err mxd_dkim_keys(mxd_resolver *r, const mxd_kb *kb, const char *domain,
                      const char *const *selectors, size_t nsel, mxd_dkim_keys_report **out)
{
    *out = NULL;
    char dom[256];
    size_t dl = domain ? strlen(domain) : 0;
    if (dl && domain[dl - 1] == '.')
        dl--;
    if (!r || !dl || dl >= sizeof dom || (!nsel && !kb) || (nsel && !selectors))
        return MXD_ERR_INVALID;
    for (size_t i = 0; i < dl; i++)
        dom[i] = (char)str_tolower((unsigned char)domain[i]);
    dom[dl] = 0;
    if (!strchr(dom, '.') || !mxd_dns_name_valid(dom, dl))
        return MXD_ERR_INVALID;
    if (crypto_load()) /* the keys are measured with OpenSSL */
        return MXD_ERR_NOLIB;
    size_t n = nsel;
    if (!nsel)
        while (mxd_kb_dkim_selector(kb, n, NULL, NULL) == 0)
            n++;
    if (n > MXD_DKIM_MAX_SELECTORS)
        return MXD_ERR_TOOBIG;
    for (size_t i = 0; i < nsel; i++)
        if (!selectors[i] || !selector_ok(selectors[i]))
            return MXD_ERR_INVALID;
    mxd_dkim_keys_report *rep = calloc(1, sizeof *rep);
    dkim_txt *txt = calloc(n ? n : 1, sizeof *txt);
    if (!rep || !txt) {
        free(rep);
        free(txt);
        return MXD_ERR_NOMEM;
    }
    rep->domain = str_dup_n(dom, dl);
    rep->keys = calloc(n ? n : 1, sizeof *rep->keys);
    rep->probed = nsel == 0;
    int nomem = !rep->domain || !rep->keys;
    for (size_t i = 0; i < n && !nomem; i++) {
        mxd_dkim_key *k = &rep->keys[i];
        const char *sel = nsel ? selectors[i] : NULL, *prov = NULL;
        if (!nsel)
            mxd_kb_dkim_selector(kb, i, &sel, &prov);
        k->selector = str_dup_n(sel, strlen(sel));
        k->domain = str_dup_n(dom, dl);
        k->source = nsel ? "given" : "probe";
        k->provider = prov;
        char name[600];
        snprintf(name, sizeof name, "%s._domainkey.%s", sel, dom);
        k->name = str_dup_n(name, strlen(name));
        rep->nkeys++;
        if (!k->selector || !k->domain || !k->name) {
            nomem = 1;
            break;
        }
        mxd_err e = mxd_dns_submit(r, name, MXD_DNS_TXT, dkim_txt_cb, &txt[i]);
        if (e == MXD_ERR_NOMEM)
            nomem = 1;
        else if (e) {
            txt[i].done = 1;
            txt[i].status = MXD_DNS_ERROR;
        }
    }
    if (!nomem)
        mxd_resolver_run(r);
    checkutil_findings f = {0};
    for (size_t i = 0; i < rep->nkeys && !nomem; i++) {
        mxd_dkim_key *k = &rep->keys[i];
        k->status = txt[i].done ? txt[i].status : MXD_DNS_TIMEOUT;
        nomem |= txt[i].nomem;
        if (k->status == MXD_DNS_OK && txt[i].n) {
            if (dkim_choose(&txt[i], k, NULL))
                nomem = 1;
            else
                rep->nfound++;
        }
        judge_key(k, rep->probed, &f);
    }
    for (size_t i = 0; i < rep->nkeys; i++)
        rep->nfailed += rep->keys[i].status != MXD_DNS_OK &&
                        rep->keys[i].status != MXD_DNS_NXDOMAIN &&
                        rep->keys[i].status != MXD_DNS_NODATA;
    size_t failed = rep->probed ? rep->nfailed : 0;
    if (failed)
        checkutil_finding(&f, MXD_SEV_WARNING, AREA, "dkim-dns", NULL,
                          "DNS lookups failed for %zu of the %zu probed selectors: keys may "
                          "have been missed",
                          failed, rep->nkeys);
    for (size_t i = 0; i < n; i++)
        dkim_txt_free(&txt[i]);
    free(txt);
    if (!nomem && rep->probed && !rep->nfound && failed < rep->nkeys)
        checkutil_finding(&f, MXD_SEV_WARNING, AREA, "dkim-none-found",
                          "Look at the DKIM-Signature of a message you sent (its s= tag) and "
                          "run again with --selector; if there is none, enable DKIM signing "
                          "at your mail provider.",
                          "no DKIM key found at %zu common selectors of %s: DKIM is not set up, "
                          "or it uses a selector of its own",
                          rep->nkeys, dom);
    if (nomem || f.nomem) {
        checkutil_findings_free(f.v, f.n);
        mxd_dkim_keys_report_free(rep);
        return MXD_ERR_NOMEM;
    }
    mxd_findings_sort(f.v, f.n);
    rep->findings = f.v;
    rep->nfindings = f.n;
    *out = rep;
    return MXD_OK;
}

/* mxd_dkim_keys_report_free - NULL is fine. */
void mxd_dkim_keys_report_free(mxd_dkim_keys_report *rep)
{
    if (!rep)
        return;
    for (size_t i = 0; i < rep->nkeys; i++)
        mxd_dkim_key_clear(&rep->keys[i]);
    free(rep->keys);
    free(rep->domain);
    checkutil_findings_free(rep->findings, rep->nfindings);
    free(rep);
}

/* mxd_dkim_keys_report_json - the report as JSON; probed selectors without a key are left
 * out to keep it short. */
char *mxd_dkim_keys_report_json(const mxd_dkim_keys_report *rep, int pretty)
{
    json_t *o = json_object();
    json_t *keys = json_array();
    if (!o || !keys) {
        json_decref(o);
        json_decref(keys);
        return NULL;
    }
    json_object_set_new(o, "domain", checkutil_json_str(rep->domain));
    json_object_set_new(o, "probed", json_boolean(rep->probed));
    json_object_set_new(o, "selectors_asked", json_integer((json_int_t)rep->nkeys));
    for (size_t i = 0; i < rep->nkeys; i++) {
        const mxd_dkim_key *k = &rep->keys[i];
        if (rep->probed && !k->found &&
            (k->status == MXD_DNS_NXDOMAIN || k->status == MXD_DNS_NODATA))
            continue;
        json_t *j = json_object();
        json_object_set_new(j, "selector", checkutil_json_str(k->selector));
        json_object_set_new(j, "name", checkutil_json_str(k->name));
        json_object_set_new(j, "source", json_string(k->source));
        json_object_set_new(j, "provider", checkutil_json_str(k->provider));
        json_object_set_new(j, "status", json_string(mxd_dns_status_name(k->status)));
        json_object_set_new(j, "found", json_boolean(k->found));
        json_object_set_new(j, "valid", json_boolean(k->valid));
        json_object_set_new(j, "type", k->found ? json_string(k->key_type) : json_null());
        json_object_set_new(j, "bits", k->bits ? json_integer(k->bits) : json_null());
        json_object_set_new(j, "revoked", json_boolean(k->revoked));
        json_object_set_new(j, "testing", json_boolean(k->testing));
        json_object_set_new(j, "strict", json_boolean(k->strict));
        json_object_set_new(j, "record", checkutil_json_str(k->record));
        json_object_set_new(j, "problem", checkutil_json_str(k->problem));
        json_array_append_new(keys, j);
    }
    json_object_set_new(o, "keys", keys);
    json_object_set_new(o, "findings", checkutil_json_findings(rep->findings, rep->nfindings));
    return checkutil_json_dump(o, pretty);
}
