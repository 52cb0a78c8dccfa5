/* agent.c — the shared agent loop.
 *
 * Signals are caught with sigaction into flags plus a self-pipe rather than
 * g_unix_signal_add: an agent's cycle blocks (a copy can take minutes) and
 * GLib dispatches its signal sources only when the main loop runs, whereas a
 * flag is seen by the copy loop between chunks, so SIGTERM interrupts a
 * transfer at once and the claim is released cleanly. */
#include "config.h"
#include "agent.h"
#include "transfer/transfer.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define F(m) PX_CONFIG_FIELD (PxAgentSettings, m)
const PxConfigKey px_agent_config_keys[] = {
  { "site", "node", PX_CONFIG_STRING, NULL, FALSE, "this site's node name in the TMDB (e.g. T1_US_FNAL_Disk)", F (site.node) },
  { "site", "db", PX_CONFIG_STRING, "", FALSE, "TMDB connection (libpq conninfo); empty: PG* environment", F (site.db) },
  { "site", "db-transaction-pooling", PX_CONFIG_BOOL, "false", FALSE,
    "site.db goes through a transaction-mode pooler (PgBouncer pool_mode = transaction): statements are sent "
    "unprepared, and wake-ups come through listen-db", F (site.db_transaction_pooling) },
  { "site", "listen-db", PX_CONFIG_STRING, "", FALSE,
    "a session connection (libpq conninfo) used only to LISTEN for wake-ups: PostgreSQL itself or a "
    "session-mode pool; empty: site.db, or no wake-ups (a cycle every poll-interval) with "
    "db-transaction-pooling", F (site.listen_db) },
  { "site", "passfile", PX_CONFIG_STRING, "", FALSE,
    "libpq password file for [site] db (lines host:port:db:user:password, mode 0600); empty: PGPASSFILE or "
    "~/.pgpass. Keep passwords there, not in this file", F (site.passfile) },
  { "site", "storage-xml", PX_CONFIG_STRING, NULL, TRUE, "this site's trivial file catalogue, uploaded to the TMDB", F (site.storage_xml) },
  { "site", "protocols", PX_CONFIG_LIST, "direct,file", TRUE,
    "protocols this site reads and writes, in order of preference", F (site.protocols) },
  { "site", "poll-interval", PX_CONFIG_INT, "30", TRUE, "seconds between cycles when no NOTIFY arrives", F (site.poll_interval) },
  { "site", "heartbeat-interval", PX_CONFIG_INT, "10", TRUE, "seconds between agent heartbeats", F (site.heartbeat_interval) },
  { "site", "stale-after", PX_CONFIG_INT, "60", TRUE,
    "seconds without heartbeat after which an agent counts as dead and its claims are taken back; an agent "
    "that could not heartbeat for nearly this long abandons its claimed work", F (site.stale_after) },
  { "router", "max-attempts", PX_CONFIG_INT, "5", TRUE, "transfer attempts per file before giving up", F (router.max_attempts) },
  { "router", "retry-delay", PX_CONFIG_INT, "10", TRUE, "seconds before the first retry; doubles per attempt", F (router.retry_delay) },
  { "router", "retry-delay-max", PX_CONFIG_INT, "600", TRUE, "longest wait between retries, seconds", F (router.retry_delay_max) },
  { "router", "batch", PX_CONFIG_INT, "2000", TRUE, "requests routed per priority level per cycle (doubling per full cycle up to 16 times this while there is a backlog)", F (router.batch) },
  { "router", "window-mb", PX_CONFIG_INT, "1000000", TRUE,
    "MiB of open transfers each priority level may have towards this node; more waits, higher priority first", F (router.window_mb) },
  { "router", "task-expire", PX_CONFIG_INT, "28800", TRUE,
    "seconds a hop may stay queued before it expires and the file is routed again (perhaps another way)", F (router.task_expire) },
  { "router", "no-path-recheck", PX_CONFIG_INT, "60", TRUE,
    "seconds between routing attempts for files without a source or path (a new replica retries at once)", F (router.no_path_recheck) },
  { "download", "batch", PX_CONFIG_INT, "2000", TRUE,
    "most tasks claimed per cycle (with adaptive, a ceiling: the claim is sized to what completes in about 10 s)",
    F (download.batch) },
  { "download", "concurrency", PX_CONFIG_INT, "16", TRUE,
    "most transfers this agent runs at the same time (with adaptive, a ceiling: it starts at 4 and adds copies "
    "while each one raises the throughput)", F (download.concurrency) },
  { "download", "adaptive", PX_CONFIG_BOOL, "true", TRUE,
    "adapt the claim and the copies at once to how fast files complete, within batch and concurrency; false: "
    "always claim batch and run concurrency copies", F (download.adaptive) },
  { "download", "link-concurrency", PX_CONFIG_INT, "2000", TRUE,
    "most tasks active (claimed) at once on one link into this node, over all its download agents", F (download.link_concurrency) },
  { "download", "validate-command", PX_CONFIG_STRING, "", TRUE,
    "site check run as 'CMD pre PFN SIZE CHECKSUM CUSTODIAL' before a transfer (exit 0: the file is already "
    "there and good, skip the copy; 86: veto, fail the attempt) and as 'CMD STATUS PFN SIZE CHECKSUM CUSTODIAL' "
    "after it with the transfer's exit status (exit 0: accept; anything else: fail the attempt)", F (download.validate_command) },
  { "download", "delete-command", PX_CONFIG_STRING, "", TRUE,
    "site removal tool run as 'CMD pre PFN' before a transfer writes PFN and 'CMD post PFN' after a failed one "
    "(empty: the transfer backend removes the file)", F (download.delete_command) },
  { "download", "timeout-base", PX_CONFIG_INT, "600", TRUE,
    "seconds every transfer may take whatever its size; the timeout is timeout-base + size / timeout-min-rate", F (download.timeout_base) },
  { "download", "timeout-min-rate", PX_CONFIG_INT, "1024", TRUE,
    "KiB/s below which a transfer is given up as stuck (with timeout-base; a timeout is a transient error)", F (download.timeout_min_rate) },
  { "verify", "batch", PX_CONFIG_INT, "1000", TRUE, "tasks verified per cycle", F (verify.batch) },
  { "verify", "read-back", PX_CONFIG_BOOL, "false", TRUE,
    "re-read every copy to checksum it, even when the download checksummed the bytes as it wrote them", F (verify.read_back) },
  { "verify", "at-rest-sample", PX_CONFIG_COUNT, "0", TRUE,
    "replicas at this node re-checked per cycle against the catalogue (oldest check first); 0: none. A bad "
    "replica is marked bad and fetched again where a subscription wants it", F (verify.at_rest_sample) },
  { "verify", "at-rest-age", PX_CONFIG_INT, "604800", TRUE, "seconds after its last check before a replica is re-checked", F (verify.at_rest_age) },
  { "publish", "batch", PX_CONFIG_INT, "1000", TRUE, "tasks published per cycle", F (publish.batch) },
  { "publish", "pool-catalog", PX_CONFIG_STRING, "", TRUE,
    "write this node's replicas as a POOL XML file catalogue to this path after files are published; empty: no", F (publish.pool_catalog) },
  { "publish", "pool-catalog-protocol", PX_CONFIG_STRING, "direct", TRUE,
    "storage.xml protocol whose PFNs go into the POOL catalogue", F (publish.pool_catalog_protocol) },
  { "delete", "batch", PX_CONFIG_INT, "200", TRUE, "files removed per cycle", F (del.batch) },
  { "delete", "unmerged-batch", PX_CONFIG_INT, "100", TRUE,
    "unmerged files removed per cycle (each decided safe in one statement first: merged, verified, custodial "
    "copy where subscribed custodially, no hold)", F (del.unmerged_batch) },
  { "delete", "unmerged-retry-delay", PX_CONFIG_INT, "300", TRUE,
    "seconds before a failed removal of an unmerged file is tried again; doubles per attempt", F (del.unmerged_retry_delay) },
  { "delete", "unmerged-retry-delay-max", PX_CONFIG_INT, "21600", TRUE,
    "longest wait between tries to remove an unmerged file, seconds", F (del.unmerged_retry_delay_max) },
  { "delete", "unmerged-bases", PX_CONFIG_LIST, "/store/unmerged/,/store/backfill/*/unmerged/,/store/temp/*/unmerged/", TRUE,
    "LFN bases of unmerged files ('*': one path segment); emptied directories are removed up to them, never them",
    F (del.unmerged_bases) },
  { "handoff", "block-max-files", PX_CONFIG_INT, "500", TRUE,
    "a block phedex handoff fills at this node is closed at this many files", F (handoff.block_max_files) },
  { "handoff", "block-max-bytes", PX_CONFIG_INT, "5000000000000", TRUE,
    "... at this many bytes", F (handoff.block_max_bytes) },
  { "handoff", "block-max-events", PX_CONFIG_INT, "25000000", TRUE,
    "... at this many events", F (handoff.block_max_events) },
  { "handoff", "block-max-age", PX_CONFIG_INT, "64800", TRUE,
    "... this many seconds after it was opened (the delete agent closes it)", F (handoff.block_max_age) },
  { NULL }
};
#undef F

