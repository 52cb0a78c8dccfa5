/* download.c — executes the tasks whose destination is this node: picks a
 * batch (each link into the node limited to [download] link-concurrency
 * active tasks over all agents), resolves both PFNs from the catalogues,
 * claims the batch with its temporary names in the same transaction (so a
 * crash leaves nothing unknown, and each task is written once), runs up
 * to [download] concurrency copies at once through the backend for the URL
 * scheme, each with a timeout scaled by its size and the site's validate and
 * delete hooks around it, and reports the batch in one statement. */
#include "config.h"
#include "agent.h"
#include "common/px-spawn.h"
#include "transfer/transfer.h"
#include <string.h>

/* validate-command's "veto" exit status (PhEDEx convention). */
#define VALIDATE_VETO 86
/* Hooks are quick checks; they get a fixed time. */
#define HOOK_TIMEOUT 600.0

typedef struct
{
  gint64 id;
  int attempt;
  char *lfn;
  guint64 bytes;
  char *checksum;
  int from_node;
  gboolean custodial;
  char *from_pfn, *to_pfn, *tmp_pfn;
  double timeout;
  /* outcome */
  const char *state;
  gint64 seen_bytes; /* -1: none */
  char *seen_checksum;
  const char *reason;
  gboolean permanent; /* the backend said retrying cannot help */
  gboolean in_place;  /* validate-command found the file already at to_pfn */
  gboolean started;   /* download_start recorded its PFNs under our claim */
  gboolean copied;    /* a copy was attempted: tmp_pfn may exist */
  char *log;
} Job;

/* What every transfer thread of one cycle shares (read-only but NEXT). */
typedef struct
{
  Job *jobs;
  guint n;
  gint next; /* atomic: the next job to start */
  char **validate, **delete;
  GMutex lock;
  GCond done;     /* signalled as each worker thread ends */
  guint running;  /* worker threads still going (under lock) */
} Batch;

static void
job_clear (Job *j)
{
  g_free (j->lfn);
  g_free (j->checksum);
  g_free (j->from_pfn);
  g_free (j->to_pfn);
  g_free (j->tmp_pfn);
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
  return px_agent_cancelled ();
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

/* Run a site hook: PREFIX ARGS...; *OUTPUT gets what it printed.  Returns
 * its exit status, or -1 when it could not run or timed out (*OUTPUT says). */
static int
run_hook (char **prefix, const char *const *args, GString *output)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  for (char **p = prefix; *p; p++)
    g_ptr_array_add (argv, *p);
  for (const char *const *p = args; *p; p++)
    g_ptr_array_add (argv, (char *) *p);
  g_ptr_array_add (argv, NULL);
  int status = -1;
  g_autoptr(GError) e = NULL;
  switch (px_spawn_run ((const char *const *) argv->pdata, HOOK_TIMEOUT, cancelled, &status, output, &e))
    {
    case PX_SPAWN_EXITED:
    case PX_SPAWN_SIGNALLED:
      return status;
    case PX_SPAWN_FAILED:
      g_string_append_printf (output, "cannot run '%s': %s", prefix[0], e->message);
      return -1;
    case PX_SPAWN_TIMEOUT:
      g_string_append_printf (output, "'%s' killed after %.0f s", prefix[0], HOOK_TIMEOUT);
      return -1;
    case PX_SPAWN_CANCELLED:
      g_string_append_printf (output, "'%s' cancelled (agent stopping)", prefix[0]);
      return -1;
    }
  return -1;
}

static int
validate (Batch *b, Job *j, const char *phase, const char *pfn, GString *out)
{
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, j->bytes);
  const char *args[] = { phase, pfn, size, j->checksum, j->custodial ? "1" : "0", NULL };
  return run_hook (b->validate, args, out);
}

static void
delete_hook (Batch *b, const char *phase, const char *pfn)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *args[] = { phase, pfn, NULL };
  int status = run_hook (b->delete, args, out);
  if (status != 0)
    g_message ("delete-command %s '%s' failed (%d): %s", phase, pfn, status, out->str);
}

