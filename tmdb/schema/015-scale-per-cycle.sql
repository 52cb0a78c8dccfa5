-- 015-scale-per-cycle.sql: work that grew with the size of the TMDB in every
-- router cycle or every routed batch, found with EXPLAIN ANALYZE on a
-- 1M-file run (#11, bench-routing.sh BENCH_FILES=1000000 BENCH_PROFILE=1
-- BENCH_EXPLAIN_ANALYZE=1).

-- files_block is a prefix of files_block_id.  With both, the planner chose
-- the smaller one for router_expand and filtered every file of the
-- subscription's blocks by id in every cycle (250 ms a cycle at 1M files)
-- instead of seeking past the subscription's watermark (6 ms).  Every query
-- by block is served by files_block_id; one index write less per file.
DROP INDEX IF EXISTS files_block;

-- The reference checks of new requests and tasks probe files by key per new
-- row (OFFSET 0: the subquery is not turned into an anti-join).  As an
-- anti-join the planner hashed every file for a routed batch of 32,000
-- tasks (500 ms at 1M files); a probe is about a microsecond.
CREATE OR REPLACE FUNCTION px_requests_refs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM px_refs_missing('node', 'requests', (SELECT min(n.node) FROM (SELECT DISTINCT node FROM new_rows) n
    WHERE NOT EXISTS (SELECT 1 FROM nodes x WHERE x.id = n.node)));
  PERFORM 1 FROM nodes x WHERE x.id IN (SELECT DISTINCT node FROM new_rows) FOR KEY SHARE;
  PERFORM px_refs_missing('subscription', 'requests', (SELECT min(n.subscription) FROM
    (SELECT DISTINCT subscription FROM new_rows WHERE subscription IS NOT NULL) n
    WHERE NOT EXISTS (SELECT 1 FROM subscriptions x WHERE x.id = n.subscription)));
  PERFORM 1 FROM subscriptions x WHERE x.id IN (SELECT DISTINCT subscription FROM new_rows) FOR KEY SHARE;
  PERFORM px_refs_missing('file', 'requests', (SELECT min(n.file) FROM new_rows n
    WHERE NOT EXISTS (SELECT 1 FROM files x WHERE x.id = n.file OFFSET 0)));
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION px_tasks_refs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM px_refs_missing('node', 'tasks', (SELECT min(n.node) FROM
    (SELECT from_node AS node FROM new_rows UNION SELECT to_node FROM new_rows UNION SELECT for_node FROM new_rows) n
    WHERE n.node IS NOT NULL AND NOT EXISTS (SELECT 1 FROM nodes x WHERE x.id = n.node)));
  PERFORM 1 FROM nodes x WHERE x.id IN (SELECT from_node FROM new_rows UNION SELECT to_node FROM new_rows
    UNION SELECT for_node FROM new_rows) FOR KEY SHARE;
  PERFORM px_refs_missing('file', 'tasks', (SELECT min(n.file) FROM new_rows n
    WHERE NOT EXISTS (SELECT 1 FROM files x WHERE x.id = n.file OFFSET 0)));
  RETURN NULL;
END $$;

-- CREATE OR REPLACE resets what 013 set on them.
DO $$
DECLARE
  f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['px_requests_refs()', 'px_tasks_refs()'] LOOP
    EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = %I, pg_temp', f, current_schema());
  END LOOP;
END $$;
