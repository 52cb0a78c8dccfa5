/* inject-load.c — loading a parsed injection into the TMDB at a node: every
 * file checked present at the node with its size (LFN -> PFN through the
 * node's storage.xml, then a stat through the transfer backend), the input
 * staged and checked against the catalogue (duplicates, conflicting files,
 * blocks of another dataset), then applied in one transaction.  Bad input
 * changes nothing.  `phedex inject` and (later) the production hand-off use
 * it. */
#include "config.h"
#include "inject.h"
#include "lfn2pfn/tfc.h"
#include "transfer/transfer.h"
#include <string.h>

/* A site's local protocols, in the order inject tries them. */
static const char *const local_protocols[] = { "direct", "file", NULL };

static void
tell (const PxInjectLoad *load, const char *phase, guint done, guint total)
{
  if (load->progress)
    load->progress (phase, done, total, load->progress_data);
}

static gboolean
check_present (const PxInjectLoad *load, const PxTfc *tfc, const PxInject *in, GError **error)
{
  g_autoptr(GError) no_proto = NULL;
  const char *proto = px_tfc_pick_protocol (tfc, NULL, local_protocols, &no_proto);
  if (!proto)
    {
      g_set_error (error, PX_INJECT_ERROR, PX_INJECT_ERROR_NOT_PRESENT,
                   "the storage.xml of %s has no 'direct' or 'file' rules to find the files with; use --no-check "
                   "to inject without checking", load->node);
      return FALSE;
    }
  g_autoptr(PxTfcMapper) m = px_tfc_mapper_new (tfc, PX_TFC_LFN_TO_PFN, proto, load->node, FALSE, error);
  if (!m)
    return FALSE;
  g_autoptr(GString) pfn = g_string_new (NULL);
  g_autoptr(GString) bad = g_string_new (NULL);
  guint nbad = 0;
  guint total = px_inject_count (in);
  for (guint i = 0; i < total; i++)
    {
      const PxInjectFile *f = px_inject_file (in, i);
      g_autoptr(GError) e = NULL;
      guint64 size = 0;
      PxTfcResult mapped = px_tfc_mapper_map (m, f->lfn, pfn, NULL, &e);
      if (mapped == PX_TFC_NO_MATCH)
        e = g_error_new (PX_TFC_ERROR, PX_TFC_ERROR_NO_MATCH, "no %s rule maps it", proto);
      else if (mapped == PX_TFC_MATCH && px_transfer_stat (pfn->str, &size, &e) && size != f->bytes)
        e = g_error_new (PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT,
                         "'%s' has %" G_GUINT64_FORMAT " bytes, the injection says %" G_GUINT64_FORMAT, pfn->str,
                         size, f->bytes);
      if (e && ++nbad <= 5)
        g_string_append_printf (bad, "\n  %s: %s", f->lfn, e->message);
      tell (load, "checking", i + 1, total);
    }
  if (nbad)
    {
      g_set_error (error, PX_INJECT_ERROR, PX_INJECT_ERROR_NOT_PRESENT,
                   "%u of %u files are not present at %s as described:%s%s", nbad, total, load->node, bad->str,
                   nbad > 5 ? "\n  ..." : "");
      return FALSE;
    }
  return TRUE;
}

/* Fail with WHAT and one line per row when statement ST returns rows. */
static gboolean
refuse_rows (PxTmdb *db, const PxTmdbStatement *st, const char *what, GError **error)
{
  g_autoptr(PxRows) r = px_tmdb_query_params (db, st, 0, NULL, error);
  if (!r)
    return FALSE;
  if (px_rows_count (r) == 0)
    return TRUE;
  g_autoptr(GString) s = g_string_new (what);
  for (guint i = 0; i < px_rows_count (r); i++)
    {
      g_string_append (s, "\n  ");
      if (st == &px_sql_inject_conflicts)
        g_string_append_printf (s, "%s: catalogue has %s bytes, %s in block %s; input has %s bytes, %s in block %s",
                                px_rows_text (r, i, "lfn"), px_rows_text (r, i, "known_bytes"),
                                px_rows_text (r, i, "known_checksum"), px_rows_text (r, i, "known_block"),
                                px_rows_text (r, i, "bytes"), px_rows_text (r, i, "checksum"),
                                px_rows_text (r, i, "block"));
      else if (st == &px_sql_inject_block_conflicts)
        g_string_append_printf (s, "block %s belongs to dataset %s, not %s", px_rows_text (r, i, "block"),
                                px_rows_text (r, i, "known_dataset"), px_rows_text (r, i, "dataset"));
      else
        g_string_append (s, px_rows_text (r, i, "lfn"));
    }
  g_set_error_literal (error, PX_INJECT_ERROR, PX_INJECT_ERROR_CONFLICT, s->str);
  return FALSE;
}

