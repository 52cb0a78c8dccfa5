-- 014: the last orphan scan per node (phedex unmerged scan), so that
-- 'phedex unmerged' and the status page show orphans in files and bytes
-- without listing the storage again.  Additive only.
CREATE TABLE unmerged_scans (
  node         int PRIMARY KEY REFERENCES nodes ON DELETE CASCADE,
  scanned_at   timestamptz NOT NULL DEFAULT now(),
  source       text NOT NULL CHECK (source IN ('storage', 'dump')),
  listed       bigint NOT NULL,  -- files under the unmerged bases the scan saw
  orphan_files bigint NOT NULL,  -- orphans left after the scan (deleted ones not counted)
  orphan_bytes bigint NOT NULL,
  oldest_age   bigint            -- seconds, of the oldest orphan left (NULL: none, or no time known)
);

-- As every hand-off table: everyone granted SELECT reads it, managers write
-- it (the scan is a data-manager command), sites do not.
ALTER TABLE unmerged_scans ENABLE ROW LEVEL SECURITY;
CREATE POLICY px_read ON unmerged_scans FOR SELECT USING (true);
CREATE POLICY px_manager ON unmerged_scans USING ((SELECT px_is_manager())) WITH CHECK ((SELECT px_is_manager()));
DO $$
DECLARE
  r text;
BEGIN
  FOR r IN SELECT role FROM tmdb_roles WHERE kind = 'manager' LOOP
    EXECUTE format('GRANT INSERT, UPDATE, DELETE ON unmerged_scans TO %I', r);
  END LOOP;
  FOR r IN SELECT role FROM tmdb_roles WHERE kind IN ('reader', 'site') LOOP
    EXECUTE format('GRANT SELECT ON unmerged_scans TO %I', r);
  END LOOP;
END $$;
