/* explain_internal.h - classification helpers shared with the bounce stage (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_CLASSIFY_EXPLAIN_INTERNAL_H
#define MXD_CLASSIFY_EXPLAIN_INTERNAL_H

#include <jansson.h>
#include "mxdiag/explain.h"
#include "classify/reply.h"
#include "kb/kb_internal.h"

/* explain_best_rule_ex - the most specific rule for a parsed reply, or NULL. provider is
 * the provider the facts identify (NULL: none): only its rules and the generic ones (no
 * provider) can apply; with provider_only, only its rules. */
const kb_rule *explain_best_rule_ex(const mxd_kb *kb, const reply_parts *rp, const char *provider,
                                    int provider_only);

/* explain_code_rule - the provider's rule for the reply's status code when its wording
 * matches none: texts are not looked at (the reply code and host still must match). An exact
 * status beats a range, a rule without texts (the code's own meaning) beats one with texts,
 * then file order. NULL when the provider has no rule for the code. */
const kb_rule *explain_code_rule(const mxd_kb *kb, const reply_parts *rp, const char *provider);

/* explain_jstr - a JSON string (null for NULL); bytes that are not UTF-8 become '?'. */
json_t *explain_jstr(const char *s);

/* explain_to_json - a new jansson object for an explanation (caller decrefs), NULL on no
 * memory. */
json_t *explain_to_json(const mxd_explanation *e);

#endif
