/* delete.c — removes what must go from this node's storage: partial files of
 * attempts that ended unpublished (the leftovers the task trigger records),
 * replicas a deletion asks for, only while another good copy exists
 * elsewhere (or the deletion was forced), and unmerged files production
 * handed off (phedex handoff) once their merged output is safe. */
#include "config.h"
#include "agent.h"
#include "catalog/jobreport.h"
#include "transfer/transfer.h"
#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

static gboolean
remove_pfn (const char *pfn, GError **error)
{
  return px_transfer_remove (pfn, error);
}

/* After LFN's file went: remove its directories that are now empty, up to
 * (never including) its unmerged base, one rmdir each (never recursive;
 * a directory with anything left in it stops the walk).  Local storage
 * only (a plain path or file://): object stores have no directories. */
static void
remove_empty_dirs (PxAgent *a, const char *lfn, const char *pfn)
{
  const char *path = g_str_has_prefix (pfn, "file://") ? pfn + strlen ("file://") : pfn;
  if (path[0] != '/')
    return;
  g_autofree char *ldir = g_path_get_dirname (lfn);
  g_autofree char *pdir = g_path_get_dirname (path);
  const char *const *bases = (const char *const *) a->set.del.unmerged_bases;
  while (px_jobreport_under_bases (ldir, bases))
    {
      g_autofree char *lb = g_path_get_basename (ldir), *pb = g_path_get_basename (pdir);
      if (strcmp (lb, pb) != 0 || g_rmdir (pdir) != 0)
        break; /* not the same layout, not empty, or gone: stop */
      g_message ("removed empty directory %s", pdir);
      char *up = g_path_get_dirname (ldir);
      g_free (ldir), ldir = up;
      up = g_path_get_dirname (pdir);
      g_free (pdir), pdir = up;
    }
}

/* Unmerged files: which may go is decided in one statement (unmerged_decide:
 * merged, verified, custodial copy where subscribed custodially, no hold),
 * which stores every refusal's reason and claims a batch; then each file is
 * removed through the transfer backend (a stat first for its size; a file
 * already missing counts as gone) and marked deleted at once, so an agent
 * killed mid-batch resumes with the rest.  If the decision cannot be read,
 * nothing is deleted this round. */
static gboolean
unmerged_cycle (PxAgent *a, gboolean *more, GError **error)
{
  guint limit = (guint) a->set.del.unmerged_batch;
  /* The node's hand-off block limits, for phedex handoff; blocks that
   * reached one (age, mostly) are closed. */
  g_autoptr(PxRows) lim = px_tmdb_query (a->db, px_sql_handoff_limits_set, error, PX_INT (a->node_id),
                                         PX_INT (a->set.handoff.block_max_files), PX_INT (a->set.handoff.block_max_bytes),
                                         PX_INT (a->set.handoff.block_max_events), PX_INT (a->set.handoff.block_max_age));
  g_autoptr(PxRows) closed = lim ? px_tmdb_query (a->db, px_sql_handoff_blocks_close, error, PX_INT (a->node_id)) : NULL;
  if (!closed)
    return FALSE;
  for (guint i = 0; i < px_rows_count (closed); i++)
    g_message ("closed block %s: it reached a hand-off limit", px_rows_text (closed, i, "block"));
  if (!px_tmdb_begin (a->db, error))
    return FALSE;
  g_autoptr(PxRows) go = px_tmdb_query (a->db, px_sql_unmerged_decide, error, PX_INT (a->node_id), PX_INT (limit));
  if (!go || !px_tmdb_commit (a->db, error))
    {
      px_tmdb_rollback (a->db);
      return FALSE;
    }
  g_autoptr(GError) no_proto = NULL;
  const char *proto = px_agent_pick_protocol (a, NULL, &no_proto);
  guint gone = 0;
  gint64 bytes_gone = 0;
  for (guint i = 0; i < px_rows_count (go) && !px_agent_stopping (); i++)
    {
      gint64 id = px_rows_int (go, i, "id");
      const char *lfn = px_rows_text (go, i, "lfn");
      g_autoptr(GError) e = proto ? NULL : g_error_copy (no_proto);
      g_autofree char *pfn = proto ? px_tfc_map_one (a->tfc, PX_TFC_LFN_TO_PFN, proto, a->node, FALSE, lfn, NULL, &e)
                                   : NULL;
      guint64 size = 0;
      g_autoptr(GError) missing = NULL;
      gboolean seen = pfn && px_transfer_stat (pfn, &size, &missing);
      g_autoptr(PxRows) done = NULL;
      if (pfn && px_transfer_remove (pfn, &e))
        {
          done = px_tmdb_query (a->db, px_sql_unmerged_deleted, error, PX_INT (id), seen ? PX_INT (size) : PX_NULL);
          if (!done)
            return FALSE;
          gone++;
          bytes_gone += seen ? (gint64) size : px_rows_int (go, i, "bytes");
          remove_empty_dirs (a, lfn, pfn);
        }
      else
        {
          g_warning ("cannot remove unmerged %s: %s", lfn, e ? e->message : "no PFN");
          done = px_tmdb_query (a->db, px_sql_unmerged_delete_failed, error, PX_INT (id),
                                PX_TEXT (e ? e->message : "no PFN"), PX_INT (a->set.del.unmerged_retry_delay),
                                PX_INT (a->set.del.unmerged_retry_delay_max));
          if (!done)
            return FALSE;
        }
    }
  if (gone)
    g_message ("removed %u unmerged files (%" G_GINT64_FORMAT " bytes)", gone, bytes_gone);
  *more = *more || px_rows_count (go) == limit;
  return TRUE;
}

