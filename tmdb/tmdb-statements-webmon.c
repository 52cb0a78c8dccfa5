/* tmdb-statements-webmon.c — what the status page (phedex-webmon) reads
 * besides the CLI's reports (tmdb-statements-report.c): every one read-only,
 * every parameter bound.  Times are returned as epoch seconds (the page
 * formats them) and "as of" is the transaction's now(). */
#include "config.h"
#include "tmdb-private.h"

#define ALIVE "px_alive(agents)"
#define UTC(t) "to_char((" t ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* The database time a page shows. */
PX_SQL (webmon_now, "now_utc,now_epoch", "SELECT " UTC ("now()") " AS now_utc, extract(epoch FROM now())::float8 AS now_epoch");

/* Can this session's role write?  (webmon warns: it should be a reader.) */
PX_SQL (webmon_can_write, "can_write,role,read_only",
    "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
    "  OR coalesce(bool_or(has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')), false) AS can_write, "
    "  current_user::text AS role, current_setting('default_transaction_read_only') = 'on' AS read_only "
    "FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'");

/* phedex-webmon --grant-reader ROLE (the one statement that writes). */
PX_SQL (webmon_grant_reader, "role", "SELECT px_grant_reader($1) AS role");

/* The overview [$1 from] [$2 to]: per link, the last hour (rate over the
 * time the bins span, as report_links; files done, failed, expired; success
 * = done / (done + failed)), the last 20 minutes' attempts, the queue now,
 * and a state with a one-line reason:
 *   inactive     the link is switched off
 *   agents_down  no live download agent at the destination, or no
 *                storage.xml uploaded by the source
 *   failing      success below 50 % over at least 10 attempts in 20 minutes
 *   warning      below 80 % (same window)
 *   stalled      queued, none active, nothing attempted for 30 minutes
 *   idle         nothing queued or active, nothing done in the hour
 *   ok           otherwise */