PxTfc *
px_inject_node_tfc (PxTmdb *db, int node_id, const char *node, const char *path, GError **error)
{
  if (path)
    return px_tfc_load_file (path, error);
  g_autoptr(PxTmdbArray) ids = px_tmdb_array_new ();
  px_tmdb_array_int (ids, node_id);
  g_autoptr(PxRows) t = px_tmdb_query (db, px_sql_node_tfcs, error, PX_ARRAY (ids));
  if (!t)
    return NULL;
  const char *text = px_rows_count (t) ? px_rows_text (t, 0, "tfc") : NULL;
  if (!text)
    {
      g_set_error (error, PX_INJECT_ERROR, PX_INJECT_ERROR_NOT_PRESENT,
                   "node %s has no storage.xml in the TMDB yet to find the files with: start its agents, or pass "
                   "--tfc FILE (or, for inject, --no-check)", node);
      return NULL;
    }
  return px_tfc_load_data (text, strlen (text), "storage.xml (TMDB)", error);
}

gboolean
px_inject_load (PxTmdb *db, const PxInjectLoad *load, const PxInject *in, PxInjectResult *result, GError **error)
{
  memset (result, 0, sizeof *result);
  if (load->check)
    {
      g_autoptr(PxTfc) tfc = px_inject_node_tfc (db, load->node_id, load->node, load->tfc_path, error);
      if (!tfc || !check_present (load, tfc, in, error))
        return FALSE;
    }
  if (!px_tmdb_begin (db, error))
    return FALSE;
  if (!px_inject_apply (db, load, in, result, error) || !px_tmdb_commit (db, error))
    {
      px_tmdb_rollback (db);
      return FALSE;
    }
  return TRUE;
}

gboolean
px_inject_apply (PxTmdb *db, const PxInjectLoad *load, const PxInject *in, PxInjectResult *result, GError **error)
{
  memset (result, 0, sizeof *result);
  tell (load, "loading into the TMDB and checking for conflicts...", 0, 0);
  g_autoptr(PxTmdbInjectRows) rows = px_tmdb_inject_rows_new ();
  for (guint i = 0; i < px_inject_count (in); i++)
    {
      const PxInjectFile *f = px_inject_file (in, i);
      px_tmdb_inject_rows_add (rows, f->dataset, f->dataset_open, f->dbs, f->block, f->block_open, f->lfn, f->bytes,
                               f->checksum, f->guid);
    }
  if (!px_tmdb_inject_stage (db, rows, error)
      || !refuse_rows (db, &px_sql_inject_duplicates, "the input names these files more than once:", error)
      || !refuse_rows (db, &px_sql_inject_conflicts, "these files are already in the catalogue with other attributes:",
                       error)
      || !refuse_rows (db, &px_sql_inject_block_conflicts, "blocks already in another dataset:", error))
    return FALSE;
  tell (load, "applying...", 0, 0);
  g_autoptr(PxRows) applied = px_tmdb_query0 (db, px_sql_inject_apply, error);
  g_autoptr(PxRows) reps = applied ? px_tmdb_query (db, px_sql_inject_replicas, error, PX_INT (load->node_id)) : NULL;
  g_autoptr(PxRows) counts = reps ? px_tmdb_query0 (db, px_sql_inject_block_counts, error) : NULL;
  if (!counts)
    return FALSE;
  result->files_in_input = px_inject_count (in);
  result->new_files = px_rows_int (applied, 0, "files");
  result->new_bytes = px_rows_int (applied, 0, "bytes");
  result->blocks = px_rows_int (applied, 0, "blocks");
  result->new_replicas = px_rows_int (reps, 0, "replicas");
  return TRUE;
}
