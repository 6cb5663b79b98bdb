/* http.c - the watch daemon's HTTP server: the dashboard, /metrics, /api/..., /healthz
 * SPDX-License-Identifier: MIT
 *
 * libmicrohttpd (loaded on first use, libs.c) polls every connection from one thread of its
 * own. A request is checked in this order: the token (when one is set: "Authorization: Bearer
 * T" or "?token=T", compared in constant time as SHA-256 digests) or, without one, a Host
 * header that is a loopback address or "localhost" (no DNS rebinding), the method (GET or
 * HEAD), the path (a table). The answer is rendered (render.c) under the server's lock from the
 * server's own read-only connection to the database: a request reads, it never writes and
 * nothing in it reaches a resolver. Connections, their memory and their idle time are capped
 * (the WATCH_HTTP_* constants).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "util/crypto.h"
#include "watch/watch_internal.h"
#include "watch/libs.h"
#include "util/str.h"

#define WATCH_HTTP_MAX_CONNECTIONS 64u /* at once */
#define WATCH_HTTP_MAX_PER_IP      32u /* at once from one address (a proxy is one) */
#define WATCH_HTTP_TIMEOUT         30u /* seconds a connection may stay idle */
#define WATCH_HTTP_MEMORY          ((size_t)32 * 1024) /* per connection: the request's head */

/* Sent with every answer: nothing to sniff, frame, fetch or cache; the page's CSS is inline
 * and its only "image" is the data: favicon. */
static const struct {
    const char *name, *value;
} security_headers[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
    {"Cache-Control", "no-store"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
};

enum route_kind { R_DASHBOARD, R_METRICS, R_API, R_HEALTH };

/* The paths served; "/api/" is a prefix (render.c knows its names). */
static const struct route {
    const char *path;
    int prefix;
    enum route_kind kind;
    const char *type;
} routes[] = {
    {"/", 0, R_DASHBOARD, "text/html; charset=utf-8"},
    {"/metrics", 0, R_METRICS, "text/plain; version=0.0.4; charset=utf-8"},
    {"/api/", 1, R_API, "application/json"},
    {"/healthz", 0, R_HEALTH, "text/plain; charset=utf-8"},
};

struct watch_http {
    struct MHD_Daemon *daemon;
    mxd_store *store; /* read-only; used under lock */
    pthread_mutex_t lock;
    watch_stats_pub *stats;
    int has_token;
    unsigned char token_md[SHA256_DIGEST_LENGTH];
};

/* parse_listen - "ADDR:PORT", "[V6]:PORT" or "localhost:PORT" into *ss (numeric only: no
 * name is looked up). */
static mxd_err parse_listen(const char *listen, struct sockaddr_storage *ss, int *v6, char *why,
                            size_t whylen)
{
    const char *host, *port;
    size_t hlen;
    if (!listen || !*listen)
        return str_why(MXD_ERR_INVALID, why, whylen, "no listen address");
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':')
            return str_why(MXD_ERR_INVALID, why, whylen, "listen %s: expected [IPv6 address]:port",
                           listen);
        host = listen + 1;
        hlen = (size_t)(close - host);
        port = close + 2;
    } else {
        const char *colon = strrchr(listen, ':');
        if (!colon)
            return str_why(MXD_ERR_INVALID, why, whylen, "listen %s: expected address:port",
                           listen);
        if (memchr(listen, ':', (size_t)(colon - listen)))
            return str_why(MXD_ERR_INVALID, why, whylen,
                           "listen %s: an IPv6 address goes in brackets ([::1]:9325)", listen);
        host = listen;
        hlen = (size_t)(colon - listen);
        port = colon + 1;
    }
    unsigned long p;
    if (str_parse_uint(port, strlen(port), 65535, &p))
        return str_why(MXD_ERR_INVALID, why, whylen, "listen %s: bad port", listen);
    char h[INET6_ADDRSTRLEN + 1];
    if (hlen == 0 || hlen >= sizeof h)
        return str_why(MXD_ERR_INVALID, why, whylen, "listen %s: bad address", listen);
    memcpy(h, host, hlen);
    h[hlen] = 0;
    if (strcmp(h, "localhost") == 0)
        snprintf(h, sizeof h, "127.0.0.1");
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, h, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)p);
        *v6 = 0;
    } else if (inet_pton(AF_INET6, h, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)p);
        *v6 = 1;
    } else {
        return str_why(MXD_ERR_INVALID, why, whylen,
                       "listen %s: not a numeric IPv4 or IPv6 address", listen);
    }
    return MXD_OK;
}

/* addr_is_loopback - the address parsed is 127.0.0.0/8 or ::1 (checked again here, on what
 * is bound, beside the configuration's check). */
static int addr_is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/* token_ok - does s[0..len) equal the token? Constant time in the token. */
static int token_ok(const watch_http *h, const char *s, size_t len)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)s, len, md);
    return CRYPTO_memcmp(md, h->token_md, sizeof md) == 0;
}

