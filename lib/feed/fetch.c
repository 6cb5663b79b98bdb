/* fetch.c - the SNDS REST API: the IP data and IP status reports behind an OAuth 2.0 token
 * SPDX-License-Identifier: MIT
 *
 * The token lives in a JSON file of mode 0600 (feed.h says its members); a file that group or
 * others may read or write is refused before anything is sent. When the token has expired (or
 * expires within MXD_SNDS_TOKEN_SKEW seconds), or the API answers 401, it is renewed once at
 * the token endpoint with the refresh token (RFC 6749 section 6) and the file replaced
 * atomically (a temporary file of mode 0600 in the same directory, fsync, rename). The token is
 * sent only in the Authorization header and never appears in a reason: reasons name the URL
 * and the HTTP status, and of the token endpoint's answer only its "error" code.
 *
 * libcurl is loaded on first use (util/curl_dl.h), shared with the watch's webhook channel.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "feed/feed_internal.h"
#include "util/curl_dl.h"
#include "util/dl.h"
#include "util/str.h"

#define FETCH_URL_MAX 512 /* bytes of a URL */

/* --- HTTP -------------------------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    buf *b = arg;
    size_t len = size * n;
    if (buf_add(b, p, len))
        return 0; /* over the cap: curl stops with a write error */
    return len;
}

/* http - GET url (post NULL) or POST the form post; the answer into body (capped at
 * MXD_FEED_MAX_INPUT), the status into *code. bearer (may be NULL) goes into the
 * Authorization header. MXD_ERR_IO with why on a transport failure, MXD_ERR_TOOBIG. */
static mxd_err http(const char *url, const char *bearer, const char *post, buf *body, long *code,
                    char *why, size_t whylen)
{
    char err[CURL_ERROR_SIZE] = "";
    buf_init(body, MXD_FEED_MAX_INPUT); /* first: the callers free it whatever the outcome */
    CURL *c = cu.easy_init();
    if (!c)
        return str_why(MXD_ERR_NOMEM, why, whylen, "%s: cannot start a transfer", url);
    struct curl_slist *h = cu.slist_append(NULL, "Accept: application/json");
    h = h ? cu.slist_append(h, "User-Agent: mxdiag-feed") : NULL;
    buf auth;
    buf_init(&auth, MXD_SNDS_TOKEN_MAX + 64);
    if (h && bearer) {
        if (buf_adds(&auth, "Authorization: Bearer ") || buf_adds(&auth, bearer)) {
            if (auth.ptr)
                memset(auth.ptr, 0, auth.len);
            buf_free(&auth);
            cu.slist_free_all(h);
            cu.easy_cleanup(c);
            return str_why(MXD_ERR_NOMEM, why, whylen, "%s: out of memory", url);
        }
        struct curl_slist *h2 = cu.slist_append(h, auth.ptr);
        if (!h2)
            cu.slist_free_all(h);
        h = h2;
    }
    if (!h) {
        if (auth.ptr)
            memset(auth.ptr, 0, auth.len);
        buf_free(&auth);
        cu.easy_cleanup(c);
        return str_why(MXD_ERR_NOMEM, why, whylen, "%s: out of memory", url);
    }
    cu.easy_setopt(c, CURLOPT_URL, url);
    cu.easy_setopt(c, CURLOPT_HTTPHEADER, h);
    cu.easy_setopt(c, CURLOPT_TIMEOUT, (long)MXD_SNDS_TIMEOUT);
    cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    cu.easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    cu.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    cu.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    cu.easy_setopt(c, CURLOPT_WRITEDATA, body);
    if (post)
        cu.easy_setopt(c, CURLOPT_POSTFIELDS, post);
    CURLcode rc = cu.easy_perform(c);
    *code = 0;
    cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
    cu.slist_free_all(h);
    /* the header held the token: wipe it before the memory goes back */
    if (auth.ptr)
        memset(auth.ptr, 0, auth.len);
    buf_free(&auth);
    cu.easy_cleanup(c);
    if (rc == CURLE_WRITE_ERROR)
        return str_why(MXD_ERR_TOOBIG, why, whylen, "%s: the answer is larger than %u bytes", url,
                       MXD_FEED_MAX_INPUT);
    if (rc != CURLE_OK)
        return str_why(MXD_ERR_IO, why, whylen, "%s: %s", url, *err ? err : cu.easy_strerror(rc));
    if (!body->ptr && buf_add(body, "", 0))
        return MXD_ERR_NOMEM;
    return MXD_OK;
}