static gboolean
delete_cycle (PxAgent *a, gboolean *more, double *wake_in, GError **error)
{
  gint64 node = a->node_id;
  guint limit = (guint) a->set.del.batch;

  /* Leftovers: claim, remove, forget, in one transaction. */
  if (!px_tmdb_begin (a->db, error))
    return FALSE;
  g_autoptr(PxRows) left = px_tmdb_query (a->db, px_sql_delete_leftovers, error, PX_INT (node), PX_INT (limit));
  if (!left)
    return FALSE;
  g_autoptr(PxTmdbArray) done = px_tmdb_array_new ();
  for (guint i = 0; i < px_rows_count (left); i++)
    {
      g_autoptr(GError) e = NULL;
      if (remove_pfn (px_rows_text (left, i, "pfn"), &e))
        px_tmdb_array_int (done, px_rows_int (left, i, "id"));
      else
        g_warning ("cannot remove leftover: %s", e->message);
    }
  g_autoptr(PxRows) forget = px_tmdb_query (a->db, px_sql_delete_leftovers_done, error, PX_ARRAY (done));
  if (!forget || !px_tmdb_commit (a->db, error))
    return FALSE;
  if (px_tmdb_array_len (done))
    g_message ("removed %u partial files", px_tmdb_array_len (done));

  /* Deletions of replicas. */
  if (!px_tmdb_begin (a->db, error))
    return FALSE;
  /* Exclusive of this node's router (see node_lock): a copy its router just
   * saw here, and so did not request, is not deleted under it. */
  g_autoptr(PxRows) lock = px_tmdb_query (a->db, px_sql_node_lock, error, PX_INT (node));
  g_autoptr(PxRows) kept = lock ? px_tmdb_query (a->db, px_sql_delete_drop_wanted, error, PX_INT (node)) : NULL;
  g_autoptr(PxRows) del = kept ? px_tmdb_query (a->db, px_sql_delete_claim, error, PX_INT (node), PX_INT (limit)) : NULL;
  if (!del)
    return FALSE;
  if (px_rows_count (kept))
    g_message ("kept %u transit or move copies that a subscription here now wants", px_rows_count (kept));
  g_autoptr(PxTmdbArray) gone = px_tmdb_array_new ();
  g_autoptr(GError) no_proto = NULL;
  const char *proto = px_agent_pick_protocol (a, NULL, &no_proto);
  for (guint i = 0; i < px_rows_count (del); i++)
    {
      const char *lfn = px_rows_text (del, i, "lfn");
      g_autoptr(GError) e = proto ? NULL : g_error_copy (no_proto);
      g_autofree char *pfn = proto ? px_tfc_map_one (a->tfc, PX_TFC_LFN_TO_PFN, proto, a->node, FALSE, lfn, NULL, &e)
                                   : NULL;
      if (pfn && remove_pfn (pfn, &e))
        {
          px_tmdb_array_int (gone, px_rows_int (del, i, "file"));
          g_message ("deleted replica of %s (%s)", lfn, pfn);
        }
      else
        g_warning ("cannot delete replica of %s: %s", lfn, e ? e->message : "no PFN");
    }
  g_autoptr(PxRows) fin = px_tmdb_query (a->db, px_sql_delete_done, error, PX_INT (node), PX_ARRAY (gone));
  if (!fin || !px_tmdb_commit (a->db, error))
    return FALSE;
  *more = px_rows_count (left) == limit || px_rows_count (del) == limit;
  return unmerged_cycle (a, more, error);
}

/* Notifications that are not this agent's work: only deletions and leftovers are.  A task's
 * state change is announced to its destination, whose deletions it does not
 * unblock (a deletion waits for transfers out of its node, for a good copy
 * elsewhere, for requests elsewhere: other nodes' channels), and a failed
 * attempt's partial file comes as "leftovers"; the poll-interval cycle
 * covers the rest (hand-off clean-up, forced deletions). */
static const char *const idle_on[] = { "queued", "active", "transferred", "verified", "done", "failed", "retry",
                                       "at-rest", "subscriptions", NULL };

const PxAgentClass px_agent_delete = {
  .name = "delete",
  .idle_on = idle_on,
  .cycle = delete_cycle,
};
