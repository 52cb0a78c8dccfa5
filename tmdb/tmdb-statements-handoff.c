/* tmdb-statements-handoff.c — the production hand-off (phedex handoff,
 * catalog/handoff.c) and the cleanup of unmerged files (the delete agent,
 * phedex unmerged).  Schema: tmdb/schema/006-handoff.sql,
 * 007-handoff-blocks.sql. */
#include "config.h"
#include "tmdb-private.h"

/* ---- hand-off ---- */
/* Was the report with digest $2 handed off at node $1 already? */
PX_SQL (handoff_seen, "outcome,created",
    "SELECT outcome, to_char(created, 'YYYY-MM-DD HH24:MI:SS') AS created FROM handoff_reports "
    "WHERE node = $1 AND digest = $2");
/* The catalogue's identity of the files $1 (LFNs) that exist. */
PX_SQL (handoff_known, "lfn,guid,bytes,checksum",
    "SELECT f.lfn, f.guid, f.bytes, f.checksum FROM files f WHERE f.lfn = ANY($1::text[]) ORDER BY f.lfn");
/* The open block hand-offs fill for dataset $1 at node $2, if any. */
/* The node's block limits (handoff_limits, else the production defaults:
 * 500 files, 5 TB, 25 M events, 18 h); keep in step with agents/agent.c. */
#define LIMITS "LEFT JOIN handoff_limits l ON l.node = h.node "
#define FULL(b) "(coalesce(" b ".files, 0) >= coalesce(l.max_files, 500) " \
    "OR coalesce(" b ".bytes, 0) >= coalesce(l.max_bytes, 5000000000000) " \
    "OR h.events >= coalesce(l.max_events, 25000000) " \
    "OR coalesce(" b ".created, now()) <= now() - make_interval(secs => coalesce(l.max_age, 64800)))"
/* The open block hand-offs fill for dataset $1 at node $2, if any and not
 * yet at a limit. */
PX_SQL (handoff_block, "block",
    "SELECT h.block FROM handoff_blocks h LEFT JOIN blocks b ON b.name = h.block " LIMITS
    "WHERE h.dataset = $1 AND h.node = $2 AND coalesce(b.is_open, true) AND NOT " FULL ("b"));
/* Block $3 fills for dataset $1 at node $2; $4 more events in it. */
PX_SQL (handoff_block_set, "",
    "INSERT INTO handoff_blocks (dataset, node, block, events) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (dataset, node) DO UPDATE SET block = excluded.block, events = excluded.events "
    "  + CASE WHEN handoff_blocks.block = excluded.block THEN handoff_blocks.events ELSE 0 END");
/* Close the hand-off blocks at node $1 that reached a limit (files, bytes,
 * events, age); returns their names. */
PX_SQL (handoff_blocks_close, "block",
    "WITH c AS (UPDATE blocks b SET is_open = false FROM handoff_blocks h " LIMITS
    "  WHERE b.name = h.block AND h.node = $1 AND b.is_open AND " FULL ("b") " RETURNING b.name) "
    "SELECT name AS block FROM c ORDER BY name");
/* The delete agent uploads its node's limits ($2 files, $3 bytes, $4 events, $5 s). */
PX_SQL (handoff_limits_set, "",
    "INSERT INTO handoff_limits (node, max_files, max_bytes, max_events, max_age) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (node) DO UPDATE SET max_files = excluded.max_files, max_bytes = excluded.max_bytes, "
    "  max_events = excluded.max_events, max_age = excluded.max_age, updated = now() "
    "WHERE (handoff_limits.max_files, handoff_limits.max_bytes, handoff_limits.max_events, handoff_limits.max_age) "
    "  IS DISTINCT FROM (excluded.max_files, excluded.max_bytes, excluded.max_events, excluded.max_age)");
/* Is dataset $1 closed (phedex dataset close: final)? */
PX_SQL (handoff_dataset_closed, "closed",
    "SELECT 1 AS closed FROM datasets WHERE name = $1 AND NOT is_open");
/* phedex block close: block $1 closed for good (found: 0 when unknown;
 * closed: 0 when it was closed already). */
PX_SQL (block_close, "found,closed",
    "WITH b AS (SELECT id, is_open FROM blocks WHERE name = $1 FOR UPDATE), "
    "u AS (UPDATE blocks SET is_open = false FROM b WHERE blocks.id = b.id AND b.is_open RETURNING 1) "
    "SELECT (SELECT count(*) FROM b) AS found, (SELECT count(*) FROM u) AS closed");
