/* pages.c — webmon's pages: each reads its statements (the CLI's reports
 * where there is one) and writes HTML or, under /api/v1, JSON members,
 * through the library's table layer where the rows are a table. */
#include "config.h"
#include "webmon.h"
#include "routing/route.h"
#include <math.h>
#include <string.h>

/* ---- escaping, one function per output context ---- */

void
px_web_html (GString *out, const char *text)
{
  px_html_escape (out, text);
}

void
px_web_url (GString *out, const char *component)
{
  g_autofree char *valid = g_utf8_make_valid (component ? component : "", -1);
  g_autofree char *e = g_uri_escape_string (valid, NULL, FALSE);
  px_html_escape (out, e);
}

void
px_web_prom_label (GString *out, const char *value)
{
  value = value ? value : "";
  /* (Most labels are valid already: no copy for them.) */
  g_autofree char *valid = g_utf8_validate (value, -1, NULL) ? NULL : g_utf8_make_valid (value, -1);
  for (const char *p = valid ? valid : value; *p; p++)
    switch (*p)
      {
      case '\\': g_string_append (out, "\\\\"); break;
      case '"': g_string_append (out, "\\\""); break;
      case '\n': g_string_append (out, "\\n"); break;
      default: g_string_append_c (out, *p);
      }
}

char *
px_web_like_prefix (const char *prefix)
{
  GString *p = g_string_new (NULL);
  for (const char *c = prefix; *c; c++)
    {
      if (*c == '%' || *c == '_' || *c == '\\')
        g_string_append_c (p, '\\');
      g_string_append_c (p, *c);
    }
  g_string_append_c (p, '%');
  return g_string_free (p, FALSE);
}

void
px_web_bytes (GString *out, gint64 bytes)
{
  g_autofree char *s = g_format_size ((guint64) MAX (bytes, 0));
  g_string_append (out, s);
}

static const char *
arg (PxWebReq *req, const char *key)
{
  return g_hash_table_lookup (req->args, key);
}

static void
link_to (GString *out, const char *prefix, const char *a, const char *b, const char *text)
{
  g_string_append (out, "<a href=\"");
  g_string_append (out, prefix);
  px_web_url (out, a);
  if (b)
    {
      g_string_append_c (out, '/');
      px_web_url (out, b);
    }
  g_string_append (out, "\">");
  px_web_html (out, text);
  g_string_append (out, "</a>");
}

static void
period_links (PxWebReq *req, const char *base)
{
  g_string_append (req->html, "<p>period:");
  const char *names[] = { "1h", "24h", "7d" };
  for (guint i = 0; i < 3; i++)
    g_string_append_printf (req->html, " <a href=\"%s?period=%s&amp;by=%s\">%s</a>", base, names[i], req->by, names[i]);
  g_string_append (req->html, " · stacked by:");
  const char *bys[] = { "link", "src", "dst" };
  for (guint i = 0; i < 3; i++)
    g_string_append_printf (req->html, " <a href=\"%s?period=%s&amp;by=%s\">%s</a>", base,
                            req->period == 3600 ? "1h" : req->period == 86400 ? "24h" : "7d", bys[i], bys[i]);
  g_string_append (req->html, "</p>\n");
}

/* The API's form of plots (): the bins as rows, no plot built. */
static gboolean
history_json (PxWebReq *req, const PxRows *h, gint64 step)
{
  px_json_int (&req->json, "step", step);
  px_json_begin_array (&req->json, "history");
  for (guint i = 0; i < px_rows_count (h); i++)
    {
      double seconds = px_rows_double (h, i, "seconds");
      px_json_begin_object (&req->json, NULL);
      px_json_string (&req->json, "series", px_rows_text (h, i, "series"));
      px_json_int (&req->json, "t", px_rows_int (h, i, "t"));
      px_json_int (&req->json, "seconds", (gint64) seconds);
      px_json_int (&req->json, "rate", (gint64) (px_rows_double (h, i, "done_bytes") / seconds + 0.5));
      px_json_int (&req->json, "done_bytes", px_rows_int (h, i, "done_bytes"));
      px_json_int (&req->json, "done_files", px_rows_int (h, i, "done_files"));
      px_json_int (&req->json, "fail_files", px_rows_int (h, i, "fail_files"));
      px_json_int (&req->json, "queued_files", px_rows_int (h, i, "queued_files"));
      px_json_int (&req->json, "queued_bytes", px_rows_int (h, i, "queued_bytes"));
      px_json_end (&req->json);
    }
  px_json_end (&req->json);
  return TRUE;
}

/* Rate and queue plots over req->period up to req->end (until=), stacked
 * by req->by [one link].  Bins of 5 minutes, or of an hour over 7 days or
 * for a window older than the 8 days of 5-minute history kept (the hourly
 * rollups).  A bin's rate is its bytes over the time it covers up to now,
 * as the overview's rate: the partial current bin is not diluted. */
