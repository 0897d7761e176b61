/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Implementation notes
 *
 * One table of function pointers, filled once under a static lock by
 * dash_soup_load() and never emptied: libsoup-3 stays loaded for the life
 * of the process (g_module_make_resident), so wrappers read the table
 * without locking.  Types are looked up by name at load time
 * (soup_server_get_type, soup_session_get_type) and objects created with
 * g_object_new_valist(), which is what soup_server_new() and
 * soup_session_new_with_options() do.
 *
 * libsoup-2.4 detection, before libsoup-3 is opened (libsoup-3's own
 * constructor aborts the process if it finds libsoup-2 symbols):
 * - a libsoup-2-only symbol (soup_uri_new) in the global scope, which is
 *   what libsoup-3 itself looks for;
 * - where dlopen() has RTLD_NOLOAD, libsoup-2.4.so.1 mapped at all (a
 *   library opened with RTLD_LOCAL keeps its symbols out of the global
 *   scope but would still clash on GType names).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gmodule.h>
#include <gst/gst.h>
#ifdef HAVE_RTLD_NOLOAD
#include <dlfcn.h>
#endif

#include "souploader.h"

GST_DEBUG_CATEGORY_STATIC (soup_loader_debug);
#define GST_CAT_DEFAULT soup_loader_debug

#define LIBSOUP_3_SONAME "libsoup-3.0.so.0"
#define LIBSOUP_2_SONAME "libsoup-2.4.so.1"
/* a function of libsoup-2.4 that libsoup-3 does not have */
#define LIBSOUP_2_SYMBOL "soup_uri_new"

/* *INDENT-OFF* */
#define SOUP_FUNC(name) __typeof__ (name) *name
typedef struct
{
  SOUP_FUNC (soup_get_major_version);
  SOUP_FUNC (soup_get_minor_version);
  SOUP_FUNC (soup_get_micro_version);

  SOUP_FUNC (soup_server_get_type);
  SOUP_FUNC (soup_server_add_handler);
  SOUP_FUNC (soup_server_listen);
  SOUP_FUNC (soup_server_listen_socket);
  SOUP_FUNC (soup_server_get_listeners);
  SOUP_FUNC (soup_server_disconnect);
  SOUP_FUNC (soup_server_message_get_method);
  SOUP_FUNC (soup_server_message_get_http_version);
  SOUP_FUNC (soup_server_message_get_request_headers);
  SOUP_FUNC (soup_server_message_get_response_headers);
  SOUP_FUNC (soup_server_message_get_response_body);
  SOUP_FUNC (soup_server_message_get_socket);
  SOUP_FUNC (soup_server_message_get_request_body);
  SOUP_FUNC (soup_server_message_get_uri);
  SOUP_FUNC (soup_server_message_get_remote_host);
  SOUP_FUNC (soup_server_message_set_status);
  SOUP_FUNC (soup_server_message_set_response);
  SOUP_FUNC (soup_server_message_pause);
  SOUP_FUNC (soup_server_message_unpause);
  SOUP_FUNC (soup_message_body_append);
  SOUP_FUNC (soup_message_body_append_bytes);
  SOUP_FUNC (soup_message_body_complete);

  SOUP_FUNC (soup_message_headers_get_one);
  SOUP_FUNC (soup_message_headers_replace);
  SOUP_FUNC (soup_message_headers_set_content_length);
  SOUP_FUNC (soup_message_headers_set_encoding);
  SOUP_FUNC (soup_message_headers_foreach);

  SOUP_FUNC (soup_session_get_type);
  SOUP_FUNC (soup_session_send_and_read_async);
  SOUP_FUNC (soup_session_send_and_read_finish);
  SOUP_FUNC (soup_session_get_async_result_message);
  SOUP_FUNC (soup_session_abort);
  SOUP_FUNC (soup_message_new);
  SOUP_FUNC (soup_message_get_request_headers);
  SOUP_FUNC (soup_message_get_status);
  SOUP_FUNC (soup_message_set_request_body);
  SOUP_FUNC (soup_message_set_request_body_from_bytes);
} SoupTable;
#undef SOUP_FUNC
/* *INDENT-ON* */

