/* kb_internal.h - knowledge base structures shared inside the library
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_KB_INTERNAL_H
#define MXD_KB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "mxdiag/kb.h"
#include "mxdiag/explain.h"
#include "util/cidr.h"

/* Limits on the data files: a stranger does not write them, but a typo should not make the
 * build or the tool misbehave. */
#define KB_MAX_FILE_SIZE (4u * 1024 * 1024)
#define KB_MAX_LINE      8192
#define KB_MAX_LIST      64 /* values of one repeatable key in one rule */

/* One data file read for the loader (--data-dir, kbgen). */
typedef struct kb_file {
    const char *name; /* base name, e.g. "rules-google.txt" */
    const char *data;
    size_t len;
} kb_file;

/* The tables hold no pointers: in the built-in knowledge base (static data in a shared
 * object or a position-independent executable) each pointer would be a relocation ld.so
 * applies at every start, in a page it copies. A string is its offset in kb->pool (kb_str());
 * offset 0 is no string (NULL). A list of strings is a run in kb->lists: the index of its
 * first entry and a count (kb_item()). Sub-tables (a rule's status ranges, a playbook's steps,
 * a blocklist's codes) are runs of shared arrays in the same way. The loader (--data-dir)
 * builds the same form on the heap, so one code path reads both. */
typedef uint32_t kb_off;

#define KB_RULE_SUBJECTS 10 /* status subjects indexed (RFC 3463 uses 0 to 7) */

typedef struct kb_srange {
    uint16_t cls, subj, lo, hi; /* class.subject exact, detail lo..hi */
} kb_srange;

typedef struct kb_rule {
    kb_off id;
    kb_off provider; /* 0 = generic */
    kb_off reason;
    kb_off scope;
    kb_off summary;
    int permanent;
    mxd_retry retry;
    int wraps;      /* the reply carries another server's reply */
    int not_block;  /* "block: no": a block-class reason that is no block (greylisting) */
    kb_off checked; /* "checked: YYYY-MM-DD": when its sources were last read, or 0 */
    /* lists of strings: the first entry's index in kb->lists and the count (kb_item()) */
    uint32_t replies, nreplies;
    uint32_t status, nstatus; /* status ranges: kb->sranges[status] on (kb_rule_status()) */
    uint32_t texts, ntexts;
    uint32_t text0; /* index of its first text in the kb's compiled rule texts (kb->rule_texts) */
    uint32_t hosts, nhosts;
    uint32_t causes, ncauses;
    uint32_t fix, nfix;
    uint32_t sources, nsources;
    kb_off file;
    int line;
} kb_rule;

typedef struct kb_status {
    int cls;       /* 2, 4, 5, or 0 for an "X." pattern */
    int subj, det; /* -1 when absent */
    kb_off code, title, meaning, reason, scope, source;
} kb_status;

typedef struct kb_reply {
    kb_off code, meaning, reason, scope, source;
} kb_reply;

/* Sisimai's pseudo status for a reason (pseudo-status.tsv): temp 0 when none is defined. */
typedef struct kb_pseudo {
    kb_off reason, temp, perm, source;
} kb_pseudo;

/* A phrase that marks a non-delivery notice (bounce-phrases.tsv): kind KB_PH_*, the pattern
 * in lower case (ASCII letters folded). */
enum {
    KB_PH_FROM = 1,
    KB_PH_SUBJECT = 2,
    KB_PH_SENTENCE = 3,
    KB_PH_LEAD = 4,
    KB_PH_AUTOREPLY = 5,
    KB_PH_DELIVERED = 6,
    KB_PH_SEPARATOR = 7,
    KB_PH_ADDRLEAD = 8,
    KB_PH_DELAYED = 9,
    KB_PH_NOTBOUNCE = 10,
    KB_PH_REPLY = 11,
    KB_PH_FORWARD = 12,
    KB_PH_TAG = 13,
    KB_PH_PASTED = 14,  /* a notice's sentence that marks only a text without a header */
    KB_PH_OWN = 15,     /* a notice's opening: its recipients' own texts are its MTA's verdicts */
    KB_PH_PROGRAM = 16, /* a local program's failure in an own verdict: X-Unix */
    KB_PH_SUBJECTLABEL = 17, /* the label of a field quoting the returned message's Subject */
    KB_PH_FOOTER = 18,       /* an antivirus program's or a gateway's footer line */
    KB_PH_BANNER = 19,       /* a gateway's warning paragraph on top of a message's text */
    KB_PH_NKINDS = 19
};
/* the kinds' names as bounce-phrases.tsv writes them, indexed by KB_PH_* (kb_parse.c) */
extern const char *const kb_phrase_kinds[KB_PH_NKINDS + 1];

