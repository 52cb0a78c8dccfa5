/* tmdb-statements.c — every SQL statement phedex runs, by name.  Prepared
 * once per connection on first use.  Batches travel as arrays ($n::type[])
 * and are unnested server-side: one statement per batch, never per file. */
#include "config.h"
#include "tmdb-private.h"
#include <string.h>

/* Tasks whose claimer is not alive (px_alive: stopped, or silent past its stale-after). */
#define DEAD_CLAIM \
  "(t.claimed_by IS NULL OR NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = t.claimed_by AND px_alive(a)))"

/* Per-batch statements reach tasks by primary key only: each id of the
 * batch (the unnested arrays, r0) is looked up by key in a LATERAL
 * subquery (OFFSET 0 keeps other conditions out of it, so the primary key
 * is its only index), and the row is updated at the address found there
 * (ctid: a TID scan, no index and no choice).  State and owner are then
 * compared with IS NOT DISTINCT FROM, which no index (not even a partial
 * one on state) can serve.  So no estimate, stale statistics or cached
 * generic plan can make the planner walk every task in a state and probe
 * the batch for each (O(backlog x batch)) or read the whole table: the cost
 * is the batch's, whatever the backlog.  A row changed by someone else
 * meanwhile has a new address and is skipped, as it must be: only a broken
 * claim changes a claimed task.  tests/t0150-scale-plans.sh checks the
 * plans after a big expansion on stale statistics. */
#define BY_KEY(state, owner) \
  "t.ctid = r.tid AND t.state IS NOT DISTINCT FROM " state " AND t.claimed_by IS NOT DISTINCT FROM " owner
/* The batch r0 with each task's address and its file's size (by key too), as r. */
#define KEYED "(SELECT r0.*, k.tid, k.bytes FROM r0 CROSS JOIN LATERAL (SELECT x.ctid AS tid, " \
  "(SELECT f.bytes FROM files f WHERE f.id = x.file) AS bytes FROM tasks x WHERE x.id = r0.id OFFSET 0) k) r"
/* The same without the file's size. */
#define KEYED_TID "(SELECT r0.*, k.tid FROM r0 CROSS JOIN LATERAL (SELECT x.ctid AS tid " \
  "FROM tasks x WHERE x.id = r0.id OFFSET 0) k) r"

/* Count a batch of outcomes into the link's 5-minute bin.  Expects a CTE u
 * with from_node, to_node, bytes and the three flags. */
#define HISTORY_UPSERT \
  "INSERT INTO link_history AS h (time_bin, from_node, to_node, try_files, try_bytes, done_files, done_bytes, " \
  "  fail_files, fail_bytes) " \
  "SELECT px_bin(now()), from_node, to_node, count(*) FILTER (WHERE tried), coalesce(sum(bytes) FILTER (WHERE tried), 0), " \
  "  count(*) FILTER (WHERE done), coalesce(sum(bytes) FILTER (WHERE done), 0), " \
  "  count(*) FILTER (WHERE failed), coalesce(sum(bytes) FILTER (WHERE failed), 0) " \
  "FROM u GROUP BY from_node, to_node " \
  "ON CONFLICT (time_bin, from_node, to_node) DO UPDATE SET " \
  "  try_files = h.try_files + excluded.try_files, try_bytes = h.try_bytes + excluded.try_bytes, " \
  "  done_files = h.done_files + excluded.done_files, done_bytes = h.done_bytes + excluded.done_bytes, " \
  "  fail_files = h.fail_files + excluded.fail_files, fail_bytes = h.fail_bytes + excluded.fail_bytes"

/* ---- nodes, links ---- */
PX_SQL (node_add, "id",
    "INSERT INTO nodes (name, kind) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id");
PX_SQL (node_id, "id,kind",
    "SELECT id, kind FROM nodes WHERE name = $1");
PX_SQL (node_upload_tfc, "id",
    "UPDATE nodes SET tfc = $2, tfc_updated = now() WHERE name = $1 AND tfc IS DISTINCT FROM $2 RETURNING id");
PX_SQL (node_tfcs, "id,name,tfc,tfc_updated",
    "SELECT id, name, tfc, tfc_updated::text FROM nodes WHERE id = ANY($1::int[])");
PX_SQL (link_add, "ok",
    "INSERT INTO links (from_node, to_node, distance) SELECT f.id, t.id, $3 FROM nodes f, nodes t "
    "WHERE f.name = $1 AND t.name = $2 "
    "ON CONFLICT (from_node, to_node) DO UPDATE SET distance = excluded.distance, active = true RETURNING true AS ok");

/* ---- agents ---- */
/* A new download agent can open paths: routers hear it on phedex_topology.
 * $6 is the agent's version (PACKAGE_VERSION), shown on webmon's /agents. */
PX_SQL (agent_register, "id,node,notified",
    "WITH a AS (INSERT INTO agents (node, agent, host, pid, stale_after, version) SELECT id, $2, $3, $4, $5, $6 "
    "  FROM nodes WHERE name = $1 ON CONFLICT (node, agent, host, pid) DO UPDATE SET heartbeat = now(), "
    "  started = now(), stopped = NULL, stale_after = excluded.stale_after, version = excluded.version "
    "  RETURNING id, node) "
    "SELECT id, node, pg_notify('phedex_topology', 'agent') AS notified FROM a");
PX_SQL (agent_heartbeat, "",
    "UPDATE agents SET heartbeat = now() WHERE id = $1");
PX_SQL (agent_stopped, "",
    "UPDATE agents SET stopped = now() WHERE id = $1");
/* Every claim agent $1 holds, taken back: it (re)connected or a report
 * failed, so it is working on none of them.  Transfers go back to the
 * queue (their partial files become leftovers); verify and publish claims
 * are freed.  Between cycles an agent holds no claim. */
PX_SQL (agent_release_mine, "requeued,freed",
    "WITH me AS (SELECT node FROM agents WHERE id = $1), "
    /* An agent claims only tasks into its own node: found through the node
     * (tasks_to_from_state), there is no index on claimed_by. */
    "a AS (UPDATE tasks t SET state = 'queued' FROM me WHERE t.to_node = me.node AND t.state = 'active' "
    "  AND t.claimed_by = $1 RETURNING t.id, t.file, t.from_node, t.to_node), "
    "e AS (INSERT INTO errors (task, file, from_node, to_node, reason, log) SELECT id, file, from_node, to_node, 'lost', "
    "  'the agent holding this transfer lost its claim (connection lost or its report failed); task re-queued' FROM a), "
    "o AS (UPDATE tasks t SET claimed_by = NULL, claimed_at = NULL FROM me WHERE t.to_node = me.node "
    "  AND t.claimed_by = $1 AND t.state IN ('transferred', 'verified') RETURNING 1) "
    "SELECT (SELECT count(*) FROM a) AS requeued, (SELECT count(*) FROM o) AS freed");
/* A node's router (shared) and delete agent (exclusive) exclude each
 * other: a copy is never deleted between the router seeing it present
 * (and so not requesting it) and committing. */
PX_SQL (node_lock_shared, "locked",
    "SELECT pg_advisory_xact_lock_shared(7301, $1::int) AS locked");
PX_SQL (node_lock, "locked",
    "SELECT pg_advisory_xact_lock(7301, $1::int) AS locked");

/* ---- router ---- */
/* Requests for the files each subscription has not seen yet (file ids
 * above its high-water mark: files added to open blocks later have higher
 * ids), so a cycle costs the new files, not the whole subscription.  A
 * cycle expands the files whose ids lie within $2 of the subscription's
 * next one (next: a seek per block), and $2 more the next cycle (more:
 * some lie beyond): a big subscription's first requests are routed, and
 * its first copies made, while the rest is expanded, instead of after one
 * statement of a million inserts. */
