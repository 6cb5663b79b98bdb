/* follow.c - the mail logs followed and the Maildirs ingested by the watch
 * SPDX-License-Identifier: MIT
 *
 * Logs: each file is read as `mxdiag log --follow` reads it (rotation by rename and
 * copy-truncate survive), through one log context, so the spike, bounce-rate and new-block
 * alerts are the log command's. What a batch of lines adds to the hourly volume per provider
 * is written in one transaction with the file's new position: after a kill -9 the next start
 * goes on from the last committed position and counts no line twice. A file that is not
 * there yet is opened when it appears.
 *
 * Maildirs: at start every message of new/ and cur/ is ingested (the store skips those it
 * has), then each poll ingests what arrived in new/ and moves it to cur/ (the Maildir way of
 * saying "seen by a reader"; no flag is set, so a person still sees it unread). A message
 * whose ingestion failed stays in new/ and is tried again.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "watch/watch_internal.h"
#include "mxdiag/log.h"
#include "mxdiag/ingest.h"
#include "mxdiag/mail.h"

#define FOLLOW_BATCH_LINES 20000 /* lines per transaction */
#define FOLLOW_TRAFFIC_MAX 4096  /* distinct (hour, provider, outcome) per batch */
/* A line has one time and its recipients' providers are the knowledge base's (or "other"):
 * a batch is flushed between lines once fewer cells than this are left, so a log spanning
 * many hours (the first look at a week-old mail.log) never fills the table mid-line. */
#define FOLLOW_LINE_CELLS 1024

typedef struct traffic_cell {
    long long hour;
    char provider[96];
    char outcome[12];
    unsigned long long n;
} traffic_cell;

typedef struct log_alert_copy {
    char key[200], kind[24], subject[128], title[400], detail[700];
    const char *severity;
} log_alert_copy;

struct watch_follow {
    const mxd_kb *kb;
    const watch_config *cfg;
    mxd_store *store;
    watch_alerter *alerter;
    mxd_log_ctx *ctx;
    mxd_log_input **in; /* per cfg->logs[i]; NULL until the file exists */
    traffic_cell *cells;
    size_t ncells;
    log_alert_copy *alerts;
    size_t nalerts, capalerts;
    unsigned long long dropped; /* outcomes not counted: the table was full mid-line */
};

static int on_event(void *arg, const mxd_log_event *ev)
{
    watch_follow *f = arg;
    const char *outcome = ev->outcome;
    if (!outcome ||
        (strcmp(outcome, "sent") && strcmp(outcome, "deferred") && strcmp(outcome, "bounced") &&
         strcmp(outcome, "rejected") && strcmp(outcome, "expired")))
        return 0;
    const char *prov = ev->provider && *ev->provider ? ev->provider : "other";
    long long hour = ev->timestamp - ev->timestamp % 3600;
    for (size_t i = f->ncells; i-- > 0;) {
        traffic_cell *c = &f->cells[i];
        if (c->hour == hour && !strcmp(c->outcome, outcome) && !strcmp(c->provider, prov)) {
            c->n++;
            return 0;
        }
    }
    if (f->ncells == FOLLOW_TRAFFIC_MAX) {
        f->dropped++; /* cannot happen with FOLLOW_LINE_CELLS left; counted if it does */
        return 0;
    }
    traffic_cell *c = &f->cells[f->ncells++];
    c->hour = hour;
    snprintf(c->provider, sizeof c->provider, "%s", prov);
    snprintf(c->outcome, sizeof c->outcome, "%s", outcome);
    c->n = 1;
    return 0;
}

static int on_alert(void *arg, const mxd_log_alert *a)
{
    watch_follow *f = arg;
    if (f->nalerts == f->capalerts) {
        size_t nc = f->capalerts ? f->capalerts * 2 : 8;
        if (nc > 1024)
            return 0; /* a flood of alerts in one batch: the first thousand are enough */
        log_alert_copy *nv = realloc(f->alerts, nc * sizeof *nv);
        if (!nv)
            return 0;
        f->alerts = nv;
        f->capalerts = nc;
    }
    log_alert_copy *c = &f->alerts[f->nalerts++];
    const char *key = a->key ? a->key : "";
    snprintf(c->key, sizeof c->key, "log/%s/%s", a->kind_name, key);
    snprintf(c->kind, sizeof c->kind, "%s", a->kind_name);
    snprintf(c->subject, sizeof c->subject, "%s", key);
    switch (a->kind) {
    case MXD_LOG_ALERT_SPIKE:
        c->severity = "warning";
        snprintf(c->title, sizeof c->title,
                 "volume spike from %s %s: %lu messages in an hour (average %.1f)", a->by, key,
                 a->count, a->average);
        break;
    case MXD_LOG_ALERT_BOUNCE_RATE:
        c->severity = "warning";
        snprintf(c->title, sizeof c->title, "%s bounced or deferred %.0f%% of %lu in an hour%s%s",
                 key, a->rate * 100, a->count, a->reason ? ": " : "", a->reason ? a->reason : "");
        break;
    default:
        c->severity = "critical";
        snprintf(c->title, sizeof c->title, "new block at %s%s%s", key, a->reason ? ": " : "",
                 a->reason ? a->reason : "");
        break;
    }
    snprintf(c->detail, sizeof c->detail, "%s%s%s", a->text ? a->text : "",
             a->next ? " - next: " : "", a->next ? a->next : "");
    return 0;
}

