/* tmdb-statements-report.c — the read-only reports behind `phedex queue`,
 * `errors`, `nodes`, `links` and `status`: one statement per report, all
 * aggregation in SQL.  Each returns its columns in the order the command's
 * table shows them.  Optional filters are $n::text IS NULL OR ...; an agent is
 * alive as px_alive (tmdb/schema/004-faults.sql) says. */
#include "config.h"
#include "tmdb-private.h"

/* An agent is alive: px_alive (tmdb/schema/004-faults.sql). */
#define ALIVE "px_alive(agents)"
#define PRIORITY_NAME(p) "CASE " p " WHEN 0 THEN 'high' WHEN 1 THEN 'normal' WHEN 2 THEN 'low' END"

/* phedex nodes: name, kind, good replicas (files, bytes), agents alive,
 * storage.xml uploaded. */
PX_SQL (report_nodes, "name,kind,files,bytes,agents,has_tfc",
    "SELECT n.name, n.kind, coalesce(r.files, 0) AS files, coalesce(r.bytes, 0) AS bytes, a.agents, "
    "  n.tfc IS NOT NULL AS has_tfc "
    "FROM nodes n "
    "LEFT JOIN (SELECT r.node, count(*) AS files, sum(f.bytes) AS bytes FROM replicas r JOIN files f ON f.id = r.file "
    "  WHERE r.state = 'ok' GROUP BY r.node) r ON r.node = n.id "
    "LEFT JOIN (SELECT node, string_agg(DISTINCT agent, ',' ORDER BY agent) AS agents FROM agents WHERE " ALIVE
    "  GROUP BY node) a ON a.node = n.id "
    "ORDER BY n.name");
/* phedex links [$1 node]: from, to, distance, active, measured rate, queued
 * files and bytes now, errors in the last hour, download agent alive at the
 * destination; from the summaries kept by triggers, not the open tasks or
 * the errors of the hour (also phedex-webmon's /links).  The rate is the
 * bytes done in the history bins of the last hour over the time they span:
 * from the first bin's start to the last bin's end (now, for the current
 * bin) — an idle stretch after the last bin does not dilute it.  NULL
 * without history. */
PX_SQL (report_links, "from_name,to_name,distance,active,rate,queued_files,queued_bytes,errors,download_alive",
    "WITH h AS (SELECT from_node, to_node, sum(done_bytes) AS done_bytes, "
    "    extract(epoch FROM least(max(time_bin) + interval '5 minutes', now()) - min(time_bin)) AS span "
    "  FROM link_history WHERE time_bin > now() - interval '1 hour' GROUP BY from_node, to_node), "
    /* The queue from link_queue (kept by triggers, tmdb/schema/008-webmon-speed.sql), not the open tasks. */
    "q AS (SELECT from_node, to_node, sum(files) AS files, sum(bytes) AS bytes FROM link_queue "
    "  WHERE state = 'queued' GROUP BY from_node, to_node), "
    /* Errors of the last hour: the whole 5-minute bins from error_summary
     * (tmdb/schema/005-webmon.sql), the errors of the first, partial bin
     * one by one (a few minutes of errors by errors_time). */
    "e AS (SELECT from_node, to_node, sum(n) AS n FROM ("
    "    SELECT from_node, to_node, errors AS n FROM error_summary "
    "      WHERE time_bin >= px_bin(now() - interval '1 hour') + interval '5 minutes' "
    "    UNION ALL SELECT from_node, to_node, 1 FROM errors WHERE time > now() - interval '1 hour' "
    "      AND time < px_bin(now() - interval '1 hour') + interval '5 minutes') x "
    "  GROUP BY from_node, to_node), "
    "a AS (SELECT DISTINCT node FROM agents WHERE agent = 'download' AND " ALIVE ") "
    "SELECT fn.name AS from_name, tn.name AS to_name, l.distance, l.active, "
    "  CASE WHEN h.span > 0 THEN round(h.done_bytes / h.span::numeric)::bigint END AS rate, "
    "  coalesce(q.files, 0) AS queued_files, coalesce(q.bytes, 0) AS queued_bytes, coalesce(e.n, 0) AS errors, "
    "  a.node IS NOT NULL AS download_alive "
    "FROM links l JOIN nodes fn ON fn.id = l.from_node JOIN nodes tn ON tn.id = l.to_node "
    "LEFT JOIN h ON h.from_node = l.from_node AND h.to_node = l.to_node "
    "LEFT JOIN q ON q.from_node = l.from_node AND q.to_node = l.to_node "
    "LEFT JOIN e ON e.from_node = l.from_node AND e.to_node = l.to_node "
    "LEFT JOIN a ON a.node = l.to_node "
    "WHERE $1::text IS NULL OR fn.name = $1 OR tn.name = $1 "
    "ORDER BY fn.name, tn.name");
