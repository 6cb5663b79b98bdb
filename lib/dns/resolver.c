/* resolver.c - mxdiag's DNS resolver over c-ares: a query cache, many queries in flight
 * SPDX-License-Identifier: MIT
 *
 * Every (name, type) pair is one entry in a hash table that lives as long as the resolver:
 * asking the same question twice sends one query. Submitting only queues a waiter on the
 * entry; mxd_resolver_run() sends the queued entries (at most MXD_DNS_MAX_INFLIGHT on the
 * wire), drives c-ares with poll() until nothing is left, and hands each finished entry's
 * answer to its waiters. Callbacks may submit more; those go out in the same run.
 *
 * c-ares is set to one try per server; mxdiag retries a timed-out query itself, so that the
 * per-try timeout is exactly --timeout (c-ares would double it on every round). Truncated UDP
 * answers are retried over TCP by c-ares (ARES_FLAG_IGNTC is not set).
 */
#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dns/dns_internal.h"
#include "util/str.h"

#define DNS_HASH_MIN     1024
#define DNS_SERVERS_TEXT (MXD_DNS_MAX_SERVERS * 56)
#define DNS_WARNING_TEXT 1024
#define DNS_MAX_SOCKETS  64 /* sockets c-ares may have open at once (servers x UDP/TCP) */
#define DNS_MAX_POLL_MS  1000

enum { ENTRY_QUEUED = 0, ENTRY_INFLIGHT, ENTRY_DONE };

typedef struct dns_waiter {
    struct dns_waiter *next;
    mxd_dns_cb cb;
    void *arg;
    char *qname; /* as this caller asked it */
} dns_waiter;

typedef struct dns_entry {
    struct dns_entry *hnext; /* hash chain */
    struct dns_entry *next;  /* send queue or ready list */
    struct mxd_resolver *r;
    char *key; /* lower case, no trailing dot */
    int type;
    int state;
    int tries_left;
    int listed; /* on the send queue or the ready list */
    mxd_dns_status status;
    mxd_dns_rr *rr;
    size_t n;
    int truncated; /* records past DNS_MAX_RRS were dropped */
    dns_waiter *waiters, **wtail;
} dns_entry;

typedef struct dns_sock {
    ares_socket_t fd;
    int rd, wr;
} dns_sock;

struct mxd_resolver {
    ares_channel ch;
    int tries;
    char servers[DNS_SERVERS_TEXT];
    char warning[DNS_WARNING_TEXT];
    int has_warning;
    dns_entry **table;
    size_t nbuckets, nentries;
    dns_entry *queue, **qtail; /* to send */
    dns_entry *ready, **rtail; /* answered, waiters to call */
    size_t inflight;
    int running;
    dns_sock socks[DNS_MAX_SOCKETS];
    size_t nsocks;
    mxd_dns_stats stats;
};

static const char *const status_names[] = {"ok",      "nxdomain", "nodata", "servfail",
                                           "refused", "timeout",  "error"};

const char *mxd_dns_status_name(mxd_dns_status s)
{
    if ((unsigned)s >= sizeof status_names / sizeof *status_names)
        return "error";
    return status_names[s];
}

int mxd_dns_name_valid(const char *name, size_t len)
{
    if (!name)
        return 0;
    if (len && name[len - 1] == '.')
        len--;
    if (len == 0 || len > MXD_DNS_NAME_MAX)
        return 0;
    size_t lab = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '.') {
            if (lab == 0)
                return 0;
            lab = 0;
            continue;
        }
        if (c < 0x20 || c >= 0x7f || c == '\\')
            return 0;
        if (++lab > 63)
            return 0;
    }
    return lab > 0;
}

/* ---- the cache ------------------------------------------------------------------------ */

static uint64_t hash_key(const char *key, int type)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)type;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

static int table_grow(mxd_resolver *r)
{
    size_t nb = r->nbuckets ? r->nbuckets * 2 : DNS_HASH_MIN;
    dns_entry **t = calloc(nb, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < r->nbuckets; i++) {
        dns_entry *e = r->table[i];
        while (e) {
            dns_entry *next = e->hnext;
            size_t b = (size_t)(hash_key(e->key, e->type) & (nb - 1));
            e->hnext = t[b];
            t[b] = e;
            e = next;
        }
    }
    free(r->table);
    r->table = t;
    r->nbuckets = nb;
    return 0;
}

