/* publish.c — renames verified copies into place and, in one statement per
 * batch, marks the tasks done, writes the replicas and closes the requests.
 * Only verified tasks reach here: nothing unverified is ever published. */
#include "config.h"
#include "agent.h"
#include "catalog/pool.h"
#include "transfer/transfer.h"
#include <string.h>

/* The POOL catalogue is rewritten whole, so at most this often (seconds). */
#define POOL_INTERVAL 30.0

static gboolean pool_dirty = TRUE; /* also written once at start */
static gint64 pool_written_at;

/* Rewrite [publish] pool-catalog when replicas changed, at most every
 * POOL_INTERVAL; otherwise ask to be woken when it is due. */
static void
pool_catalog (PxAgent *a, double *wake_in)
{
  const char *path = a->set.publish.pool_catalog;
  if (!*path || !pool_dirty)
    return;
  double since = (g_get_monotonic_time () - pool_written_at) / (double) G_USEC_PER_SEC;
  if (pool_written_at && since < POOL_INTERVAL)
    {
      *wake_in = MIN (*wake_in, POOL_INTERVAL - since);
      return;
    }
  g_autoptr(GError) e = NULL;
  guint written = 0, unmapped = 0;
  const char *proto = a->set.publish.pool_catalog_protocol;
  pool_written_at = g_get_monotonic_time ();
  if (!px_pool_export_node (a->db, a->node, proto, path, &written, &unmapped, &e))
    {
      g_warning ("cannot write the POOL catalogue: %s", e->message);
      return;
    }
  pool_dirty = FALSE;
  g_message ("POOL catalogue %s: %u files%s", path, written, unmapped ? " (some LFNs had no PFN, left out)" : "");
}

/* The rename of TMP to FINAL failed (ERROR): if TMP is gone and FINAL holds
 * exactly the catalogue's bytes and checksum (read back), an earlier publish
 * renamed it and lost its report: that is done, not a failure.  Anything
 * else keeps the original error. */
static gboolean
already_published (const char *tmp, const char *final, guint64 bytes, const char *want,
                   GError **error)
{
  guint64 size = 0;
  if (px_transfer_stat (tmp, &size, NULL) || !px_transfer_stat (final, &size, NULL) || size != bytes)
    return FALSE;
  PxChecksum sum;
  const char *how = "read-back";
  g_autoptr(GError) e = NULL;
  if (!px_transfer_checksum (final, &sum, &how, &e))
    return FALSE;
  g_autofree char *got = px_checksum_format (&sum), *why = NULL;
  if (!px_checksum_matches (want, got, &why))
    return FALSE;
  g_message ("'%s' is already in place with the right size and checksum (an earlier publish renamed it but its "
             "report was lost); published", final);
  g_clear_error (error);
  return TRUE;
}

/* A batch's renames into place, in a thread of their own
 * (px_agent_run_beating): on a remote storage, or with a read-back of an
 * earlier attempt's file, they can outlast stale-after.  They stop early
 * when the agent stops (what is done is reported, the rest stays for its
 * next start) or its claims may have been lost. */
typedef struct
{
  PxRows *claim;
  guint done, bad;
  PxTmdbArray *ids, *st, *lg;
} Renames;

static gpointer
run_renames (gpointer data)
{
  Renames *r = data;
  PxRows *claim = r->claim;
  for (; r->done < px_rows_count (claim) && !px_agent_cancelled (); r->done++)
    {
      guint i = r->done;
      const char *tmp = px_rows_text (claim, i, "tmp_pfn"), *final = px_rows_text (claim, i, "to_pfn");
      g_autoptr(GError) e = NULL;
      px_tmdb_array_int (r->ids, px_rows_int (claim, i, "id"));
      /* tmp = final: the site's validate-command found the file already in
       * place; already_published: an earlier attempt renamed it and its report was lost. */
      if (tmp && final && (strcmp (tmp, final) == 0 || px_transfer_rename (tmp, final, &e)
                           || already_published (tmp, final, (guint64) px_rows_int (claim, i, "bytes"),
                                                 px_rows_text (claim, i, "checksum"), &e)))
        {
          px_tmdb_array_text (r->st, "done");
          px_tmdb_array_text (r->lg, NULL);
          continue;
        }
      r->bad++;
      g_autofree char *log = g_strdup_printf ("publish: cannot move '%s' into place: %s", tmp ? tmp : "(none)",
                                              e ? e->message : "no PFN recorded");
      g_message ("%s", log);
      px_tmdb_array_text (r->st, "failed");
      px_tmdb_array_text (r->lg, log);
    }
  return NULL;
}

static gboolean
publish_cycle (PxAgent *a, gboolean *more, double *wake_in, GError **error)
{
  /* The batch is locked by this transaction until its report commits. */
  g_autoptr(PxRows) claim = px_agent_lock_batch (a, "verified", &px_sql_publish_claim, a->set.publish.batch, more,
                                                 error);
  if (!claim)
    return FALSE;
  guint n = px_rows_count (claim);
  if (n == 0)
    {
      if (!px_tmdb_commit (a->db, error))
        return FALSE;
      pool_catalog (a, wake_in);
      return TRUE;
    }
  g_autoptr(PxTmdbArray) ids = px_tmdb_array_new (), st = px_tmdb_array_new (), lg = px_tmdb_array_new ();
  Renames r = { .claim = claim, .ids = ids, .st = st, .lg = lg };
  px_agent_run_beating (a, run_renames, &r);
  if (!px_agent_keep_claims (a, error))
    return FALSE;
  if (r.done == 0)
    return px_tmdb_commit (a->db, error);
  g_autoptr(PxRows) rep = px_tmdb_query (a->db, px_sql_publish_report, error, PX_ARRAY (ids), PX_ARRAY (st),
                                         PX_ARRAY (lg), PX_NULL);
  /* The outcomes count into the link's history after the report (report_history).
   * The transaction holds the batch, so all of it was reported; were it
   * not so, the history is left alone rather than miscounted. */
  if (!rep)
    return FALSE;
  gboolean count = px_rows_int (rep, 0, "reported") == (gint64) r.done;
  g_autoptr(PxRows) hist = count ? px_tmdb_query (a->db, px_sql_report_history, error, PX_ARRAY (ids),
                                                 PX_ARRAY (st), PX_BOOL (FALSE))
                                 : NULL;
  if ((count && !hist) || !px_tmdb_commit (a->db, error))
    return FALSE;
  if (r.done < n)
    g_message ("published %u replicas%s; stopping: %u left for the next start", r.done - r.bad,
               r.bad ? ", some failed" : "", n - r.done);
  else
    g_message ("published %u replicas%s", n - r.bad, r.bad ? ", some failed" : "");
  pool_dirty = pool_dirty || r.done > r.bad;
  if (!*more)
    pool_catalog (a, wake_in);
  return TRUE;
}

/* Notifications that are not this agent's work: only verified copies are its work. */
static const char *const idle_on[] = { "queued", "active", "transferred", "done", "failed", "at-rest", "leftovers", "deletions", "subscriptions", NULL };

const PxAgentClass px_agent_publish = {
  .name = "publish",
  .idle_on = idle_on,
  .cycle = publish_cycle,
};