static gboolean
plots (PxWebReq *req, const char *from, const char *to, GError **error)
{
  gint64 end = (gint64) req->end, now = (gint64) req->now;
  gint64 step = req->period > 86400 || end - req->period < now - 8 * 86400 + 3600 ? 3600 : 300;
  g_autoptr(PxRows) h = px_tmdb_query (req->db, px_sql_webmon_history, error, PX_INT (req->period), PX_INT (step),
                                      PX_TEXT (req->by), PX_TEXT (from), PX_TEXT (to), PX_DOUBLE (req->end));
  if (!h)
    return FALSE;
  if (req->api)
    return history_json (req, h, step);
  g_autoptr(PxPlot) rate = px_plot_new ("transfer rate", "B/s", end - req->period, end, step, now);
  g_autoptr(PxPlot) queue = px_plot_new (step == 300 ? "queued bytes (the router's samples)"
                                                     : "queued bytes (the router's highest sample in the hour)",
                                         "B", end - req->period, end, step, now);
  g_autoptr(PxPlot) fails = px_plot_new ("failed files", "files", end - req->period, end, step, now);
  for (guint i = 0; i < px_rows_count (h); i++)
    {
      const char *s = px_rows_text (h, i, "series");
      gint64 t = px_rows_int (h, i, "t");
      px_plot_add (rate, s, t, px_rows_double (h, i, "done_bytes") / px_rows_double (h, i, "seconds"));
      px_plot_add (queue, s, t, px_rows_double (h, i, "queued_bytes"));
      px_plot_add (fails, s, t, px_rows_double (h, i, "fail_files"));
    }
  px_plot_svg (rate, req->html);
  px_plot_svg (queue, req->html);
  if (from)
    px_plot_svg (fails, req->html);
  return TRUE;
}

/* ---- / : one row per link with its state ---- */

static const PxTableColumn overview_columns[] = {
  { "from", "FROM", PX_TABLE_TEXT, .sql = "from_name" },
  { "to", "TO", PX_TABLE_TEXT, .sql = "to_name" },
  { "state", "STATE", PX_TABLE_TEXT },
  { "reason", "WHY", PX_TABLE_TEXT },
  { "rate", "RATE (1H)", PX_TABLE_RATE },
  { "done_files", "DONE (1H)", PX_TABLE_INT },
  { "failed_files", "FAILED (1H)", PX_TABLE_INT },
  { "expired_files", "EXPIRED (1H)", PX_TABLE_INT },
  { "success", "SUCCESS (1H)", PX_TABLE_INT },
  { "queued_files", "QUEUED", PX_TABLE_INT },
  { "queued_bytes", "QUEUED BYTES", PX_TABLE_BYTES },
  { "active_files", "ACTIVE", PX_TABLE_INT },
  { "oldest_queued", "OLDEST QUEUED", PX_TABLE_SECONDS },
  { "download_alive", "DOWNLOAD", PX_TABLE_BOOL },
  { "source_tfc", "SOURCE STORAGE.XML", PX_TABLE_BOOL },
  { NULL }
};

static const char *
state_symbol (const char *state)
{
  static const char *const map[][2] = { { "ok", "✔" }, { "idle", "○" }, { "inactive", "⏸" }, { "agents_down", "✖" },
                                         { "failing", "✖" }, { "warning", "⚠" }, { "stalled", "⧗" } };
  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (g_strcmp0 (state, map[i][0]) == 0)
      return map[i][1];
  return "?";
}

static void
cell (GString *out, const char *text, gboolean number)
{
  g_string_append (out, number ? "<td class=\"n\">" : "<td>");
  px_web_html (out, text ? text : "-");
  g_string_append (out, "</td>");
}

static void
cell_bytes (GString *out, const PxRows *r, guint i, const char *col, const char *suffix)
{
  if (px_rows_is_null (r, i, col))
    return cell (out, "-", TRUE);
  g_autofree char *s = g_format_size ((guint64) MAX (px_rows_int (r, i, col), 0));
  g_autofree char *t = g_strconcat (s, suffix, NULL);
  cell (out, t, TRUE);
}

static gboolean
page_overview (PxWebReq *req, char **parts, GError **error)
{
  g_autoptr(PxRows) r = px_tmdb_query (req->db, px_sql_webmon_overview, error, PX_NULL, PX_NULL);
  if (!r)
    return FALSE;
  g_string_assign (req->title, "transfer overview");
  if (req->api)
    {
      g_autoptr(PxTable) t = px_table_new (overview_columns);
      px_table_add_rows (t, r);
      px_json_table (&req->json, "links", t);
      return plots (req, NULL, NULL, error);
    }
  GString *o = req->html;
  g_string_append (o, "<table><caption>links: the last hour and the queue now</caption>\n<thead><tr>"
                      "<th scope=\"col\">link</th><th scope=\"col\">state</th><th scope=\"col\">why</th>"
                      "<th scope=\"col\" class=\"n\">rate (1h)</th><th scope=\"col\" class=\"n\">done (1h)</th>"
                      "<th scope=\"col\" class=\"n\">failed (1h)</th><th scope=\"col\" class=\"n\">expired (1h)</th>"
                      "<th scope=\"col\" class=\"n\">success (1h)</th><th scope=\"col\" class=\"n\">queued</th>"
                      "<th scope=\"col\" class=\"n\">queued bytes</th><th scope=\"col\" class=\"n\">active</th>"
                      "<th scope=\"col\" class=\"n\">oldest queued</th></tr></thead>\n<tbody>\n");
  for (guint i = 0; i < px_rows_count (r); i++)
    {
      const char *from = px_rows_text (r, i, "from_name"), *to = px_rows_text (r, i, "to_name");
      const char *state = px_rows_text (r, i, "state");
      g_autofree char *label = g_strdup_printf ("%s → %s", from, to);
      g_string_append_printf (o, "<tr data-link=\"");
      px_web_html (o, from);
      g_string_append_c (o, '>');
      px_web_html (o, to);
      g_string_append (o, "\"><th scope=\"row\">");
      link_to (o, "/links/", from, to, label);
      g_string_append_printf (o, "</th><td class=\"st-%s\" data-state=\"%s\">%s %s</td>", state, state,
                              state_symbol (state), state);
      cell (o, px_rows_text (r, i, "reason"), FALSE);
      cell_bytes (o, r, i, "rate", "/s");
      cell (o, px_rows_text (r, i, "done_files"), TRUE);
      cell (o, px_rows_text (r, i, "failed_files"), TRUE);
      cell (o, px_rows_text (r, i, "expired_files"), TRUE);
      g_autofree char *pct = px_rows_is_null (r, i, "success") ? NULL
                               : g_strdup_printf ("%.0f %%", 100 * px_rows_double (r, i, "success"));
      cell (o, pct, TRUE);
      cell (o, px_rows_text (r, i, "queued_files"), TRUE);
      cell_bytes (o, r, i, "queued_bytes", "");
      cell (o, px_rows_text (r, i, "active_files"), TRUE);
      g_autofree char *age = px_rows_is_null (r, i, "oldest_queued") ? NULL
                               : px_table_seconds (px_rows_int (r, i, "oldest_queued"));
      cell (o, age, TRUE);
      g_string_append (o, "</tr>\n");
    }
  if (px_rows_count (r) == 0)
    g_string_append (o, "<tr><td colspan=\"12\">no links yet (phedex link add FROM TO)</td></tr>\n");
  g_string_append (o, "</tbody></table>\n<h2>history</h2>\n");
  period_links (req, "/");
  return plots (req, NULL, NULL, error);
}