/* "pre" validation: 0 = already there, skip; VETO = refuse; else copy. */
static gboolean
pre_validate (Batch *b, Job *j)
{
  g_autoptr(GString) out = g_string_new (NULL);
  int status = validate (b, j, "pre", j->to_pfn, out);
  if (status == 0)
    {
      j->state = "transferred";
      j->in_place = TRUE;
      j->log = g_strdup_printf ("validate-command pre: '%s' is already there and good%s%s; not copied", j->to_pfn,
                                out->len ? ": " : "", out->str);
      return FALSE;
    }
  if (status == VALIDATE_VETO)
    {
      job_fail (j, "validate", "validate-command pre vetoed the transfer of '%s'%s%s", j->to_pfn,
                out->len ? ": " : "", out->str);
      return FALSE;
    }
  return TRUE;
}

static void
transfer (Batch *b, Job *j)
{
  if (b->validate && !pre_validate (b, j))
    return;
  if (b->delete)
    delete_hook (b, "pre", j->tmp_pfn);

  g_autoptr(GError) e = NULL;
  PxTransferRequest req = { j->from_pfn, j->tmp_pfn, j->bytes, j->attempt, cancelled, j->timeout, NULL, NULL };
  PxTransferResult res;
  px_transfer_result_init (&res);
  gint64 t0 = g_get_monotonic_time ();
  const char *backend = NULL;
  gboolean ok = px_transfer_copy (&req, &res, &backend, &e);
  double secs = (g_get_monotonic_time () - t0) / 1e6;
  if (!ok && strcmp (backend, "none") == 0)
    {
      job_fail (j, "config", "%s", e->message); /* no backend for these PFNs: the catalogues are wrong */
      px_transfer_result_clear (&res);
      return;
    }
  j->copied = TRUE;
  if (!ok && g_error_matches (e, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_CANCELLED))
    {
      j->state = "queued"; /* released: another attempt will redo it */
      g_message ("released task %" G_GINT64_FORMAT " (%s): %s", j->id, j->lfn,
                 px_agent_stopping () ? "draining" : "its claim may have been taken back");
      px_transfer_result_clear (&res);
      return;
    }
  g_autoptr(GString) post = g_string_new (NULL);
  int verdict = 0;
  if (b->validate)
    verdict = validate (b, j, ok ? "0" : "1", j->tmp_pfn, post);
  if (!ok)
    {
      const char *kind = e->code == PX_TRANSFER_ERROR_PERMANENT ? "permanent" : "transient";
      job_fail (j, "transfer", "%s backend (%s error after %.1f s): %s -> %s: %s%s%s", backend, kind, secs,
                j->from_pfn, j->to_pfn, e->message, res.log->len ? "; " : "", res.log->str);
      j->permanent = e->code == PX_TRANSFER_ERROR_PERMANENT;
      g_message ("task %" G_GINT64_FORMAT " (%s) failed: %s", j->id, j->lfn, e->message);
      if (b->delete)
        delete_hook (b, "post", j->tmp_pfn);
    }
  else if (verdict != 0)
    {
      job_fail (j, "validate", "validate-command refused the copy '%s' (exit %d)%s%s", j->tmp_pfn, verdict,
                post->len ? ": " : "", post->str);
      g_message ("task %" G_GINT64_FORMAT " (%s): %s", j->id, j->lfn, j->log);
    }
  else
    {
      j->state = "transferred";
      j->seen_bytes = (gint64) res.bytes;
      if (res.have_checksum)
        j->seen_checksum = px_checksum_format (&res.checksum);
      j->log = g_strdup_printf ("%s backend: %s in %.3f s", backend, res.log->str, secs);
      g_debug ("task %" G_GINT64_FORMAT " %s transferred (%s)", j->id, j->lfn, j->log);
    }
  px_transfer_result_clear (&res);
}