PX_SQL (router_expand, "requests,more",
    /* Each file lookup is a seek in files_block_id, per block of the
     * subscription: ORDER BY block, id, with the block as a range (an
     * equality would make its order moot), is an order only that index
     * gives.  Left to choose, the planner walked files_pkey from the
     * watermark and filtered by block: every file above the watermark,
     * once per block, every cycle. */
    "WITH s0 AS (SELECT s.*, (SELECT min(n.id) FROM blocks b CROSS JOIN LATERAL (SELECT f.id FROM files f "
    "    WHERE f.block >= b.id AND f.block <= b.id AND f.id > s.expanded ORDER BY f.block, f.id LIMIT 1) n "
    "    WHERE b.dataset = s.dataset OR b.id = s.block) AS next FROM subscriptions s WHERE s.node = $1 "
    "    AND (s.suspended_until IS NULL OR s.suspended_until <= now())), "
    "s AS (SELECT s0.*, s0.next + $2::bigint AS upto, EXISTS (SELECT 1 FROM blocks b CROSS JOIN LATERAL ("
    "    SELECT f.id FROM files f WHERE f.block >= b.id AND f.block <= b.id AND f.id >= s0.next + $2::bigint "
    "    ORDER BY f.block, f.id LIMIT 1) x "
    "    WHERE b.dataset = s0.dataset OR b.id = s0.block) AS beyond FROM s0 WHERE s0.next IS NOT NULL), "
    "f AS (SELECT f.id AS file, s.id AS sub, s.node, s.priority, s.is_custodial FROM s "
    "  JOIN blocks b ON b.dataset = s.dataset OR b.id = s.block "
    "  CROSS JOIN LATERAL (SELECT f.id FROM files f WHERE f.block >= b.id AND f.block <= b.id "
    "    AND f.id > s.expanded AND f.id < s.upto ORDER BY f.block, f.id OFFSET 0) f), "
    "ins AS (INSERT INTO requests (file, node, subscription, priority, is_custodial) "
    "  SELECT file, node, sub, priority, is_custodial FROM f WHERE NOT EXISTS (SELECT 1 FROM replicas r "
    "    WHERE r.file = f.file AND r.node = f.node AND r.state = 'ok') "
    "  ON CONFLICT (file, node) DO NOTHING RETURNING 1), "
    /* Every id below upto is done when some lie beyond; else every file. */
    "w AS (UPDATE subscriptions x SET expanded = CASE WHEN s.beyond THEN s.upto - 1 "
    "    ELSE coalesce((SELECT max(f.file) FROM f WHERE f.sub = s.id), s.expanded) END "
    "  FROM s WHERE x.id = s.id), "
    /* The node's queue counters (task_queue, appended to by every statement
     * that opens or closes its tasks) folded into one row per priority and
     * link once there are more than a few. */
    "qd AS (DELETE FROM task_queue WHERE for_node = $1 "
    "  AND (SELECT count(*) FROM task_queue WHERE for_node = $1) > 64 RETURNING *), "
    "qf AS (INSERT INTO task_queue SELECT for_node, priority, from_node, to_node, sum(open_files), sum(open_bytes), "
    "  sum(queued_files), sum(queued_bytes) FROM qd GROUP BY 1, 2, 3, 4 "
    "  HAVING sum(open_files) <> 0 OR sum(open_bytes) <> 0 OR sum(queued_files) <> 0 OR sum(queued_bytes) <> 0) "
    "SELECT count(*) AS requests, coalesce((SELECT bool_or(beyond) FROM s), false) AS more FROM ins");
/* Every active link with what its cost is made of; the router runs
 * Dijkstra over it. */
PX_SQL (router_graph, "from_node,to_node,distance,nominal_rate,done_bytes,done_files,fail_files,span,queued_bytes,download_alive,source_tfc",
    "SELECT l.from_node, l.to_node, l.distance, l.nominal_rate, coalesce(h.done_bytes, 0) AS done_bytes, "
    "  coalesce(h.done_files, 0) AS done_files, coalesce(h.fail_files, 0) AS fail_files, coalesce(h.span, 0) AS span, "
    "  coalesce(q.bytes, 0) AS queued_bytes, "
    "  EXISTS (SELECT 1 FROM agents a WHERE a.node = l.to_node AND a.agent = 'download' AND px_alive(a)) "
    "    AS download_alive, "
    "  sn.tfc IS NOT NULL AS source_tfc "
    "FROM links l JOIN nodes sn ON sn.id = l.from_node "
    "LEFT JOIN (SELECT from_node, to_node, sum(done_bytes) AS done_bytes, sum(done_files) AS done_files, "
    "    sum(fail_files + expire_files) AS fail_files, "
    "    extract(epoch FROM now() - min(time_bin))::float8 AS span FROM link_history "
    "  WHERE time_bin > now() - interval '1 hour' GROUP BY from_node, to_node) h "
    "  ON h.from_node = l.from_node AND h.to_node = l.to_node "
    "LEFT JOIN (SELECT from_node, to_node, sum(queued_bytes) AS bytes FROM task_queue GROUP BY from_node, to_node) q "
    "  ON q.from_node = l.from_node AND q.to_node = l.to_node "
    "WHERE l.active");
/* Route a batch of this node's pending requests ($6 per priority, oldest
 * first) within each priority's window of $7 open bytes: the cheapest
 * source by the router's costs ($2 node, $3 cost to here, $4 next hop, $5
 * path), first hop queued as a task for this node.  Every per-request step
 * goes by key whatever the statistics say: the batch is read in index order
 * (requests_pending) with each request's address (ctid), its file's size and
 * its replica here looked up by file (the only index that starts with it:
 * the primary key); the three updates of requests go to the addresses read,
 * unnested from arrays (which the planner takes for a few rows: a nested
 * loop of TID scans, never a hash of the node's requests, and no index).  A
 * request changed by someone else meanwhile has a new address and is left
 * for the next cycle. */
PX_SQL (router_route, "pending,queued,no_source,no_path,windowed,here",
    "WITH g AS MATERIALIZED (SELECT * FROM unnest($2::int[], $3::float8[], $4::int[], $5::text[]) AS g(node, cost, next, path)), "
    /* Open bytes per priority from the queue counters, not a pass over the open tasks. */
    "open AS (SELECT priority, sum(open_bytes) AS bytes FROM task_queue WHERE for_node = $1 GROUP BY priority), "
    "pending AS MATERIALIZED (SELECT q.*, sum(q.bytes) OVER (PARTITION BY q.priority ORDER BY q.created, q.file) AS cum "
    "  FROM (VALUES (0), (1), (2)) AS pr(p) CROSS JOIN LATERAL (SELECT q.file, q.ctid AS tid, q.priority, "
    "      q.is_custodial, q.attempts, q.created, (SELECT f.bytes FROM files f WHERE f.id = q.file) AS bytes, "
    "      coalesce((SELECT bool_or(h.node = $1) FROM replicas h WHERE h.file = q.file AND h.state = 'ok'), false) AS here "
    "    FROM requests q WHERE q.node = $1 "
    "    AND q.priority = pr.p AND q.state IN ('new', 'no_source', 'no_path') AND q.next_try <= now() "
    "    AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = q.subscription AND s.suspended_until > now()) "
    "    ORDER BY q.created, q.file LIMIT $6) q), "
    "have AS (UPDATE requests q SET state = 'done', reason = NULL, updated = now() "
    "  FROM unnest (ARRAY (SELECT tid FROM pending WHERE here)) AS u(tid) WHERE q.ctid = u.tid RETURNING 1), "
    "admit AS (SELECT p.* FROM pending p LEFT JOIN open o ON o.priority = p.priority "
    "  WHERE NOT p.here AND coalesce(o.bytes, 0) + p.cum - p.bytes < $7::bigint), "
    /* Each admitted file once, with its cheapest source or none (a miss):
     * a lookup per file by key, no anti-join of one batch against another. */
    "cand AS MATERIALIZED (SELECT p.file, p.tid, p.priority, p.is_custodial, p.attempts, p.bytes, c.src, c.next FROM admit p "
    "  LEFT JOIN LATERAL (SELECT r.node AS src, g.next FROM replicas r JOIN g ON g.node = r.node "
    "    WHERE r.file = p.file AND r.state = 'ok' AND r.node <> $1 ORDER BY "
    /* A route whose first hop lands on a node that already holds the file
     * would copy it there again (and be swept, and be routed the same way):
     * that node is the better source.  Then copies not about to be deleted. */
    "    g.next <> $1 AND EXISTS (SELECT 1 FROM replicas h WHERE h.file = r.file AND h.node = g.next "
    "      AND h.state = 'ok'), "
    "    EXISTS (SELECT 1 FROM deletions d WHERE d.file = r.file AND d.node = r.node), g.cost, r.node LIMIT 1) c ON true), "
    "ins AS (INSERT INTO tasks (file, from_node, to_node, for_node, priority, is_custodial, attempts, bytes) "
    "  SELECT file, src, next, $1, priority, is_custodial, attempts, bytes FROM cand WHERE src IS NOT NULL "
    "  ON CONFLICT DO NOTHING RETURNING file, from_node), "
    /* The path depends only on the source: looked up in g (one row per node). */
    /* The inserted ones with their addresses: grouped, not joined (two
     * batches joined on estimates of one row each are a nested loop, O(n^2)). */
    "r AS (SELECT file, max(tid) AS tid, max(from_node) AS from_node FROM (SELECT file, tid, NULL::int AS from_node, "
    "    0 AS inserted FROM cand WHERE src IS NOT NULL UNION ALL SELECT file, NULL::tid, from_node, 1 FROM ins) x "
    "  GROUP BY file HAVING sum(inserted) > 0), "
    "upd AS (UPDATE requests q SET state = 'routed', reason = NULL, "
    "    path = (SELECT string_to_array(g.path, ',')::int[] FROM g WHERE g.node = u.from_node), updated = now() "
    "  FROM unnest (ARRAY (SELECT tid FROM r ORDER BY file), ARRAY (SELECT from_node FROM r ORDER BY file)) AS u(tid, from_node) "
    "  WHERE q.ctid = u.tid RETURNING 1), "
    "miss AS (UPDATE requests q SET updated = now(), next_try = now() + make_interval(secs => $8::int), "
    "    state = CASE WHEN h.holders IS NULL THEN 'no_source' ELSE 'no_path' END, "
    "    reason = CASE WHEN h.holders IS NULL THEN 'no replica of the file exists anywhere' "
    "      ELSE 'no usable path from ' || h.holders || ' (links inactive, download agents not running, or no "
    "storage.xml uploaded)' END "
    "  FROM unnest (ARRAY (SELECT tid FROM cand WHERE src IS NULL ORDER BY file), "
    "      ARRAY (SELECT file FROM cand WHERE src IS NULL ORDER BY file)) AS p(tid, file) "
    "    LEFT JOIN LATERAL (SELECT string_agg(n.name, ', ' ORDER BY n.name) AS holders FROM replicas r "
    "    JOIN nodes n ON n.id = r.node WHERE r.file = p.file AND r.state = 'ok' AND r.node <> $1) h ON true "
    "  WHERE q.ctid = p.tid "
    "  RETURNING q.state) "
    "SELECT (SELECT count(*) FROM pending) AS pending, (SELECT count(*) FROM ins) AS queued, "
    "  (SELECT count(*) FROM miss WHERE state = 'no_source') AS no_source, "
    "  (SELECT count(*) FROM miss WHERE state = 'no_path') AS no_path, "
    "  (SELECT count(*) FROM pending WHERE NOT here) - (SELECT count(*) FROM admit) AS windowed, "
    "  (SELECT count(*) FROM have) AS here");
