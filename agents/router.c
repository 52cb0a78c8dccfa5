/* router.c — owns the requests whose destination is this node.  Each cycle:
 *   expand subscriptions into requests (new files of open blocks included);
 *   expire hops queued too long, cool off failed requests (back-off) or give
 *   them up;
 *   cost every active link from its measured rate (history of the last hour,
 *   nominal rate / distance until there is one), its queue (latency =
 *   queued bytes / rate) and its recent failures; links whose destination has
 *   no live download agent, or whose source has no storage.xml, are out;
 *   run Dijkstra backwards from this node, so each node gets its cheapest
 *   cost and next hop towards here;
 *   route a batch of requests per priority, within each priority's window of
 *   open bytes, from the cheapest replica: the first hop becomes a task (for
 *   an intermediate node, whose copy is a real replica cleaned up later);
 *   complete subscriptions, carry out moves, clean transit copies.
 * The graph is small (nodes, not files); all per-file work is set-based SQL. */
#include "config.h"
#include "agent.h"
#include "route.h"
#include <math.h>

/* The routes as the arrays router_route takes. */
static void
routes_arrays (const PxRoutes *r, int dest, GString *nodes, GString *costs, GString *next, GString *paths)
{
  for (int v = 0; v < r->n; v++)
    {
      if (v == dest || !isfinite (r->cost[v]))
        continue;
      char num[G_ASCII_DTOSTR_BUF_SIZE];
      g_autofree char *id = g_strdup_printf ("%d", v), *hop = g_strdup_printf ("%d", r->next[v]);
      g_autofree char *path = px_routes_path (r, v, dest);
      px_tmdb_array_add (nodes, id);
      px_tmdb_array_add (costs, g_ascii_dtostr (num, sizeof num, r->cost[v]));
      px_tmdb_array_add (next, hop);
      px_tmdb_array_add (paths, path);
    }
  g_string_append_c (nodes, '}'), g_string_append_c (costs, '}'), g_string_append_c (next, '}');
  g_string_append_c (paths, '}');
}

#define ARG(key) g_strdup_printf ("%" G_GINT64_FORMAT, px_agent_int (a, "router", key))

static gboolean
router_cycle (PxAgent *a, gboolean *more, double *wake_in, GError **error)
{
  g_autofree char *node = g_strdup_printf ("%d", a->node_id);
  g_autofree char *delay = ARG ("retry-delay"), *delay_max = ARG ("retry-delay-max"), *max = ARG ("max-attempts");
  g_autofree char *expire = ARG ("task-expire"), *batch = ARG ("batch"), *recheck = ARG ("no-path-recheck");
  g_autofree char *window = g_strdup_printf ("%" G_GINT64_FORMAT, px_agent_int (a, "router", "window-mb") * 1048576);

  PxRoutes routes = { 0 };
  if (!px_routes_compute (a->db, a->node_id, px_agent_int (a, "site", "stale-after"), &routes, error))
    return FALSE;
  g_autoptr(GString) nodes = g_string_new ("{"), costs = g_string_new ("{"), next = g_string_new ("{"),
                                            paths = g_string_new ("{");
  routes_arrays (&routes, a->node_id, nodes, costs, next, paths);
  px_routes_clear (&routes);

  if (!px_tmdb_begin (a->db, error))
    return FALSE;
  g_autoptr(PxRows) lk = px_tmdb_run (a->db, "node_lock_shared", error, node);
  g_autoptr(PxRows) ex = lk ? px_tmdb_run (a->db, "router_expand", error, node) : NULL;
  g_autoptr(PxRows) rc = ex ? px_tmdb_run (a->db, "router_recheck", error, node) : NULL;
  g_autoptr(PxRows) re = rc ? px_tmdb_run (a->db, "router_retry", error, node, delay, delay_max, max, expire) : NULL;
  g_autoptr(PxRows) du = re ? px_tmdb_run (a->db, "router_dups", error, node) : NULL;
  g_autoptr(PxRows) rt = du ? px_tmdb_run (a->db, "router_route", error, node, nodes->str, costs->str, next->str,
                                           paths->str, batch, window, recheck)
                            : NULL;
  g_autoptr(PxRows) sb = rt ? px_tmdb_run (a->db, "router_subscriptions", error, node) : NULL;
  g_autoptr(PxRows) hi = sb ? px_tmdb_run (a->db, "router_history", error, node) : NULL;
  g_autoptr(PxRows) nt = hi ? px_tmdb_run (a->db, "router_next_try", error, node) : NULL;
  if (!nt || !px_tmdb_commit (a->db, error))
    {
      px_tmdb_rollback (a->db);
      return FALSE;
    }
  guint expanded = (guint) px_rows_get_int (ex, 0, 0);
  guint pending = (guint) px_rows_get_int (rt, 0, 0), queued = (guint) px_rows_get_int (rt, 0, 1);
  guint no_source = (guint) px_rows_get_int (rt, 0, 2), no_path = (guint) px_rows_get_int (rt, 0, 3);
  guint windowed = (guint) px_rows_get_int (rt, 0, 4), here = (guint) px_rows_get_int (rt, 0, 5);
  guint dups = (guint) px_rows_get_int (du, 0, 0);
  guint retried = (guint) px_rows_get_int (re, 0, 0), gave_up = (guint) px_rows_get_int (re, 0, 1);
  guint expired = (guint) px_rows_get_int (re, 0, 2);
  if (expanded || queued || no_source || no_path || retried || gave_up || expired || here || dups)
    g_message ("%u new requests, %u tasks queued, %u without source, %u without path, %u beyond the priority "
               "window, %u to retry, %u given up, %u expired, %u already here, %u hops dropped (file already there)",
               expanded, queued, no_source, no_path, windowed, retried, gave_up, expired, here, dups);
  if (px_rows_get_int (sb, 0, 0) || px_rows_get_int (sb, 0, 1) || px_rows_get_int (sb, 0, 3))
    g_message ("%s subscriptions complete, %s moves (%s source replicas to delete), %s transit copies to clean",
               px_rows_get (sb, 0, 0), px_rows_get (sb, 0, 1), px_rows_get (sb, 0, 2), px_rows_get (sb, 0, 3));
  /* A full batch in some priority, and room left in the windows: go on. */
  *more = queued + here > 0 && pending - windowed == queued + here
          && pending >= (guint) px_agent_int (a, "router", "batch");
  if (px_rows_get (nt, 0, 0))
    *wake_in = MIN (*wake_in, MAX (0.05, g_ascii_strtod (px_rows_get (nt, 0, 0), NULL)));
  return TRUE;
}

const PxAgentClass px_agent_router = {
  .name = "router",
  .cycle = router_cycle,
  .listen_topology = TRUE,
};
