-- 008-webmon-speed: summaries kept by statement-level triggers (transition
-- tables: one update per key and statement, whatever the batch size) so that
-- the status page reads a few thousand rows at a million replicas, and
-- hourly rollups of link history.  Additive only.

-- Good replicas per block and node (/nodes, /nodes/NODE, /subscriptions,
-- phedex_node_replica_*).  No foreign keys: a block's rows go when its
-- files go (the files trigger below recounts the blocks it touched).  In
-- this table and the two counters below a key whose count fell to 0 keeps
-- its row (deleting it in the same statement would not see the upsert, in
-- another would lock keys other sessions hold): readers skip files = 0.
CREATE TABLE block_replicas (
  block bigint NOT NULL,
  node  int NOT NULL,
  files bigint NOT NULL,
  bytes bigint NOT NULL,
  PRIMARY KEY (block, node)
);
CREATE INDEX block_replicas_node ON block_replicas (node, block);
INSERT INTO block_replicas
  SELECT f.block, r.node, count(*), sum(f.bytes) FROM replicas r JOIN files f ON f.id = r.file
  WHERE r.state = 'ok' GROUP BY f.block, r.node;

-- Statement triggers: the per-(block, node) delta of good replicas (d:
-- file, node, +1/-1) added in one upsert.  Rows of files already gone (a
-- cascade) are skipped: the files trigger below recounts their blocks.
CREATE FUNCTION px_block_replicas_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    WITH d AS (SELECT file, node, 1 AS s FROM new_rows WHERE state = 'ok'),
    x AS (SELECT f.block, d.node, sum(d.s) AS files, sum(d.s * f.bytes) AS bytes FROM d JOIN files f ON f.id = d.file
          GROUP BY 1, 2 HAVING sum(d.s) <> 0 ORDER BY 1, 2)
    INSERT INTO block_replicas AS b SELECT block, node, files, bytes FROM x
          ON CONFLICT (block, node) DO UPDATE SET files = b.files + excluded.files, bytes = b.bytes + excluded.bytes;
  ELSIF TG_OP = 'UPDATE' THEN
    -- Only the rows whose goodness changed (verify at rest updates many).
    WITH d AS (SELECT n.file, n.node, 1 AS s FROM new_rows n
                 LEFT JOIN old_rows o ON o.file = n.file AND o.node = n.node
                 WHERE n.state = 'ok' AND o.state IS DISTINCT FROM 'ok'
               UNION ALL SELECT o.file, o.node, -1 FROM old_rows o
                 LEFT JOIN new_rows n ON n.file = o.file AND n.node = o.node
                 WHERE o.state = 'ok' AND n.state IS DISTINCT FROM 'ok'),
    x AS (SELECT f.block, d.node, sum(d.s) AS files, sum(d.s * f.bytes) AS bytes FROM d JOIN files f ON f.id = d.file
          GROUP BY 1, 2 HAVING sum(d.s) <> 0 ORDER BY 1, 2)
    INSERT INTO block_replicas AS b SELECT block, node, files, bytes FROM x
          ON CONFLICT (block, node) DO UPDATE SET files = b.files + excluded.files, bytes = b.bytes + excluded.bytes;
  ELSE
    WITH d AS (SELECT file, node, -1 AS s FROM old_rows WHERE state = 'ok'),
    x AS (SELECT f.block, d.node, sum(d.s) AS files, sum(d.s * f.bytes) AS bytes FROM d JOIN files f ON f.id = d.file
          GROUP BY 1, 2 HAVING sum(d.s) <> 0 ORDER BY 1, 2)
    INSERT INTO block_replicas AS b SELECT block, node, files, bytes FROM x
          ON CONFLICT (block, node) DO UPDATE SET files = b.files + excluded.files, bytes = b.bytes + excluded.bytes;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER replicas_block_insert AFTER INSERT ON replicas
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION px_block_replicas_trigger();
CREATE TRIGGER replicas_block_update AFTER UPDATE ON replicas
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION px_block_replicas_trigger();
CREATE TRIGGER replicas_block_delete AFTER DELETE ON replicas
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION px_block_replicas_trigger();

