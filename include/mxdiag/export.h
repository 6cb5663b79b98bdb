/* export.h - symbol visibility for the public API
 * SPDX-License-Identifier: MIT
 */
#ifndef MXDIAG_EXPORT_H
#define MXDIAG_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define MXD_API __attribute__((visibility("default")))
#else
#define MXD_API
#endif

#endif
