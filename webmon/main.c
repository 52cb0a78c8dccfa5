/* phedex-webmon — the operators' status page, its JSON API (/api/v1/...) and
 * /metrics, read-only, served by libmicrohttpd: one PostgreSQL connection
 * per server thread, each page one read-only snapshot.
 *
 *   phedex-webmon --db CONNINFO --listen 127.0.0.1:8080 [--threads 4] [--refresh 60] [--check]
 *   phedex-webmon --db CONNINFO --grant-reader ROLE */
#include "config.h"
#include "webmon.h"
#include <glib-unix.h>
#include <microhttpd.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <arpa/inet.h>

static struct
{
  char *conninfo;
  int refresh;
  gint64 down_since; /* µs (real time) since the database is unreachable, 0 when up */
  GMutex lock;
} server = { .refresh = 60 };

/* Per server thread: its connection and when to try again after losing it. */
static __thread PxTmdb *thread_db;
/* Every server thread's connection, so they are closed when the server stops
 * (libmicrohttpd owns the threads). */
static GMutex dbs_lock;
static GPtrArray *dbs;

static void
drop_thread_db (void)
{
  if (!thread_db)
    return;
  guint i;
  g_mutex_lock (&dbs_lock);
  if (g_ptr_array_find (dbs, thread_db, &i))
    g_ptr_array_remove_index_fast (dbs, i); /* closes it (the array's free function) */
  g_mutex_unlock (&dbs_lock);
  thread_db = NULL;
}
static __thread gint64 thread_retry_at, thread_backoff;

static const char *const security_headers[][2] = {
  { "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'self'" },
  { "X-Content-Type-Options", "nosniff" },
  { "Referrer-Policy", "no-referrer" },
  { "Cache-Control", "no-store" },
};

static void
mark_down (void)
{
  g_mutex_lock (&server.lock);
  if (!server.down_since)
    server.down_since = g_get_real_time ();
  g_mutex_unlock (&server.lock);
}

static void
mark_up (void)
{
  g_mutex_lock (&server.lock);
  if (server.down_since)
    g_message ("database reachable again");
  server.down_since = 0;
  g_mutex_unlock (&server.lock);
}

static gint64
down_since (void)
{
  g_mutex_lock (&server.lock);
  gint64 t = server.down_since;
  g_mutex_unlock (&server.lock);
  return t;
}

/* Read-only session: default_transaction_read_only and a 5 s statement_timeout.
 * Every execution planned with its parameters (force_custom_plan): the
 * page statements' optional filters ($1 IS NULL OR ...) and windows make
 * PostgreSQL's generic plan, chosen after five executions, up to 20 times
 * slower (the 24-hour history of all links: 30 ms custom, 540 ms generic)
 * for about a millisecond of planning saved. */
static PxTmdb *
connect_reader (GError **error)
{
  g_autoptr(PxTmdb) db = px_tmdb_connect (server.conninfo, "phedex-webmon", error);
  if (!db)
    return NULL;
  if (!px_tmdb_exec_sql (db, "SET default_transaction_read_only = on; SET statement_timeout = '5s'; "
                             "SET idle_in_transaction_session_timeout = '30s'; SET plan_cache_mode = force_custom_plan", error)
      || !px_tmdb_check_schema (db, error))
    return NULL;
  return g_steal_pointer (&db);
}

/* This thread's connection, reconnecting with back-off (1 s doubling to 30 s). */
static PxTmdb *
thread_connection (GError **error)
{
  if (thread_db && px_tmdb_is_ok (thread_db))
    return thread_db;
  drop_thread_db ();
  gint64 now = g_get_monotonic_time ();
  if (now < thread_retry_at)
    {
      g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_RETRY, "not retrying the database for %" G_GINT64_FORMAT " s",
                   (thread_retry_at - now) / G_USEC_PER_SEC + 1);
      return NULL;
    }
  thread_db = connect_reader (error);
  if (thread_db)
    {
      g_mutex_lock (&dbs_lock);
      g_ptr_array_add (dbs, thread_db);
      g_mutex_unlock (&dbs_lock);
    }
  if (!thread_db)
    {
      thread_backoff = CLAMP (thread_backoff * 2, G_USEC_PER_SEC, 30 * G_USEC_PER_SEC);
      thread_retry_at = now + thread_backoff;
      return NULL;
    }
  thread_backoff = 0;
  return thread_db;
}