/* kb_category_reason - the reason a system's bounce category stands for (field and value as
 * written, case ignored), or NULL when bounce-categories.tsv does not know it. kb.c. */
const char *kb_category_reason(const mxd_kb *kb, const char *field, const char *value, size_t vlen);
/* The most separators (kind separator) a kb may have: text_separator() indexes them on the
 * stack. */
#define KB_MAX_SEPARATORS 64
/* The most footers (kind footer) a kb may have (text_separator() indexes them on the stack),
 * and how many lines may follow one for it to end a notice's own words. */
#define KB_MAX_FOOTERS       32
#define KB_FOOTER_TAIL_LINES 8
/* The longest label of kind subject-label, in bytes: bounce_subject_label() looks for its colon
 * only that far into a line (it runs on every line of a notice). */
#define KB_MAX_SUBJECT_LABEL 20
typedef struct kb_phrase {
    int kind;
    kb_off pattern, source;
    size_t len;
} kb_phrase;

/* A sending system's own bounce category (bounce-categories.tsv): the field that holds it and
 * its value, both in lower case, and the reason it stands for. */
#define KB_MAX_CATEGORIES     4096  /* rows of bounce-categories.tsv (checked pairwise) */
#define KB_MAX_PROVIDERS      1024  /* providers.tsv rows (each looked up by a linear scan) */
#define KB_MAX_HOSTS          16384 /* provider-hosts.tsv rows (each checks its provider) */
#define KB_MAX_CATEGORY_VALUE 39    /* bytes of a value (bounce_rcpt.category holds 40) */
typedef struct kb_category {
    kb_off field, value, reason, source;
} kb_category;

typedef struct kb_provider {
    kb_off id, name, postmaster, source;
} kb_provider;

/* How a provider is recognised (provider-hosts.tsv kind): remote host or MX name, recipient
 * domain, a text only its replies carry, an enhanced status code only it uses, a tag only its
 * replies carry ("[TSS04]", "SC-001": '#' stands for a digit, matched as a whole word). */
enum { KB_HOST = 1, KB_DOMAIN = 2, KB_TEXT = 3, KB_STATUS = 4, KB_TAG = 5 };

typedef struct kb_phost {
    int kind;
    kb_off pattern, provider, region;
    kb_srange status; /* for KB_STATUS: the codes */
} kb_phost;

typedef struct kb_reason {
    kb_off reason, pattern;
} kb_reason;

/* What a playbook step is marked from. */
typedef enum kb_check {
    KB_CHECK_MANUAL = 0, /* only the user can do it */
    KB_CHECK_DNSBL,      /* the sending IP is on no blocklist */
    KB_CHECK_PTR,        /* the sending IP has a forward-confirmed, non-generic PTR */
    KB_CHECK_SPF,        /* SPF of the sender domain authorises the sending IP */
    KB_CHECK_DKIM,       /* the DKIM key exists and has >= 2048 bits */
    KB_CHECK_DMARC,      /* the sender domain publishes a DMARC policy */
    KB_CHECK_MX,         /* the recipient domain accepts mail (MX, no null MX) */
    KB_CHECK_HARD,       /* no live check: the bounce proved the address gone (a hard bounce) */
    KB_CHECK__COUNT
} kb_check;

typedef struct kb_step {
    kb_check check;
    kb_off text;
} kb_step;