const PxConfigKey *const px_site_config_tables[] = { px_agent_config_keys, px_transfer_config_keys, NULL };

static const PxAgentClass *const classes[] = {
  &px_agent_router, &px_agent_download, &px_agent_verify, &px_agent_publish, &px_agent_delete,
};

const PxAgentClass *
px_agent_class_lookup (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (classes); i++)
    if (strcmp (classes[i]->name, name) == 0)
      return classes[i];
  return NULL;
}

/* ---- signals ---- */
static volatile sig_atomic_t stop_flag, reload_flag;
static int wake_pipe[2] = { -1, -1 };

static void
on_signal (int sig)
{
  int saved = errno;
  if (sig == SIGHUP)
    reload_flag = 1;
  else
    {
      /* Stop now, whatever the database is doing: a statement still
       * running is cancelled (it fails, the cycle ends, the drain begins). */
      if (!stop_flag)
        px_tmdb_cancel_from_signal ();
      stop_flag = 1;
    }
  if (wake_pipe[1] >= 0)
    (void) !write (wake_pipe[1], "x", 1);
  errno = saved;
}

gboolean
px_agent_stopping (void)
{
  return stop_flag != 0;
}

/* The one agent of this process (for px_agent_cancelled). */
static PxAgent *running;

/* How long claims are surely still ours after a heartbeat: stale-after, less
 * a margin for clock steps and the time the heartbeat took to arrive. */