/* authorised - the request carries the token (or none is needed). */
static int authorised(const watch_http *h, struct MHD_Connection *c)
{
    if (!h->has_token)
        return 1;
    int ok = 0;
    const char *a = wm.lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (a && strlen(a) > 7 && str_caseeq(a, 6, "bearer") && a[6] == ' ') {
        a += 7;
        while (*a == ' ')
            a++;
        size_t n = strlen(a);
        while (n && a[n - 1] == ' ')
            n--;
        ok |= token_ok(h, a, n);
    }
    const char *q = wm.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    if (q)
        ok |= token_ok(h, q, strlen(q));
    return ok;
}

/* host_ok - without a token, the Host header (when sent) names a loopback address or
 * "localhost", with any port: a web page whose name an attacker re-resolves to 127.0.0.1 (DNS
 * rebinding) sends its own name there, and is refused before it can read an answer. */
static int host_ok(const watch_http *h, struct MHD_Connection *c)
{
    if (h->has_token)
        return 1;
    const char *host = wm.lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host)
        return 1;    /* HTTP/1.0 without one: no browser */
    const char *end; /* of the address: ":PORT" or nothing follows */
    if (host[0] == '[') {
        end = strchr(++host, ']');
        if (!end || (end[1] && end[1] != ':'))
            return 0;
    } else {
        end = host + strcspn(host, ":");
    }
    size_t n = (size_t)(end - host);
    char a[INET6_ADDRSTRLEN + 1];
    if (n >= sizeof a)
        return 0;
    memcpy(a, host, n);
    a[n] = 0;
    if (str_caseeq(a, n, "localhost"))
        return 1;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (inet_pton(AF_INET, a, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
        ss.ss_family = AF_INET;
    else if (inet_pton(AF_INET6, a, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
        ss.ss_family = AF_INET6;
    else
        return 0;
    return addr_is_loopback(&ss);
}

/* reply - queue body (owned: freed by libmicrohttpd) with the headers every answer has. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             char *body, size_t len, int owned, const char *hname,
                             const char *hvalue)
{
    struct MHD_Response *r = wm.create_response_from_buffer(
        len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    int ok = wm.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) == MHD_YES;
    for (size_t i = 0; i < sizeof security_headers / sizeof security_headers[0]; i++)
        ok &= wm.add_response_header(r, security_headers[i].name, security_headers[i].value) ==
              MHD_YES;
    if (hname)
        ok &= wm.add_response_header(r, hname, hvalue) == MHD_YES;
    enum MHD_Result ret = ok ? wm.queue_response(c, status, r) : MHD_NO;
    wm.destroy_response(r);
    return ret;
}

/* reply_text - a short fixed text answer, with one more header (hname may be NULL). */
static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text,
                                  const char *hname, const char *hvalue)
{
    return reply(c, status, "text/plain; charset=utf-8", (char *)text, strlen(text), 0, hname,
                 hvalue);
}

/* render - the body of route rt for path, under the lock; NULL with *status set otherwise. */
static char *render(watch_http *h, const struct route *rt, const char *path, size_t *len,
                    unsigned *status)
{
    char why[512] = "";
    char *body = NULL;
    int notfound = 0;
    long long now = (long long)time(NULL);
    watch_stats snap;
    watch_stats_read(h->stats, &snap);
    pthread_mutex_lock(&h->lock);
    switch (rt->kind) {
    case R_DASHBOARD:
        body = watch_render_dashboard(h->store, &snap, now, len, why, sizeof why);
        break;
    case R_METRICS:
        body = watch_render_metrics(h->store, &snap, now, len, why, sizeof why);
        break;
    case R_API:
        body = watch_render_api(h->store, &snap, path, now, len, &notfound, why, sizeof why);
        break;
    case R_HEALTH: {
        int v = mxd_store_schema_version(h->store);
        if (v >= MXD_STORE_SCHEMA_VERSION)
            body = strdup("ok\n");
        else
            snprintf(why, sizeof why, "database schema %d, %d needed: %s", v,
                     MXD_STORE_SCHEMA_VERSION, mxd_store_error(h->store));
        *len = body ? strlen(body) : 0;
        break;
    }
    }
    pthread_mutex_unlock(&h->lock);
    if (!body) {
        *status = notfound ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR;
        if (!notfound)
            watch_log(LOG_ERR, "http: %s: %s", path, why);
    }
    return body;
}

/* on_request - libmicrohttpd's handler: token, method, path, then the answer. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req)
{
    watch_http *h = cls;
    (void)version;
    (void)upload;
    (void)req;
    *upload_size = 0; /* a body is never read */
    if (!authorised(h, c))
        return reply_text(c, MHD_HTTP_UNAUTHORIZED, "a token is required\n",
                          MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"mxdiag watch\"");
    if (!host_ok(h, c))
        return reply_text(c, MHD_HTTP_FORBIDDEN,
                          "the Host header is not a loopback address (a token allows any)\n", NULL,
                          NULL);
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n",
                          MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    const struct route *rt = NULL;
    for (size_t i = 0; !rt && i < sizeof routes / sizeof routes[0]; i++)
        if (routes[i].prefix ? strncmp(url, routes[i].path, strlen(routes[i].path)) == 0
                             : strcmp(url, routes[i].path) == 0)
            rt = &routes[i];
    if (!rt)
        return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n", NULL, NULL);
    size_t len = 0;
    unsigned status = MHD_HTTP_OK;
    char *body = render(h, rt, url, &len, &status);
    if (!body)
        return reply_text(c, status,
                          status == MHD_HTTP_NOT_FOUND ? "not found\n"
                                                       : "internal error (see the daemon's log)\n",
                          NULL, NULL);
    return reply(c, MHD_HTTP_OK, rt->type, body, len, 1, NULL, NULL);
}

/* mhd_log - libmicrohttpd's messages, one line each, to the daemon's log. */
static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
    watch_log(LOG_WARNING, "http: %s", line);
}

