/* kb.c - knowledge base: opening, lookups by status, reply, provider and host
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kb/kb_internal.h"
#include "util/dl.h"
#include "util/match.h"
#include "util/str.h"
#include "mxdiag/version.h"

/* mxd_kb_open - the built-in data. */
mxd_err mxd_kb_open(mxd_kb **out)
{
    if (!out)
        return MXD_ERR_INVALID;
    /* kbgen parsed, checked and compiled data/ at build time: nothing to do at start */
    *out = (mxd_kb *)&kb_builtin;
    return MXD_OK;
}

/* read_file - the whole file, up to KB_MAX_FILE_SIZE. */
static mxd_err read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return MXD_ERR_IO;
    size_t alloc = 65536, n = 0;
    char *p = malloc(alloc);
    if (!p) {
        fclose(f);
        return MXD_ERR_NOMEM;
    }
    for (;;) {
        if (n == alloc) {
            if (alloc >= KB_MAX_FILE_SIZE + 1) {
                free(p);
                fclose(f);
                return MXD_ERR_TOOBIG;
            }
            char *q = realloc(p, alloc * 2);
            if (!q) {
                free(p);
                fclose(f);
                return MXD_ERR_NOMEM;
            }
            p = q;
            alloc *= 2;
        }
        size_t r = fread(p + n, 1, alloc - n, f);
        if (r == 0)
            break;
        n += r;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(p);
        return MXD_ERR_IO;
    }
    *data = p;
    *len = n;
    return MXD_OK;
}

static int wanted_name(const char *n)
{
    size_t l = strlen(n);
    if (l > 4 && !strcmp(n + l - 4, ".tsv"))
        return 1;
    return l > 4 && !strcmp(n + l - 4, ".txt");
}

#define KB_MAX_FILES 64

/* The files a data directory must hold: --data-dir replaces the built-in knowledge base, so
 * a directory without them (empty, or the wrong one) is refused rather than loaded as an
 * empty base that explains nothing. Besides these, at least one rules-*.txt. */
static const char *const kb_required[] = {
    "providers.tsv",        "provider-hosts.tsv", "status-codes.tsv", "reply-codes.tsv",
    "reasons.tsv",          "dnsbl.tsv",          "rdns-generic.tsv", "dkim-selectors.tsv",
    "public-resolvers.tsv", "playbooks.txt",      "delist.txt",
};

/* missing_file - the first required file not among names (NULL when all are there; "rules-
 * *.txt" when no rules file is). */
static const char *missing_file(char *const *names, size_t n)
{
    for (size_t r = 0; r < sizeof kb_required / sizeof *kb_required; r++) {
        size_t i = 0;
        while (i < n && strcmp(names[i], kb_required[r]))
            i++;
        if (i == n)
            return kb_required[r];
    }
    for (size_t i = 0; i < n; i++)
        if (!strncmp(names[i], "rules-", 6))
            return NULL;
    return "rules-*.txt";
}

/* mxd_kb_open_dir - load the data files from a directory. */
mxd_err mxd_kb_open_dir(const char *dir, mxd_kb **out, char *why, size_t whylen)
{
    if (!dir || !out)
        return MXD_ERR_INVALID;
    DIR *d = opendir(dir);
    if (!d) {
        if (why && whylen)
            snprintf(why, whylen, "%s: %s", dir, strerror(errno));
        return MXD_ERR_IO;
    }
    kb_file files[KB_MAX_FILES];
    char *names[KB_MAX_FILES];
    size_t n = 0;
    mxd_err e = MXD_OK;
    struct dirent *de;
    while ((de = readdir(d)) && !e) {
        if (!wanted_name(de->d_name))
            continue;
        if (n == KB_MAX_FILES) {
            e = MXD_ERR_TOOBIG;
            break;
        }
        size_t pl = strlen(dir) + strlen(de->d_name) + 2;
        char *path = malloc(pl);
        if (!path) {
            e = MXD_ERR_NOMEM;
            break;
        }
        snprintf(path, pl, "%s/%s", dir, de->d_name);
        char *data;
        size_t len;
        e = read_file(path, &data, &len);
        if (e && why && whylen)
            snprintf(why, whylen, "%s: %s", path, mxd_strerror(e));
        free(path);
        if (e)
            break;
        names[n] = str_dup_n(de->d_name, strlen(de->d_name));
        files[n].name = names[n];
        files[n].data = data;
        files[n].len = len;
        n++;
        if (!names[n - 1])
            e = MXD_ERR_NOMEM;
    }
    closedir(d);
    const char *miss = e ? NULL : missing_file(names, n);
    if (miss) {
        if (why && whylen)
            snprintf(why, whylen, "%s: no %s (a data directory needs every file of data/)", dir,
                     miss);
        e = MXD_ERR_DATA;
    }
    if (!e)
        e = kb_load_files(files, n, out, why, whylen);
    for (size_t i = 0; i < n; i++) {
        free((void *)files[i].data);
        free(names[i]);
    }
    return e;
}

