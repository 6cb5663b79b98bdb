/* curl_dl.h - libcurl, loaded on first use (internal)
 * SPDX-License-Identifier: MIT
 *
 * Two modules speak HTTP: the watch daemon's webhook channel (lib/watch/notify.c) and the SNDS
 * fetch (lib/feed/fetch.c). Neither links libcurl (util/dl.h): the first of them to need it
 * calls curl_dl_ready(), which loads it once per process, resolves the functions into `cu`
 * (typed from <curl/curl.h>) and runs curl_global_init.
 */
#ifndef MXD_UTIL_CURL_DL_H
#define MXD_UTIL_CURL_DL_H

#include <curl/curl.h>

typedef struct curl_dl {
    __typeof__(curl_global_init) *global_init;
    __typeof__(curl_easy_init) *easy_init;
    __typeof__(curl_easy_setopt) *easy_setopt;
    __typeof__(curl_easy_perform) *easy_perform;
    __typeof__(curl_easy_getinfo) *easy_getinfo;
    __typeof__(curl_easy_cleanup) *easy_cleanup;
    __typeof__(curl_easy_strerror) *easy_strerror;
    __typeof__(curl_slist_append) *slist_append;
    __typeof__(curl_slist_free_all) *slist_free_all;
} curl_dl;

extern curl_dl cu;

/* curl_dl_ready - libcurl loaded (the first call loads it); 0 when it cannot be: dl_last_error()
 * names it and says why. */
int curl_dl_ready(void);

#endif
