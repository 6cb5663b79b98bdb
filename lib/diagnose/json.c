/* json.c - a diagnosis as JSON: facts, explanation, checks, playbook, delist_request
 * SPDX-License-Identifier: MIT
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include "classify/explain_internal.h"
#include "diagnose/diagnose_internal.h"

/* fact - NAME and NAME_from: the value (a string, as the other commands give it) and where
 * it came from; both null when unknown. */
static void fact(json_t *facts, const char *name, const char *v, const char *from)
{
    char key[64];
    json_object_set_new(facts, name, explain_jstr(v));
    snprintf(key, sizeof key, "%s_from", name);
    json_object_set_new(facts, key, explain_jstr(v ? from : NULL));
}

/* check_data - the check's report (compact JSON it holds) as a value, or null */
static json_t *check_data(const char *data)
{
    json_t *j = data ? json_loads(data, JSON_DECODE_ANY, NULL) : NULL;
    return j ? j : json_null();
}

char *mxd_diagnosis_json(const mxd_diagnosis *d, int pretty)
{
    if (!d)
        return NULL;
    json_t *o = json_object();
    json_t *facts = json_object();
    const mxd_explanation *x = d->explanation;
    json_object_set_new(facts, "source", explain_jstr(d->source));
    json_object_set_new(facts, "records", json_integer((json_int_t)d->nrecords));
    json_object_set_new(facts, "hardbounce",
                        d->hardbounce < 0 ? json_null() : json_boolean(d->hardbounce));
    json_object_set_new(facts, "provider", explain_jstr(x->provider));
    json_object_set_new(facts, "provider_name", explain_jstr(x->provider_name));
    json_object_set_new(facts, "replycode", explain_jstr(x->replycode[0] ? x->replycode : NULL));
    json_object_set_new(facts, "status", explain_jstr(x->status[0] ? x->status : NULL));
    json_object_set_new(facts, "code_family", explain_jstr(d->playbook));
    fact(facts, "sending_ip", d->sending_ip, d->sending_ip_from);
    if (d->sending_ip_owner) {
        json_t *ow = json_object();
        json_object_set_new(ow, "provider", explain_jstr(d->sending_ip_owner));
        json_object_set_new(ow, "provider_name", explain_jstr(d->sending_ip_owner_name));
        json_object_set_new(ow, "why", explain_jstr(d->sending_ip_owner_why));
        json_object_set_new(facts, "sending_ip_owner", ow);
    } else {
        json_object_set_new(facts, "sending_ip_owner", json_null());
    }
    fact(facts, "sender_domain", d->sender_domain, d->sender_domain_from);
    json_object_set_new(facts, "recipient", explain_jstr(d->recipient));
    json_object_set_new(facts, "recipient_domain", explain_jstr(d->recipient_domain));
    json_object_set_new(facts, "recipient_provider", explain_jstr(d->recipient_provider));
    fact(facts, "dkim_selector", d->dkim_selector, d->dkim_selector_from);
    /* the envelope, which SPF checks; sender_domain is the From domain, which DMARC protects */
    fact(facts, "mail_from", d->mail_from, d->mail_from_from);
    fact(facts, "mail_from_domain", d->mail_from_domain, d->mail_from_domain_from);
    fact(facts, "helo", d->helo, d->helo_from);
    json_object_set_new(facts, "dkim_domain", explain_jstr(d->dkim_domain));
    json_object_set_new(facts, "reporting_mta", explain_jstr(d->reporting_mta));
    if (d->reading) {
        json_t *rd = json_object();
        json_object_set_new(rd, "playbook", explain_jstr(d->playbook));
        json_object_set_new(rd, "why", explain_jstr(d->reading));
        json_object_set_new(rd, "other", explain_jstr(d->reading_other));
        json_object_set_new(facts, "reading", rd);
    } else {
        json_object_set_new(facts, "reading", json_null());
    }
    json_t *signers = json_array();
    for (size_t i = 0; i < d->ndkim_signers; i++)
        json_array_append_new(signers, explain_jstr(d->dkim_signers[i]));
    json_object_set_new(facts, "dkim_signers", d->returned_headers ? signers : json_null());
    if (!d->returned_headers)
        json_decref(signers);
    json_object_set_new(o, "facts", facts);
    json_t *ex = explain_to_json(x);
    json_object_set_new(o, "explanation", ex ? ex : json_null());

    json_t *checks = json_array();
    for (size_t i = 0; i < d->nchecks; i++) {
        const mxd_diag_check *c = &d->checks[i];
        json_t *jc = json_object();
        json_object_set_new(jc, "name", json_string(c->name));
        json_object_set_new(jc, "state", json_string(mxd_check_state_name(c->state)));
        json_object_set_new(jc, "summary", explain_jstr(c->summary));
        json_t *f = json_array();
        for (size_t k = 0; k < c->nfindings; k++)
            json_array_append_new(f, explain_jstr(c->findings[k]));
        json_object_set_new(jc, "findings", f);
        json_object_set_new(jc, "data", check_data(c->data));
        json_array_append_new(checks, jc);
    }
    json_object_set_new(o, "checks", checks);

    json_t *pb = json_object();
    json_object_set_new(pb, "id", explain_jstr(d->playbook));
    json_object_set_new(pb, "title", explain_jstr(d->playbook_title));
    json_t *steps = json_array();
    for (size_t i = 0; i < d->nsteps; i++) {
        const mxd_diag_step *s = &d->steps[i];
        json_t *js = json_object();
        json_object_set_new(js, "mark", json_string(mxd_mark_name(s->mark)));
        json_object_set_new(js, "check", json_string(s->check));
        json_object_set_new(js, "text", explain_jstr(s->text));
        json_object_set_new(js, "finding", explain_jstr(s->finding));
        json_array_append_new(steps, js);
    }
    json_object_set_new(pb, "steps", steps);
    json_object_set_new(o, "playbook", pb);

    if (d->delist_body) {
        json_t *dl = json_object();
        json_object_set_new(dl, "title", explain_jstr(d->delist_title));
        json_object_set_new(dl, "how", explain_jstr(d->delist_how));
        json_object_set_new(dl, "to", explain_jstr(d->delist_to));
        json_object_set_new(dl, "subject", explain_jstr(d->delist_subject));
        json_object_set_new(dl, "body", explain_jstr(d->delist_body));
        json_object_set_new(o, "delist_request", dl);
    } else {
        json_object_set_new(o, "delist_request", json_null());
    }
    json_object_set_new(o, "dns_unreachable", json_boolean(d->dns_unreachable));
    json_t *w = json_array();
    if (d->dns_warning)
        json_array_append_new(w, explain_jstr(d->dns_warning));
    if (d->resolver_suspect)
        json_array_append_new(w, explain_jstr(d->resolver_suspect));
    json_object_set_new(o, "warnings", w);
    char *s = json_dumps(o, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}