PX_SQL (webmon_overview,
    "from_id,to_id,from_name,to_name,distance,active,nominal_rate,rate,done_files,done_bytes,failed_files,"
    "expired_files,success,tries_20m,done_20m,failed_20m,queued_files,queued_bytes,active_files,oldest_queued,"
    "download_alive,source_tfc,state,reason",
    "WITH h AS (SELECT from_node, to_node, sum(done_bytes) AS done_bytes, sum(done_files) AS done_files, "
    "    sum(fail_files) AS fail_files, sum(expire_files) AS expire_files, "
    "    sum(try_files) FILTER (WHERE time_bin > now() - interval '30 minutes') AS tries_30m, "
    "    sum(done_files) FILTER (WHERE time_bin > now() - interval '20 minutes') AS done_20m, "
    "    sum(fail_files) FILTER (WHERE time_bin > now() - interval '20 minutes') AS failed_20m, "
    "    extract(epoch FROM least(max(time_bin) + interval '5 minutes', now()) - min(time_bin)) AS span "
    "  FROM link_history WHERE time_bin > now() - interval '1 hour' GROUP BY from_node, to_node), "
    "q AS (SELECT t.from_node, t.to_node, count(*) FILTER (WHERE t.state = 'queued') AS files, "
    "    coalesce(sum(f.bytes) FILTER (WHERE t.state = 'queued'), 0) AS bytes, "
    "    count(*) FILTER (WHERE t.state = 'active') AS active, "
    "    extract(epoch FROM now() - min(t.created) FILTER (WHERE t.state = 'queued'))::bigint AS oldest "
    "  FROM tasks t JOIN files f ON f.id = t.file WHERE t.state IN ('queued', 'active') "
    "  GROUP BY t.from_node, t.to_node), "
    "a AS (SELECT DISTINCT node FROM agents WHERE agent = 'download' AND " ALIVE "), "
    "x AS (SELECT l.from_node, l.to_node, fn.name AS from_name, tn.name AS to_name, l.distance, l.active, l.nominal_rate, "
    "    CASE WHEN h.span > 0 THEN round(h.done_bytes / h.span::numeric)::bigint END AS rate, "
    "    coalesce(h.done_files, 0) AS done_files, coalesce(h.done_bytes, 0) AS done_bytes, "
    "    coalesce(h.fail_files, 0) AS failed_files, coalesce(h.expire_files, 0) AS expired_files, "
    "    coalesce(h.tries_30m, 0) AS tries_30m, coalesce(h.done_20m, 0) AS done_20m, coalesce(h.failed_20m, 0) AS failed_20m, "
    "    coalesce(q.files, 0) AS queued_files, coalesce(q.bytes, 0) AS queued_bytes, coalesce(q.active, 0) AS active_files, "
    "    q.oldest AS oldest_queued, a.node IS NOT NULL AS download_alive, fn.tfc IS NOT NULL AS source_tfc "
    "  FROM links l JOIN nodes fn ON fn.id = l.from_node JOIN nodes tn ON tn.id = l.to_node "
    "  LEFT JOIN h ON h.from_node = l.from_node AND h.to_node = l.to_node "
    "  LEFT JOIN q ON q.from_node = l.from_node AND q.to_node = l.to_node "
    "  LEFT JOIN a ON a.node = l.to_node "
    "  WHERE ($1::text IS NULL OR fn.name = $1) AND ($2::text IS NULL OR tn.name = $2)), "
    "y AS (SELECT x.*, x.done_20m + x.failed_20m AS tries_20m, "
    "    CASE WHEN x.done_files + x.failed_files > 0 THEN round(x.done_files::numeric / (x.done_files + x.failed_files), 3) END "
    "      AS success, "
    "    CASE WHEN x.done_20m + x.failed_20m > 0 THEN x.done_20m::numeric / (x.done_20m + x.failed_20m) END AS s20 FROM x) "
    "SELECT from_node AS from_id, to_node AS to_id, from_name, to_name, distance, active, nominal_rate, rate, done_files, "
    "  done_bytes, failed_files, expired_files, success, tries_20m, done_20m, failed_20m, queued_files, queued_bytes, "
    "  active_files, oldest_queued, download_alive, source_tfc, "
    "  CASE WHEN NOT active THEN 'inactive' WHEN NOT download_alive OR NOT source_tfc THEN 'agents_down' "
    "    WHEN tries_20m >= 10 AND s20 < 0.5 THEN 'failing' WHEN tries_20m >= 10 AND s20 < 0.8 THEN 'warning' "
    "    WHEN queued_files > 0 AND active_files = 0 AND tries_30m = 0 AND oldest_queued > 1800 THEN 'stalled' "
    "    WHEN queued_files = 0 AND active_files = 0 AND done_files = 0 THEN 'idle' ELSE 'ok' END AS state, "
    "  CASE WHEN NOT active THEN 'link switched off' "
    "    WHEN NOT download_alive THEN 'no live download agent at ' || to_name "
    "    WHEN NOT source_tfc THEN 'no storage.xml uploaded by ' || from_name "
    "    WHEN tries_20m >= 10 AND s20 < 0.8 THEN format('%s of %s attempts failed in the last 20 minutes', failed_20m, tries_20m) "
    "    WHEN queued_files > 0 AND active_files = 0 AND tries_30m = 0 AND oldest_queued > 1800 "
    "      THEN format('%s files queued, nothing attempted for 30 minutes', queued_files) "
    "    WHEN queued_files = 0 AND active_files = 0 AND done_files = 0 THEN 'nothing queued, nothing done in the last hour' "
    "    WHEN queued_files > 0 OR active_files > 0 THEN format('%s queued, %s active', queued_files, active_files) "
    "    ELSE format('%s files done in the last hour', done_files) END AS reason "
    "FROM y ORDER BY from_name, to_name");

/* History for a plot: per series key (the link "FROM>TO", its source or
 * its destination: $3 'link' | 'src' | 'dst') and bin of $2 seconds, over
 * the last $1 seconds; [$4 from] [$5 to] restrict to one link. */
PX_SQL (webmon_history, "series,t,done_bytes,done_files,fail_files,queued_files,queued_bytes",
    "SELECT CASE $3::text WHEN 'src' THEN fn.name WHEN 'dst' THEN tn.name ELSE fn.name || '>' || tn.name END AS series, "
    "  floor(extract(epoch FROM h.time_bin) / $2::int)::bigint * $2::int AS t, "
    "  sum(h.done_bytes)::bigint AS done_bytes, sum(h.done_files)::bigint AS done_files, sum(h.fail_files)::bigint AS fail_files, "
    "  max(h.queued_files)::bigint AS queued_files, max(h.queued_bytes)::bigint AS queued_bytes "
    "FROM link_history h JOIN nodes fn ON fn.id = h.from_node JOIN nodes tn ON tn.id = h.to_node "
    "WHERE h.time_bin > now() - make_interval(secs => $1::float8) "
    "  AND ($4::text IS NULL OR fn.name = $4) AND ($5::text IS NULL OR tn.name = $5) "
    "GROUP BY 1, 2 ORDER BY 1, 2");

/* /errors over the last $1 seconds [$2 from] [$3 to], from error_summary:
 * per link and reason, the exact count, how many permanent, first and
 * last seen, the latest log (its first $4 characters and its length) and up
 * to three LFNs of the latest errors. */
