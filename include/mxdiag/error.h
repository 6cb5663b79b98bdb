/* error.h - mxdiag error codes
 * SPDX-License-Identifier: MIT
 *
 * Every library call that can fail returns an mxd_err. Codes are only ever appended;
 * a number, once published, keeps its meaning. A check's outcome (an SPF "fail", a DNSBL
 * listing) is not an error: errors are about the call itself.
 */
#ifndef MXDIAG_ERROR_H
#define MXDIAG_ERROR_H

#include "mxdiag/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mxd_err {
    MXD_OK = 0,
    MXD_ERR_NOMEM = 1,    /* out of memory */
    MXD_ERR_INVALID = 2,  /* bad argument from the caller */
    MXD_ERR_PARSE = 3,    /* input could not be parsed */
    MXD_ERR_TOOBIG = 4,   /* input or output above a built-in limit */
    MXD_ERR_NOTFOUND = 5, /* nothing matched */
    MXD_ERR_IO = 6,       /* reading or writing a file failed (errno is kept) */
    MXD_ERR_DATA = 7,     /* the knowledge base data is malformed */
    MXD_ERR_EMPTY = 8,    /* input is empty */
    MXD_ERR_BINARY = 9,   /* input is not text */
    MXD_ERR_DNS = 10,     /* DNS resolver could not be set up or used */
    MXD_ERR_TIMEOUT = 11, /* an operation timed out */
    MXD_ERR_NOLIB = 12,   /* a shared library this input needs could not be loaded */
    MXD_ERR_BUSY = 13,    /* the store stayed locked by another writer (retry later) */
    MXD_ERR__COUNT        /* not a code: one past the last */
} mxd_err;

/* mxd_strerror - a short English description of an error code; never NULL. For
 * MXD_ERR_NOLIB, once a load has failed, it names the library and says why ("libarchive.so.13
 * could not be loaded (needed to read compressed logs): ..."): libarchive and GMime are
 * loaded on first use, not at start (see README, "Start-up"). */
MXD_API const char *mxd_strerror(mxd_err err);

#ifdef __cplusplus
}
#endif
#endif
