/* curl_dl.c - libcurl, loaded on first use
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include "util/curl_dl.h"
#include "util/dl.h"

curl_dl cu;

static dl_lib curl_lib = {"libcurl.so.4", "to speak HTTP (webhook alerts, SNDS reports)", NULL,
                          NULL, ""};
static int curl_ok;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_load(void)
{
    dl_lib *l = &curl_lib;
    if (dl_open(l))
        return;
    DL_SYM(l, cu.global_init, "curl_global_init");
    DL_SYM(l, cu.easy_init, "curl_easy_init");
    DL_SYM(l, cu.easy_setopt, "curl_easy_setopt");
    DL_SYM(l, cu.easy_perform, "curl_easy_perform");
    DL_SYM(l, cu.easy_getinfo, "curl_easy_getinfo");
    DL_SYM(l, cu.easy_cleanup, "curl_easy_cleanup");
    DL_SYM(l, cu.easy_strerror, "curl_easy_strerror");
    DL_SYM(l, cu.slist_append, "curl_slist_append");
    DL_SYM(l, cu.slist_free_all, "curl_slist_free_all");
    curl_ok = dl_done(l) == 0;
    if (curl_ok)
        cu.global_init(CURL_GLOBAL_DEFAULT);
}

int curl_dl_ready(void)
{
    pthread_once(&curl_once, curl_load);
    return curl_ok;
}