/* ---- /links: the CLI's `phedex links` table; /links/FROM/TO ---- */

static gboolean
page_links (PxWebReq *req, char **parts, GError **error)
{
  if (parts[0])
    {
      const char *from = parts[0], *to = parts[1];
      g_autoptr(PxRows) r = px_tmdb_query (req->db, px_sql_webmon_overview, error, PX_TEXT (from), PX_TEXT (to));
      if (!r)
        return FALSE;
      g_string_printf (req->title, "link %s → %s", from, to);
      if (px_rows_count (r) == 0)
        {
          req->status = 404;
          if (req->api)
            px_json_string (&req->json, "error", "no such link");
          else
            g_string_append (req->html, "<p role=\"alert\">no such link</p>\n");
          return TRUE;
        }
      g_autoptr(PxTable) t = px_table_new (overview_columns);
      px_table_add_rows (t, r);
      /* The router's view: the routes to TO, and whether FROM's goes over this link. */
      PxRoutes routes = { 0 };
      int fid = (int) px_rows_int (r, 0, "from_id"), tid = (int) px_rows_int (r, 0, "to_id");
      GString *why = g_string_new (NULL);
      double cost = NAN;
      if (px_routes_compute (req->db, tid, &routes, error))
        {
          if (fid >= routes.n || isinf (routes.cost[fid]))
            g_string_append_printf (why, "not used: %s has no usable path to %s (%s)", from, to,
                                    px_rows_text (r, 0, "reason"));
          else
            {
              cost = routes.cost[fid];
              if (routes.next[fid] == tid)
                g_string_append_printf (why, "used: the cheapest way from %s to %s", from, to);
              else
                g_string_append_printf (why, "not used directly: %s's cheapest path to %s is %s", from, to,
                                        px_routes_path (&routes, fid, tid));
              g_string_append_printf (why, " (cost %.0f s per typical file: rate %.0f B/s, queue ahead %.0f s)",
                                      cost, routes.rate[fid], routes.latency[fid]);
            }
          px_routes_clear (&routes);
        }
      else
        return FALSE;
      gboolean measured = !px_rows_is_null (r, 0, "rate");
      g_string_append_printf (why, "; rate basis: %s", measured ? "measured over the last hour" : "nominal / distance");
      if (req->api)
        {
          px_json_table (&req->json, "link", t);
          px_json_string (&req->json, "router", why->str);
          g_string_free (why, TRUE);
          return plots (req, from, to, error);
        }
      px_table_append_html (t, "the link now", req->html);
      g_string_append (req->html, "<h2>the router</h2><p id=\"router\">");
      px_web_html (req->html, why->str);
      g_string_append (req->html, "</p>\n<h2>history</h2>\n");
      g_string_free (why, TRUE);
      g_autofree char *base = g_strdup_printf ("/links/%s/%s", from, to); /* node names: [A-Za-z0-9_] */
      g_autoptr(GString) safe = g_string_new (NULL);
      px_web_html (safe, base);
      period_links (req, safe->str);
      return plots (req, from, to, error);
    }
  g_autoptr(PxRows) r = px_tmdb_query (req->db, px_sql_report_links, error, PX_NULL);
  if (!r)
    return FALSE;
  g_string_assign (req->title, "links");
  g_autoptr(PxTable) t = px_table_new (px_table_links_columns);
  px_table_add_rows (t, r);
  if (req->api)
    px_json_table (&req->json, "links", t);
  else
    px_table_append_html (t, "links (as phedex links)", req->html);
  return TRUE;
}

/* ---- /nodes, /nodes/NODE ---- */

