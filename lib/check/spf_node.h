/* spf_node.h - the SPF record tree shared by evaluation and lint (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_SPF_NODE_H
#define MXD_SPF_NODE_H

#include "mxdiag/spf.h"

/* spf_node_new - a node for domain (copied), reached via "top", "include" or "redirect"
 * through term (copied, may be NULL), appended to parent's children when parent is not NULL.
 * NULL on out of memory. */
mxd_spf_node *spf_node_new(mxd_spf_node *parent, const char *domain, const char *via,
                           const char *term, size_t termlen);

/* spf_node_free - a node and its children. */
void spf_node_free(mxd_spf_node *n);

/* spf_fetch - the result of looking up a domain's SPF record. */
typedef struct spf_fetch {
    mxd_dns_status status; /* of the TXT query */
    int count;             /* v=spf1 records found */
    char *record;          /* the record (malloc'ed, NUL-terminated, NULs kept) when count 1 */
    size_t len;
    size_t udp_size; /* size of the whole TXT answer as it travels over DNS */
    int truncated;   /* the answer had more than MXD_DNS_MAX_RRS records: unless two SPF
                        records were seen already, the verdict is unknown (temperror) */
} spf_fetch;

/* spf_select - pick the v=spf1 record out of a TXT answer into f (record malloc'ed). Returns
 * MXD_OK or MXD_ERR_NOMEM. */
mxd_err spf_select(const mxd_dns_answer *a, spf_fetch *f);

/* spf_json_node - the tree as a jansson object (json_t *), or NULL on no memory. */
void *spf_json_node(const mxd_spf_node *n);

#endif
