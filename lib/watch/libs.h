/* libs.h - GLib's GKeyFile and libmicrohttpd as tables of function pointers (internal)
 * SPDX-License-Identifier: MIT
 *
 * None of the three is linked (util/dl.h): only `mxdiag watch` needs them, and every other
 * command would pay ld.so for them at each start. Each table is filled by its
 * watch_*_ready() (watch_internal.h) the first time it is needed.
 */
#ifndef MXD_WATCH_LIBS_H
#define MXD_WATCH_LIBS_H

#include <glib.h>
#include <microhttpd.h>

typedef struct watch_glib {
    __typeof__(g_key_file_new) *key_file_new;
    __typeof__(g_key_file_free) *key_file_free;
    __typeof__(g_key_file_load_from_file) *key_file_load_from_file;
    __typeof__(g_key_file_has_group) *key_file_has_group;
    __typeof__(g_key_file_get_groups) *key_file_get_groups;
    __typeof__(g_key_file_get_keys) *key_file_get_keys;
    __typeof__(g_key_file_get_string) *key_file_get_string;
    __typeof__(g_key_file_get_string_list) *key_file_get_string_list;
    __typeof__(g_key_file_set_list_separator) *key_file_set_list_separator;
    __typeof__(g_strfreev) *strfreev;
    __typeof__(g_free) *free;
    __typeof__(g_error_free) *error_free;
} watch_glib;

typedef struct watch_mhd {
    __typeof__(MHD_start_daemon) *start_daemon;
    __typeof__(MHD_stop_daemon) *stop_daemon;
    __typeof__(MHD_get_daemon_info) *get_daemon_info;
    __typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
    __typeof__(MHD_add_response_header) *add_response_header;
    __typeof__(MHD_queue_response) *queue_response;
    __typeof__(MHD_destroy_response) *destroy_response;
    __typeof__(MHD_lookup_connection_value) *lookup_connection_value;
} watch_mhd;

extern watch_glib wg;
extern watch_mhd wm;

#endif