static gint64
lease_usec (PxAgent *a)
{
  gint64 stale = a->set.site.stale_after * G_USEC_PER_SEC;
  return stale - MIN (stale / 4, 5 * G_USEC_PER_SEC);
}

gboolean
px_agent_claims_lost (PxAgent *a)
{
  if (g_atomic_int_get (&a->claims_lost))
    return TRUE;
  gint64 at = __atomic_load_n (&a->beat_at, __ATOMIC_ACQUIRE);
  if (g_get_monotonic_time () - at <= lease_usec (a))
    return FALSE;
  if (g_atomic_int_compare_and_exchange (&a->claims_lost, 0, 1))
    g_warning ("no heartbeat reached the TMDB for over %" G_GINT64_FORMAT " s (stopped, or the database "
               "unreachable): this cycle's claims may have been taken back; abandoning its work",
               a->set.site.stale_after);
  return TRUE;
}

gboolean
px_agent_cancelled (void)
{
  return stop_flag != 0 || (running && px_agent_claims_lost (running));
}

gboolean
px_agent_beat (PxAgent *a, gboolean force, GError **error)
{
  gint64 now = g_get_monotonic_time ();
  gint64 interval = a->set.site.heartbeat_interval * G_USEC_PER_SEC;
  if (!force && now - __atomic_load_n (&a->beat_at, __ATOMIC_ACQUIRE) < interval)
    return TRUE;
  /* Judge the old lease before renewing it: a renewal does not give back
   * claims that others may already have taken. */
  px_agent_claims_lost (a);
  PxTmdb *on = a->db;
  if (px_tmdb_in_transaction (a->db))
    {
      /* Inside the batch's transaction the update would be seen only at
       * commit (and would hold the agent's row locked): its own connection. */
      if (!a->bdb)
        {
          g_autofree char *app = g_strdup_printf ("%s@%s (heartbeat)", a->klass->name, a->node);
          if (!(a->bdb = px_tmdb_connect_full (a->set.site.db, app, a->set.site.passfile, error)))
            return FALSE;
          px_tmdb_set_unnamed (a->bdb, a->set.site.db_transaction_pooling);
        }
      if (!px_tmdb_exec_sql (a->db, "SELECT", error))
        return FALSE;
      on = a->bdb;
    }
  g_autoptr(PxRows) hb = px_tmdb_query (on, px_sql_agent_heartbeat, error, PX_INT (a->agent_id));
  if (!hb)
    {
      if (on == a->bdb)
        g_clear_pointer (&a->bdb, px_tmdb_free);
      return FALSE;
    }
  __atomic_store_n (&a->beat_at, now, __ATOMIC_RELEASE);
  return TRUE;
}

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
  GThreadFunc fn;
  gpointer data;
} Beating;

