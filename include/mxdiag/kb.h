/* kb.h - mxdiag's knowledge base: reply-code rules, status codes, providers
 * SPDX-License-Identifier: MIT
 *
 * The knowledge base is the data under data/ in the source tree, compiled into the library.
 * Open it once and share it: an mxd_kb is read-only after opening, so several threads may
 * use one at the same time.
 */
#ifndef MXDIAG_KB_H
#define MXDIAG_KB_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mxd_kb mxd_kb;

/* mxd_kb_open - load the built-in knowledge base into *out.
 * The caller frees it with mxd_kb_free(). Returns MXD_OK, or MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_kb_open(mxd_kb **out);

/* mxd_kb_open_dir - load the knowledge base from the data files in DIR instead (for experts
 * trying out an edit without rebuilding). DIR must hold every file of data/ (the tables,
 * playbooks.txt, delist.txt and at least one rules-*.txt): a directory without them, such as
 * an empty one, gives MXD_ERR_DATA, never an empty knowledge base. On MXD_ERR_DATA or
 * MXD_ERR_IO a one-line reason ("rules-google.txt:12: unknown key 'stauts'") is written to
 * why (may be NULL). */
MXD_API mxd_err mxd_kb_open_dir(const char *dir, mxd_kb **out, char *why, size_t whylen);

/* mxd_kb_free - release a knowledge base; NULL is accepted. */
MXD_API void mxd_kb_free(mxd_kb *kb);

/* mxd_kb_count - number of entries of one kind: "rules", "status", "providers", "hosts",
 * "reasons", "replies", "pseudo-status", "bounce-phrases", "dnsbl", "public-resolvers",
 * "rdns-generic"; "bounce-phrases/KIND" counts the rows of one kind of bounce-phrases.tsv
 * ("bounce-phrases/separator"); 0 for an unknown kind. */
MXD_API size_t mxd_kb_count(const mxd_kb *kb, const char *kind);

/* mxd_kb_provider_for_host - the provider id for a remote host name, or NULL when no pattern
 * matches. When region is not NULL and the matching pattern names a region label, the region
 * ("nam12") is copied there (NUL-terminated, truncated to regionlen), else region[0] = 0.
 * The returned string belongs to kb. */
MXD_API const char *mxd_kb_provider_for_host(const mxd_kb *kb, const char *host, char *region,
                                             size_t regionlen);

/* mxd_kb_provider_for_domain - the provider id for a recipient domain (gmail.com -> google),
 * or NULL. The returned string belongs to kb. */
MXD_API const char *mxd_kb_provider_for_domain(const mxd_kb *kb, const char *domain);

/* mxd_kb_public_resolver - the operator ("Google Public DNS") when addr (an IPv4 or IPv6
 * address as text) is a well-known public DNS resolver, else NULL. The string belongs to kb. */
MXD_API const char *mxd_kb_public_resolver(const mxd_kb *kb, const char *addr);

/* mxd_kb_provider_name - display name of a provider id ("Microsoft 365 / Exchange Online"),
 * or NULL for an unknown id. The returned string belongs to kb. */
MXD_API const char *mxd_kb_provider_name(const mxd_kb *kb, const char *id);

/* mxd_kb_status - registry entry for an enhanced status code "5.7.1": title and meaning of the
 * most specific entry (X.7.1, else X.7, else the class). Out-pointers may be NULL; the strings
 * belong to kb. Returns MXD_ERR_NOTFOUND for a code that is not well-formed. */
MXD_API mxd_err mxd_kb_status(const mxd_kb *kb, const char *status, const char **title,
                              const char **meaning);

/* mxd_kb_sending_service - the sending service (data/senders.tsv) a host or domain name
 * belongs to: the row whose domain is name or a parent of it. 0 with *service ("Amazon SES"),
 * *category ("esp", "mailbox", "security") and *align (what to set up at the service for DMARC
 * alignment) set (each may be NULL); -1 when no row matches. */
MXD_API int mxd_kb_sending_service(const mxd_kb *kb, const char *name, const char **service,
                                   const char **category, const char **align);

/* mxd_kb_dkim_selector - the i-th common DKIM selector to probe (data/dkim-selectors.tsv):
 * 0 with *selector and *provider (the service known to use it) set, -1 past the end. The
 * strings belong to kb. */
MXD_API int mxd_kb_dkim_selector(const mxd_kb *kb, size_t i, const char **selector,
                                 const char **provider);

#ifdef __cplusplus
}
#endif
#endif
