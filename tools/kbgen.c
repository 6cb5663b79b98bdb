/* kbgen.c - validate the data/ files and compile them into libmxdiag (build tool)
 * SPDX-License-Identifier: MIT
 *
 * usage: kbgen OUT.c FILE...
 * Parses every file with the library's own loader; on the first error prints
 * "FILE:LINE: message" and exits 1, so bad data fails the build. Then writes the loaded
 * knowledge base out as C: every table, the rule indexes and the compiled matchers (kb_fast,
 * util/match) as static data, kb_builtin, which mxd_kb_open hands out without parsing
 * anything. The tables hold no pointers (kb_internal.h): the loader's string pool and its
 * tables of integers are written out as they are, so the built-in kb is the one the loader
 * builds, byte for byte, and ld.so has next to nothing to relocate in it at start.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kb/kb_internal.h"
#include "util/match.h"
#include "util/match_impl.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t alloc = 1 << 16, n = 0;
    char *p = malloc(alloc);
    while (p) {
        size_t r = fread(p + n, 1, alloc - n, f);
        n += r;
        if (n < alloc)
            break;
        char *q = realloc(p, alloc *= 2);
        if (!q) {
            free(p);
            p = NULL;
        } else
            p = q;
    }
    fclose(f);
    *len = n;
    return p;
}

static void die(const char *what)
{
    fprintf(stderr, "kbgen: %s\n", what);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

/* ---- the output ---- */

static FILE *out;
static unsigned nsym;

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
}

/* emit_char - one byte inside a C string literal */
static void emit_char(unsigned char c)
{
    if (c == '"' || c == '\\')
        emit("\\%c", c);
    else if (c == '?')
        emit("\\?");
    else if (c >= 0x20 && c < 0x7f)
        emit("%c", c);
    else
        emit("\\%03o", c);
}

/* emit_bytes - "static const char name[] = ..." holding the n bytes at s (NULs included), in
 * string literals of 96 bytes a line; the literal adds one NUL after them. */
static void emit_bytes(const char *name, const char *s, size_t n)
{
    emit("static const char %s[] =", name);
    for (size_t i = 0; i < n; i++) {
        if (i % 96 == 0)
            emit("\n    \"");
        emit_char((unsigned char)s[i]);
        if (i % 96 == 95 || i + 1 == n)
            emit("\"");
    }
    if (!n)
        emit(" \"\"");
    emit(";\n");
}

/* The fields of a struct with their array members: the arrays are written before the
 * struct, so each struct is written into a buffer of its own first. */
static char *body;
static size_t bodylen, bodyalloc;

static void put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void put(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (bodylen + (size_t)n + 1 > bodyalloc) {
        bodyalloc = (bodylen + (size_t)n + 1) * 2;
        body = xrealloc(body, bodyalloc);
    }
    va_start(ap, fmt);
    vsnprintf(body + bodylen, (size_t)n + 1, fmt, ap);
    va_end(ap);
    bodylen += (size_t)n;
}

static void emit_uints(const char *name, const unsigned *a, size_t n)
{
    emit("static const unsigned %s[] = {", name);
    for (size_t i = 0; i < n; i++)
        emit("%s%u,", i % 16 ? "" : "\n    ", a[i]);
    if (!n)
        emit("0");
    emit("};\n");
}

/* emit_offs - a static array of n pool offsets (kb_off) */
static void emit_offs(const char *name, const kb_off *a, size_t n)
{
    emit("static const kb_off %s[] = {", name);
    for (size_t i = 0; i < n; i++)
        emit("%s%u,", i % 16 ? "" : "\n    ", (unsigned)a[i]);
    if (!n)
        emit("0");
    emit("};\n");
}

static void emit_srange(const kb_srange *s)
{
    put("{%u, %u, %u, %u}", s->cls, s->subj, s->lo, s->hi);
}