static gpointer
worker (gpointer data)
{
  Batch *b = data;
  for (;;)
    {
      guint i = (guint) g_atomic_int_add (&b->next, 1);
      if (i >= b->n)
        return NULL;
      Job *j = &b->jobs[i];
      if (j->state)
        continue;
      if (!j->started || px_agent_cancelled ())
        j->state = "queued";
      else
        transfer (b, j);
    }
}

static gpointer
worker_thread (gpointer data)
{
  Batch *b = data;
  worker (b);
  g_mutex_lock (&b->lock);
  b->running--;
  g_cond_signal (&b->done);
  g_mutex_unlock (&b->lock);
  return NULL;
}

/* Run the batch's copies, at most CONCURRENCY at a time, in threads; this
 * thread keeps the agent's heartbeat going meanwhile (a batch may take
 * longer than stale-after).  A lost connection shows in the report. */
static void
run_batch (PxAgent *a, Batch *b, guint concurrency)
{
  guint nthreads = MAX (1, MIN (concurrency, b->n));
  g_autofree GThread **threads = g_new (GThread *, nthreads);
  b->running = nthreads;
  for (guint t = 0; t < nthreads; t++)
    threads[t] = g_thread_new ("transfer", worker_thread, b);
  gboolean beating = TRUE;
  g_mutex_lock (&b->lock);
  while (b->running > 0)
    {
      g_cond_wait_until (&b->done, &b->lock, g_get_monotonic_time () + G_USEC_PER_SEC / 2);
      if (b->running == 0 || !beating)
        continue;
      g_mutex_unlock (&b->lock);
      g_autoptr(GError) e = NULL;
      if (!px_agent_beat (a, FALSE, &e))
        {
          g_warning ("heartbeat failed during a batch: %s", e->message);
          beating = FALSE;
        }
      px_agent_claims_lost (a);
      g_mutex_lock (&b->lock);
    }
  g_mutex_unlock (&b->lock);
  for (guint t = 0; t < nthreads; t++)
    g_thread_join (threads[t]);
}

/* Remove the temporary copy of a job whose task is no longer ours. */
static void
discard (Job *j)
{
  if (!j->copied || j->in_place || !j->tmp_pfn)
    return;
  g_autoptr(GError) e = NULL;
  if (px_transfer_remove (j->tmp_pfn, &e))
    g_message ("task %" G_GINT64_FORMAT " (%s) was taken back from this agent; removed its copy '%s'", j->id,
               j->lfn, j->tmp_pfn);
  else
    g_warning ("task %" G_GINT64_FORMAT " was taken back from this agent; cannot remove its copy '%s': %s", j->id,
               j->tmp_pfn, e ? e->message : "no backend");
}

