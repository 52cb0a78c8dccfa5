-- 013-routing-scale: a million requests routed without a pass over the
-- node's requests or queue per cycle (issue #11).
--
-- requests_route (node, state, priority, created) was written for every
-- version of every request (twice per request: new, then routed), yet only
-- the router's look-ups of the few requests waiting for something (retry,
-- no_source, no_path) need it: the pending ones come from requests_pending,
-- the rest by primary key or subscription.  A partial index of those alone.
CREATE INDEX requests_waiting ON requests (node, state) WHERE state IN ('retry', 'no_source', 'no_path');
DROP INDEX IF EXISTS requests_route;

-- Foreign keys of the two tables the router fills, checked once per
-- statement instead of once per row.  A foreign key runs a lookup and a row
-- lock of the referenced row for every inserted row: a million-file
-- subscription cost three million of them on requests (half of the
-- expansion's time) and every routed file four more on tasks.  Instead:
--   * inserts: one statement-level trigger checks that every file, node and
--     subscription the new rows name exists, in one join each, and locks the
--     few nodes and subscriptions (FOR KEY SHARE, as a foreign key would),
--     so they cannot be deleted before the insert commits;
--   * files are not locked row by row (a million of them): a delete of files
--     takes SHARE locks on requests and tasks, waiting for the inserts in
--     progress, then deletes what refers to the deleted files;
--   * deleting nodes or subscriptions cascades (set null for a request's
--     subscription) from statement-level triggers, as ON DELETE did;
--   * an update that changes one of these columns (no agent does) is checked
--     row by row.
-- The functions run as the TMDB's owner (like 011's): a site role deleting
-- a subscription or inserting requests needs no rights on the other tables.
ALTER TABLE requests DROP CONSTRAINT IF EXISTS requests_file_fkey,
  DROP CONSTRAINT IF EXISTS requests_node_fkey, DROP CONSTRAINT IF EXISTS requests_subscription_fkey;
ALTER TABLE tasks DROP CONSTRAINT IF EXISTS tasks_file_fkey, DROP CONSTRAINT IF EXISTS tasks_from_node_fkey,
  DROP CONSTRAINT IF EXISTS tasks_to_node_fkey, DROP CONSTRAINT IF EXISTS tasks_for_node_fkey;