/* phedex dataset close: dataset $1 and all its blocks closed for good. */
PX_SQL (dataset_close, "found,closed,blocks",
    "WITH d AS (SELECT id, is_open FROM datasets WHERE name = $1 FOR UPDATE), "
    "ub AS (UPDATE blocks SET is_open = false WHERE dataset IN (SELECT id FROM d) AND is_open RETURNING 1), "
    "ud AS (UPDATE datasets SET is_open = false FROM d WHERE datasets.id = d.id AND d.is_open RETURNING 1) "
    "SELECT (SELECT count(*) FROM d) AS found, (SELECT count(*) FROM ud) AS closed, (SELECT count(*) FROM ub) AS blocks");
/* Record the report (node $1, digest $2, name $3, outcome $4, failure $5);
 * no row when another session recorded it first. */
PX_SQL (handoff_report_add, "id",
    "INSERT INTO handoff_reports (node, digest, name, outcome, failure) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (node, digest) DO NOTHING RETURNING id");
PX_SQL (handoff_report_outcome, "",
    "UPDATE handoff_reports SET outcome = $2 WHERE id = $1");
/* Unmerged files $2 (bytes $3, NULL when unknown) at node $1 of origin $4;
 * files already known keep their record.  Returns how many are new. */
PX_SQL (handoff_unmerged_add, "added",
    "WITH i AS (INSERT INTO unmerged (node, lfn, bytes, origin) "
    "  SELECT $1, x.lfn, x.bytes, $4 FROM unnest($2::text[], $3::bigint[]) AS x(lfn, bytes) "
    "  ON CONFLICT (node, lfn) DO NOTHING RETURNING 1) "
    "SELECT count(*) AS added FROM i");
/* The merge relation of report $1 at node $2: merged file $3[k] made from
 * unmerged file $4[k].  Returns how many pairs are new. */
PX_SQL (handoff_merges_add, "added",
    "WITH i AS (INSERT INTO merges (report, merged, unmerged) "
    "  SELECT $1, f.id, u.id FROM unnest($3::text[], $4::text[]) AS x(merged, unmerged) "
    "  JOIN files f ON f.lfn = x.merged JOIN unmerged u ON u.node = $2 AND u.lfn = x.unmerged "
    "  ON CONFLICT (merged, unmerged) DO NOTHING RETURNING unmerged), "
    "t AS (UPDATE unmerged u SET merged_at = now() FROM i WHERE u.id = i.unmerged AND u.merged_at IS NULL RETURNING 1) "
    "SELECT count(*) AS added FROM i");
/* Hold the unmerged files $2 at node $1 for reason $3 (report $4 or NULL:
 * an operator); an identical active hold is not repeated. */
PX_SQL (handoff_hold_add, "added",
    "WITH i AS (INSERT INTO unmerged_holds (node, lfn, reason, report) "
    "  SELECT DISTINCT $1::int, x, $3, $4::bigint FROM unnest($2::text[]) AS x WHERE NOT EXISTS (SELECT 1 FROM unmerged_holds h "
    "    WHERE h.node = $1 AND h.lfn = x AND h.reason = $3 AND h.released IS NULL) RETURNING 1) "
    "SELECT count(*) AS added FROM i");

/* ---- unmerged cleanup ---- */
/* The delete agent's decision for node $1, in one statement at delete time:
 * an unmerged file U may go only when (a) a successful merge report lists U
 * as a primary input (a merges row), (b) every merged file made from U has
 * a good (verified) replica at the node, (c) each such merged file whose
 * dataset or block has a custodial subscription has a good replica at an
 * MSS node, and (d) no active hold covers U.  Every other waiting file gets
 * its reason stored; a file whose deletion failed keeps its reason until
 * its next try.  Claims at most $2 deletable files (state deleting) and
 * returns them.  Files left 'deleting' by an agent that died are decided
 * again (a removal that had happened finds the file gone). */