static gpointer
beating_thread (gpointer data)
{
  Beating *b = data;
  b->fn (b->data);
  g_mutex_lock (&b->lock);
  b->done = TRUE;
  g_cond_signal (&b->cond);
  g_mutex_unlock (&b->lock);
  return NULL;
}

void
px_agent_run_beating (PxAgent *a, GThreadFunc fn, gpointer data)
{
  Beating b = { .fn = fn, .data = data };
  g_mutex_init (&b.lock);
  g_cond_init (&b.cond);
  GThread *worker = g_thread_new ("px-work", beating_thread, &b);
  gboolean beating = TRUE;
  g_mutex_lock (&b.lock);
  while (!b.done)
    {
      g_cond_wait_until (&b.cond, &b.lock, g_get_monotonic_time () + G_USEC_PER_SEC / 2);
      if (b.done || !beating)
        continue;
      g_mutex_unlock (&b.lock);
      g_autoptr(GError) e = NULL;
      if (!px_agent_beat (a, FALSE, &e))
        {
          g_warning ("heartbeat failed during a batch: %s", e->message);
          beating = FALSE;
        }
      px_agent_claims_lost (a);
      g_mutex_lock (&b.lock);
    }
  g_mutex_unlock (&b.lock);
  g_thread_join (worker);
  g_mutex_clear (&b.lock);
  g_cond_clear (&b.cond);
}

gboolean
px_agent_keep_claims (PxAgent *a, GError **error)
{
  if (!px_agent_beat (a, FALSE, error))
    return FALSE;
  if (px_agent_claims_lost (a))
    {
      g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_FAILED,
                   "claims possibly taken back (no heartbeat for nearly stale-after); batch abandoned");
      return FALSE;
    }
  return TRUE;
}

/* Take back every claim this agent holds (it holds none between cycles). */
static gboolean
release_mine (PxAgent *a, GError **error)
{
  g_autoptr(PxRows) r = px_tmdb_query (a->db, px_sql_agent_release_mine, error, PX_INT (a->agent_id));
  if (!r)
    return FALSE;
  gint64 requeued = px_rows_int (r, 0, "requeued"), freed = px_rows_int (r, 0, "freed");
  if (requeued || freed)
    g_message ("took back this agent's own unfinished claims: %" G_GINT64_FORMAT " transfers re-queued, %"
               G_GINT64_FORMAT " verify/publish claims freed", requeued, freed);
  return TRUE;
}