/* make_key - the cache key of a name: lower case, without a trailing dot. */
static char *make_key(const char *name, size_t len)
{
    if (len && name[len - 1] == '.')
        len--;
    char *k = malloc(len + 1);
    if (!k)
        return NULL;
    for (size_t i = 0; i < len; i++)
        k[i] = (char)str_tolower((unsigned char)name[i]);
    k[len] = 0;
    return k;
}

static dns_entry *table_find(const mxd_resolver *r, const char *key, int type)
{
    if (!r->nbuckets)
        return NULL;
    size_t b = (size_t)(hash_key(key, type) & (r->nbuckets - 1));
    for (dns_entry *e = r->table[b]; e; e = e->hnext)
        if (e->type == type && !strcmp(e->key, key))
            return e;
    return NULL;
}

static void entry_free(dns_entry *e)
{
    dns_waiter *w = e->waiters;
    while (w) {
        dns_waiter *n = w->next;
        free(w->qname);
        free(w);
        w = n;
    }
    dns_rrs_free(e->rr, e->n);
    free(e->key);
    free(e);
}

/* ---- c-ares plumbing ---------------------------------------------------------------- */

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    mxd_resolver *r = data;
    for (size_t i = 0; i < r->nsocks; i++) {
        if (r->socks[i].fd != fd)
            continue;
        if (!readable && !writable) {
            r->socks[i] = r->socks[--r->nsocks];
        } else {
            r->socks[i].rd = readable;
            r->socks[i].wr = writable;
        }
        return;
    }
    if ((readable || writable) && r->nsocks < DNS_MAX_SOCKETS) {
        r->socks[r->nsocks].fd = fd;
        r->socks[r->nsocks].rd = readable;
        r->socks[r->nsocks].wr = writable;
        r->nsocks++;
    }
}

static void ready_push(mxd_resolver *r, dns_entry *e)
{
    if (e->listed)
        return;
    e->listed = 1;
    e->next = NULL;
    *r->rtail = e;
    r->rtail = &e->next;
}

static void queue_push(mxd_resolver *r, dns_entry *e)
{
    e->state = ENTRY_QUEUED;
    e->listed = 1;
    e->next = NULL;
    *r->qtail = e;
    r->qtail = &e->next;
}

static mxd_dns_status map_ares(int st)
{
    switch (st) {
    case ARES_ENOTFOUND:
        return MXD_DNS_NXDOMAIN;
    case ARES_ENODATA:
        return MXD_DNS_NODATA;
    case ARES_ESERVFAIL:
        return MXD_DNS_SERVFAIL;
    case ARES_EREFUSED:
        return MXD_DNS_REFUSED;
    case ARES_ETIMEOUT:
    case ARES_ECONNREFUSED: /* no server could be reached: nobody answered */
        return MXD_DNS_TIMEOUT;
    default:
        return MXD_DNS_ERROR;
    }
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    dns_entry *e = arg;
    mxd_resolver *r = e->r;
    r->inflight--;
    if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
        e->status = MXD_DNS_ERROR;
        e->state = ENTRY_DONE;
        return; /* the resolver is going away: nobody to call */
    }
    mxd_dns_status st = map_ares(status);
    if (st == MXD_DNS_TIMEOUT && e->tries_left > 0) {
        e->tries_left--;
        r->stats.retries++;
        queue_push(r, e);
        return;
    }
    if (status == ARES_SUCCESS) {
        mxd_err pe = dns_answer_parse_cut(e->type, abuf, alen, &e->rr, &e->n, &e->truncated);
        st = pe == MXD_OK ? MXD_DNS_OK : pe == MXD_ERR_NOTFOUND ? MXD_DNS_NODATA : MXD_DNS_ERROR;
    }
    e->status = st;
    e->state = ENTRY_DONE;
    ready_push(r, e);
}

