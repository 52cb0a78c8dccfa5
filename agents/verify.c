/* verify.c — checks each transferred copy against the catalogue: size by
 * stat, checksum from what the download saw while streaming (or by reading
 * the copy back, with verify.read-back or when none was seen).  A bad copy is
 * removed at once and the task failed with the reason; the router retries. */
#include "config.h"
#include "agent.h"
#include "transfer/transfer.h"

static void
check (PxAgent *a, const char *tmp, guint64 bytes, const char *want, const char *seen_bytes, const char *seen_ck,
       const char **state, const char **reason, char **log)
{
  g_autoptr(GError) e = NULL;
  const PxTransferBackend *be = tmp ? px_transfer_backend_for (tmp, &e) : NULL;
  guint64 size = 0;
  if (!be || !be->stat (tmp, &size, &e))
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
      be->remove (tmp, NULL);
      return;
    }
  g_autofree char *got = NULL;
  const char *how;
  if (seen_ck && !px_config_bool (a->cfg, "verify", "read-back"))
    {
      got = g_strdup (seen_ck);
      how = "checksummed while streaming";
    }
  else
    {
      PxChecksum sum;
      const char *src = "read-back";
      if (!be->checksum (tmp, &sum, &src, &e))
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
      *log = g_strdup_printf ("verify: %s for '%s' (%s); bad copy removed", why, tmp, how);
      be->remove (tmp, NULL);
      return;
    }
  *state = "verified";
  *log = g_strdup_printf ("verify: %s ok (%s)", got, how);
}

static gboolean
verify_cycle (PxAgent *a, gboolean *more, double *wake_in, GError **error)
{
  g_autoptr(PxRows) claim = px_agent_claim (a, "transferred", "verify_claim", "verify", more, error);
  if (!claim)
    return FALSE;
  guint n = px_rows_count (claim);
  if (n == 0)
    return TRUE;
  g_autofree char *me = g_strdup_printf ("%d", a->agent_id);
  g_autoptr(GString) ids = g_string_new ("{"), st = g_string_new ("{"), rs = g_string_new ("{"), lg = g_string_new ("{");
  guint bad = 0;
  for (guint i = 0; i < n; i++)
    {
      const char *state = NULL, *reason = NULL;
      g_autofree char *log = NULL;
      check (a, px_rows_get (claim, i, 1), (guint64) px_rows_get_int (claim, i, 2), px_rows_get (claim, i, 3),
             px_rows_get (claim, i, 4), px_rows_get (claim, i, 5), &state, &reason, &log);
      if (reason)
        {
          bad++;
          g_message ("%s: %s", px_rows_get (claim, i, 6), log);
        }
      px_tmdb_array_add (ids, px_rows_get (claim, i, 0));
      px_tmdb_array_add (st, state);
      px_tmdb_array_add (rs, reason);
      px_tmdb_array_add (lg, log);
    }
  g_string_append_c (ids, '}'), g_string_append_c (st, '}'), g_string_append_c (rs, '}'), g_string_append_c (lg, '}');
  g_autoptr(PxRows) rep = px_tmdb_run (a->db, "verify_report", error, ids->str, st->str, rs->str, lg->str, me);
  if (!rep)
    return FALSE;
  g_message ("verified %u, rejected %u", n - bad, bad);
  return TRUE;
}

const PxAgentClass px_agent_verify = {
  .name = "verify",
  .cycle = verify_cycle,
};