static void
install_signals (void)
{
  if (pipe2 (wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
    g_error ("cannot create a pipe: %s", g_strerror (errno));
  struct sigaction sa = { 0 };
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);
}

/* Wait up to SECONDS for the database socket (FD >= 0) or a signal. */
static void
wait_for (int fd, double seconds)
{
  struct pollfd p[2] = { { wake_pipe[0], POLLIN, 0 }, { fd, POLLIN, 0 } };
  int ms = seconds <= 0 ? 0 : seconds > 3600 ? 3600000 : (int) (seconds * 1000);
  if (poll (p, fd >= 0 ? 2 : 1, ms) > 0 && (p[0].revents & POLLIN))
    {
      char buf[64];
      while (read (wake_pipe[0], buf, sizeof buf) > 0)
        ;
    }
}

/* ---- helpers for agents ---- */
typedef struct
{
  char *name;
  char *updated;
  PxTfc *tfc;
  guint cycle; /* the agent cycle in which it was last checked against the TMDB */
} NodeTfc;

static void
node_tfc_free (NodeTfc *n)
{
  g_free (n->name);
  g_free (n->updated);
  px_tfc_free (n->tfc);
  g_free (n);
}

const PxTfc *
px_agent_node_tfc (PxAgent *a, int node_id, const char **name, GError **error)
{
  /* Checked once per cycle: a batch of a thousand files from one source
   * asks the TMDB once, not a thousand times. */
  NodeTfc *seen = g_hash_table_lookup (a->tfcs, GINT_TO_POINTER (node_id));
  if (seen && seen->cycle == a->cycle)
    {
      if (name)
        *name = seen->name;
      return seen->tfc;
    }
  g_autoptr(PxTmdbArray) ids = px_tmdb_array_new ();
  px_tmdb_array_int (ids, node_id);
  g_autoptr(PxRows) rows = px_tmdb_query (a->db, px_sql_node_tfcs, error, PX_ARRAY (ids));
  if (!rows)
    return NULL;
  if (px_rows_count (rows) == 0 || px_rows_is_null (rows, 0, "tfc"))
    {
      g_set_error (error, PX_TFC_ERROR, PX_TFC_ERROR_READ,
                   "node %d has not uploaded its storage.xml to the TMDB (are its agents running?)", node_id);
      return NULL;
    }
  NodeTfc *n = g_hash_table_lookup (a->tfcs, GINT_TO_POINTER (node_id));
  const char *updated = px_rows_text (rows, 0, "tfc_updated");
  if (!n || g_strcmp0 (n->updated, updated) != 0)
    {
      const char *text = px_rows_text (rows, 0, "tfc");
      g_autofree char *label = g_strdup_printf ("storage.xml of %s (TMDB)", px_rows_text (rows, 0, "name"));
      PxTfc *tfc = px_tfc_load_data (text, strlen (text), label, error);
      if (!tfc)
        return NULL;
      n = g_new0 (NodeTfc, 1);
      n->name = g_strdup (px_rows_text (rows, 0, "name"));
      n->updated = g_strdup (updated);
      n->tfc = tfc;
      g_hash_table_replace (a->tfcs, GINT_TO_POINTER (node_id), n);
    }
  n->cycle = a->cycle;
  if (name)
    *name = n->name;
  return n->tfc;
}

const char *
px_agent_pick_protocol (PxAgent *a, const PxTfc *source, GError **error)
{
  return px_tfc_pick_protocol (a->tfc, source, (const char *const *) a->set.site.protocols,
                               error);
}

PxRows *
px_agent_claim (PxAgent *a, const char *state, const PxTmdbStatement *claim_statement, gint64 batch, gboolean *more,
                GError **error)
{
  g_autoptr(PxRows) rel = px_tmdb_query (a->db, px_sql_release_stale_claims, error, PX_INT (a->node_id),
                                         PX_TEXT (state));
  if (!rel)
    return NULL;
  const PxTmdbParam params[] = { PX_INT (a->node_id), PX_INT (a->agent_id), PX_INT (batch) };
  PxRows *claim = px_tmdb_query_params (a->db, claim_statement, G_N_ELEMENTS (params), params, error);
  if (claim)
    *more = px_rows_count (claim) == (guint) batch;
  return claim;
}

/* ---- the loop ---- */

/* A command key as argv (shell quoting rules); NULL when empty. */
static gboolean
parse_command (const PxConfig *cfg, const char *key, const char *value, char ***argv, GError **error)
{
  *argv = NULL;
  if (!*value)
    return TRUE;
  g_autoptr(GError) e = NULL;
  if (!g_shell_parse_argv (value, NULL, argv, &e))
    {
      g_set_error (error, PX_CONFIG_ERROR, PX_CONFIG_ERROR_INVALID, "%s: [download] %s = '%s': %s",
                   px_config_path (cfg), key, value, e->message);
      return FALSE;
    }
  return TRUE;
}

/* Load (or reload) the site config: every key checked, the agents' groups
 * bound to a->set, the [transfer] group handed to transfer/, the storage.xml
 * loaded.  On failure nothing changes. */
static gboolean
load_config (PxAgent *a, const char *path, GError **error)
{
  g_autoptr(PxConfig) cfg = px_config_load (path, px_site_config_tables, error);
  if (!cfg)
    return FALSE;
  PxAgentSettings set;
  px_config_bind (cfg, px_agent_config_keys, &set);
  if (a->node && strcmp (a->node, set.site.node) != 0)
    {
      g_set_error (error, PX_CONFIG_ERROR, PX_CONFIG_ERROR_INVALID,
                   "%s: site.node changed from '%s' to '%s'; restart the agents to change node", path, a->node,
                   set.site.node);
      return FALSE;
    }
  g_autoptr(PxTfc) tfc = px_tfc_load_file (set.site.storage_xml, error);
  if (!tfc)
    return FALSE;
  for (guint i = 0; i < px_tfc_get_warnings (tfc)->len; i++)
    g_warning ("%s", (const char *) g_ptr_array_index (px_tfc_get_warnings (tfc), i));
  g_auto(GStrv) validate = NULL, del = NULL;
  if (!parse_command (cfg, "validate-command", set.download.validate_command, &validate, error)
      || !parse_command (cfg, "delete-command", set.download.delete_command, &del, error)
      || !px_transfer_configure_from (cfg, error))
    return FALSE;
  g_strfreev (a->validate_command);
  a->validate_command = g_steal_pointer (&validate);
  g_strfreev (a->delete_command);
  a->delete_command = g_steal_pointer (&del);
  px_config_free (a->cfg);
  a->cfg = g_steal_pointer (&cfg);
  a->set = set;
  px_tfc_free (a->tfc);
  a->tfc = g_steal_pointer (&tfc);
  if (!a->node)
    a->node = g_strdup (set.site.node);
  return TRUE;
}

/* LISTEN for this node's wake-ups: on site.db, or on the separate session
 * connection site.listen-db; with neither (site.db through a
 * transaction-mode pooler, where a LISTEN would land on some pooled server
 * session), none: the agent cycles every poll-interval. */
static gboolean
listen_wakeups (PxAgent *a, GError **error)
{
  PxTmdb *on = a->db;
  if (*a->set.site.listen_db)
    {
      g_autofree char *app = g_strdup_printf ("%s@%s (listen)", a->klass->name, a->node);
      if (!(a->ldb = px_tmdb_connect_full (a->set.site.listen_db, app, a->set.site.passfile, error)))
        return FALSE;
      on = a->ldb;
    }
  else if (a->set.site.db_transaction_pooling)
    {
      g_message ("site.db is pooled per transaction and site.listen-db is empty: no wake-ups, a cycle every %"
                 G_GINT64_FORMAT " s (poll-interval)", a->set.site.poll_interval);
      return TRUE;
    }
  g_autofree char *channel = g_strdup_printf ("phedex_node_%d", a->node_id);
  if (!px_tmdb_listen (on, channel, error))
    return FALSE;
  if (a->klass->listen_topology && !px_tmdb_listen (on, "phedex_topology", error))
    return FALSE;
  return TRUE;
}

/* The connection wake-ups arrive on, or NULL. */
static PxTmdb *
listener (PxAgent *a)
{
  return a->ldb ? a->ldb : a->set.site.db_transaction_pooling ? NULL : a->db;
}

/* Consume pending wake-ups: how many were this agent's work (not in its
 * class's idle_on), -1 if the connection they come on is lost; *TOPOLOGY
 * counts those of them that came on phedex_topology. */
static int
drain_wakeups (PxAgent *a, int *topology)
{
  PxTmdb *l = listener (a);
  return l ? px_tmdb_drain_notifies_except (l, a->klass->idle_on, "phedex_topology", topology) : 0;
}

/* A change anywhere (a replica published at any site, an agent starting)
 * wakes every router through phedex_topology: with fifty sites that is
 * several cycles a second each, for work (a request waiting for a source)
 * that is rarely there.  Such wake-ups start a cycle at most this often;
 * work of the node's own (its channel) starts one at once. */
#define TOPOLOGY_MIN_INTERVAL 2.0

/* The connection's role may work for this node: the node's site role
 * (phedex db grant-site), or a role row-level security does not limit
 * (the TMDB's owner, a superuser: tests and single-admin set-ups).  Any
 * other role would see its writes refused row by row: refuse to start. */
static gboolean
check_role (PxAgent *a, GError **error)
{
  g_autoptr(PxRows) w = px_tmdb_query0 (a->db, px_sql_security_whoami, error);
  if (!w)
    return FALSE;
  const char *role = px_rows_text (w, 0, "role"), *kind = px_rows_text (w, 0, "kind");
  const char *node = px_rows_text (w, 0, "node");
  if (kind && strcmp (kind, "site") == 0 && strcmp (node, a->node) == 0)
    return TRUE;
  if (!kind && px_rows_bool (w, 0, "privileged"))
    return TRUE;
  if (kind && strcmp (kind, "site") == 0)
    g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_FAILED,
                 "database role '%s' is the site role of node '%s', not of '%s' (site.node in %s): connect as "
                 "%s's role ([site] db user=...), made with 'phedex db grant-site %s'", role, node, a->node,
                 px_config_path (a->cfg), a->node, a->node);
  else
    g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_FAILED,
                 "database role '%s'%s%s%s is not the site role of node '%s' (site.node in %s): make it one with "
                 "'phedex db grant-site %s --role %s' as the TMDB's owner, or connect as %s's role", role,
                 kind ? " (a " : "", kind ? kind : "", kind ? " role)" : "", a->node, px_config_path (a->cfg), a->node, role, a->node);
  return FALSE;
}