typedef struct kb_playbook {
    kb_off id, title;
    /* lists of strings in kb->lists: first entry and count (kb_item()) */
    uint32_t match_rules, nmatch_rules; /* globs on rule ids */
    uint32_t match_reasons, nmatch_reasons;
    uint32_t match_scopes, nmatch_scopes;
    uint32_t rule_scopes, nrule_scopes;     /* a match-rule glob fits only rules of these scopes
                                               (none: any) */
    uint32_t relayed_rules, nrelayed_rules; /* rule ids this playbook takes when the reply
                                               reached the sender's own server from the
                                               provider (match-rule-relayed) */
    uint32_t steps, nsteps;                 /* kb->steps[steps] on */
    kb_off delist;                          /* delist template id, or 0 */
    uint32_t sources, nsources;
    kb_off file;
    int line;
} kb_playbook;

typedef struct kb_delist {
    kb_off id, title, how, to, subject;
    uint32_t body, nbody; /* lines (kb->lists); "~" is an empty line */
    uint32_t sources, nsources;
} kb_delist;

/* kb_check_name - "dnsbl", "ptr", ... "manual"; kb_check_parse - the reverse, -1 if unknown */
const char *kb_check_name(kb_check c);
int kb_check_parse(const char *s, size_t len);

/* kb_find_playbook - the playbook for a rule id / reason / scope, or NULL: the most specific
 * match wins (a rule id named exactly; a rule-id glob, the longer its fixed part the better,
 * fitting only a rule of the playbook's rule-scope; the reason; the scope); a tie goes to the
 * playbook earlier in the file. */
/* kb_find_playbook_relayed - the playbook a match-rule-relayed line gives the rule id: the
 * reading when the reply reached the sender's own server from the provider's MX; NULL when
 * none names it. */
const kb_playbook *kb_find_playbook_relayed(const mxd_kb *kb, const char *rule);
const kb_playbook *kb_find_playbook(const mxd_kb *kb, const char *rule, const char *reason,
                                    const char *scope);
const kb_delist *kb_find_delist(const mxd_kb *kb, const char *id);

/* DNS blocklists (dnsbl.tsv), public resolvers (public-resolvers.tsv) and the words of
 * generic reverse names (rdns-generic.tsv); parsed and looked up in kb_dns.c. */
enum { KB_CODE_EXACT = 0, KB_CODE_RANGE, KB_CODE_MASK };

typedef struct kb_code {
    int kind;           /* exact a.b.c.d; range a.b.c.d-hi; mask a.b.c.&hi */
    unsigned char a[4]; /* the address (for range and mask: the first three octets + low) */
    unsigned char hi;   /* range end or the mask bits */
    kb_off meaning;
} kb_code;

/* A blocklist's test entries (the `test` column): the RFC 5782 section 5 ones, a name of
 * the list's own instead of TEST (domain lists), or none at all. */
enum { KB_TEST_RFC5782 = 0, KB_TEST_NAME, KB_TEST_NONE };

typedef struct kb_dnsbl {
    kb_off id, name, zone, policy, delist, source;
    /* The `key` column: the kind of key the list takes ("spamhaus", "abusix"; 0 none) and
     * the zone to ask with it, written KEY.zone ("KEY.zen.dq.spamhaus.net"). key_required: the
     * list has no keyless zone (its `zone` is the KEY.zone itself): without its key it is not
     * asked, and it is left out of the default selection. */
    kb_off key, key_zone;
    int key_required;
    int test;                 /* KB_TEST_* */
    kb_off test_name;         /* for KB_TEST_NAME: the always-listed name, e.g. "dbltest.com" */
    int domain;               /* 1 for a domain list, 0 for an IP list */
    int ipv4, ipv6;           /* address families an IP list covers */
    int on;                   /* asked by default */
    uint32_t codes, ncodes;   /* listing codes: kb->codes[codes] on */
    uint32_t errors, nerrors; /* error answers, never a listing: kb->codes[errors] on */
} kb_dnsbl;

typedef struct kb_pubres {
    int family;
    unsigned char addr[16];
    kb_off op;
} kb_pubres;

typedef struct kb_rdnsword {
    kb_off word, meaning;
} kb_rdnsword;

