/* verify.c — checks each transferred copy against the catalogue: size by
 * stat, checksum from what the download saw (as the bytes streamed, or read
 * back behind a local copy), or by reading the copy back (verify.read-back,
 * or when the download saw none).  A bad copy is
 * removed at once and the task failed with the reason; the router retries. */
#include "config.h"
#include "agent.h"
#include "transfer/transfer.h"

/* Check the copy TMP against the catalogue's BYTES and checksum WANT.  At
 * rest (AT_REST), a bad file is reported but not removed: it is the
 * published replica, and the next copy replaces it. */
static void
check (PxAgent *a, const char *tmp, guint64 bytes, const char *want, const char *seen_bytes, const char *seen_ck,
       gboolean at_rest, const char **state, const char **reason, char **log)
{
  g_autoptr(GError) e = NULL;
  guint64 size = 0;
  if (!tmp || !px_transfer_stat (tmp, &size, &e))
    {
      *state = "failed", *reason = "missing";
      *log = g_strdup_printf ("verify: the copy is not there: %s", e ? e->message : "no temporary PFN recorded");
      return;
    }
  if (size != bytes || (seen_bytes && g_ascii_strtoull (seen_bytes, NULL, 10) != bytes))
    {
      *state = "failed", *reason = "size";
      *log = g_strdup_printf ("verify: size mismatch for '%s': expected %" G_GUINT64_FORMAT " bytes, found %"
                              G_GUINT64_FORMAT, tmp, bytes, size);
      if (!at_rest)
        px_transfer_remove (tmp, NULL);
      return;
    }
  g_autofree char *got = NULL;
  const char *how;
  if (seen_ck && !at_rest && !a->set.verify.read_back)
    {
      got = g_strdup (seen_ck);
      how = "checksummed by the download (as the bytes streamed, or read back after a local copy)";
    }
  else
    {
      PxChecksum sum;
      const char *src = "read-back";
      if (!px_transfer_checksum (tmp, &sum, &src, &e))
        {
          *state = "failed", *reason = "checksum";
          *log = g_strdup_printf ("verify: cannot read back '%s': %s", tmp, e->message);
          return;
        }
      got = px_checksum_format (&sum);
      how = g_strcmp0 (src, "server") == 0 ? "checksum computed by the storage server" : "read back";
    }
  g_autofree char *why = NULL;
  if (!px_checksum_matches (want, got, &why))
    {
      *state = "failed", *reason = "checksum";
      *log = g_strdup_printf ("verify: %s for '%s' (%s)%s", why, tmp, how, at_rest ? "" : "; bad copy removed");
      if (!at_rest)
        px_transfer_remove (tmp, NULL);
      return;
    }
  *state = "verified";
  *log = g_strdup_printf ("verify: %s ok (%s)", got, how);
}

/* The at-rest checks of a sample, in a thread of their own
 * (px_agent_run_beating): a read-back can outlast stale-after, and the
 * agent must not look dead meanwhile. */
typedef struct
{
  PxAgent *a;
  PxRows *due;
  const char *proto;
  const GError *no_proto;
  guint checked, bad;
  PxTmdbArray *files, *good, *logs;
} AtRest;

static gpointer
run_at_rest (gpointer data)
{
  AtRest *r = data;
  PxRows *due = r->due;
  for (; r->checked < px_rows_count (due) && !px_agent_cancelled (); r->checked++)
    {
      guint i = r->checked;
      const char *lfn = px_rows_text (due, i, "lfn");
      g_autoptr(GError) e = NULL;
      g_autofree char *pfn = r->proto ? px_tfc_map_one (r->a->tfc, PX_TFC_LFN_TO_PFN, r->proto, r->a->node, FALSE,
                                                        lfn, NULL, &e)
                                      : NULL;
      if (!pfn)
        {
          g_message ("at rest: cannot map '%s' to a PFN (%s); not checked", lfn,
                     e ? e->message : r->no_proto->message);
          continue;
        }
      const char *state = NULL, *reason = NULL;
      g_autofree char *log = NULL;
      check (r->a, pfn, (guint64) px_rows_int (due, i, "bytes"), px_rows_text (due, i, "checksum"), NULL, NULL, TRUE,
             &state, &reason, &log);
      gboolean ok = reason == NULL;
      px_tmdb_array_int (r->files, px_rows_int (due, i, "file"));
      px_tmdb_array_bool (r->good, ok);
      if (!ok)
        {
          r->bad++;
          g_autofree char *full = g_strdup_printf ("at rest: %s", log);
          g_message ("%s: %s", lfn, full);
          px_tmdb_array_text (r->logs, full);
        }
      else
        px_tmdb_array_text (r->logs, NULL);
    }
  return NULL;
}

/* Verify at rest: re-check a sample of this node's replicas, the ones
 * checked longest ago, against the catalogue (size, then a read-back or
 * server checksum).  A bad one is marked bad and its request re-opened so
 * the router fetches it again; the good ones get a new check time. */
