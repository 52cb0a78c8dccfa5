-- 001-init: the transfer management database (TMDB).
-- Conventions: every row change that gives a node work notifies channel
-- 'phedex_node_<id>' (payload: what changed); routers also listen on
-- 'phedex_topology' (subscriptions, replicas, links).

CREATE TABLE nodes (
  id          serial PRIMARY KEY,
  name        text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_]+$'),
  kind        text NOT NULL DEFAULT 'Disk' CHECK (kind IN ('Disk', 'MSS', 'Buffer')),
  tfc         text,                 -- the node's storage.xml, uploaded by its agents
  tfc_updated timestamptz,
  created     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE links (
  from_node int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  to_node   int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  distance  int NOT NULL DEFAULT 1 CHECK (distance > 0),
  active    boolean NOT NULL DEFAULT true,
  created   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (from_node, to_node),
  CHECK (from_node <> to_node)
);

CREATE TABLE datasets (
  id      bigserial PRIMARY KEY,
  name    text NOT NULL UNIQUE,
  dbs     text NOT NULL DEFAULT '',
  is_open boolean NOT NULL DEFAULT true,
  created timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE blocks (
  id      bigserial PRIMARY KEY,
  dataset bigint NOT NULL REFERENCES datasets ON DELETE CASCADE,
  name    text NOT NULL UNIQUE,
  is_open boolean NOT NULL DEFAULT true,
  files   int NOT NULL DEFAULT 0,
  bytes   bigint NOT NULL DEFAULT 0,
  created timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX blocks_dataset ON blocks (dataset);

CREATE TABLE files (
  id       bigserial PRIMARY KEY,
  block    bigint NOT NULL REFERENCES blocks ON DELETE CASCADE,
  lfn      text NOT NULL UNIQUE,
  bytes    bigint NOT NULL CHECK (bytes >= 0),
  checksum text NOT NULL CHECK (checksum ~ '(^|,)adler32:[0-9a-f]{8}(,|$)'),
  created  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_block ON files (block);

CREATE TABLE replicas (
  file     bigint NOT NULL REFERENCES files ON DELETE CASCADE,
  node     int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  state    text NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'bad')),
  created  timestamptz NOT NULL DEFAULT now(),
  verified timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (file, node)
);
CREATE INDEX replicas_node ON replicas (node);

CREATE TABLE subscriptions (
  id              serial PRIMARY KEY,
  dataset         bigint REFERENCES datasets ON DELETE CASCADE,
  block           bigint REFERENCES blocks ON DELETE CASCADE,
  node            int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  priority        int NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 2), -- 0 high, 1 normal, 2 low
  is_move         boolean NOT NULL DEFAULT false,
  is_custodial    boolean NOT NULL DEFAULT false,
  user_group      text NOT NULL DEFAULT '',
  suspended_until timestamptz,
  created         timestamptz NOT NULL DEFAULT now(),
  CHECK ((dataset IS NULL) <> (block IS NULL))
);
CREATE UNIQUE INDEX subscriptions_dataset ON subscriptions (dataset, node) WHERE dataset IS NOT NULL;
CREATE UNIQUE INDEX subscriptions_block ON subscriptions (block, node) WHERE block IS NOT NULL;

-- One file wanted at one destination; owned by the destination's router.
CREATE TABLE requests (
  file         bigint NOT NULL REFERENCES files ON DELETE CASCADE,
  node         int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  subscription int REFERENCES subscriptions ON DELETE SET NULL,
  priority     int NOT NULL DEFAULT 1,
  is_custodial boolean NOT NULL DEFAULT false,
  state        text NOT NULL DEFAULT 'new'
               CHECK (state IN ('new', 'routed', 'no_source', 'gave_up', 'done')),
  reason       text,
  attempts     int NOT NULL DEFAULT 0,
  created      timestamptz NOT NULL DEFAULT now(),
  updated      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (file, node)
);
CREATE INDEX requests_node_state ON requests (node, state);

CREATE TABLE agents (
  id         serial PRIMARY KEY,
  node       int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  agent      text NOT NULL,
  host       text NOT NULL,
  pid        int NOT NULL,
  started    timestamptz NOT NULL DEFAULT now(),
  heartbeat  timestamptz NOT NULL DEFAULT now(),
  stopped    timestamptz,
  UNIQUE (node, agent, host, pid)
);

-- One hop of one file.  States and their owners:
--   queued -(download)-> active -(download)-> transferred | failed
--   transferred -(verify)-> verified | failed;  verified -(publish)-> done
--   failed -(router)-> queued;  active -> queued when a claim is released
--   (drain) or its agent stopped heart-beating.
CREATE TABLE tasks (
  id             bigserial PRIMARY KEY,
  file           bigint NOT NULL REFERENCES files ON DELETE CASCADE,
  from_node      int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  to_node        int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  state          text NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'active', 'transferred', 'verified', 'done', 'failed')),
  priority       int NOT NULL DEFAULT 1,
  is_custodial   boolean NOT NULL DEFAULT false,
  attempts       int NOT NULL DEFAULT 0,
  next_try       timestamptz NOT NULL DEFAULT now(),
  claimed_by     int REFERENCES agents ON DELETE SET NULL,
  claimed_at     timestamptz,
  from_pfn       text,
  to_pfn         text,
  tmp_pfn        text,               -- where this attempt writes before publish
  seen_bytes     bigint,             -- what the download saw while streaming
  seen_checksum  text,
  created        timestamptz NOT NULL DEFAULT now(),
  updated        timestamptz NOT NULL DEFAULT now(),
  active_at      timestamptz,
  transferred_at timestamptz,
  verified_at    timestamptz,
  done_at        timestamptz,
  failed_at      timestamptz
);
CREATE INDEX tasks_to_state ON tasks (to_node, state, priority, id);
CREATE INDEX tasks_file ON tasks (file, to_node);
-- At most one open (not done, not failed) task per file and destination.
CREATE UNIQUE INDEX tasks_open ON tasks (file, to_node) WHERE state NOT IN ('done', 'failed');