static gboolean
attach (PxAgent *a, GError **error)
{
  g_autofree char *app = g_strdup_printf ("%s@%s", a->klass->name, a->node);
  a->db = px_tmdb_connect_full (a->set.site.db, app, a->set.site.passfile, error);
  if (a->db)
    px_tmdb_set_unnamed (a->db, a->set.site.db_transaction_pooling);
  if (!a->db || !px_tmdb_check_schema (a->db, error) || !check_role (a, error))
    return FALSE;
  g_autoptr(PxRows) reg = px_tmdb_query (a->db, px_sql_agent_register, error, PX_TEXT (a->node),
                                         PX_TEXT (a->klass->name), PX_TEXT (g_get_host_name ()), PX_INT (getpid ()),
                                         PX_INT (a->set.site.stale_after), PX_TEXT (PACKAGE_VERSION));
  if (!reg)
    return FALSE;
  if (px_rows_count (reg) == 0)
    {
      g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_FAILED,
                   "node '%s' (site.node in %s) is not in the TMDB; add it with 'phedex node add %s'", a->node,
                   px_config_path (a->cfg), a->node);
      return FALSE;
    }
  a->agent_id = (int) px_rows_int (reg, 0, "id");
  a->node_id = (int) px_rows_int (reg, 0, "node");
  __atomic_store_n (&a->beat_at, g_get_monotonic_time (), __ATOMIC_RELEASE);
  px_tmdb_set_signal_cancel (a->db);
  /* Reconnected under the same agent row (same pid): whatever it had
   * claimed before the connection was lost is no longer being worked on. */
  if (!release_mine (a, error))
    return FALSE;
  g_autoptr(PxRows) up = px_tmdb_query (a->db, px_sql_node_upload_tfc, error, PX_TEXT (a->node),
                                        PX_TEXT (px_tfc_get_source_text (a->tfc)));
  if (!up)
    return FALSE;
  if (px_rows_count (up) > 0)
    g_message ("uploaded %s to the TMDB", a->set.site.storage_xml);
  return listen_wakeups (a, error);
}