/* A provider's own outbound servers (provider-outbound.tsv): an address range or a glob on
 * the PTR name. */
enum { KB_OUT_CIDR = 1, KB_OUT_PTR = 2 };

typedef struct kb_outbound {
    int kind;        /* KB_OUT_* */
    cidr_addr net;   /* KB_OUT_CIDR */
    unsigned prefix; /* KB_OUT_CIDR */
    kb_off pattern, provider;
} kb_outbound;

typedef struct kb_dkimsel {
    kb_off selector, provider;
} kb_dkimsel;

/* A sending service (senders.tsv). */
typedef struct kb_sender {
    kb_off domain, service, category, align;
} kb_sender;

struct mxd_kb {
    /* every string, NUL-terminated, one after the other; pool[0] is the NUL of "no string".
     * poolcap: bytes allocated (0 for the built-in kb, whose pool is static) */
    char *pool;
    size_t npool, poolcap;
    kb_off *lists; /* the entries of every list of strings, a list after the other */
    size_t nlists;
    kb_srange *sranges; /* the rules' status ranges, a rule's after the other */
    size_t nsranges;
    kb_step *steps; /* the playbooks' steps, a playbook's after the other */
    size_t nsteps;
    kb_code *codes; /* the blocklists' listing and error codes, a list's after the other */
    size_t ncodes;
    kb_rule *rules;
    size_t nrules;
    kb_status *status;
    size_t nstatus;
    kb_reply *replies;
    size_t nreplies;
    kb_pseudo *pseudo;
    size_t npseudo;
    kb_phrase *phrases;
    size_t nphrases;
    kb_provider *providers;
    size_t nproviders;
    kb_phost *hosts;
    size_t nhosts;
    kb_reason *reasons;
    size_t nreasons;
    kb_playbook *playbooks;
    size_t nplaybooks;
    kb_delist *delists;
    size_t ndelists;
    kb_dnsbl *dnsbls;
    size_t ndnsbls;
    kb_pubres *pubres;
    size_t npubres;
    kb_rdnsword *rdnswords;
    size_t nrdnswords;
    kb_dkimsel *dkimsels;
    size_t ndkimsels;
    kb_sender *senders;
    size_t nsenders;
    kb_category *categories;
    size_t ncategories;
    kb_outbound *outbound;
    size_t noutbound;
    /* every rule's "text:" patterns, compiled for one pass over a reply (util/match.h);
     * NULL when there are none or memory ran out (rules are then matched one by one) */
    struct bmatch *rule_texts;
    /* the rules a reply with status class c (2, 4, 5: index 0, 1, 2) and subject s (0 to
     * KB_RULE_SUBJECTS - 1) can match: those without a status and those naming that
     * class.subject, in file order; NULL when memory ran out (all rules are tried) */
    unsigned *rules_by_status[3][KB_RULE_SUBJECTS];
    size_t nrules_by_status[3][KB_RULE_SUBJECTS];
    unsigned *rules_no_status; /* for a reply without a status: the rules without one */
    size_t nrules_no_status;
    /* the same lists without the providers' rules: for a reply from no known provider */
    unsigned *generic_by_status[3][KB_RULE_SUBJECTS];
    size_t ngeneric_by_status[3][KB_RULE_SUBJECTS];
    unsigned *generic_no_status;
    size_t ngeneric_no_status;
    struct kb_fast *fast; /* provider-hosts.tsv and reasons.tsv compiled (kb_fast.c) */
};

/* kb_str - the string at offset off of the kb's pool; NULL for 0 (no string). */
static inline const char *kb_str(const mxd_kb *kb, kb_off off)
{
    return off ? kb->pool + off : NULL;
}

/* kb_item - string i of the list whose first entry is kb->lists[first]. */
static inline const char *kb_item(const mxd_kb *kb, size_t first, size_t i)
{
    return kb_str(kb, kb->lists[first + i]);
}

/* kb_rule_status - status range i of rule r. */
static inline const kb_srange *kb_rule_status(const mxd_kb *kb, const kb_rule *r, size_t i)
{
    return &kb->sranges[r->status + i];
}