static const PxTableColumn blocks_columns[] = {
  { "dataset", "DATASET", PX_TABLE_TEXT },
  { "block", "BLOCK", PX_TABLE_TEXT },
  { "files_here", "FILES HERE", PX_TABLE_INT },
  { "files", "OF FILES", PX_TABLE_INT },
  { "bytes_here", "BYTES HERE", PX_TABLE_BYTES },
  { "bytes", "OF BYTES", PX_TABLE_BYTES },
  { NULL }
};
static const PxTableColumn unmerged_columns[] = {
  { "origin", "ORIGIN", PX_TABLE_TEXT },
  { "state", "STATE", PX_TABLE_TEXT },
  { "reason", "WHY NOT DELETED YET", PX_TABLE_TEXT },
  { "files", "FILES", PX_TABLE_INT },
  { "bytes", "BYTES", PX_TABLE_BYTES },
  { "unknown_bytes", "OF UNKNOWN SIZE", PX_TABLE_INT },
  { "oldest", "OLDEST", PX_TABLE_SECONDS },
  { NULL }
};
static const PxTableColumn agents_columns[] = {
  { "node", "NODE", PX_TABLE_TEXT },
  { "agent", "AGENT", PX_TABLE_TEXT },
  { "host", "HOST", PX_TABLE_TEXT },
  { "pid", "PID", PX_TABLE_INT },
  { "version", "VERSION", PX_TABLE_TEXT },
  { "started", "STARTED (UTC)", PX_TABLE_TEXT, .sql = "started_utc" },
  { "heartbeat_age", "HEARTBEAT AGE", PX_TABLE_SECONDS },
  { "stopped", "STOPPED (UTC)", PX_TABLE_TEXT, .sql = "stopped_utc" },
  { "alive", "ALIVE", PX_TABLE_BOOL },
  { NULL }
};

static gboolean
page_agents_of (PxWebReq *req, const char *node, GError **error)
{
  g_autoptr(PxRows) a = px_tmdb_query (req->db, px_sql_webmon_agents, error, PX_TEXT (node));
  if (!a)
    return FALSE;
  g_autoptr(PxTable) t = px_table_new (agents_columns);
  px_table_add_rows (t, a);
  if (req->api)
    px_json_table (&req->json, "agents", t);
  else
    px_table_append_html (t, "agents (alive: not stopped, heartbeat younger than its stale-after)", req->html);
  return TRUE;
}

static gboolean
page_nodes (PxWebReq *req, char **parts, GError **error)
{
  if (!parts[0])
    {
      g_autoptr(PxRows) r = px_tmdb_query0 (req->db, px_sql_webmon_nodes, error);
      if (!r)
        return FALSE;
      g_string_assign (req->title, "nodes");
      g_autoptr(PxTable) t = px_table_new (px_table_nodes_columns);
      px_table_add_rows (t, r);
      if (req->api)
        {
          px_json_table (&req->json, "nodes", t);
          return TRUE;
        }
      g_string_append (req->html, "<ul>");
      for (guint i = 0; i < px_rows_count (r); i++)
        {
          g_string_append (req->html, "<li>");
          link_to (req->html, "/nodes/", px_rows_text (r, i, "name"), NULL, px_rows_text (r, i, "name"));
          g_string_append (req->html, "</li>");
        }
      g_string_append (req->html, "</ul>\n");
      px_table_append_html (t, "nodes (as phedex nodes)", req->html);
      return TRUE;
    }
  g_autoptr(PxRows) n = px_tmdb_query (req->db, px_sql_webmon_node, error, PX_TEXT (parts[0]));
  if (!n)
    return FALSE;
  g_string_printf (req->title, "node %s", parts[0]);
  if (px_rows_count (n) == 0)
    {
      req->status = 404;
      if (req->api)
        px_json_string (&req->json, "error", "no such node");
      else
        g_string_append (req->html, "<p role=\"alert\">no such node</p>\n");
      return TRUE;
    }
  g_autoptr(PxRows) b = px_tmdb_query (req->db, px_sql_webmon_node_blocks, error, PX_INT (px_rows_int (n, 0, "id")));
  if (!b)
    return FALSE;
  g_autoptr(PxRows) u = px_tmdb_query (req->db, px_sql_webmon_node_unmerged, error, PX_INT (px_rows_int (n, 0, "id")));
  if (!u)
    return FALSE;
  g_autoptr(PxTable) t = px_table_new (blocks_columns);
  px_table_add_rows (t, b);
  g_autoptr(PxRows) sc = px_tmdb_query (req->db, px_sql_unmerged_scan_last, error, PX_INT (px_rows_int (n, 0, "id")));
  if (!sc)
    return FALSE;
  gboolean scanned = px_rows_count (sc) > 0;
  g_autoptr(PxTable) ut = px_table_new (unmerged_columns);
  px_table_add_rows (ut, u);
  if (req->api)
    {
      px_json_string (&req->json, "node", px_rows_text (n, 0, "name"));
      px_json_string (&req->json, "kind", px_rows_text (n, 0, "kind"));
      px_json_string (&req->json, "storage_xml_uploaded", px_rows_text (n, 0, "tfc_utc"));
      px_json_table (&req->json, "blocks", t);
      px_json_table (&req->json, "unmerged", ut);
      if (!scanned)
        px_json_null (&req->json, "unmerged_orphans");
      else
        {
          px_json_begin_object (&req->json, "unmerged_orphans");
          px_json_int (&req->json, "files", px_rows_int (sc, 0, "orphan_files"));
          px_json_int (&req->json, "bytes", px_rows_int (sc, 0, "orphan_bytes"));
          if (px_rows_is_null (sc, 0, "oldest_age"))
            px_json_null (&req->json, "oldest_age");
          else
            px_json_int (&req->json, "oldest_age", px_rows_int (sc, 0, "oldest_age"));
          px_json_string (&req->json, "scanned", px_rows_text (sc, 0, "scanned_utc"));
          px_json_string (&req->json, "source", px_rows_text (sc, 0, "source"));
          px_json_end (&req->json);
        }
    }
  else
    {
      g_string_append (req->html, "<p>kind ");
      px_web_html (req->html, px_rows_text (n, 0, "kind"));
      g_string_append (req->html, " · storage.xml uploaded ");
      px_web_html (req->html, px_rows_text (n, 0, "tfc_utc") ? px_rows_text (n, 0, "tfc_utc") : "never");
      g_string_append (req->html, "</p>\n");
      px_table_append_html (t, "replicas per block (good copies here / files in the block)", req->html);
      gint64 files = 0, bytes = 0;
      for (guint i = 0; i < px_rows_count (u); i++)
        files += px_rows_int (u, i, "files"), bytes += px_rows_int (u, i, "bytes");
      g_autofree char *sz = g_format_size ((guint64) bytes);
      g_string_append_printf (req->html, "<p>unmerged files pending cleanup: <span data-key=\"unmerged_files\">%"
                              G_GINT64_FORMAT "</span> (%s known)</p>\n", files, sz);
      if (px_rows_count (u) > 0)
        px_table_append_html (ut, "unmerged files not yet cleaned up (phedex unmerged)", req->html);
      if (scanned)
        {
          g_autofree char *osz = g_format_size ((guint64) px_rows_int (sc, 0, "orphan_bytes"));
          g_string_append (req->html, "<p>unmerged orphans (no merge record, no hold) at the last scan, ");
          px_web_html (req->html, px_rows_text (sc, 0, "scanned_utc"));
          g_string_append_printf (req->html, ": <span data-key=\"unmerged_orphans\">%" G_GINT64_FORMAT "</span> (%s)</p>\n",
                                  px_rows_int (sc, 0, "orphan_files"), osz);
        }
    }
  return page_agents_of (req, parts[0], error);
}

