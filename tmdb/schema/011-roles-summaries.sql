-- 011-roles-summaries: the summary tables of 008 (status page) and 010
-- (queue counters) under the roles of 009.  Their triggers run as the TMDB's
-- owner (SECURITY DEFINER, search_path pinned), so a site role whose
-- statement changes tasks, replicas, requests, errors or link_history keeps
-- the summaries without being able to write them itself; the router's fold
-- of its own node's task_queue rows is a direct write, granted to site roles
-- (like link_history, these are statistics, not rows of work: no row-level
-- security).
DO $$
DECLARE
  f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['px_block_replicas_trigger()', 'px_block_replicas_recount()', 'px_task_bytes()',
                           'px_link_queue_trigger()', 'px_request_counts_trigger()',
                           'px_link_history_hourly_add()', 'px_link_history_hourly_insert()',
                           'px_link_history_rollup()', 'px_error_counters_add()', 'px_task_queue_add()'] LOOP
    EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = %I, pg_temp', f, current_schema());
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION px_grant_site(node_name text, r text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  n int;
  g text;
BEGIN
  SELECT id INTO n FROM nodes WHERE name = node_name;
  IF n IS NULL THEN
    RAISE EXCEPTION 'no node "%" in the TMDB', node_name USING ERRCODE = 'no_data_found';
  END IF;
  PERFORM px_role_login(r);
  INSERT INTO tmdb_roles (role, kind, node) VALUES (r, 'site', n)
    ON CONFLICT (role) DO UPDATE SET kind = 'site', node = n, created = now();
  EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO %I', current_schema(), r);
  FOREACH g IN ARRAY ARRAY[
      'INSERT, DELETE, UPDATE (state, claimed_by, claimed_at, attempts, next_try, from_pfn, to_pfn, tmp_pfn, '
        'seen_bytes, seen_checksum) ON tasks',
      'INSERT, DELETE, UPDATE (state, verified) ON replicas',
      'INSERT, UPDATE (state, reason, attempts, next_try, path, updated) ON requests',
      'INSERT, DELETE, UPDATE (requested) ON deletions',
      'INSERT ON errors',
      'INSERT, UPDATE (heartbeat, started, stopped, stale_after, version) ON agents',
      'INSERT, DELETE, UPDATE (created) ON leftovers',
      'UPDATE (expanded, completed, moved) ON subscriptions',
      'UPDATE (tfc, tfc_updated) ON nodes',
      'UPDATE (is_open) ON blocks',
      'INSERT, UPDATE ON link_history',
      'INSERT, DELETE ON task_queue',
      'INSERT, UPDATE ON handoff_limits',
      'UPDATE (state, reason, attempts, next_try, bytes, deleted_at) ON unmerged'] LOOP
    EXECUTE format('GRANT %s TO %I', g, r);
  END LOOP;
  RETURN r;
END $$;

-- Site roles granted before this migration get the new grant too.
SELECT px_grant_site(n.name, r.role) FROM tmdb_roles r JOIN nodes n ON n.id = r.node WHERE r.kind = 'site';