static gboolean
report (PxAgent *a, Job *jobs, guint n, GError **error)
{
  g_autoptr(PxTmdbArray) rid = px_tmdb_array_new (), st = px_tmdb_array_new (), sb = px_tmdb_array_new (),
                         sc = px_tmdb_array_new (), rs = px_tmdb_array_new (), lg = px_tmdb_array_new (),
                         pm = px_tmdb_array_new (), ip = px_tmdb_array_new ();
  guint ok = 0, failed = 0;
  for (guint i = 0; i < n; i++)
    {
      Job *j = &jobs[i];
      px_tmdb_array_int (rid, j->id);
      px_tmdb_array_text (st, j->state);
      if (j->seen_bytes >= 0)
        px_tmdb_array_int (sb, j->seen_bytes);
      else
        px_tmdb_array_text (sb, NULL);
      px_tmdb_array_text (sc, j->seen_checksum);
      px_tmdb_array_text (rs, j->reason);
      px_tmdb_array_text (lg, j->log);
      px_tmdb_array_bool (pm, j->permanent);
      px_tmdb_array_bool (ip, j->in_place);
      ok += g_strcmp0 (j->state, "transferred") == 0;
      failed += g_strcmp0 (j->state, "failed") == 0;
    }
  /* The report, then (report_history) the link's history, in one transaction. */
  if (!px_tmdb_begin (a->db, error))
    return FALSE;
  g_autoptr(PxRows) rep = px_tmdb_query (a->db, px_sql_download_report, error, PX_ARRAY (rid), PX_ARRAY (st),
                                         PX_ARRAY (sb), PX_ARRAY (sc), PX_ARRAY (rs), PX_ARRAY (lg),
                                         PX_INT (a->agent_id), PX_ARRAY (pm), PX_ARRAY (ip));
  if (!rep)
    return FALSE;
  /* Only the tasks still ours were updated: the others were taken back
   * (this agent was stopped or cut off past stale-after) and a new attempt
   * owns them now; what we wrote for them goes. */
  g_autoptr(GHashTable) mine = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint i = 0; i < px_rows_count (rep); i++)
    g_hash_table_add (mine, g_memdup2 (&(gint64) { px_rows_int (rep, i, "id") }, sizeof (gint64)));
  g_autoptr(PxTmdbArray) hid = px_tmdb_array_new (), hst = px_tmdb_array_new ();
  for (guint i = 0; i < n; i++)
    if (g_hash_table_contains (mine, &jobs[i].id))
      {
        px_tmdb_array_int (hid, jobs[i].id);
        px_tmdb_array_text (hst, jobs[i].state);
      }
  g_autoptr(PxRows) hist = px_tmdb_query (a->db, px_sql_report_history, error, PX_ARRAY (hid), PX_ARRAY (hst),
                                          PX_BOOL (TRUE));
  if (!hist || !px_tmdb_commit (a->db, error))
    return FALSE;
  guint lost = 0;
  for (guint i = 0; i < n; i++)
    if (!g_hash_table_contains (mine, &jobs[i].id))
      {
        lost++;
        discard (&jobs[i]);
      }
  if (lost)
    g_message ("batch of %u: %u were no longer ours (taken back) and are discarded; of the rest %u transferred, "
               "%u failed", n, lost, ok, failed);
  else
    g_message ("batch of %u: %u transferred, %u failed, %u released", n, ok, failed, n - ok - failed);
  return TRUE;
}

/* The optimizer: how many tasks to claim and how many copies to run at
 * once, adapted to how fast files complete, within the configured ceilings
 * ([download] batch and concurrency; adaptive = false uses them as they
 * are).  A claim is sized to keep the copies busy for about CYCLE_TARGET
 * seconds: it doubles while batches finish sooner and more work waits, and
 * halves when a batch runs much longer, so small files are claimed by the
 * thousand (one claim and one report per thousand) while large ones are
 * claimed a few at a time and nobody hoards the queue.  The number of
 * copies climbs one at a time while each step raises the bytes per second
 * the batch achieves (FTS3's optimizer does the same per link), steps back
 * when a step did not help, and halves when more than a third of a batch
 * failed. */
#define CYCLE_TARGET 10.0
#define START_STREAMS 4

typedef struct
{
  gint64 claim, streams;
  double last_rate;   /* bytes/s of the previous batch */
  gboolean raised;    /* the previous batch ran with one stream more than the one before */
  int hold;           /* batches to wait before trying more streams again */
} Optimizer;

static Optimizer opt;

static void
optimizer_bounds (PxAgent *a)
{
  gint64 max_claim = a->set.download.batch, max_streams = a->set.download.concurrency;
  if (!a->set.download.adaptive)
    {
      opt.claim = max_claim, opt.streams = max_streams;
      return;
    }
  if (opt.streams == 0)
    {
      opt.streams = MIN (START_STREAMS, max_streams);
      opt.claim = MIN (2 * opt.streams, max_claim);
    }
  opt.streams = CLAMP (opt.streams, 1, max_streams);
  opt.claim = CLAMP (opt.claim, 1, max_claim);
}

