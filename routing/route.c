#include "config.h"
#include "route.h"
#include <math.h>
#include <string.h>

/* Size of the file a link's cost is quoted for: the time to move a typical
 * file behind the link's queue. */
#define TYPICAL_FILE_BYTES (100.0 * 1024 * 1024)

typedef struct
{
  int from, to;
  double cost, rate, latency;
} Edge;

void
px_routes_clear (PxRoutes *r)
{
  g_free (r->cost);
  g_free (r->next);
  g_free (r->rate);
  g_free (r->latency);
  memset (r, 0, sizeof *r);
}

/* One row of router_graph as an edge: seconds to move a typical file over
 * the link, its queue plus the file at the link's rate, penalised by its
 * recent failure ratio. */
static Edge
edge_of (PxRows *g, guint i)
{
  double distance = (double) px_rows_int (g, i, "distance"), nominal = (double) px_rows_int (g, i, "nominal_rate");
  double done_bytes = (double) px_rows_int (g, i, "done_bytes"), done = (double) px_rows_int (g, i, "done_files");
  double failed = (double) px_rows_int (g, i, "fail_files"), span = px_rows_double (g, i, "span");
  double queued = (double) px_rows_int (g, i, "queued_bytes");
  Edge e = { (int) px_rows_int (g, i, "from_node"), (int) px_rows_int (g, i, "to_node"), 0, 0, 0 };
  e.rate = MAX (done > 0 && span > 60 ? done_bytes / span : nominal / distance, 1.0);
  e.latency = queued / e.rate;
  e.cost = (queued + TYPICAL_FILE_BYTES) / e.rate;
  if (failed > 0)
    e.cost *= 1.0 + 4.0 * failed / (failed + done);
  return e;
}

/* Dijkstra on the reversed graph from DEST (a few hundred nodes at most:
 * the O(V^2) form is simplest and fast enough). */
static void
dijkstra (const Edge *edges, guint n_edges, int dest, PxRoutes *r)
{
  int n = dest + 1;
  for (guint i = 0; i < n_edges; i++)
    n = MAX (n, MAX (edges[i].from, edges[i].to) + 1);
  r->n = n;
  r->cost = g_new (double, n);
  r->next = g_new (int, n);
  r->rate = g_new (double, n);
  r->latency = g_new (double, n);
  g_autofree gboolean *done = g_new0 (gboolean, n);
  for (int v = 0; v < n; v++)
    r->cost[v] = INFINITY, r->next[v] = -1, r->rate[v] = INFINITY, r->latency[v] = 0;
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
        {
          const Edge *e = &edges[i];
          if (e->to == u && r->cost[u] + e->cost < r->cost[e->from])
            {
              r->cost[e->from] = r->cost[u] + e->cost;
              r->next[e->from] = u;
              r->rate[e->from] = MIN (r->rate[u], e->rate);
              r->latency[e->from] = r->latency[u] + e->latency;
            }
        }
    }
}

gboolean
px_routes_compute (PxTmdb *db, int dest, PxRoutes *r, GError **error)
{
  g_autoptr(PxRows) g = px_tmdb_query0 (db, px_sql_router_graph, error);
  if (!g)
    return FALSE;
  g_autoptr(GArray) edges = g_array_new (FALSE, FALSE, sizeof (Edge));
  for (guint i = 0; i < px_rows_count (g); i++)
    {
      if (!px_rows_bool (g, i, "download_alive") || !px_rows_bool (g, i, "source_tfc"))
        continue; /* no download agent at the destination, or no storage.xml at the source */
      Edge e = edge_of (g, i);
      g_array_append_val (edges, e);
    }
  dijkstra ((const Edge *) edges->data, edges->len, dest, r);
  return TRUE;
}

char *
px_routes_path (const PxRoutes *r, int v, int dest)
{
  GString *path = g_string_new (NULL);
  for (int w = v; w >= 0; w = w == dest ? -1 : r->next[w])
    g_string_append_printf (path, w == v ? "%d" : ",%d", w);
  return g_string_free (path, FALSE);
}

void
px_route_arrays_init (PxRouteArrays *a, const PxRoutes *r, int dest)
{
  a->nodes = px_tmdb_array_new (), a->costs = px_tmdb_array_new (), a->next = px_tmdb_array_new ();
  a->paths = px_tmdb_array_new (), a->rates = px_tmdb_array_new (), a->latencies = px_tmdb_array_new ();
  for (int v = 0; v < r->n; v++)
    {
      if (v == dest || !isfinite (r->cost[v]))
        continue;
      g_autofree char *path = px_routes_path (r, v, dest);
      px_tmdb_array_int (a->nodes, v);
      px_tmdb_array_double (a->costs, r->cost[v]);
      px_tmdb_array_int (a->next, r->next[v]);
      px_tmdb_array_text (a->paths, path);
      px_tmdb_array_double (a->rates, r->rate[v]);
      px_tmdb_array_double (a->latencies, r->latency[v]);
    }
}

void
px_route_arrays_clear (PxRouteArrays *a)
{
  g_clear_pointer (&a->nodes, px_tmdb_array_free);
  g_clear_pointer (&a->costs, px_tmdb_array_free);
  g_clear_pointer (&a->next, px_tmdb_array_free);
  g_clear_pointer (&a->paths, px_tmdb_array_free);
  g_clear_pointer (&a->rates, px_tmdb_array_free);
  g_clear_pointer (&a->latencies, px_tmdb_array_free);
}
