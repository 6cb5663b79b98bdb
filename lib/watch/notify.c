/* notify.c - the alert channels: a command, a webhook, a mail
 * SPDX-License-Identifier: MIT
 *
 * A notice is tried on every channel still pending for it; a channel that takes it clears
 * its bit, one that fails keeps it and the notice is tried again later (1 minute, doubling up
 * to an hour; given up after NOTIFY_MAX_ATTEMPTS tries, with the error kept in the store).
 *   exec     /bin/sh -c COMMAND, the notice's JSON (one line) on standard input, its type and
 *            summary in MXDIAG_ALERT_TYPE and MXDIAG_ALERT_SUMMARY; exit status 0 took it
 *   webhook  HTTP POST of the JSON (libcurl, http and https only, no redirects); a 2xx took it
 *   mail     sendmail -t -i (no shell), a text mail with the JSON at its end; exit 0 took it
 * Each has cfg->channel_timeout seconds; a command still running then is killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <jansson.h>
#include "watch/watch_internal.h"
#include "util/curl_dl.h"
#include "util/dl.h"

#define NOTIFY_MAX_ATTEMPTS 48
#define NOTIFY_BACKOFF_MAX  3600

/* wait_child - wait for pid up to timeout seconds (then kill it): its exit status, or -1. */
static int wait_child(pid_t pid, long timeout)
{
    struct timespec step = {0, 20 * 1000 * 1000};
    long long waited_ms = 0;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (r < 0 && errno != EINTR)
            return -1;
        if (waited_ms >= timeout * 1000) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        nanosleep(&step, NULL);
        waited_ms += 20;
    }
}

/* run_with_input - run argv (execv) with data on its standard input; its exit status, or -1
 * (why set). */
static int run_with_input(char *const argv[], char *const env_add[], const char *data, long timeout,
                          char *why, size_t whylen)
{
    int fd[2];
    if (pipe(fd)) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fd[0], 0);
        close(fd[0]);
        close(fd[1]);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1); /* stdout of the daemon is not the channel's */
            close(null);
        }
        for (size_t i = 0; env_add && env_add[i]; i++)
            putenv(env_add[i]);
        signal(SIGPIPE, SIG_DFL);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fd[0]);
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    size_t len = strlen(data), off = 0;
    while (off < len) {
        ssize_t w = write(fd[1], data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* the command did not read it all: its exit status decides */
        off += (size_t)w;
    }
    close(fd[1]);
    signal(SIGPIPE, old);
    int st = wait_child(pid, timeout);
    if (st != 0)
        snprintf(why, whylen, "%s %s", argv[0],
                 st < 0      ? "was killed or timed out"
                 : st == 127 ? "could not be run"
                             : "failed");
    if (st > 0 && st != 127) {
        size_t l = strlen(why);
        snprintf(why + l, whylen - l, " (exit %d)", st);
    }
    return st;
}

static int send_exec(const watch_config *cfg, const char *body, const char *type,
                     const char *summary, char *why, size_t whylen)
{
    char *argv[] = {"/bin/sh", "-c", cfg->exec, NULL};
    char e1[64], e2[700];
    snprintf(e1, sizeof e1, "MXDIAG_ALERT_TYPE=%s", type);
    snprintf(e2, sizeof e2, "MXDIAG_ALERT_SUMMARY=%s", summary);
    char *env[] = {e1, e2, NULL};
    size_t n = strlen(body);
    char *line = malloc(n + 2);
    if (!line) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    memcpy(line, body, n);
    line[n] = '\n';
    line[n + 1] = 0;
    int st = run_with_input(argv, env, line, cfg->channel_timeout, why, whylen);
    free(line);
    return st == 0 ? 0 : -1;
}

static int send_webhook(const watch_config *cfg, const char *body, char *why, size_t whylen)
{
    if (!curl_dl_ready()) {
        snprintf(why, whylen, "%s", dl_last_error() ? dl_last_error() : "libcurl");
        return -1;
    }
    CURL *c = cu.easy_init();
    if (!c) {
        snprintf(why, whylen, "libcurl could not start");
        return -1;
    }
    struct curl_slist *h = cu.slist_append(NULL, "Content-Type: application/json");
    h = cu.slist_append(h, "User-Agent: mxdiag-watch");
    char err[CURL_ERROR_SIZE] = "";
    cu.easy_setopt(c, CURLOPT_URL, cfg->webhook);
    cu.easy_setopt(c, CURLOPT_POSTFIELDS, body);
    cu.easy_setopt(c, CURLOPT_HTTPHEADER, h);
    cu.easy_setopt(c, CURLOPT_TIMEOUT, cfg->channel_timeout);
    cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    cu.easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    cu.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    cu.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = cu.easy_perform(c);
    long code = 0;
    if (rc == CURLE_OK)
        cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    cu.slist_free_all(h);
    cu.easy_cleanup(c);
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "webhook: %s", *err ? err : cu.easy_strerror(rc));
        return -1;
    }
    if (code < 200 || code > 299) {
        snprintf(why, whylen, "webhook: HTTP status %ld", code);
        return -1;
    }
    return 0;
}

/* header_safe - s with every byte outside printable ASCII made '?' (a mail header line). */
static void header_safe(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            *s = '?';
}

