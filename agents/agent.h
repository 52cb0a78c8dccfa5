/* agent.h — the one agent loop every site agent shares (PgBouncer's main.c
 * with a janitor per agent): config, signals, connect and reconnect with
 * back-off, LISTEN on the node's channel, wait for NOTIFY or the fallback
 * poll, run the agent's cycle, heartbeat, drain on SIGTERM, reload on SIGHUP. */
#pragma once

#include "common/px-common.h"
#include "common/px-config.h"
#include "tmdb/tmdb.h"
#include "lfn2pfn/tfc.h"

typedef struct _PxAgent PxAgent;

/* A site config's agent groups, as px_config_bind fills them from
 * px_agent_config_keys (the [transfer] group is transfer/'s). */
typedef struct
{
  struct
  {
    const char *node, *db, *passfile, *listen_db, *storage_xml;
    gboolean db_transaction_pooling;
    char **protocols;
    gint64 poll_interval, heartbeat_interval, stale_after;
  } site;
  struct
  {
    gint64 max_attempts, retry_delay, retry_delay_max, batch, window_mb, task_expire, no_path_recheck;
  } router;
  struct
  {
    gint64 batch, concurrency, link_concurrency, timeout_base, timeout_min_rate;
    gboolean adaptive;
    const char *validate_command, *delete_command;
  } download;
  struct
  {
    gint64 batch, at_rest_sample, at_rest_age;
    gboolean read_back;
  } verify;
  struct
  {
    gint64 batch;
    const char *pool_catalog, *pool_catalog_protocol;
  } publish;
  struct
  {
    gint64 batch, unmerged_batch, unmerged_retry_delay, unmerged_retry_delay_max;
    char **unmerged_bases;
  } del;
  struct
  {
    gint64 block_max_files, block_max_bytes, block_max_events, block_max_age;
  } handoff;
} PxAgentSettings;

typedef struct
{
  const char *name;
  /* Do the work there is now.  *MORE = TRUE when a full batch was taken
   * (run again at once); *WAKE_IN (seconds, preset to the poll interval) may
   * be lowered for work that becomes due later.  FALSE + error: logged; a
   * PX_TMDB_ERROR_RETRY reconnects. */
  gboolean (*cycle) (PxAgent *agent, gboolean *more, double *wake_in, GError **error);
  gboolean listen_topology; /* also wake on phedex_topology (routers) */
  /* Notification payloads (a task's new state, a table's name) that are
   * another agent's work: they do not start a cycle of this one.  NULL-
   * terminated; anything not listed wakes it. */
  const char *const *idle_on;
} PxAgentClass;

struct _PxAgent
{
  const PxAgentClass *klass;
  PxConfig *cfg;
  PxAgentSettings set; /* cfg's values, typed (rebound on reload) */
  PxTmdb *db;
  PxTmdb *ldb;       /* site.listen-db's connection, or NULL */
  PxTmdb *bdb;       /* heartbeats sent while db is in a batch's transaction (opened when first needed) */
  char *node;        /* this site's node name */
  int node_id;
  int agent_id;
  PxTfc *tfc;        /* this site's storage.xml */
  GHashTable *tfcs;  /* other nodes' catalogues: node id → NodeTfc */
  guint cycle;       /* counts cycles (catalogues are re-checked once per cycle) */
  char **validate_command; /* [download] validate-command as argv, or NULL */
  char **delete_command;   /* [download] delete-command as argv, or NULL */
  /* The lease on this agent's claims: others take them back once its
   * heartbeat is [site] stale-after old.  beat_at is the monotonic time the
   * last successful heartbeat was sent; claims_lost is set (and stays set
   * until the cycle ends) once that is too long ago to be sure. */
  gint64 beat_at;
  gint claims_lost;
};

extern const PxAgentClass px_agent_router;
extern const PxAgentClass px_agent_download;
extern const PxAgentClass px_agent_verify;
extern const PxAgentClass px_agent_publish;
extern const PxAgentClass px_agent_delete;

/* The agents' keys of a site config, and every table a site config is
 * checked against (agents' and transfer's; etc/site.conf documents every key). */
extern const PxConfigKey px_agent_config_keys[];
extern const PxConfigKey *const px_site_config_tables[];

const PxAgentClass *px_agent_class_lookup (const char *name);
/* Run one agent until SIGTERM; returns the exit status. */
int px_agent_run (const PxAgentClass *klass, const char *config_path);
/* TRUE once SIGTERM/SIGINT arrived: finish or release claimed work and return. */
gboolean px_agent_stopping (void);
/* Send a heartbeat if [site] heartbeat-interval has passed since the last
 * one.  Agents call it between items of a long batch (the download agent's
 * main thread while its copies run), so long work does not look dead.
 * While the agent's connection is in a transaction (a verify or publish
 * batch, locked until its report commits) the heartbeat goes on a
 * connection of its own, so others see it at once, and the batch's session
 * gets a no-op statement, so its idle_in_transaction_session_timeout ends
 * it only when the agent really stopped. */
gboolean px_agent_beat (PxAgent *agent, gboolean force, GError **error);
/* Run FN (DATA) in a thread of its own while this thread keeps the
 * heartbeat going (px_agent_beat): for work without the database that may
 * take longer than stale-after, such as a batch of read-backs or renames on
 * a remote storage, even a single file's.  FN must not use the agent's
 * connections, and should stop early when px_agent_cancelled (). */
void px_agent_run_beating (PxAgent *agent, GThreadFunc fn, gpointer data);
/* TRUE when this agent can no longer be sure it still owns the claims it
 * made this cycle: its last heartbeat is nearly [site] stale-after old (it
 * was stopped, or the database was unreachable), so another agent may have
 * taken them back.  Work on them must stop and leave nothing behind.
 * Thread-safe; sticky until the cycle ends. */
gboolean px_agent_claims_lost (PxAgent *agent);
/* Between the items of a long batch: heartbeat when due, and fail (a
 * PX_TMDB_ERROR_FAILED the loop answers by giving back what is still
 * claimed) when the claims may have been taken back.  Report nothing then. */
gboolean px_agent_keep_claims (PxAgent *agent, GError **error);
/* px_agent_stopping () || px_agent_claims_lost () for the running agent:
 * the cancellation test of copies and hooks. */
gboolean px_agent_cancelled (void);

/* Catalogue of node ID (from the TMDB, parsed once per upload). */
const PxTfc *px_agent_node_tfc (PxAgent *agent, int node_id, const char **name, GError **error);
/* The protocol this site uses (px_tfc_pick_protocol over site.protocols);
 * SOURCE: the far side of a copy, or NULL for this site's own files. */
const char *px_agent_pick_protocol (PxAgent *agent, const PxTfc *source, GError **error);
/* Take back claims on STATE tasks of this node whose agent is not alive,
 * then claim a batch of BATCH with CLAIM ($1 node, $2 agent, $3 batch).
 * *MORE is set when the batch came back full.  NULL on error. */
PxRows *px_agent_claim (PxAgent *agent, const char *state, const PxTmdbStatement *claim, gint64 batch,
                        gboolean *more, GError **error);
/* Open a transaction and claim a batch of BATCH STATE tasks by locking them
 * with CLAIM ($1 node, $2 batch; FOR UPDATE SKIP LOCKED): the caller
 * reports the batch and commits (agents/claim.c).  *MORE is set when the
 * batch came back full.  NULL on error, the transaction rolled back. */
PxRows *px_agent_lock_batch (PxAgent *agent, const char *state, const PxTmdbStatement *claim, gint64 batch,
                             gboolean *more, GError **error);
