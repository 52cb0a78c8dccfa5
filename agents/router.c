/* router.c — owns the requests whose destination is this node: expands
 * subscriptions into requests, picks a source replica over an active link
 * (nearest first), queues tasks, and re-queues failed ones with back-off or
 * gives up with the last error as the reason.  All set-based. */
#include "config.h"
#include "agent.h"

static gboolean
router_cycle (PxAgent *a, gboolean *more, double *wake_in, GError **error)
{
  g_autofree char *node = g_strdup_printf ("%d", a->node_id);
  g_autofree char *delay = g_strdup_printf ("%" G_GINT64_FORMAT, px_agent_int (a, "router", "retry-delay"));
  g_autofree char *delay_max = g_strdup_printf ("%" G_GINT64_FORMAT, px_agent_int (a, "router", "retry-delay-max"));
  g_autofree char *max = g_strdup_printf ("%" G_GINT64_FORMAT, px_agent_int (a, "router", "max-attempts"));

  if (!px_tmdb_begin (a->db, error))
    return FALSE;
  g_autoptr(PxRows) ex = px_tmdb_run (a->db, "router_expand", error, node);
  if (!ex)
    return FALSE;
  g_autoptr(PxRows) rt = px_tmdb_run (a->db, "router_route", error, node);
  if (!rt)
    return FALSE;
  g_autoptr(PxRows) ns = px_tmdb_run (a->db, "router_no_source", error, node);
  if (!ns)
    return FALSE;
  g_autoptr(PxRows) re = px_tmdb_run (a->db, "router_retry", error, node, delay, delay_max, max);
  if (!re || !px_tmdb_commit (a->db, error))
    return FALSE;
  guint expanded = px_rows_affected (ex), queued = (guint) px_rows_get_int (rt, 0, 0);
  guint no_source = px_rows_affected (ns), retried = (guint) px_rows_get_int (re, 0, 0);
  guint gave_up = (guint) px_rows_get_int (re, 0, 1);
  if (expanded || queued || no_source || retried || gave_up)
    g_message ("%u new requests, %u tasks queued, %u without source, %u retried, %u given up", expanded, queued,
               no_source, retried, gave_up);
  *more = FALSE;
  return TRUE;
}

const PxAgentClass px_agent_router = {
  .name = "router",
  .cycle = router_cycle,
  .listen_topology = TRUE,
};