-- Files deleted (and their replicas with them): recount their blocks.
CREATE FUNCTION px_block_replicas_recount() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM block_replicas WHERE block IN (SELECT DISTINCT block FROM old_rows);
  INSERT INTO block_replicas
    SELECT f.block, r.node, count(*), sum(f.bytes) FROM files f JOIN replicas r ON r.file = f.id
    WHERE f.block IN (SELECT DISTINCT block FROM old_rows) AND r.state = 'ok' GROUP BY f.block, r.node;
  RETURN NULL;
END $$;
CREATE TRIGGER files_block_replicas AFTER DELETE ON files
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION px_block_replicas_recount();

-- Tasks carry their file's size (set on insert), so that queue bytes need
-- no join to files, even for tasks whose file is being deleted.
ALTER TABLE tasks ADD COLUMN bytes bigint;
UPDATE tasks t SET bytes = f.bytes FROM files f WHERE f.id = t.file AND t.state <> 'done';
CREATE FUNCTION px_task_bytes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.bytes IS NULL THEN
    NEW.bytes := (SELECT bytes FROM files WHERE id = NEW.file);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER tasks_bytes BEFORE INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION px_task_bytes();

-- Open tasks per link, priority and state (queued, active, transferred,
-- verified): the overview's and the router's queue, phedex_link_queued_*.
CREATE TABLE link_queue (
  from_node int NOT NULL,
  to_node   int NOT NULL,
  priority  int NOT NULL,
  state     text NOT NULL,
  files     bigint NOT NULL,
  bytes     bigint NOT NULL,
  PRIMARY KEY (to_node, from_node, priority, state)
);
INSERT INTO link_queue
  SELECT from_node, to_node, priority, state, count(*), coalesce(sum(bytes), 0) FROM tasks
  WHERE state IN ('queued', 'active', 'transferred', 'verified') GROUP BY 1, 2, 3, 4;
