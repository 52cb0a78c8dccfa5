/* handoff.c — one job report at a node into the TMDB (see handoff.h). */
#include "config.h"
#include "handoff.h"
#include "inject.h"
#include "jobreport.h"
#include "lfn2pfn/lfn.h"
#include "common/px-checksum.h"
#include "transfer/transfer.h"
#include <string.h>

G_DEFINE_QUARK (px-handoff-error-quark, px_handoff_error)

/* A site's local protocols, in the order the hand-off tries them (as inject). */
static const char *const local_protocols[] = { "direct", "file", NULL };

void
px_handoff_result_clear (PxHandoffResult *r)
{
  g_clear_pointer (&r->note, g_free);
  memset (r, 0, sizeof *r);
}

static gboolean
reject (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
static gboolean
reject (GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *m = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, PX_HANDOFF_ERROR, PX_HANDOFF_ERROR_REJECTED, m);
  return FALSE;
}

/* One output to inject, as read on storage. */
typedef struct
{
  const PxJobReportFile *f;
  char *dataset, *checksum;
  guint64 bytes;
  gboolean known; /* already in the catalogue, identical */
} Merged;

static void
merged_clear (gpointer p)
{
  Merged *m = p;
  g_free (m->dataset);
  g_free (m->checksum);
}

/* LFN's PFN at the node. */
static char *
pfn_of (const PxHandoff *h, const char *lfn, GError **error)
{
  const char *proto = px_tfc_pick_protocol (h->tfc, NULL, local_protocols, error);
  if (!proto)
    return NULL;
  return px_tfc_map_one (h->tfc, PX_TFC_LFN_TO_PFN, proto, h->node, FALSE, lfn, NULL, error);
}

/* Read M's file on the node's storage: bytes, adler32 and cksum; the
 * report's values must agree. */
static gboolean
measure (const PxHandoff *h, const char *report, Merged *m, GError **error)
{
  g_autoptr(GError) e = NULL;
  g_autofree char *pfn = pfn_of (h, m->f->lfn, &e);
  PxChecksum sum;
  px_checksum_init (&sum);
  if (!pfn || !px_transfer_checksum (pfn, &sum, NULL, &e))
    return reject (error, "%s:%d: output '%s' cannot be read at %s: %s", report, m->f->line, m->f->lfn, h->node,
                   e->message);
  m->bytes = sum.bytes;
  m->checksum = px_checksum_format (&sum);
  if (m->f->have_bytes && m->f->bytes != m->bytes)
    return reject (error, "%s:%d: output '%s' has %" G_GUINT64_FORMAT " bytes at %s, the report says %" G_GUINT64_FORMAT,
                   report, m->f->line, m->f->lfn, m->bytes, h->node, m->f->bytes);
  if (m->f->checksum)
    {
      g_autofree char *why = NULL;
      /* a report may carry cksum only: compare what both have */
      gboolean ok = g_str_has_prefix (m->f->checksum, "adler32:") ? px_checksum_matches (m->f->checksum, m->checksum, &why)
                                                                  : strstr (m->checksum, m->f->checksum) != NULL;
      if (!ok)
        return reject (error, "%s:%d: output '%s' at %s has checksum %s, the report says %s%s%s", report, m->f->line,
                       m->f->lfn, h->node, m->checksum, m->f->checksum, why ? ": " : "", why ? why : "");
    }
  return TRUE;
}

/* The adler32 part of a canonical checksum string. */
static const char *
adler_of (const char *ck)
{
  return ck ? strstr (ck, "adler32:") : NULL;
}

/* Outputs already in the catalogue: identical ones are marked known (not
 * injected again); any other is a conflict, named loudly. */