/* Queued hops for this node's requests whose file already reached the
 * hop's destination another way (e.g. that node's own subscription raced
 * the hop): dropped, and the request is done (last hop) or routed on
 * from there.  Download agents never claim such a hop. */
PX_SQL (router_dups, "dropped",
    "WITH d AS (DELETE FROM tasks t WHERE t.for_node = $1 AND t.state = 'queued' AND EXISTS (SELECT 1 FROM replicas r "
    "    WHERE r.file = t.file AND r.node = t.to_node AND r.state = 'ok') RETURNING t.file, t.to_node), "
    "q AS (UPDATE requests q SET state = CASE WHEN d.to_node = $1 THEN 'done' ELSE 'new' END, next_try = now(), "
    "    updated = now(), reason = NULL FROM d WHERE q.file = d.file AND q.node = $1 AND q.state = 'routed' RETURNING 1) "
    "SELECT (SELECT count(*) FROM d) AS dropped");
/* Requests waiting for a source or path: now, if their file has a new
 * replica or the topology changed (a link, a storage.xml, an agent). */
PX_SQL (router_recheck, "",
    "WITH t AS (SELECT greatest((SELECT max(tfc_updated) FROM nodes), (SELECT max(created) FROM links), "
    "  (SELECT max(started) FROM agents WHERE agent = 'download')) AS changed) "
    "UPDATE requests q SET next_try = now() FROM t WHERE q.node = $1 AND q.state IN ('no_source', 'no_path') "
    "AND q.next_try > now() AND (t.changed >= q.updated OR EXISTS (SELECT 1 FROM replicas r WHERE r.file = q.file "
    "  AND r.state = 'ok' AND r.node <> q.node AND greatest(r.created, r.verified) >= q.updated))");
/* Queued hops older than $5 seconds expire; requests whose hop failed cool
 * off (back-off doubling from $2 up to $3 seconds, the longest at once
 * after a permanent error) and are routed again, or give up after $4. */
PX_SQL (router_retry, "retried,gave_up,expired",
    "WITH x AS (UPDATE tasks t SET state = 'failed' FROM files f WHERE f.id = t.file AND t.for_node = $1 "
    "    AND t.state = 'queued' AND t.created < now() - make_interval(secs => $5::int) "
    "  RETURNING t.id, t.file, t.from_node, t.to_node, f.bytes), "
    "xe AS (INSERT INTO errors (task, file, from_node, to_node, reason, log) SELECT id, file, from_node, to_node, "
    "  'expired', 'queued for longer than ' || $5 || ' s; routed again' FROM x), "
    "xh AS (INSERT INTO link_history AS h (time_bin, from_node, to_node, expire_files, expire_bytes) "
    "  SELECT px_bin(now()), from_node, to_node, count(*), sum(bytes) FROM x GROUP BY from_node, to_node "
    "  ON CONFLICT (time_bin, from_node, to_node) DO UPDATE SET expire_files = h.expire_files + excluded.expire_files, "
    "  expire_bytes = h.expire_bytes + excluded.expire_bytes), "
    /* A hop whose source copy is gone from the catalogue (deleted between
     * routing and copying: a transit or move clean-up at another node) says
     * nothing about the file or the link: route it again at once, from
     * another copy, without counting the attempt. */
    "r AS (SELECT q.file, q.attempts, e.log, coalesce(e.permanent, false) AS permanent, "
    "    e.from_node IS NOT NULL AND NOT EXISTS (SELECT 1 FROM replicas p WHERE p.file = q.file "
    "      AND p.node = e.from_node AND p.state = 'ok') AS gone FROM requests q "
    "  LEFT JOIN LATERAL (SELECT e.log, e.permanent, e.from_node FROM errors e WHERE e.file = q.file "
    "    ORDER BY e.id DESC LIMIT 1) e ON true WHERE q.node = $1 AND q.state = 'retry'), "
    "u AS (UPDATE requests q SET updated = now(), "
    "    attempts = CASE WHEN r.gone THEN greatest(q.attempts - 1, 0) ELSE q.attempts END, "
    "    state = CASE WHEN r.gone THEN 'new' WHEN r.attempts >= $4 THEN 'gave_up' ELSE 'new' END, "
    "    next_try = now() + CASE WHEN r.gone THEN 0 WHEN r.permanent THEN $3::int "
    "      ELSE least($3::int, $2::int * 2 ^ greatest(r.attempts - 1, 0)) END * interval '1 second', "
    "    reason = CASE WHEN r.gone THEN 'its source copy was deleted while it waited; routed again from another; "
    "last error: ' WHEN r.attempts >= $4 THEN 'gave up after ' || r.attempts || ' attempts; last error: ' "
    "      ELSE 'cooling off after ' || r.attempts || ' failed attempts; last error: ' END || coalesce(r.log, 'none') "
    "  FROM r WHERE q.file = r.file AND q.node = $1 RETURNING q.state) "
    "SELECT (SELECT count(*) FROM u WHERE state = 'new') AS retried, "
    "  (SELECT count(*) FROM u WHERE state = 'gave_up') AS gave_up, (SELECT count(*) FROM x) AS expired");
/* When the router should look again: the earliest cool-off ending. */
PX_SQL (router_next_try, "seconds",
    "SELECT extract(epoch FROM min(next_try) - now())::float8 AS seconds FROM requests WHERE node = $1 "
    "AND state IN ('new', 'no_source', 'no_path')");
/* Subscriptions of this node: mark complete; carry out moves (delete the
 * other copies once every file is here, except where another subscription
 * wants them); clean transit copies made for this node's requests once no
 * request for the file is open anywhere (another destination may route
 * through the same hop) and the hop node does not want the file itself. */
