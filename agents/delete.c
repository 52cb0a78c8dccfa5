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
  const PxTransferBackend *be = px_transfer_backend_for (pfn, error);
  return be && be->remove (pfn, error);
}

static gboolean
delete_cycle (PxAgent *a, gboolean *more, double *wake_in, GError **error)
{
  g_autofree char *node = g_strdup_printf ("%d", a->node_id);
  g_autofree char *batch = g_strdup_printf ("%" G_GINT64_FORMAT, px_agent_int (a, "delete", "batch"));
  guint limit = (guint) px_agent_int (a, "delete", "batch");

  /* Leftovers: claim, remove, forget, in one transaction. */
  if (!px_tmdb_begin (a->db, error))
    return FALSE;
  g_autoptr(PxRows) left = px_tmdb_run (a->db, "delete_leftovers", error, node, batch);
  if (!left)
    return FALSE;
  g_autoptr(GArray) done = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < px_rows_count (left); i++)
    {
      g_autoptr(GError) e = NULL;
      if (remove_pfn (px_rows_get (left, i, 1), &e))
        {
          gint64 id = px_rows_get_int (left, i, 0);
          g_array_append_val (done, id);
        }
      else
        g_warning ("cannot remove leftover: %s", e->message);
    }
  g_autofree char *arr = px_agent_id_array (done);
  g_autoptr(PxRows) forget = px_tmdb_run (a->db, "delete_leftovers_done", error, arr);
  if (!forget || !px_tmdb_commit (a->db, error))
    return FALSE;
  if (done->len)
    g_message ("removed %u partial files", done->len);

  /* Deletions of replicas. */
  if (!px_tmdb_begin (a->db, error))
    return FALSE;
  /* Exclusive of this node's router (see node_lock): a copy its router just
   * saw here, and so did not request, is not deleted under it. */
  g_autoptr(PxRows) lock = px_tmdb_run (a->db, "node_lock", error, node);
  g_autoptr(PxRows) kept = lock ? px_tmdb_run (a->db, "delete_drop_wanted", error, node) : NULL;
  g_autoptr(PxRows) del = kept ? px_tmdb_run (a->db, "delete_claim", error, node, batch) : NULL;
  if (!del)
    return FALSE;
  if (px_rows_count (kept))
    g_message ("kept %u transit or move copies that a subscription here now wants", px_rows_count (kept));
  g_autoptr(GArray) gone = g_array_new (FALSE, FALSE, sizeof (gint64));
  char **protos = px_config_list (a->cfg, "site", "protocols");
  for (guint i = 0; i < px_rows_count (del); i++)
    {
      const char *lfn = px_rows_get (del, i, 1);
      g_autoptr(GError) e = NULL;
      g_autofree char *pfn = NULL;
      for (guint p = 0; protos[p] && !pfn; p++)
        if (px_tfc_has_protocol (a->tfc, PX_TFC_LFN_TO_PFN, protos[p]))
          pfn = px_tfc_map_one (a->tfc, PX_TFC_LFN_TO_PFN, protos[p], a->node, FALSE, lfn, NULL, &e);
      if (pfn && remove_pfn (pfn, &e))
        {
          gint64 id = px_rows_get_int (del, i, 0);
          g_array_append_val (gone, id);
          g_message ("deleted replica of %s (%s)", lfn, pfn);
        }
      else
        g_warning ("cannot delete replica of %s: %s", lfn, e ? e->message : "no PFN");
    }
  g_autofree char *garr = px_agent_id_array (gone);
  g_autoptr(PxRows) fin = px_tmdb_run (a->db, "delete_done", error, node, garr);
  if (!fin || !px_tmdb_commit (a->db, error))
    return FALSE;
  *more = px_rows_count (left) == limit || px_rows_count (del) == limit;
  return TRUE;
}

const PxAgentClass px_agent_delete = {
  .name = "delete",
  .cycle = delete_cycle,
};
