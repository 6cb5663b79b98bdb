/* config.c - the watch configuration: an INI file read with GLib's GKeyFile
 * SPDX-License-Identifier: MIT
 *
 * Groups and keys are documented in mxdiag-watch(5); lists are ';'-separated, as GKeyFile
 * writes them. An unknown group or key is an error, not a silent default: a misspelt
 * "[alerts]" would otherwise watch everything and tell no one. Durations take a unit
 * (30s, 15m, 6h, 1d; a bare number is seconds).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "watch/watch_internal.h"
#include "watch/libs.h"
#include "mxdiag/check.h"
#include "util/dl.h"
#include "util/str.h"

typedef struct known {
    const char *group;
    const char *keys[16];
} known;

static const known known_keys[] = {
    {"general",
     {"db", "dns-servers", "dns-timeout-ms", "dns-tries", "listen", "token", "token-file",
      "interval-ips", "interval-domains", "interval-logs", "interval-maildirs", "jitter",
      "keep-days", "cannot-check-after", NULL}},
    {"ips", {"watch", "lists", "spamhaus-key", "abusix-key", "budget", "helo-domain", NULL}},
    {"domains", {"watch", "selectors", NULL}},
    {"logs", {"files", "format", "spike-factor", "spike-min", "rate-threshold", "rate-min", NULL}},
    {"maildirs", {"watch", NULL}},
    {"alert", {"exec", "webhook", "mailto", "from", "sendmail", "repeat", "timeout", NULL}},
    {"feeds", {"snds-token-file", "snds-url", "snds-token-url", "interval", NULL}},
};

void watch_config_free(watch_config *c)
{
    if (!c)
        return;
    char **strs[] = {&c->path,
                     &c->db,
                     &c->dns_servers,
                     &c->listen,
                     &c->token,
                     &c->lists,
                     &c->spamhaus_key,
                     &c->abusix_key,
                     &c->helo_domain,
                     &c->log_format,
                     &c->exec,
                     &c->webhook,
                     &c->mail_from,
                     &c->sendmail,
                     &c->snds_token_file,
                     &c->snds_url,
                     &c->snds_token_url};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    char ***lists[] = {&c->ips, &c->domains, &c->logs, &c->maildirs, &c->mailto};
    size_t *counts[] = {&c->nips, &c->ndomains, &c->nlogs, &c->nmaildirs, &c->nmailto};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        for (size_t j = 0; j < *counts[i]; j++)
            free((*lists[i])[j]);
        free(*lists[i]);
    }
    for (size_t i = 0; i < c->nselectors; i++) {
        free(c->selectors[i].domain);
        free(c->selectors[i].selector);
    }
    free(c->selectors);
    free(c->list_budgets);
    free(c);
}

/* trimmed copy of s (NULL when empty after trimming, or out of memory: *nomem says which) */
static char *trimdup(const char *s, int *nomem)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (!n)
        return NULL;
    char *d = strndup(s, n);
    if (!d)
        *nomem = 1;
    return d;
}

typedef struct reader {
    GKeyFile *kf;
    const char *path;
    char *why;
    size_t whylen;
    int nomem;
} reader;

/* get_str - the group's key, trimmed; NULL when absent or empty. */
static char *get_str(reader *r, const char *group, const char *key)
{
    char *v = wg.key_file_get_string(r->kf, group, key, NULL);
    if (!v)
        return NULL;
    char *d = trimdup(v, &r->nomem);
    wg.free(v);
    return d;
}

/* get_list - the group's ';'-separated list, items trimmed, empty ones dropped. */
static char **get_list(reader *r, const char *group, const char *key, size_t *n)
{
    *n = 0;
    gsize len = 0;
    char **v = wg.key_file_get_string_list(r->kf, group, key, &len, NULL);
    if (!v)
        return NULL;
    char **out = calloc(len + 1, sizeof *out);
    if (!out) {
        r->nomem = 1;
        wg.strfreev(v);
        return NULL;
    }
    for (gsize i = 0; i < len; i++) {
        char *d = trimdup(v[i], &r->nomem);
        if (d)
            out[(*n)++] = d;
    }
    wg.strfreev(v);
    return out;
}

/* duration - "90", "90s", "15m", "6h", "2d" into seconds; -1 when malformed. */
static long duration(const char *s)
{
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || errno || v < 0)
        return -1;
    long mult = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mult = 60, end++;
    else if (*end == 'h')
        mult = 3600, end++;
    else if (*end == 'd')
        mult = 86400, end++;
    if (*end || v > 365L * 86400 / mult)
        return -1;
    return v * mult;
}

