/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* libsoup-3.0 loaded at run time, as GStreamer 1.22's souphttpsrc does.
 *
 * The DASH plug-in is compiled against libsoup-3.0's headers but does not
 * link it: libsoup-3 aborts a process that has libsoup-2.4 loaded, and the
 * plug-in must load (and write files) in such a process too.  The embedded
 * HTTP server (httpserver.c) and the uploader (dashupload.c) call
 * dash_soup_load() when they start; it opens libsoup-3.0.so.0 with
 * GModule the first time, resolves the functions they use into a table,
 * and refuses (DASH_SOUP_ERROR) when libsoup-2.4 is already in the process
 * or libsoup-3 cannot be opened.  Those two files then call the wrappers
 * below (`_soup_server_new` for soup_server_new, ...), which are hidden:
 * the plug-in exports no symbol named like one of libsoup's.
 *
 * Calling a wrapper before dash_soup_load() succeeded is a programming
 * error (it dereferences an empty table). */

#ifndef __SOUP_LOADER_H__
#define __SOUP_LOADER_H__

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define DASH_SOUP_ERROR (dash_soup_error_quark ())

typedef enum {
  /* libsoup-2.4 is loaded: libsoup-3 would abort the process */
  DASH_SOUP_ERROR_SOUP2_LOADED,
  /* libsoup-3.0.so.0 cannot be opened, or lacks a function (< 3.2) */
  DASH_SOUP_ERROR_UNAVAILABLE,
} DashSoupError;

G_GNUC_INTERNAL GQuark dash_soup_error_quark (void);

/* Makes the wrappers usable: TRUE once libsoup-3 is loaded (later calls
 * return at once).  @user names what needs it, at the start of the error
 * message ("The embedded HTTP server").  Thread-safe. */
G_GNUC_INTERNAL gboolean dash_soup_load (const gchar * user, GError ** error);

/* *INDENT-OFF* */

/* --- server (httpserver.c) --- */
G_GNUC_INTERNAL SoupServer *_soup_server_new (const char *optname1, ...)
    G_GNUC_NULL_TERMINATED;
G_GNUC_INTERNAL void _soup_server_add_handler (SoupServer * server,
    const char *path, SoupServerCallback callback, gpointer user_data,
    GDestroyNotify destroy);
G_GNUC_INTERNAL gboolean _soup_server_listen (SoupServer * server,
    GSocketAddress * address, SoupServerListenOptions options,
    GError ** error);
G_GNUC_INTERNAL gboolean _soup_server_listen_socket (SoupServer * server,
    GSocket * socket, SoupServerListenOptions options, GError ** error);
G_GNUC_INTERNAL GSList *_soup_server_get_listeners (SoupServer * server);
G_GNUC_INTERNAL void _soup_server_disconnect (SoupServer * server);

G_GNUC_INTERNAL const char *_soup_server_message_get_method
    (SoupServerMessage * msg);
G_GNUC_INTERNAL SoupHTTPVersion _soup_server_message_get_http_version
    (SoupServerMessage * msg);
G_GNUC_INTERNAL SoupMessageHeaders *_soup_server_message_get_request_headers
    (SoupServerMessage * msg);
G_GNUC_INTERNAL SoupMessageHeaders *_soup_server_message_get_response_headers
    (SoupServerMessage * msg);
G_GNUC_INTERNAL SoupMessageBody *_soup_server_message_get_response_body
    (SoupServerMessage * msg);
G_GNUC_INTERNAL GSocket *_soup_server_message_get_socket
    (SoupServerMessage * msg);
G_GNUC_INTERNAL SoupMessageBody *_soup_server_message_get_request_body
    (SoupServerMessage * msg);
G_GNUC_INTERNAL GUri *_soup_server_message_get_uri (SoupServerMessage * msg);
G_GNUC_INTERNAL const char *_soup_server_message_get_remote_host
    (SoupServerMessage * msg);
G_GNUC_INTERNAL void _soup_server_message_set_status (SoupServerMessage * msg,
    guint status_code, const char *reason_phrase);
G_GNUC_INTERNAL void _soup_server_message_set_response
    (SoupServerMessage * msg, const char *content_type, SoupMemoryUse use,
    const char *body, gsize length);
G_GNUC_INTERNAL void _soup_server_message_pause (SoupServerMessage * msg);
G_GNUC_INTERNAL void _soup_server_message_unpause (SoupServerMessage * msg);

G_GNUC_INTERNAL void _soup_message_body_append (SoupMessageBody * body,
    SoupMemoryUse use, gconstpointer data, gsize length);
G_GNUC_INTERNAL void _soup_message_body_append_bytes (SoupMessageBody * body,
    GBytes * bytes);
G_GNUC_INTERNAL void _soup_message_body_complete (SoupMessageBody * body);

/* --- headers (both) --- */
G_GNUC_INTERNAL const char *_soup_message_headers_get_one
    (SoupMessageHeaders * hdrs, const char *name);
G_GNUC_INTERNAL void _soup_message_headers_replace (SoupMessageHeaders * hdrs,
    const char *name, const char *value);
G_GNUC_INTERNAL void _soup_message_headers_set_content_length
    (SoupMessageHeaders * hdrs, goffset content_length);
G_GNUC_INTERNAL void _soup_message_headers_set_encoding
    (SoupMessageHeaders * hdrs, SoupEncoding encoding);
G_GNUC_INTERNAL void _soup_message_headers_foreach (SoupMessageHeaders * hdrs,
    SoupMessageHeadersForeachFunc func, gpointer user_data);

/* --- client (dashupload.c) --- */
G_GNUC_INTERNAL SoupSession *_soup_session_new_with_options
    (const char *optname1, ...) G_GNUC_NULL_TERMINATED;
G_GNUC_INTERNAL void _soup_session_send_and_read_async (SoupSession * session,
    SoupMessage * msg, int io_priority, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data);
G_GNUC_INTERNAL GBytes *_soup_session_send_and_read_finish
    (SoupSession * session, GAsyncResult * result, GError ** error);
G_GNUC_INTERNAL SoupMessage *_soup_session_get_async_result_message
    (SoupSession * session, GAsyncResult * result);
G_GNUC_INTERNAL void _soup_session_abort (SoupSession * session);

G_GNUC_INTERNAL SoupMessage *_soup_message_new (const char *method,
    const char *uri_string);
G_GNUC_INTERNAL SoupMessageHeaders *_soup_message_get_request_headers
    (SoupMessage * msg);
G_GNUC_INTERNAL guint _soup_message_get_status (SoupMessage * msg);
G_GNUC_INTERNAL void _soup_message_set_request_body (SoupMessage * msg,
    const char *content_type, GInputStream * stream, gssize content_length);
G_GNUC_INTERNAL void _soup_message_set_request_body_from_bytes
    (SoupMessage * msg, const char *content_type, GBytes * bytes);

/* *INDENT-ON* */

G_END_DECLS

#endif /* __SOUP_LOADER_H__ */
