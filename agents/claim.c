/* claim.c — a batch claimed by locking it in the transaction that will
 * report it (verify, publish): no write to claim, one write to report. */
#include "config.h"
#include "agent.h"

PxRows *
px_agent_lock_batch (PxAgent *a, const char *state, const PxTmdbStatement *claim_statement, gint64 batch,
                     gboolean *more, GError **error)
{
  /* Claims by claimed_by (an agent of an earlier version), whose agent
   * died: freed at start and then every stale-after, not every cycle (the
   * statement reads every task of the node in STATE, and with claims by
   * lock there are none). */
  static gint64 released_at;
  gint64 now = g_get_monotonic_time ();
  if (!released_at || now - released_at > a->set.site.stale_after * G_USEC_PER_SEC)
    {
      g_autoptr(PxRows) rel = px_tmdb_query (a->db, px_sql_release_stale_claims, error, PX_INT (a->node_id),
                                             PX_TEXT (state));
      if (!rel)
        return NULL;
      released_at = now;
    }
  if (!px_tmdb_begin (a->db, error))
    return NULL;
  /* A stopped agent (SIGSTOP, a hung host) must not keep the batch locked:
   * the server ends its session after stale-after without a statement (the
   * batch's heartbeats are statements). */
  g_autofree char *limit = g_strdup_printf ("SET LOCAL idle_in_transaction_session_timeout = '%" G_GINT64_FORMAT "s'",
                                            a->set.site.stale_after);
  const PxTmdbParam params[] = { PX_INT (a->node_id), PX_INT (batch) };
  PxRows *claim = px_tmdb_exec_sql (a->db, limit, error)
                    ? px_tmdb_query_params (a->db, claim_statement, G_N_ELEMENTS (params), params, error)
                    : NULL;
  if (!claim)
    {
      px_tmdb_rollback (a->db);
      return NULL;
    }
  *more = px_rows_count (claim) == (guint) batch;
  return claim;
}
