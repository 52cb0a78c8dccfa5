/* test-scale-plans — after a big expansion on statistics taken while the
 * tables were empty (the stall of issue #11), EXPLAIN the agents' per-batch
 * statements with the parameters the agents pass, and fail unless they
 * reach tasks by primary key.  Then run them and check what they did.
 *   test-scale-plans SOURCE_ID DEST_ID FILES
 * $PHEDEX_DB: a TMDB with FILES files at SOURCE_ID, DEST_ID subscribed to
 * them, nothing expanded yet (tests/t0150-scale-plans.sh).  TAP on stdout. */
#include "config.h"
#include "tmdb/tmdb.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n, failed;
static PxTmdb *db;

static void
ok (gboolean good, const char *what)
{
  n++;
  failed += !good;
  printf ("%sok %d - %s\n", good ? "" : "not ", n, what);
}

/* Every line of the plan that reads tasks or requests, and whether they all
 * go through the table's primary key. */
static gboolean
by_key (PxRows *plan, const char *table)
{
  g_autofree char *seq = g_strdup_printf ("Seq Scan on %s ", table);
  g_autofree char *using = g_strdup_printf (" on %s ", table);
  g_autofree char *bitmap = g_strdup_printf ("Bitmap Index Scan on %s_", table);
  g_autofree char *pkey = g_strdup_printf ("%s_pkey", table);
  gboolean seen = FALSE;
  for (guint i = 0; i < px_rows_count (plan); i++)
    {
      const char *l = px_rows_text (plan, i, "QUERY PLAN");
      if (strstr (l, seq))
        return FALSE;
      if ((strstr (l, "Index Scan using ") || strstr (l, "Index Only Scan using ")) && strstr (l, using))
        {
          if (!strstr (l, pkey))
            return FALSE;
          seen = TRUE;
        }
      if (strstr (l, bitmap))
        {
          if (!strstr (l, pkey))
            return FALSE;
          seen = TRUE;
        }
    }
  return seen;
}

static gboolean
has (PxRows *plan, const char *what)
{
  for (guint i = 0; i < px_rows_count (plan); i++)
    if (strstr (px_rows_text (plan, i, "QUERY PLAN"), what))
      return TRUE;
  return FALSE;
}

static void
show (PxRows *plan)
{
  for (guint i = 0; plan && i < px_rows_count (plan); i++)
    printf ("# %s\n", px_rows_text (plan, i, "QUERY PLAN"));
}

/* The plan of ST updates tasks through the primary key, and never reads
 * all of tasks. */
#define EXPECT_KEY_UPDATE(st, what, ...) \
  G_STMT_START { \
    g_autoptr(PxRows) plan = explain (&(st), P (__VA_ARGS__)); \
    gboolean good = plan && has (plan, "tasks_pkey") && !has (plan, "Seq Scan on tasks ") \
                   && !has (plan, "Seq Scan on files "); \
    ok (good, what); \
    if (!good || g_getenv ("EXPLAIN_VERBOSE")) \
      show (plan); \
  } G_STMT_END

/* The statement's own SQL behind EXPLAIN, with the agents' parameters. */
static PxRows *
explain (const PxTmdbStatement *st, guint np, const PxTmdbParam *params)
{
  g_autofree char *name = g_strconcat ("explain_", st->name, NULL);
  g_autofree char *sql = g_strconcat ("EXPLAIN ", st->sql, NULL);
  PxTmdbStatement ex = { g_intern_string (name), "QUERY PLAN", g_intern_string (sql) };
  g_autoptr(GError) e = NULL;
  PxRows *r = px_tmdb_query_params (db, &ex, np, params, &e);
  if (!r)
    printf ("# EXPLAIN %s: %s\n", st->name, e->message);
  return r;
}

static PxRows *
run (const PxTmdbStatement *st, guint np, const PxTmdbParam *params)
{
  g_autoptr(GError) e = NULL;
  PxRows *r = px_tmdb_query_params (db, st, np, params, &e);
  if (!r)
    printf ("# %s: %s\n", st->name, e->message);
  return r;
}