/* flush_queue - put queued entries on the wire, up to the in-flight limit. */
static void flush_queue(mxd_resolver *r)
{
    while (r->queue && r->inflight < MXD_DNS_MAX_INFLIGHT) {
        dns_entry *e = r->queue;
        r->queue = e->next;
        if (!r->queue)
            r->qtail = &r->queue;
        e->listed = 0;
        e->state = ENTRY_INFLIGHT;
        r->inflight++;
        if (r->inflight > r->stats.peak_inflight)
            r->stats.peak_inflight = r->inflight;
        r->stats.sent++;
        ares_query(r->ch, e->key, 1 /* class IN */, e->type, on_answer, e);
    }
}

/* deliver - call the waiters of every answered entry. */
static void deliver(mxd_resolver *r)
{
    while (r->ready) {
        dns_entry *e = r->ready;
        r->ready = e->next;
        if (!r->ready)
            r->rtail = &r->ready;
        e->listed = 0;
        dns_waiter *w = e->waiters;
        e->waiters = NULL;
        e->wtail = &e->waiters;
        while (w) {
            dns_waiter *next = w->next;
            mxd_dns_answer a = {w->qname,
                                e->type,
                                e->status,
                                e->status == MXD_DNS_OK ? e->n : 0,
                                e->status == MXD_DNS_OK ? e->rr : NULL,
                                e->status == MXD_DNS_OK && e->truncated};
            w->cb(w->arg, &a);
            free(w->qname);
            free(w);
            w = next;
        }
    }
}

