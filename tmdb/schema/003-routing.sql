-- 003-routing: multi-hop routing over measured link costs, request
-- cool-off, move subscriptions, richer link history.

-- A task's hop may end at an intermediate node: for_node is the request's
-- destination (= to_node on the last hop).  The destination's router owns it.
ALTER TABLE tasks ADD COLUMN for_node int REFERENCES nodes ON DELETE CASCADE;
UPDATE tasks SET for_node = to_node;
ALTER TABLE tasks ALTER COLUMN for_node SET NOT NULL;
CREATE INDEX tasks_for_state ON tasks (for_node, state);

-- Requests: 'no_path' (replicas exist but no usable path), a cool-off after
-- failures, and the hops of the route chosen last.
ALTER TABLE requests DROP CONSTRAINT requests_state_check;
ALTER TABLE requests ADD CONSTRAINT requests_state_check
  CHECK (state IN ('new', 'routed', 'no_source', 'no_path', 'gave_up', 'done'));
ALTER TABLE requests ADD COLUMN next_try timestamptz NOT NULL DEFAULT now();
ALTER TABLE requests ADD COLUMN path int[];            -- node ids, source first, destination last
CREATE INDEX requests_route ON requests (node, state, priority, created);

-- Subscriptions: when every file first arrived, and when a move deleted the sources.
ALTER TABLE subscriptions ADD COLUMN completed timestamptz;
ALTER TABLE subscriptions ADD COLUMN moved timestamptz;

-- Link history: expired attempts, and the queue as the router saw it.
ALTER TABLE link_history ADD COLUMN expire_files int NOT NULL DEFAULT 0;
ALTER TABLE link_history ADD COLUMN expire_bytes bigint NOT NULL DEFAULT 0;
ALTER TABLE link_history ADD COLUMN queued_files int NOT NULL DEFAULT 0;
ALTER TABLE link_history ADD COLUMN queued_bytes bigint NOT NULL DEFAULT 0;
ALTER TABLE link_history ADD COLUMN active_files int NOT NULL DEFAULT 0;

-- Nominal link rate (bytes/s) used until the link has measured history.
ALTER TABLE links ADD COLUMN nominal_rate bigint NOT NULL DEFAULT 10485760 CHECK (nominal_rate > 0);