/* mxd_kb_free - release everything. */
void mxd_kb_free(mxd_kb *kb)
{
    if (!kb || kb == &kb_builtin)
        return;
    free(kb->pool);
    free(kb->lists);
    free(kb->sranges);
    free(kb->steps);
    free(kb->codes);
    free(kb->rules);
    free(kb->status);
    free(kb->replies);
    free(kb->pseudo);
    free(kb->phrases);
    free(kb->providers);
    free(kb->hosts);
    free(kb->reasons);
    free(kb->playbooks);
    free(kb->delists);
    free(kb->dnsbls);
    free(kb->pubres);
    free(kb->rdnswords);
    free(kb->dkimsels);
    free(kb->senders);
    free(kb->categories);
    free(kb->outbound);
    bmatch_free(kb->rule_texts);
    kb_fast_free(kb);
    for (size_t c = 0; c < 3; c++)
        for (size_t sj = 0; sj < KB_RULE_SUBJECTS; sj++)
            free(kb->rules_by_status[c][sj]);
    free(kb->rules_no_status);
    for (size_t c = 0; c < 3; c++)
        for (unsigned sj = 0; sj < KB_RULE_SUBJECTS; sj++)
            free(kb->generic_by_status[c][sj]);
    free(kb->generic_no_status);
    free(kb);
}

/* kb_category_reason - (kb_internal.h) */
const char *kb_category_reason(const mxd_kb *kb, const char *field, const char *value, size_t vlen)
{
    size_t fl = field ? strlen(field) : 0;
    for (size_t i = 0; kb && field && value && i < kb->ncategories; i++) {
        const kb_category *c = &kb->categories[i];
        if (str_caseeq(field, fl, kb_str(kb, c->field)) &&
            str_caseeq(value, vlen, kb_str(kb, c->value)))
            return kb_str(kb, c->reason);
    }
    return NULL;
}

size_t mxd_kb_count(const mxd_kb *kb, const char *kind)
{
    if (!kb || !kind)
        return 0;
    if (!strcmp(kind, "rules"))
        return kb->nrules;
    if (!strcmp(kind, "status"))
        return kb->nstatus;
    if (!strcmp(kind, "providers"))
        return kb->nproviders;
    if (!strcmp(kind, "hosts"))
        return kb->nhosts;
    if (!strcmp(kind, "reasons"))
        return kb->nreasons;
    if (!strcmp(kind, "replies"))
        return kb->nreplies;
    if (!strcmp(kind, "pseudo-status"))
        return kb->npseudo;
    if (!strcmp(kind, "bounce-phrases"))
        return kb->nphrases;
    if (!strcmp(kind, "bounce-categories"))
        return kb->ncategories;
    if (!strncmp(kind, "bounce-phrases/", 15)) {
        size_t n = 0;
        for (int k = 1; k <= KB_PH_NKINDS; k++)
            if (!strcmp(kind + 15, kb_phrase_kinds[k]))
                for (size_t i = 0; i < kb->nphrases; i++)
                    n += kb->phrases[i].kind == k;
        return n;
    }
    if (!strcmp(kind, "dnsbl"))
        return kb->ndnsbls;
    if (!strcmp(kind, "public-resolvers"))
        return kb->npubres;
    if (!strcmp(kind, "rdns-generic"))
        return kb->nrdnswords;
    if (!strcmp(kind, "dkim-selectors"))
        return kb->ndkimsels;
    if (!strcmp(kind, "provider-outbound"))
        return kb->noutbound;
    if (!strcmp(kind, "senders"))
        return kb->nsenders;
    return 0;
}

const char *kb_pseudo_status(const mxd_kb *kb, const char *reason, int temporary)
{
    for (size_t i = 0; reason && i < kb->npseudo; i++)
        if (!strcmp(kb_str(kb, kb->pseudo[i].reason), reason))
            return kb_str(kb, temporary && kb->pseudo[i].temp ? kb->pseudo[i].temp
                                                              : kb->pseudo[i].perm);
    return "";
}

const kb_provider *kb_find_provider(const mxd_kb *kb, const char *id)
{
    for (size_t i = 0; i < kb->nproviders; i++)
        if (!strcmp(kb_str(kb, kb->providers[i].id), id))
            return &kb->providers[i];
    return NULL;
}

const char *mxd_kb_provider_name(const mxd_kb *kb, const char *id)
{
    if (!kb || !id)
        return NULL;
    const kb_provider *p = kb_find_provider(kb, id);
    return p ? kb_str(kb, p->name) : NULL;
}

/* literal_len - pattern length without '*': longer means more specific. */
static size_t literal_len(const char *p)
{
    size_t n = 0;
    for (; *p; p++)
        n += *p != '*';
    return n;
}