static void flush_table(const char *type, const char *name)
{
    emit("static const %s %s[] = {\n%s};\n\n", type, name, bodylen ? body : "{0}");
    bodylen = 0;
}

static void emit_rules(const mxd_kb *kb)
{
    for (size_t i = 0; i < kb->nrules; i++) {
        const kb_rule *r = &kb->rules[i];
        put("    {%u, %u, %u, %u, %u, %d, (mxd_retry)%d, %d, %d, %u,\n", r->id, r->provider,
            r->reason, r->scope, r->summary, r->permanent, (int)r->retry, r->wraps, r->not_block,
            r->checked);
        put("     %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %d},\n",
            r->replies, r->nreplies, r->status, r->nstatus, r->texts, r->ntexts, r->text0, r->hosts,
            r->nhosts, r->causes, r->ncauses, r->fix, r->nfix, r->sources, r->nsources, r->file,
            r->line);
    }
    flush_table("kb_rule", "kb_rules");
    for (size_t i = 0; i < kb->nsranges; i++) {
        put("    ");
        emit_srange(&kb->sranges[i]);
        put(",\n");
    }
    flush_table("kb_srange", "kb_sranges");
}

static void emit_playbooks(const mxd_kb *kb)
{
    for (size_t i = 0; i < kb->nplaybooks; i++) {
        const kb_playbook *p = &kb->playbooks[i];
        put("    {%u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %d},\n",
            p->id, p->title, p->match_rules, p->nmatch_rules, p->match_reasons, p->nmatch_reasons,
            p->match_scopes, p->nmatch_scopes, p->rule_scopes, p->nrule_scopes, p->relayed_rules,
            p->nrelayed_rules, p->steps, p->nsteps, p->delist, p->sources, p->nsources, p->file,
            p->line);
    }
    flush_table("kb_playbook", "kb_playbooks");
    for (size_t i = 0; i < kb->nsteps; i++)
        put("    {(kb_check)%d, %u},\n", (int)kb->steps[i].check, kb->steps[i].text);
    flush_table("kb_step", "kb_steps");
}

static void emit_delists(const mxd_kb *kb)
{
    for (size_t i = 0; i < kb->ndelists; i++) {
        const kb_delist *d = &kb->delists[i];
        put("    {%u, %u, %u, %u, %u, %u, %u, %u, %u},\n", d->id, d->title, d->how, d->to,
            d->subject, d->body, d->nbody, d->sources, d->nsources);
    }
    flush_table("kb_delist", "kb_delists");
}

static void emit_dnsbls(const mxd_kb *kb)
{
    for (size_t i = 0; i < kb->ndnsbls; i++) {
        const kb_dnsbl *d = &kb->dnsbls[i];
        put("    {%u, %u, %u, %u, %u, %u, %u, %u, %d, %d, %u, %d, %d, %d, %d, %u, %u, %u, %u},\n",
            d->id, d->name, d->zone, d->policy, d->delist, d->source, d->key, d->key_zone,
            d->key_required, d->test, d->test_name, d->domain, d->ipv4, d->ipv6, d->on, d->codes,
            d->ncodes, d->errors, d->nerrors);
    }
    flush_table("kb_dnsbl", "kb_dnsbls");
    for (size_t i = 0; i < kb->ncodes; i++) {
        const kb_code *c = &kb->codes[i];
        put("    {%d, {%u, %u, %u, %u}, %u, %u},\n", c->kind, c->a[0], c->a[1], c->a[2], c->a[3],
            c->hi, c->meaning);
    }
    flush_table("kb_code", "kb_codes");
}