/* phedex queue [$1 to] [$2 from]: per link and priority, the open tasks
 * now: queued, active, copied and being verified/published (files,
 * bytes), and how long the oldest queued one has waited (s). */
PX_SQL (report_queue, "from_name,to_name,priority,queued_files,queued_bytes,active_files,active_bytes,verifying_files,verifying_bytes,oldest",
    "SELECT fn.name AS from_name, tn.name AS to_name, " PRIORITY_NAME ("x.priority") " AS priority, "
    "  count(*) FILTER (WHERE x.state = 'queued') AS queued_files, "
    "  coalesce(sum(f.bytes) FILTER (WHERE x.state = 'queued'), 0) AS queued_bytes, "
    "  count(*) FILTER (WHERE x.state = 'active') AS active_files, "
    "  coalesce(sum(f.bytes) FILTER (WHERE x.state = 'active'), 0) AS active_bytes, "
    "  count(*) FILTER (WHERE x.state IN ('transferred', 'verified')) AS verifying_files, "
    "  coalesce(sum(f.bytes) FILTER (WHERE x.state IN ('transferred', 'verified')), 0) AS verifying_bytes, "
    "  extract(epoch FROM now() - min(x.created) FILTER (WHERE x.state = 'queued'))::bigint AS oldest "
    "FROM tasks x JOIN files f ON f.id = x.file JOIN nodes fn ON fn.id = x.from_node JOIN nodes tn ON tn.id = x.to_node "
    "WHERE x.state IN ('queued', 'active', 'transferred', 'verified') "
    "  AND ($1::text IS NULL OR tn.name = $1) AND ($2::text IS NULL OR fn.name = $2) "
    "GROUP BY fn.name, tn.name, x.priority ORDER BY fn.name, tn.name, x.priority");
/* phedex errors [$1 to] [$2 from] $3 hours [$4 limit]: per link and
 * reason, the errors of the last $3 hours: count, how many permanent, the
 * last one's time (UTC ISO 8601 and local for people) and log.  With $4,
 * the $4 groups with the latest errors.  Errors at rest have no source. */
PX_SQL (report_errors, "from_name,to_name,reason,n,permanent,last_utc,last_local,log",
    "WITH e AS (SELECT e.from_node, e.to_node, e.reason, e.time, e.permanent, e.log, "
    "    row_number() OVER (PARTITION BY e.from_node, e.to_node, e.reason ORDER BY e.time DESC, e.id DESC) AS nth "
    "  FROM errors e WHERE e.time > now() - make_interval(secs => $3::float8 * 3600) "
    "    AND ($1::text IS NULL OR e.to_node = (SELECT id FROM nodes WHERE name = $1)) "
    "    AND ($2::text IS NULL OR e.from_node = (SELECT id FROM nodes WHERE name = $2))), "
    "g AS (SELECT from_node, to_node, reason, count(*) AS n, count(*) FILTER (WHERE permanent) AS permanent, "
    "    max(time) AS last, min(log) FILTER (WHERE nth = 1) AS log FROM e GROUP BY from_node, to_node, reason "
    "  ORDER BY max(time) DESC, reason LIMIT $4::bigint) "
    "SELECT fn.name AS from_name, tn.name AS to_name, g.reason, g.n, g.permanent, "
    "  to_char(g.last AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS last_utc, "
    "  to_char(g.last, 'YYYY-MM-DD HH24:MI:SS') AS last_local, g.log "
    "FROM g LEFT JOIN nodes fn ON fn.id = g.from_node LEFT JOIN nodes tn ON tn.id = g.to_node "
    "ORDER BY fn.name NULLS FIRST, tn.name, g.reason");
/* phedex status, per subscription: item, node, priority, move, state
 * (done: every file has a good replica at the node and no block, nor a
 * subscribed dataset, is open; complete: every file there; suspended;
 * active), suspended until (UTC), files and bytes done and in all, open
 * hops for the node, files given up or without source or path, rate (bytes
 * of the subscription's files arriving at the node in the last hour, over
 * the part of the hour the subscription existed, at least a minute) and
 * ETA (s, remaining bytes at that rate; NULL when nothing is left, nothing
 * arrived or suspended). */