/* best_host - the most specific pattern of one kind matching the whole name. */
static const kb_phost *best_host(const mxd_kb *kb, int kind, const char *name)
{
    const kb_phost *best = NULL;
    size_t best_len = 0, nl = strlen(name);
    while (nl && name[nl - 1] == '.')
        nl--;
    for (size_t i = 0; i < kb->nhosts; i++) {
        const kb_phost *h = &kb->hosts[i];
        if (h->kind != kind || !str_glob_match(name, nl, kb_str(kb, h->pattern)))
            continue;
        size_t l = literal_len(kb_str(kb, h->pattern));
        if (!best || l > best_len) {
            best = h;
            best_len = l;
        }
    }
    return best;
}

const char *mxd_kb_provider_for_host(const mxd_kb *kb, const char *host, char *region,
                                     size_t regionlen)
{
    if (region && regionlen)
        region[0] = 0;
    if (!kb || !host || !*host)
        return NULL;
    const kb_phost *h = best_host(kb, KB_HOST, host);
    if (!h)
        return NULL;
    if (h->region && region && regionlen) {
        /* find a label starting with the region prefix */
        const char *reg = kb_str(kb, h->region);
        size_t pl = strlen(reg);
        const char *lab = host;
        while (lab && *lab) {
            const char *dot = strchr(lab, '.');
            size_t ll = dot ? (size_t)(dot - lab) : strlen(lab);
            if (ll > pl && str_casefind(lab, pl, reg, pl) == lab) {
                size_t rl = ll - pl;
                if (rl >= regionlen)
                    rl = regionlen - 1;
                for (size_t i = 0; i < rl; i++)
                    region[i] = (char)str_tolower((unsigned char)lab[pl + i]);
                region[rl] = 0;
                break;
            }
            lab = dot ? dot + 1 : NULL;
        }
    }
    return kb_str(kb, h->provider);
}

const char *mxd_kb_provider_for_domain(const mxd_kb *kb, const char *domain)
{
    if (!kb || !domain || !*domain)
        return NULL;
    const kb_phost *h = best_host(kb, KB_DOMAIN, domain);
    return h ? kb_str(kb, h->provider) : NULL;
}

const kb_status *kb_find_status(const mxd_kb *kb, int cls, int subj, int det)
{
    const kb_status *s_sub = NULL, *s_cls = NULL;
    for (size_t i = 0; i < kb->nstatus; i++) {
        const kb_status *s = &kb->status[i];
        if (s->cls == 0 && s->subj == subj && s->det == det)
            return s;
        if (s->cls == 0 && s->subj == subj && s->det < 0)
            s_sub = s;
        if (s->cls == cls && s->subj < 0)
            s_cls = s;
    }
    return s_sub ? s_sub : s_cls;
}

const kb_reply *kb_find_reply(const mxd_kb *kb, const char *code)
{
    for (size_t i = 0; i < kb->nreplies; i++)
        if (kb_str(kb, kb->replies[i].code)[0] == code[0] &&
            !strcmp(kb_str(kb, kb->replies[i].code), code))
            return &kb->replies[i];
    return NULL;
}

mxd_err mxd_kb_status(const mxd_kb *kb, const char *status, const char **title,
                      const char **meaning)
{
    int c, s, d;
    if (!kb || !status || kb_status_parse(status, strlen(status), &c, &s, &d))
        return MXD_ERR_NOTFOUND;
    const kb_status *st = kb_find_status(kb, c, s, d);
    if (!st)
        return MXD_ERR_NOTFOUND;
    if (title)
        *title = kb_str(kb, st->title);
    if (meaning)
        *meaning = kb_str(kb, st->meaning);
    return MXD_OK;
}

static const char *const errstr[MXD_ERR__COUNT] = {
    [MXD_OK] = "success",
    [MXD_ERR_NOMEM] = "out of memory",
    [MXD_ERR_INVALID] = "invalid argument",
    [MXD_ERR_PARSE] = "cannot parse input",
    [MXD_ERR_TOOBIG] = "input too large",
    [MXD_ERR_NOTFOUND] = "nothing found",
    [MXD_ERR_IO] = "input/output error",
    [MXD_ERR_DATA] = "malformed knowledge-base data",
    [MXD_ERR_EMPTY] = "empty input",
    [MXD_ERR_BINARY] = "input is not text",
    [MXD_ERR_DNS] = "DNS resolver error",
    [MXD_ERR_TIMEOUT] = "timed out",
    [MXD_ERR_NOLIB] = "a shared library this input needs could not be loaded",
    [MXD_ERR_BUSY] = "the database is locked by another writer",
};

const char *mxd_strerror(mxd_err err)
{
    if ((unsigned)err >= MXD_ERR__COUNT || !errstr[err])
        return "unknown error";
    if (err == MXD_ERR_NOLIB && dl_last_error())
        return dl_last_error();
    return errstr[err];
}

const char *mxd_version(void)
{
    return MXD_VERSION_STRING;
}