/* ---- the page around a page's content ---- */

static const char style[] =
  ":root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--mute:#666;--line:#ccc;--bad:#b00020;--ok:#1a6b2a;--band:#f3f3f3}"
  "@media (prefers-color-scheme:dark){:root{--fg:#e8e8e8;--bg:#121212;--mute:#aaa;--line:#444;--bad:#ff7b8a;--ok:#7bd88f;"
  "--band:#1e1e1e}}"
  "body{font:14px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:1em 2em}"
  "a{color:inherit}nav a{margin-right:1em}table{border-collapse:collapse;margin:.5em 0 1.5em}"
  "caption{text-align:left;font-weight:bold;padding:.3em 0}th,td{border-bottom:1px solid var(--line);padding:.2em .6em;"
  "text-align:left;vertical-align:top}.n{text-align:right;font-variant-numeric:tabular-nums}"
  "tbody tr:nth-child(even){background:var(--band)}.meta{color:var(--mute)}"
  ".banner{border:2px solid var(--bad);color:var(--bad);padding:.5em 1em;font-weight:bold}"
  ".st-ok{color:var(--ok)}.st-failing,.st-agents_down,.st-stalled{color:var(--bad)}"
  "svg{max-width:100%;height:auto}svg text{font-size:11px;fill:var(--fg)}svg .axis,svg .now{stroke:var(--mute)}"
  ".legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1em}"
  ".swatch{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}"
  "pre{white-space:pre-wrap;word-break:break-all;max-width:100em}";

static void
page_start (GString *out, const char *title, int refresh)
{
  g_string_append (out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
                        "<meta name=\"viewport\" content=\"width=device-width\"/>");
  if (refresh > 0)
    g_string_append_printf (out, "<meta http-equiv=\"refresh\" content=\"%d\"/>", refresh);
  g_string_append (out, "<title>");
  px_web_html (out, title);
  g_string_append (out, " — phedex</title><style>");
  g_string_append (out, style);
  g_string_append (out, "</style></head>\n<body><header><nav><a href=\"/\">overview</a><a href=\"/links\">links</a>"
                        "<a href=\"/nodes\">nodes</a><a href=\"/errors\">errors</a><a href=\"/agents\">agents</a>"
                        "<a href=\"/subscriptions\">subscriptions</a><a href=\"/data\">data</a>"
                        "<a href=\"/metrics\">metrics</a></nav></header>\n<main>\n<h1>");
  px_web_html (out, title);
  g_string_append (out, "</h1>\n");
}

static void
page_end (GString *out)
{
  g_string_append (out, "</main>\n<footer class=\"meta\">phedex-webmon " PACKAGE_VERSION
                        " · <a href=\"/api/v1/version\">API</a></footer></body></html>\n");
}

/* ---- responses ---- */

static enum MHD_Result
respond (struct MHD_Connection *c, int status, const char *type, GString *body, const char *allow, int retry_after)
{
  gsize len = body->len;
  char *data = g_string_free (body, FALSE);
  struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback (len, data, g_free);
  for (guint i = 0; i < G_N_ELEMENTS (security_headers); i++)
    MHD_add_response_header (r, security_headers[i][0], security_headers[i][1]);
  MHD_add_response_header (r, "Content-Type", type);
  if (allow)
    MHD_add_response_header (r, "Allow", allow);
  if (retry_after > 0)
    {
      char s[16];
      g_snprintf (s, sizeof s, "%d", retry_after);
      MHD_add_response_header (r, "Retry-After", s);
    }
  enum MHD_Result ret = MHD_queue_response (c, (unsigned) status, r);
  MHD_destroy_response (r);
  return ret;
}

#define HTML "text/html; charset=utf-8"
#define JSON "application/json"