-- px_refs_missing(what, ids): raise the foreign-key error for the first id of
-- what (a table name) that does not exist.
CREATE FUNCTION px_refs_missing(what text, tbl text, missing bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'insert or update on table "%" violates foreign key: % % does not exist', tbl, what, missing
      USING ERRCODE = 'foreign_key_violation';
  END IF;
END $$;

CREATE FUNCTION px_requests_refs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM px_refs_missing('node', 'requests', (SELECT min(n.node) FROM (SELECT DISTINCT node FROM new_rows) n
    WHERE NOT EXISTS (SELECT 1 FROM nodes x WHERE x.id = n.node)));
  PERFORM 1 FROM nodes x WHERE x.id IN (SELECT DISTINCT node FROM new_rows) FOR KEY SHARE;
  PERFORM px_refs_missing('subscription', 'requests', (SELECT min(n.subscription) FROM
    (SELECT DISTINCT subscription FROM new_rows WHERE subscription IS NOT NULL) n
    WHERE NOT EXISTS (SELECT 1 FROM subscriptions x WHERE x.id = n.subscription)));
  PERFORM 1 FROM subscriptions x WHERE x.id IN (SELECT DISTINCT subscription FROM new_rows) FOR KEY SHARE;
  PERFORM px_refs_missing('file', 'requests', (SELECT min(n.file) FROM new_rows n
    WHERE NOT EXISTS (SELECT 1 FROM files x WHERE x.id = n.file)));
  RETURN NULL;
END $$;
CREATE TRIGGER requests_refs AFTER INSERT ON requests
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION px_requests_refs();

CREATE FUNCTION px_tasks_refs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM px_refs_missing('node', 'tasks', (SELECT min(n.node) FROM
    (SELECT from_node AS node FROM new_rows UNION SELECT to_node FROM new_rows UNION SELECT for_node FROM new_rows) n
    WHERE n.node IS NOT NULL AND NOT EXISTS (SELECT 1 FROM nodes x WHERE x.id = n.node)));
  PERFORM 1 FROM nodes x WHERE x.id IN (SELECT from_node FROM new_rows UNION SELECT to_node FROM new_rows
    UNION SELECT for_node FROM new_rows) FOR KEY SHARE;
  PERFORM px_refs_missing('file', 'tasks', (SELECT min(n.file) FROM new_rows n
    WHERE NOT EXISTS (SELECT 1 FROM files x WHERE x.id = n.file)));
  RETURN NULL;
END $$;
CREATE TRIGGER tasks_refs AFTER INSERT ON tasks
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION px_tasks_refs();

-- Updates of the referencing columns, one row at a time (no agent makes them).
CREATE FUNCTION px_refs_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'requests' THEN
    PERFORM 1 FROM nodes WHERE id = NEW.node FOR KEY SHARE;
    IF NOT FOUND THEN PERFORM px_refs_missing('node', 'requests', NEW.node); END IF;
    IF NEW.subscription IS NOT NULL THEN
      PERFORM 1 FROM subscriptions WHERE id = NEW.subscription FOR KEY SHARE;
      IF NOT FOUND THEN PERFORM px_refs_missing('subscription', 'requests', NEW.subscription); END IF;
    END IF;
  ELSE
    PERFORM px_refs_missing('node', 'tasks', (SELECT min(n) FROM unnest(ARRAY[NEW.from_node, NEW.to_node, NEW.for_node]) n
      WHERE n IS NOT NULL AND NOT EXISTS (SELECT 1 FROM nodes x WHERE x.id = n)));
    PERFORM 1 FROM nodes WHERE id IN (NEW.from_node, NEW.to_node, NEW.for_node) FOR KEY SHARE;
  END IF;
  PERFORM 1 FROM files WHERE id = NEW.file FOR KEY SHARE;
  IF NOT FOUND THEN PERFORM px_refs_missing('file', TG_TABLE_NAME, NEW.file); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER requests_refs_update AFTER UPDATE OF file, node, subscription ON requests
  FOR EACH ROW WHEN (NEW.file IS DISTINCT FROM OLD.file OR NEW.node IS DISTINCT FROM OLD.node
    OR (NEW.subscription IS DISTINCT FROM OLD.subscription AND NEW.subscription IS NOT NULL))
  EXECUTE FUNCTION px_refs_row();
CREATE TRIGGER tasks_refs_update AFTER UPDATE OF file, from_node, to_node, for_node ON tasks
  FOR EACH ROW WHEN (NEW.file IS DISTINCT FROM OLD.file OR NEW.from_node IS DISTINCT FROM OLD.from_node
    OR NEW.to_node IS DISTINCT FROM OLD.to_node OR NEW.for_node IS DISTINCT FROM OLD.for_node)
  EXECUTE FUNCTION px_refs_row();

-- The deletes that cascaded (ON DELETE CASCADE / SET NULL).
CREATE FUNCTION px_files_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Inserts in progress that named these files finish first (they checked
  -- the files without locking them), then their rows go too.
  LOCK TABLE requests, tasks IN SHARE MODE;
  DELETE FROM tasks WHERE file IN (SELECT id FROM old_rows);
  DELETE FROM requests WHERE file IN (SELECT id FROM old_rows);
  RETURN NULL;
END $$;
CREATE TRIGGER files_cascade AFTER DELETE ON files
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION px_files_cascade();
CREATE FUNCTION px_nodes_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM tasks WHERE from_node IN (SELECT id FROM old_rows) OR to_node IN (SELECT id FROM old_rows)
    OR for_node IN (SELECT id FROM old_rows);
  DELETE FROM requests WHERE node IN (SELECT id FROM old_rows);
  RETURN NULL;
END $$;
CREATE TRIGGER nodes_cascade AFTER DELETE ON nodes
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION px_nodes_cascade();
CREATE FUNCTION px_subscriptions_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE requests SET subscription = NULL WHERE subscription IN (SELECT id FROM old_rows);
  RETURN NULL;
END $$;
CREATE TRIGGER subscriptions_cascade AFTER DELETE ON subscriptions
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION px_subscriptions_cascade();

DO $$
DECLARE
  f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['px_refs_missing(text, text, bigint)', 'px_requests_refs()', 'px_tasks_refs()',
                           'px_refs_row()', 'px_files_cascade()', 'px_nodes_cascade()',
                           'px_subscriptions_cascade()'] LOOP
    EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = %I, pg_temp', f, current_schema());
  END LOOP;
END $$;

-- Two per-row PL/pgSQL calls less per routed file: a task's size comes with
-- the router's insert (px_task_bytes only fills it in when missing), and the
-- insert half of px_task_guard only refuses a task that does not start
-- queued; both now run only when they have something to do.
DROP TRIGGER tasks_bytes ON tasks;
CREATE TRIGGER tasks_bytes BEFORE INSERT ON tasks FOR EACH ROW WHEN (NEW.bytes IS NULL)
  EXECUTE FUNCTION px_task_bytes();
DROP TRIGGER tasks_guard ON tasks;
CREATE TRIGGER tasks_guard BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION px_task_guard();
CREATE TRIGGER tasks_guard_insert BEFORE INSERT ON tasks FOR EACH ROW WHEN (NEW.state IS DISTINCT FROM 'queued')
  EXECUTE FUNCTION px_task_guard();