/* kb_playbook_step - step i of playbook pb. */
static inline const kb_step *kb_playbook_step(const mxd_kb *kb, const kb_playbook *pb, size_t i)
{
    return &kb->steps[pb->steps + i];
}

/* The built-in knowledge base: data/ as kbgen parsed, checked and compiled it at build time,
 * written out as static tables and matchers (build/kb_data.c): mxd_kb_open hands it out as it
 * is, mxd_kb_free leaves it alone. Nothing writes to a kb once it is loaded. */
extern const mxd_kb kb_builtin;

/* Parsing helpers shared by the loaders of the different data files. */
typedef struct parse_ctx {
    mxd_kb *kb;
    const char *file;
    int line;
    char *why;
    size_t whylen;
    kb_off file_off; /* the stanza files: the file name in the pool */
} parse_ctx;

/* kb_strn - copy len bytes at s (which may lie in the pool itself) and a NUL into the kb's
 * pool: the offset, 0 when out of memory. A pointer into the pool (kb_str()) is good until
 * the next string is added. */
kb_off kb_strn(mxd_kb *kb, const char *s, size_t len);
mxd_err kb_push(void **arr, size_t *n, size_t size, const void *item); /* append to a table */
/* kb_push_list - append n strings to kb->lists; *first gets the index of the first. */
mxd_err kb_push_list(mxd_kb *kb, const kb_off *v, size_t n, uint32_t *first);
mxd_err kb_fail(parse_ctx *pc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int kb_next_line(const char **p, const char *end, const char **ls, size_t *ll);

/* Row handlers of dnsbl.tsv, public-resolvers.tsv and rdns-generic.tsv (kb_dns.c). */
mxd_err kb_row_dnsbl(parse_ctx *pc, const char **col, const size_t *clen);
mxd_err kb_row_pubres(parse_ctx *pc, const char **col, const size_t *clen);
mxd_err kb_row_rdnsword(parse_ctx *pc, const char **col, const size_t *clen);

/* Row handler of provider-outbound.tsv, and its lookups: the row whose range holds the
 * address ip (text), or whose glob matches the PTR name; NULL when none (kb_dns.c). */
mxd_err kb_row_outbound(parse_ctx *pc, const char **col, const size_t *clen);
const kb_outbound *kb_outbound_for_ip(const mxd_kb *kb, const char *ip);
const kb_outbound *kb_outbound_for_ptr(const mxd_kb *kb, const char *name);

/* Row handler of dkim-selectors.tsv (kb_auth.c). */
mxd_err kb_row_dkimsel(parse_ctx *pc, const char **col, const size_t *clen);
/* Row handler of senders.tsv (kb_auth.c). */
mxd_err kb_row_sender(parse_ctx *pc, const char **col, const size_t *clen);

/* kb_key_title - what a key of this kind is called ("Spamhaus DQS key"), or NULL for a kind
 * mxdiag does not know (data/dnsbl.tsv, column `key`). */
const char *kb_key_title(const char *kind, size_t len);

/* kb_find_dnsbl - a blocklist by id, or NULL. */
const kb_dnsbl *kb_find_dnsbl(const mxd_kb *kb, const char *id, size_t len);

/* kb_load_files - parse the given data files into a new kb. On MXD_ERR_DATA a reason with
 * file and line is written to why. */
mxd_err kb_load_files(const kb_file *files, size_t nfiles, mxd_kb **out, char *why, size_t whylen);

/* kb_parse_playbooks / kb_parse_delist - data/playbooks.txt and data/delist.txt */
mxd_err kb_parse_playbooks(parse_ctx *pc, const kb_file *f);
mxd_err kb_parse_delist(parse_ctx *pc, const kb_file *f);

/* kb_is_reason / kb_is_scope - is the name one of the known reasons / scopes? */
int kb_is_reason(const char *s);

/* kb_reason_name - the library's own copy of a known reason name (static), NULL if unknown. */
const char *kb_reason_name(const char *s);
int kb_is_scope(const char *s);

/* kb_status_parse - parse "5.7.708" at s (exactly len bytes) into class, subject, detail. */
int kb_status_parse(const char *s, size_t len, int *cls, int *subj, int *det);

/* kb_find_status - most specific registry entry for cls.subj.det, or NULL. */
const kb_status *kb_find_status(const mxd_kb *kb, int cls, int subj, int det);

/* kb_pseudo_status - the pseudo status (pseudo-status.tsv) of a reason for a temporary
 * (temporary != 0) or permanent failure: "5.0.911"; "" when the reason has none. The
 * permanent code stands in where no temporary one is defined. */
const char *kb_pseudo_status(const mxd_kb *kb, const char *reason, int temporary);

/* kb_find_reply - RFC 5321 entry for a reply code "550", or NULL. */
const kb_reply *kb_find_reply(const mxd_kb *kb, const char *code);

/* ---- compiled lookups (kb_fast.c), built once when the kb is loaded ---- */

/* A "host" or "domain" pattern, ready to compare. */
enum { PAT_SUFFIX = 0, PAT_EXACT, PAT_GLOB, PAT_PREFIX };

typedef struct kb_hostpat {
    kb_off lit; /* lower case: ".example.com" for "*.example.com", else the whole pattern */
    size_t litlen;
    int shape;
    size_t weight; /* the pattern's literal length: the longest match wins */
    kb_off provider;
} kb_hostpat;

/* What kb_fast_build compiles (kbgen writes the built-in one out as static data). */
struct kb_fast {
    kb_hostpat *host, *dom;
    size_t nhost, ndom;
    struct bmatch *hints;   /* "text" patterns, longest literal first */
    kb_off *hint_provider;  /* provider of each */
    struct bmatch *reasons; /* reasons.tsv patterns, in file order */
    kb_off *rule_providers;
    size_t nrule_providers;
    unsigned *tags; /* the "tag" patterns (indexes in kb->hosts), in file order */
    size_t ntags;
    unsigned char tag_first[256]; /* bytes a tag starts with (lower case) */
};

/* kb_fast_build / kb_fast_free - compile provider-hosts.tsv and reasons.tsv into kb->fast
 * (the host patterns in lower case go into the kb's pool). */
mxd_err kb_fast_build(mxd_kb *kb);
void kb_fast_free(mxd_kb *kb);

/* kb_host_provider - the provider of a host name (remote MTA, MX, reporting MTA): the same
 * answer as mxd_kb_provider_for_host() (the longest matching pattern wins). NULL if none. */
const char *kb_host_provider(const mxd_kb *kb, const char *host);

/* kb_domain_provider - the same as mxd_kb_provider_for_domain() for a recipient domain. */
const char *kb_domain_provider(const mxd_kb *kb, const char *domain);

/* kb_hint_provider - the provider of the longest provider-hosts.tsv "text" pattern in the
 * lower-case text low (bmatch_lower), or NULL (file order among patterns of one length). */
const char *kb_hint_provider(const mxd_kb *kb, const char *low, size_t len);

/* kb_status_provider - the provider whose own code cls.subj.det is (provider-hosts.tsv
 * "status"), or NULL. */
const char *kb_status_provider(const mxd_kb *kb, int cls, int subj, int det);

/* kb_tag_provider - the provider of the first provider-hosts.tsv "tag" pattern (file order)
 * found as a whole word in low/len (the reply in lower case), or NULL; *tag (may be NULL)
 * gets the pattern. */
const char *kb_tag_provider(const mxd_kb *kb, const char *low, size_t len, const char **tag);

/* kb_reason_first - the index in kb->reasons of the first reasons.tsv pattern in the
 * lower-case text low, or -1. */
long kb_reason_first(const mxd_kb *kb, const char *low, size_t len);

/* kb_reason_match - reasons.tsv compiled (util/match.h), for callers that match themselves. */
const struct bmatch *kb_reason_match(const mxd_kb *kb);

/* kb_provider_has_rules - does any rule name this provider? */
int kb_provider_has_rules(const mxd_kb *kb, const char *provider);

/* kb_find_provider - provider entry by id, or NULL. */
const kb_provider *kb_find_provider(const mxd_kb *kb, const char *id);

#endif