static mxd_err get_duration(reader *r, const char *group, const char *key, long *out, long min)
{
    char *v = get_str(r, group, key);
    if (!v)
        return r->nomem ? MXD_ERR_NOMEM : MXD_OK;
    long d = duration(v);
    if (d < min || d < 0) {
        mxd_err e = str_why(MXD_ERR_PARSE, r->why, r->whylen,
                            "%s: [%s] %s = %s: not a duration of at least %lds (30s, 15m, 6h, 1d)",
                            r->path, group, key, v, min);
        free(v);
        return e;
    }
    free(v);
    *out = d;
    return MXD_OK;
}

static mxd_err get_number(reader *r, const char *group, const char *key, double *out, double min,
                          double max)
{
    char *v = get_str(r, group, key);
    if (!v)
        return r->nomem ? MXD_ERR_NOMEM : MXD_OK;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || !(d >= min && d <= max)) {
        mxd_err e =
            str_why(MXD_ERR_PARSE, r->why, r->whylen, "%s: [%s] %s = %s: not a number in %g..%g",
                    r->path, group, key, v, min, max);
        free(v);
        return e;
    }
    free(v);
    *out = d;
    return MXD_OK;
}

/* check_keys - every group and key of the file is one we know. */
static mxd_err check_keys(reader *r)
{
    gsize ng = 0;
    char **groups = wg.key_file_get_groups(r->kf, &ng);
    mxd_err e = MXD_OK;
    for (gsize i = 0; !e && i < ng; i++) {
        const known *k = NULL;
        for (size_t j = 0; j < sizeof known_keys / sizeof known_keys[0]; j++)
            if (!strcmp(groups[i], known_keys[j].group))
                k = &known_keys[j];
        if (!k) {
            e = str_why(MXD_ERR_PARSE, r->why, r->whylen,
                        "%s: unknown group [%s] (general, ips, domains, logs, maildirs, alert)",
                        r->path, groups[i]);
            break;
        }
        gsize nk = 0;
        char **keys = wg.key_file_get_keys(r->kf, groups[i], &nk, NULL);
        for (gsize j = 0; !e && keys && j < nk; j++) {
            int ok = 0;
            for (size_t m = 0; k->keys[m]; m++)
                ok |= !strcmp(keys[j], k->keys[m]);
            if (!ok)
                e = str_why(MXD_ERR_PARSE, r->why, r->whylen, "%s: [%s] unknown key %s", r->path,
                            groups[i], keys[j]);
        }
        if (keys)
            wg.strfreev(keys);
    }
    wg.strfreev(groups);
    return e;
}

/* split_hostport - "ADDR:PORT", "[v6]:PORT" or "ADDR" (port 0) into host and port. */
static int split_hostport(const char *s, char *host, size_t hostlen, unsigned *port)
{
    const char *colon;
    size_t hl;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close)
            return -1;
        hl = (size_t)(close - s - 1);
        s++;
        colon = close[1] == ':' ? close + 1 : NULL;
        if (!colon && close[1])
            return -1;
    } else {
        colon = strrchr(s, ':');
        if (colon && strchr(s, ':') != colon)
            return -1; /* a bare IPv6 address needs brackets */
        hl = colon ? (size_t)(colon - s) : strlen(s);
    }
    if (!hl || hl >= hostlen)
        return -1;
    memcpy(host, s, hl);
    host[hl] = 0;
    *port = 0;
    if (colon) {
        char *end;
        errno = 0;
        unsigned long p = strtoul(colon + 1, &end, 10);
        if (end == colon + 1 || *end || errno || p > 65535)
            return -1;
        *port = (unsigned)p;
    }
    return 0;
}

