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

/* The overview's parts, shared with /metrics' link states: the last
 * hour's history (h), the queue (q), live download agents (a), per link
 * (x, filtered by FILTER), the success ratios (y); then the state. */
#define LINKS_CTES(FILTER) \
  "WITH h AS (SELECT from_node, to_node, sum(done_bytes) AS done_bytes, sum(done_files) AS done_files, " \
  "    sum(fail_files) AS fail_files, sum(expire_files) AS expire_files, " \
  "    sum(try_files) FILTER (WHERE time_bin > now() - interval '30 minutes') AS tries_30m, " \
  "    sum(done_files) FILTER (WHERE time_bin > now() - interval '20 minutes') AS done_20m, " \
  "    sum(fail_files) FILTER (WHERE time_bin > now() - interval '20 minutes') AS failed_20m, " \
  "    extract(epoch FROM least(max(time_bin) + interval '5 minutes', now()) - min(time_bin)) AS span " \
  "  FROM link_history WHERE time_bin > now() - interval '1 hour' GROUP BY from_node, to_node), " \
  "q AS (SELECT from_node, to_node, coalesce(sum(files) FILTER (WHERE state = 'queued'), 0) AS files, " \
  "    coalesce(sum(bytes) FILTER (WHERE state = 'queued'), 0) AS bytes, " \
  "    coalesce(sum(files) FILTER (WHERE state = 'active'), 0) AS active " \
  "  FROM link_queue WHERE state IN ('queued', 'active') GROUP BY from_node, to_node), " \
  "a AS (SELECT DISTINCT node FROM agents WHERE agent = 'download' AND " ALIVE "), " \
  "x AS (SELECT l.from_node, l.to_node, fn.name AS from_name, tn.name AS to_name, l.distance, l.active, l.nominal_rate, " \
  "    CASE WHEN h.span > 0 THEN round(h.done_bytes / h.span::numeric)::bigint END AS rate, " \
  "    coalesce(h.done_files, 0) AS done_files, coalesce(h.done_bytes, 0) AS done_bytes, " \
  "    coalesce(h.fail_files, 0) AS failed_files, coalesce(h.expire_files, 0) AS expired_files, " \
  "    coalesce(h.tries_30m, 0) AS tries_30m, coalesce(h.done_20m, 0) AS done_20m, coalesce(h.failed_20m, 0) AS failed_20m, " \
  "    coalesce(q.files, 0) AS queued_files, coalesce(q.bytes, 0) AS queued_bytes, coalesce(q.active, 0) AS active_files, " \
  "    CASE WHEN q.files > 0 THEN (SELECT extract(epoch FROM now() - min(t.created))::bigint FROM tasks t " \
  "      WHERE t.to_node = l.to_node AND t.from_node = l.from_node AND t.state = 'queued') END AS oldest_queued, " \
  "    a.node IS NOT NULL AS download_alive, fn.tfc IS NOT NULL AS source_tfc " \
  "  FROM links l JOIN nodes fn ON fn.id = l.from_node JOIN nodes tn ON tn.id = l.to_node " \
  "  LEFT JOIN h ON h.from_node = l.from_node AND h.to_node = l.to_node " \
  "  LEFT JOIN q ON q.from_node = l.from_node AND q.to_node = l.to_node " \
  "  LEFT JOIN a ON a.node = l.to_node " \
  FILTER \
  "y AS (SELECT x.*, x.done_20m + x.failed_20m AS tries_20m, " \
  "    CASE WHEN x.done_files + x.failed_files > 0 THEN round(x.done_files::numeric / (x.done_files + x.failed_files), 3) END " \
  "      AS success, " \
  "    CASE WHEN x.done_20m + x.failed_20m > 0 THEN x.done_20m::numeric / (x.done_20m + x.failed_20m) END AS s20 FROM x) "
