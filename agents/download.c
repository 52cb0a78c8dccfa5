/* download.c — executes the tasks whose destination is this node: claims a
 * batch, resolves both PFNs from the catalogues, records the temporary
 * names (so a crash leaves nothing unknown), copies through the backend for
 * the URL scheme, and reports the batch in one statement. */
#include "config.h"
#include "agent.h"
#include "transfer/transfer.h"

typedef struct
{
  gint64 id;
  int attempt;
  char *lfn;
  guint64 bytes;
  int from_node;
  gboolean custodial;
  char *from_pfn, *to_pfn, *tmp_pfn;
  /* outcome */
  const char *state;
  char *seen_bytes, *seen_checksum;
  const char *reason;
  char *log;
} Job;

static void
job_clear (Job *j)
{
  g_free (j->lfn);
  g_free (j->from_pfn);
  g_free (j->to_pfn);
  g_free (j->tmp_pfn);
  g_free (j->seen_bytes);
  g_free (j->seen_checksum);
  g_free (j->log);
}

static void
job_fail (Job *j, const char *reason, const char *fmt, ...) G_GNUC_PRINTF (3, 4);
static void
job_fail (Job *j, const char *reason, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  j->state = "failed";
  j->reason = reason;
  g_free (j->log);
  j->log = g_strdup_vprintf (fmt, ap);
  va_end (ap);
}

static gboolean
cancelled (void)
{
  return px_agent_stopping ();
}

static gboolean
resolve (PxAgent *a, Job *j)
{
  g_autoptr(GError) e = NULL;
  const char *src_name = NULL;
  const PxTfc *src = px_agent_node_tfc (a, j->from_node, &src_name, &e);
  const char *proto = src ? px_agent_pick_protocol (a, src, &e) : NULL;
  if (proto)
    j->from_pfn = px_tfc_map_one (src, PX_TFC_LFN_TO_PFN, proto, a->node, FALSE, j->lfn, NULL, &e);
  if (j->from_pfn)
    j->to_pfn = px_tfc_map_one (a->tfc, PX_TFC_LFN_TO_PFN, proto, a->node, j->custodial, j->lfn, NULL, &e);
  if (!j->to_pfn)
    {
      job_fail (j, "config", "cannot resolve PFNs for '%s': %s", j->lfn, e->message);
      return FALSE;
    }
  j->tmp_pfn = g_strdup_printf ("%s.phedex-%" G_GINT64_FORMAT "-%d.part", j->to_pfn, j->id, j->attempt);
  return TRUE;
}

static void
transfer (Job *j)
{
  g_autoptr(GError) e = NULL;
  const PxTransferBackend *be = px_transfer_backend_for_copy (j->from_pfn, j->tmp_pfn, &e);
  if (!be)
    {
      job_fail (j, "config", "%s", e->message);
      return;
    }
  PxTransferRequest req = { j->from_pfn, j->tmp_pfn, j->bytes, j->attempt, cancelled };
  PxTransferResult res;
  px_transfer_result_init (&res);
  gint64 t0 = g_get_monotonic_time ();
  if (!be->copy (&req, &res, &e))
    {
      if (g_error_matches (e, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_CANCELLED))
        {
          j->state = "queued"; /* released: another attempt will redo it */
          g_message ("released task %" G_GINT64_FORMAT " (%s): draining", j->id, j->lfn);
        }
      else
        {
          job_fail (j, "transfer", "%s backend: %s -> %s: %s%s%s", be->name, j->from_pfn, j->to_pfn, e->message,
                    res.log->len ? "; " : "", res.log->str);
          g_message ("task %" G_GINT64_FORMAT " (%s) failed: %s", j->id, j->lfn, e->message);
        }
      px_transfer_result_clear (&res);
      return;
    }
  double secs = (g_get_monotonic_time () - t0) / 1e6;
  j->state = "transferred";
  j->seen_bytes = g_strdup_printf ("%" G_GUINT64_FORMAT, res.bytes);
  if (res.have_checksum)
    j->seen_checksum = px_checksum_format (&res.checksum);
  j->log = g_strdup_printf ("%s backend: %s in %.3f s", be->name, res.log->str, secs);
  g_debug ("task %" G_GINT64_FORMAT " %s transferred (%s)", j->id, j->lfn, j->log);
  px_transfer_result_clear (&res);
}