void watch_stats_publish(watch_stats_pub *p, const watch_stats *s)
{
    pthread_mutex_lock(&p->mu);
    p->v = *s;
    pthread_mutex_unlock(&p->mu);
}

void watch_stats_read(watch_stats_pub *p, watch_stats *out)
{
    pthread_mutex_lock(&p->mu);
    *out = p->v;
    pthread_mutex_unlock(&p->mu);
}

/* watch_http_start - parse the address, open the database read-only, start the daemon. */
mxd_err watch_http_start(const watch_config *cfg, const char *dbpath, watch_stats_pub *stats,
                         watch_http **out, char *bound, size_t boundlen, char *why, size_t whylen)
{
    *out = NULL;
    if (bound && boundlen)
        bound[0] = 0;
    struct sockaddr_storage ss;
    int v6 = 0;
    mxd_err e = parse_listen(cfg->listen, &ss, &v6, why, whylen);
    if (e)
        return e;
    int has_token = cfg->token && *cfg->token;
    if (!has_token && !addr_is_loopback(&ss))
        return str_why(MXD_ERR_INVALID, why, whylen,
                       "listen %s is not a loopback address: a token is required", cfg->listen);
    if (!watch_mhd_ready() || crypto_load())
        return str_why(MXD_ERR_NOLIB, why, whylen, "%s", mxd_strerror(MXD_ERR_NOLIB));

    watch_http *h = calloc(1, sizeof *h);
    if (!h)
        return str_why(MXD_ERR_NOMEM, why, whylen, "out of memory");
    if (pthread_mutex_init(&h->lock, NULL)) {
        free(h);
        return str_why(MXD_ERR_NOMEM, why, whylen, "cannot make a lock");
    }
    h->stats = stats;
    h->has_token = has_token;
    if (has_token)
        SHA256((const unsigned char *)cfg->token, strlen(cfg->token), h->token_md);
    char swhy[512] = "";
    if ((e = mxd_store_open(dbpath, MXD_STORE_READONLY, &h->store, swhy, sizeof swhy))) {
        str_why(e, why, whylen, "the dashboard cannot read the database: %s", swhy);
        watch_http_stop(h);
        return e;
    }
    uint16_t port =
        ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    errno = 0;
    h->daemon = wm.start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO |
            (v6 ? MHD_USE_IPv6 : 0),
        port, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, (void *)h,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
        WATCH_HTTP_MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT, WATCH_HTTP_MAX_PER_IP,
        MHD_OPTION_CONNECTION_TIMEOUT, WATCH_HTTP_TIMEOUT, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        WATCH_HTTP_MEMORY, MHD_OPTION_END);
    if (!h->daemon) {
        int err = errno;
        str_why(MXD_ERR_IO, why, whylen, "cannot listen on %s: %s", cfg->listen,
                err ? strerror(err) : "refused (see the log)");
        watch_http_stop(h);
        return MXD_ERR_IO;
    }
    const union MHD_DaemonInfo *info = wm.get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (info && info->port)
        port = info->port;
    if (bound && boundlen) {
        char a[INET6_ADDRSTRLEN] = "";
        inet_ntop(v6 ? AF_INET6 : AF_INET,
                  v6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                     : (void *)&((struct sockaddr_in *)&ss)->sin_addr,
                  a, sizeof a);
        snprintf(bound, boundlen, v6 ? "[%s]:%u" : "%s:%u", a, (unsigned)port);
    }
    *out = h;
    return MXD_OK;
}

/* watch_http_stop - stop the daemon (its thread ends), close the database; NULL is fine. */
void watch_http_stop(watch_http *h)
{
    if (!h)
        return;
    if (h->daemon)
        wm.stop_daemon(h->daemon);
    mxd_store_close(h->store);
    pthread_mutex_destroy(&h->lock);
    OPENSSL_cleanse(h->token_md, sizeof h->token_md);
    free(h);
}