/* After a batch of N tasks (OK transferred, FAILED failed, BYTES copied)
 * that took SECS; FULL: the claim got as many as it asked for. */
static void
optimizer_learn (PxAgent *a, guint n, guint ok, guint failed, guint64 bytes, double secs, gboolean full)
{
  if (!a->set.download.adaptive || n == 0)
    return;
  gint64 claim = opt.claim, streams = opt.streams;
  double rate = bytes / MAX (secs, 1e-3);
  if (full && secs < CYCLE_TARGET / 2)
    claim = MIN (claim * 2, a->set.download.batch);
  else if (secs > CYCLE_TARGET * 2 && claim > streams)
    claim = MAX (claim / 2, streams);
  if (failed * 3 > n)
    streams = MAX (1, streams / 2), opt.hold = 5;
  else if (opt.raised && rate < opt.last_rate * 1.05)
    streams = MAX (1, streams - 1), opt.hold = 5; /* the last step did not help */
  else if (opt.hold > 0)
    opt.hold--;
  else if (n >= (guint) streams * 2 && ok > 0 && streams < a->set.download.concurrency)
    streams++;
  opt.raised = streams > opt.streams;
  opt.last_rate = rate;
  if (claim != opt.claim || streams != opt.streams)
    g_message ("optimizer: claim %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT ", copies at once %" G_GINT64_FORMAT
               " -> %" G_GINT64_FORMAT " (last batch: %u files in %.1f s, %.1f MB/s, %u failed)", opt.claim, claim,
               opt.streams, streams, n, secs, rate / 1e6, failed);
  opt.claim = claim, opt.streams = streams;
}

