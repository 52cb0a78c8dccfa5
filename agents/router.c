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
#include <math.h>
#include <string.h>

/* Size of the file a link's cost is quoted for: the time to move a typical
 * file behind the link's queue. */
#define TYPICAL_FILE_BYTES (100.0 * 1024 * 1024)

typedef struct
{
  int from, to;
  double cost;
} Edge;

typedef struct
{
  int n;          /* node ids are 1..n-1 */
  double *cost;   /* cost from node to the destination */
  int *next;      /* next hop towards the destination (-1: none) */
} Routes;

static void
routes_clear (Routes *r)
{
  g_free (r->cost);
  g_free (r->next);
}

/* Seconds to move a typical file over a link: its queue plus the file at
 * the link's rate, penalised by its recent failure ratio. */
static double
link_cost (PxRows *g, guint i)
{
  double distance = (double) px_rows_get_int (g, i, 2), nominal = (double) px_rows_get_int (g, i, 3);
  double done_bytes = (double) px_rows_get_int (g, i, 4), done = (double) px_rows_get_int (g, i, 5);
  double failed = (double) px_rows_get_int (g, i, 6), span = g_ascii_strtod (px_rows_get (g, i, 7), NULL);
  double queued = (double) px_rows_get_int (g, i, 8);
  double rate = done > 0 && span > 60 ? done_bytes / span : nominal / distance;
  double cost = (queued + TYPICAL_FILE_BYTES) / MAX (rate, 1.0);
  if (failed > 0)
    cost *= 1.0 + 4.0 * failed / (failed + done);
  return cost;
}

/* Dijkstra on the reversed graph from DEST (a few hundred nodes at most:
 * the O(V^2) form is simplest and fast enough). */
static void
dijkstra (const Edge *edges, guint n_edges, int dest, Routes *r)
{
  int n = dest + 1;
  for (guint i = 0; i < n_edges; i++)
    n = MAX (n, MAX (edges[i].from, edges[i].to) + 1);
  r->n = n;
  r->cost = g_new (double, n);
  r->next = g_new (int, n);
  g_autofree gboolean *done = g_new0 (gboolean, n);
  for (int v = 0; v < n; v++)
    r->cost[v] = INFINITY, r->next[v] = -1;
  r->cost[dest] = 0;
  for (;;)
    {
      int u = -1;
      for (int v = 0; v < n; v++)
        if (!done[v] && isfinite (r->cost[v]) && (u < 0 || r->cost[v] < r->cost[u]))
          u = v;
      if (u < 0)
        break;
      done[u] = TRUE;
      for (guint i = 0; i < n_edges; i++)
        if (edges[i].to == u && r->cost[u] + edges[i].cost < r->cost[edges[i].from])
          {
            r->cost[edges[i].from] = r->cost[u] + edges[i].cost;
            r->next[edges[i].from] = u;
          }
    }
}

/* Load the link graph and compute this node's routes. */
static gboolean
compute_routes (PxAgent *a, Routes *r, GError **error)
{
  g_autofree char *stale = g_strdup_printf ("%" G_GINT64_FORMAT, px_agent_int (a, "site", "stale-after"));
  g_autoptr(PxRows) g = px_tmdb_run (a->db, "router_graph", error, stale);
  if (!g)
    return FALSE;
  g_autoptr(GArray) edges = g_array_new (FALSE, FALSE, sizeof (Edge));
  for (guint i = 0; i < px_rows_count (g); i++)
    {
      if (!px_rows_get_bool (g, i, 9) || !px_rows_get_bool (g, i, 10))
        continue; /* no download agent at the destination, or no storage.xml at the source */
      Edge e = { (int) px_rows_get_int (g, i, 0), (int) px_rows_get_int (g, i, 1), link_cost (g, i) };
      g_array_append_val (edges, e);
    }
  dijkstra ((const Edge *) edges->data, edges->len, a->node_id, r);
  return TRUE;
}

