-- 004-faults: what faults taught (issue "nothing lost, nothing stuck").
-- Why a replica is to be deleted: 'user' (phedex delete), 'move' (a move
-- subscription completed), 'transit' (a hop's copy at an intermediate node
-- once the file reached its destination).  The delete agent re-checks
-- 'move' and 'transit' deletions when it carries them out: a copy that a
-- subscription of its node now wants is kept (the deletion is dropped).
-- Every deletion waits while a queued or active transfer reads from the copy.
ALTER TABLE deletions ADD COLUMN why text NOT NULL DEFAULT 'user' CHECK (why IN ('user', 'move', 'transit'));
-- Routers skip sources whose copy is about to be deleted.
CREATE INDEX deletions_node ON deletions (node, file);
-- Tasks reading from a node (a deletion waits for them).
CREATE INDEX tasks_open_source ON tasks (file, from_node) WHERE state IN ('queued', 'active');
-- Claims of one agent, taken back when it reconnects or a report fails.
CREATE INDEX tasks_claimed_by ON tasks (claimed_by) WHERE claimed_by IS NOT NULL;
-- Whether node N wants file F for itself: a subscription of N covers it, or
-- N has an open request for it.  A transit or move copy that N wants is kept.
CREATE FUNCTION px_wanted(f bigint, n int) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM files fi JOIN blocks b ON b.id = fi.block JOIN subscriptions s
                   ON s.node = n AND (s.block = b.id OR s.dataset = b.dataset) WHERE fi.id = f)
      OR EXISTS (SELECT 1 FROM requests q WHERE q.file = f AND q.node = n AND q.state <> 'done')
$$;
-- "An agent is alive", defined once: it has not stopped and its last
-- heartbeat is younger than the stale-after it registered with (its
-- site's [site] stale-after).  Claims of an agent that is not alive are
-- taken back; links into a node without a live download agent are not used.
ALTER TABLE agents ADD COLUMN stale_after int NOT NULL DEFAULT 60 CHECK (stale_after > 0);
CREATE FUNCTION px_alive(a agents) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT a.stopped IS NULL AND a.heartbeat > now() - make_interval(secs => a.stale_after)
$$;
-- Statistics follow the churn: the hot tables are analysed after 1 % of
-- their rows changed (not the default 10 %), so plans made while a big
-- subscription expands do not stay those of an empty table.
ALTER TABLE tasks SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE requests SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE replicas SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