PX_SQL (webmon_errors, "from_name,to_name,reason,n,permanent,first_utc,last_utc,last_id,log,log_length,lfns",
    "WITH g AS (SELECT from_node, to_node, reason, sum(errors) AS n, sum(permanent) AS permanent, min(first) AS first, "
    "    max(last) AS last, max(last_id) AS last_id FROM error_summary "
    "  WHERE time_bin > px_bin(now() - make_interval(secs => $1::float8)) GROUP BY from_node, to_node, reason) "
    "SELECT fn.name AS from_name, tn.name AS to_name, g.reason, g.n, g.permanent, " UTC ("g.first") " AS first_utc, "
    "  " UTC ("g.last") " AS last_utc, g.last_id, left(e.log, $4::int) AS log, length(e.log) AS log_length, "
    "  (SELECT string_agg(s.lfn, E'\\n') FROM (SELECT f.lfn FROM errors x JOIN files f ON f.id = x.file "
    "     WHERE x.from_node IS NOT DISTINCT FROM nullif(g.from_node, 0) AND x.to_node IS NOT DISTINCT FROM nullif(g.to_node, 0) "
    "       AND x.reason = g.reason AND x.time >= g.last - interval '1 hour' ORDER BY x.time DESC LIMIT 3) s) AS lfns "
    "FROM g LEFT JOIN nodes fn ON fn.id = g.from_node LEFT JOIN nodes tn ON tn.id = g.to_node "
    "LEFT JOIN errors e ON e.id = g.last_id "
    "WHERE ($2::text IS NULL OR fn.name = $2) AND ($3::text IS NULL OR tn.name = $3) "
    "ORDER BY g.last DESC, 1, 2, 3");
/* One error's full log (the API's /errors/ID). */
PX_SQL (webmon_error, "id,time_utc,from_name,to_name,reason,permanent,lfn,log",
    "SELECT e.id, " UTC ("e.time") " AS time_utc, fn.name AS from_name, tn.name AS to_name, e.reason, e.permanent, "
    "  f.lfn, e.log FROM errors e LEFT JOIN nodes fn ON fn.id = e.from_node LEFT JOIN nodes tn ON tn.id = e.to_node "
    "LEFT JOIN files f ON f.id = e.file WHERE e.id = $1");

/* /agents [$1 node]: every agent running or stopped within the day; alive
 * as px_alive says (the CLI's rule). */
PX_SQL (webmon_agents, "node,agent,host,pid,version,started_utc,heartbeat_age,heartbeat_epoch,stopped_utc,alive",
    "SELECT n.name AS node, a.agent, a.host, a.pid, a.version, " UTC ("a.started") " AS started_utc, "
    "  extract(epoch FROM now() - a.heartbeat)::bigint AS heartbeat_age, extract(epoch FROM a.heartbeat)::float8 AS heartbeat_epoch, "
    "  " UTC ("a.stopped") " AS stopped_utc, px_alive(a) AS alive "
    "FROM agents a JOIN nodes n ON n.id = a.node "
    "WHERE (a.stopped IS NULL OR a.stopped > now() - interval '1 day') AND ($1::text IS NULL OR n.name = $1) "
    "ORDER BY n.name, a.agent, a.host, a.pid");

/* /subscriptions/ID: the subscription and its files per request state and
 * reason (the `why` a user would ask), with an example LFN and the count. */
PX_SQL (webmon_subscription, "id,item,node,priority,is_move,created_utc,suspended_utc",
    "SELECT s.id, coalesce(d.name, b.name) AS item, n.name AS node, "
    "  CASE s.priority WHEN 0 THEN 'high' WHEN 1 THEN 'normal' ELSE 'low' END AS priority, s.is_move, "
    "  " UTC ("s.created") " AS created_utc, CASE WHEN s.suspended_until > now() THEN "
    "  CASE WHEN s.suspended_until = 'infinity' THEN 'infinity' ELSE " UTC ("s.suspended_until") " END END AS suspended_utc "
    "FROM subscriptions s JOIN nodes n ON n.id = s.node LEFT JOIN datasets d ON d.id = s.dataset "
    "LEFT JOIN blocks b ON b.id = s.block WHERE s.id = $1");
PX_SQL (webmon_subscription_why, "state,reason,files,example",
    "SELECT q.state, coalesce(q.reason, '') AS reason, count(*) AS files, min(f.lfn) AS example "
    "FROM requests q JOIN files f ON f.id = q.file WHERE q.subscription = $1 "
    "GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 50");