static void emit_flat(const mxd_kb *kb)
{
    for (size_t i = 0; i < kb->nstatus; i++) {
        const kb_status *s = &kb->status[i];
        put("    {%d, %d, %d, %u, %u, %u, %u, %u, %u},\n", s->cls, s->subj, s->det, s->code,
            s->title, s->meaning, s->reason, s->scope, s->source);
    }
    flush_table("kb_status", "kb_statuses");
    for (size_t i = 0; i < kb->nreplies; i++) {
        const kb_reply *r = &kb->replies[i];
        put("    {%u, %u, %u, %u, %u},\n", r->code, r->meaning, r->reason, r->scope, r->source);
    }
    flush_table("kb_reply", "kb_replies");
    for (size_t i = 0; i < kb->npseudo; i++) {
        const kb_pseudo *p = &kb->pseudo[i];
        put("    {%u, %u, %u, %u},\n", p->reason, p->temp, p->perm, p->source);
    }
    flush_table("kb_pseudo", "kb_pseudos");
    for (size_t i = 0; i < kb->nphrases; i++) {
        const kb_phrase *p = &kb->phrases[i];
        put("    {%d, %u, %u, %zu},\n", p->kind, p->pattern, p->source, p->len);
    }
    flush_table("kb_phrase", "kb_phrases");
    for (size_t i = 0; i < kb->nproviders; i++) {
        const kb_provider *p = &kb->providers[i];
        put("    {%u, %u, %u, %u},\n", p->id, p->name, p->postmaster, p->source);
    }
    flush_table("kb_provider", "kb_providers");
    for (size_t i = 0; i < kb->nhosts; i++) {
        const kb_phost *h = &kb->hosts[i];
        put("    {%d, %u, %u, %u, ", h->kind, h->pattern, h->provider, h->region);
        emit_srange(&h->status);
        put("},\n");
    }
    flush_table("kb_phost", "kb_hosts");
    for (size_t i = 0; i < kb->nreasons; i++)
        put("    {%u, %u},\n", kb->reasons[i].reason, kb->reasons[i].pattern);
    flush_table("kb_reason", "kb_reasons");
    for (size_t i = 0; i < kb->npubres; i++) {
        const kb_pubres *p = &kb->pubres[i];
        put("    {%d, {", p->family);
        for (size_t k = 0; k < 16; k++)
            put("%u,", p->addr[k]);
        put("}, %u},\n", p->op);
    }
    flush_table("kb_pubres", "kb_pubress");
    for (size_t i = 0; i < kb->nrdnswords; i++)
        put("    {%u, %u},\n", kb->rdnswords[i].word, kb->rdnswords[i].meaning);
    flush_table("kb_rdnsword", "kb_rdnswords");
    for (size_t i = 0; i < kb->ndkimsels; i++)
        put("    {%u, %u},\n", kb->dkimsels[i].selector, kb->dkimsels[i].provider);
    flush_table("kb_dkimsel", "kb_dkimsels");
    for (size_t i = 0; i < kb->nsenders; i++) {
        const kb_sender *s = &kb->senders[i];
        put("    {%u, %u, %u, %u},\n", s->domain, s->service, s->category, s->align);
    }
    flush_table("kb_sender", "kb_senders");
    for (size_t i = 0; i < kb->ncategories; i++) {
        const kb_category *c = &kb->categories[i];
        put("    {%u, %u, %u, %u},\n", c->field, c->value, c->reason, c->source);
    }
    flush_table("kb_category", "kb_categories");
    for (size_t i = 0; i < kb->noutbound; i++) {
        const kb_outbound *o = &kb->outbound[i];
        put("    {%d, {%d, {", o->kind, o->net.family);
        for (size_t k = 0; k < 16; k++)
            put("%u,", o->net.b[k]);
        put("}}, %u, %u, %u},\n", o->prefix, o->pattern, o->provider);
    }
    flush_table("kb_outbound", "kb_outbounds");
}

/* emit_bmatch - a compiled matcher as static data; the number in its name. Its text (the
 * patterns in lower case, pieces separated by NUL) goes into the pool. */