/* --- the token file ------------------------------------------------------------------------ */

typedef struct token {
    json_t *doc; /* the file's object, written back with the new members */
    const char *access, *refresh, *client_id, *scope, *endpoint;
    long long expires_at; /* 0: not said */
} token;

static void token_read_members(token *t)
{
    t->access = json_string_value(json_object_get(t->doc, "access_token"));
    t->refresh = json_string_value(json_object_get(t->doc, "refresh_token"));
    t->client_id = json_string_value(json_object_get(t->doc, "client_id"));
    t->scope = json_string_value(json_object_get(t->doc, "scope"));
    t->endpoint = json_string_value(json_object_get(t->doc, "token_endpoint"));
    const json_t *e = json_object_get(t->doc, "expires_at");
    t->expires_at = json_is_integer(e) ? (long long)json_integer_value(e) : 0;
}

static mxd_err token_load(const char *path, token *t, char *why, size_t whylen)
{
    memset(t, 0, sizeof *t);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return str_why(errno == ENOENT ? MXD_ERR_NOTFOUND : MXD_ERR_IO, why, whylen,
                       "token file %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return str_why(MXD_ERR_INVALID, why, whylen, "token file %s: not a regular file", path);
    }
    if (st.st_mode & 077) {
        close(fd);
        return str_why(MXD_ERR_INVALID, why, whylen,
                       "token file %s: mode %03o lets others read it (chmod 600 %s)", path,
                       (unsigned)(st.st_mode & 0777), path);
    }
    if (st.st_size > MXD_SNDS_TOKEN_MAX) {
        close(fd);
        return str_why(MXD_ERR_TOOBIG, why, whylen, "token file %s: larger than %d bytes", path,
                       MXD_SNDS_TOKEN_MAX);
    }
    char *data = malloc(MXD_SNDS_TOKEN_MAX + 1);
    if (!data) {
        close(fd);
        return str_why(MXD_ERR_NOMEM, why, whylen, "out of memory");
    }
    size_t n = 0;
    int rerr = 0;
    for (;;) {
        ssize_t r = read(fd, data + n, MXD_SNDS_TOKEN_MAX + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rerr = errno;
        if (r <= 0 || (n += (size_t)r) > MXD_SNDS_TOKEN_MAX)
            break;
    }
    close(fd);
    if (rerr || n > MXD_SNDS_TOKEN_MAX) {
        free(data);
        return rerr ? str_why(MXD_ERR_IO, why, whylen, "token file %s: %s", path, strerror(rerr))
                    : str_why(MXD_ERR_TOOBIG, why, whylen, "token file %s: larger than %d bytes",
                              path, MXD_SNDS_TOKEN_MAX);
    }
    json_error_t jerr;
    t->doc = json_loadb(data, n, 0, &jerr);
    memset(data, 0, MXD_SNDS_TOKEN_MAX + 1);
    free(data);
    if (!json_is_object(t->doc)) {
        json_decref(t->doc);
        t->doc = NULL;
        return str_why(MXD_ERR_PARSE, why, whylen,
                       "token file %s: not a JSON object with access_token", path);
    }
    token_read_members(t);
    if (!t->access && !t->refresh) {
        json_decref(t->doc);
        t->doc = NULL;
        return str_why(MXD_ERR_INVALID, why, whylen,
                       "token file %s: neither access_token nor refresh_token", path);
    }
    return MXD_OK;
}

/* token_save - write t->doc to path atomically with mode 0600. */
static mxd_err token_save(const char *path, token *t, char *why, size_t whylen)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp)
        return str_why(MXD_ERR_TOOBIG, why, whylen, "token file %s: path too long", path);
    char *s = json_dumps(t->doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!s)
        return str_why(MXD_ERR_NOMEM, why, whylen, "out of memory");
    int fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0) {
        free(s);
        return str_why(MXD_ERR_IO, why, whylen, "token file %s: cannot write beside it: %s", path,
                       strerror(errno));
    }
    size_t len = strlen(s), off = 0;
    int ok = fchmod(fd, 0600) == 0;
    while (ok && off < len) {
        ssize_t w = write(fd, s + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        off += w > 0 ? (size_t)w : 0;
    }
    ok = ok && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    int saved = errno;
    memset(s, 0, len);
    free(s);
    if (close(fd) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        if (ok)
            saved = errno;
        unlink(tmp);
        return str_why(MXD_ERR_IO, why, whylen, "token file %s: cannot replace it: %s", path,
                       strerror(saved));
    }
    /* the rename on disk too: the directory's entry */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return MXD_OK;
}