static gboolean
check_identity (PxTmdb *db, const char *report, GArray *merged, GError **error)
{
  if (merged->len == 0)
    return TRUE;
  g_autoptr(PxTmdbArray) lfns = px_tmdb_array_new ();
  for (guint i = 0; i < merged->len; i++)
    px_tmdb_array_text (lfns, g_array_index (merged, Merged, i).f->lfn);
  g_autoptr(PxRows) k = px_tmdb_query (db, px_sql_handoff_known, error, PX_ARRAY (lfns));
  if (!k)
    return FALSE;
  g_autoptr(GString) bad = g_string_new (NULL);
  for (guint r = 0; r < px_rows_count (k); r++)
    for (guint i = 0; i < merged->len; i++)
      {
        Merged *m = &g_array_index (merged, Merged, i);
        if (strcmp (m->f->lfn, px_rows_text (k, r, "lfn")) != 0)
          continue;
        const char *guid = px_rows_text (k, r, "guid"), *ck = px_rows_text (k, r, "checksum");
        gint64 bytes = px_rows_int (k, r, "bytes");
        const char *a = adler_of (ck), *b = adler_of (m->checksum);
        gboolean same_adler = a && b && strncmp (a, b, strlen ("adler32:") + 8) == 0;
        if ((guint64) bytes == m->bytes && same_adler && g_strcmp0 (guid ? guid : "", m->f->guid) == 0)
          m->known = TRUE;
        else
          g_string_append_printf (bad, "\n  %s: catalogue has GUID %s, %" G_GINT64_FORMAT " bytes, %s; the report's "
                                  "file has GUID %s, %" G_GUINT64_FORMAT " bytes, %s", m->f->lfn,
                                  guid && *guid ? guid : "(none)", bytes, ck, *m->f->guid ? m->f->guid : "(none)",
                                  m->bytes, m->checksum);
      }
  if (bad->len)
    {
      g_set_error (error, PX_HANDOFF_ERROR, PX_HANDOFF_ERROR_CONFLICT,
                   "%s: CONFLICT: outputs already in the catalogue as different files (rename the output: merge jobs "
                   "all write Merged.root):%s", report, bad->str);
      return FALSE;
    }
  return TRUE;
}

/* The open hand-off block of DATASET at the node (a new name when none). */
static char *
open_block (PxTmdb *db, const PxHandoff *h, const char *dataset, GError **error)
{
  g_autoptr(PxRows) b = px_tmdb_query (db, px_sql_handoff_block, error, PX_TEXT (dataset), PX_INT (h->node_id));
  if (!b)
    return NULL;
  if (px_rows_count (b))
    return g_strdup (px_rows_text (b, 0, "block"));
  g_autofree char *uuid = g_uuid_string_random ();
  return g_strdup_printf ("%s#%s", dataset, uuid);
}

/* Sizes of unmerged LFNS at the node where a stat finds them (NULL otherwise). */
static PxTmdbArray *
stat_sizes (const PxHandoff *h, GPtrArray *lfns)
{
  PxTmdbArray *sizes = px_tmdb_array_new ();
  for (guint i = 0; i < lfns->len; i++)
    {
      g_autoptr(GError) e = NULL;
      g_autofree char *pfn = pfn_of (h, lfns->pdata[i], &e);
      guint64 bytes = 0;
      if (pfn && px_transfer_stat (pfn, &bytes, &e))
        px_tmdb_array_int (sizes, (gint64) bytes);
      else
        px_tmdb_array_text (sizes, NULL);
    }
  return sizes;
}

static PxTmdbArray *
text_array (GPtrArray *v)
{
  PxTmdbArray *a = px_tmdb_array_new ();
  for (guint i = 0; i < v->len; i++)
    px_tmdb_array_text (a, v->pdata[i]);
  return a;
}

static void
add_unique (GPtrArray *v, const char *s)
{
  for (guint i = 0; i < v->len; i++)
    if (strcmp (v->pdata[i], s) == 0)
      return;
  g_ptr_array_add (v, (gpointer) s);
}

static gint64
count_of (PxRows *r)
{
  return r ? px_rows_int (r, 0, "added") : 0;
}

/* Record unmerged LFNS of ORIGIN; adds to *N how many are new. */
static gboolean
add_unmerged (PxTmdb *db, const PxHandoff *h, GPtrArray *lfns, const char *origin, guint *n, GError **error)
{
  if (lfns->len == 0)
    return TRUE;
  g_autoptr(PxTmdbArray) a = text_array (lfns);
  g_autoptr(PxTmdbArray) sizes = stat_sizes (h, lfns);
  g_autoptr(PxRows) r = px_tmdb_query (db, px_sql_handoff_unmerged_add, error, PX_INT (h->node_id), PX_ARRAY (a),
                                       PX_ARRAY (sizes), PX_TEXT (origin));
  *n += (guint) count_of (r);
  return r != NULL;
}