CREATE FUNCTION px_link_queue_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO link_queue AS q
      SELECT from_node, to_node, priority, state, count(*), coalesce(sum(bytes), 0) FROM new_rows
      WHERE state IN ('queued', 'active', 'transferred', 'verified') GROUP BY 1, 2, 3, 4 ORDER BY 2, 1, 3, 4
    ON CONFLICT (to_node, from_node, priority, state) DO UPDATE SET files = q.files + excluded.files,
      bytes = q.bytes + excluded.bytes;
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' THEN
  WITH d AS (
    SELECT from_node, to_node, priority, state, sum(s) AS files, coalesce(sum(s * bytes), 0) AS bytes FROM (SELECT from_node, to_node, priority, state, 1 AS s, bytes FROM new_rows
      UNION ALL SELECT from_node, to_node, priority, state, -1, bytes FROM old_rows) x
    WHERE state IN ('queued', 'active', 'transferred', 'verified')
    GROUP BY 1, 2, 3, 4 HAVING sum(s) <> 0 OR coalesce(sum(s * bytes), 0) <> 0 ORDER BY 2, 1, 3, 4)
  INSERT INTO link_queue AS q SELECT * FROM d
        ON CONFLICT (to_node, from_node, priority, state) DO UPDATE SET files = q.files + excluded.files,
          bytes = q.bytes + excluded.bytes;
  ELSE
  WITH d AS (
    SELECT from_node, to_node, priority, state, sum(s) AS files, coalesce(sum(s * bytes), 0) AS bytes FROM (SELECT from_node, to_node, priority, state, -1 AS s, bytes FROM old_rows) x
    WHERE state IN ('queued', 'active', 'transferred', 'verified')
    GROUP BY 1, 2, 3, 4 HAVING sum(s) <> 0 OR coalesce(sum(s * bytes), 0) <> 0 ORDER BY 2, 1, 3, 4)
  INSERT INTO link_queue AS q SELECT * FROM d
        ON CONFLICT (to_node, from_node, priority, state) DO UPDATE SET files = q.files + excluded.files,
          bytes = q.bytes + excluded.bytes;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER tasks_queue_insert AFTER INSERT ON tasks
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION px_link_queue_trigger();
CREATE TRIGGER tasks_queue_update AFTER UPDATE ON tasks
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION px_link_queue_trigger();
CREATE TRIGGER tasks_queue_delete AFTER DELETE ON tasks
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION px_link_queue_trigger();
-- The oldest queued task of a link (the overview's OLDEST QUEUED).
CREATE INDEX tasks_queued_created ON tasks (to_node, from_node, created) WHERE state = 'queued';
-- Bytes done in the last hour per subscription (/subscriptions' rate).
CREATE INDEX tasks_done_at ON tasks (done_at) WHERE state = 'done';

-- Requests per subscription (0: none), node and state: /subscriptions'
-- queued and failed counts, phedex_requests.
CREATE TABLE request_counts (
  subscription int NOT NULL,
  node         int NOT NULL,
  state        text NOT NULL,
  files        bigint NOT NULL,
  PRIMARY KEY (subscription, node, state)
);
INSERT INTO request_counts
  SELECT coalesce(subscription, 0), node, state, count(*) FROM requests GROUP BY 1, 2, 3;
CREATE FUNCTION px_request_counts_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO request_counts AS c
      SELECT coalesce(subscription, 0), node, state, count(*) FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (subscription, node, state) DO UPDATE SET files = c.files + excluded.files;
  ELSIF TG_OP = 'UPDATE' THEN
    WITH d AS (
      SELECT sub, node, state, sum(s) AS files FROM (
        SELECT coalesce(subscription, 0) AS sub, node, state, 1 AS s FROM new_rows
        UNION ALL SELECT coalesce(subscription, 0), node, state, -1 FROM old_rows) x
      GROUP BY 1, 2, 3 HAVING sum(s) <> 0 ORDER BY 1, 2, 3)
    INSERT INTO request_counts AS c SELECT * FROM d
          ON CONFLICT (subscription, node, state) DO UPDATE SET files = c.files + excluded.files;
  ELSE
    WITH d AS (SELECT coalesce(subscription, 0) AS sub, node, state, count(*) AS n FROM old_rows
               GROUP BY 1, 2, 3 ORDER BY 1, 2, 3)
    UPDATE request_counts c SET files = c.files - d.n FROM d
          WHERE c.subscription = d.sub AND c.node = d.node AND c.state = d.state;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER requests_counts_insert AFTER INSERT ON requests
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION px_request_counts_trigger();
CREATE TRIGGER requests_counts_update AFTER UPDATE ON requests
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION px_request_counts_trigger();
CREATE TRIGGER requests_counts_delete AFTER DELETE ON requests
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION px_request_counts_trigger();

-- Hourly link history, kept from link_history by statement triggers (as
-- link_counters): sums of the counts, the highest queue sample of the hour.
-- The 7-day plots read it; 5-minute bins older than 8 days are dropped by
-- px_link_history_rollup() (the router's queue sample calls it), which
-- leaves only the hourly rows for that time.
-- The hour a time falls in, in UTC whatever the session's time zone (as px_bin).
CREATE FUNCTION px_hour(t timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS
$$ SELECT to_timestamp(floor(extract(epoch FROM t) / 3600) * 3600) $$;
CREATE TABLE link_history_hourly (
  time_bin     timestamptz NOT NULL,
  from_node    int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  to_node      int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  try_files    bigint NOT NULL DEFAULT 0,
  try_bytes    bigint NOT NULL DEFAULT 0,
  done_files   bigint NOT NULL DEFAULT 0,
  done_bytes   bigint NOT NULL DEFAULT 0,
  fail_files   bigint NOT NULL DEFAULT 0,
  fail_bytes   bigint NOT NULL DEFAULT 0,
  expire_files bigint NOT NULL DEFAULT 0,
  expire_bytes bigint NOT NULL DEFAULT 0,
  queued_files bigint NOT NULL DEFAULT 0,
  queued_bytes bigint NOT NULL DEFAULT 0,
  active_files bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (time_bin, from_node, to_node)
);
INSERT INTO link_history_hourly
  SELECT px_hour(time_bin), from_node, to_node, sum(try_files), sum(try_bytes), sum(done_files),
         sum(done_bytes), sum(fail_files), sum(fail_bytes), sum(expire_files), sum(expire_bytes), max(queued_files),
         max(queued_bytes), max(active_files)
  FROM link_history GROUP BY 1, 2, 3;
CREATE FUNCTION px_link_history_hourly_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO link_history_hourly AS h
    SELECT px_hour(n.time_bin), n.from_node, n.to_node,
           sum(n.try_files - coalesce(o.try_files, 0)), sum(n.try_bytes - coalesce(o.try_bytes, 0)),
           sum(n.done_files - coalesce(o.done_files, 0)), sum(n.done_bytes - coalesce(o.done_bytes, 0)),
           sum(n.fail_files - coalesce(o.fail_files, 0)), sum(n.fail_bytes - coalesce(o.fail_bytes, 0)),
           sum(n.expire_files - coalesce(o.expire_files, 0)), sum(n.expire_bytes - coalesce(o.expire_bytes, 0)),
           max(n.queued_files), max(n.queued_bytes), max(n.active_files)
    FROM new_rows n LEFT JOIN old_rows o USING (time_bin, from_node, to_node)
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (time_bin, from_node, to_node) DO UPDATE SET
    try_files = h.try_files + excluded.try_files, try_bytes = h.try_bytes + excluded.try_bytes,
    done_files = h.done_files + excluded.done_files, done_bytes = h.done_bytes + excluded.done_bytes,
    fail_files = h.fail_files + excluded.fail_files, fail_bytes = h.fail_bytes + excluded.fail_bytes,
    expire_files = h.expire_files + excluded.expire_files, expire_bytes = h.expire_bytes + excluded.expire_bytes,
    queued_files = greatest(h.queued_files, excluded.queued_files),
    queued_bytes = greatest(h.queued_bytes, excluded.queued_bytes),
    active_files = greatest(h.active_files, excluded.active_files);
  RETURN NULL;
END $$;
-- (An insert has no old rows: its own function.)
CREATE FUNCTION px_link_history_hourly_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO link_history_hourly AS h
    SELECT px_hour(time_bin), from_node, to_node, sum(try_files), sum(try_bytes), sum(done_files),
           sum(done_bytes), sum(fail_files), sum(fail_bytes), sum(expire_files), sum(expire_bytes), max(queued_files),
           max(queued_bytes), max(active_files)
    FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (time_bin, from_node, to_node) DO UPDATE SET
    try_files = h.try_files + excluded.try_files, try_bytes = h.try_bytes + excluded.try_bytes,
    done_files = h.done_files + excluded.done_files, done_bytes = h.done_bytes + excluded.done_bytes,
    fail_files = h.fail_files + excluded.fail_files, fail_bytes = h.fail_bytes + excluded.fail_bytes,
    expire_files = h.expire_files + excluded.expire_files, expire_bytes = h.expire_bytes + excluded.expire_bytes,
    queued_files = greatest(h.queued_files, excluded.queued_files),
    queued_bytes = greatest(h.queued_bytes, excluded.queued_bytes),
    active_files = greatest(h.active_files, excluded.active_files);
  RETURN NULL;
END $$;
CREATE TRIGGER link_history_hourly_insert AFTER INSERT ON link_history
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION px_link_history_hourly_insert();
CREATE TRIGGER link_history_hourly_update AFTER UPDATE ON link_history
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION px_link_history_hourly_add();
-- Drop the 5-minute bins older than 8 days (their hours stay in
-- link_history_hourly); the number dropped.
CREATE FUNCTION px_link_history_rollup() RETURNS bigint LANGUAGE sql AS $$
  WITH d AS (DELETE FROM link_history WHERE time_bin < now() - interval '8 days' RETURNING 1) SELECT count(*) FROM d
$$;
-- A link's latest queue sample (the router writes a zero row when it empties).
CREATE INDEX link_history_to_from ON link_history (to_node, from_node, time_bin);

-- Errors per link, reason and permanence since the beginning (errors at
-- rest: from_node 0), for phedex_link_errors_total: error_summary has a row
-- per 5-minute bin, too many to sum per scrape.
CREATE TABLE error_counters (
  from_node int NOT NULL,
  to_node   int NOT NULL,
  reason    text NOT NULL,
  errors    bigint NOT NULL,
  permanent bigint NOT NULL,
  PRIMARY KEY (from_node, to_node, reason)
);
INSERT INTO error_counters
  SELECT from_node, to_node, reason, sum(errors), sum(permanent) FROM error_summary GROUP BY 1, 2, 3;
CREATE FUNCTION px_error_counters_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO error_counters AS c
    SELECT coalesce(from_node, 0), coalesce(to_node, 0), reason, count(*), count(*) FILTER (WHERE permanent)
    FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (from_node, to_node, reason) DO UPDATE SET errors = c.errors + excluded.errors,
    permanent = c.permanent + excluded.permanent;
  RETURN NULL;
END $$;
CREATE TRIGGER errors_counters AFTER INSERT ON errors
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION px_error_counters_add();