PX_SQL (router_subscriptions, "completed,moved,move_deletions,transit_deletions",
    /* Every file of the subscription is checked only once none of its
     * requests is open (CASE: in that order, not as joins the planner may
     * run first), so a subscription in progress costs a look at its
     * request counters (request_counts, kept by the requests' statement
     * triggers; a probe of requests was planned as a scan that passed
     * every done request first, 0.5 s a cycle at 1M files), not a pass
     * over its files; then each file's replica here by key (OFFSET 0: a
     * probe per file, never an anti-join against every replica of the
     * node, which stale statistics can make quadratic). */
    "WITH c AS (UPDATE subscriptions s SET completed = now() WHERE s.node = $1 AND s.completed IS NULL "
    "    AND CASE WHEN EXISTS (SELECT 1 FROM request_counts q WHERE q.subscription = s.id AND q.node = $1 "
    "      AND q.state IN ('new', 'routed', 'retry', 'no_source', 'no_path', 'gave_up') AND q.files > 0) THEN false "
    "    ELSE EXISTS (SELECT 1 FROM blocks b JOIN files f ON f.block = b.id WHERE b.dataset = s.dataset OR b.id = s.block) "
    "    AND NOT EXISTS (SELECT 1 FROM blocks b JOIN files f ON f.block = b.id WHERE (b.dataset = s.dataset "
    "      OR b.id = s.block) AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.file = f.id AND r.node = $1 "
    "      AND r.state = 'ok' OFFSET 0)) END "
    "  RETURNING s.id), "
    "m AS (UPDATE subscriptions s SET moved = now() WHERE s.node = $1 AND s.is_move AND s.moved IS NULL "
    "    AND (s.completed IS NOT NULL OR s.id IN (SELECT id FROM c)) RETURNING s.id, s.dataset, s.block), "
    /* Driven by the moves done now (LATERAL, OFFSET 0: per row of m, so
     * nothing runs when there is none); as a join, statistics taken before
     * the copies arrived planned m last, after a pass over every replica at
     * other nodes (0.1-1.1 s a cycle at 100k files, growing as they land). */
    "md AS (INSERT INTO deletions (file, node, why) SELECT x.file, x.node, 'move' FROM m CROSS JOIN LATERAL ("
    "  SELECT r.file, r.node FROM blocks b JOIN files f ON f.block = b.id JOIN replicas r ON r.file = f.id "
    "    AND r.node <> $1 "
    "  WHERE (b.dataset = m.dataset OR b.id = m.block) "
    "    AND EXISTS (SELECT 1 FROM replicas h WHERE h.file = f.id AND h.node = $1 AND h.state = 'ok') "
    "    AND NOT EXISTS (SELECT 1 FROM subscriptions o JOIN blocks ob ON ob.dataset = o.dataset OR ob.id = o.block "
    "      WHERE o.node = r.node AND ob.id = b.id) OFFSET 0) x "
    "  ON CONFLICT DO NOTHING RETURNING 1), "
    /* Driven by this node's recent hops to other nodes (tasks_transit_done,
     * by the same ordering as below; OFFSET 0: computed first, never probed
     * per request), and skipped at
     * once when there is none: a single-hop node's thousands of arrivals
     * must not become the outer side of a join on stale statistics. */
    "tr AS (INSERT INTO deletions (file, node, why) SELECT DISTINCT t.file, t.to_node, 'transit' "
    "  FROM (SELECT file, to_node FROM tasks WHERE for_node >= $1 AND for_node <= $1 AND to_node <> $1 "
    "    AND for_node <> to_node AND state = 'done' AND done_at > now() - interval '1 day' "
    "    ORDER BY for_node, done_at OFFSET 0) t "
    "  JOIN requests q ON q.file = t.file AND q.node = $1 AND q.state = 'done' "
    "  JOIN replicas r ON r.file = t.file AND r.node = t.to_node "
    /* The newest such hop, by the end of tasks_transit_done (ORDER BY
     * for_node, done_at with the node as a range: an order only that index
     * gives).  As an EXISTS the planner chose a scan of every task, and
     * by done_at alone a walk back through every hop done, both expecting
     * an early match (1 s a cycle at 1M files on a single-hop node, which
     * has none). */
    "  WHERE (SELECT x.done_at FROM tasks x WHERE x.for_node >= $1 AND x.for_node <= $1 AND x.for_node <> x.to_node "
    "      AND x.state = 'done' AND x.done_at IS NOT NULL ORDER BY x.for_node DESC, x.done_at DESC LIMIT 1) "
    "    > now() - interval '1 day' "
    "    AND NOT EXISTS (SELECT 1 FROM requests o WHERE o.file = t.file AND o.node = t.to_node) "
    "    AND NOT px_wanted(t.file, t.to_node) AND NOT EXISTS (SELECT 1 FROM requests w WHERE w.file = t.file "
    "      AND w.state IN ('new', 'routed', 'retry', 'no_source', 'no_path')) "
    "  ON CONFLICT DO NOTHING RETURNING 1) "
    "SELECT (SELECT count(*) FROM c) AS completed, (SELECT count(*) FROM m) AS moved, "
    "  (SELECT count(*) FROM md) AS move_deletions, (SELECT count(*) FROM tr) AS transit_deletions");
/* The link's queue as this node's router sees it, into the current bin,
 * from link_queue (no join to files); a link whose last sample was not
 * empty gets a zero row when its queue empties (else the plots keep the
 * last non-zero queue).  It also drops 5-minute bins older than 8 days
 * (px_link_history_rollup: their hours stay in link_history_hourly). */
PX_SQL (router_history, "",
    "WITH pruned AS (SELECT px_link_history_rollup() AS n), "
    "q AS (SELECT from_node, sum(files) FILTER (WHERE state = 'queued') AS queued_files, "
    "    coalesce(sum(bytes) FILTER (WHERE state = 'queued'), 0) AS queued_bytes, "
    "    coalesce(sum(files) FILTER (WHERE state = 'active'), 0) AS active_files "
    "  FROM link_queue WHERE to_node = $1 AND state IN ('queued', 'active') AND files > 0 GROUP BY from_node), "
    "z AS (SELECT l.from_node FROM links l CROSS JOIN LATERAL (SELECT h.queued_files, h.queued_bytes, h.active_files "
    "    FROM link_history h WHERE h.to_node = $1 AND h.from_node = l.from_node ORDER BY h.time_bin DESC LIMIT 1) h "
    "  WHERE l.to_node = $1 AND (h.queued_files > 0 OR h.queued_bytes > 0 OR h.active_files > 0)) "
    "INSERT INTO link_history AS h (time_bin, from_node, to_node, queued_files, queued_bytes, active_files) "
    "SELECT px_bin(now()), coalesce(q.from_node, z.from_node), $1, coalesce(q.queued_files, 0), "
    "  coalesce(q.queued_bytes, 0), coalesce(q.active_files, 0) "
    "FROM q FULL JOIN z ON z.from_node = q.from_node WHERE (SELECT n FROM pruned) IS NOT NULL "
    "ON CONFLICT (time_bin, from_node, to_node) DO UPDATE SET queued_files = excluded.queued_files, "
    "  queued_bytes = excluded.queued_bytes, active_files = excluded.active_files");

/* ---- download ---- */
PX_SQL (download_release_stale, "task",
    "WITH s AS (UPDATE tasks t SET state = 'queued' WHERE t.to_node = $1 AND t.state = 'active' AND " DEAD_CLAIM
    "  RETURNING t.id, t.file, t.from_node, t.to_node) "
    "INSERT INTO errors (task, file, from_node, to_node, reason, log) "
    "SELECT id, file, from_node, to_node, 'lost', 'the download agent holding this transfer stopped heart-beating; "
    "task re-queued' FROM s RETURNING task");
/* The claim is two statements in one transaction, so that a task is
 * written once when it starts (not once claimed and again with its names):
 * download_claim picks and locks the batch (FOR UPDATE: no write), the
 * agent resolves the PFNs, and download_start claims the picked tasks with
 * their names; the temporary name carries the attempt the claim gives
 * ("attempts", already counted here).  An agent that dies in between
 * rolls back: nothing was claimed.  Each link into the node gets at most $4
 * active tasks (over all its download agents): per source, the room left,
 * filled in priority order, each by the (to_node, state, from_node,
 * priority, id) index.  A task whose file is already here is skipped (the
 * router drops it): checked per candidate by the replica's key (a scalar
 * subquery, never turned into a join), as an anti-join it was planned on
 * statistics from when the node had no replicas as a pass over every
 * replica of the node for every candidate (0.9 s per claim at 15k replicas);
 * OFFSET 0 keeps the node out of the lookup, so the only index it can use
 * is the key's (file, node), not the node's (every replica there). */