/* wait_io - one round of poll() on c-ares' sockets and processing of what came in. */
static mxd_err wait_io(mxd_resolver *r)
{
    struct timeval maxtv = {DNS_MAX_POLL_MS / 1000, (DNS_MAX_POLL_MS % 1000) * 1000}, tv;
    struct timeval *tvp = ares_timeout(r->ch, &maxtv, &tv);
    int ms = (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
    struct pollfd pf[DNS_MAX_SOCKETS];
    size_t n = r->nsocks;
    for (size_t i = 0; i < n; i++) {
        pf[i].fd = r->socks[i].fd;
        pf[i].events = (short)((r->socks[i].rd ? POLLIN : 0) | (r->socks[i].wr ? POLLOUT : 0));
        pf[i].revents = 0;
    }
    int rc = poll(pf, (nfds_t)n, ms);
    if (rc < 0 && errno != EINTR)
        return MXD_ERR_DNS;
    if (rc <= 0) {
        ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
        return MXD_OK;
    }
    for (size_t i = 0; i < n; i++) {
        if (!pf[i].revents)
            continue;
        int rd = pf[i].revents & (POLLIN | POLLERR | POLLHUP);
        int wr = pf[i].revents & (POLLOUT | POLLERR);
        ares_process_fd(r->ch, rd ? pf[i].fd : ARES_SOCKET_BAD, wr ? pf[i].fd : ARES_SOCKET_BAD);
    }
    return MXD_OK;
}

mxd_err mxd_resolver_run(mxd_resolver *r)
{
    if (!r || r->running)
        return MXD_ERR_INVALID;
    r->running = 1;
    mxd_err err = MXD_OK;
    for (;;) {
        flush_queue(r);
        deliver(r);
        if (r->queue)
            flush_queue(r);
        if (!r->inflight && !r->queue && !r->ready)
            break;
        if (!r->inflight)
            continue;
        err = wait_io(r);
        if (err)
            break;
    }
    r->running = 0;
    return err;
}

mxd_err mxd_dns_submit(mxd_resolver *r, const char *name, int type, mxd_dns_cb cb, void *arg)
{
    if (!r || !name || !cb || type <= 0 || type > 65535)
        return MXD_ERR_INVALID;
    size_t len = strlen(name);
    if (!mxd_dns_name_valid(name, len))
        return MXD_ERR_INVALID;
    char *key = make_key(name, len);
    if (!key)
        return MXD_ERR_NOMEM;
    dns_entry *e = table_find(r, key, type);
    if (!e) {
        if (r->nentries >= MXD_DNS_MAX_QUERIES) {
            free(key);
            return MXD_ERR_TOOBIG;
        }
        if (r->nentries >= r->nbuckets && table_grow(r)) {
            free(key);
            return MXD_ERR_NOMEM;
        }
        e = calloc(1, sizeof *e);
        if (!e) {
            free(key);
            return MXD_ERR_NOMEM;
        }
        e->r = r;
        e->key = key;
        e->type = type;
        e->tries_left = r->tries - 1;
        e->wtail = &e->waiters;
        size_t b = (size_t)(hash_key(key, type) & (r->nbuckets - 1));
        e->hnext = r->table[b];
        r->table[b] = e;
        r->nentries++;
        queue_push(r, e);
    } else {
        free(key);
        if (e->state == ENTRY_DONE) {
            r->stats.cached++;
            ready_push(r, e);
        }
    }
    dns_waiter *w = calloc(1, sizeof *w);
    char *qn = str_dup_n(name, len);
    if (!w || !qn) {
        free(w);
        free(qn);
        return MXD_ERR_NOMEM;
    }
    w->cb = cb;
    w->arg = arg;
    w->qname = qn;
    *e->wtail = w;
    e->wtail = &w->next;
    return MXD_OK;
}

/* ---- synchronous lookup ------------------------------------------------------------- */

static void copy_answer(void *arg, const mxd_dns_answer *a)
{
    mxd_dns_answer **out = arg;
    mxd_dns_answer *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->qtype = a->qtype;
    c->status = a->status;
    c->qname = str_dup_n(a->qname, strlen(a->qname));
    mxd_dns_rr *rr = a->n ? calloc(a->n, sizeof *rr) : NULL;
    int bad = !c->qname || (a->n && !rr);
    for (size_t i = 0; i < a->n && !bad; i++) {
        rr[i] = a->rr[i];
        rr[i].name = NULL;
        rr[i].text = NULL;
        if (a->rr[i].name && !(rr[i].name = str_dup_n(a->rr[i].name, strlen(a->rr[i].name))))
            bad = 1;
        if (a->rr[i].text && !(rr[i].text = str_dup_n(a->rr[i].text, a->rr[i].len)))
            bad = 1;
    }
    c->rr = rr;
    c->n = a->n;
    c->truncated = a->truncated;
    if (bad) {
        mxd_dns_answer_free(c);
        return;
    }
    *out = c;
}

mxd_err mxd_dns_lookup(mxd_resolver *r, const char *name, int type, mxd_dns_answer **out)
{
    if (!out)
        return MXD_ERR_INVALID;
    *out = NULL;
    if (r && r->running)
        return MXD_ERR_INVALID;
    mxd_err e = mxd_dns_submit(r, name, type, copy_answer, out);
    if (e)
        return e;
    e = mxd_resolver_run(r);
    if (e) {
        mxd_dns_answer_free(*out);
        *out = NULL;
        return e;
    }
    return *out ? MXD_OK : MXD_ERR_NOMEM;
}

void mxd_dns_answer_free(mxd_dns_answer *a)
{
    if (!a)
        return;
    dns_rrs_free((mxd_dns_rr *)a->rr, a->n);
    free((char *)a->qname);
    free(a);
}

/* ---- reverse names -------------------------------------------------------------------- */

mxd_err mxd_dns_reverse_name(const char *ip, const char *suffix, char *out, size_t outlen)
{
    unsigned char b[16];
    if (!ip || !out || !outlen)
        return MXD_ERR_INVALID;
    out[0] = 0;
    int v4 = inet_pton(AF_INET, ip, b) == 1;
    if (!v4 && inet_pton(AF_INET6, ip, b) != 1)
        return MXD_ERR_INVALID;
    if (!suffix)
        suffix = v4 ? "in-addr.arpa" : "ip6.arpa";
    size_t sl = strlen(suffix);
    if (sl && suffix[sl - 1] == '.')
        sl--;
    int n;
    if (v4) {
        n = snprintf(out, outlen, "%u.%u.%u.%u.%.*s", b[3], b[2], b[1], b[0], (int)sl, suffix);
    } else {
        static const char hex[] = "0123456789abcdef";
        char nib[64];
        for (int i = 0; i < 16; i++) {
            nib[(15 - i) * 4] = hex[b[i] & 15];
            nib[(15 - i) * 4 + 1] = '.';
            nib[(15 - i) * 4 + 2] = hex[b[i] >> 4];
            nib[(15 - i) * 4 + 3] = '.';
        }
        n = snprintf(out, outlen, "%.64s%.*s", nib, (int)sl, suffix);
    }
    if (n < 0 || (size_t)n >= outlen) {
        out[0] = 0;
        return MXD_ERR_TOOBIG;
    }
    if (!mxd_dns_name_valid(out, (size_t)n)) {
        out[0] = 0;
        return MXD_ERR_INVALID;
    }
    return MXD_OK;
}

/* ---- setup ---------------------------------------------------------------------------- */

static void set_why(char *why, size_t whylen, const char *msg)
{
    if (why && whylen)
        snprintf(why, whylen, "%s", msg);
}

/* describe_servers - the server text and, for public resolvers, the warning. */
static void describe_servers(mxd_resolver *r, const dns_server *sv, size_t n, const mxd_kb *kb)
{
    size_t off = 0;
    char pub[DNS_WARNING_TEXT / 2] = "";
    size_t poff = 0;
    for (size_t i = 0; i < n; i++) {
        char t[64];
        dns_server_format(&sv[i], t, sizeof t);
        int w = snprintf(r->servers + off, sizeof r->servers - off, "%s%s", i ? "," : "", t);
        if (w > 0 && (size_t)w < sizeof r->servers - off)
            off += (size_t)w;
        char a[INET6_ADDRSTRLEN];
        inet_ntop(sv[i].family == 4 ? AF_INET : AF_INET6, sv[i].addr, a, sizeof a);
        const char *op = kb ? mxd_kb_public_resolver(kb, a) : NULL;
        if (op) {
            w = snprintf(pub + poff, sizeof pub - poff, "%s%s (%s)", poff ? ", " : "", a, op);
            if (w > 0 && (size_t)w < sizeof pub - poff)
                poff += (size_t)w;
        }
    }
    if (poff) {
        snprintf(r->warning, sizeof r->warning,
                 "the DNS server %s is a public resolver: Spamhaus, URIBL and other blocklists "
                 "refuse or falsify queries that come through public resolvers, so their "
                 "answers are errors, not results; use your own resolver (--dns-server) or a "
                 "Spamhaus DQS key (--spamhaus-key)",
                 pub);
        r->has_warning = 1;
    }
}

/* system_servers - the servers c-ares read from the system configuration. */
static size_t system_servers(mxd_resolver *r, dns_server *sv, size_t max)
{
    struct ares_addr_port_node *list = NULL;
    size_t n = 0;
    if (ares_get_servers_ports(r->ch, &list) != ARES_SUCCESS)
        return 0;
    for (struct ares_addr_port_node *p = list; p && n < max; p = p->next) {
        if (p->family == AF_INET) {
            sv[n].family = 4;
            memcpy(sv[n].addr, &p->addr.addr4, 4);
        } else if (p->family == AF_INET6) {
            sv[n].family = 6;
            memcpy(sv[n].addr, &p->addr.addr6, 16);
        } else {
            continue;
        }
        sv[n].port = p->udp_port ? (unsigned)p->udp_port : DNS_DEFAULT_PORT;
        n++;
    }
    ares_free_data(list);
    return n;
}

static mxd_err set_servers(mxd_resolver *r, const dns_server *sv, size_t n)
{
    struct ares_addr_port_node nodes[MXD_DNS_MAX_SERVERS];
    memset(nodes, 0, sizeof nodes);
    for (size_t i = 0; i < n; i++) {
        nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
        nodes[i].family = sv[i].family == 4 ? AF_INET : AF_INET6;
        if (sv[i].family == 4)
            memcpy(&nodes[i].addr.addr4, sv[i].addr, 4);
        else
            memcpy(&nodes[i].addr.addr6, sv[i].addr, 16);
        nodes[i].udp_port = (int)sv[i].port;
        nodes[i].tcp_port = (int)sv[i].port;
    }
    return ares_set_servers_ports(r->ch, nodes) == ARES_SUCCESS ? MXD_OK : MXD_ERR_DNS;
}

mxd_err mxd_resolver_new(const mxd_dns_opts *opts, mxd_resolver **out, char *why, size_t whylen)
{
    if (why && whylen)
        why[0] = 0;
    if (!out)
        return MXD_ERR_INVALID;
    *out = NULL;
    mxd_dns_opts o = {0};
    if (opts)
        o = *opts;
    if (o.timeout_ms < 0 || o.timeout_ms > DNS_MAX_TIMEOUT_MS || o.tries < 0 ||
        o.tries > DNS_MAX_TRIES) {
        set_why(why, whylen, "DNS timeout or tries out of range");
        return MXD_ERR_INVALID;
    }
    const char *list = o.servers;
    if (!list || !*list)
        list = getenv("MXDIAG_DNS_SERVER");
    if (list && !*list)
        list = NULL;
    dns_server sv[MXD_DNS_MAX_SERVERS];
    size_t nsv = 0;
    if (list) {
        mxd_err e =
            dns_servers_parse(list, strlen(list), sv, MXD_DNS_MAX_SERVERS, &nsv, why, whylen);
        if (e)
            return e;
    }
    mxd_resolver *r = calloc(1, sizeof *r);
    if (!r)
        return MXD_ERR_NOMEM;
    r->qtail = &r->queue;
    r->rtail = &r->ready;
    r->tries = o.tries ? o.tries : DNS_DEFAULT_TRIES;
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        free(r);
        set_why(why, whylen, "c-ares cannot start");
        return MXD_ERR_DNS;
    }
    struct ares_options ao;
    memset(&ao, 0, sizeof ao);
    ao.timeout = o.timeout_ms ? o.timeout_ms : DNS_DEFAULT_TIMEOUT_MS;
    ao.tries = 1; /* per server; retries after a timeout are ours */
    ao.sock_state_cb = sock_state;
    ao.sock_state_cb_data = r;
    ao.socket_receive_buffer_size = DNS_RCVBUF;
    /* SERVFAIL and REFUSED are answers to report, not reasons to wait: c-ares 1.18 would
     * drop them and end the query as "connection refused" after the last server. (It still
     * matches each answer's question to the query.) */
    ao.flags = ARES_FLAG_NOCHECKRESP;
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
               ARES_OPT_SOCK_RCVBUF | ARES_OPT_NOROTATE;
    int st = ares_init_options(&r->ch, &ao, mask);
    if (st != ARES_SUCCESS) {
        ares_library_cleanup();
        free(r);
        if (why && whylen)
            snprintf(why, whylen, "c-ares cannot start: %s", ares_strerror(st));
        return MXD_ERR_DNS;
    }
    if (nsv) {
        if (set_servers(r, sv, nsv)) {
            mxd_resolver_free(r);
            set_why(why, whylen, "c-ares refused the DNS server list");
            return MXD_ERR_DNS;
        }
    } else {
        nsv = system_servers(r, sv, MXD_DNS_MAX_SERVERS);
    }
    mxd_kb *own = NULL;
    const mxd_kb *kb = o.kb;
    if (!kb && mxd_kb_open(&own) == MXD_OK)
        kb = own;
    describe_servers(r, sv, nsv, kb);
    mxd_kb_free(own);
    *out = r;
    return MXD_OK;
}

void mxd_resolver_free(mxd_resolver *r)
{
    if (!r)
        return;
    ares_destroy(r->ch); /* calls on_answer with ARES_EDESTRUCTION for what is in flight */
    for (size_t i = 0; i < r->nbuckets; i++) {
        dns_entry *e = r->table[i];
        while (e) {
            dns_entry *n = e->hnext;
            entry_free(e);
            e = n;
        }
    }
    free(r->table);
    free(r);
    ares_library_cleanup();
}

const char *mxd_resolver_warning(const mxd_resolver *r)
{
    return r && r->has_warning ? r->warning : NULL;
}

const char *mxd_resolver_servers(const mxd_resolver *r)
{
    return r ? r->servers : "";
}

void mxd_resolver_stats(const mxd_resolver *r, mxd_dns_stats *st)
{
    if (!st)
        return;
    if (!r) {
        memset(st, 0, sizeof *st);
        return;
    }
    *st = r->stats;
}