static SoupTable table;
static gboolean loaded;
G_LOCK_DEFINE_STATIC (load);

GQuark
dash_soup_error_quark (void)
{
  return g_quark_from_static_string ("dash-soup-error-quark");
}

static gboolean
soup2_in_process (void)
{
  GModule *self = g_module_open (NULL, 0);
  gpointer sym = NULL;
  gboolean found = FALSE;

  if (self) {
    found = g_module_symbol (self, LIBSOUP_2_SYMBOL, &sym);
    g_module_close (self);
  }
#ifdef HAVE_RTLD_NOLOAD
  if (!found) {
    void *handle = dlopen (LIBSOUP_2_SONAME, RTLD_NOW | RTLD_NOLOAD);
    if (handle) {
      found = TRUE;
      dlclose (handle);
    }
  }
#endif
  return found;
}

#define LOAD(name) G_STMT_START {                                        \
    if (!g_module_symbol (module, G_STRINGIFY (name),                    \
            (gpointer *) & t.name) || t.name == NULL) {                  \
      missing = G_STRINGIFY (name);                                      \
      goto no_symbol;                                                    \
    }                                                                    \
  } G_STMT_END

/* with the load lock */
static gboolean
load_locked (const gchar * user, GError ** error)
{
  GModule *module;
  SoupTable t = { 0, };
  const gchar *missing = NULL;

  if (soup2_in_process ()) {
    GST_WARNING ("%s is loaded: libsoup-3 is not", LIBSOUP_2_SONAME);
    g_set_error (error, DASH_SOUP_ERROR, DASH_SOUP_ERROR_SOUP2_LOADED,
        "%s needs libsoup-3.0, which cannot be loaded beside libsoup-2.4 "
        "(already loaded in this process: libsoup-3 would abort it)", user);
    return FALSE;
  }

  module = g_module_open (LIBSOUP_3_SONAME,
      G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (module == NULL) {
    g_set_error (error, DASH_SOUP_ERROR, DASH_SOUP_ERROR_UNAVAILABLE,
        "%s needs libsoup-3.0, which cannot be loaded: %s", user,
        g_module_error ());
    return FALSE;
  }

  LOAD (soup_get_major_version);
  LOAD (soup_get_minor_version);
  LOAD (soup_get_micro_version);
  LOAD (soup_server_get_type);
  LOAD (soup_server_add_handler);
  LOAD (soup_server_listen);
  LOAD (soup_server_listen_socket);
  LOAD (soup_server_get_listeners);
  LOAD (soup_server_disconnect);
  LOAD (soup_server_message_get_method);
  LOAD (soup_server_message_get_http_version);
  LOAD (soup_server_message_get_request_headers);
  LOAD (soup_server_message_get_response_headers);
  LOAD (soup_server_message_get_response_body);
  LOAD (soup_server_message_get_socket);
  LOAD (soup_server_message_get_request_body);
  LOAD (soup_server_message_get_uri);
  LOAD (soup_server_message_get_remote_host);
  LOAD (soup_server_message_set_status);
  LOAD (soup_server_message_set_response);
  LOAD (soup_server_message_pause);
  LOAD (soup_server_message_unpause);
  LOAD (soup_message_body_append);
  LOAD (soup_message_body_append_bytes);
  LOAD (soup_message_body_complete);
  LOAD (soup_message_headers_get_one);
  LOAD (soup_message_headers_replace);
  LOAD (soup_message_headers_set_content_length);
  LOAD (soup_message_headers_set_encoding);
  LOAD (soup_message_headers_foreach);
  LOAD (soup_session_get_type);
  LOAD (soup_session_send_and_read_async);
  LOAD (soup_session_send_and_read_finish);
  LOAD (soup_session_get_async_result_message);
  LOAD (soup_session_abort);
  LOAD (soup_message_new);
  LOAD (soup_message_get_request_headers);
  LOAD (soup_message_get_status);
  LOAD (soup_message_set_request_body);
  LOAD (soup_message_set_request_body_from_bytes);

  g_module_make_resident (module);
  table = t;
  GST_INFO ("loaded %s, libsoup %u.%u.%u", g_module_name (module),
      t.soup_get_major_version (), t.soup_get_minor_version (),
      t.soup_get_micro_version ());
  /* resident: the handle can go, the library stays */
  g_module_close (module);
  return TRUE;

  /* ERRORS */
no_symbol:
  {
    g_set_error (error, DASH_SOUP_ERROR, DASH_SOUP_ERROR_UNAVAILABLE,
        "%s needs libsoup-3.0 >= 3.2: %s has no %s", user,
        g_module_name (module), missing);
    g_module_close (module);
    return FALSE;
  }
}

#undef LOAD

gboolean
dash_soup_load (const gchar * user, GError ** error)
{
  gboolean ok;

  /* once loaded, the table never changes */
  if (g_atomic_int_get (&loaded))
    return TRUE;

  G_LOCK (load);
  if (soup_loader_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (soup_loader_debug, "dashlivesink-soup", 0,
        "dashlivesink's run-time libsoup-3 loader");
  ok = loaded || load_locked (user, error);
  if (ok)
    g_atomic_int_set (&loaded, TRUE);
  G_UNLOCK (load);
  return ok;
}

/* --- wrappers ------------------------------------------------------- */

SoupServer *
_soup_server_new (const char *optname1, ...)
{
  SoupServer *server;
  va_list ap;

  va_start (ap, optname1);
  server = (SoupServer *) g_object_new_valist (table.soup_server_get_type (),
      optname1, ap);
  va_end (ap);
  return server;
}

void
_soup_server_add_handler (SoupServer * server, const char *path,
    SoupServerCallback callback, gpointer user_data, GDestroyNotify destroy)
{
  table.soup_server_add_handler (server, path, callback, user_data, destroy);
}

gboolean
_soup_server_listen (SoupServer * server, GSocketAddress * address,
    SoupServerListenOptions options, GError ** error)
{
  return table.soup_server_listen (server, address, options, error);
}

gboolean
_soup_server_listen_socket (SoupServer * server, GSocket * socket,
    SoupServerListenOptions options, GError ** error)
{
  return table.soup_server_listen_socket (server, socket, options, error);
}

GSList *
_soup_server_get_listeners (SoupServer * server)
{
  return table.soup_server_get_listeners (server);
}

void
_soup_server_disconnect (SoupServer * server)
{
  table.soup_server_disconnect (server);
}

const char *
_soup_server_message_get_method (SoupServerMessage * msg)
{
  return table.soup_server_message_get_method (msg);
}

SoupHTTPVersion
_soup_server_message_get_http_version (SoupServerMessage * msg)
{
  return table.soup_server_message_get_http_version (msg);
}

SoupMessageHeaders *
_soup_server_message_get_request_headers (SoupServerMessage * msg)
{
  return table.soup_server_message_get_request_headers (msg);
}

SoupMessageHeaders *
_soup_server_message_get_response_headers (SoupServerMessage * msg)
{
  return table.soup_server_message_get_response_headers (msg);
}

SoupMessageBody *
_soup_server_message_get_response_body (SoupServerMessage * msg)
{
  return table.soup_server_message_get_response_body (msg);
}

GSocket *
_soup_server_message_get_socket (SoupServerMessage * msg)
{
  return table.soup_server_message_get_socket (msg);
}

SoupMessageBody *
_soup_server_message_get_request_body (SoupServerMessage * msg)
{
  return table.soup_server_message_get_request_body (msg);
}

GUri *
_soup_server_message_get_uri (SoupServerMessage * msg)
{
  return table.soup_server_message_get_uri (msg);
}

const char *
_soup_server_message_get_remote_host (SoupServerMessage * msg)
{
  return table.soup_server_message_get_remote_host (msg);
}

void
_soup_message_headers_foreach (SoupMessageHeaders * hdrs,
    SoupMessageHeadersForeachFunc func, gpointer user_data)
{
  table.soup_message_headers_foreach (hdrs, func, user_data);
}

void
_soup_server_message_set_status (SoupServerMessage * msg, guint status_code,
    const char *reason_phrase)
{
  table.soup_server_message_set_status (msg, status_code, reason_phrase);
}

void
_soup_server_message_set_response (SoupServerMessage * msg,
    const char *content_type, SoupMemoryUse use, const char *body, gsize length)
{
  table.soup_server_message_set_response (msg, content_type, use, body, length);
}

void
_soup_server_message_pause (SoupServerMessage * msg)
{
  table.soup_server_message_pause (msg);
}

void
_soup_server_message_unpause (SoupServerMessage * msg)
{
  table.soup_server_message_unpause (msg);
}

void
_soup_message_body_append (SoupMessageBody * body, SoupMemoryUse use,
    gconstpointer data, gsize length)
{
  table.soup_message_body_append (body, use, data, length);
}

void
_soup_message_body_append_bytes (SoupMessageBody * body, GBytes * bytes)
{
  table.soup_message_body_append_bytes (body, bytes);
}

void
_soup_message_body_complete (SoupMessageBody * body)
{
  table.soup_message_body_complete (body);
}

const char *
_soup_message_headers_get_one (SoupMessageHeaders * hdrs, const char *name)
{
  return table.soup_message_headers_get_one (hdrs, name);
}

void
_soup_message_headers_replace (SoupMessageHeaders * hdrs, const char *name,
    const char *value)
{
  table.soup_message_headers_replace (hdrs, name, value);
}

void
_soup_message_headers_set_content_length (SoupMessageHeaders * hdrs,
    goffset content_length)
{
  table.soup_message_headers_set_content_length (hdrs, content_length);
}

void
_soup_message_headers_set_encoding (SoupMessageHeaders * hdrs,
    SoupEncoding encoding)
{
  table.soup_message_headers_set_encoding (hdrs, encoding);
}

SoupSession *
_soup_session_new_with_options (const char *optname1, ...)
{
  SoupSession *session;
  va_list ap;

  va_start (ap, optname1);
  session = (SoupSession *)
      g_object_new_valist (table.soup_session_get_type (), optname1, ap);
  va_end (ap);
  return session;
}

void
_soup_session_send_and_read_async (SoupSession * session, SoupMessage * msg,
    int io_priority, GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  table.soup_session_send_and_read_async (session, msg, io_priority,
      cancellable, callback, user_data);
}

GBytes *
_soup_session_send_and_read_finish (SoupSession * session,
    GAsyncResult * result, GError ** error)
{
  return table.soup_session_send_and_read_finish (session, result, error);
}

SoupMessage *
_soup_session_get_async_result_message (SoupSession * session,
    GAsyncResult * result)
{
  return table.soup_session_get_async_result_message (session, result);
}

void
_soup_session_abort (SoupSession * session)
{
  table.soup_session_abort (session);
}

SoupMessage *
_soup_message_new (const char *method, const char *uri_string)
{
  return table.soup_message_new (method, uri_string);
}

SoupMessageHeaders *
_soup_message_get_request_headers (SoupMessage * msg)
{
  return table.soup_message_get_request_headers (msg);
}

guint
_soup_message_get_status (SoupMessage * msg)
{
  return table.soup_message_get_status (msg);
}

void
_soup_message_set_request_body (SoupMessage * msg, const char *content_type,
    GInputStream * stream, gssize content_length)
{
  table.soup_message_set_request_body (msg, content_type, stream,
      content_length);
}

void
_soup_message_set_request_body_from_bytes (SoupMessage * msg,
    const char *content_type, GBytes * bytes)
{
  table.soup_message_set_request_body_from_bytes (msg, content_type, bytes);
}