PX_SQL (download_claim, "id,attempts,lfn,bytes,checksum,from_node,is_custodial",
    "WITH busy AS (SELECT from_node, count(*) AS n FROM tasks WHERE to_node = $1 AND state = 'active' "
    "  GROUP BY from_node), "
    "room AS (SELECT l.from_node, greatest($3::int - coalesce(b.n, 0), 0) AS n FROM links l "
    "  LEFT JOIN busy b ON b.from_node = l.from_node WHERE l.to_node = $1), "
    "pick AS (SELECT c.id FROM room CROSS JOIN LATERAL (SELECT id, priority FROM tasks q WHERE q.to_node = $1 "
    "    AND q.state = 'queued' AND q.from_node = room.from_node AND q.next_try <= now() "
    "    AND (SELECT r.state FROM (SELECT r.node, r.state FROM replicas r WHERE r.file = q.file OFFSET 0) r "
    "      WHERE r.node = $1) IS DISTINCT FROM 'ok' "
    "    ORDER BY q.priority, q.id LIMIT room.n FOR UPDATE SKIP LOCKED) c "
    "  WHERE room.n > 0 ORDER BY c.priority, c.id LIMIT $2) "
    "SELECT t.id, t.attempts + 1 AS attempts, f.lfn, f.bytes, f.checksum, t.from_node, t.is_custodial "
    "FROM tasks t JOIN files f ON f.id = t.file WHERE t.id = ANY (ARRAY (SELECT id FROM pick)) "
    "ORDER BY t.priority, t.id");
PX_SQL (download_next_try, "seconds",
    "SELECT extract(epoch FROM min(next_try) - now())::float8 AS seconds FROM tasks WHERE to_node = $1 AND state = 'queued'");
/* The claim proper, of tasks download_claim picked (still queued: this
 * transaction holds their locks), with the names the agent resolved. */
PX_SQL (download_start, "id",
    "WITH r0 AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS r(id, f, t, p)) "
    "UPDATE tasks t SET state = 'active', claimed_by = $5, claimed_at = now(), attempts = t.attempts + 1, "
    "  from_pfn = r.f, to_pfn = r.t, tmp_pfn = r.p FROM " KEYED " "
    "WHERE t.ctid = r.tid AND t.state IS NOT DISTINCT FROM 'queued' RETURNING t.id");
/* $8: the copy is already at its final name (validate-command said so). */
PX_SQL (download_report, "id",
    "WITH r0 AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], "
    "    $8::boolean[], $9::boolean[]) AS r(id, state, seen_bytes, seen_checksum, reason, log, permanent, in_place)), "
    "u AS (UPDATE tasks t SET state = r.state, seen_bytes = r.seen_bytes, seen_checksum = r.seen_checksum, "
    "    tmp_pfn = CASE WHEN r.in_place THEN t.to_pfn ELSE t.tmp_pfn END "
    "  FROM " KEYED_TID " WHERE " BY_KEY ("'active'", "$7") " "
    "  RETURNING t.id, t.file, t.from_node, t.to_node, r.state, r.reason, r.log, r.permanent), "
    "e AS (INSERT INTO errors (task, file, from_node, to_node, reason, log, permanent) "
    "  SELECT id, file, from_node, to_node, reason, log, permanent FROM u WHERE state = 'failed') "
    "SELECT id FROM u");

/* ---- verify / publish: claims on transferred / verified tasks ---- */
PX_SQL (release_stale_claims, "",
    "UPDATE tasks t SET claimed_by = NULL, claimed_at = NULL WHERE t.to_node = $1 AND t.state = $2 "
    "AND t.claimed_by IS NOT NULL AND " DEAD_CLAIM);
/* Verify and publish claim a batch by locking it (FOR UPDATE SKIP LOCKED)
 * in the transaction that reports it: a task is written once per stage (its
 * report), not once claimed and again reported.  Another agent skips the
 * locked rows; an agent that dies, or is stopped past stale-after
 * (idle_in_transaction_session_timeout), loses the transaction and with it
 * the claim, and nothing of the batch is reported.  Tasks a claimed_by
 * claim holds (agent_release_mine, an older agent) are skipped.  The batch
 * is taken in the node's index order: no sort of the whole backlog. */
PX_SQL (verify_claim, "id,tmp_pfn,bytes,checksum,seen_bytes,seen_checksum,lfn",
    "SELECT t.id, t.tmp_pfn, f.bytes, f.checksum, t.seen_bytes, t.seen_checksum, f.lfn "
    "FROM tasks t JOIN files f ON f.id = t.file WHERE t.id = ANY (ARRAY ("
    "  SELECT id FROM tasks WHERE to_node = $1 AND state = 'transferred' AND claimed_by IS NULL "
    "  LIMIT $2 FOR UPDATE SKIP LOCKED)) ORDER BY t.id");
/* $5 (publish_report: $4): the tasks' claimer, NULL for a batch this
 * transaction locked (verify_claim, publish_claim). */
PX_SQL (verify_report, "reported",
    "WITH r0 AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS r(id, state, reason, log)), "
    "u AS (UPDATE tasks t SET state = r.state FROM " KEYED_TID " WHERE " BY_KEY ("'transferred'", "$5::int") " "
    "  RETURNING t.id, t.file, t.from_node, t.to_node, r.state, r.reason, r.log), "
    "e AS (INSERT INTO errors (task, file, from_node, to_node, reason, log) "
    "  SELECT id, file, from_node, to_node, reason, log FROM u WHERE state = 'failed') "
    "SELECT count(*) AS reported FROM u");
PX_SQL (verify_at_rest_claim, "file,lfn,bytes,checksum",
    "SELECT r.file, f.lfn, f.bytes, f.checksum FROM replicas r JOIN files f ON f.id = r.file "
    "WHERE r.node = $1 AND r.state = 'ok' AND r.verified < now() - make_interval(secs => $2::int) "
    "ORDER BY r.verified LIMIT $3");
PX_SQL (verify_at_rest_report, "good,bad,reopened,notified",
    "WITH r AS (SELECT * FROM unnest($2::bigint[], $3::boolean[], $4::text[]) AS r(file, good, log)), "
    "g AS (UPDATE replicas p SET verified = now() FROM r WHERE p.node = $1 AND p.file = r.file AND r.good "
    "  RETURNING 1), "
    "b AS (UPDATE replicas p SET state = 'bad', verified = now() FROM r WHERE p.node = $1 AND p.file = r.file "
    "  AND NOT r.good RETURNING p.file), "
    "q AS (UPDATE requests q SET state = 'new', reason = 'the replica here failed its check at rest', "
    "  updated = now() FROM b WHERE q.file = b.file AND q.node = $1 RETURNING 1), "
    "e AS (INSERT INTO errors (file, to_node, reason, log) SELECT file, $1, 'at-rest', log FROM r WHERE NOT good), "
    "n AS (SELECT pg_notify('phedex_node_' || $1, 'at-rest') FROM b LIMIT 1) "
    "SELECT (SELECT count(*) FROM g) AS good, (SELECT count(*) FROM b) AS bad, (SELECT count(*) FROM q) AS reopened, "
    "  (SELECT count(*) FROM n) AS notified");
PX_SQL (publish_claim, "id,tmp_pfn,to_pfn,bytes,checksum",
    "SELECT t.id, t.tmp_pfn, t.to_pfn, f.bytes, f.checksum "
    "FROM tasks t JOIN files f ON f.id = t.file WHERE t.id = ANY (ARRAY ("
    "  SELECT id FROM tasks WHERE to_node = $1 AND state = 'verified' AND claimed_by IS NULL "
    "  LIMIT $2 FOR UPDATE SKIP LOCKED)) ORDER BY t.id");
/* A hop done at an intermediate node releases the destination's request
 * for its next hop: the tasks_hop_done trigger (009-security.sql), as that
 * request is another site's row. */
