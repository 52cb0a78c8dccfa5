-- 003-routing: multi-hop routing over measured link costs, request
-- cool-off, move subscriptions, richer link history.

-- A task's hop may end at an intermediate node: for_node is the request's
-- destination (= to_node on the last hop).  The destination's router owns it.
ALTER TABLE tasks ADD COLUMN for_node int REFERENCES nodes ON DELETE CASCADE;
UPDATE tasks SET for_node = to_node;
ALTER TABLE tasks ALTER COLUMN for_node SET NOT NULL;
CREATE INDEX tasks_for_state ON tasks (for_node, state);
CREATE INDEX tasks_file_for ON tasks (file, for_node);
CREATE INDEX errors_file ON errors (file, id);

-- Requests: 'no_path' (replicas exist but no usable path), a cool-off after
-- failures, and the hops of the route chosen last.
ALTER TABLE requests DROP CONSTRAINT requests_state_check;
ALTER TABLE requests ADD CONSTRAINT requests_state_check
  CHECK (state IN ('new', 'routed', 'retry', 'no_source', 'no_path', 'gave_up', 'done'));
ALTER TABLE requests ADD COLUMN next_try timestamptz NOT NULL DEFAULT now();
ALTER TABLE requests ADD COLUMN path int[];            -- node ids, source first, destination last
CREATE INDEX requests_route ON requests (node, state, priority, created);

-- Subscriptions: when every file first arrived, and when a move deleted the sources.
ALTER TABLE subscriptions ADD COLUMN completed timestamptz;
ALTER TABLE subscriptions ADD COLUMN moved timestamptz;
-- The highest file id the router has turned into requests (it expands only newer files).
ALTER TABLE subscriptions ADD COLUMN expanded bigint NOT NULL DEFAULT 0;
CREATE INDEX files_block_id ON files (block, id);

-- Link history: expired attempts, and the queue as the router saw it.
ALTER TABLE link_history ADD COLUMN expire_files int NOT NULL DEFAULT 0;
ALTER TABLE link_history ADD COLUMN expire_bytes bigint NOT NULL DEFAULT 0;
ALTER TABLE link_history ADD COLUMN queued_files int NOT NULL DEFAULT 0;
ALTER TABLE link_history ADD COLUMN queued_bytes bigint NOT NULL DEFAULT 0;
ALTER TABLE link_history ADD COLUMN active_files int NOT NULL DEFAULT 0;

-- Nominal link rate (bytes/s) used until the link has measured history.
ALTER TABLE links ADD COLUMN nominal_rate bigint NOT NULL DEFAULT 10485760 CHECK (nominal_rate > 0);

-- A hop that fails hands its request back to the destination's router
-- ('retry': cool off, re-route or give up); a queued task may now expire.
CREATE OR REPLACE FUNCTION px_task_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.state <> 'queued' THEN
      RAISE EXCEPTION 'task for file % must start queued, not %', NEW.file, NEW.state
        USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.state IS DISTINCT FROM OLD.state THEN
    IF NOT ((OLD.state, NEW.state) IN (('queued', 'active'), ('queued', 'failed'), ('active', 'transferred'),
            ('active', 'failed'), ('active', 'queued'), ('transferred', 'verified'), ('transferred', 'failed'),
            ('verified', 'done'), ('verified', 'failed'))) THEN
      RAISE EXCEPTION 'task % may not go from % to %', OLD.id, OLD.state, NEW.state
        USING ERRCODE = 'check_violation';
    END IF;
    NEW.updated := now();
    CASE NEW.state
      WHEN 'active' THEN NEW.active_at := now();
      WHEN 'transferred' THEN NEW.transferred_at := now();
      WHEN 'verified' THEN NEW.verified_at := now();
      WHEN 'done' THEN NEW.done_at := now();
      WHEN 'failed' THEN NEW.failed_at := now();
      ELSE NULL;
    END CASE;
    IF NEW.state IN ('queued', 'failed') AND OLD.tmp_pfn IS NOT NULL THEN
      INSERT INTO leftovers (node, pfn) VALUES (OLD.to_node, OLD.tmp_pfn);
      NEW.tmp_pfn := NULL;
    END IF;
    IF NEW.state IN ('queued', 'failed', 'transferred', 'verified', 'done') THEN
      NEW.claimed_by := NULL;
      NEW.claimed_at := NULL;
    END IF;
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION px_task_failed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE requests SET state = 'retry', attempts = attempts + 1, updated = now()
   WHERE file = NEW.file AND node = NEW.for_node AND state = 'routed';
  PERFORM pg_notify('phedex_node_' || NEW.for_node, 'retry');
  RETURN NULL;
END $$;
CREATE TRIGGER tasks_failed AFTER UPDATE OF state ON tasks FOR EACH ROW
  WHEN (NEW.state = 'failed' AND OLD.state <> 'failed') EXECUTE FUNCTION px_task_failed();

-- The routers' view of each link's queue.
CREATE INDEX tasks_open_link ON tasks (from_node, to_node) WHERE state IN ('queued', 'active');

-- Reports by time: recent errors, recent arrivals.
CREATE INDEX errors_time ON errors (time);
CREATE INDEX tasks_done ON tasks (to_node, done_at) WHERE state = 'done';