static mxd_log_format fmt_of(const char *s)
{
    if (!s || !strcmp(s, "auto"))
        return MXD_LOG_FMT_AUTO;
    if (!strcmp(s, "postfix"))
        return MXD_LOG_FMT_POSTFIX;
    if (!strcmp(s, "exim"))
        return MXD_LOG_FMT_EXIM;
    return MXD_LOG_FMT_SENDMAIL;
}

mxd_err watch_follow_new(const mxd_kb *kb, const watch_config *cfg, mxd_store *s, watch_alerter *al,
                         watch_follow **out, char *why, size_t whylen)
{
    *out = NULL;
    watch_follow *f = calloc(1, sizeof *f);
    if (!f)
        return MXD_ERR_NOMEM;
    f->kb = kb;
    f->cfg = cfg;
    f->store = s;
    f->alerter = al;
    f->in = calloc(cfg->nlogs ? cfg->nlogs : 1, sizeof *f->in);
    f->cells = malloc(FOLLOW_TRAFFIC_MAX * sizeof *f->cells);
    mxd_log_opts o = {0};
    o.format = fmt_of(cfg->log_format);
    o.by = MXD_LOG_BY_ALL;
    o.spike_factor = cfg->spike_factor;
    o.spike_min = cfg->spike_min;
    o.rate_threshold = cfg->rate_threshold;
    o.rate_min = cfg->rate_min;
    o.on_event = on_event;
    o.on_alert = on_alert;
    o.arg = f;
    if (!f->in || !f->cells || mxd_log_new(kb, &o, &f->ctx) != MXD_OK) {
        watch_follow_free(f);
        snprintf(why, whylen, "out of memory");
        return MXD_ERR_NOMEM;
    }
    *out = f;
    return MXD_OK;
}

void watch_follow_free(watch_follow *f)
{
    if (!f)
        return;
    for (size_t i = 0; f->in && i < f->cfg->nlogs; i++)
        mxd_log_input_close(f->in[i]);
    free(f->in);
    mxd_log_free(f->ctx);
    free(f->cells);
    free(f->alerts);
    free(f);
}

/* pos_key - the key of log path's position in the store: the path, or on a database that many
 * hosts share "host:path" (each MTA of a fleet follows its own /var/log/mail.log). */
static const char *pos_key(watch_follow *f, const char *path, char *buf, size_t len)
{
    if (!mxd_store_shared(f->store))
        return path;
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "localhost");
    snprintf(buf, len, "%s:%s", host, path);
    return buf;
}

/* open_log - open log i when it exists, going on from its saved position. */
static void open_log(watch_follow *f, size_t i)
{
    const char *path = f->cfg->logs[i];
    mxd_log_input_opts io = {0};
    io.format = fmt_of(f->cfg->log_format);
    io.follow = 1;
    char why[512];
    mxd_err e = mxd_log_input_open(path, &io, &f->in[i], why, sizeof why);
    if (e) {
        if (e != MXD_ERR_NOTFOUND)
            watch_log(4, "%s", why);
        f->in[i] = NULL;
        return;
    }
    unsigned long long dev, ino, off;
    int found = 0;
    mxd_log_position now;
    char key[4096 + 300];
    if (mxd_store_logpos_get(f->store, pos_key(f, path, key, sizeof key), &dev, &ino, &off,
                             &found) == MXD_OK &&
        found && mxd_log_input_position(f->in[i], &now) == MXD_OK && now.dev == dev &&
        now.ino == ino)
        mxd_log_input_seek(f->in[i], off);
}