/* ---- /errors ---- */

static gboolean
page_errors (PxWebReq *req, char **parts, GError **error)
{
  if (parts[0])
    {
      char *end = NULL;
      gint64 id = g_ascii_strtoll (parts[0], &end, 10);
      if (!*parts[0] || *end || id <= 0)
        {
          req->status = 404;
          g_string_append (req->html, "<p role=\"alert\">no such error</p>");
          return TRUE;
        }
      g_autoptr(PxRows) e = px_tmdb_query (req->db, px_sql_webmon_error, error, PX_INT (id));
      if (!e)
        return FALSE;
      g_string_printf (req->title, "error %" G_GINT64_FORMAT, id);
      if (px_rows_count (e) == 0)
        {
          req->status = 404;
          g_string_append (req->html, "<p role=\"alert\">no such error</p>");
          return TRUE;
        }
      static const PxTableColumn cols[] = {
        { "id", "ID", PX_TABLE_INT }, { "time", "TIME (UTC)", PX_TABLE_TEXT, .sql = "time_utc" },
        { "from", "FROM", PX_TABLE_TEXT, .sql = "from_name" }, { "to", "TO", PX_TABLE_TEXT, .sql = "to_name" },
        { "reason", "REASON", PX_TABLE_TEXT }, { "permanent", "PERMANENT", PX_TABLE_BOOL },
        { "lfn", "LFN", PX_TABLE_TEXT }, { "log", "LOG", PX_TABLE_TEXT, PX_TABLE_BELOW }, { NULL }
      };
      g_autoptr(PxTable) t = px_table_new (cols);
      px_table_add_rows (t, e);
      if (req->api)
        px_json_table (&req->json, "error", t);
      else
        {
          px_table_append_html (t, "the error", req->html);
          g_string_append (req->html, "<h2>log</h2><pre>");
          px_web_html (req->html, px_rows_text (e, 0, "log"));
          g_string_append (req->html, "</pre>\n");
        }
      return TRUE;
    }
  /* The latest log's first characters (the API too: log_bytes says how
   * long it is, /api/v1/errors/LAST_ID has it in full; a page of groups
   * whose latest logs are 100 KB each would otherwise be megabytes). */
  const int cut = req->api ? 1000 : 300;
  g_autoptr(PxRows) r = px_tmdb_query (req->db, px_sql_webmon_errors, error, PX_INT (req->period), PX_TEXT (arg (req, "from")),
                                      PX_TEXT (arg (req, "to")), PX_INT (cut), PX_DOUBLE (req->end));
  if (!r)
    return FALSE;
  g_string_assign (req->title, "errors");
  if (req->api)
    {
      static const PxTableColumn cols[] = {
        { "from", NULL, PX_TABLE_TEXT, .sql = "from_name" }, { "to", NULL, PX_TABLE_TEXT, .sql = "to_name" },
        { "reason", NULL, PX_TABLE_TEXT }, { "n", NULL, PX_TABLE_INT }, { "permanent", NULL, PX_TABLE_INT },
        { "first", NULL, PX_TABLE_TEXT, .sql = "first_utc" }, { "last", NULL, PX_TABLE_TEXT, .sql = "last_utc" },
        { "last_id", NULL, PX_TABLE_INT }, { "log", NULL, PX_TABLE_TEXT }, { "log_bytes", NULL, PX_TABLE_INT },
        { "lfns", NULL, PX_TABLE_TEXT }, { NULL }
      };
      g_autoptr(PxTable) t = px_table_new (cols);
      px_table_add_rows (t, r);
      px_json_table (&req->json, "errors", t);
      return TRUE;
    }
  GString *o = req->html;
  g_string_append_printf (o, "<p>the %s %s%s; exact counts.</p>\n", req->end < req->now ? "" : "last",
                          req->period == 3600 ? "hour" : req->period == 86400 ? "24 hours" : "7 days",
                          req->end < req->now ? " up to until=" : "");
  g_string_append (o, "<table><caption>errors per link and reason</caption><thead><tr><th scope=\"col\">link</th>"
                      "<th scope=\"col\">reason</th><th scope=\"col\" class=\"n\">errors</th>"
                      "<th scope=\"col\" class=\"n\">permanent</th><th scope=\"col\">first seen</th>"
                      "<th scope=\"col\">last seen</th><th scope=\"col\">latest log</th><th scope=\"col\">files</th>"
                      "</tr></thead>\n<tbody>\n");
  for (guint i = 0; i < px_rows_count (r); i++)
    {
      const char *from = px_rows_text (r, i, "from_name"), *to = px_rows_text (r, i, "to_name");
      g_autofree char *link = g_strdup_printf ("%s → %s", from ? from : "(at rest)", to ? to : "-");
      g_string_append (o, "<tr><th scope=\"row\">");
      px_web_html (o, link);
      g_string_append (o, "</th>");
      cell (o, px_rows_text (r, i, "reason"), FALSE);
      cell (o, px_rows_text (r, i, "n"), TRUE);
      cell (o, px_rows_text (r, i, "permanent"), TRUE);
      cell (o, px_rows_text (r, i, "first_utc"), FALSE);
      cell (o, px_rows_text (r, i, "last_utc"), FALSE);
      g_string_append (o, "<td class=\"log\"><pre>");
      px_web_html (o, px_rows_text (r, i, "log"));
      const char *log = px_rows_text (r, i, "log");
      if (px_rows_int (r, i, "log_bytes") > (gint64) strlen (log ? log : ""))
        g_string_append_printf (o, "…</pre><a href=\"/api/v1/errors/%" G_GINT64_FORMAT "\">full text (%" G_GINT64_FORMAT
                                   " bytes)</a></td>", px_rows_int (r, i, "last_id"), px_rows_int (r, i, "log_bytes"));
      else
        g_string_append (o, "</pre></td>");
      g_string_append (o, "<td><ul>");
      g_auto(GStrv) lfns = g_strsplit (px_rows_text (r, i, "lfns") ? px_rows_text (r, i, "lfns") : "", "\n", -1);
      for (guint k = 0; lfns[k] && *lfns[k]; k++)
        {
          g_string_append (o, "<li><a href=\"/data?lfn=");
          px_web_url (o, lfns[k]);
          g_string_append (o, "\">");
          px_web_html (o, lfns[k]);
          g_string_append (o, "</a> (phedex why --lfn)</li>");
        }
      g_string_append (o, "</ul></td></tr>\n");
    }
  g_string_append (o, "</tbody></table>\n");
  return TRUE;
}

