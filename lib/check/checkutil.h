/* checkutil.h - helpers shared by the checks in lib/check: findings lists, JSON (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_CHECKUTIL_H
#define MXD_CHECKUTIL_H

#include <stddef.h>
#include "mxdiag/error.h"
#include "mxdiag/finding.h"

/* A growing list of findings. */
typedef struct checkutil_findings {
    mxd_finding *v;
    size_t n, alloc;
    int nomem; /* an add failed for lack of memory */
} checkutil_findings;

/* checkutil_finding - append a finding (not again when the same code and text are there);
 * text is a printf format. fix may be NULL. On out of
 * memory the list's nomem flag is set and the finding dropped. */
void checkutil_finding(checkutil_findings *l, mxd_severity sev, const char *area, const char *code,
                       const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* checkutil_findings_free - release the texts and the array of n findings. */
void checkutil_findings_free(mxd_finding *v, size_t n);

/* checkutil_json_str - a JSON string for s (json_t *): NULL gives null; bytes that are not
 * UTF-8 are replaced by '?' so the value is never lost. */
void *checkutil_json_str(const char *s);

/* checkutil_json_findings - a JSON array of {"severity","area","code","text","fix"}. */
void *checkutil_json_findings(const mxd_finding *v, size_t n);

/* checkutil_json_dump - serialise (pretty or compact, keys in insertion order) and release
 * the object; NULL when out of memory. */
char *checkutil_json_dump(void *obj, int pretty);

#endif