PX_SQL (unmerged_decide, "id,lfn,bytes",
    "WITH c AS (SELECT u.id, u.lfn, u.bytes, u.state, "
    "  CASE "
    "    WHEN h.reason IS NOT NULL THEN 'held: ' || h.reason "
    "    WHEN NOT EXISTS (SELECT 1 FROM merges m WHERE m.unmerged = u.id) THEN 'no-merge-record' "
    "    WHEN EXISTS (SELECT 1 FROM merges m WHERE m.unmerged = u.id AND NOT EXISTS (SELECT 1 FROM replicas r "
    "      WHERE r.file = m.merged AND r.node = u.node AND r.state = 'ok')) THEN 'merged-not-verified' "
    "    WHEN EXISTS (SELECT 1 FROM merges m JOIN files f ON f.id = m.merged JOIN blocks b ON b.id = f.block "
    "      WHERE m.unmerged = u.id "
    "        AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.is_custodial AND (s.dataset = b.dataset OR s.block = b.id)) "
    "        AND NOT EXISTS (SELECT 1 FROM replicas r JOIN nodes n ON n.id = r.node WHERE r.file = m.merged "
    "          AND r.state = 'ok' AND n.kind = 'MSS')) THEN 'no-custodial-copy' "
    "    WHEN u.state = 'waiting' AND u.next_try > now() THEN u.reason "
    "  END AS why "
    "  FROM unmerged u "
    "  LEFT JOIN LATERAL (SELECT h.reason FROM unmerged_holds h WHERE h.node = u.node AND h.released IS NULL "
    "    AND (h.lfn = u.lfn OR starts_with(u.lfn, h.dir)) ORDER BY h.id LIMIT 1) h ON true "
    "  WHERE u.node = $1 AND u.state IN ('waiting', 'deleting') FOR UPDATE OF u), "
    "refused AS (UPDATE unmerged u SET reason = c.why, state = 'waiting' FROM c "
    "  WHERE u.id = c.id AND c.why IS NOT NULL AND (u.reason IS DISTINCT FROM c.why OR u.state <> 'waiting') RETURNING 1), "
    "pick AS (SELECT id FROM c WHERE why IS NULL ORDER BY id LIMIT $2), "
    "claimed AS (UPDATE unmerged u SET state = 'deleting', reason = NULL FROM pick WHERE u.id = pick.id "
    "  RETURNING u.id, u.lfn, u.bytes) "
    "SELECT id, lfn, bytes FROM claimed ORDER BY id");
/* Unmerged file $1 is gone from storage ($2: its size when it was seen, or NULL). */
PX_SQL (unmerged_deleted, "",
    "UPDATE unmerged SET state = 'deleted', deleted_at = now(), reason = NULL, bytes = coalesce($2, bytes) "
    "WHERE id = $1 AND state = 'deleting'");
/* Removing unmerged file $1 failed with $2: try again after $3 s doubled
 * per attempt, at most $4 s. */
PX_SQL (unmerged_delete_failed, "",
    "UPDATE unmerged SET state = 'waiting', reason = 'delete-failed: ' || $2, attempts = attempts + 1, "
    "  next_try = now() + make_interval(secs => least($4::float8, $3::float8 * power(2, least(attempts, 30)))) "
    "WHERE id = $1");
/* phedex unmerged: files and bytes per category at node $1 (bytes_unknown:
 * files whose size was never seen). */
PX_SQL (unmerged_summary, "category,files,bytes,bytes_unknown",
    "SELECT category, count(*) AS files, coalesce(sum(bytes), 0) AS bytes, count(*) FILTER (WHERE bytes IS NULL) "
    "  AS bytes_unknown FROM (SELECT CASE WHEN state = 'deleted' THEN 'deleted' WHEN state = 'deleting' THEN 'deleting' "
    "    WHEN reason IS NULL THEN 'deletable' WHEN reason LIKE 'held: %' THEN 'held' "
    "    WHEN reason LIKE 'delete-failed: %' THEN 'failed' ELSE reason END AS category, bytes "
    "  FROM unmerged WHERE node = $1) x GROUP BY category ORDER BY category");
/* phedex unmerged: the oldest file not deleted, and the time from merge
 * report to deletion (s, p50 and p95). */
PX_SQL (unmerged_times, "oldest_lfn,oldest_age,p50,p95",
    "SELECT (SELECT lfn FROM unmerged WHERE node = $1 AND state <> 'deleted' ORDER BY created, id LIMIT 1) AS oldest_lfn, "
    "  (SELECT extract(epoch FROM now() - min(created))::bigint FROM unmerged WHERE node = $1 AND state <> 'deleted') "
    "    AS oldest_age, "
    "  round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM deleted_at - merged_at)))::bigint AS p50, "
    "  round(percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM deleted_at - merged_at)))::bigint AS p95 "
    "FROM unmerged WHERE node = $1 AND state = 'deleted' AND merged_at IS NOT NULL");
/* phedex unmerged --list: the files not deleted, with their state and reason. */
PX_SQL (unmerged_list, "lfn,state,reason,bytes",
    "SELECT lfn, state, coalesce(reason, '') AS reason, bytes FROM unmerged WHERE node = $1 "
    "  AND ($2::boolean OR state <> 'deleted') ORDER BY lfn");
/* phedex unmerged hold: an operator's hold at node $1 on LFN $2 or
 * directory $3, for reason $4. */
PX_SQL (unmerged_hold, "id",
    "INSERT INTO unmerged_holds (node, lfn, dir, reason) VALUES ($1, $2, $3, $4) RETURNING id");
/* phedex unmerged release: end the active holds at node $1 on exactly LFN
 * $2 or directory $3. */
PX_SQL (unmerged_release, "released",
    "WITH r AS (UPDATE unmerged_holds SET released = now() WHERE node = $1 AND released IS NULL "
    "  AND (lfn = $2 OR dir = $3) RETURNING 1) SELECT count(*) AS released FROM r");

