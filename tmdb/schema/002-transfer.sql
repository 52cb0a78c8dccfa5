-- 002-transfer: what the real transfer backends and site hooks need.

-- Whether the backend said retrying the same copy cannot help (no such
-- source, permission denied); the router then waits its longest delay.
ALTER TABLE errors ADD COLUMN permanent boolean NOT NULL DEFAULT false;
-- 'validate': the site's validate-command refused the copy (or vetoed it);
-- 'at-rest': a replica re-checked at rest no longer matches the catalogue.
ALTER TABLE errors DROP CONSTRAINT errors_reason_check;
ALTER TABLE errors ADD CONSTRAINT errors_reason_check CHECK (reason IN ('transfer', 'checksum', 'size', 'missing',
  'publish', 'expired', 'config', 'lost', 'validate', 'at-rest'));
CREATE INDEX errors_task ON errors (task);

-- Claims take a share of each link: queued tasks per source, in order.
CREATE INDEX tasks_to_from_state ON tasks (to_node, state, from_node, priority, id);

-- Verify at rest samples the replicas checked longest ago.
CREATE INDEX replicas_node_verified ON replicas (node, verified);
