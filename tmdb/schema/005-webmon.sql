-- 005-webmon: what the status page (webmon) reads, kept so that no page
-- sums history or scans errors per request.  Additive only.

-- The version an agent runs (shown on /agents and phedex_agent_info).
ALTER TABLE agents ADD COLUMN version text;

-- LFN prefix search (/data?lfn=PREFIX*): byte-wise range scans.
CREATE INDEX files_lfn_prefix ON files (lfn text_pattern_ops);
-- A subscription's requests by state (/subscriptions/ID).
CREATE INDEX requests_subscription_state ON requests (subscription, state);

-- Cumulative per-link counters for /metrics (Prometheus counters never go
-- down): kept from link_history by statement-level triggers with transition
-- tables, one update per link and statement, whatever rollups do to history.
CREATE TABLE link_counters (
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
  PRIMARY KEY (from_node, to_node)
);
INSERT INTO link_counters
  SELECT from_node, to_node, sum(try_files), sum(try_bytes), sum(done_files), sum(done_bytes), sum(fail_files),
         sum(fail_bytes), sum(expire_files), sum(expire_bytes)
  FROM link_history GROUP BY from_node, to_node;

CREATE FUNCTION px_link_counters_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO link_counters AS c
      SELECT from_node, to_node, sum(try_files), sum(try_bytes), sum(done_files), sum(done_bytes), sum(fail_files),
             sum(fail_bytes), sum(expire_files), sum(expire_bytes)
      FROM new_rows GROUP BY from_node, to_node ORDER BY from_node, to_node
    ON CONFLICT (from_node, to_node) DO UPDATE SET
      try_files = c.try_files + excluded.try_files, try_bytes = c.try_bytes + excluded.try_bytes,
      done_files = c.done_files + excluded.done_files, done_bytes = c.done_bytes + excluded.done_bytes,
      fail_files = c.fail_files + excluded.fail_files, fail_bytes = c.fail_bytes + excluded.fail_bytes,
      expire_files = c.expire_files + excluded.expire_files, expire_bytes = c.expire_bytes + excluded.expire_bytes;
  ELSE
    INSERT INTO link_counters AS c
      SELECT n.from_node, n.to_node, sum(greatest(n.try_files - o.try_files, 0)),
             sum(greatest(n.try_bytes - o.try_bytes, 0)), sum(greatest(n.done_files - o.done_files, 0)),
             sum(greatest(n.done_bytes - o.done_bytes, 0)), sum(greatest(n.fail_files - o.fail_files, 0)),
             sum(greatest(n.fail_bytes - o.fail_bytes, 0)), sum(greatest(n.expire_files - o.expire_files, 0)),
             sum(greatest(n.expire_bytes - o.expire_bytes, 0))
      FROM new_rows n JOIN old_rows o USING (time_bin, from_node, to_node)
      GROUP BY n.from_node, n.to_node ORDER BY n.from_node, n.to_node
    ON CONFLICT (from_node, to_node) DO UPDATE SET
      try_files = c.try_files + excluded.try_files, try_bytes = c.try_bytes + excluded.try_bytes,
      done_files = c.done_files + excluded.done_files, done_bytes = c.done_bytes + excluded.done_bytes,
      fail_files = c.fail_files + excluded.fail_files, fail_bytes = c.fail_bytes + excluded.fail_bytes,
      expire_files = c.expire_files + excluded.expire_files, expire_bytes = c.expire_bytes + excluded.expire_bytes;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER link_history_counters_insert AFTER INSERT ON link_history
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION px_link_counters_add();
CREATE TRIGGER link_history_counters_update AFTER UPDATE ON link_history
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION px_link_counters_add();

-- Errors per 5-minute bin, link and reason (exact counts, no cap): /errors
-- and phedex_link_errors_total read this, not the errors table.  Errors at
-- rest have no source (0 here).
CREATE TABLE error_summary (
  time_bin  timestamptz NOT NULL,
  from_node int NOT NULL,
  to_node   int NOT NULL,
  reason    text NOT NULL,
  errors    bigint NOT NULL,
  permanent bigint NOT NULL,
  first     timestamptz NOT NULL,
  last      timestamptz NOT NULL,
  last_id   bigint NOT NULL,
  PRIMARY KEY (time_bin, from_node, to_node, reason)
);
CREATE INDEX error_summary_link ON error_summary (from_node, to_node, reason, time_bin);
INSERT INTO error_summary
  SELECT px_bin(time), coalesce(from_node, 0), coalesce(to_node, 0), reason, count(*), count(*) FILTER (WHERE permanent),
         min(time), max(time), max(id)
  FROM errors GROUP BY 1, 2, 3, 4;

CREATE FUNCTION px_error_summary_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO error_summary AS s
    SELECT px_bin(time), coalesce(from_node, 0), coalesce(to_node, 0), reason, count(*),
           count(*) FILTER (WHERE permanent), min(time), max(time), max(id)
    FROM new_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (time_bin, from_node, to_node, reason) DO UPDATE SET
    errors = s.errors + excluded.errors, permanent = s.permanent + excluded.permanent,
    first = least(s.first, excluded.first), last = greatest(s.last, excluded.last),
    last_id = greatest(s.last_id, excluded.last_id);
  RETURN NULL;
END $$;
CREATE TRIGGER errors_summary AFTER INSERT ON errors
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION px_error_summary_add();

-- A login role that may only read (phedex-webmon --grant-reader ROLE): it
-- sees every table, now and later, and its sessions are read-only.
CREATE FUNCTION px_grant_reader(role text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role) THEN
    EXECUTE format('CREATE ROLE %I LOGIN', role);
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), role);
  EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', current_schema(), role);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO %I', current_schema(), role);
  EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', role);
  RETURN role;
END $$;