int
px_agent_run (const PxAgentClass *klass, const char *config_path)
{
  install_signals ();
  PxAgent agent = { .klass = klass };
  PxAgent *a = &agent;
  running = a;
  a->tfcs = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) node_tfc_free);
  g_autoptr(GError) error = NULL;
  px_log_init (klass->name);
  if (!load_config (a, config_path, &error))
    {
      g_warning ("%s", error->message);
      g_hash_table_unref (a->tfcs);
      return PX_EXIT_FAILURE;
    }
  g_autofree char *ident = g_strdup_printf ("%s@%s", klass->name, a->node);
  px_log_set_ident (ident);

  double backoff = 1;
  gint64 cycle_at = 0; /* when the last cycle started (monotonic) */
  int status = PX_EXIT_OK;
  while (!stop_flag)
    {
      g_clear_error (&error);
      if (!attach (a, &error))
        {
          gboolean fatal = error->domain == PX_TMDB_ERROR && error->code != PX_TMDB_ERROR_RETRY;
          g_warning ("%s%s", error->message, fatal ? "" : "; retrying");
          g_clear_pointer (&a->db, px_tmdb_free);
          if (fatal)
            {
              status = PX_EXIT_FAILURE;
              break;
            }
          wait_for (-1, backoff);
          backoff = MIN (backoff * 2, 30);
          continue;
        }
      backoff = 1;
      g_message ("started (agent id %d, node id %d)", a->agent_id, a->node_id);
      while (!stop_flag)
        {
          if (reload_flag)
            {
              reload_flag = 0;
              g_autoptr(GError) rerr = NULL;
              if (!load_config (a, config_path, &rerr))
                g_warning ("reload failed, keeping the old configuration: %s", rerr->message);
              else
                {
                  g_message ("reloaded %s", config_path);
                  g_autoptr(PxRows) up = px_tmdb_query (a->db, px_sql_node_upload_tfc, &rerr, PX_TEXT (a->node),
                                                        PX_TEXT (px_tfc_get_source_text (a->tfc)));
                  if (up && px_rows_count (up) > 0)
                    g_message ("uploaded the changed storage.xml to the TMDB");
                }
            }
          double beat = (double) a->set.site.heartbeat_interval;
          if (!px_agent_beat (a, FALSE, &error))
            break;
          /* Between cycles no claim is held: a new cycle starts with a fresh lease. */
          if (px_agent_claims_lost (a) && !px_agent_beat (a, TRUE, &error))
            break;
          g_atomic_int_set (&a->claims_lost, 0);
          gboolean more = FALSE;
          double wake_in = (double) a->set.site.poll_interval;
          a->cycle++;
          cycle_at = g_get_monotonic_time ();
          if (!klass->cycle (a, &more, &wake_in, &error))
            {
              px_tmdb_rollback (a->db);
              if (!px_tmdb_is_ok (a->db))
                break;
              g_warning ("cycle failed: %s", error->message);
              g_clear_error (&error);
              /* Its claims were committed before the failure: give them back
               * now rather than hold them until this agent dies. */
              if (!stop_flag && !release_mine (a, &error))
                break;
              more = FALSE;
              wake_in = MIN (wake_in, 5);
            }
          if (more)
            {
              if (drain_wakeups (a, &(int) { 0 }) < 0)
                break;
              continue;
            }
          double until_beat = beat - (g_get_monotonic_time () - __atomic_load_n (&a->beat_at, __ATOMIC_ACQUIRE))
                                       / (double) G_USEC_PER_SEC;
          /* Sleep until this agent's work is notified (others' work, e.g. a
           * download's progress for the router, does not start a cycle), a
           * signal, the heartbeat or WAKE_IN. */
          gint64 end = g_get_monotonic_time () + (gint64) (MIN (wake_in, MAX (until_beat, 0)) * G_USEC_PER_SEC);
          /* Notifications that arrived while the cycle's statements ran are
           * already read into libpq's queue, and the socket will not show
           * them: look there first. */
          int topology = 0, woken = drain_wakeups (a, &topology);
          while (woken >= 0 && !stop_flag && !reload_flag && woken == topology)
            {
              /* Only topology news so far: it starts a cycle at most
               * TOPOLOGY_MIN_INTERVAL after the last one started. */
              if (woken > 0)
                end = MIN (end, cycle_at + (gint64) (TOPOLOGY_MIN_INTERVAL * G_USEC_PER_SEC));
              gint64 now = g_get_monotonic_time ();
              if (now >= end)
                break;
              wait_for (listener (a) ? px_tmdb_socket (listener (a)) : -1, (end - now) / (double) G_USEC_PER_SEC);
              int t = 0, w = drain_wakeups (a, &t);
              woken = w < 0 ? -1 : woken + w;
              topology += t;
            }
          if (woken < 0)
            break;
        }
      if (!stop_flag)
        {
          g_warning ("lost the TMDB connection%s%s; reconnecting", error ? ": " : "", error ? error->message : "");
          px_tmdb_set_signal_cancel (NULL);
          g_clear_pointer (&a->db, px_tmdb_free);
          g_clear_pointer (&a->ldb, px_tmdb_free);
          g_clear_pointer (&a->bdb, px_tmdb_free);
          wait_for (-1, backoff);
        }
    }
  px_tmdb_set_signal_cancel (NULL);
  if (a->db && a->agent_id)
    {
      /* Give back anything still claimed (a cancelled report) before going,
       * waiting at most a moment for a database that is stuck. */
      g_autoptr(GError) e1 = NULL;
      px_tmdb_rollback (a->db);
      /* (Not through a transaction pooler: the setting would stay with the
       * pooled server session and bind its next client.) */
      if ((!a->set.site.db_transaction_pooling && !px_tmdb_exec_sql (a->db, "SET statement_timeout = 2000", &e1))
          || !release_mine (a, &e1))
        g_warning ("cannot give back this agent's claims: %s (peers take them back after stale-after)", e1->message);
      g_autoptr(GError) e2 = NULL;
      g_autoptr(PxRows) r = px_tmdb_query (a->db, px_sql_agent_stopped, &e2, PX_INT (a->agent_id));
      g_message ("stopped");
    }
  px_tmdb_free (a->db);
  px_tmdb_free (a->ldb);
  px_tmdb_free (a->bdb);
  px_config_free (a->cfg);
  px_tfc_free (a->tfc);
  g_strfreev (a->validate_command);
  g_strfreev (a->delete_command);
  g_hash_table_unref (a->tfcs);
  g_free (a->node);
  return status;
}