static unsigned emit_bmatch(const struct bmatch *m)
{
    unsigned id = nsym++;
    size_t np = 0, nchars = 0;
    emit("static const mpat m%u_pats[] = {", id);
    for (size_t i = 0; i < m->n; i++) {
        const mpat *p = &m->pats[i];
        emit("%s{%uu, %u, %u, %u, %u},", i % 4 ? "" : "\n    ", (unsigned)p->pre,
             (unsigned)p->npieces, (unsigned)p->piece0, (unsigned)p->off0, (unsigned)p->len0);
        if (p->npieces && p->piece0 + p->npieces > np)
            np = p->piece0 + p->npieces;
    }
    emit("%s};\n", m->n ? "" : "{0}");
    for (size_t k = 0; k < np; k++)
        if (m->piece_off[k] + m->piece_len[k] + 1 > nchars)
            nchars = m->piece_off[k] + m->piece_len[k] + 1;
    char name[32];
    snprintf(name, sizeof name, "m%u_off", id);
    emit("static const uint32_t m%u_off[] = {", id);
    for (size_t k = 0; k < np; k++)
        emit("%s%u,", k % 16 ? "" : "\n    ", (unsigned)m->piece_off[k]);
    emit("%s};\n", np ? "" : "0");
    emit("static const uint32_t m%u_len[] = {", id);
    for (size_t k = 0; k < np; k++)
        emit("%s%u,", k % 16 ? "" : "\n    ", (unsigned)m->piece_len[k]);
    emit("%s};\n", np ? "" : "0");
    snprintf(name, sizeof name, "m%u_bucket", id);
    emit_uints(name, m->bucket_start, MATCH_BUCKETS + 1);
    emit("static const uint64_t m%u_filter[] = {", id);
    for (size_t i = 0; i < (1u << MATCH_FILTER_BITS) / 64; i++)
        emit("%s%#llxu,", i % 6 ? "" : "\n    ", (unsigned long long)m->filter[i]);
    emit("};\n");
    size_t nids = m->bucket_start[MATCH_BUCKETS];
    snprintf(name, sizeof name, "m%u_ids", id);
    emit_uints(name, m->ids, nids);
    snprintf(name, sizeof name, "m%u_shorts", id);
    emit_uints(name, m->shorts, m->nshorts);
    snprintf(name, sizeof name, "m%u_end", id);
    emit_uints(name, m->short_end, m->nshorts);
    snprintf(name, sizeof name, "m%u_chars", id);
    emit_bytes(name, m->chars, nchars ? nchars - 1 : 0); /* (the literal's own NUL ends it) */
    emit("static const struct bmatch m%u = {(mpat *)m%u_pats, %zu, (unsigned *)m%u_bucket,\n"
         "    (uint64_t *)m%u_filter, (unsigned *)m%u_ids, (unsigned *)m%u_shorts, %zu,\n"
         "    (unsigned *)m%u_end, (char *)m%u_chars, (uint32_t *)m%u_off, (uint32_t *)m%u_len,\n"
         "    NULL};\n\n",
         id, id, m->n, id, id, id, id, m->nshorts, id, id, id, id);
    return id;
}

static void emit_hostpats(const char *name, const kb_hostpat *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put("    {%u, %zu, %d, %zu, %u},\n", h[i].lit, h[i].litlen, h[i].shape, h[i].weight,
            h[i].provider);
    flush_table("kb_hostpat", name);
}

static void emit_fast(const mxd_kb *kb)
{
    const struct kb_fast *f = kb->fast;
    emit_hostpats("kb_fast_host", f->host, f->nhost);
    emit_hostpats("kb_fast_dom", f->dom, f->ndom);
    unsigned hints = emit_bmatch(f->hints), reasons = emit_bmatch(f->reasons);
    emit_offs("kb_fast_hint_provider", f->hint_provider, bmatch_count(f->hints));
    emit_offs("kb_fast_rule_providers", f->rule_providers, f->nrule_providers);
    emit_uints("kb_fast_tags", f->tags, f->ntags);
    emit("static const struct kb_fast kb_fast = {\n"
         "    (kb_hostpat *)kb_fast_host, (kb_hostpat *)kb_fast_dom, %zu, %zu,\n"
         "    (struct bmatch *)&m%u, (kb_off *)kb_fast_hint_provider, (struct bmatch *)&m%u,\n"
         "    (kb_off *)kb_fast_rule_providers, %zu, (unsigned *)kb_fast_tags, %zu, {",
         f->nhost, f->ndom, hints, reasons, f->nrule_providers, f->ntags);
    for (size_t i = 0; i < 256; i++)
        emit("%s%u,", i % 32 ? "" : "\n    ", f->tag_first[i]);
    emit("}};\n\n");
}