CREATE TABLE errors (
  id        bigserial PRIMARY KEY,
  task      bigint REFERENCES tasks ON DELETE SET NULL,
  file      bigint REFERENCES files ON DELETE CASCADE,
  from_node int REFERENCES nodes ON DELETE CASCADE,
  to_node   int REFERENCES nodes ON DELETE CASCADE,
  time      timestamptz NOT NULL DEFAULT now(),
  reason    text NOT NULL CHECK (reason IN ('transfer', 'checksum', 'size', 'missing', 'publish',
                                            'expired', 'config', 'lost')),
  log       text NOT NULL
);
CREATE INDEX errors_link_time ON errors (from_node, to_node, time);

-- Partial files to remove: written by the task trigger when an attempt that
-- had a temporary file ends without publishing it; the node's delete agent
-- removes them.
CREATE TABLE leftovers (
  id      bigserial PRIMARY KEY,
  node    int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  pfn     text NOT NULL,
  created timestamptz NOT NULL DEFAULT now()
);

-- Replica deletions a node's delete agent must carry out.
CREATE TABLE deletions (
  file      bigint NOT NULL REFERENCES files ON DELETE CASCADE,
  node      int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  force     boolean NOT NULL DEFAULT false, -- even if it is the last copy
  requested timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (file, node)
);

-- Per link and 5-minute bin.
CREATE TABLE link_history (
  time_bin   timestamptz NOT NULL,
  from_node  int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  to_node    int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  try_files  int NOT NULL DEFAULT 0,
  try_bytes  bigint NOT NULL DEFAULT 0,
  done_files int NOT NULL DEFAULT 0,
  done_bytes bigint NOT NULL DEFAULT 0,
  fail_files int NOT NULL DEFAULT 0,
  fail_bytes bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (time_bin, from_node, to_node)
);

CREATE FUNCTION px_bin(t timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS
$$ SELECT to_timestamp(floor(extract(epoch FROM t) / 300) * 300) $$;

-- The task state machine, enforced here whoever writes.
CREATE FUNCTION px_task_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.state <> 'queued' THEN
      RAISE EXCEPTION 'task for file % must start queued, not %', NEW.file, NEW.state
        USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.state IS DISTINCT FROM OLD.state THEN
    IF NOT ((OLD.state, NEW.state) IN (('queued', 'active'), ('active', 'transferred'), ('active', 'failed'),
            ('active', 'queued'), ('transferred', 'verified'), ('transferred', 'failed'),
            ('verified', 'done'), ('verified', 'failed'), ('failed', 'queued'))) THEN
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
CREATE TRIGGER tasks_guard BEFORE INSERT OR UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION px_task_guard();

CREATE FUNCTION px_task_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.state IS DISTINCT FROM OLD.state THEN
    PERFORM pg_notify('phedex_node_' || NEW.to_node, NEW.state);
    IF NEW.state = 'done' THEN
      PERFORM pg_notify('phedex_topology', 'replica');
    END IF;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER tasks_notify AFTER INSERT OR UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION px_task_notify();

CREATE FUNCTION px_node_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n int;
BEGIN
  n := CASE TG_TABLE_NAME
         WHEN 'subscriptions' THEN COALESCE(NEW.node, OLD.node)
         WHEN 'leftovers' THEN NEW.node
         WHEN 'deletions' THEN NEW.node
       END;
  PERFORM pg_notify('phedex_node_' || n, TG_TABLE_NAME);
  PERFORM pg_notify('phedex_topology', TG_TABLE_NAME);
  RETURN NULL;
END $$;
CREATE TRIGGER subscriptions_notify AFTER INSERT OR UPDATE OR DELETE ON subscriptions
  FOR EACH ROW EXECUTE FUNCTION px_node_notify();
CREATE TRIGGER leftovers_notify AFTER INSERT ON leftovers FOR EACH ROW EXECUTE FUNCTION px_node_notify();
CREATE TRIGGER deletions_notify AFTER INSERT ON deletions FOR EACH ROW EXECUTE FUNCTION px_node_notify();

CREATE FUNCTION px_topology_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('phedex_topology', TG_TABLE_NAME);
  RETURN NULL;
END $$;
CREATE TRIGGER links_notify AFTER INSERT OR UPDATE OR DELETE ON links
  FOR EACH STATEMENT EXECUTE FUNCTION px_topology_notify();
CREATE TRIGGER replicas_notify AFTER INSERT OR DELETE ON replicas
  FOR EACH STATEMENT EXECUTE FUNCTION px_topology_notify();
CREATE TRIGGER files_notify AFTER INSERT ON files
  FOR EACH STATEMENT EXECUTE FUNCTION px_topology_notify();

CREATE FUNCTION px_tfc_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('phedex_topology', 'tfc');
  RETURN NULL;
END $$;
CREATE TRIGGER nodes_tfc_notify AFTER UPDATE OF tfc ON nodes FOR EACH ROW EXECUTE FUNCTION px_tfc_notify();