gboolean
px_handoff_report (PxTmdb *db, const PxHandoff *h, const char *path, PxHandoffResult *res, GError **error)
{
  memset (res, 0, sizeof *res);
  g_autofree char *data = NULL;
  gsize size = 0;
  g_autoptr(GError) e = NULL;
  if (!g_file_get_contents (path, &data, &size, &e))
    return reject (error, "%s", e->message);
  g_autofree char *digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, size);
  g_autoptr(PxJobReport) jr = px_jobreport_parse_data (data, size, path, &e);
  if (!jr)
    return reject (error, "%s", e->message);

  /* Every LFN of the report is checked before any is used. */
  for (guint i = 0; i < px_jobreport_n_inputs (jr); i++)
    {
      const PxJobReportInput *in = px_jobreport_input (jr, i);
      if (*in->lfn && !px_lfn_validate (in->lfn, -1, &e))
        return reject (error, "%s:%d: input: %s", path, in->line, e->message);
    }
  for (guint i = 0; i < px_jobreport_n_outputs (jr); i++)
    {
      const PxJobReportFile *f = px_jobreport_output (jr, i);
      if (*f->lfn && (!px_lfn_validate (f->lfn, -1, &e) || (f->lfn[0] != '/' && !(e = g_error_new (PX_LFN_ERROR,
          PX_LFN_ERROR_INVALID, "LFN '%s' must start with /", f->lfn)))))
        return reject (error, "%s:%d: output: %s", path, f->line, e->message);
      for (const char *const *l = f->inputs; *l; l++)
        if (**l && !px_lfn_validate (*l, -1, &e))
          return reject (error, "%s:%d: output's input: %s", path, f->line, e->message);
    }

  g_autoptr(PxRows) seen = px_tmdb_query (db, px_sql_handoff_seen, error, PX_INT (h->node_id), PX_TEXT (digest));
  if (!seen)
    return FALSE;
  if (px_rows_count (seen))
    {
      res->outcome = PX_HANDOFF_DUPLICATE;
      res->note = g_strdup_printf ("handed off before (%s, as %s): nothing changed", px_rows_text (seen, 0, "created"),
                                   px_rows_text (seen, 0, "outcome"));
      return TRUE;
    }

  /* The primary inputs under an unmerged base: the merge parents (or, for a
   * failed job, what must be held). */
  g_autoptr(GPtrArray) parents = g_ptr_array_new ();
  for (guint i = 0; i < px_jobreport_n_inputs (jr); i++)
    {
      const PxJobReportInput *in = px_jobreport_input (jr, i);
      if (in->type == PX_JOBREPORT_PRIMARY && *in->lfn && px_jobreport_under_bases (in->lfn, h->unmerged_bases))
        add_unique (parents, in->lfn);
    }
  g_autoptr(GPtrArray) unmerged_out = g_ptr_array_new ();
  g_autoptr(GArray) merged = g_array_new (FALSE, TRUE, sizeof (Merged));
  g_array_set_clear_func (merged, merged_clear);
  const char *failure = px_jobreport_failure (jr);
  for (guint i = 0; i < px_jobreport_n_outputs (jr); i++)
    {
      const PxJobReportFile *f = px_jobreport_output (jr, i);
      if (!*f->lfn)
        {
          res->skipped_no_lfn++;
          continue;
        }
      if (px_jobreport_under_bases (f->lfn, h->unmerged_bases))
        {
          const char *jt = px_jobreport_job_type (jr);
          if (!failure && (strcmp (f->module, "Merged") == 0 || (jt && strcmp (jt, "Merge") == 0)))
            return reject (error, "%s:%d: merged output '%s' lies under an unmerged base", path, f->line, f->lfn);
          add_unique (unmerged_out, f->lfn);
          continue;
        }
      if (failure)
        continue; /* a failed job's merged-looking output is never taken over */
      Merged m = { .f = f };
      m.dataset = g_strdup (f->dataset ? f->dataset : h->dataset);
      if (!m.dataset)
        m.dataset = px_jobreport_lfn_dataset (f->lfn);
      g_array_append_val (merged, m);
      if (!m.dataset)
        return reject (error, "%s:%d: <File> '%s' (module %s): cannot determine its dataset (the report names "
                       "none, no --dataset, and the LFN does not follow /store/<area>/<era>/<primary>/<tier>/"
                       "<processed>/<counter>/<file>)", path, f->line, f->lfn, *f->module ? f->module : "?");
      guint slashes = 0;
      for (const char *p = m.dataset; *p; p++)
        slashes += *p == '/';
      if (!g_str_has_prefix (m.dataset, "/") || slashes != 3 || strstr (m.dataset, "//") || g_str_has_suffix (m.dataset, "/"))
        return reject (error, "%s:%d: dataset '%s' of '%s' is not /PRIMARY/PROCESSED/TIER", path, f->line, m.dataset,
                       f->lfn);
    }
  /* Never inject an unverified byte: every merged output is read on storage. */
  for (guint i = 0; i < merged->len; i++)
    if (!measure (h, path, &g_array_index (merged, Merged, i), error))
      return FALSE;
  if (!check_identity (db, path, merged, error))
    return FALSE;

  /* Build the injection: new merged files into their datasets' open blocks. */
  g_autoptr(PxInject) in = px_inject_new ();
  g_autoptr(GHashTable) blocks = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr(GHashTable) events = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr(GPtrArray) pair_merged = g_ptr_array_new ();
  g_autoptr(GPtrArray) pair_unmerged = g_ptr_array_new ();
  for (guint i = 0; i < merged->len; i++)
    {
      Merged *m = &g_array_index (merged, Merged, i);
      for (const char *const *l = m->f->inputs; *l; l++)
        for (guint k = 0; k < parents->len; k++)
          if (strcmp (*l, parents->pdata[k]) == 0)
            {
              g_ptr_array_add (pair_merged, (gpointer) m->f->lfn);
              g_ptr_array_add (pair_unmerged, parents->pdata[k]);
            }
      if (m->known)
        continue;
      char *block = g_hash_table_lookup (blocks, m->dataset);
      if (!block)
        {
          g_autoptr(PxRows) closed = px_tmdb_query (db, px_sql_handoff_dataset_closed, error, PX_TEXT (m->dataset));
          if (!closed)
            return FALSE;
          if (px_rows_count (closed))
            {
              g_set_error (error, PX_HANDOFF_ERROR, PX_HANDOFF_ERROR_REJECTED,
                           "%s: output '%s': dataset %s is closed (phedex dataset close is final)", path, m->f->lfn,
                           m->dataset);
              return FALSE;
            }
          block = open_block (db, h, m->dataset, error);
          if (!block)
            return FALSE;
          g_hash_table_insert (blocks, m->dataset, block);
        }
      PxInjectFile rec = { .dbs = "", .dataset = m->dataset, .dataset_open = TRUE, .block = block, .block_open = TRUE,
                           .lfn = m->f->lfn, .bytes = m->bytes, .checksum = m->checksum,
                           .guid = *m->f->guid ? m->f->guid : NULL };
      px_inject_add (in, &rec);
      res->merged_bytes += (gint64) m->bytes;
      gint64 *ev = g_hash_table_lookup (events, m->dataset);
      if (!ev)
        g_hash_table_insert (events, m->dataset, ev = g_new0 (gint64, 1));
      *ev += MAX (m->f->events, 0);
    }
  /* Outputs without a merge parent in the report (a processing job writing
   * merged output directly) are injected with no merge record. */

  /* One report, one transaction. */
  if (!px_tmdb_begin (db, error))
    return FALSE;
  PxInjectLoad load = { .node_id = h->node_id, .node = h->node };
  PxInjectResult ir = { 0 };
  const char *outcome = failure ? "failed-job" : px_inject_count (in) ? "injected" : "nothing";
  g_autoptr(PxRows) rep = px_tmdb_query (db, px_sql_handoff_report_add, error, PX_INT (h->node_id), PX_TEXT (digest),
                                         PX_TEXT (path), PX_TEXT (outcome), PX_TEXT (failure));
  gboolean ok = rep != NULL;
  if (ok && px_rows_count (rep) == 0)
    {
      /* another session handed the same bytes off just now */
      px_tmdb_rollback (db);
      res->outcome = PX_HANDOFF_DUPLICATE;
      res->note = g_strdup ("handed off by another session just now: nothing changed");
      return TRUE;
    }
  gint64 report_id = ok ? px_rows_int (rep, 0, "id") : 0;
  if (failure)
    {
      g_autofree char *why = g_strdup_printf ("failed job %s: %s", path, failure);
      g_autoptr(PxTmdbArray) held = text_array (parents);
      g_autoptr(PxRows) hr = NULL;
      ok = ok && add_unmerged (db, h, unmerged_out, "failed-output", &res->unmerged_files, error)
           && add_unmerged (db, h, parents, "input", &res->unmerged_files, error)
           && (parents->len == 0 || (hr = px_tmdb_query (db, px_sql_handoff_hold_add, error, PX_INT (h->node_id),
                                                         PX_ARRAY (held), PX_TEXT (why), PX_INT (report_id))));
      res->held = (guint) count_of (hr);
      res->outcome = PX_HANDOFF_FAILED_JOB;
      res->note = g_strdup (failure);
    }
  else
    {
      g_autoptr(PxTmdbArray) pm = text_array (pair_merged);
      g_autoptr(PxTmdbArray) pu = text_array (pair_unmerged);
      g_autoptr(PxRows) mr = NULL;
      ok = ok && (px_inject_count (in) == 0 || px_inject_apply (db, &load, in, &ir, error))
           && add_unmerged (db, h, unmerged_out, "output", &res->unmerged_files, error)
           && add_unmerged (db, h, parents, "input", &res->unmerged_files, error)
           && (pair_merged->len == 0 || (mr = px_tmdb_query (db, px_sql_handoff_merges_add, error, PX_INT (report_id),
                                                             PX_INT (h->node_id), PX_ARRAY (pm), PX_ARRAY (pu))));
      GHashTableIter it;
      gpointer ds, block;
      g_hash_table_iter_init (&it, blocks);
      while (ok && g_hash_table_iter_next (&it, &ds, &block))
        {
          gint64 *ev = g_hash_table_lookup (events, ds);
          g_autoptr(PxRows) s = px_tmdb_query (db, px_sql_handoff_block_set, error, PX_TEXT (ds), PX_INT (h->node_id),
                                               PX_TEXT (block), PX_INT (ev ? *ev : 0));
          ok = s != NULL;
        }
      /* the blocks are pinned here while a policy destination lacks them */
      g_autoptr(PxTmdbArray) bnames = px_tmdb_array_new ();
      g_hash_table_iter_init (&it, blocks);
      while (g_hash_table_iter_next (&it, NULL, &block))
        px_tmdb_array_text (bnames, block);
      g_autoptr(PxRows) pinned = ok && g_hash_table_size (blocks)
                                   ? px_tmdb_query (db, px_sql_handoff_produced_add, error, PX_INT (h->node_id),
                                                    PX_ARRAY (bnames))
                                   : NULL;
      ok = ok && (pinned || !g_hash_table_size (blocks));
      /* blocks that reached a limit (files, bytes, events, age) close now */
      g_autoptr(PxRows) closed = ok && g_hash_table_size (blocks)
                                   ? px_tmdb_query (db, px_sql_handoff_blocks_close, error, PX_INT (h->node_id))
                                   : NULL;
      ok = ok && (closed || !g_hash_table_size (blocks));
      /* auto-subscription policies of the datasets that got merged files */
      g_autoptr(PxTmdbArray) dsets = px_tmdb_array_new ();
      g_hash_table_iter_init (&it, blocks);
      while (g_hash_table_iter_next (&it, &ds, NULL))
        px_tmdb_array_text (dsets, ds);
      g_autoptr(PxRows) subs = ok && g_hash_table_size (blocks)
                                 ? px_tmdb_query (db, px_sql_policy_apply, error, PX_ARRAY (dsets))
                                 : NULL;
      ok = ok && (subs || !g_hash_table_size (blocks));
      res->subscribed = (guint) (subs ? px_rows_count (subs) : 0);
      res->blocks_closed = (guint) (closed ? px_rows_count (closed) : 0);
      res->merged_files = (guint) ir.new_files;
      res->merge_parents = (guint) count_of (mr);
      /* a report without outputs hands nothing off (its inputs are
       * recorded, with no merge record: nothing becomes deletable) */
      gboolean changed = res->merged_files || res->merge_parents || res->unmerged_files;
      res->outcome = !merged->len && !unmerged_out->len ? PX_HANDOFF_NOTHING
                     : changed                          ? PX_HANDOFF_INJECTED
                                                        : PX_HANDOFF_DUPLICATE;
      if (res->outcome == PX_HANDOFF_DUPLICATE)
        res->note = g_strdup ("every output is already in the catalogue, identical: nothing changed");
      if (ok && res->outcome != PX_HANDOFF_INJECTED)
        {
          /* record the outcome as it turned out */
          g_autoptr(PxRows) fix = px_tmdb_query (db, px_sql_handoff_report_outcome, error, PX_INT (report_id),
                                                 PX_TEXT (res->outcome == PX_HANDOFF_DUPLICATE ? "duplicate" : "nothing"));
          ok = fix != NULL;
        }
    }
  if (!ok || !px_tmdb_commit (db, error))
    {
      px_tmdb_rollback (db);
      if (error && *error && (*error)->domain == PX_INJECT_ERROR)
        {
          g_autoptr(GError) ie = g_steal_pointer (error);
          g_set_error (error, PX_HANDOFF_ERROR, ie->code == PX_INJECT_ERROR_CONFLICT ? PX_HANDOFF_ERROR_CONFLICT
                                                                                      : PX_HANDOFF_ERROR_REJECTED,
                       "%s: %s", path, ie->message);
        }
      return FALSE;
    }
  return TRUE;
}