/* ---- /agents ---- */

static gboolean
page_agents (PxWebReq *req, char **parts, GError **error)
{
  g_string_assign (req->title, "agents");
  return page_agents_of (req, NULL, error);
}

/* ---- /subscriptions, /subscriptions/ID ---- */

static const PxTableColumn subs_columns[] = {
  { "id", "ID", PX_TABLE_INT },
  { "item", "ITEM", PX_TABLE_TEXT },
  { "node", "NODE", PX_TABLE_TEXT },
  { "priority", "PRIORITY", PX_TABLE_TEXT },
  { "move", "MOVE", PX_TABLE_BOOL, .sql = "is_move" },
  { "state", "STATE", PX_TABLE_TEXT },
  { "stuck", "STUCK", PX_TABLE_BOOL },
  { "files_done", "FILES DONE", PX_TABLE_INT },
  { "files", "OF FILES", PX_TABLE_INT },
  { "bytes_done", "BYTES DONE", PX_TABLE_BYTES },
  { "bytes", "OF BYTES", PX_TABLE_BYTES },
  { "queued", "QUEUED", PX_TABLE_INT },
  { "failed", "FAILED", PX_TABLE_INT },
  { "rate", "RATE (1H)", PX_TABLE_RATE },
  { "eta", "ETA", PX_TABLE_SECONDS },
  { NULL }
};