/* emit_index - the rule lists by status class and subject */
static void emit_index(const char *name, unsigned *const by[3][KB_RULE_SUBJECTS],
                       const size_t nby[3][KB_RULE_SUBJECTS])
{
    char n[48];
    for (size_t c = 0; c < 3; c++)
        for (size_t s = 0; s < KB_RULE_SUBJECTS; s++) {
            snprintf(n, sizeof n, "%s_%zu_%zu", name, c, s);
            emit_uints(n, by[c][s], nby[c][s]);
        }
}

static void emit_index_fields(const char *name, const char *field,
                              const size_t nby[3][KB_RULE_SUBJECTS])
{
    emit("    .%s = {", field);
    for (size_t c = 0; c < 3; c++) {
        emit("{");
        for (size_t s = 0; s < KB_RULE_SUBJECTS; s++)
            emit("(unsigned *)%s_%zu_%zu,", name, c, s);
        emit("},");
    }
    emit("},\n    .n%s = {", field);
    for (size_t c = 0; c < 3; c++) {
        emit("{");
        for (size_t s = 0; s < KB_RULE_SUBJECTS; s++)
            emit("%zu,", nby[c][s]);
        emit("},");
    }
    emit("},\n");
}

/* emit_kb_pool - the kb's own pool of strings, byte for byte (the tables hold offsets in it) */
static void emit_kb_pool(const mxd_kb *kb)
{
    emit("/* every string of the tables, at the offsets they hold */\n");
    emit_bytes("kb_pool", kb->pool, kb->npool);
    emit("\n");
}