#define LINK_STATE \
  "  CASE WHEN NOT active THEN 'inactive' WHEN NOT download_alive OR NOT source_tfc THEN 'agents_down' " \
  "    WHEN tries_20m >= 10 AND s20 < 0.5 THEN 'failing' WHEN tries_20m >= 10 AND s20 < 0.8 THEN 'warning' " \
  "    WHEN queued_files > 0 AND active_files = 0 AND tries_30m = 0 AND oldest_queued > 1800 THEN 'stalled' " \
  "    WHEN queued_files = 0 AND active_files = 0 AND done_files = 0 THEN 'idle' ELSE 'ok' END AS state "

/* The overview [$1 from] [$2 to]: per link, the last hour (rate over the
 * time the bins span, as report_links; files done, failed, expired; success
 * = done / (done + failed)), the last 20 minutes' attempts, the queue now
 * (link_queue, kept by triggers),
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
    LINKS_CTES ("  WHERE ($1::text IS NULL OR fn.name = $1) AND ($2::text IS NULL OR tn.name = $2)), ")
"SELECT from_node AS from_id, to_node AS to_id, from_name, to_name, distance, active, nominal_rate, rate, done_files, "
    "  done_bytes, failed_files, expired_files, success, tries_20m, done_20m, failed_20m, queued_files, queued_bytes, "
    "  active_files, oldest_queued, download_alive, source_tfc, "
    LINK_STATE ", "
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
 * the $1 seconds up to $6 (epoch seconds: now or the page's until=), from
 * the first bin that window touches; [$4 from] [$5 to] restrict to one
 * link.  Bins of 300 s read the 5-minute history, bins of 3600 s its hourly
 * rollup (link_history_hourly: the 7-day plots, and any window older than
 * the 8 days 5-minute bins are kept).  seconds: the time the bin covers up
 * to now (the current bin is partial), what its rate is over. */
/* One link's bins by (to_node, from_node, time_bin) indexes, not every link's. */
#define HIST_LINK "($4::text IS NULL OR from_node = (SELECT id FROM nodes WHERE name = $4)) " \
  "AND ($5::text IS NULL OR to_node = (SELECT id FROM nodes WHERE name = $5))"
PX_SQL (webmon_history, "series,t,seconds,done_bytes,done_files,fail_files,queued_files,queued_bytes",
    "SELECT CASE $3::text WHEN 'src' THEN fn.name WHEN 'dst' THEN tn.name ELSE fn.name || '>' || tn.name END AS series, "
    "  h.t, greatest(least($2::int, round(extract(epoch FROM now()))::bigint - h.t), 1)::float8 AS seconds, "
    "  sum(h.done_bytes)::bigint AS done_bytes, sum(h.done_files)::bigint AS done_files, sum(h.fail_files)::bigint AS fail_files, "
    "  sum(h.queued_files)::bigint AS queued_files, sum(h.queued_bytes)::bigint AS queued_bytes "
    "FROM (SELECT floor(extract(epoch FROM time_bin) / $2::int)::bigint * $2::int AS t, from_node, to_node, done_bytes, "
    "        done_files, fail_files, queued_files, queued_bytes FROM link_history "
    "      WHERE $2::int < 3600 AND time_bin >= px_bin(to_timestamp($6::float8 - $1::int)) "
    "        AND time_bin <= to_timestamp($6::float8) AND " HIST_LINK " "
    "      UNION ALL SELECT floor(extract(epoch FROM time_bin) / $2::int)::bigint * $2::int, from_node, to_node, done_bytes, "
    "        done_files, fail_files, queued_files, queued_bytes FROM link_history_hourly "
    "      WHERE $2::int >= 3600 AND time_bin >= px_hour(to_timestamp($6::float8 - $1::int)) "
    "        AND time_bin <= to_timestamp($6::float8) AND " HIST_LINK ") h "
    "JOIN nodes fn ON fn.id = h.from_node JOIN nodes tn ON tn.id = h.to_node "
    "GROUP BY 1, 2 ORDER BY 1, 2");