static gboolean
page_subscriptions (PxWebReq *req, char **parts, GError **error)
{
  if (parts[0])
    {
      char *end = NULL;
      gint64 id = g_ascii_strtoll (parts[0], &end, 10);
      g_autoptr(PxRows) s = NULL, w = NULL;
      if (*parts[0] && !*end && id > 0 && id < G_MAXINT32)
        {
          s = px_tmdb_query (req->db, px_sql_webmon_subscription, error, PX_INT (id));
          if (!s)
            return FALSE;
        }
      g_string_printf (req->title, "subscription %s", parts[0]);
      if (!s || px_rows_count (s) == 0)
        {
          req->status = 404;
          if (req->api)
            px_json_string (&req->json, "error", "no such subscription");
          else
            g_string_append (req->html, "<p role=\"alert\">no such subscription</p>\n");
          return TRUE;
        }
      w = px_tmdb_query (req->db, px_sql_webmon_subscription_why, error, PX_INT (id));
      if (!w)
        return FALSE;
      static const PxTableColumn sc[] = {
        { "id", "ID", PX_TABLE_INT }, { "item", "ITEM", PX_TABLE_TEXT }, { "node", "NODE", PX_TABLE_TEXT },
        { "priority", "PRIORITY", PX_TABLE_TEXT }, { "move", "MOVE", PX_TABLE_BOOL, .sql = "is_move" },
        { "created", "CREATED (UTC)", PX_TABLE_TEXT, .sql = "created_utc" },
        { "suspended_until", "SUSPENDED UNTIL", PX_TABLE_TEXT, .sql = "suspended_utc" }, { NULL }
      };
      static const PxTableColumn wc[] = {
        { "state", "REQUEST STATE", PX_TABLE_TEXT }, { "reason", "REASON", PX_TABLE_TEXT },
        { "files", "FILES", PX_TABLE_INT }, { "example", "EXAMPLE LFN", PX_TABLE_TEXT }, { NULL }
      };
      g_autoptr(PxTable) ts = px_table_new (sc), tw = px_table_new (wc);
      px_table_add_rows (ts, s);
      px_table_add_rows (tw, w);
      if (req->api)
        {
          px_json_table (&req->json, "subscription", ts);
          px_json_table (&req->json, "why", tw);
        }
      else
        {
          px_table_append_html (ts, "the subscription", req->html);
          px_table_append_html (tw, "its files per request state and reason (phedex why for each)", req->html);
        }
      return TRUE;
    }
  g_autoptr(PxRows) r = px_tmdb_query0 (req->db, px_sql_webmon_subscriptions, error);
  if (!r)
    return FALSE;
  g_string_assign (req->title, "subscriptions");
  g_autoptr(PxTable) t = px_table_new (subs_columns);
  /* Stuck first: active, not all there, and nothing arrived in the hour or files failed. */
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < px_rows_count (r); i++)
      {
        gboolean stuck = g_strcmp0 (px_rows_text (r, i, "state"), "active") == 0
                         && px_rows_int (r, i, "files_done") < px_rows_int (r, i, "files")
                         && (px_rows_is_null (r, i, "rate") || px_rows_int (r, i, "failed") > 0);
        if (stuck != (pass == 0))
          continue;
        px_table_add_row (t, r, i);
        px_table_set (t, "stuck", stuck ? "t" : "f");
      }
  if (req->api)
    {
      px_json_table (&req->json, "subscriptions", t);
      return TRUE;
    }
  GString *o = req->html;
  g_string_append (o, "<ul class=\"subs\">");
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < px_rows_count (r); i++)
      {
        gboolean stuck = g_strcmp0 (px_rows_text (r, i, "state"), "active") == 0
                         && px_rows_int (r, i, "files_done") < px_rows_int (r, i, "files")
                         && (px_rows_is_null (r, i, "rate") || px_rows_int (r, i, "failed") > 0);
        if (stuck != (pass == 0))
          continue;
        int id = (int) px_rows_int (r, i, "id");
        gint64 done = px_rows_int (r, i, "files_done"), all = px_rows_int (r, i, "files");
        g_string_append_printf (o, "<li>%s<a href=\"/subscriptions/%d\">", stuck ? "⚠ stuck: " : "", id);
        px_web_html (o, px_rows_text (r, i, "item"));
        g_string_append (o, " at ");
        px_web_html (o, px_rows_text (r, i, "node"));
        g_string_append_printf (o, "</a> <progress max=\"%" G_GINT64_FORMAT "\" value=\"%" G_GINT64_FORMAT "\">%"
                                   G_GINT64_FORMAT "/%" G_GINT64_FORMAT "</progress> %" G_GINT64_FORMAT "/%"
                                   G_GINT64_FORMAT " files, ", MAX (all, 1), done, done, all, done, all);
        px_web_html (o, px_rows_text (r, i, "state"));
        if (!px_rows_is_null (r, i, "eta"))
          {
            g_autofree char *eta = px_table_seconds (px_rows_int (r, i, "eta"));
            g_string_append_printf (o, ", ETA %s (at the last hour's rate)", eta);
          }
        g_string_append (o, "</li>\n");
      }
  g_string_append (o, "</ul>\n");
  px_table_append_html (t, "subscriptions (stuck first)", o);
  return TRUE;
}

/* ---- /data: datasets → blocks → files → replicas, LFN search ---- */