/* ---- auto-subscription policies ---- */
/* phedex policy add: pattern $1 at node $2 ($3 kind, $4 priority, $5
 * group); a custodial policy needs an MSS node (no row otherwise: mss
 * tells why).  Replaces the node's policy for the same pattern. */
PX_SQL (policy_add, "id,mss",
    "INSERT INTO handoff_policies (pattern, node, kind, priority, user_group) "
    "SELECT $1, n.id, $3, $4, $5 FROM nodes n WHERE n.name = $2 AND ($3 <> 'custodial' OR n.kind = 'MSS') "
    "ON CONFLICT (pattern, node) DO UPDATE SET kind = excluded.kind, priority = excluded.priority, "
    "  user_group = excluded.user_group RETURNING id, true AS mss");
PX_SQL (policy_list, "id,pattern,node,kind,priority,group",
    "SELECT p.id, p.pattern, n.name AS node, p.kind, p.priority, p.user_group AS \"group\" FROM handoff_policies p "
    "JOIN nodes n ON n.id = p.node ORDER BY p.pattern, n.name");
PX_SQL (policy_rm, "removed",
    "WITH d AS (DELETE FROM handoff_policies WHERE id = $1 RETURNING 1) SELECT count(*) AS removed FROM d");
/* phedex handoff: the policies matching datasets $1 become dataset
 * subscriptions (an existing subscription of the dataset at the node is
 * left as it is); returns the new ones. */
PX_SQL (policy_apply, "dataset,node,kind",
    "WITH m AS (SELECT d.id AS dataset, d.name, p.node, p.kind, p.priority, p.user_group FROM handoff_policies p "
    "  JOIN datasets d ON d.name = ANY($1::text[]) AND d.name LIKE " PX_POLICY_LIKE "), "
    "i AS (INSERT INTO subscriptions (dataset, node, priority, is_move, is_custodial, user_group) "
    "  SELECT DISTINCT ON (dataset, node) dataset, node, priority, kind = 'move', kind = 'custodial', user_group FROM m "
    "  ORDER BY dataset, node, kind = 'custodial' DESC "
    "  ON CONFLICT (dataset, node) WHERE dataset IS NOT NULL DO NOTHING RETURNING dataset, node, is_move, is_custodial) "
    "SELECT d.name AS dataset, n.name AS node, CASE WHEN i.is_custodial THEN 'custodial' WHEN i.is_move THEN 'move' "
    "  ELSE 'replica' END AS kind FROM i JOIN datasets d ON d.id = i.dataset JOIN nodes n ON n.id = i.node "
    "ORDER BY 1, 2");
/* Blocks named $2 were filled by a hand-off at node $1. */
PX_SQL (handoff_produced_add, "",
    "INSERT INTO handoff_produced (block, node) SELECT b.id, $1 FROM blocks b WHERE b.name = ANY($2::text[]) "
    "ON CONFLICT (block) DO NOTHING");
/* phedex unmerged scan: which of LFNs $2 at node $1 are orphans (no merge
 * record, no active hold). */
PX_SQL (unmerged_orphans, "lfn",
    "SELECT x.lfn FROM unnest($2::text[]) AS x(lfn) WHERE NOT EXISTS (SELECT 1 FROM unmerged u JOIN merges m "
    "  ON m.unmerged = u.id WHERE u.node = $1 AND u.lfn = x.lfn) AND NOT EXISTS (SELECT 1 FROM unmerged_holds h "
    "  WHERE h.node = $1 AND h.released IS NULL AND (h.lfn = x.lfn OR starts_with(x.lfn, h.dir)))");
/* phedex unmerged scan: record the scan of node $1 (source $2, 'storage' or
 * 'dump'): $3 files listed, $4 orphans left of $5 bytes, the oldest $6 s
 * old (NULL: none or unknown). */
PX_SQL (unmerged_scan_record, "",
    "INSERT INTO unmerged_scans (node, source, listed, orphan_files, orphan_bytes, oldest_age) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (node) DO UPDATE SET scanned_at = now(), source = excluded.source, "
    "  listed = excluded.listed, orphan_files = excluded.orphan_files, orphan_bytes = excluded.orphan_bytes, "
    "  oldest_age = excluded.oldest_age");
/* phedex unmerged, /nodes/NODE: node $1's last orphan scan (no row: never
 * scanned); age: seconds since it. */
PX_SQL (unmerged_scan_last, "scanned_utc,age,source,listed,orphan_files,orphan_bytes,oldest_age",
    "SELECT to_char(scanned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS scanned_utc, "
    "  extract(epoch FROM now() - scanned_at)::bigint AS age, source, listed, orphan_files, orphan_bytes, oldest_age "
    "FROM unmerged_scans WHERE node = $1");
