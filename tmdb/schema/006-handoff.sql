-- 006-handoff: the production hand-off (phedex handoff) and the cleanup of
-- unmerged files by the node's delete agent.  Additive only.

-- A file is (LFN, GUID, bytes, adler32): the GUID a job report gave it.
ALTER TABLE files ADD COLUMN guid text;

-- Every job report handed off at a node, by the digest of its bytes: a
-- report handed in again changes nothing.
CREATE TABLE handoff_reports (
  id      bigserial PRIMARY KEY,
  node    int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  digest  text NOT NULL,       -- sha256 of the report's bytes
  name    text NOT NULL,       -- the path it was read from
  outcome text NOT NULL CHECK (outcome IN ('injected', 'duplicate', 'failed-job', 'nothing')),
  failure text,                -- why the job failed
  created timestamptz NOT NULL DEFAULT now(),
  UNIQUE (node, digest)
);

-- Unmerged files at a node that production told us about: outputs of
-- processing jobs, outputs of failed jobs and the primary inputs of merges.
-- state: waiting -(delete agent decides, one statement)-> deleting -> deleted.
-- reason: why a waiting file is not deleted (pending: not decided yet,
-- no-merge-record, merged-not-verified, no-custodial-copy, held: ...,
-- delete-failed: ...).
CREATE TABLE unmerged (
  id         bigserial PRIMARY KEY,
  node       int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  lfn        text NOT NULL,
  bytes      bigint,           -- from a stat when handed off, or before deletion
  origin     text NOT NULL CHECK (origin IN ('output', 'failed-output', 'input')),
  state      text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'deleting', 'deleted')),
  reason     text DEFAULT 'pending',
  attempts   int NOT NULL DEFAULT 0,
  next_try   timestamptz NOT NULL DEFAULT now(),
  created    timestamptz NOT NULL DEFAULT now(),
  merged_at  timestamptz,      -- the first successful merge report that read it
  deleted_at timestamptz,
  UNIQUE (node, lfn)
);
CREATE INDEX unmerged_node_state ON unmerged (node, state);

-- The merge relation: a merged file and the primary unmerged inputs a
-- successful report made it from.
CREATE TABLE merges (
  report   bigint NOT NULL REFERENCES handoff_reports ON DELETE CASCADE,
  merged   bigint NOT NULL REFERENCES files ON DELETE CASCADE,
  unmerged bigint NOT NULL REFERENCES unmerged ON DELETE CASCADE,
  PRIMARY KEY (merged, unmerged)
);
CREATE INDEX merges_unmerged ON merges (unmerged);

-- Holds keep unmerged files: a failed merge's inputs (report set) or an
-- operator's (phedex unmerged hold), on one LFN or a directory.
CREATE TABLE unmerged_holds (
  id       bigserial PRIMARY KEY,
  node     int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  lfn      text,
  dir      text CHECK (dir LIKE '%/'),
  reason   text NOT NULL,
  report   bigint REFERENCES handoff_reports ON DELETE CASCADE,
  created  timestamptz NOT NULL DEFAULT now(),
  released timestamptz,
  CHECK ((lfn IS NULL) <> (dir IS NULL))
);
CREATE INDEX unmerged_holds_node ON unmerged_holds (node) WHERE released IS NULL;

-- The open block hand-offs fill, one per dataset and node.
CREATE TABLE handoff_blocks (
  dataset text NOT NULL,
  node    int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  block   text NOT NULL,
  PRIMARY KEY (dataset, node)
);