/* An error as the asker reads it: a small page or {"error": ...}. */
static enum MHD_Result
respond_error (struct MHD_Connection *c, gboolean api, int status, const char *message, int retry_after,
               const char *allow)
{
  GString *out = g_string_new (NULL);
  if (api)
    {
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_SPACED);
      px_json_begin_object (&j, NULL);
      px_json_int (&j, "status", status);
      px_json_string (&j, "error", message);
      px_json_end (&j);
      g_string_append (out, j.out->str);
      g_string_append_c (out, '\n');
      return respond (c, status, JSON, out, allow, retry_after);
    }
  page_start (out, status == 503 ? "database unreachable" : "error", retry_after > 0 ? retry_after : 0);
  g_string_append (out, status == 503 ? "<p class=\"banner\" role=\"alert\">" : "<p role=\"alert\">");
  px_web_html (out, message);
  g_string_append (out, "</p>\n");
  page_end (out);
  return respond (c, status, HTML, out, allow, retry_after);
}

static enum MHD_Result
collect_arg (void *data, enum MHD_ValueKind kind, const char *key, const char *value)
{
  GHashTable *args = data;
  if (!g_hash_table_contains (args, key))
    g_hash_table_insert (args, g_strdup (key), g_strdup (value ? value : ""));
  else
    g_hash_table_insert (args, g_strdup ("\x01" "duplicate"), g_strdup (key));
  return MHD_YES;
}

static gboolean
valid_iso8601 (const char *s)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) d = g_date_time_new_from_iso8601 (s, utc);
  return d != NULL;
}

/* Check the query parameters against the route's list and the shared ones
 * (period, by, until, refresh); the first bad one's name in *BAD. */