static gboolean
download_cycle (PxAgent *a, gboolean *more, double *wake_in, GError **error)
{
  gint64 node = a->node_id;
  optimizer_bounds (a);
  gint64 batch = opt.claim;
  /* Tasks of download agents that stopped heart-beating go back to the
   * queue: looked for once per heartbeat-interval, not every cycle (the
   * statement checks every active task of the node; an agent is dead only
   * after stale-after anyway). */
  static gint64 released_at;
  gint64 now = g_get_monotonic_time ();
  if (!released_at || now - released_at >= a->set.site.heartbeat_interval * G_USEC_PER_SEC)
    {
      g_autoptr(PxRows) lost = px_tmdb_query (a->db, px_sql_download_release_stale, error, PX_INT (node));
      if (!lost)
        return FALSE;
      if (px_rows_count (lost))
        g_message ("re-queued %u tasks whose download agent stopped heart-beating", px_rows_count (lost));
      released_at = now;
    }
  if (px_agent_stopping ())
    return TRUE;

  /* Pick (and lock) the batch, resolve its names, claim it with them: one
   * transaction, one write per task. */
  g_autofree char *idle = g_strdup_printf ("SET LOCAL idle_in_transaction_session_timeout = '%" G_GINT64_FORMAT "s'",
                                           a->set.site.stale_after);
  /* (A stopped agent must not hold the picked tasks: the server ends its
   * session after stale-after.) */
  if (!px_tmdb_begin (a->db, error) || !px_tmdb_exec_sql (a->db, idle, error))
    {
      px_tmdb_rollback (a->db);
      return FALSE;
    }
  g_autoptr(PxRows) claim = px_tmdb_query (a->db, px_sql_download_claim, error, PX_INT (node), PX_INT (batch),
                                           PX_INT (a->set.download.link_concurrency));
  if (!claim)
    {
      px_tmdb_rollback (a->db);
      return FALSE;
    }
  guint n = px_rows_count (claim);
  if (n == 0)
    {
      if (!px_tmdb_commit (a->db, error))
        return FALSE;
      g_autoptr(PxRows) next = px_tmdb_query (a->db, px_sql_download_next_try, error, PX_INT (node));
      if (!next)
        return FALSE;
      if (!px_rows_is_null (next, 0, "seconds"))
        *wake_in = MIN (*wake_in, MAX (0.05, px_rows_double (next, 0, "seconds")));
      return TRUE;
    }
  *more = n == (guint) batch;
  double base = (double) a->set.download.timeout_base;
  double min_rate = 1024.0 * (double) a->set.download.timeout_min_rate;
  Batch b = { .jobs = g_new0 (Job, n), .n = n, .validate = a->validate_command, .delete = a->delete_command };
  g_mutex_init (&b.lock);
  g_cond_init (&b.done);
  g_autoptr(PxTmdbArray) ids = px_tmdb_array_new (), f = px_tmdb_array_new (), t = px_tmdb_array_new (),
                         p = px_tmdb_array_new ();
  for (guint i = 0; i < n; i++)
    {
      Job *j = &b.jobs[i];
      j->id = px_rows_int (claim, i, "id");
      j->attempt = (int) px_rows_int (claim, i, "attempts");
      j->lfn = g_strdup (px_rows_text (claim, i, "lfn"));
      j->bytes = (guint64) px_rows_int (claim, i, "bytes");
      j->checksum = g_strdup (px_rows_text (claim, i, "checksum"));
      j->from_node = (int) px_rows_int (claim, i, "from_node");
      j->custodial = px_rows_bool (claim, i, "is_custodial");
      j->seen_bytes = -1;
      j->timeout = base + (double) j->bytes / min_rate;
      /* A task whose names cannot be resolved is claimed all the same
       * (without names) and reported failed. */
      resolve (a, j);
      px_tmdb_array_int (ids, j->id);
      px_tmdb_array_text (f, j->from_pfn);
      px_tmdb_array_text (t, j->to_pfn);
      px_tmdb_array_text (p, j->tmp_pfn);
    }
  /* The claim proper, with the names; the transaction held the picked
   * tasks meanwhile, so all of them start. */
  g_autoptr(PxRows) started = px_tmdb_query (a->db, px_sql_download_start, error, PX_ARRAY (ids), PX_ARRAY (f),
                                             PX_ARRAY (t), PX_ARRAY (p), PX_INT (a->agent_id));
  gboolean ok = started != NULL && px_tmdb_commit (a->db, error);
  if (!ok)
    px_tmdb_rollback (a->db);
  if (ok)
    {
      g_autoptr(GHashTable) by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
      for (guint i = 0; i < n; i++)
        g_hash_table_insert (by_id, &b.jobs[i].id, &b.jobs[i]);
      for (guint r = 0; r < px_rows_count (started); r++)
        {
          gint64 id = px_rows_int (started, r, "id");
          Job *j = g_hash_table_lookup (by_id, &id);
          if (j)
            j->started = TRUE;
        }
      gint64 t0 = g_get_monotonic_time ();
      run_batch (a, &b, (guint) opt.streams);
      double secs = (g_get_monotonic_time () - t0) / 1e6;
      ok = report (a, b.jobs, n, error);
      guint done = 0, failed = 0;
      guint64 bytes = 0;
      for (guint i = 0; i < n; i++)
        {
          gboolean good = g_strcmp0 (b.jobs[i].state, "transferred") == 0;
          done += good;
          failed += g_strcmp0 (b.jobs[i].state, "failed") == 0;
          bytes += good ? b.jobs[i].bytes : 0;
        }
      if (ok)
        optimizer_learn (a, n, done, failed, bytes, secs, n == (guint) batch);
    }
  for (guint i = 0; i < n; i++)
    job_clear (&b.jobs[i]);
  g_free (b.jobs);
  g_mutex_clear (&b.lock);
  g_cond_clear (&b.done);
  return ok;
}

/* Notifications that are not this agent's work: only newly queued tasks are its work. */
static const char *const idle_on[] = { "active", "transferred", "verified", "done", "failed", "at-rest", "leftovers", "deletions", "subscriptions", NULL };

const PxAgentClass px_agent_download = {
  .name = "download",
  .idle_on = idle_on,
  .cycle = download_cycle,
};