static gboolean
at_rest (PxAgent *a, GError **error)
{
  gint64 sample = a->set.verify.at_rest_sample;
  if (sample == 0 || px_agent_stopping ())
    return TRUE;
  g_autoptr(PxRows) due = px_tmdb_query (a->db, px_sql_verify_at_rest_claim, error, PX_INT (a->node_id),
                                         PX_INT (a->set.verify.at_rest_age), PX_INT (sample));
  if (!due || px_rows_count (due) == 0)
    return due != NULL;
  g_autoptr(GError) no_proto = NULL;
  g_autoptr(PxTmdbArray) files = px_tmdb_array_new (), good = px_tmdb_array_new (), logs = px_tmdb_array_new ();
  AtRest r = { .a = a, .due = due, .files = files, .good = good, .logs = logs };
  r.proto = px_agent_pick_protocol (a, NULL, &no_proto);
  r.no_proto = no_proto;
  px_agent_run_beating (a, run_at_rest, &r);
  g_autoptr(PxRows) rep = px_tmdb_query (a->db, px_sql_verify_at_rest_report, error, PX_INT (a->node_id),
                                         PX_ARRAY (files), PX_ARRAY (good), PX_ARRAY (logs));
  if (rep)
    g_message ("at rest: checked %u replicas, %u bad", r.checked, r.bad);
  return rep != NULL;
}

/* A batch's checks.  They run in a thread of their own
 * (px_agent_run_beating): a read-back can outlast stale-after, and the
 * batch's lock must not look like a stopped agent's meanwhile.  They stop
 * early when the agent stops (what is checked is reported, the rest stays
 * for its next start) or its claims may have been lost. */
typedef struct
{
  PxAgent *a;
  PxRows *claim;
  guint checked, bad;
  PxTmdbArray *ids, *st, *rs, *lg;
} Checks;

static gpointer
run_checks (gpointer data)
{
  Checks *c = data;
  PxRows *claim = c->claim;
  for (; c->checked < px_rows_count (claim) && !px_agent_cancelled (); c->checked++)
    {
      guint i = c->checked;
      const char *state = NULL, *reason = NULL;
      g_autofree char *log = NULL;
      check (c->a, px_rows_text (claim, i, "tmp_pfn"), (guint64) px_rows_int (claim, i, "bytes"),
             px_rows_text (claim, i, "checksum"), px_rows_text (claim, i, "seen_bytes"),
             px_rows_text (claim, i, "seen_checksum"), FALSE, &state, &reason, &log);
      if (reason)
        {
          c->bad++;
          g_message ("%s: %s", px_rows_text (claim, i, "lfn"), log);
        }
      px_tmdb_array_int (c->ids, px_rows_int (claim, i, "id"));
      px_tmdb_array_text (c->st, state);
      px_tmdb_array_text (c->rs, reason);
      px_tmdb_array_text (c->lg, log);
    }
  return NULL;
}

static gboolean
verify_cycle (PxAgent *a, gboolean *more, double *wake_in, GError **error)
{
  /* The batch is locked by this transaction until its report commits. */
  g_autoptr(PxRows) claim = px_agent_lock_batch (a, "transferred", &px_sql_verify_claim, a->set.verify.batch, more,
                                                 error);
  if (!claim)
    return FALSE;
  guint n = px_rows_count (claim);
  if (n == 0)
    return px_tmdb_commit (a->db, error) && at_rest (a, error);
  g_autoptr(PxTmdbArray) ids = px_tmdb_array_new (), st = px_tmdb_array_new (), rs = px_tmdb_array_new (),
                         lg = px_tmdb_array_new ();
  Checks c = { .a = a, .claim = claim, .ids = ids, .st = st, .rs = rs, .lg = lg };
  px_agent_run_beating (a, run_checks, &c);
  if (!px_agent_keep_claims (a, error))
    return FALSE;
  if (c.checked == 0)
    return px_tmdb_commit (a->db, error);
  g_autoptr(PxRows) rep = px_tmdb_query (a->db, px_sql_verify_report, error, PX_ARRAY (ids), PX_ARRAY (st),
                                         PX_ARRAY (rs), PX_ARRAY (lg), PX_NULL);
  if (!rep)
    return FALSE;
  /* Failures count into the link's history (after the report: report_history).
   * The transaction holds the batch, so all of it was reported; were it
   * not so, the history is left alone rather than miscounted. */
  gboolean count = c.bad && px_rows_int (rep, 0, "reported") == (gint64) c.checked;
  g_autoptr(PxRows) hist = count ? px_tmdb_query (a->db, px_sql_report_history, error, PX_ARRAY (ids),
                                                 PX_ARRAY (st), PX_BOOL (FALSE))
                                 : NULL;
  if ((count && !hist) || !px_tmdb_commit (a->db, error))
    return FALSE;
  if (c.checked < n)
    g_message ("verified %u, rejected %u; stopping: %u left for the next start", c.checked - c.bad, c.bad,
               n - c.checked);
  else
    g_message ("verified %u, rejected %u", n - c.bad, c.bad);
  return *more || at_rest (a, error);
}

/* Notifications that are not this agent's work: only transferred copies (and at-rest checks) are its work. */
static const char *const idle_on[] = { "queued", "active", "verified", "done", "failed", "leftovers", "deletions", "subscriptions", NULL };

const PxAgentClass px_agent_verify = {
  .name = "verify",
  .idle_on = idle_on,
  .cycle = verify_cycle,
};