PX_SQL (publish_report, "reported",
    "WITH r0 AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) AS r(id, state, log)), "
    "u AS (UPDATE tasks t SET state = r.state, tmp_pfn = CASE WHEN r.state = 'done' THEN NULL ELSE t.tmp_pfn END "
    "  FROM " KEYED_TID " WHERE " BY_KEY ("'verified'", "$4::int") " "
    "  RETURNING t.id, t.file, t.from_node, t.to_node, t.for_node, r.state, r.log), "
    "rep AS (INSERT INTO replicas (file, node) SELECT file, to_node FROM u WHERE state = 'done' "
    "  ON CONFLICT (file, node) DO UPDATE SET state = 'ok', verified = now()), "
    "req AS (UPDATE requests q SET state = 'done', updated = now(), reason = NULL FROM u "
    "  WHERE u.state = 'done' AND q.file = u.file AND q.node = u.to_node), "
    "e AS (INSERT INTO errors (task, file, from_node, to_node, reason, log) "
    "  SELECT id, file, from_node, to_node, 'publish', log FROM u WHERE state = 'failed') "
    "SELECT count(*) AS reported FROM u");

/* The link's 5-minute bin counts a batch's outcomes ($1 the ids a report
 * statement changed, $2 the states it set; $3: a download's report, whose
 * transferred and failed tasks were tried), in a statement of its own after
 * the report, in the same transaction.  So every transaction locks
 * link_history last, after the queue counters (link_queue, request_counts)
 * its task and request changes lock, in the order the router's cycle takes
 * them (router_route, then router_history): with the bin upserted inside
 * the report statement (before its statement triggers ran), a report and
 * another agent's transaction could each hold what the other needed. */
PX_SQL (report_history, "",
    "WITH u AS (SELECT x.from_node, x.to_node, (SELECT f.bytes FROM files f WHERE f.id = x.file) AS bytes, "
    "    $3::boolean AND r.state <> 'queued' AS tried, r.state = 'done' AS done, r.state = 'failed' AS failed "
    "  FROM unnest($1::bigint[], $2::text[]) AS r(id, state) "
    "  CROSS JOIN LATERAL (SELECT x.from_node, x.to_node, x.file FROM tasks x WHERE x.id = r.id OFFSET 0) x "
    "  WHERE r.state IN ('done', 'failed') OR ($3 AND r.state = 'transferred')) "
    HISTORY_UPSERT);

/* ---- delete ---- */
PX_SQL (delete_leftovers, "id,pfn",
    "SELECT id, pfn FROM leftovers WHERE node = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED");
PX_SQL (delete_leftovers_done, "",
    "DELETE FROM leftovers WHERE id = ANY($1::bigint[])");
/* Move and transit deletions of copies the node now wants are dropped. */
PX_SQL (delete_drop_wanted, "file",
    "DELETE FROM deletions d WHERE d.node = $1 AND d.why <> 'user' AND px_wanted(d.file, d.node) RETURNING d.file");
/* Deletions that are safe now: another good copy exists (or forced), no
 * queued or active transfer reads from this copy, and for a transit copy no
 * request anywhere is still open for the file (it may yet be routed through
 * here); the others wait. */
PX_SQL (delete_claim, "file,lfn",
    "SELECT d.file, f.lfn FROM deletions d JOIN files f ON f.id = d.file WHERE d.node = $1 AND (d.force "
    "  OR EXISTS (SELECT 1 FROM replicas r WHERE r.file = d.file AND r.node <> d.node AND r.state = 'ok')) "
    "  AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.file = d.file AND t.from_node = d.node "
    "    AND t.state IN ('queued', 'active')) "
    "  AND (d.why <> 'transit' OR NOT EXISTS (SELECT 1 FROM requests w WHERE w.file = d.file "
    "    AND w.state IN ('new', 'routed', 'retry', 'no_source', 'no_path'))) "
    "  AND (d.force OR NOT EXISTS (SELECT 1 FROM files pf JOIN handoff_produced hp ON hp.block = pf.block "
    "    AND hp.node = d.node JOIN blocks pb ON pb.id = pf.block JOIN datasets pd ON pd.id = pb.dataset "
    "    JOIN handoff_policies p ON p.node <> d.node AND pd.name LIKE " PX_POLICY_LIKE " "
    "    WHERE pf.id = d.file AND EXISTS (SELECT 1 FROM files bf WHERE bf.block = pf.block AND NOT EXISTS "
    "      (SELECT 1 FROM replicas pr WHERE pr.file = bf.id AND pr.node = p.node AND pr.state = 'ok')))) "
    "ORDER BY d.file LIMIT $2 FOR UPDATE OF d SKIP LOCKED");
PX_SQL (delete_done, "",
    "WITH d AS (DELETE FROM deletions WHERE node = $1 AND file = ANY($2::bigint[]) RETURNING file) "
    "DELETE FROM replicas r USING d WHERE r.node = $1 AND r.file = d.file");

/* ---- catalogue ---- */
PX_SQL (catalog_node, "id,tfc",
    "SELECT id, tfc FROM nodes WHERE name = $1");
PX_SQL (catalog_lfns, "lfn",
    "SELECT f.lfn FROM replicas r JOIN files f ON f.id = r.file WHERE r.node = $1 AND r.state = 'ok' ORDER BY f.lfn");
PX_SQL (inject_conflicts, "lfn,known_bytes,known_checksum,bytes,checksum,known_block,block",
    "SELECT i.lfn, f.bytes AS known_bytes, f.checksum AS known_checksum, i.bytes, i.checksum, b.name AS known_block, "
    "  i.block FROM px_inject i "
    "JOIN files f ON f.lfn = i.lfn JOIN blocks b ON b.id = f.block "
    "WHERE f.bytes <> i.bytes OR f.checksum <> i.checksum OR b.name <> i.block OR f.guid <> i.guid "
    "ORDER BY i.lfn LIMIT 10");
PX_SQL (inject_duplicates, "lfn",
    "SELECT lfn FROM px_inject GROUP BY lfn HAVING count(*) > 1 ORDER BY lfn LIMIT 10");
PX_SQL (inject_block_conflicts, "block,known_dataset,dataset",
    "SELECT DISTINCT b.name AS block, d.name AS known_dataset, i.dataset FROM px_inject i JOIN blocks b ON b.name = i.block "
    "JOIN datasets d ON d.id = b.dataset WHERE d.name <> i.dataset LIMIT 10");
PX_SQL (inject_apply, "files,bytes,blocks",
    "WITH ds AS (INSERT INTO datasets (name, dbs, is_open) "
    "    SELECT DISTINCT ON (dataset) dataset, dbs, dataset_open FROM px_inject ORDER BY dataset "
    "  ON CONFLICT (name) DO UPDATE SET is_open = excluded.is_open RETURNING id, name), "
    "bl AS (INSERT INTO blocks (dataset, name, is_open) "
    "    SELECT DISTINCT ON (i.block) ds.id, i.block, i.block_open FROM px_inject i JOIN ds ON ds.name = i.dataset "
    "    ORDER BY i.block "
    "  ON CONFLICT (name) DO UPDATE SET is_open = excluded.is_open RETURNING id, name), "
    "fi AS (INSERT INTO files (block, lfn, bytes, checksum, guid) "
    "    SELECT bl.id, i.lfn, i.bytes, i.checksum, i.guid FROM px_inject i JOIN bl ON bl.name = i.block "
    "  ON CONFLICT (lfn) DO NOTHING RETURNING id, block, bytes) "
    "SELECT (SELECT count(*) FROM fi) AS files, (SELECT coalesce(sum(bytes), 0) FROM fi) AS bytes, "
    "  (SELECT count(*) FROM bl) AS blocks");
PX_SQL (inject_replicas, "replicas",
    "WITH r AS (INSERT INTO replicas (file, node) SELECT f.id, $1 FROM px_inject i JOIN files f ON f.lfn = i.lfn "
    "  ON CONFLICT (file, node) DO NOTHING RETURNING 1) SELECT count(*) AS replicas FROM r");
PX_SQL (inject_block_counts, "",
    "UPDATE blocks b SET files = s.n, bytes = s.b FROM (SELECT f.block, count(*) AS n, sum(f.bytes) AS b "
    "  FROM files f WHERE f.block IN (SELECT bl.id FROM blocks bl JOIN px_inject i ON i.block = bl.name) "
    "  GROUP BY f.block) s WHERE b.id = s.block");

/* ---- subscriptions, reports ---- */
PX_SQL (subscribe_dataset, "id,files",
    "INSERT INTO subscriptions (dataset, node, priority, is_move, is_custodial, user_group) "
    "SELECT d.id, n.id, $3, $4, $5, $6 FROM datasets d, nodes n WHERE d.name = $1 AND n.name = $2 "
    "ON CONFLICT (dataset, node) WHERE dataset IS NOT NULL DO UPDATE SET priority = excluded.priority, "
    "  is_move = excluded.is_move, is_custodial = excluded.is_custodial, user_group = excluded.user_group "
    "RETURNING id, (SELECT count(*) FROM files f JOIN blocks b ON b.id = f.block WHERE b.dataset = subscriptions.dataset) "
    "  AS files");
