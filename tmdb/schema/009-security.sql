-- 009-security: each site touches only its own work, readers cannot write,
-- data-manager actions are audited.  Enforced by PostgreSQL itself.
--
-- Who is who: tmdb_roles maps a login role to what it is.
--   site     the agents of one node (phedex db grant-site NODE --role R)
--   manager  data managers: inject, subscribe, delete, node/link admin
--            (phedex db grant-manager R)
--   reader   read-only consumers (phedex db grant-reader R)
-- The TMDB's owner (and superusers) are not subject to row-level security
-- (RLS is enabled, not forced): tests, the demo and `phedex db init` run as
-- the owner and see no difference.  Any other role writes only through the
-- policies below, so a role that is neither the owner nor granted through
-- phedex db grant-* can no longer write rows of these tables.
--
-- The row rules (policies), by table; "me" is px_my_node(), the node of the
-- connected site role:
--   tasks      insert hops for my requests (for_node = me); update tasks
--              into me (to_node = me: claim, report, verify, publish); a
--              router may only expire (queued -> failed) or drop (delete
--              while queued) the hops of its own requests at other nodes
--   replicas   insert, update, delete at my node only
--   requests   my node's requests only
--   deletions  my node's; at another node only a 'move' deletion of a file
--              I hold under a move subscription of mine, or a 'transit'
--              deletion of a copy a done hop of my request left there
--   errors     insert about tasks into me or hops of my requests
--   agents     register and heartbeat agents of my node only
--   leftovers, handoff_limits, unmerged (update): my node's only
--   subscriptions (expanded, completed, moved), nodes (tfc), blocks
--              (is_open of my hand-off blocks): my node's only
-- Cross-site effects the design needs and that no site could write itself
-- happen in SECURITY DEFINER triggers that check exactly that case:
--   a failed hop hands its request back to the destination's router
--   (px_task_failed), a published hop releases the destination's request
--   for its next hop (px_task_hop_done); the aggregate tables
--   (error_summary, link_counters) are kept by their triggers.

CREATE TABLE tmdb_roles (
  role    name PRIMARY KEY,
  kind    text NOT NULL CHECK (kind IN ('site', 'manager', 'reader')),
  node    int REFERENCES nodes ON DELETE CASCADE,
  created timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'site') = (node IS NOT NULL))
);
CREATE INDEX tmdb_roles_node ON tmdb_roles (node);
GRANT SELECT ON tmdb_roles TO PUBLIC;

-- The node of the connected site role (NULL for any other role).  Policies
-- call it as (SELECT px_my_node()): evaluated once per statement.
CREATE FUNCTION px_my_node() RETURNS int LANGUAGE sql STABLE AS $$
  SELECT node FROM tmdb_roles WHERE role = current_user AND kind = 'site'
$$;
CREATE FUNCTION px_is_manager() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM tmdb_roles WHERE role = current_user AND kind = 'manager')
$$;

-- Every RLS table: anyone granted SELECT reads every row; managers write
-- any row; sites by the rules above.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tasks', 'replicas', 'requests', 'deletions', 'errors', 'agents', 'leftovers',
                           'subscriptions', 'nodes', 'blocks', 'handoff_reports', 'unmerged', 'merges',
                           'unmerged_holds', 'handoff_blocks', 'handoff_limits', 'handoff_policies',
                           'handoff_produced'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY px_read ON %I FOR SELECT USING (true)', t);
    EXECUTE format('CREATE POLICY px_manager ON %I USING ((SELECT px_is_manager())) '
                   'WITH CHECK ((SELECT px_is_manager()))', t);
  END LOOP;
END $$;

CREATE POLICY px_site_insert ON tasks FOR INSERT WITH CHECK (for_node = (SELECT px_my_node()));
CREATE POLICY px_site_update ON tasks FOR UPDATE
  USING (to_node = (SELECT px_my_node()) OR (for_node = (SELECT px_my_node()) AND state = 'queued'))
  WITH CHECK (to_node = (SELECT px_my_node()) OR (for_node = (SELECT px_my_node()) AND state = 'failed'));
CREATE POLICY px_site_delete ON tasks FOR DELETE USING (for_node = (SELECT px_my_node()) AND state = 'queued');