#define P(...) G_N_ELEMENTS (((const PxTmdbParam[]){ __VA_ARGS__ })), (const PxTmdbParam[]){ __VA_ARGS__ }

/* The plan of ST must reach TABLE by its primary key only, and never read
 * all of files. */
#define EXPECT_BY_KEY(st, table, what, ...) \
  G_STMT_START { \
    g_autoptr(PxRows) plan = explain (&(st), P (__VA_ARGS__)); \
    gboolean good = plan && by_key (plan, table) && !has (plan, "Seq Scan on files "); \
    ok (good, what); \
    if (!good || g_getenv ("EXPLAIN_VERBOSE")) \
      show (plan); \
  } G_STMT_END

#define ROUTE PX_INT (dest), PX_ARRAY (rn), PX_ARRAY (rc), PX_ARRAY (rx), PX_ARRAY (rp), PX_INT (5000), \
              PX_INT (G_GINT64_CONSTANT (1) << 50), PX_INT (60)

/* router_route: its three updates of requests (already here, routed,
 * missed) go to the addresses its batch read (TID scans), each driven by
 * its batch, and it never reads the whole requests, files or replicas
 * table (each file's size and replicas by key). */
static void
route_plan (const char *when, gint64 dest, PxTmdbArray *rn, PxTmdbArray *rc, PxTmdbArray *rx, PxTmdbArray *rp)
{
  g_autoptr(PxRows) plan = explain (&px_sql_router_route, P (ROUTE));
  guint keyed = 0;
  for (guint i = 0; plan && i < px_rows_count (plan); i++)
    keyed += strstr (px_rows_text (plan, i, "QUERY PLAN"), "Tid Scan on requests ") != NULL;
  gboolean good = plan && keyed >= 3 && !has (plan, "Seq Scan on requests") && !has (plan, "Seq Scan on files")
                  && !has (plan, "Seq Scan on replicas");
  g_autofree char *what = g_strdup_printf ("router_route updates requests by key (%s)", when);
  ok (good, what);
  if (!good || g_getenv ("EXPLAIN_VERBOSE"))
    show (plan);
}

static gint64
one (const char *sql)
{
  g_autoptr(GError) e = NULL;
  /* Named by a hash: PostgreSQL keeps 63 bytes of a statement's name. */
  g_autofree char *name = g_strdup_printf ("one_%08x", g_str_hash (sql));
  PxTmdbStatement st = { g_intern_string (name), "v", g_intern_string (sql) };
  g_autoptr(PxRows) r = px_tmdb_query_params (db, &st, 0, NULL, &e);
  if (!r)
    {
      printf ("Bail out! %s: %s\n", sql, e->message);
      exit (1);
    }
  return px_rows_int (r, 0, "v");
}

static void
exec (const char *sql)
{
  g_autoptr(GError) e = NULL;
  if (!px_tmdb_exec_sql (db, sql, &e))
    {
      printf ("Bail out! %s\n", e->message);
      exit (1);
    }
}

/* Ids of up to LIMIT tasks matching WHERE, as an array. */
static PxTmdbArray *
ids (const char *where, guint limit, guint *count)
{
  g_autofree char *sql = g_strdup_printf ("SELECT id AS v FROM tasks WHERE %s ORDER BY id LIMIT %u", where, limit);
  g_autofree char *name = g_strdup_printf ("ids_%08x", g_str_hash (sql));
  PxTmdbStatement st = { g_intern_string (name), "v", g_intern_string (sql) };
  g_autoptr(GError) e = NULL;
  g_autoptr(PxRows) r = px_tmdb_query_params (db, &st, 0, NULL, &e);
  if (!r)
    {
      printf ("Bail out! %s\n", e->message);
      exit (1);
    }
  PxTmdbArray *a = px_tmdb_array_new ();
  for (guint i = 0; i < px_rows_count (r); i++)
    px_tmdb_array_int (a, px_rows_int (r, i, "v"));
  *count = px_rows_count (r);
  return a;
}

