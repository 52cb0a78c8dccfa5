/* test-explain — EXPLAIN every statement webmon's pages and /metrics run,
 * with the parameters the pages pass, and fail on a sequential scan of
 * files, replicas, tasks or errors (the tables that grow with the data).
 * Needs $PHEDEX_DB holding a fixture (tests/t0310-webmon-explain.sh loads
 * bench/webmon-fixture.sql with some thousands of rows and ANALYZEs).
 *   test-explain NODE NODE_ID FROM TO SUBSCRIPTION ERROR_ID DATASET BLOCK LFN
 * TAP on stdout; the plan of a failure on stderr-ish "# " lines. */
#include "config.h"
#include "tmdb/tmdb.h"
#include <stdio.h>
#include <string.h>

static int n, failed;

static gboolean
big_seq_scan (const char *line)
{
  static const char *const tables[] = { "files", "replicas", "tasks", "errors", NULL };
  const char *p = strstr (line, "Seq Scan on ");
  if (!p)
    return FALSE;
  p += strlen ("Seq Scan on ");
  for (const char *const *t = tables; *t; t++)
    {
      size_t l = strlen (*t);
      if (strncmp (p, *t, l) == 0 && (p[l] == ' ' || p[l] == '\0'))
        return TRUE;
    }
  return FALSE;
}

static void
explain (PxTmdb *db, const PxTmdbStatement *st, const char *what, guint np, const PxTmdbParam *params)
{
  /* The same SQL behind EXPLAIN, as its own prepared statement; bound
   * parameters are planned with their values, as a page's first
   * executions are. */
  g_autofree char *name = g_strconcat ("explain_", st->name, NULL);
  g_autofree char *sql = g_strconcat ("EXPLAIN ", st->sql, NULL);
  /* Prepared once per connection, remembered by the name's address. */
  PxTmdbStatement ex = { g_intern_string (name), "QUERY PLAN", g_intern_string (sql) };
  g_autoptr(GError) e = NULL;
  g_autoptr(PxRows) r = px_tmdb_query_params (db, &ex, np, params, &e);
  n++;
  if (!r)
    {
      failed++;
      printf ("not ok %d - %s (%s)\n# %s\n", n, st->name, what, e->message);
      return;
    }
  gboolean bad = FALSE;
  for (guint i = 0; i < px_rows_count (r); i++)
    bad |= big_seq_scan (px_rows_text (r, i, "QUERY PLAN"));
  printf ("%sok %d - %s (%s)%s\n", bad ? "not " : "", n, st->name, what, bad ? ": sequential scan" : "");
  if (bad || g_getenv ("EXPLAIN_VERBOSE"))
    for (guint i = 0; i < px_rows_count (r); i++)
      printf ("# %s\n", px_rows_text (r, i, "QUERY PLAN"));
  failed += bad;
}

#define EXPLAIN(st, what, ...) \
  explain (db, &(st), (what), G_N_ELEMENTS (((const PxTmdbParam[]){ __VA_ARGS__ })), \
           (const PxTmdbParam[]){ __VA_ARGS__ })
#define EXPLAIN0(st, what) explain (db, &(st), (what), 0, NULL)