PX_SQL (subscribe_block, "id,files",
    "INSERT INTO subscriptions (block, node, priority, is_move, is_custodial, user_group) "
    "SELECT b.id, n.id, $3, $4, $5, $6 FROM blocks b, nodes n WHERE b.name = $1 AND n.name = $2 "
    "ON CONFLICT (block, node) WHERE block IS NOT NULL DO UPDATE SET priority = excluded.priority, "
    "  is_move = excluded.is_move, is_custodial = excluded.is_custodial, user_group = excluded.user_group "
    "RETURNING id, (SELECT count(*) FROM files f WHERE f.block = subscriptions.block) AS files");
/* $1 node, $2 dataset or '', $3 block or '': the subscriptions named. */
PX_SQL (sub_find, "id,suspended_until",
    "SELECT s.id, s.suspended_until::text FROM subscriptions s JOIN nodes n ON n.id = s.node "
    "WHERE n.name = $1 AND (s.dataset = (SELECT id FROM datasets WHERE name = $2) "
    "  OR s.block = (SELECT id FROM blocks WHERE name = $3))");
/* Drop the subscription, its pending requests (unless another subscription
 * of the node wants the file) and their queued hops; active copies finish. */
PX_SQL (sub_unsubscribe, "subscriptions,requests,tasks",
    "WITH s AS (DELETE FROM subscriptions s USING nodes n WHERE n.id = s.node AND n.name = $1 "
    "    AND (s.dataset = (SELECT id FROM datasets WHERE name = $2) OR s.block = (SELECT id FROM blocks WHERE name = $3)) "
    "  RETURNING s.id, s.node), "
    "q AS (DELETE FROM requests q USING s WHERE q.subscription = s.id AND q.node = s.node AND q.state <> 'done' "
    "  AND NOT EXISTS (SELECT 1 FROM subscriptions o JOIN blocks ob ON ob.dataset = o.dataset OR ob.id = o.block "
    "    JOIN files f ON f.block = ob.id WHERE o.node = s.node AND o.id <> s.id AND f.id = q.file) "
    "  RETURNING q.file, q.node), "
    "t AS (DELETE FROM tasks t USING q WHERE t.file = q.file AND t.for_node = q.node AND t.state = 'queued' RETURNING 1) "
    "SELECT (SELECT count(*) FROM s) AS subscriptions, (SELECT count(*) FROM q) AS requests, "
    "  (SELECT count(*) FROM t) AS tasks");
PX_SQL (sub_suspend, "id,suspended_until",
    "UPDATE subscriptions s SET suspended_until = $4::timestamptz FROM nodes n WHERE n.id = s.node AND n.name = $1 "
    "AND (s.dataset = (SELECT id FROM datasets WHERE name = $2) OR s.block = (SELECT id FROM blocks WHERE name = $3)) "
    "RETURNING s.id, s.suspended_until::text");
PX_SQL (sub_resume, "id",
    "UPDATE subscriptions s SET suspended_until = NULL FROM nodes n WHERE n.id = s.node AND n.name = $1 "
    "AND (s.dataset = (SELECT id FROM datasets WHERE name = $2) OR s.block = (SELECT id FROM blocks WHERE name = $3)) "
    "RETURNING s.id");
/* Before deleting the replicas of a dataset or block at a node: how many,
 * how many are the last good copy anywhere (with an example), and whether
 * a dataset subscription of the node covers a block asked for. */
PX_SQL (delete_check, "replicas,last_copies,example,covering_dataset",
    "SELECT count(*) AS replicas, count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM replicas o WHERE o.file = r.file "
    "    AND o.node <> r.node AND o.state = 'ok')) AS last_copies, "
    "  min(f.lfn) FILTER (WHERE NOT EXISTS (SELECT 1 FROM replicas o WHERE o.file = r.file AND o.node <> r.node "
    "    AND o.state = 'ok')) AS example, "
    "  (SELECT d.name FROM subscriptions s JOIN datasets d ON d.id = s.dataset JOIN blocks bb ON bb.dataset = d.id "
    "    WHERE s.node = (SELECT id FROM nodes WHERE name = $1) AND bb.name = $3 LIMIT 1) AS covering_dataset "
    "FROM replicas r JOIN files f ON f.id = r.file JOIN blocks b ON b.id = f.block "
    "WHERE r.node = (SELECT id FROM nodes WHERE name = $1) AND (b.dataset = (SELECT id FROM datasets WHERE name = $2) OR b.name = $3)");
/* Queue the deletions for the node's delete agent and drop the node's
 * subscription to the same data (else it would be fetched again). */
PX_SQL (delete_request, "deletions,subscriptions,requests",
    "WITH n AS (SELECT id FROM nodes WHERE name = $1), "
    "s AS (DELETE FROM subscriptions s USING n WHERE s.node = n.id "
    "  AND (s.dataset = (SELECT id FROM datasets WHERE name = $2) OR s.block = (SELECT id FROM blocks WHERE name = $3) "
    "    OR s.block IN (SELECT id FROM blocks WHERE dataset = (SELECT id FROM datasets WHERE name = $2))) RETURNING s.id), "
    "q AS (DELETE FROM requests q USING n, files f, blocks b WHERE q.node = n.id AND f.id = q.file AND b.id = f.block "
    "  AND (b.dataset = (SELECT id FROM datasets WHERE name = $2) OR b.name = $3) AND q.state <> 'done' RETURNING 1), "
    "d AS (INSERT INTO deletions (file, node, force) SELECT r.file, r.node, $4::boolean FROM replicas r, n, files f, "
    "  blocks b WHERE r.node = n.id AND f.id = r.file AND b.id = f.block AND (b.dataset = (SELECT id FROM datasets WHERE name = $2) OR b.name = $3) "
    "  ON CONFLICT (file, node) DO UPDATE SET force = excluded.force RETURNING 1) "
    "SELECT (SELECT count(*) FROM d) AS deletions, (SELECT count(*) FROM s) AS subscriptions, "
    "  (SELECT count(*) FROM q) AS requests");
/* subscribe --dry-run: the target's files not yet at $1, grouped by the
 * source and path the router would choose now ($4.. as router_route). */
PX_SQL (dryrun, "path,files,bytes,rate,latency,no_source",
    "WITH g AS (SELECT * FROM unnest($4::int[], $5::float8[], $6::text[], $7::float8[], $8::float8[]) "
    "    AS g(node, cost, path, rate, latency)), "
    "t AS (SELECT f.id, f.bytes FROM files f JOIN blocks b ON b.id = f.block WHERE (b.dataset = (SELECT id FROM datasets WHERE name = $2) OR b.name = $3) "
    "  AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.file = f.id AND r.node = $1 AND r.state = 'ok')), "
    "c AS (SELECT DISTINCT ON (t.id) t.id, t.bytes, g.node, g.path, g.rate, g.latency FROM t "
    "  LEFT JOIN replicas r ON r.file = t.id AND r.state = 'ok' LEFT JOIN g ON g.node = r.node "
    "  ORDER BY t.id, g.cost NULLS LAST) "
    "SELECT (SELECT string_agg(n.name, ' -> ' ORDER BY x.i) FROM unnest(string_to_array(c.path, ',')::int[]) "
    "    WITH ORDINALITY AS x(id, i) "
    "    JOIN nodes n ON n.id = x.id) AS path, count(*) AS files, sum(c.bytes) AS bytes, min(c.rate) AS rate, "
    "  min(c.latency) AS latency, "
    "  count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM replicas r WHERE r.file = c.id AND r.state = 'ok')) AS no_source "
    "FROM c GROUP BY c.path ORDER BY 1 NULLS LAST");
/* phedex why: for each file of the target ($2 dataset, $3 block or $4
 * LFN) without a good replica at node $1, why not — first reason that
 * applies. */