CREATE POLICY px_site_insert ON replicas FOR INSERT WITH CHECK (node = (SELECT px_my_node()));
CREATE POLICY px_site_update ON replicas FOR UPDATE USING (node = (SELECT px_my_node()))
  WITH CHECK (node = (SELECT px_my_node()));
CREATE POLICY px_site_delete ON replicas FOR DELETE USING (node = (SELECT px_my_node()));

CREATE POLICY px_site_insert ON requests FOR INSERT WITH CHECK (node = (SELECT px_my_node()));
CREATE POLICY px_site_update ON requests FOR UPDATE USING (node = (SELECT px_my_node()))
  WITH CHECK (node = (SELECT px_my_node()));

CREATE POLICY px_site_insert ON deletions FOR INSERT WITH CHECK (node = (SELECT px_my_node())
  OR (why = 'move'
      AND EXISTS (SELECT 1 FROM files f JOIN blocks b ON b.id = f.block JOIN subscriptions s
                    ON s.node = (SELECT px_my_node()) AND s.is_move AND (s.dataset = b.dataset OR s.block = b.id)
                  WHERE f.id = deletions.file)
      AND EXISTS (SELECT 1 FROM replicas h WHERE h.file = deletions.file AND h.node = (SELECT px_my_node())
                    AND h.state = 'ok'))
  OR (why = 'transit'
      AND EXISTS (SELECT 1 FROM tasks t WHERE t.file = deletions.file AND t.to_node = deletions.node
                    AND t.for_node = (SELECT px_my_node()) AND t.state = 'done')));
CREATE POLICY px_site_update ON deletions FOR UPDATE USING (node = (SELECT px_my_node()))
  WITH CHECK (node = (SELECT px_my_node()));
CREATE POLICY px_site_delete ON deletions FOR DELETE USING (node = (SELECT px_my_node()));

CREATE POLICY px_site_insert ON errors FOR INSERT WITH CHECK (to_node = (SELECT px_my_node())
  OR EXISTS (SELECT 1 FROM tasks t WHERE t.id = errors.task AND t.for_node = (SELECT px_my_node())));

CREATE POLICY px_site_insert ON agents FOR INSERT WITH CHECK (node = (SELECT px_my_node()));
CREATE POLICY px_site_update ON agents FOR UPDATE USING (node = (SELECT px_my_node()))
  WITH CHECK (node = (SELECT px_my_node()));

CREATE POLICY px_site_insert ON leftovers FOR INSERT WITH CHECK (node = (SELECT px_my_node()));
CREATE POLICY px_site_update ON leftovers FOR UPDATE USING (node = (SELECT px_my_node()))
  WITH CHECK (node = (SELECT px_my_node()));
CREATE POLICY px_site_delete ON leftovers FOR DELETE USING (node = (SELECT px_my_node()));

CREATE POLICY px_site_update ON subscriptions FOR UPDATE USING (node = (SELECT px_my_node()))
  WITH CHECK (node = (SELECT px_my_node()));
CREATE POLICY px_site_update ON nodes FOR UPDATE USING (id = (SELECT px_my_node()))
  WITH CHECK (id = (SELECT px_my_node()));
CREATE POLICY px_site_update ON blocks FOR UPDATE
  USING (EXISTS (SELECT 1 FROM handoff_blocks h WHERE h.block = blocks.name AND h.node = (SELECT px_my_node())));

CREATE POLICY px_site_insert ON handoff_limits FOR INSERT WITH CHECK (node = (SELECT px_my_node()));
CREATE POLICY px_site_update ON handoff_limits FOR UPDATE USING (node = (SELECT px_my_node()))
  WITH CHECK (node = (SELECT px_my_node()));
CREATE POLICY px_site_update ON unmerged FOR UPDATE USING (node = (SELECT px_my_node()))
  WITH CHECK (node = (SELECT px_my_node()));