/* flush - the batch's volume and log i's position in one transaction, then its alerts. */
static mxd_err flush(watch_follow *f, size_t i, long long now)
{
    mxd_err e = mxd_store_begin(f->store);
    if (e)
        return e;
    for (size_t c = 0; !e && c < f->ncells; c++)
        e = mxd_store_traffic_add(f->store, f->cells[c].hour, f->cells[c].provider,
                                  f->cells[c].outcome, f->cells[c].n);
    mxd_log_position p;
    if (!e && mxd_log_input_position(f->in[i], &p) == MXD_OK) {
        char key[4096 + 300];
        e = mxd_store_logpos_set(f->store, pos_key(f, f->cfg->logs[i], key, sizeof key), p.dev,
                                 p.ino, p.offset, now);
    }
    if (e) {
        mxd_store_rollback(f->store);
        return e;
    }
    if ((e = mxd_store_commit(f->store)))
        return e;
    f->ncells = 0;
    if (f->dropped) {
        watch_log(4, "%s: %llu outcomes not counted (the batch table was full)", f->cfg->logs[i],
                  f->dropped);
        f->dropped = 0;
    }
    for (size_t a = 0; !e && a < f->nalerts; a++) {
        log_alert_copy *c = &f->alerts[a];
        e = watch_raise_event(f->alerter, c->key, c->kind, c->subject, c->severity, c->title,
                              c->detail, now);
    }
    f->nalerts = 0;
    return e;
}

mxd_err watch_follow_poll(watch_follow *f, long long now, char *why, size_t whylen)
{
    for (size_t i = 0; i < f->cfg->nlogs; i++) {
        if (!f->in[i])
            open_log(f, i);
        if (!f->in[i])
            continue;
        for (int round = 0; round < 2; round++) {
            size_t lines = 0;
            mxd_log_line l;
            mxd_err e;
            while ((e = mxd_log_input_next(f->in[i], &l, why, whylen)) == MXD_OK) {
                if ((e = mxd_log_feed(f->ctx, &l)))
                    return e;
                if (++lines >= FOLLOW_BATCH_LINES ||
                    f->ncells > FOLLOW_TRAFFIC_MAX - FOLLOW_LINE_CELLS) {
                    if ((e = flush(f, i, now)))
                        return e;
                    lines = 0;
                }
            }
            if (e == MXD_ERR_IO)
                watch_log(4, "%s", why);
            if ((e = flush(f, i, now)))
                return e;
            /* rotated or truncated: read the new file's start in the same poll */
            int p = mxd_log_input_poll(f->in[i], why, whylen);
            if (p < 0)
                watch_log(4, "%s", why);
            if (p < 2)
                break;
        }
    }
    return MXD_OK;
}

/* --- Maildirs ----------------------------------------------------------------------------- */

/* ingest_file - one message file; 0 when stored (or a duplicate), -1 to try again later. */
static int ingest_file(mxd_ingest *ing, const char *path, long long now)
{
    mxd_mail_source *src;
    char why[512];
    if (mxd_mail_open(path, &src, why, sizeof why) != MXD_OK) {
        watch_log(4, "%s", why);
        return -1;
    }
    int ok = 0;
    mxd_mail_msg m;
    mxd_err e;
    while ((e = mxd_mail_next(src, &m, why, sizeof why)) == MXD_OK) {
        mxd_ingest_result res;
        mxd_err ie = mxd_ingest_message(ing, &m, now, &res);
        if (ie == MXD_ERR_PARSE) {
            watch_log(4, "%s: not a message: %s", path, res.why);
        } else if (ie) {
            watch_log(3, "%s: %s", path, mxd_strerror(ie));
            ok = -1;
            break;
        }
    }
    mxd_mail_close(src);
    return ok;
}

static mxd_err scan_dir(mxd_ingest *ing, const char *maildir, const char *sub, int move,
                        long long now, unsigned long *ingested)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", maildir, sub);
    DIR *d = opendir(dir);
    if (!d) {
        if (errno != ENOENT)
            watch_log(4, "%s: %s", dir, strerror(errno));
        return MXD_OK;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[4352];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) || !S_ISREG(st.st_mode))
            continue;
        if (ingest_file(ing, path, now))
            continue;
        (*ingested)++;
        if (move) {
            char to[4400];
            snprintf(to, sizeof to, "%s/cur/%s%s", maildir, de->d_name,
                     strstr(de->d_name, ":2,") ? "" : ":2,");
            if (rename(path, to))
                watch_log(4, "%s: cannot move it to cur/: %s", path, strerror(errno));
        }
    }
    closedir(d);
    return MXD_OK;
}

mxd_err watch_maildirs_poll(const mxd_kb *kb, const watch_config *cfg, mxd_store *s, int with_cur,
                            long long now, unsigned long *ingested, char *why, size_t whylen)
{
    mxd_ingest *ing;
    mxd_err e = mxd_ingest_new(kb, s, &ing);
    if (e) {
        snprintf(why, whylen, "%s", mxd_strerror(e));
        return e;
    }
    for (size_t i = 0; i < cfg->nmaildirs; i++) {
        if (with_cur)
            scan_dir(ing, cfg->maildirs[i], "cur", 0, now, ingested);
        scan_dir(ing, cfg->maildirs[i], "new", 1, now, ingested);
    }
    mxd_ingest_free(ing);
    return mxd_store_sync(s);
}