/* /errors over the $1 seconds up to $5 (epoch seconds) [$2 from] [$3 to]:
 * per link and reason, the exact count, how many permanent, first and
 * last seen, the latest log (its first $4 characters and its size in bytes) and up
 * to three LFNs of the latest errors.  The window is the 5-minute bins after
 * px_bin(end - $1) up to end; its whole hours come from error_hourly
 * (tmdb/schema/012-webmon-rollups.sql), the bins before the first whole
 * hour and from the last partial one from error_summary: never a count over
 * the errors table.  The latest log by its id (LIMIT 1: a lookup per group,
 * never a join with every error): substr() and octet_length() read only
 * the start of a long log (a slice of the TOASTed value; left() and
 * length() would decompress all of it, 100 KB a log).  The LFNs by a short
 * backward scan of errors_group_time per group. */
#define ERR_LO "px_bin(to_timestamp($5::float8 - $1::float8))"
#define ERR_HI "to_timestamp($5::float8)"
#define ERR_HOUR_A "(px_hour(" ERR_LO ") + interval '1 hour')"
#define ERR_HOUR_B "px_hour(" ERR_HI " + interval '5 minutes')"
#define ERR_COLS "from_node, to_node, reason, errors, permanent, first, last, last_id"
PX_SQL (webmon_errors, "from_name,to_name,reason,n,permanent,first_utc,last_utc,last_id,log,log_bytes,lfns",
    "WITH b AS (SELECT " ERR_COLS " FROM error_summary WHERE time_bin > " ERR_LO " AND time_bin <= " ERR_HI " "
    "    AND time_bin < " ERR_HOUR_A " "
    "  UNION ALL SELECT " ERR_COLS " FROM error_hourly WHERE time_bin >= " ERR_HOUR_A " AND time_bin < " ERR_HOUR_B " "
    "  UNION ALL SELECT " ERR_COLS " FROM error_summary WHERE time_bin >= greatest(" ERR_HOUR_A ", " ERR_HOUR_B ") "
    "    AND time_bin <= " ERR_HI "), "
    "g AS (SELECT from_node, to_node, reason, sum(errors) AS n, sum(permanent) AS permanent, min(first) AS first, "
    "    max(last) AS last, max(last_id) AS last_id FROM b "
    "  WHERE ($2::text IS NULL OR from_node = (SELECT id FROM nodes WHERE name = $2)) "
    "    AND ($3::text IS NULL OR to_node = (SELECT id FROM nodes WHERE name = $3)) "
    "  GROUP BY from_node, to_node, reason) "
    "SELECT fn.name AS from_name, tn.name AS to_name, g.reason, g.n, g.permanent, " UTC ("g.first") " AS first_utc, "
    "  " UTC ("g.last") " AS last_utc, g.last_id, e.log, e.log_bytes, "
    "  (SELECT string_agg(s.lfn, E'\\n') FROM (SELECT f.lfn FROM errors x JOIN files f ON f.id = x.file "
    "     WHERE coalesce(x.from_node, 0) = g.from_node AND coalesce(x.to_node, 0) = g.to_node AND x.reason = g.reason "
    "       AND x.time >= g.last - interval '1 hour' AND x.time <= g.last ORDER BY x.time DESC LIMIT 3) s) AS lfns "
    "FROM g LEFT JOIN nodes fn ON fn.id = g.from_node LEFT JOIN nodes tn ON tn.id = g.to_node "
    "LEFT JOIN LATERAL (SELECT substr(e.log, 1, $4::int) AS log, octet_length(e.log) AS log_bytes FROM errors e "
    "  WHERE e.id = g.last_id LIMIT 1) e ON true "
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

/* /nodes: as phedex nodes (report_nodes), the replicas from block_replicas. */
PX_SQL (webmon_nodes, "name,kind,files,bytes,agents,has_tfc",
    "SELECT n.name, n.kind, coalesce(r.files, 0)::bigint AS files, coalesce(r.bytes, 0)::bigint AS bytes, a.agents, "
    "  n.tfc IS NOT NULL AS has_tfc "
    "FROM nodes n "
    "LEFT JOIN (SELECT node, sum(files) AS files, sum(bytes) AS bytes FROM block_replicas GROUP BY node) r ON r.node = n.id "
    "LEFT JOIN (SELECT node, string_agg(DISTINCT agent, ',' ORDER BY agent) AS agents FROM agents WHERE " ALIVE
    "  GROUP BY node) a ON a.node = n.id "
    "ORDER BY n.name");
/* /nodes/NODE: the node, and per block with files there, its completeness
 * (block_replicas: good replicas per block and node). */
PX_SQL (webmon_node, "id,name,kind,tfc_utc", "SELECT id, name, kind, " UTC ("tfc_updated") " AS tfc_utc FROM nodes WHERE name = $1");
PX_SQL (webmon_node_blocks, "dataset,block,files_here,bytes_here,files,bytes",
    "SELECT d.name AS dataset, b.name AS block, r.files AS files_here, r.bytes AS bytes_here, b.files, b.bytes "
    "FROM block_replicas r JOIN blocks b ON b.id = r.block JOIN datasets d ON d.id = b.dataset "
    "WHERE r.node = $1 AND r.files > 0 ORDER BY d.name, b.name LIMIT 500");
/* /nodes/NODE: unmerged files the hand-off told us about (migrations 006,
 * 007) not yet cleaned up, per origin, state and reason: files, bytes
 * known (a stat at hand-off or before deletion), how many of unknown size,
 * the oldest's age (s). */
PX_SQL (webmon_node_unmerged, "origin,state,reason,files,bytes,unknown_bytes,oldest",
    "SELECT origin, state, coalesce(reason, '') AS reason, count(*) AS files, coalesce(sum(bytes), 0)::bigint AS bytes, "
    "  count(*) FILTER (WHERE bytes IS NULL) AS unknown_bytes, extract(epoch FROM now() - min(created))::bigint AS oldest "
    "FROM unmerged WHERE node = $1 AND state IN ('waiting', 'deleting') GROUP BY 1, 2, 3 ORDER BY 1, 2, 3");

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

/* /subscriptions, as phedex status's subscriptions (report_status_
 * subscriptions) but from the summaries: files and bytes from blocks,
 * done from block_replicas at the subscription's node, queued = its
 * requests routed (a transfer on its way), failed = its requests given up,
 * without a source or a path (request_counts), rate = bytes of its files
 * that reached the node in the last hour (tasks done, by done_at) over the
 * hour (or the subscription's age, at least a minute). */
#define SUBS_BLOCKS_CTE \
  "sb AS (SELECT s.id AS sub, s.node, b.id AS block, b.is_open, b.files, b.bytes FROM subscriptions s " \
  "    JOIN blocks b ON b.dataset = s.dataset " \
  "  UNION ALL SELECT s.id, s.node, b.id, b.is_open, b.files, b.bytes FROM subscriptions s JOIN blocks b ON b.id = s.block), "
#define SUBS_BLOCKS "WITH " SUBS_BLOCKS_CTE
#define SUB_STATE \
  "  CASE WHEN x.files > 0 AND x.files_done >= x.files AND x.closed AND NOT coalesce(d.is_open, false) THEN 'done' " \
  "    WHEN x.files > 0 AND x.files_done >= x.files THEN 'complete' " \
  "    WHEN x.suspended_until > now() THEN 'suspended' ELSE 'active' END AS state"
PX_SQL (webmon_subscriptions,
    "id,item,node,priority,is_move,state,suspended_utc,files_done,files,bytes_done,bytes,queued,failed,rate,eta",
    SUBS_BLOCKS
    "p AS (SELECT sb.sub, sum(sb.files) AS files, sum(sb.bytes) AS bytes, coalesce(sum(r.files), 0) AS files_done, "
    "    coalesce(sum(r.bytes), 0) AS bytes_done, bool_and(NOT sb.is_open) AS closed "
    "  FROM sb LEFT JOIN block_replicas r ON r.block = sb.block AND r.node = sb.node GROUP BY sb.sub), "
    "rq AS (SELECT subscription, sum(files) FILTER (WHERE state = 'routed') AS queued, "
    "    sum(files) FILTER (WHERE state IN ('gave_up', 'no_source', 'no_path')) AS failed "
    "  FROM request_counts WHERE subscription > 0 GROUP BY subscription), "
    "rd AS (SELECT sb.sub, sum(f.bytes) AS recent FROM (SELECT DISTINCT file, to_node FROM tasks "
    "    WHERE state = 'done' AND done_at > now() - interval '1 hour' AND to_node = for_node) t "
    "  JOIN files f ON f.id = t.file JOIN sb ON sb.block = f.block AND sb.node = t.to_node GROUP BY sb.sub), "
    "x AS (SELECT s.*, coalesce(p.files, 0) AS files, coalesce(p.bytes, 0) AS bytes, coalesce(p.files_done, 0) AS files_done, "
    "    coalesce(p.bytes_done, 0) AS bytes_done, coalesce(p.closed, true) AS closed, coalesce(rq.queued, 0) AS queued, "
    "    coalesce(rq.failed, 0) AS failed, coalesce(rd.recent, 0) AS recent, "
    "    least(3600, greatest(60, extract(epoch FROM now() - s.created)))::numeric AS span "
    "  FROM subscriptions s LEFT JOIN p ON p.sub = s.id LEFT JOIN rq ON rq.subscription = s.id "
    "  LEFT JOIN rd ON rd.sub = s.id) "
    "SELECT x.id, coalesce(d.name, b.name) AS item, n.name AS node, "
    "  CASE x.priority WHEN 0 THEN 'high' WHEN 1 THEN 'normal' ELSE 'low' END AS priority, x.is_move, "
    SUB_STATE ", "
    "  CASE WHEN x.suspended_until = 'infinity' THEN 'infinity' WHEN x.suspended_until > now() THEN "
    "    " UTC ("x.suspended_until") " END AS suspended_utc, "
    "  x.files_done::bigint AS files_done, x.files::bigint AS files, x.bytes_done::bigint AS bytes_done, x.bytes::bigint AS bytes, "
    "  x.queued::bigint AS queued, x.failed::bigint AS failed, "
    "  CASE WHEN x.recent > 0 THEN round(x.recent / x.span)::bigint END AS rate, "
    "  CASE WHEN x.recent > 0 AND x.bytes > x.bytes_done AND NOT coalesce(x.suspended_until > now(), false) "
    "    THEN ceil((x.bytes - x.bytes_done) * x.span / x.recent)::bigint END AS eta "
    "FROM x JOIN nodes n ON n.id = x.node LEFT JOIN datasets d ON d.id = x.dataset LEFT JOIN blocks b ON b.id = x.block "
    "ORDER BY 2, 3");

/* /metrics in one statement (one round trip, one snapshot, no parameter:
 * each session plans it once): every sample as (its family's number sec,
 * 1.. in webmon/metrics.c's order, up to four label values a..d, value),
 * unsorted (Prometheus needs each family's samples together: the page
 * groups them; sorting the 1,500 rows by text here took a third of the
 * statement's time under EXPLAIN ANALYZE).
 * Counters from link_counters and error_counters (monotonic, kept by
 * triggers); gauges from the summaries kept by triggers (link_queue,
 * block_replicas, request_counts); link states as the overview says them;
 * agents running or stopped within the day; subscriptions per node and
 * state as /subscriptions says them.  Nothing summed from history. */
PX_SQL (webmon_metrics, "sec,a,b,c,d,value",
    LINKS_CTES ("), ")
    ", " SUBS_BLOCKS_CTE
    "p AS (SELECT sb.sub, sum(sb.files) AS files, coalesce(sum(r.files), 0) AS files_done, "
    "    bool_and(NOT sb.is_open) AS closed "
    "  FROM sb LEFT JOIN block_replicas r ON r.block = sb.block AND r.node = sb.node GROUP BY sb.sub), "
    "sx AS (SELECT x.node, " SUB_STATE " FROM (SELECT s.node, s.dataset, s.suspended_until, coalesce(p.files, 0) AS files, "
    "      coalesce(p.files_done, 0) AS files_done, coalesce(p.closed, true) AS closed "
    "    FROM subscriptions s LEFT JOIN p ON p.sub = s.id) x LEFT JOIN datasets d ON d.id = x.dataset), "
    "m AS ("
    /* Each summary read once, its samples unpivoted by LATERAL VALUES. */
    "  SELECT v.sec, fn.name AS a, tn.name AS b, v.c, NULL::text AS d, v.value::text AS value "
    "    FROM link_counters c JOIN nodes fn ON fn.id = c.from_node JOIN nodes tn ON tn.id = c.to_node "
    "    CROSS JOIN LATERAL (VALUES (1, 'done', c.done_files), (1, 'failed', c.fail_files), (1, 'expired', c.expire_files), "
    "      (2, 'done', c.done_bytes), (2, 'failed', c.fail_bytes), (2, 'expired', c.expire_bytes), "
    "      (3, NULL, c.try_files)) v (sec, c, value) "
    "  UNION ALL SELECT v.sec, fn.name, tn.name, CASE q.priority WHEN 0 THEN 'high' WHEN 1 THEN 'normal' ELSE 'low' END, "
    "    NULL, v.value::text "
    "    FROM (SELECT from_node, to_node, priority, sum(files) AS files, sum(bytes) AS bytes FROM link_queue "
    "      WHERE state = 'queued' AND files > 0 GROUP BY from_node, to_node, priority) q "
    "    JOIN nodes fn ON fn.id = q.from_node JOIN nodes tn ON tn.id = q.to_node "
    "    CROSS JOIN LATERAL (VALUES (4, q.files), (5, q.bytes)) v (sec, value) "
    "  UNION ALL SELECT v.sec, ys.from_name, ys.to_name, v.c, NULL, v.value "
    "    FROM (SELECT from_name, to_name, active_files, " LINK_STATE " FROM y) ys "
    "    CROSS JOIN LATERAL (VALUES (6, NULL, ys.active_files::text), (7, ys.state, '1')) v (sec, c, value) "
    "  UNION ALL SELECT 8, coalesce(fn.name, ''), coalesce(tn.name, ''), c.reason, "
    "    e.permanent::text, (CASE WHEN e.permanent THEN c.permanent ELSE c.errors - c.permanent END)::text "
    "    FROM error_counters c CROSS JOIN (VALUES (true), (false)) e (permanent) "
    "    LEFT JOIN nodes fn ON fn.id = c.from_node LEFT JOIN nodes tn ON tn.id = c.to_node "
    "  UNION ALL SELECT v.sec, n.name, a.agent, a.host, v.d, v.value FROM agents a JOIN nodes n ON n.id = a.node "
    "    CROSS JOIN LATERAL (VALUES (9, NULL, CASE WHEN px_alive(a) THEN '1' ELSE '0' END), "
    "      (10, NULL, extract(epoch FROM a.heartbeat)::float8::text), (11, coalesce(a.version, ''), '1')) v (sec, d, value) "
    "    WHERE a.stopped IS NULL OR a.stopped > now() - interval '1 day' "
    "  UNION ALL SELECT v.sec, n.name, NULL, NULL, NULL, v.value FROM nodes n "
    "    LEFT JOIN (SELECT node, sum(files) AS files, sum(bytes) AS bytes FROM block_replicas GROUP BY node) r ON r.node = n.id "
    "    CROSS JOIN LATERAL (VALUES (12, coalesce(r.files, 0)::bigint::text), (13, coalesce(r.bytes, 0)::bigint::text)) "
    "      v (sec, value) "
    "  UNION ALL SELECT 14, n.name, c.state, NULL, NULL, sum(c.files)::bigint::text "
    "    FROM request_counts c JOIN nodes n ON n.id = c.node WHERE c.files > 0 GROUP BY n.name, c.state "
    "  UNION ALL SELECT 15, n.name, sx.state, NULL, NULL, count(*)::text "
    "    FROM sx JOIN nodes n ON n.id = sx.node GROUP BY n.name, sx.state) "
    "SELECT sec, a, b, c, d, value FROM m");
