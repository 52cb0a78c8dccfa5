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
#include "routing/route.h"

/* Seconds between sweeps of redundant queued hops (router_dups), at least;
 * and at least this many times the last sweep's duration, so that the sweep
 * of a big queue takes a bounded share of the router's time. */
#define DUPS_INTERVAL 30
#define DUPS_SHARE 20
/* A backlog is routed in bigger batches: each full cycle doubles the batch,
 * up to this many times [router] batch, so the per-cycle statements (graph,
 * retries, subscriptions, history) are paid once per more requests; the
 * first cycle that is not full goes back to [router] batch. */
#define BATCH_GROWTH 16
/* A cycle expands a subscription by the files within this many ids of its
 * next one: a million-file subscription starts moving after its first
 * slice, not after one statement that writes all its requests. */
#define EXPAND_SLICE 100000
/* Rows (requests expanded + tasks queued) before the first ANALYZE. */
#define ANALYZE_AFTER 10000

static gboolean
router_cycle (PxAgent *a, gboolean *more, double *wake_in, GError **error)
{
  gint64 node = a->node_id;
  PxRoutes routes = { 0 };
  if (!px_routes_compute (a->db, a->node_id, &routes, error))
    return FALSE;
  PxRouteArrays ra;
  px_route_arrays_init (&ra, &routes, a->node_id);
  px_routes_clear (&routes);

  if (!px_tmdb_begin (a->db, error))
    {
      px_route_arrays_clear (&ra);
      return FALSE;
    }
  g_autoptr(PxRows) lk = px_tmdb_query (a->db, px_sql_node_lock_shared, error, PX_INT (node));
  g_autoptr(PxRows) ex = lk ? px_tmdb_query (a->db, px_sql_router_expand, error, PX_INT (node),
                                            PX_INT (EXPAND_SLICE)) : NULL;
  g_autoptr(PxRows) rc = ex ? px_tmdb_query (a->db, px_sql_router_recheck, error, PX_INT (node)) : NULL;
  g_autoptr(PxRows) re = rc ? px_tmdb_query (a->db, px_sql_router_retry, error, PX_INT (node),
                                             PX_INT (a->set.router.retry_delay),
                                             PX_INT (a->set.router.retry_delay_max),
                                             PX_INT (a->set.router.max_attempts),
                                             PX_INT (a->set.router.task_expire))
                            : NULL;
  /* Hops made redundant by a race are never claimed (download_claim skips
   * them), so they are swept now and then, not every cycle: the sweep
   * reads this node's whole queue. */
  static gint64 swept_at, sweep_took;
  gint64 sweep_start = g_get_monotonic_time ();
  gboolean sweep = sweep_start - swept_at > MAX (DUPS_INTERVAL * G_USEC_PER_SEC, DUPS_SHARE * sweep_took);
  g_autoptr(PxRows) du = re && sweep ? px_tmdb_query (a->db, px_sql_router_dups, error, PX_INT (node)) : NULL;
  if (du)
    sweep_took = g_get_monotonic_time () - sweep_start;
  static gint64 batch;
  if (batch < a->set.router.batch || batch > a->set.router.batch * BATCH_GROWTH)
    batch = a->set.router.batch;
  gboolean go = re && (du || !sweep);
  g_autoptr(PxRows) rt = go ? px_tmdb_query (a->db, px_sql_router_route, error, PX_INT (node), PX_ARRAY (ra.nodes),
                                             PX_ARRAY (ra.costs), PX_ARRAY (ra.next), PX_ARRAY (ra.paths),
                                             PX_INT (batch),
                                             PX_INT (a->set.router.window_mb * 1048576),
                                             PX_INT (a->set.router.no_path_recheck))
                            : NULL;
  px_route_arrays_clear (&ra);
  g_autoptr(PxRows) sb = rt ? px_tmdb_query (a->db, px_sql_router_subscriptions, error, PX_INT (node)) : NULL;
  g_autoptr(PxRows) hi = sb ? px_tmdb_query (a->db, px_sql_router_history, error, PX_INT (node)) : NULL;
  g_autoptr(PxRows) nt = hi ? px_tmdb_query (a->db, px_sql_router_next_try, error, PX_INT (node)) : NULL;
  if (!nt || !px_tmdb_commit (a->db, error))
    {
      px_tmdb_rollback (a->db);
      return FALSE;
    }
  guint expanded = (guint) px_rows_int (ex, 0, "requests");
  guint pending = (guint) px_rows_int (rt, 0, "pending"), queued = (guint) px_rows_int (rt, 0, "queued");
  /* Statistics follow the churn: a big subscription turns small requests
   * and tasks tables into big ones faster than autovacuum looks (once a
   * minute); analyse them each time this router has written as many rows
   * again as at its last ANALYZE (10k, 20k, 40k, ...).  Only a warning if
   * this role may not (the table owner or a superuser may). */
  static gint64 written, analyzed_at;
  written += expanded + queued;
  if (written - analyzed_at >= MAX (ANALYZE_AFTER, analyzed_at))
    {
      g_autoptr(GError) ae = NULL;
      if (!px_tmdb_exec_sql (a->db, "ANALYZE requests, tasks", &ae))
        g_warning ("ANALYZE after %" G_GINT64_FORMAT " new rows: %s", written - analyzed_at, ae->message);
      analyzed_at = written;
    }
  guint no_source = (guint) px_rows_int (rt, 0, "no_source"), no_path = (guint) px_rows_int (rt, 0, "no_path");
  guint windowed = (guint) px_rows_int (rt, 0, "windowed"), here = (guint) px_rows_int (rt, 0, "here");
  guint dups = du ? (guint) px_rows_int (du, 0, "dropped") : 0;
  if (sweep)
    swept_at = g_get_monotonic_time ();
  guint retried = (guint) px_rows_int (re, 0, "retried"), gave_up = (guint) px_rows_int (re, 0, "gave_up");
  guint expired = (guint) px_rows_int (re, 0, "expired");
  if (expanded || queued || no_source || no_path || retried || gave_up || expired || here || dups)
    g_message ("%u new requests, %u tasks queued, %u without source, %u without path, %u beyond the priority "
               "window, %u to retry, %u given up, %u expired, %u already here, %u hops dropped (file already there)",
               expanded, queued, no_source, no_path, windowed, retried, gave_up, expired, here, dups);
  gint64 completed = px_rows_int (sb, 0, "completed"), moved = px_rows_int (sb, 0, "moved");
  gint64 transit = px_rows_int (sb, 0, "transit_deletions");
  if (completed || moved || transit)
    g_message ("%" G_GINT64_FORMAT " subscriptions complete, %" G_GINT64_FORMAT " moves (%" G_GINT64_FORMAT
               " source replicas to delete), %" G_GINT64_FORMAT " transit copies to clean",
               completed, moved, px_rows_int (sb, 0, "move_deletions"), transit);
  /* A full batch in some priority, and room left in the windows: go on. */
  gboolean full = queued + here > 0 && pending - windowed == queued + here && pending >= (guint) batch;
  batch = full ? MIN (batch * 2, a->set.router.batch * BATCH_GROWTH) : a->set.router.batch;
  /* ... or files left to expand. */
  *more = full || px_rows_bool (ex, 0, "more");
  if (!px_rows_is_null (nt, 0, "seconds"))
    *wake_in = MIN (*wake_in, MAX (0.05, px_rows_double (nt, 0, "seconds")));
  return TRUE;
}

/* Notifications that are not this agent's work: a download, verify or publish step at this node, and clean-up work, are not the router's. */
static const char *const idle_on[] = { "queued", "active", "transferred", "verified", "leftovers", "deletions", NULL };

const PxAgentClass px_agent_router = {
  .name = "router",
  .idle_on = idle_on,
  .cycle = router_cycle,
  .listen_topology = TRUE,
};
