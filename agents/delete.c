/* delete.c — removes what must go from this node's storage: partial files of
 * attempts that ended unpublished (the leftovers the task trigger records)
 * and replicas a deletion asks for, only while another good copy exists
 * elsewhere (or the deletion was forced). */
#include "config.h"
#include "agent.h"
#include "transfer/transfer.h"

static gboolean
remove_pfn (const char *pfn, GError **error)
{
  return px_transfer_remove (pfn, error);
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
  return TRUE;
}

const PxAgentClass px_agent_delete = {
  .name = "delete",
  .cycle = delete_cycle,
};