int
main (int argc, char **argv)
{
  if (argc != 10 || !strchr (argv[9], '/'))
    {
      printf ("Bail out! usage: test-explain NODE NODE_ID FROM TO SUBSCRIPTION ERROR_ID DATASET BLOCK LFN\n");
      return 1;
    }
  const char *node = argv[1], *from = argv[3], *to = argv[4], *dataset = argv[7], *block = argv[8], *lfn = argv[9];
  gint64 node_id = g_ascii_strtoll (argv[2], NULL, 10), sub = g_ascii_strtoll (argv[5], NULL, 10),
         err = g_ascii_strtoll (argv[6], NULL, 10);
  g_autoptr(GError) error = NULL;
  g_autoptr(PxTmdb) db = px_tmdb_connect (g_getenv ("PHEDEX_DB"), "test-explain", &error);
  if (!db)
    {
      printf ("Bail out! %s\n", error->message);
      return 1;
    }
  /* The LFN prefix search as /data passes it: the prefix and its LIKE
   * pattern (no metacharacters in the fixture's LFNs). */
  g_autofree char *prefix = g_strndup (lfn, strrchr (lfn, '/') + 1 - lfn);
  g_autofree char *pattern = g_strconcat (prefix, "%", NULL);
  /* The plots' window end: now, or an until= 10 days ago. */
  double now = (double) g_get_real_time () / G_USEC_PER_SEC, past = now - 10 * 86400;

  /* / and /api/v1/ */
  EXPLAIN0 (px_sql_webmon_now, "every page");
  EXPLAIN (px_sql_webmon_overview, "overview", PX_NULL, PX_NULL);
  EXPLAIN (px_sql_webmon_history, "overview 24 h plot", PX_INT (86400), PX_INT (300), PX_TEXT ("link"), PX_NULL, PX_NULL,
           PX_DOUBLE (now));
  EXPLAIN (px_sql_webmon_history, "7 d plot of all links", PX_INT (604800), PX_INT (3600), PX_TEXT ("link"), PX_NULL,
           PX_NULL, PX_DOUBLE (now));
  EXPLAIN (px_sql_webmon_history, "24 h plot until 10 days ago", PX_INT (86400), PX_INT (3600), PX_TEXT ("dst"), PX_NULL,
           PX_NULL, PX_DOUBLE (past));
  /* /links and /links/FROM/TO */
  EXPLAIN (px_sql_report_links, "links", PX_NULL);
  EXPLAIN (px_sql_webmon_overview, "one link", PX_TEXT (from), PX_TEXT (to));
  EXPLAIN (px_sql_webmon_history, "one link 24 h", PX_INT (86400), PX_INT (300), PX_TEXT ("link"), PX_TEXT (from),
           PX_TEXT (to), PX_DOUBLE (now));
  EXPLAIN (px_sql_webmon_history, "one link 7 d", PX_INT (604800), PX_INT (3600), PX_TEXT ("src"), PX_TEXT (from),
           PX_TEXT (to), PX_DOUBLE (now));
  /* /nodes, /nodes/NODE */
  EXPLAIN0 (px_sql_webmon_nodes, "nodes");
  EXPLAIN (px_sql_webmon_node, "node", PX_TEXT (node));
  EXPLAIN (px_sql_webmon_node_blocks, "node blocks", PX_INT (node_id));
  EXPLAIN (px_sql_webmon_node_unmerged, "node unmerged", PX_INT (node_id));
  EXPLAIN (px_sql_webmon_agents, "node agents", PX_TEXT (node));
  /* /errors, /api/v1/errors/ID */
  EXPLAIN (px_sql_webmon_errors, "errors 1 h", PX_INT (3600), PX_NULL, PX_NULL, PX_INT (300), PX_DOUBLE (now));
  EXPLAIN (px_sql_webmon_errors, "errors 24 h", PX_INT (86400), PX_NULL, PX_NULL, PX_INT (300), PX_DOUBLE (now));
  EXPLAIN (px_sql_webmon_errors, "errors 7 d", PX_INT (604800), PX_NULL, PX_NULL, PX_INT (1000), PX_DOUBLE (now));
  EXPLAIN (px_sql_webmon_errors, "errors 7 d one link", PX_INT (604800), PX_TEXT (from), PX_TEXT (to), PX_INT (300),
           PX_DOUBLE (now));
  EXPLAIN (px_sql_webmon_error, "one error", PX_INT (err));
  /* /agents */
  EXPLAIN (px_sql_webmon_agents, "agents", PX_NULL);
  /* /subscriptions, /subscriptions/ID */
  EXPLAIN0 (px_sql_webmon_subscriptions, "subscriptions");
  EXPLAIN (px_sql_webmon_subscription, "subscription", PX_INT (sub));
  EXPLAIN (px_sql_webmon_subscription_why, "subscription why", PX_INT (sub));
  /* /data */
  EXPLAIN (px_sql_webmon_datasets, "datasets", PX_NULL, PX_INT (100));
  EXPLAIN (px_sql_webmon_datasets, "datasets after", PX_TEXT (dataset), PX_INT (100));
  EXPLAIN (px_sql_webmon_blocks, "blocks", PX_TEXT (dataset));
  EXPLAIN (px_sql_webmon_files, "files of a block", PX_TEXT (block), PX_NULL, PX_NULL, PX_NULL, PX_NULL, PX_INT (100));
  EXPLAIN (px_sql_webmon_files, "files after", PX_TEXT (block), PX_NULL, PX_NULL, PX_NULL, PX_TEXT (lfn), PX_INT (100));
  EXPLAIN (px_sql_webmon_files, "LFN exact", PX_NULL, PX_TEXT (lfn), PX_NULL, PX_NULL, PX_NULL, PX_INT (100));
  EXPLAIN (px_sql_webmon_files, "LFN prefix", PX_NULL, PX_NULL, PX_TEXT (prefix), PX_TEXT (pattern), PX_NULL,
           PX_INT (100));
  /* /metrics */
  EXPLAIN0 (px_sql_webmon_metrics, "metrics");
  printf ("1..%d\n", n);
  return failed ? 1 : 0;
}