/* form_add - append "&name=<value percent-encoded>" (no & before the first). */
static mxd_err form_add(buf *f, const char *name, const char *v)
{
    mxd_err e = buf_printf(f, "%s%s=", f->len ? "&" : "", name);
    for (const unsigned char *p = (const unsigned char *)v; !e && *p; p++) {
        if (str_isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~')
            e = buf_addc(f, (char)*p);
        else
            e = buf_printf(f, "%%%02X", *p);
    }
    return e;
}

/* token_text - x is a token as the token endpoint may give one: printable ASCII (RFC 6750
 * section 2.1 allows less; this is what keeps a header line whole) of at most a quarter of the
 * token file. */
static int token_text(const json_t *x)
{
    if (!json_is_string(x) || !json_string_length(x) ||
        json_string_length(x) > MXD_SNDS_TOKEN_MAX / 4)
        return 0;
    const char *s = json_string_value(x);
    for (size_t i = 0; i < json_string_length(x); i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

/* refresh - renew t with its refresh token at endpoint, save it to path. */
static mxd_err refresh(const char *endpoint, const char *path, token *t, long long now, char *why,
                       size_t whylen)
{
    if (!t->refresh)
        return str_why(MXD_ERR_INVALID, why, whylen,
                       "token file %s: the token has expired and there is no refresh_token "
                       "(sign in again)",
                       path);
    buf form;
    buf_init(&form, 2 * MXD_SNDS_TOKEN_MAX);
    mxd_err e = form_add(&form, "grant_type", "refresh_token");
    if (!e)
        e = form_add(&form, "refresh_token", t->refresh);
    if (!e && t->client_id)
        e = form_add(&form, "client_id", t->client_id);
    if (!e && t->scope)
        e = form_add(&form, "scope", t->scope);
    if (e) {
        buf_free(&form);
        return str_why(e, why, whylen, "out of memory");
    }
    buf body;
    long code;
    e = http(endpoint, NULL, form.ptr, &body, &code, why, whylen);
    memset(form.ptr, 0, form.len);
    buf_free(&form);
    if (e) {
        buf_free(&body);
        return e;
    }
    json_error_t jerr;
    json_t *ans = json_loadb(body.ptr, body.len, 0, &jerr);
    memset(body.ptr, 0, body.len);
    buf_free(&body);
    if (code != 200) {
        char err[64] = "";
        const char *ec = json_string_value(json_object_get(ans, "error"));
        if (ec) {
            snprintf(err, sizeof err, " (%s)", ec);
            for (char *q = err; *q; q++)
                if ((unsigned char)*q < 0x20 || *q == 0x7f)
                    *q = '?';
        }
        json_decref(ans);
        return str_why(MXD_ERR_IO, why, whylen,
                       "%s: the token endpoint refused the refresh token: HTTP %ld%s", endpoint,
                       code, err);
    }
    const json_t *at = json_object_get(ans, "access_token");
    const json_t *rt = json_object_get(ans, "refresh_token");
    const json_t *ex = json_object_get(ans, "expires_in");
    if (!token_text(at) || (rt && !token_text(rt))) {
        json_decref(ans);
        return str_why(MXD_ERR_PARSE, why, whylen,
                       "%s: a malformed answer from the token endpoint (no usable "
                       "access_token or refresh_token)",
                       endpoint);
    }
    json_object_set(t->doc, "access_token", (json_t *)at);
    if (rt)
        json_object_set(t->doc, "refresh_token", (json_t *)rt);
    if (json_is_integer(ex) && json_integer_value(ex) > 0) /* at most a year: now + it fits */
        json_object_set_new(t->doc, "expires_at",
                            json_integer((json_int_t)(now + (json_integer_value(ex) < 31536000
                                                                 ? (long long)json_integer_value(ex)
                                                                 : 31536000LL))));
    else
        json_object_del(t->doc, "expires_at");
    json_decref(ans);
    token_read_members(t);
    return token_save(path, t, why, whylen);
}

/* get_report - GET url with the token (renewing it on 401 once) and parse the answer. */
static mxd_err get_report(const char *url, const char *endpoint, const mxd_snds_fetch_opts *o,
                          token *t, mxd_snds_fetch_info *info, mxd_snds_report **out, char *why,
                          size_t whylen)
{
    buf body;
    long code = 0;
    mxd_err e;
    for (int attempt = 0;; attempt++) {
        int fresh = 0; /* renewed just now: a 401 is not worth another renewal */
        if (!t->access) {
            if ((e = refresh(endpoint, o->token_file, t, o->now, why, whylen)))
                return e;
            info->refreshed = fresh = 1;
        }
        if ((e = http(url, t->access, NULL, &body, &code, why, whylen))) {
            buf_free(&body);
            return e;
        }
        if (code != 401 || attempt > 0 || fresh)
            break;
        buf_free(&body);
        if (!t->refresh)
            return str_why(MXD_ERR_IO, why, whylen,
                           "%s: HTTP 401: the token was refused and there is no "
                           "refresh_token (sign in again)",
                           url);
        t->access = NULL;
    }
    if (code != 200) {
        buf_free(&body);
        return str_why(MXD_ERR_IO, why, whylen, "%s: HTTP %ld%s", url, code,
                       code == 401 ? " even with a renewed token (sign in again)" : "");
    }
    char inner[256];
    e = mxd_snds_parse(body.ptr, body.len, o->date, out, inner, sizeof inner);
    buf_free(&body);
    if (e == MXD_ERR_EMPTY) /* an empty body: nothing to store, no error */
        return MXD_OK;
    if (e)
        return str_why(e, why, whylen, "%s: a malformed answer: %s", url, inner);
    return MXD_OK;
}

mxd_err mxd_snds_fetch(const mxd_snds_fetch_opts *o, mxd_snds_report **data,
                       mxd_snds_report **status, mxd_snds_fetch_info *info, char *why,
                       size_t whylen)
{
    *data = *status = NULL;
    memset(info, 0, sizeof *info);
    if (why && whylen)
        why[0] = 0;
    if (!o->token_file)
        return str_why(MXD_ERR_INVALID, why, whylen, "no token file");
    if (o->date && !feed_valid_day(o->date))
        return str_why(MXD_ERR_INVALID, why, whylen, "'%s' is not a date (YYYY-MM-DD)", o->date);
    const char *base = o->base_url ? o->base_url : getenv("MXDIAG_SNDS_URL");
    if (!base || !*base)
        base = MXD_SNDS_DEFAULT_URL;
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    if (bl > FETCH_URL_MAX - 64)
        return str_why(MXD_ERR_INVALID, why, whylen, "the API URL is too long");
    snprintf(info->data_url, sizeof info->data_url, "%.*s/api/report/data%s%s", (int)bl, base,
             o->date ? "/" : "", o->date ? o->date : "");
    snprintf(info->status_url, sizeof info->status_url, "%.*s/api/report/status/ip", (int)bl, base);
    token t;
    mxd_err e = token_load(o->token_file, &t, why, whylen);
    if (e)
        return e;
    const char *endpoint = o->token_url ? o->token_url : getenv("MXDIAG_SNDS_TOKEN_URL");
    if (!endpoint || !*endpoint)
        endpoint = t.endpoint ? t.endpoint : MXD_SNDS_DEFAULT_TOKEN_URL;
    char ep[FETCH_URL_MAX];
    snprintf(ep, sizeof ep, "%s", endpoint); /* t.endpoint may change with the document */
    if (!curl_dl_ready()) {
        json_decref(t.doc);
        return str_why(MXD_ERR_NOLIB, why, whylen, "%s",
                       dl_last_error() ? dl_last_error() : "libcurl.so.4 could not be loaded");
    }
    if (t.access && t.expires_at && t.expires_at <= o->now + MXD_SNDS_TOKEN_SKEW)
        t.access = NULL; /* expired: renewed before the first request */
    e = get_report(info->data_url, ep, o, &t, info, data, why, whylen);
    if (!e)
        e = get_report(info->status_url, ep, o, &t, info, status, why, whylen);
    json_decref(t.doc);
    if (e) {
        mxd_snds_free(*data);
        mxd_snds_free(*status);
        *data = *status = NULL;
    }
    return e;
}