static gboolean
page_data (PxWebReq *req, char **parts, GError **error)
{
  const char *dataset = arg (req, "dataset"), *block = arg (req, "block"), *lfn = arg (req, "lfn"),
             *after = arg (req, "after");
  const char *limit_s = arg (req, "limit");
  gint64 limit = limit_s ? g_ascii_strtoll (limit_s, NULL, 10) : 100;
  limit = CLAMP (limit, 1, 1000);
  g_string_assign (req->title, "data");
  GString *o = req->html;
  if (!req->api)
    g_string_append (o, "<form method=\"get\" action=\"/data\"><label>LFN (exact, or a prefix ending in *) "
                        "<input name=\"lfn\" size=\"60\"/></label> <button>search</button></form>\n");
  if (lfn || block)
    {
      g_autofree char *prefix = NULL, *pattern = NULL;
      if (lfn && g_str_has_suffix (lfn, "*"))
        {
          prefix = g_strndup (lfn, strlen (lfn) - 1);
          pattern = px_web_like_prefix (prefix);
        }
      g_autoptr(PxRows) f = px_tmdb_query (req->db, px_sql_webmon_files, error, PX_TEXT (block),
                                          PX_TEXT (prefix ? NULL : lfn), PX_TEXT (prefix), PX_TEXT (pattern),
                                          PX_TEXT (after), PX_INT (limit));
      if (!f)
        return FALSE;
      static const PxTableColumn fc[] = {
        { "lfn", "LFN", PX_TABLE_TEXT }, { "bytes", "BYTES", PX_TABLE_BYTES }, { "checksum", "CHECKSUM", PX_TABLE_TEXT },
        { "replicas", "REPLICAS", PX_TABLE_LIST }, { NULL }
      };
      g_autoptr(PxTable) t = px_table_new (fc);
      px_table_add_rows (t, f);
      guint n = px_rows_count (f);
      if (req->api)
        {
          px_json_table (&req->json, "files", t);
          px_json_string (&req->json, "next_after", n == (guint) limit ? px_rows_text (f, n - 1, "lfn") : NULL);
          return TRUE;
        }
      g_string_append (o, "<p>");
      px_web_html (o, block ? "block " : "LFN ");
      px_web_html (o, block ? block : lfn);
      g_string_append (o, "</p>\n");
      px_table_append_html (t, "files and where they are", o);
      if (n == (guint) limit)
        {
          g_string_append (o, "<p><a href=\"/data?");
          g_string_append (o, block ? "block=" : "lfn=");
          px_web_url (o, block ? block : lfn);
          g_string_append (o, "&amp;after=");
          px_web_url (o, px_rows_text (f, n - 1, "lfn"));
          g_string_append_printf (o, "&amp;limit=%" G_GINT64_FORMAT "\">next %" G_GINT64_FORMAT "</a></p>\n", limit, limit);
        }
      return TRUE;
    }
  if (dataset)
    {
      g_autoptr(PxRows) b = px_tmdb_query (req->db, px_sql_webmon_blocks, error, PX_TEXT (dataset));
      if (!b)
        return FALSE;
      static const PxTableColumn bc[] = {
        { "block", "BLOCK", PX_TABLE_TEXT, .sql = "name" }, { "open", "OPEN", PX_TABLE_BOOL, .sql = "is_open" },
        { "files", "FILES", PX_TABLE_INT }, { "bytes", "BYTES", PX_TABLE_BYTES }, { NULL }
      };
      g_autoptr(PxTable) t = px_table_new (bc);
      px_table_add_rows (t, b);
      if (req->api)
        {
          px_json_table (&req->json, "blocks", t);
          return TRUE;
        }
      g_string_append (o, "<h2>dataset ");
      px_web_html (o, dataset);
      g_string_append (o, "</h2><ul>");
      for (guint i = 0; i < px_rows_count (b); i++)
        {
          g_string_append (o, "<li><a href=\"/data?block=");
          px_web_url (o, px_rows_text (b, i, "name"));
          g_string_append (o, "\">");
          px_web_html (o, px_rows_text (b, i, "name"));
          g_string_append (o, "</a></li>");
        }
      g_string_append (o, "</ul>\n");
      px_table_append_html (t, "blocks", o);
      return TRUE;
    }
  g_autoptr(PxRows) d = px_tmdb_query (req->db, px_sql_webmon_datasets, error, PX_TEXT (after), PX_INT (limit));
  if (!d)
    return FALSE;
  static const PxTableColumn dc[] = {
    { "dataset", "DATASET", PX_TABLE_TEXT, .sql = "name" }, { "blocks", "BLOCKS", PX_TABLE_INT },
    { "files", "FILES", PX_TABLE_INT }, { "bytes", "BYTES", PX_TABLE_BYTES }, { NULL }
  };
  g_autoptr(PxTable) t = px_table_new (dc);
  px_table_add_rows (t, d);
  guint n = px_rows_count (d);
  if (req->api)
    {
      px_json_table (&req->json, "datasets", t);
      px_json_string (&req->json, "next_after", n == (guint) limit ? px_rows_text (d, n - 1, "name") : NULL);
      return TRUE;
    }
  g_string_append (o, "<ul class=\"datasets\">");
  for (guint i = 0; i < n; i++)
    {
      g_string_append (o, "<li><a href=\"/data?dataset=");
      px_web_url (o, px_rows_text (d, i, "name"));
      g_string_append (o, "\">");
      px_web_html (o, px_rows_text (d, i, "name"));
      g_string_append (o, "</a></li>");
    }
  g_string_append (o, "</ul>\n");
  px_table_append_html (t, "datasets", o);
  if (n == (guint) limit)
    {
      g_string_append (o, "<p><a href=\"/data?after=");
      px_web_url (o, px_rows_text (d, n - 1, "name"));
      g_string_append_printf (o, "&amp;limit=%" G_GINT64_FORMAT "\">next</a></p>\n", limit);
    }
  return TRUE;
}

static gboolean
page_none (PxWebReq *req, char **parts, GError **error)
{
  return TRUE; /* /healthz: answered by the server */
}

static const char *const no_params[] = { NULL };
static const char *const error_params[] = { "from", "to", NULL };
static const char *const data_params[] = { "dataset", "block", "lfn", "after", "limit", NULL };
static const PxWebRoute routes[] = {
  { "", 0, page_overview, no_params },
  { "links", 0, page_links, no_params },
  { "links", 2, page_links, no_params },
  { "nodes", 0, page_nodes, no_params },
  { "nodes", 1, page_nodes, no_params },
  { "errors", 0, page_errors, error_params },
  { "errors", 1, page_errors, no_params },
  { "agents", 0, page_agents, no_params },
  { "subscriptions", 0, page_subscriptions, no_params },
  { "subscriptions", 1, page_subscriptions, no_params },
  { "data", 0, page_data, data_params },
  { "healthz", 0, page_none, no_params },
};

const PxWebRoute *
px_web_route (const char *first, int n_more)
{
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    if (strcmp (routes[i].name, first) == 0 && (routes[i].n_parts == n_more || routes[i].n_parts < 0))
      return &routes[i];
  return NULL;
}