static gboolean
download_cycle (PxAgent *a, gboolean *more, double *wake_in, GError **error)
{
  g_autofree char *node = g_strdup_printf ("%d", a->node_id);
  g_autofree char *me = g_strdup_printf ("%d", a->agent_id);
  g_autofree char *stale = g_strdup_printf ("%" G_GINT64_FORMAT, px_agent_int (a, "site", "stale-after"));
  g_autofree char *batch = g_strdup_printf ("%" G_GINT64_FORMAT, px_agent_int (a, "download", "batch"));

  g_autoptr(PxRows) lost = px_tmdb_run (a->db, "download_release_stale", error, node, stale);
  if (!lost)
    return FALSE;
  if (px_rows_count (lost))
    g_message ("re-queued %u tasks whose download agent stopped heart-beating", px_rows_count (lost));
  if (px_agent_stopping ())
    return TRUE;

  g_autoptr(PxRows) claim = px_tmdb_run (a->db, "download_claim", error, node, me, batch);
  if (!claim)
    return FALSE;
  guint n = px_rows_count (claim);
  if (n == 0)
    {
      g_autoptr(PxRows) next = px_tmdb_run (a->db, "download_next_try", error, node);
      if (!next)
        return FALSE;
      if (px_rows_get (next, 0, 0))
        *wake_in = MIN (*wake_in, MAX (0.05, g_ascii_strtod (px_rows_get (next, 0, 0), NULL)));
      return TRUE;
    }
  *more = n == (guint) px_agent_int (a, "download", "batch");
  g_autofree Job *jobs = g_new0 (Job, n);
  g_autoptr(GString) ids = g_string_new ("{"), f = g_string_new ("{"), t = g_string_new ("{"), p = g_string_new ("{");
  for (guint i = 0; i < n; i++)
    {
      Job *j = &jobs[i];
      j->id = px_rows_get_int (claim, i, 0);
      j->attempt = (int) px_rows_get_int (claim, i, 1);
      j->lfn = g_strdup (px_rows_get (claim, i, 2));
      j->bytes = (guint64) px_rows_get_int (claim, i, 3);
      j->from_node = (int) px_rows_get_int (claim, i, 5);
      j->custodial = px_rows_get_bool (claim, i, 6);
      if (resolve (a, j))
        {
          g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, j->id);
          px_tmdb_array_add (ids, id);
          px_tmdb_array_add (f, j->from_pfn);
          px_tmdb_array_add (t, j->to_pfn);
          px_tmdb_array_add (p, j->tmp_pfn);
        }
    }
  g_string_append_c (ids, '}'), g_string_append_c (f, '}'), g_string_append_c (t, '}'), g_string_append_c (p, '}');
  g_autoptr(PxRows) started = px_tmdb_run (a->db, "download_start", error, ids->str, f->str, t->str, p->str);
  if (!started)
    {
      for (guint i = 0; i < n; i++)
        job_clear (&jobs[i]);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      Job *j = &jobs[i];
      if (j->state)
        continue;
      if (px_agent_stopping ())
        j->state = "queued";
      else
        transfer (j);
    }
  g_autoptr(GString) rid = g_string_new ("{"), st = g_string_new ("{"), sb = g_string_new ("{"),
                                           sc = g_string_new ("{"), rs = g_string_new ("{"), lg = g_string_new ("{");
  guint ok = 0, failed = 0;
  for (guint i = 0; i < n; i++)
    {
      Job *j = &jobs[i];
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, j->id);
      px_tmdb_array_add (rid, id);
      px_tmdb_array_add (st, j->state);
      px_tmdb_array_add (sb, j->seen_bytes);
      px_tmdb_array_add (sc, j->seen_checksum);
      px_tmdb_array_add (rs, j->reason);
      px_tmdb_array_add (lg, j->log);
      ok += g_strcmp0 (j->state, "transferred") == 0;
      failed += g_strcmp0 (j->state, "failed") == 0;
    }
  g_string_append_c (rid, '}'), g_string_append_c (st, '}'), g_string_append_c (sb, '}');
  g_string_append_c (sc, '}'), g_string_append_c (rs, '}'), g_string_append_c (lg, '}');
  g_autoptr(PxRows) rep = px_tmdb_run (a->db, "download_report", error, rid->str, st->str, sb->str, sc->str, rs->str,
                                       lg->str, me);
  if (rep)
    g_message ("batch of %u: %u transferred, %u failed, %u released", n, ok, failed, n - ok - failed);
  for (guint i = 0; i < n; i++)
    job_clear (&jobs[i]);
  return rep != NULL;
}

const PxAgentClass px_agent_download = {
  .name = "download",
  .cycle = download_cycle,
};