PX_SQL (report_status_subscriptions, "item,node,priority,is_move,state,suspended_utc,suspended_local,files_done,files,bytes_done,bytes,queued,failed,rate,eta",
    "WITH sb AS (SELECT s.id AS sub, b.id AS block, b.is_open FROM subscriptions s JOIN blocks b ON b.dataset = s.dataset "
    "  UNION ALL SELECT s.id, b.id, b.is_open FROM subscriptions s JOIN blocks b ON b.id = s.block), "
    "ot AS (SELECT file, for_node, count(*) AS n FROM tasks WHERE state IN ('queued', 'active', 'transferred', 'verified') "
    "  GROUP BY file, for_node), "
    "rd AS (SELECT DISTINCT file, to_node FROM tasks WHERE state = 'done' AND to_node = for_node "
    "  AND done_at > now() - interval '1 hour'), "
    "p AS (SELECT s.id, count(f.id) AS files, coalesce(sum(f.bytes), 0) AS bytes, count(r.file) AS files_done, "
    "    coalesce(sum(f.bytes) FILTER (WHERE r.file IS NOT NULL), 0) AS bytes_done, coalesce(sum(ot.n), 0) AS queued, "
    "    count(q.file) FILTER (WHERE q.state IN ('gave_up', 'no_source', 'no_path')) AS failed, "
    "    coalesce(sum(f.bytes) FILTER (WHERE rd.file IS NOT NULL), 0) AS recent, "
    "    coalesce(bool_and(NOT sb.is_open), true) AS closed, "
    "    least(3600, greatest(60, extract(epoch FROM now() - s.created)))::numeric AS span "
    "  FROM subscriptions s LEFT JOIN sb ON sb.sub = s.id LEFT JOIN files f ON f.block = sb.block "
    "  LEFT JOIN replicas r ON r.file = f.id AND r.node = s.node AND r.state = 'ok' "
    "  LEFT JOIN ot ON ot.file = f.id AND ot.for_node = s.node "
    "  LEFT JOIN requests q ON q.file = f.id AND q.node = s.node "
    "  LEFT JOIN rd ON rd.file = f.id AND rd.to_node = s.node "
    "  GROUP BY s.id) "
    "SELECT coalesce(d.name, b.name) AS item, n.name AS node, " PRIORITY_NAME ("s.priority") " AS priority, s.is_move, "
    "  CASE WHEN p.files > 0 AND p.files_done = p.files AND p.closed AND NOT coalesce(d.is_open, false) THEN 'done' "
    "    WHEN p.files > 0 AND p.files_done = p.files THEN 'complete' "
    "    WHEN s.suspended_until > now() THEN 'suspended' ELSE 'active' END AS state, "
    "  CASE WHEN s.suspended_until = 'infinity' THEN 'infinity' WHEN s.suspended_until > now() THEN "
    "    to_char(s.suspended_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') END AS suspended_utc, "
    "  CASE WHEN s.suspended_until > now() AND s.suspended_until <> 'infinity' THEN "
    "    to_char(s.suspended_until, 'YYYY-MM-DD HH24:MI') END AS suspended_local, "
    "  p.files_done, p.files, p.bytes_done, p.bytes, p.queued, p.failed, "
    "  CASE WHEN p.recent > 0 THEN round(p.recent / p.span)::bigint END AS rate, "
    "  CASE WHEN p.recent > 0 AND p.bytes > p.bytes_done AND NOT coalesce(s.suspended_until > now(), false) "
    "    THEN ceil((p.bytes - p.bytes_done) * p.span / p.recent)::bigint END AS eta "
    "FROM subscriptions s JOIN p ON p.id = s.id JOIN nodes n ON n.id = s.node "
    "LEFT JOIN datasets d ON d.id = s.dataset LEFT JOIN blocks b ON b.id = s.block "
    "ORDER BY 1, 2");
/* phedex status: tasks per link and state. */
PX_SQL (report_status_tasks, "from_name,to_name,state,tasks",
    "SELECT f.name AS from_name, t.name AS to_name, x.state, count(*) AS tasks FROM tasks x JOIN nodes f ON f.id = x.from_node "
    "JOIN nodes t ON t.id = x.to_node GROUP BY 1, 2, 3 ORDER BY 1, 2, 3");
/* phedex status: agents running or stopped within the hour. */
PX_SQL (report_status_agents, "node,agent,host,pid,heartbeat_age,stopped",
    "SELECT n.name AS node, a.agent, a.host, a.pid, extract(epoch FROM now() - a.heartbeat)::int AS heartbeat_age, "
    "  a.stopped IS NOT NULL AS stopped "
    "FROM agents a JOIN nodes n ON n.id = a.node WHERE a.stopped IS NULL OR a.stopped > now() - interval '1 hour' "
    "ORDER BY n.name, a.agent");