PX_SQL (why, "lfn,code,text",
    "WITH n AS (SELECT id FROM nodes WHERE name = $1), "
    "f AS (SELECT f.id, f.lfn, f.bytes, b.id AS block, b.dataset FROM files f JOIN blocks b ON b.id = f.block, n "
    "  WHERE (b.dataset = (SELECT id FROM datasets WHERE name = $2) OR b.name = $3 OR f.lfn = $4) "
    "  AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.file = f.id AND r.node = n.id AND r.state = 'ok')), "
    "x AS (SELECT f.*, n.id AS node, q.state AS qstate, q.reason, q.attempts, q.next_try, q.priority, q.path, "
    "    s.id AS sub, s.suspended_until, t.id AS tid, t.state AS tstate, t.from_node, t.to_node, t.priority AS tprio, "
    "    coalesce(t.active_at, t.created) AS since, coalesce(t.transferred_at, t.verified_at) AS copied "
    "  FROM f CROSS JOIN n LEFT JOIN requests q ON q.file = f.id AND q.node = n.id "
    "  LEFT JOIN LATERAL (SELECT s.id, s.suspended_until FROM subscriptions s WHERE s.node = n.id "
    "    AND (s.dataset = f.dataset OR s.block = f.block) ORDER BY s.suspended_until NULLS FIRST LIMIT 1) s ON true "
    "  LEFT JOIN LATERAL (SELECT * FROM tasks t WHERE t.file = f.id AND t.for_node = n.id "
    "    AND t.state NOT IN ('done', 'failed') ORDER BY t.id DESC LIMIT 1) t ON true), "
    "ahead AS (SELECT t.id, sum(fb.bytes) OVER (PARTITION BY t.from_node, t.to_node ORDER BY t.priority, t.id) "
    "    - fb.bytes AS bytes FROM tasks t JOIN files fb ON fb.id = t.file WHERE t.state = 'queued' "
    "    AND (t.from_node, t.to_node) IN (SELECT from_node, to_node FROM x WHERE tstate = 'queued')), "
    "y AS (SELECT x.*, fn.name AS from_name, tn.name AS to_name, a.bytes AS ahead, "
    "    (SELECT l.active FROM links l WHERE l.from_node = x.from_node AND l.to_node = x.to_node) AS link_active, "
    "    EXISTS (SELECT 1 FROM agents g WHERE g.node = x.to_node AND g.agent = 'download' AND px_alive(g)) AS dl_alive, "
    "    EXISTS (SELECT 1 FROM agents g WHERE g.node = x.node AND g.agent = 'router' AND px_alive(g)) AS router_alive, "
    "    (SELECT coalesce(sum(fo.bytes), 0) FROM tasks o JOIN files fo ON fo.id = o.file WHERE o.for_node = x.node "
    "      AND o.state IN ('queued', 'active', 'transferred', 'verified') AND o.priority < x.priority) AS higher, "
    "    (SELECT count(*) FROM unnest(x.path)) AS hops "
    "  FROM x LEFT JOIN nodes fn ON fn.id = x.from_node LEFT JOIN nodes tn ON tn.id = x.to_node "
    "  LEFT JOIN ahead a ON a.id = x.tid) "
    "SELECT lfn, code, text FROM (SELECT CASE "
    "  WHEN qstate IS NULL AND sub IS NULL THEN 'not_subscribed' "
    "  WHEN suspended_until > now() THEN 'suspended' "
    "  WHEN qstate = 'no_source' THEN 'no_source' "
    "  WHEN qstate = 'no_path' THEN 'no_path' "
    "  WHEN qstate = 'gave_up' THEN 'gave_up' "
    "  WHEN tstate = 'active' THEN 'in_transfer' "
    "  WHEN tstate IN ('transferred', 'verified') THEN 'verifying' "
    "  WHEN tstate = 'queued' AND NOT (link_active AND dl_alive) THEN 'link_down' "
    "  WHEN tstate = 'queued' THEN 'queued' "
    "  WHEN qstate IN ('new', 'retry') AND attempts > 0 THEN 'cooling_off' "
    "  WHEN NOT router_alive THEN 'router_down' "
    "  WHEN higher > 0 THEN 'behind_higher_priority' "
    "  ELSE 'waiting_router' END AS code, y.* FROM y) z "
    "CROSS JOIN LATERAL (SELECT CASE code "
    "  WHEN 'not_subscribed' THEN 'no subscription of ' || $1 || ' covers this file' "
    "  WHEN 'suspended' THEN 'its subscription is suspended until ' || "
    "    CASE WHEN suspended_until = 'infinity' THEN 'resumed' ELSE suspended_until::text END "
    "  WHEN 'no_source' THEN 'no source replica: no node holds a good copy of the file' "
    "  WHEN 'no_path' THEN coalesce(reason, 'no usable path') "
    "  WHEN 'gave_up' THEN coalesce(reason, 'gave up') "
    "  WHEN 'in_transfer' THEN 'in transfer ' || from_name || ' -> ' || to_name || ' since ' || "
    "    to_char(since, 'YYYY-MM-DD HH24:MI:SS') || ' (attempt ' || (attempts + 1) || ')' "
    "  WHEN 'verifying' THEN 'copied ' || from_name || ' -> ' || to_name || ', being verified and published' "
    "  WHEN 'link_down' THEN 'queued on ' || from_name || ' -> ' || to_name || ', but ' || CASE WHEN NOT link_active "
    "    THEN 'the link is down' ELSE 'no download agent is running at ' || to_name END "
    "  WHEN 'queued' THEN 'queued on ' || from_name || ' -> ' || to_name || CASE WHEN to_name <> $1 THEN "
    "    ' (hop 1 of ' || (hops - 1) || ')' ELSE '' END || ' behind ' || pg_size_pretty(coalesce(ahead, 0)) "
    "    || ' of queued transfers' "
    "  WHEN 'cooling_off' THEN 'cooling off after ' || attempts || ' failed attempts until ' || "
    "    to_char(next_try, 'YYYY-MM-DD HH24:MI:SS') || '; ' || coalesce(reason, '') "
    "  WHEN 'router_down' THEN 'waiting to be routed, but no router agent is running at ' || $1 "
    "  WHEN 'behind_higher_priority' THEN 'waiting behind ' || pg_size_pretty(higher) || "
    "    ' of higher-priority transfers to ' || $1 || ' (priority window)' "
    "  ELSE 'waiting to be routed (the router at ' || $1 || ' is running)' END AS text) w "
    "ORDER BY code, lfn");
PX_SQL (dataset_id, "id",
    "SELECT id FROM datasets WHERE name = $1");
PX_SQL (block_id, "id",
    "SELECT id FROM blocks WHERE name = $1");
PX_SQL (replicas_dataset, "lfn,bytes,checksum,block,node,state,verified",
    "SELECT f.lfn, f.bytes, f.checksum, b.name AS block, n.name AS node, r.state, r.verified::text AS verified "
    "FROM datasets d "
    "JOIN blocks b ON b.dataset = d.id JOIN files f ON f.block = b.id "
    "JOIN replicas r ON r.file = f.id JOIN nodes n ON n.id = r.node "
    "WHERE d.name = $1 ORDER BY f.lfn, n.name");
PX_SQL (status_counts, "nodes,links,datasets,blocks,files,replicas,subscriptions,requests,open_tasks,errors",
    "SELECT (SELECT count(*) FROM nodes) AS nodes, (SELECT count(*) FROM links) AS links, "
    "(SELECT count(*) FROM datasets) AS datasets, (SELECT count(*) FROM blocks) AS blocks, "
    "(SELECT count(*) FROM files) AS files, (SELECT count(*) FROM replicas) AS replicas, "
    "(SELECT count(*) FROM subscriptions) AS subscriptions, (SELECT count(*) FROM requests) AS requests, "
    "(SELECT count(*) FROM tasks WHERE state NOT IN ('done', 'failed')) AS open_tasks, "
    "(SELECT count(*) FROM errors) AS errors");
PX_SQL (demo_progress, "name,files,errors",
    "SELECT n.name, count(r.file) AS files, (SELECT count(*) FROM errors e WHERE e.to_node = n.id) AS errors "
    "FROM subscriptions s "
    "JOIN nodes n ON n.id = s.node JOIN blocks b ON b.dataset = s.dataset JOIN files f ON f.block = b.id "
    "LEFT JOIN replicas r ON r.file = f.id AND r.node = n.id GROUP BY n.id, n.name ORDER BY n.name");

/* Every statement, for the shape test. */
const PxTmdbStatement *const px_tmdb_statements[] = {
#define X(id) &px_sql_##id,
  PX_TMDB_STATEMENT_NAMES (X)
#undef X
  NULL
};