static gboolean
check_args (GHashTable *args, const char *const *params, char **bad, char **why)
{
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, args);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      const char *key = k, *value = v;
      if (key[0] == '\x01')
        {
          *bad = g_strdup (value);
          *why = g_strdup ("given more than once");
          return FALSE;
        }
      if (!g_utf8_validate (value, -1, NULL) || strlen (value) > 1024)
        {
          *bad = g_strdup (key);
          *why = g_strdup ("not valid UTF-8 or too long");
          return FALSE;
        }
      gboolean ok = FALSE, known = FALSE;
      if (strcmp (key, "period") == 0)
        known = TRUE, ok = g_strv_contains ((const char *const[]){ "1h", "24h", "7d", NULL }, value);
      else if (strcmp (key, "by") == 0)
        known = TRUE, ok = g_strv_contains ((const char *const[]){ "link", "src", "dst", NULL }, value);
      else if (strcmp (key, "until") == 0)
        known = TRUE, ok = valid_iso8601 (value);
      else if (strcmp (key, "refresh") == 0)
        {
          char *end = NULL;
          gint64 n = g_ascii_strtoll (value, &end, 10);
          known = TRUE, ok = *value && end && !*end && n >= 0 && n <= 3600;
        }
      else
        for (guint i = 0; params && params[i]; i++)
          if (strcmp (key, params[i]) == 0)
            known = ok = TRUE;
      if (!ok)
        {
          *bad = g_strdup (key);
          *why = g_strdup (known ? "bad value" : "unknown parameter");
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
is_retry (const GError *e)
{
  return e && e->domain == PX_TMDB_ERROR && e->code == PX_TMDB_ERROR_RETRY;
}

static enum MHD_Result
answer_metrics (struct MHD_Connection *c)
{
  GString *out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  PxTmdb *db = thread_connection (&error);
  /* One statement: its own snapshot, no transaction to open and close. */
  if (px_web_metrics (db, out, db != NULL))
    mark_up ();
  else
    mark_down ();
  return respond (c, 200, "text/plain; version=0.0.4; charset=utf-8", out, NULL, 0);
}

static enum MHD_Result
handle (void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
        const char *upload_data, size_t *upload_size, void **state)
{
  static int first;
  if (*state == NULL)
    {
      *state = &first;
      return MHD_YES;
    }
  gint64 t0 = g_get_monotonic_time ();
  gboolean api = g_str_has_prefix (url, "/api/v1/") || strcmp (url, "/api/v1") == 0;
  const char *path = api ? url + strlen ("/api/v1") : url;
  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
    return respond_error (c, api, 405, "only GET and HEAD", 0, "GET, HEAD");
  if (*upload_size)
    return respond_error (c, api, 400, "no request body expected", 0, NULL);

  if (!api && strcmp (path, "/metrics") == 0)
    {
      enum MHD_Result r = answer_metrics (c);
      px_web_metrics_request ("metrics", 200, (g_get_monotonic_time () - t0) / 1e6);
      return r;
    }
  if (api && strcmp (path, "/version") == 0)
    {
      GString *out = g_string_new (NULL);
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_SPACED);
      px_json_begin_object (&j, NULL);
      px_json_string (&j, "name", "phedex-webmon");
      px_json_string (&j, "version", PACKAGE_VERSION);
      px_json_int (&j, "schema", px_tmdb_schema_latest ());
      px_json_string (&j, "api", "v1");
      px_json_end (&j);
      g_string_append_printf (out, "%s\n", j.out->str);
      return respond (c, 200, JSON, out, NULL, 0);
    }

  g_auto(GStrv) parts = g_strsplit (path[0] == '/' ? path + 1 : path, "/", -1);
  guint n = g_strv_length (parts);
  if (n > 1 && parts[n - 1][0] == '\0') /* a trailing slash */
    {
      g_free (parts[n - 1]);
      parts[--n] = NULL;
    }
  const PxWebRoute *route = px_web_route (n ? parts[0] : "", n ? (int) n - 1 : 0);
  if (!route)
    return respond_error (c, api, 404, "no such page", 0, NULL);
  g_autoptr(GHashTable) args = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  MHD_get_connection_values (c, MHD_GET_ARGUMENT_KIND, collect_arg, args);
  g_autofree char *bad = NULL, *why = NULL;
  if (!check_args (args, route->params, &bad, &why))
    {
      g_autofree char *m = g_strdup_printf ("parameter '%s': %s", bad, why);
      return respond_error (c, api, 400, m, 0, NULL);
    }

  if (strcmp (route->name, "healthz") == 0)
    {
      g_autoptr(GError) error = NULL;
      PxTmdb *db = thread_connection (&error);
      g_autoptr(PxRows) r = db ? px_tmdb_query0 (db, px_sql_webmon_now, &error) : NULL;
      if (!r && db && is_retry (error))
        drop_thread_db ();
      r ? mark_up () : mark_down ();
      GString *out = g_string_new (r ? "ok\n" : "database unreachable\n");
      return respond (c, r ? 200 : 503, "text/plain; charset=utf-8", out, NULL, r ? 0 : 10);
    }

  const char *rf = g_hash_table_lookup (args, "refresh");
  int refresh = rf ? atoi (rf) : server.refresh;
  g_autoptr(GError) error = NULL;
  PxTmdb *db = thread_connection (&error);
  PxWebReq req = { .db = db, .api = api, .path = path, .args = args, .status = 200 };
  req.html = g_string_new (NULL);
  req.title = g_string_new (NULL);
  px_json_init (&req.json, PX_JSON_SPACED);
  px_json_begin_object (&req.json, NULL);
  const char *period = g_hash_table_lookup (args, "period");
  req.period = !period || strcmp (period, "1h") == 0 ? 3600 : strcmp (period, "24h") == 0 ? 86400 : 7 * 86400;
  req.by = g_hash_table_lookup (args, "by") ? g_hash_table_lookup (args, "by") : "link";
  gboolean ok = FALSE;
  if (db && px_tmdb_exec_sql (db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", &error))
    {
      g_autoptr(PxRows) now = px_tmdb_query0 (db, px_sql_webmon_now, &error);
      if (now)
        {
          req.now_utc = g_strdup (px_rows_text (now, 0, "now_utc"));
          req.now = px_rows_double (now, 0, "now_epoch");
          req.end = req.now;
          const char *until = g_hash_table_lookup (args, "until");
          if (until)
            {
              g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
              g_autoptr(GDateTime) u = g_date_time_new_from_iso8601 (until, utc);
              if (u)
                req.end = MIN ((double) g_date_time_to_unix (u), req.now);
            }
          ok = route->page (&req, parts + 1, &error);
        }
      px_tmdb_rollback (db);
    }
  enum MHD_Result result;
  double secs = (g_get_monotonic_time () - t0) / 1e6;
  if (!ok && (is_retry (error) || !db || !px_tmdb_is_ok (db)))
    {
      drop_thread_db ();
      mark_down ();
      g_autoptr(GDateTime) since = g_date_time_new_from_unix_utc (down_since () / G_USEC_PER_SEC);
      g_autofree char *t = g_date_time_format (since, "%Y-%m-%dT%H:%M:%SZ");
      g_autofree char *m = g_strdup_printf ("database unreachable since %s; retrying (%s)", t,
                                            error ? error->message : "no connection");
      g_warning ("%s", m);
      result = respond_error (c, api, 503, m, 10, NULL);
      req.status = 503;
    }
  else if (!ok)
    {
      g_warning ("%s: %s", url, error->message);
      result = respond_error (c, api, 500, error->message, 0, NULL);
      req.status = 500;
    }
  else
    {
      mark_up ();
      GString *out = g_string_new (NULL);
      if (api)
        {
          px_json_string (&req.json, "as_of", req.now_utc);
          px_json_int (&req.json, "query_ms", (gint64) (secs * 1000));
          px_json_end (&req.json);
          g_string_append (out, req.json.out->str);
          g_string_append_c (out, '\n');
        }
      else
        {
          page_start (out, req.title->str, refresh);
          g_string_append (out, "<p class=\"meta\">as of <time>");
          px_web_html (out, req.now_utc);
          g_string_append_printf (out, "</time> (database time) · query %.0f ms</p>\n", secs * 1000);
          g_string_append_len (out, req.html->str, (gssize) req.html->len);
          page_end (out);
        }
      result = respond (c, req.status, api ? JSON : HTML, out, NULL, 0);
    }
  px_web_metrics_request (route->name[0] ? route->name : "overview", req.status, secs);
  g_string_free (req.html, TRUE);
  g_string_free (req.title, TRUE);
  px_json_clear (&req.json);
  g_free (req.now_utc);
  return result;
}

static void
request_done (void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode toe)
{
  *state = NULL;
}

/* --check and start-up: the role, its rights, the schema. */
static gboolean
check_role (GError **error)
{
  g_autoptr(PxTmdb) db = connect_reader (error);
  if (!db)
    return FALSE;
  g_autoptr(PxRows) r = px_tmdb_query0 (db, px_sql_webmon_can_write, error);
  if (!r)
    return FALSE;
  if (px_rows_bool (r, 0, "can_write"))
    g_warning ("role '%s' can write to the TMDB; webmon only reads (its sessions are read-only): give it a reader "
               "role ('phedex-webmon --grant-reader ROLE' as the owner)", px_rows_text (r, 0, "role"));
  else
    g_message ("role '%s' can only read: good", px_rows_text (r, 0, "role"));
  return TRUE;
}

static gboolean
parse_listen (const char *listen, struct sockaddr_in *sa, GError **error)
{
  const char *colon = strrchr (listen, ':');
  g_autofree char *host = colon ? g_strndup (listen, colon - listen) : g_strdup ("127.0.0.1");
  const char *port = colon ? colon + 1 : listen;
  char *end = NULL;
  gint64 p = g_ascii_strtoll (port, &end, 10);
  memset (sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  if (!*port || *end || p < 1 || p > 65535 || inet_pton (AF_INET, *host ? host : "0.0.0.0", &sa->sin_addr) != 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--listen '%s': expected ADDRESS:PORT (IPv4)", listen);
      return FALSE;
    }
  sa->sin_port = htons ((guint16) p);
  return TRUE;
}

static gboolean
quit (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autofree char *db = NULL, *listen = NULL, *grant = NULL;
  int threads = 4;
  gboolean check = FALSE;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_STRING, &db, "TMDB connection (libpq conninfo; default $PHEDEX_DB, else PG* environment); "
      "use a read-only role", "CONNINFO" },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "address and port to serve (default 127.0.0.1:8080)", "ADDR:PORT" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "server threads, each with its own database connection (default 4)", "N" },
    { "refresh", 'r', 0, G_OPTION_ARG_INT, &server.refresh, "pages reload every N seconds (default 60, 0: never)", "N" },
    { "check", 0, 0, G_OPTION_ARG_NONE, &check, "check the configuration, the database and the role, then exit", NULL },
    { "grant-reader", 0, 0, G_OPTION_ARG_STRING, &grant, "create (or update) ROLE as a login role that may only read "
      "the TMDB (run as the TMDB's owner), then exit", "ROLE" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("");
  g_option_context_set_summary (ctx, "The operators' status page: links, nodes, errors, agents, subscriptions and data "
                                     "as HTML, the same as JSON under /api/v1/, and /metrics for Prometheus.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  px_log_init ("webmon");
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc > 1)
    {
      fprintf (stderr, "phedex-webmon: %s\nTry 'phedex-webmon -h' for usage.\n",
               error ? error->message : "unexpected argument");
      return PX_EXIT_USAGE;
    }
  struct sockaddr_in sa;
  if (threads < 1 || threads > 64 || server.refresh < 0 || server.refresh > 3600
      || !parse_listen (listen ? listen : "127.0.0.1:8080", &sa, &error))
    {
      fprintf (stderr, "phedex-webmon: %s\n", error ? error->message : "--threads 1..64, --refresh 0..3600");
      return PX_EXIT_USAGE;
    }
  server.conninfo = g_strdup (db ? db : g_getenv ("PHEDEX_DB"));
  if (grant)
    {
      g_autoptr(PxTmdb) owner = px_tmdb_connect (server.conninfo, "phedex-webmon", &error);
      g_autoptr(PxRows) r = owner && px_tmdb_check_schema (owner, &error)
                              ? px_tmdb_query (owner, px_sql_webmon_grant_reader, &error, PX_TEXT (grant)) : NULL;
      if (!r)
        {
          fprintf (stderr, "phedex-webmon: cannot grant reading to '%s': %s\n", grant, error->message);
          return PX_EXIT_FAILURE;
        }
      printf ("role '%s' may read the TMDB (SELECT only, read-only sessions); give it a password or a pg_hba rule "
              "and use it in --db\n", grant);
      return PX_EXIT_OK;
    }
  if (!check_role (&error))
    {
      fprintf (stderr, "phedex-webmon: %s\n", error->message);
      if (check)
        return PX_EXIT_FAILURE;
      g_warning ("starting anyway; pages answer 503 until the database is back");
      g_clear_error (&error);
    }
  if (check)
    {
      printf ("ok: would serve http://%s with %d threads\n", listen ? listen : "127.0.0.1:8080", threads);
      return PX_EXIT_OK;
    }
  signal (SIGPIPE, SIG_IGN);
  dbs = g_ptr_array_new_with_free_func ((GDestroyNotify) px_tmdb_free);
  struct MHD_Daemon *d = MHD_start_daemon (
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY, 0, NULL, NULL, handle, NULL,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned) threads,
      MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 30,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned) 256, MHD_OPTION_END);
  if (!d)
    {
      fprintf (stderr, "phedex-webmon: cannot listen on %s\n", listen ? listen : "127.0.0.1:8080");
      return PX_EXIT_FAILURE;
    }
  g_message ("serving http://%s/ with %d threads", listen ? listen : "127.0.0.1:8080", threads);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit, loop);
  g_unix_signal_add (SIGINT, quit, loop);
  g_main_loop_run (loop);
  MHD_stop_daemon (d);
  g_ptr_array_free (dbs, TRUE); /* the threads are gone: close their connections */
  g_message ("stopped");
  return PX_EXIT_OK;
}