int watch_listen_is_loopback(const char *listen)
{
    char host[256];
    unsigned port;
    if (!listen || split_hostport(listen, host, sizeof host, &port))
        return 0;
    if (!strcmp(host, "localhost"))
        return 1;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

static int listen_valid(const char *listen)
{
    char host[256];
    unsigned port;
    if (split_hostport(listen, host, sizeof host, &port))
        return 0;
    struct in_addr a4;
    struct in6_addr a6;
    return !strcmp(host, "localhost") || inet_pton(AF_INET, host, &a4) == 1 ||
           inet_pton(AF_INET6, host, &a6) == 1;
}

/* read_token_file - the first line of path (a secret: not logged). */
static mxd_err read_token_file(reader *r, const char *path, char **out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return str_why(MXD_ERR_IO, r->why, r->whylen, "%s: [general] token-file %s: %s", r->path,
                       path, strerror(errno));
    char line[512];
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    if (!got)
        return str_why(MXD_ERR_PARSE, r->why, r->whylen, "%s: [general] token-file %s is empty",
                       r->path, path);
    line[strcspn(line, "\r\n")] = 0;
    *out = trimdup(line, &r->nomem);
    if (!*out)
        return r->nomem ? MXD_ERR_NOMEM
                        : str_why(MXD_ERR_PARSE, r->why, r->whylen,
                                  "%s: [general] token-file %s is empty", r->path, path);
    return MXD_OK;
}

static mxd_err read_all(reader *r, watch_config *c)
{
    mxd_err e = check_keys(r);
    if (e)
        return e;
    const char *P = r->path;

    /* [general] */
    c->db = get_str(r, "general", "db");
    size_t n;
    char **dns = get_list(r, "general", "dns-servers", &n);
    if (dns && n) {
        size_t len = 0;
        for (size_t i = 0; i < n; i++)
            len += strlen(dns[i]) + 1;
        if ((c->dns_servers = malloc(len))) {
            c->dns_servers[0] = 0;
            for (size_t i = 0; i < n; i++) {
                if (i)
                    strcat(c->dns_servers, ",");
                strcat(c->dns_servers, dns[i]);
            }
        } else {
            r->nomem = 1;
        }
    }
    for (size_t i = 0; dns && i < n; i++)
        free(dns[i]);
    free(dns);
    double d;
    d = 0;
    if ((e = get_number(r, "general", "dns-timeout-ms", &d, 0, 60000)))
        return e;
    c->dns_timeout_ms = (int)d;
    d = 0;
    if ((e = get_number(r, "general", "dns-tries", &d, 0, 10)))
        return e;
    c->dns_tries = (int)d;

    char *listen = get_str(r, "general", "listen");
    if (!listen && !r->nomem) {
        c->listen = strdup(WATCH_LISTEN_DEFAULT);
    } else if (listen && (!strcmp(listen, "none") || !strcmp(listen, "off"))) {
        free(listen);
    } else if (listen) {
        if (!listen_valid(listen)) {
            e = str_why(MXD_ERR_PARSE, r->why, r->whylen,
                        "%s: [general] listen = %s: not ADDRESS:PORT (127.0.0.1:9325, [::1]:9325) "
                        "or none",
                        P, listen);
            free(listen);
            return e;
        }
        c->listen = listen;
    }
    c->token = get_str(r, "general", "token");
    char *tf = get_str(r, "general", "token-file");
    if (tf) {
        free(c->token);
        c->token = NULL;
        e = read_token_file(r, tf, &c->token);
        free(tf);
        if (e)
            return e;
    }
    if ((e = get_duration(r, "general", "interval-ips", &c->ip_interval, 1)) ||
        (e = get_duration(r, "general", "interval-domains", &c->domain_interval, 1)) ||
        (e = get_duration(r, "general", "interval-logs", &c->log_interval, 1)) ||
        (e = get_duration(r, "general", "interval-maildirs", &c->maildir_interval, 1)))
        return e;
    d = c->jitter_pct;
    if ((e = get_number(r, "general", "jitter", &d, 0, 50)))
        return e;
    c->jitter_pct = (int)d;
    d = (double)c->keep_days;
    if ((e = get_number(r, "general", "keep-days", &d, 1, 3660)))
        return e;
    c->keep_days = (long)d;
    d = c->cannot_after;
    if ((e = get_number(r, "general", "cannot-check-after", &d, 1, 1000)))
        return e;
    c->cannot_after = (unsigned)d;

    /* [ips] */
    c->ips = get_list(r, "ips", "watch", &c->nips);
    for (size_t i = 0; i < c->nips; i++)
        if (!mxd_ip_valid(c->ips[i]))
            return str_why(MXD_ERR_PARSE, r->why, r->whylen,
                           "%s: [ips] watch: %s is not an IP address", P, c->ips[i]);
    size_t nl;
    char **lists = get_list(r, "ips", "lists", &nl);
    if (lists && nl) {
        size_t len = 0;
        for (size_t i = 0; i < nl; i++)
            len += strlen(lists[i]) + 1;
        if ((c->lists = malloc(len))) {
            c->lists[0] = 0;
            for (size_t i = 0; i < nl; i++) {
                if (i)
                    strcat(c->lists, ",");
                strcat(c->lists, lists[i]);
            }
        } else {
            r->nomem = 1;
        }
    }
    for (size_t i = 0; lists && i < nl; i++)
        free(lists[i]);
    free(lists);
    c->spamhaus_key = get_str(r, "ips", "spamhaus-key");
    c->abusix_key = get_str(r, "ips", "abusix-key");
    /* budget = N; LIST:N ... (the bare number: every other list) */
    size_t nb;
    char **budgets = get_list(r, "ips", "budget", &nb);
    if (nb && !(c->list_budgets = calloc(nb, sizeof *c->list_budgets)))
        r->nomem = 1;
    for (size_t i = 0; i < nb; i++) {
        char *colon = strrchr(budgets[i], ':');
        const char *num = colon ? colon + 1 : budgets[i];
        char *end;
        errno = 0;
        unsigned long v = strtoul(num, &end, 10);
        if (!e && (end == num || *end || errno || v < 1 || v > 1000000000 || *num == '-' ||
                   (colon && (colon == budgets[i] || (size_t)(colon - budgets[i]) >= 64))))
            e = str_why(MXD_ERR_PARSE, r->why, r->whylen,
                        "%s: [ips] budget: %s is not N or LIST:N (queries a day, 1 or more)", P,
                        budgets[i]);
        if (!e && colon && c->list_budgets) {
            struct watch_list_budget *b = &c->list_budgets[c->nlist_budgets++];
            snprintf(b->id, sizeof b->id, "%.*s", (int)(colon - budgets[i]), budgets[i]);
            b->budget = v;
        } else if (!e) {
            c->budget = v;
        }
        free(budgets[i]);
    }
    free(budgets);
    if (e)
        return e;
    c->helo_domain = get_str(r, "ips", "helo-domain");
    if (c->helo_domain && !mxd_domain_valid(c->helo_domain))
        return str_why(MXD_ERR_PARSE, r->why, r->whylen, "%s: [ips] helo-domain = %s: not a domain",
                       P, c->helo_domain);

    /* [domains] */
    c->domains = get_list(r, "domains", "watch", &c->ndomains);
    for (size_t i = 0; i < c->ndomains; i++)
        if (!mxd_domain_valid(c->domains[i]))
            return str_why(MXD_ERR_PARSE, r->why, r->whylen,
                           "%s: [domains] watch: %s is not a domain", P, c->domains[i]);
    size_t ns;
    char **sels = get_list(r, "domains", "selectors", &ns);
    if (ns && !(c->selectors = calloc(ns, sizeof *c->selectors)))
        r->nomem = 1;
    for (size_t i = 0; i < ns; i++) {
        if (c->selectors) {
            char *colon = strchr(sels[i], ':');
            watch_selector *s = &c->selectors[c->nselectors++];
            if (colon) {
                *colon = 0;
                s->domain = strdup(sels[i]);
                s->selector = strdup(colon + 1);
            } else {
                s->selector = strdup(sels[i]);
            }
            if (!s->selector || (colon && !s->domain))
                r->nomem = 1;
            else if (!*s->selector || strchr(s->selector, ' ') ||
                     (s->domain && !mxd_domain_valid(s->domain)))
                e = str_why(MXD_ERR_PARSE, r->why, r->whylen,
                            "%s: [domains] selectors: %s is not SELECTOR or DOMAIN:SELECTOR", P,
                            sels[i]);
        }
        free(sels[i]);
    }
    free(sels);
    if (e)
        return e;

    /* [logs] */
    c->logs = get_list(r, "logs", "files", &c->nlogs);
    c->log_format = get_str(r, "logs", "format");
    if (c->log_format && strcmp(c->log_format, "auto") && strcmp(c->log_format, "postfix") &&
        strcmp(c->log_format, "exim") && strcmp(c->log_format, "sendmail"))
        return str_why(MXD_ERR_PARSE, r->why, r->whylen,
                       "%s: [logs] format = %s: auto, postfix, exim or sendmail", P, c->log_format);
    if ((e = get_number(r, "logs", "spike-factor", &c->spike_factor, 1.1, 1000)) ||
        (e = get_number(r, "logs", "rate-threshold", &c->rate_threshold, 0.01, 1)))
        return e;
    d = (double)c->spike_min;
    if ((e = get_number(r, "logs", "spike-min", &d, 1, 1e9)))
        return e;
    c->spike_min = (unsigned long)d;
    d = (double)c->rate_min;
    if ((e = get_number(r, "logs", "rate-min", &d, 1, 1e9)))
        return e;
    c->rate_min = (unsigned long)d;

    /* [maildirs] */
    c->maildirs = get_list(r, "maildirs", "watch", &c->nmaildirs);

    /* [alert] */
    c->exec = get_str(r, "alert", "exec");
    c->webhook = get_str(r, "alert", "webhook");
    if (c->webhook && strncmp(c->webhook, "http://", 7) && strncmp(c->webhook, "https://", 8))
        return str_why(MXD_ERR_PARSE, r->why, r->whylen,
                       "%s: [alert] webhook = %s: an http:// or https:// URL", P, c->webhook);
    c->mailto = get_list(r, "alert", "mailto", &c->nmailto);
    for (size_t i = 0; i < c->nmailto; i++)
        if (!strchr(c->mailto[i], '@') || strpbrk(c->mailto[i], " \t\r\n<>,;\"'"))
            return str_why(MXD_ERR_PARSE, r->why, r->whylen,
                           "%s: [alert] mailto: %s is not an address", P, c->mailto[i]);
    c->mail_from = get_str(r, "alert", "from");
    if (c->mail_from && strpbrk(c->mail_from, "\r\n"))
        return str_why(MXD_ERR_PARSE, r->why, r->whylen, "%s: [alert] from: one line", P);
    char *sm = get_str(r, "alert", "sendmail");
    if (sm) {
        free(c->sendmail);
        c->sendmail = sm;
    }
    if ((e = get_duration(r, "alert", "repeat", &c->repeat, 0)) ||
        (e = get_duration(r, "alert", "timeout", &c->channel_timeout, 1)))
        return e;
    c->channels = (c->exec ? WATCH_CH_EXEC : 0u) | (c->webhook ? WATCH_CH_WEBHOOK : 0u) |
                  (c->nmailto ? WATCH_CH_MAIL : 0u);

    /* [feeds] */
    c->feeds = wg.key_file_has_group(r->kf, "feeds") != 0;
    c->snds_token_file = get_str(r, "feeds", "snds-token-file");
    c->snds_url = get_str(r, "feeds", "snds-url");
    c->snds_token_url = get_str(r, "feeds", "snds-token-url");
    if ((e = get_duration(r, "feeds", "interval", &c->feed_interval, 60)))
        return e;
    return r->nomem ? MXD_ERR_NOMEM : MXD_OK;
}

mxd_err watch_config_load(const char *path, watch_config **out, char *why, size_t whylen)
{
    *out = NULL;
    if (!watch_glib_ready())
        return str_why(MXD_ERR_NOLIB, why, whylen, "%s",
                       dl_last_error() ? dl_last_error() : "GLib");
    watch_config *c = calloc(1, sizeof *c);
    if (!c)
        return MXD_ERR_NOMEM;
    c->ip_interval = 900;
    c->domain_interval = 3600;
    c->log_interval = 10;
    c->maildir_interval = 60;
    c->jitter_pct = 10;
    c->keep_days = 400;
    c->cannot_after = 2;
    c->budget = 100000;
    c->spike_factor = 3;
    c->rate_threshold = 0.3;
    c->spike_min = 50;
    c->rate_min = 20;
    c->repeat = 86400;
    c->channel_timeout = 30;
    c->feed_interval = 86400;
    c->path = strdup(path);
    c->sendmail = strdup("/usr/sbin/sendmail");
    if (!c->path || !c->sendmail) {
        watch_config_free(c);
        return MXD_ERR_NOMEM;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        mxd_err e = str_why(MXD_ERR_IO, why, whylen, "%s: %s", path, strerror(errno));
        watch_config_free(c);
        return e;
    }
    fclose(f);
    GKeyFile *kf = wg.key_file_new();
    wg.key_file_set_list_separator(kf, ';');
    GError *err = NULL;
    if (!wg.key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
        mxd_err e = str_why(MXD_ERR_PARSE, why, whylen, "%s: %s", path,
                            err && err->message ? err->message : "cannot be read");
        if (err)
            wg.error_free(err);
        wg.key_file_free(kf);
        watch_config_free(c);
        return e;
    }
    reader r = {kf, path, why, whylen, 0};
    mxd_err e = read_all(&r, c);
    wg.key_file_free(kf);
    if (e) {
        watch_config_free(c);
        return e;
    }
    *out = c;
    return MXD_OK;
}