/* The subscriptions' ids by item and node (report_status_subscriptions has none). */
PX_SQL (webmon_subscription_ids, "id,item,node",
    "SELECT s.id, coalesce(d.name, b.name) AS item, n.name AS node FROM subscriptions s JOIN nodes n ON n.id = s.node "
    "LEFT JOIN datasets d ON d.id = s.dataset LEFT JOIN blocks b ON b.id = s.block");

/* /nodes/NODE: the node, and per block with files there, its completeness. */
PX_SQL (webmon_node, "id,name,kind,tfc_utc", "SELECT id, name, kind, " UTC ("tfc_updated") " AS tfc_utc FROM nodes WHERE name = $1");
PX_SQL (webmon_node_blocks, "dataset,block,files_here,bytes_here,files,bytes",
    "SELECT d.name AS dataset, b.name AS block, count(*) AS files_here, sum(f.bytes)::bigint AS bytes_here, "
    "  b.files, b.bytes FROM replicas r JOIN files f ON f.id = r.file JOIN blocks b ON b.id = f.block "
    "JOIN datasets d ON d.id = b.dataset WHERE r.node = $1 AND r.state = 'ok' "
    "GROUP BY d.name, b.id ORDER BY d.name, b.name LIMIT 500");

/* /data: datasets after $1 (keyset), $2 at most; blocks of a dataset; files
 * of a block after an LFN; LFN search: exact ($1 = LFN) or by prefix ($2 the
 * prefix, $3 it as a LIKE pattern, escaped), after $4, $5 at most. */
PX_SQL (webmon_datasets, "name,blocks,files,bytes",
    "SELECT d.name, count(b.id) AS blocks, coalesce(sum(b.files), 0)::bigint AS files, coalesce(sum(b.bytes), 0)::bigint AS bytes "
    "FROM datasets d LEFT JOIN blocks b ON b.dataset = d.id WHERE d.name > coalesce($1, '') "
    "GROUP BY d.id ORDER BY d.name LIMIT $2");
PX_SQL (webmon_blocks, "name,is_open,files,bytes",
    "SELECT b.name, b.is_open, b.files, b.bytes FROM blocks b JOIN datasets d ON d.id = b.dataset WHERE d.name = $1 "
    "ORDER BY b.name LIMIT 1000");
PX_SQL (webmon_files, "lfn,bytes,checksum,replicas",
    "SELECT f.lfn, f.bytes, f.checksum, (SELECT string_agg(n.name || CASE WHEN r.state = 'ok' THEN '' ELSE ' (bad)' END, ',' "
    "    ORDER BY n.name) FROM replicas r JOIN nodes n ON n.id = r.node WHERE r.file = f.id) AS replicas "
    "FROM files f WHERE (($1::text IS NOT NULL AND f.block = (SELECT id FROM blocks WHERE name = $1)) "
    "    OR ($2::text IS NOT NULL AND f.lfn = $2) "
    "    OR ($3::text IS NOT NULL AND f.lfn ~>=~ $3 AND f.lfn ~<=~ ($3 || chr(1114111)) AND f.lfn LIKE $4 ESCAPE '\\')) "
    "  AND f.lfn ~>~ coalesce($5, '') "
    "ORDER BY f.lfn USING ~<~ LIMIT $6");

/* /metrics: the cumulative counters per link, errors per link, reason and
 * permanence, requests per node and state. */
PX_SQL (webmon_metrics_links, "from_name,to_name,try_files,done_files,done_bytes,fail_files,fail_bytes,expire_files,expire_bytes",
    "SELECT fn.name AS from_name, tn.name AS to_name, c.try_files, c.done_files, c.done_bytes, c.fail_files, c.fail_bytes, "
    "  c.expire_files, c.expire_bytes FROM link_counters c JOIN nodes fn ON fn.id = c.from_node "
    "JOIN nodes tn ON tn.id = c.to_node ORDER BY 1, 2");
PX_SQL (webmon_metrics_errors, "from_name,to_name,reason,permanent,n",
    "SELECT coalesce(fn.name, '') AS from_name, coalesce(tn.name, '') AS to_name, s.reason, p.permanent, "
    "  sum(CASE WHEN p.permanent THEN s.permanent ELSE s.errors - s.permanent END)::bigint AS n "
    "FROM error_summary s CROSS JOIN (VALUES (true), (false)) p (permanent) "
    "LEFT JOIN nodes fn ON fn.id = s.from_node LEFT JOIN nodes tn ON tn.id = s.to_node GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4");
PX_SQL (webmon_metrics_requests, "node,state,n",
    "SELECT n.name AS node, q.state, count(*) AS n FROM requests q JOIN nodes n ON n.id = q.node GROUP BY 1, 2 ORDER BY 1, 2");