-- Cross-site effects, as the owner, exactly these cases (search_path pinned
-- to this schema, pg_temp last: no caller's object can stand in).

-- A hop published at an intermediate node releases the destination's
-- request to be routed on from there (was a CTE of publish_report; the
-- destination's request is not the publishing site's row).
CREATE FUNCTION px_task_hop_done() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  UPDATE requests SET state = 'new', next_try = now(), updated = now(), reason = NULL
   WHERE file = NEW.file AND node = NEW.for_node AND state = 'routed';
  RETURN NULL;
END $$;
CREATE TRIGGER tasks_hop_done AFTER UPDATE OF state ON tasks FOR EACH ROW
  WHEN (NEW.state = 'done' AND OLD.state <> 'done' AND NEW.for_node <> NEW.to_node)
  EXECUTE FUNCTION px_task_hop_done();
DO $$
DECLARE
  f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['px_task_failed()', 'px_task_hop_done()', 'px_error_summary_add()',
                           'px_link_counters_add()'] LOOP
    EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = %I, pg_temp', f, current_schema());
  END LOOP;
END $$;

-- Audit: every data-manager action, append-only.  role and at are set
-- here, whatever the client sent; nobody updates or deletes a row (the
-- trigger refuses it even to the owner; TRUNCATE too).
CREATE TABLE audit (
  id     bigserial PRIMARY KEY,
  at     timestamptz NOT NULL DEFAULT now(),
  role   text NOT NULL DEFAULT current_user,
  action text NOT NULL,
  args   jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_at ON audit (at);
CREATE FUNCTION px_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.at := now();
    NEW.role := session_user;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_guard BEFORE INSERT OR UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION px_audit_guard();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION px_audit_guard();
REVOKE UPDATE, DELETE, TRUNCATE ON audit FROM PUBLIC;

-- The role-making functions (phedex db grant-site|grant-manager|grant-reader),
-- run by the TMDB's owner; idempotent: run again after an upgrade to grant
-- what new tables need.
CREATE FUNCTION px_role_login(r text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
    EXECUTE format('CREATE ROLE %I LOGIN', r);
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r AND (rolsuper OR rolbypassrls))
     OR pg_has_role(r, (SELECT relowner FROM pg_class WHERE oid = 'tasks'::regclass), 'MEMBER') THEN
    RAISE EXCEPTION 'role "%" owns the TMDB or bypasses row-level security: it cannot be limited; choose another role', r
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), r);
  EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', current_schema(), r);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO %I', current_schema(), r);
  EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA %I FROM %I', current_schema(), r);
  EXECUTE format('ALTER ROLE %I RESET default_transaction_read_only', r);
END $$;
REVOKE EXECUTE ON FUNCTION px_role_login(text) FROM PUBLIC;

CREATE FUNCTION px_grant_site(node_name text, r text) RETURNS text LANGUAGE plpgsql AS $$
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
      'INSERT, UPDATE ON handoff_limits',
      'UPDATE (state, reason, attempts, next_try, bytes, deleted_at) ON unmerged'] LOOP
    EXECUTE format('GRANT %s TO %I', g, r);
  END LOOP;
  RETURN r;
END $$;
REVOKE EXECUTE ON FUNCTION px_grant_site(text, text) FROM PUBLIC;

CREATE FUNCTION px_grant_manager(r text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM px_role_login(r);
  INSERT INTO tmdb_roles (role, kind) VALUES (r, 'manager')
    ON CONFLICT (role) DO UPDATE SET kind = 'manager', node = NULL, created = now();
  EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO %I', current_schema(), r);
  EXECUTE format('GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', current_schema(), r);
  EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON tmdb_roles, px_schema_version FROM %I', r);
  EXECUTE format('REVOKE UPDATE, DELETE ON audit FROM %I', r);
  RETURN r;
END $$;
REVOKE EXECUTE ON FUNCTION px_grant_manager(text) FROM PUBLIC;

-- Readers are recorded too (phedex db roles lists them).
CREATE OR REPLACE FUNCTION px_grant_reader(role text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role) THEN
    EXECUTE format('CREATE ROLE %I LOGIN', role);
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), role);
  EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', current_schema(), role);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO %I', current_schema(), role);
  EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', role);
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role AND (rolsuper OR rolbypassrls)) THEN
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA %I FROM %I', current_schema(), role);
    INSERT INTO tmdb_roles (role, kind) VALUES (role, 'reader')
      ON CONFLICT ON CONSTRAINT tmdb_roles_pkey DO UPDATE SET kind = 'reader', node = NULL, created = now();
  END IF;
  RETURN role;
END $$;
REVOKE EXECUTE ON FUNCTION px_grant_reader(text) FROM PUBLIC;