static int send_mail(const watch_config *cfg, const char *body, const char *summary,
                     const char *detail, char *why, size_t whylen)
{
    size_t cap = strlen(body) + strlen(summary) + (detail ? strlen(detail) : 0) + 2048;
    for (size_t i = 0; i < cfg->nmailto; i++)
        cap += strlen(cfg->mailto[i]) + 2;
    char *msg = malloc(cap);
    if (!msg) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    char subject[300];
    snprintf(subject, sizeof subject, "%s", summary);
    header_safe(subject);
    size_t o = 0;
    if (cfg->mail_from)
        o += (size_t)snprintf(msg + o, cap - o, "From: %s\n", cfg->mail_from);
    o += (size_t)snprintf(msg + o, cap - o, "To: ");
    for (size_t i = 0; i < cfg->nmailto; i++)
        o += (size_t)snprintf(msg + o, cap - o, "%s%s", i ? ", " : "", cfg->mailto[i]);
    o += (size_t)snprintf(msg + o, cap - o,
                          "\nSubject: [mxdiag] %s\nAuto-Submitted: auto-generated\n"
                          "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                          "Content-Transfer-Encoding: 8bit\n\n%s\n\n%s%s"
                          "-- \nmxdiag watch; the alert as JSON:\n%s\n",
                          subject, summary, detail ? detail : "", detail ? "\n\n" : "", body);
    char *argv[] = {cfg->sendmail, "-t", "-i", NULL};
    int st = run_with_input(argv, NULL, msg, cfg->channel_timeout, why, whylen);
    free(msg);
    return st == 0 ? 0 : -1;
}

typedef struct pending {
    long long id;
    unsigned pending, attempts;
    char *type, *body;
} pending;

typedef struct pend_ctx {
    pending *v;
    size_t n, cap;
    int nomem;
} pend_ctx;

static int pend_cb(void *arg, const mxd_watch_notice *n)
{
    pend_ctx *p = arg;
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 8;
        pending *nv = realloc(p->v, nc * sizeof *nv);
        if (!nv) {
            p->nomem = 1;
            return 1;
        }
        p->v = nv;
        p->cap = nc;
    }
    pending x = {n->id, n->pending, n->attempts, strdup(n->type), strdup(n->body)};
    if (!x.type || !x.body) {
        free(x.type);
        free(x.body);
        p->nomem = 1;
        return 1;
    }
    p->v[p->n++] = x;
    return p->n >= 256; /* a batch at a time */
}

mxd_err watch_send_pending(mxd_store *s, const watch_config *cfg, long long now,
                           unsigned long *sent, unsigned long *failed)
{
    pend_ctx p = {0};
    mxd_err e = mxd_store_notices_pending(s, now, pend_cb, &p);
    if (!e && p.nomem)
        e = MXD_ERR_NOMEM;
    for (size_t i = 0; !e && i < p.n; i++) {
        pending *x = &p.v[i];
        json_t *j = json_loads(x->body, 0, NULL);
        const char *summary = j ? json_string_value(json_object_get(j, "summary")) : NULL;
        json_t *al = j ? json_object_get(j, "alert") : NULL;
        const char *detail = al ? json_string_value(json_object_get(al, "detail")) : NULL;
        if (!summary)
            summary = x->type;
        unsigned still = x->pending & cfg->channels; /* a channel no longer configured: dropped */
        char err[600] = "", why[600];
        if (still & WATCH_CH_EXEC) {
            if (send_exec(cfg, x->body, x->type, summary, why, sizeof why) == 0)
                still &= ~(unsigned)WATCH_CH_EXEC;
            else
                snprintf(err, sizeof err, "%s", why);
        }
        if (still & WATCH_CH_WEBHOOK) {
            if (send_webhook(cfg, x->body, why, sizeof why) == 0)
                still &= ~(unsigned)WATCH_CH_WEBHOOK;
            else
                snprintf(err, sizeof err, "%s", why);
        }
        if (still & WATCH_CH_MAIL) {
            if (send_mail(cfg, x->body, summary, detail, why, sizeof why) == 0)
                still &= ~(unsigned)WATCH_CH_MAIL;
            else
                snprintf(err, sizeof err, "%s", why);
        }
        json_decref(j);
        long long next = now;
        if (still) {
            if (failed)
                (*failed)++;
            long long back = 60LL << (x->attempts < 6 ? x->attempts : 6);
            next = now + (back > NOTIFY_BACKOFF_MAX ? NOTIFY_BACKOFF_MAX : back);
            watch_log(4, "notice %lld (%s): %s; trying again in %llds", x->id, x->type, err,
                      next - now);
            if (x->attempts + 1 >= NOTIFY_MAX_ATTEMPTS) {
                watch_log(3, "notice %lld: given up after %u tries", x->id, x->attempts + 1);
                still = 0;
            }
        } else if (sent) {
            (*sent)++;
        }
        e = mxd_store_notice_done(s, x->id, still, next, *err ? err : NULL);
    }
    for (size_t i = 0; i < p.n; i++) {
        free(p.v[i].type);
        free(p.v[i].body);
    }
    free(p.v);
    return e;
}