static PxTmdbArray *
texts (const char *value, guint count)
{
  PxTmdbArray *a = px_tmdb_array_new ();
  for (guint i = 0; i < count; i++)
    px_tmdb_array_text (a, value);
  return a;
}

int
main (int argc, char **argv)
{
  if (argc != 4)
    {
      printf ("Bail out! usage: test-scale-plans SOURCE_ID DEST_ID FILES\n");
      return 1;
    }
  gint64 src = g_ascii_strtoll (argv[1], NULL, 10), dest = g_ascii_strtoll (argv[2], NULL, 10);
  gint64 files = g_ascii_strtoll (argv[3], NULL, 10);
  g_autoptr(GError) error = NULL;
  db = px_tmdb_connect (g_getenv ("PHEDEX_DB"), "test-scale-plans", &error);
  if (!db)
    {
      printf ("Bail out! %s\n", error->message);
      return 1;
    }
  /* The agents: one of each at the destination. */
  g_autofree char *reg = g_strdup_printf ("INSERT INTO agents (node, agent, host, pid) VALUES (%" G_GINT64_FORMAT
                                          ", 'download', 'test', 1), (%" G_GINT64_FORMAT ", 'verify', 'test', 2), (%"
                                          G_GINT64_FORMAT ", 'publish', 'test', 3)", dest, dest, dest);
  exec (reg);
  gint64 dl = one ("SELECT id AS v FROM agents WHERE agent = 'download'");
  gint64 vf = one ("SELECT id AS v FROM agents WHERE agent = 'verify'");
  gint64 pb = one ("SELECT id AS v FROM agents WHERE agent = 'publish'");

  /* The big expansion, by the router's own statement, in slices of
   * files / 2.5 ids: two full slices that say there is more, then the rest. */
  gint64 slice = files * 2 / 5, total = 0;
  guint calls = 0, said_more = 0;
  for (gboolean more = TRUE; more && calls < 10; calls++)
    {
      g_autoptr(PxRows) ex = run (&px_sql_router_expand, P (PX_INT (dest), PX_INT (slice)));
      if (!ex)
        break;
      more = px_rows_bool (ex, 0, "more");
      said_more += more;
      total += px_rows_int (ex, 0, "requests");
      printf ("# router_expand slice %u: %" G_GINT64_FORMAT " requests, more: %d\n", calls + 1,
              px_rows_int (ex, 0, "requests"), more);
    }
  ok (total == files && calls == 3 && said_more == 2,
      "router_expand turns the subscription into one request a file, a slice of ids a cycle");
  g_autoptr(PxRows) again = run (&px_sql_router_expand, P (PX_INT (dest), PX_INT (slice)));
  ok (again && px_rows_int (again, 0, "requests") == 0 && !px_rows_bool (again, 0, "more"),
      "router_expand: nothing more once expanded");

  /* One route: source -> destination, as px_routes_compute would give it. */
  g_autoptr(PxTmdbArray) rn = px_tmdb_array_new (), rc = px_tmdb_array_new (), rx = px_tmdb_array_new ();
  g_autoptr(PxTmdbArray) rp = px_tmdb_array_new ();
  px_tmdb_array_int (rn, src);
  px_tmdb_array_double (rc, 1.0);
  px_tmdb_array_int (rx, dest);
  g_autofree char *path = g_strdup_printf ("%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT, src, dest);
  px_tmdb_array_text (rp, path);
  route_plan ("no task yet", dest, rn, rc, rx, rp);
  gint64 queued = 0;
  for (int i = 0; i < 1000 && queued < files; i++)
    {
      g_autoptr(PxRows) r = run (&px_sql_router_route, P (ROUTE));
      if (r)
        printf ("# router_route: %" G_GINT64_FORMAT " pending, %" G_GINT64_FORMAT " queued, %" G_GINT64_FORMAT
                " without source, %" G_GINT64_FORMAT " without path, %" G_GINT64_FORMAT " beyond the window\n",
                px_rows_int (r, 0, "pending"), px_rows_int (r, 0, "queued"), px_rows_int (r, 0, "no_source"),
                px_rows_int (r, 0, "no_path"), px_rows_int (r, 0, "windowed"));
      if (!r || px_rows_int (r, 0, "queued") == 0)
        break;
      queued += px_rows_int (r, 0, "queued");
    }
  ok (queued == files, "router_route queues a task for every file, 5,000 at a time");
  route_plan ("every file queued", dest, rn, rc, rx, rp);

  /* The pipeline in flight: a quarter of the tasks in each state. */
  g_autofree char *st1 = g_strdup_printf ("UPDATE tasks SET state = 'active', claimed_by = %" G_GINT64_FORMAT
                                          ", attempts = 1 WHERE id IN (SELECT id FROM tasks ORDER BY id LIMIT %"
                                          G_GINT64_FORMAT ")", dl, files * 3 / 4);
  exec (st1);
  g_autofree char *st2 = g_strdup_printf ("UPDATE tasks SET state = 'transferred', tmp_pfn = '/tmp/x' || id "
                                          "WHERE id IN (SELECT id FROM tasks ORDER BY id LIMIT %" G_GINT64_FORMAT ")",
                                          files / 2);
  exec (st2);
  g_autofree char *st3 = g_strdup_printf ("UPDATE tasks SET state = 'verified' WHERE id IN (SELECT id FROM tasks "
                                          "ORDER BY id LIMIT %" G_GINT64_FORMAT ")", files / 4);
  exec (st3);

  /* The claims, as the agents make them (500 each). */
  g_autoptr(PxRows) vc = run (&px_sql_verify_claim, P (PX_INT (dest), PX_INT (500)));
  ok (vc && px_rows_count (vc) == 500, "verify_claim claims (locks) a batch of 500");
  g_autoptr(PxRows) pc = run (&px_sql_publish_claim, P (PX_INT (dest), PX_INT (500)));
  ok (pc && px_rows_count (pc) == 500, "publish_claim claims (locks) a batch of 500");
  EXPECT_KEY_UPDATE (px_sql_verify_claim, "verify_claim reads the claimed tasks by key",
                 PX_INT (dest), PX_INT (500));
  EXPECT_KEY_UPDATE (px_sql_publish_claim, "publish_claim reads the claimed tasks by key",
                 PX_INT (dest), PX_INT (500));
  {
    /* A batch of the node's backlog in index order, never a sort of it all. */
    g_autoptr(PxRows) v = explain (&px_sql_verify_claim, P (PX_INT (dest), PX_INT (500)));
    g_autoptr(PxRows) p = explain (&px_sql_publish_claim, P (PX_INT (dest), PX_INT (500)));
    gboolean good = v && p && !has (v, "Sort Key: tasks.id") && !has (p, "Sort Key: tasks.id")
                    && !has (v, "Seq Scan on tasks ") && !has (p, "Seq Scan on tasks ");
    ok (good, "verify_claim and publish_claim take their batch without sorting the node's backlog");
    if (!good || g_getenv ("EXPLAIN_VERBOSE"))
      {
        show (v);
        show (p);
      }
  }
  EXPECT_KEY_UPDATE (px_sql_download_claim, "download_claim reads the picked tasks by key",
                 PX_INT (dest), PX_INT (500), PX_INT (500));
  {
    /* Each link's pick walks the (to_node, state, from_node, priority, id)
     * index in its order: no sort of the node's queued tasks. */
    g_autoptr(PxRows) plan = explain (&px_sql_download_claim, P (PX_INT (dest), PX_INT (500), PX_INT (500)));
    /* ... and looks a candidate's replica here up by the replica's key,
     * never by a pass over the node's replicas (replicas_node). */
    gboolean good = plan && has (plan, "tasks_to_from_state") && !has (plan, "Seq Scan on tasks ")
                    && has (plan, "replicas_pkey") && !has (plan, "replicas_node") && !has (plan, "Seq Scan on replicas ");
    for (guint i = 0; good && i < px_rows_count (plan); i++)
      if (strstr (px_rows_text (plan, i, "QUERY PLAN"), "Sort Key: q.priority"))
        good = FALSE;
    ok (good, "download_claim picks each link's tasks in index order, each replica check by key");
    if (!good || g_getenv ("EXPLAIN_VERBOSE"))
      show (plan);
    /* (The setup made a quarter of the tasks active: room for more.) */
    g_autoptr(PxRows) dc = run (&px_sql_download_claim, P (PX_INT (dest), PX_INT (500), PX_INT (files)));
    ok (dc && px_rows_count (dc) == 500 && px_rows_int (dc, 0, "attempts") == 1,
        "download_claim picks a batch of 500, with the attempt the claim will give");
  }

  guint nd, nv, np;
  g_autoptr(PxTmdbArray) dids = ids ("state = 'queued'", 500, &nd);
  /* (Verify and publish hold their batches by lock, claimed_by stays NULL.) */
  g_autoptr(PxTmdbArray) vids = ids ("state = 'transferred' AND claimed_by IS NULL", 500, &nv);
  g_autoptr(PxTmdbArray) pids = ids ("state = 'verified' AND claimed_by IS NULL", 500, &np);
  g_autoptr(PxTmdbArray) pfn = texts ("file:///x", nd), dstate = texts ("transferred", nd);
  g_autoptr(PxTmdbArray) dnull = texts (NULL, nd), dbytes = px_tmdb_array_new (), dbool = px_tmdb_array_new ();
  for (guint i = 0; i < nd; i++)
    {
      px_tmdb_array_int (dbytes, 1048576);
      px_tmdb_array_bool (dbool, FALSE);
    }
  g_autoptr(PxTmdbArray) vstate = texts ("verified", nv), vnull = texts (NULL, nv);
  g_autoptr(PxTmdbArray) pstate = texts ("done", np), pnull = texts (NULL, np);

#define DL_START PX_ARRAY (dids), PX_ARRAY (pfn), PX_ARRAY (pfn), PX_ARRAY (pfn), PX_INT (dl)
#define DL_REPORT PX_ARRAY (dids), PX_ARRAY (dstate), PX_ARRAY (dbytes), PX_ARRAY (dnull), PX_ARRAY (dnull), \
                  PX_ARRAY (dnull), PX_INT (dl), PX_ARRAY (dbool), PX_ARRAY (dbool)
#define VF_REPORT PX_ARRAY (vids), PX_ARRAY (vstate), PX_ARRAY (vnull), PX_ARRAY (vnull), PX_NULL
#define PB_REPORT PX_ARRAY (pids), PX_ARRAY (pstate), PX_ARRAY (pnull), PX_NULL
  EXPECT_BY_KEY (px_sql_download_start, "tasks", "download_start reaches tasks by primary key only", DL_START);
  EXPECT_BY_KEY (px_sql_download_report, "tasks", "download_report reaches tasks by primary key only", DL_REPORT);
  EXPECT_BY_KEY (px_sql_verify_report, "tasks", "verify_report reaches tasks by primary key only", VF_REPORT);
  EXPECT_BY_KEY (px_sql_publish_report, "tasks", "publish_report reaches tasks by primary key only", PB_REPORT);
  EXPECT_BY_KEY (px_sql_publish_report, "requests", "publish_report reaches requests by primary key only",
                 PB_REPORT);

  /* And they do what they did before: the batch moves on, nothing else. */
  g_autoptr(PxRows) r1 = run (&px_sql_download_start, P (DL_START));
  ok (r1 && px_rows_count (r1) == nd, "download_start claims the picked batch with its names");
  g_autoptr(PxRows) r2 = run (&px_sql_download_report, P (DL_REPORT));
  ok (r2 && px_rows_count (r2) == nd, "download_report moves the claimed batch to transferred");
  g_autoptr(PxRows) r3 = run (&px_sql_verify_report, P (VF_REPORT));
  ok (r3 && px_rows_int (r3, 0, "reported") == nv, "verify_report moves its batch to verified");
  g_autoptr(PxRows) r4 = run (&px_sql_publish_report, P (PB_REPORT));
  ok (r4 && px_rows_int (r4, 0, "reported") == np, "publish_report moves its batch to done");
  g_autofree char *rq = g_strdup_printf ("SELECT count(*) AS v FROM requests WHERE node = %" G_GINT64_FORMAT
                                         " AND state = 'done'", dest);
  ok (one (rq) == np, "publish_report completes the batch's requests, and only those");
  EXPECT_BY_KEY (px_sql_report_history, "tasks", "report_history reaches tasks by primary key only",
                 PX_ARRAY (pids), PX_ARRAY (pstate), PX_BOOL (FALSE));
  g_autoptr(PxRows) rh = run (&px_sql_report_history, P (PX_ARRAY (pids), PX_ARRAY (pstate), PX_BOOL (FALSE)));
  ok (rh && one ("SELECT coalesce(sum(done_files), 0) AS v FROM link_history") == np,
      "report_history counts the published batch into the link's history");
  g_autoptr(PxRows) r5 = run (&px_sql_publish_report, P (PB_REPORT));
  ok (r5 && px_rows_int (r5, 0, "reported") == 0, "a batch reported twice changes nothing the second time");
  /* Tasks another agent holds by claimed_by (an agent of an earlier
   * version) are not reported by a batch held by lock, nor by a third agent. */
  g_autofree char *held = g_strdup_printf ("UPDATE tasks SET claimed_by = %" G_GINT64_FORMAT " WHERE id IN (SELECT id "
                                           "FROM tasks WHERE state = 'transferred' AND claimed_by IS NULL ORDER BY id "
                                           "LIMIT 10)", vf);
  exec (held);
  g_autofree char *hw = g_strdup_printf ("state = 'transferred' AND claimed_by = %" G_GINT64_FORMAT, vf);
  guint nh;
  g_autoptr(PxTmdbArray) hids = ids (hw, 10, &nh);
  g_autoptr(PxTmdbArray) hstate = texts ("verified", nh), hnull = texts (NULL, nh);
  g_autoptr(PxRows) r6 = run (&px_sql_verify_report, P (PX_ARRAY (hids), PX_ARRAY (hstate), PX_ARRAY (hnull),
                                                        PX_ARRAY (hnull), PX_NULL));
  g_autoptr(PxRows) r6b = run (&px_sql_verify_report, P (PX_ARRAY (hids), PX_ARRAY (hstate), PX_ARRAY (hnull),
                                                         PX_ARRAY (hnull), PX_INT (pb)));
  ok (nh == 10 && r6 && px_rows_int (r6, 0, "reported") == 0 && r6b && px_rows_int (r6b, 0, "reported") == 0,
      "another agent's batch is not reported");
  g_autoptr(PxRows) r7 = run (&px_sql_agent_release_mine, P (PX_INT (dl)));
  ok (r7 && px_rows_int (r7, 0, "requeued") == files / 4,
      "agent_release_mine (through the node) requeues the download agent's remaining claims");
  /* The router's per-cycle bookkeeping reads neither all tasks nor all
   * requests while the subscription is in progress. */
  {
    g_autoptr(PxRows) plan = explain (&px_sql_router_subscriptions, P (PX_INT (dest)));
    gboolean good = plan && !has (plan, "Seq Scan on tasks ") && !has (plan, "Seq Scan on requests ")
                    && !has (plan, "tasks_for_state");
    ok (good, "router_subscriptions: no pass over the node's tasks or requests");
    /* The move deletions are driven by the moves done now: the first scan
     * under "CTE md" is the one of m, so nothing is read when no move is
     * due (as a join, m came last, after a pass over every replica at other
     * nodes, which grows with every copy that lands). */
    gboolean quiet = FALSE, in_md = FALSE;
    for (guint i = 0; plan && i < px_rows_count (plan); i++)
      {
        const char *line = px_rows_text (plan, i, "QUERY PLAN");
        if (strstr (line, "CTE md"))
          in_md = TRUE;
        else if (in_md && strstr (line, "Scan"))
          {
            quiet = strstr (line, "CTE Scan on m ") != NULL;
            break;
          }
      }
    ok (quiet, "router_subscriptions: the move deletions start from the moves due (none: nothing read)");
    if (!quiet)
      show (plan);
    if (!good || g_getenv ("EXPLAIN_VERBOSE"))
      show (plan);
    g_autoptr(PxRows) r = run (&px_sql_router_subscriptions, P (PX_INT (dest)));
    ok (r && px_rows_int (r, 0, "completed") == 0, "router_subscriptions: the subscription is not complete yet");
  }
  /* The queue counters the router reads instead of summing the open tasks
   * agree with the tasks, after inserts, claims, reports and releases. */
  ok (one ("SELECT ((SELECT coalesce(sum(open_bytes), 0) FROM task_queue) = (SELECT coalesce(sum(f.bytes), 0) "
           "FROM tasks t JOIN files f ON f.id = t.file WHERE t.state IN ('queued', 'active', 'transferred', "
           "'verified')) AND (SELECT coalesce(sum(queued_files), 0) FROM task_queue) = (SELECT count(*) FROM tasks "
           "WHERE state IN ('queued', 'active')))::int AS v") == 1,
      "task_queue: open bytes and queued files agree with the tasks");
  /* 80 more rows that cancel out: enough for the router to fold them. */
  g_autofree char *extra = g_strdup_printf ("INSERT INTO task_queue SELECT %" G_GINT64_FORMAT ", 1, %" G_GINT64_FORMAT
                                            ", %" G_GINT64_FORMAT ", s, s * 100, s, s * 100 FROM generate_series(1, 40), "
                                            "(VALUES (1), (-1)) AS x(s)", dest, src, dest);
  exec (extra);
  gint64 rows_before = one ("SELECT count(*) AS v FROM task_queue");
  g_autoptr(PxRows) fold = run (&px_sql_router_expand, P (PX_INT (dest), PX_INT (100000)));
  gint64 rows_after = one ("SELECT count(*) AS v FROM task_queue");
  printf ("# task_queue: %" G_GINT64_FORMAT " rows before the router's fold, %" G_GINT64_FORMAT " after\n",
          rows_before, rows_after);
  ok (fold && rows_after < rows_before && rows_after <= 3
      && one ("SELECT ((SELECT coalesce(sum(open_bytes), 0) FROM task_queue) = (SELECT coalesce(sum(f.bytes), 0) "
              "FROM tasks t JOIN files f ON f.id = t.file WHERE t.state IN ('queued', 'active', 'transferred', "
              "'verified')))::int AS v") == 1,
      "task_queue: the router folds the counters, the sums unchanged");
  /* Statistics taken late in a big subscription (autovacuum's, with many
   * of the node's tasks and requests done): the per-cycle statements still
   * seek.  At 1M files the transit check read every task (1 s a cycle),
   * the expansion every file of the subscription (250 ms a cycle) and the
   * completion check every done request. */
  exec ("ANALYZE");
  {
    g_autoptr(PxRows) plan = explain (&px_sql_router_subscriptions, P (PX_INT (dest)));
    gboolean good = plan && !has (plan, "Seq Scan on tasks ") && !has (plan, "Seq Scan on requests ")
                    && has (plan, "tasks_transit_done");
    ok (good, "router_subscriptions on fresh statistics: the transit check seeks tasks_transit_done, no pass over "
              "tasks or requests");
    if (!good)
      show (plan);
    g_autoptr(PxRows) ex = explain (&px_sql_router_expand, P (PX_INT (dest), PX_INT (100000)));
    gboolean seek = FALSE;
    for (guint i = 0; ex && i < px_rows_count (ex); i++)
      {
        const char *l = px_rows_text (ex, i, "QUERY PLAN");
        seek = seek || (strstr (l, "Index Cond") && strstr (l, "block >=") && strstr (l, "id >"));
      }
    ok (seek && !has (ex, "Seq Scan on files ") && !has (ex, "using files_pkey"),
        "router_expand seeks past the watermark in each block");
    if (!seek)
      show (ex);
  }
  printf ("1..%d\n", n);
  px_tmdb_free (db);
  return failed ? 1 : 0;
}
