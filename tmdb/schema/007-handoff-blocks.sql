-- 007-handoff-blocks: hand-off blocks closed by limits; auto-subscription policies.  Additive only.

-- Events handed off into the current block (the block's files and bytes
-- are on blocks).
ALTER TABLE handoff_blocks ADD COLUMN events bigint NOT NULL DEFAULT 0;

-- A node's block limits ([handoff] in its site.conf), uploaded by its
-- delete agent; a node without a row has the production defaults (500
-- files, 5 TB, 25 M events, 18 h).
CREATE TABLE handoff_limits (
  node       int PRIMARY KEY REFERENCES nodes ON DELETE CASCADE,
  max_files  bigint NOT NULL,
  max_bytes  bigint NOT NULL,
  max_events bigint NOT NULL,
  max_age    bigint NOT NULL,  -- seconds
  updated    timestamptz NOT NULL DEFAULT now()
);

-- Auto-subscription policies (phedex policy): a dataset whose name matches
-- pattern ('*': any characters) gets a dataset subscription at node when
-- phedex handoff first injects merged files of it.  kind custodial is only
-- for an MSS node (phedex policy add refuses others).
CREATE TABLE handoff_policies (
  id         serial PRIMARY KEY,
  pattern    text NOT NULL,
  node       int NOT NULL REFERENCES nodes ON DELETE CASCADE,
  kind       text NOT NULL CHECK (kind IN ('custodial', 'replica', 'move')),
  priority   int NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 2),
  user_group text NOT NULL DEFAULT '',
  created    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (pattern, node)
);

-- The blocks phedex handoff filled, with the node that produced them: a
-- block is pinned there (its replicas are not deleted, unless forced)
-- while a policy matching its dataset has a destination that does not yet
-- hold every file of it verified.
CREATE TABLE handoff_produced (
  block bigint PRIMARY KEY REFERENCES blocks ON DELETE CASCADE,
  node  int NOT NULL REFERENCES nodes ON DELETE CASCADE
);