/* The routes as the arrays router_route takes. */
static void
routes_arrays (const Routes *r, int dest, GString *nodes, GString *costs, GString *next, GString *paths)
{
  for (int v = 0; v < r->n; v++)
    {
      if (v == dest || !isfinite (r->cost[v]))
        continue;
      char num[G_ASCII_DTOSTR_BUF_SIZE];
      g_autofree char *id = g_strdup_printf ("%d", v), *hop = g_strdup_printf ("%d", r->next[v]);
      g_autoptr(GString) path = g_string_new ("{");
      for (int w = v; w >= 0; w = w == dest ? -1 : r->next[w])
        g_string_append_printf (path, w == v ? "%d" : ",%d", w);
      g_string_append_c (path, '}');
      px_tmdb_array_add (nodes, id);
      px_tmdb_array_add (costs, g_ascii_dtostr (num, sizeof num, r->cost[v]));
      px_tmdb_array_add (next, hop);
      px_tmdb_array_add (paths, path->str);
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

  Routes routes = { 0 };
  if (!compute_routes (a, &routes, error))
    return FALSE;
  g_autoptr(GString) nodes = g_string_new ("{"), costs = g_string_new ("{"), next = g_string_new ("{"),
                                            paths = g_string_new ("{");
  routes_arrays (&routes, a->node_id, nodes, costs, next, paths);
  routes_clear (&routes);

  if (!px_tmdb_begin (a->db, error))
    return FALSE;
  g_autoptr(PxRows) ex = px_tmdb_run (a->db, "router_expand", error, node);
  g_autoptr(PxRows) rc = ex ? px_tmdb_run (a->db, "router_recheck", error, node) : NULL;
  g_autoptr(PxRows) re = rc ? px_tmdb_run (a->db, "router_retry", error, node, delay, delay_max, max, expire) : NULL;
  g_autoptr(PxRows) rt = re ? px_tmdb_run (a->db, "router_route", error, node, nodes->str, costs->str, next->str,
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
  guint expanded = px_rows_affected (ex);
  guint pending = (guint) px_rows_get_int (rt, 0, 0), queued = (guint) px_rows_get_int (rt, 0, 1);
  guint no_source = (guint) px_rows_get_int (rt, 0, 2), no_path = (guint) px_rows_get_int (rt, 0, 3);
  guint windowed = (guint) px_rows_get_int (rt, 0, 4);
  guint retried = (guint) px_rows_get_int (re, 0, 0), gave_up = (guint) px_rows_get_int (re, 0, 1);
  guint expired = (guint) px_rows_get_int (re, 0, 2);
  if (expanded || queued || no_source || no_path || retried || gave_up || expired)
    g_message ("%u new requests, %u tasks queued, %u without source, %u without path, %u beyond the priority "
               "window, %u to retry, %u given up, %u expired",
               expanded, queued, no_source, no_path, windowed, retried, gave_up, expired);
  if (px_rows_get_int (sb, 0, 0) || px_rows_get_int (sb, 0, 1) || px_rows_get_int (sb, 0, 3))
    g_message ("%s subscriptions complete, %s moves (%s source replicas to delete), %s transit copies to clean",
               px_rows_get (sb, 0, 0), px_rows_get (sb, 0, 1), px_rows_get (sb, 0, 2), px_rows_get (sb, 0, 3));
  /* A full batch in some priority, and room left in the windows: go on. */
  *more = queued > 0 && pending - windowed == queued && pending >= (guint) px_agent_int (a, "router", "batch");
  if (px_rows_get (nt, 0, 0))
    *wake_in = MIN (*wake_in, MAX (0.05, g_ascii_strtod (px_rows_get (nt, 0, 0), NULL)));
  return TRUE;
}

const PxAgentClass px_agent_router = {
  .name = "router",
  .cycle = router_cycle,
  .listen_topology = TRUE,
};
