/* libs.c - GLib, libcurl and libmicrohttpd, loaded on first use
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include "watch/watch_internal.h"
#include "watch/libs.h"
#include "util/dl.h"

watch_glib wg;
watch_mhd wm;

static dl_lib glib_lib = {"libglib-2.0.so.0", "to read the watch configuration", NULL, NULL, ""};
static dl_lib mhd_lib = {"libmicrohttpd.so.12", "to serve the watch dashboard", NULL, NULL, ""};

static int glib_ok, mhd_ok;
static pthread_once_t glib_once = PTHREAD_ONCE_INIT, mhd_once = PTHREAD_ONCE_INIT;

static void glib_load(void)
{
    dl_lib *l = &glib_lib;
    if (dl_open(l))
        return;
    DL_SYM(l, wg.key_file_new, "g_key_file_new");
    DL_SYM(l, wg.key_file_free, "g_key_file_free");
    DL_SYM(l, wg.key_file_load_from_file, "g_key_file_load_from_file");
    DL_SYM(l, wg.key_file_has_group, "g_key_file_has_group");
    DL_SYM(l, wg.key_file_get_groups, "g_key_file_get_groups");
    DL_SYM(l, wg.key_file_get_keys, "g_key_file_get_keys");
    DL_SYM(l, wg.key_file_get_string, "g_key_file_get_string");
    DL_SYM(l, wg.key_file_get_string_list, "g_key_file_get_string_list");
    DL_SYM(l, wg.key_file_set_list_separator, "g_key_file_set_list_separator");
    DL_SYM(l, wg.strfreev, "g_strfreev");
    DL_SYM(l, wg.free, "g_free");
    DL_SYM(l, wg.error_free, "g_error_free");
    glib_ok = dl_done(l) == 0;
}

static void mhd_load(void)
{
    dl_lib *l = &mhd_lib;
    if (dl_open(l))
        return;
    DL_SYM(l, wm.start_daemon, "MHD_start_daemon");
    DL_SYM(l, wm.stop_daemon, "MHD_stop_daemon");
    DL_SYM(l, wm.get_daemon_info, "MHD_get_daemon_info");
    DL_SYM(l, wm.create_response_from_buffer, "MHD_create_response_from_buffer");
    DL_SYM(l, wm.add_response_header, "MHD_add_response_header");
    DL_SYM(l, wm.queue_response, "MHD_queue_response");
    DL_SYM(l, wm.destroy_response, "MHD_destroy_response");
    DL_SYM(l, wm.lookup_connection_value, "MHD_lookup_connection_value");
    mhd_ok = dl_done(l) == 0;
}

int watch_glib_ready(void)
{
    pthread_once(&glib_once, glib_load);
    return glib_ok;
}

int watch_mhd_ready(void)
{
    pthread_once(&mhd_once, mhd_load);
    return mhd_ok;
}