static void emit_kb(const mxd_kb *kb)
{
    emit_kb_pool(kb);
    emit_offs("kb_lists", kb->lists, kb->nlists);
    emit_flat(kb);
    emit_rules(kb);
    emit_playbooks(kb);
    emit_delists(kb);
    emit_dnsbls(kb);
    unsigned texts = kb->rule_texts ? emit_bmatch(kb->rule_texts) : 0;
    emit_fast(kb);
    emit_index("kb_by", kb->rules_by_status, kb->nrules_by_status);
    emit_index("kb_gen", kb->generic_by_status, kb->ngeneric_by_status);
    emit_uints("kb_no_status", kb->rules_no_status, kb->nrules_no_status);
    emit_uints("kb_gen_no_status", kb->generic_no_status, kb->ngeneric_no_status);
    emit("\nconst mxd_kb kb_builtin = {\n");
    emit("    .pool = (char *)kb_pool, .npool = %zu,\n", kb->npool);
    emit("    .lists = (kb_off *)kb_lists, .nlists = %zu,\n", kb->nlists);
    emit("    .sranges = (kb_srange *)kb_sranges, .nsranges = %zu,\n", kb->nsranges);
    emit("    .steps = (kb_step *)kb_steps, .nsteps = %zu,\n", kb->nsteps);
    emit("    .codes = (kb_code *)kb_codes, .ncodes = %zu,\n", kb->ncodes);
#define TABLE(field, nfield, type, name)                                                           \
    emit("    ." #field " = (" #type " *)%s, ." #nfield " = %zu,\n", kb->field ? name : "NULL",    \
         kb->nfield)
    TABLE(rules, nrules, kb_rule, "kb_rules");
    TABLE(status, nstatus, kb_status, "kb_statuses");
    TABLE(replies, nreplies, kb_reply, "kb_replies");
    TABLE(pseudo, npseudo, kb_pseudo, "kb_pseudos");
    TABLE(phrases, nphrases, kb_phrase, "kb_phrases");
    TABLE(providers, nproviders, kb_provider, "kb_providers");
    TABLE(hosts, nhosts, kb_phost, "kb_hosts");
    TABLE(reasons, nreasons, kb_reason, "kb_reasons");
    TABLE(playbooks, nplaybooks, kb_playbook, "kb_playbooks");
    TABLE(delists, ndelists, kb_delist, "kb_delists");
    TABLE(dnsbls, ndnsbls, kb_dnsbl, "kb_dnsbls");
    TABLE(pubres, npubres, kb_pubres, "kb_pubress");
    TABLE(rdnswords, nrdnswords, kb_rdnsword, "kb_rdnswords");
    TABLE(dkimsels, ndkimsels, kb_dkimsel, "kb_dkimsels");
    TABLE(senders, nsenders, kb_sender, "kb_senders");
    TABLE(categories, ncategories, kb_category, "kb_categories");
    TABLE(outbound, noutbound, kb_outbound, "kb_outbounds");
    TABLE(rules_no_status, nrules_no_status, unsigned, "kb_no_status");
    TABLE(generic_no_status, ngeneric_no_status, unsigned, "kb_gen_no_status");
#undef TABLE
    if (kb->rule_texts)
        emit("    .rule_texts = (struct bmatch *)&m%u,\n", texts);
    emit_index_fields("kb_by", "rules_by_status", kb->nrules_by_status);
    emit_index_fields("kb_gen", "generic_by_status", kb->ngeneric_by_status);
    emit("    .fast = (struct kb_fast *)&kb_fast,\n};\n");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: kbgen OUT.c FILE...\n");
        return 2;
    }
    size_t n = (size_t)argc - 2;
    kb_file *files = calloc(n, sizeof *files);
    if (!files)
        return 1;
    for (size_t i = 0; i < n; i++) {
        const char *path = argv[i + 2];
        const char *base = strrchr(path, '/');
        files[i].name = base ? base + 1 : path;
        files[i].data = slurp(path, &files[i].len);
        if (!files[i].data)
            return 1;
    }
    mxd_kb *kb;
    char why[512];
    mxd_err e = kb_load_files(files, n, &kb, why, sizeof why);
    if (e) {
        fprintf(stderr, "data/%s\n", e == MXD_ERR_DATA ? why : mxd_strerror(e));
        return 1;
    }
    if (!mxd_kb_count(kb, "rules") || !mxd_kb_count(kb, "status")) {
        fprintf(stderr, "kbgen: no rules or no status codes found\n");
        return 1;
    }
    /* the indexes and matchers are built unless memory ran out: the built-in kb has them */
    for (size_t c = 0; c < 3; c++)
        for (size_t s = 0; s < KB_RULE_SUBJECTS; s++)
            if (!kb->rules_by_status[c][s] || !kb->generic_by_status[c][s])
                die("rule index missing");
    if (!kb->fast || !kb->fast->hints || !kb->fast->reasons || !kb->rules_no_status ||
        !kb->generic_no_status)
        die("compiled lookups missing");

    out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    emit("/* generated by kbgen from data/: do not edit */\n");
    emit("#include <stdint.h>\n#include \"kb/kb_internal.h\"\n#include \"util/match_impl.h\"\n\n");
    emit_kb(kb);
    if (fclose(out)) {
        perror(argv[1]);
        return 1;
    }
    mxd_kb_free(kb);
    for (size_t i = 0; i < n; i++)
        free((void *)files[i].data);
    free(files);
    free(body);
    return 0;
}

/* kbgen links the loader, which refers to the built-in kb it is about to write. */
const mxd_kb kb_builtin;
