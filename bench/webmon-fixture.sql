-- A synthetic TMDB for webmon's EXPLAIN test and bench/bench-webmon.sh,
-- straight into the tables with generate_series (no agents involved).
--   psql -v nodes=8 -v links=50 -v blocks=1000 -v files_per_block=1000 -v days=7
--        -v tasks=100000 -v errors=200000 -v big_logs=20 -v subs=500 -v agents=250 -f webmon-fixture.sql
-- Every file has a replica at the first node, every other file one at the
-- second too; open tasks go from the first node to the others; errors and
-- 5-minute link_history bins spread over DAYS days.  Ends with ANALYZE.
\set ON_ERROR_STOP 1
SET synchronous_commit = off;
BEGIN;
INSERT INTO nodes (name, kind, tfc, tfc_updated)
  SELECT format('T%s_XX_Bench%s', 1 + i % 3, i), 'Disk', '<storage-mapping/>', now() FROM generate_series(1, :nodes) i;
INSERT INTO links (from_node, to_node, distance)
  SELECT a.id, b.id, 1 + (a.id + b.id) % 3 FROM nodes a, nodes b WHERE a.id <> b.id ORDER BY a.id, b.id LIMIT :links;
CREATE TEMP TABLE bn AS SELECT id, row_number() OVER (ORDER BY id) AS k FROM nodes;
INSERT INTO datasets (name, is_open)
  SELECT format('/Bench/Run%s/RAW', i), false FROM generate_series(1, greatest(:blocks / 10, 1)) i;
INSERT INTO blocks (dataset, name, is_open, files, bytes)
  SELECT d.id, d.name || '#' || j, false, :files_per_block, :files_per_block * 2500000000::bigint
  FROM datasets d, generate_series(1, 10) j WHERE d.name LIKE '/Bench/%';
INSERT INTO files (block, lfn, bytes, checksum)
  SELECT b.id, format('/store/bench/%s/%s/file_%s.root', b.dataset, b.id, k), 2500000000,
         'adler32:' || lpad(to_hex((b.id * 100003 + k) % 4294967295), 8, '0')
  FROM blocks b, generate_series(1, :files_per_block) k WHERE b.name LIKE '/Bench/%';
INSERT INTO replicas (file, node) SELECT f.id, (SELECT id FROM bn WHERE k = 1) FROM files f WHERE f.lfn LIKE '/store/bench/%';
INSERT INTO replicas (file, node)
  SELECT f.id, (SELECT id FROM bn WHERE k = 2) FROM files f WHERE f.lfn LIKE '/store/bench/%' AND f.id % 2 = 0;
INSERT INTO agents (node, agent, host, pid, version, heartbeat, stopped)
  SELECT n.id, a, format('host%s.bench', i % 50), 1000 + i, '0.1.0',
         now() - (i % 7) * interval '13 seconds', CASE WHEN i % 10 = 0 THEN now() - interval '1 hour' END
  FROM bn n, unnest(ARRAY['router', 'download', 'verify', 'publish', 'delete']) a,
       generate_series(1, greatest(:agents / (5 * :nodes), 1)) i;
-- Subscriptions: block subscriptions at the nodes other than the first two.
INSERT INTO subscriptions (block, node, priority)
  SELECT b.id, n.id, b.id % 3 FROM (SELECT id, row_number() OVER (ORDER BY id) r FROM blocks) b
  JOIN bn n ON n.k = 3 + (b.r - 1) % (:nodes - 2)
  WHERE b.r <= :subs;
-- Their requests (the files of the subscribed blocks); the first TASKS of
-- them routed with an open task from the first node.
INSERT INTO requests (file, node, subscription, priority, state)
  SELECT f.id, s.node, s.id, s.priority, 'new' FROM subscriptions s JOIN files f ON f.block = s.block;
ALTER TABLE tasks DISABLE TRIGGER tasks_notify;
INSERT INTO tasks (file, from_node, to_node, for_node, priority, attempts, created)
  SELECT r.file, (SELECT id FROM bn WHERE k = 1), r.node, r.node, r.priority, 0, now() - (r.file % 600) * interval '1 minute'
  FROM requests r ORDER BY r.file, r.node LIMIT :tasks;
ALTER TABLE tasks ENABLE TRIGGER tasks_notify;
UPDATE requests r SET state = 'routed' FROM tasks t WHERE t.file = r.file AND t.to_node = r.node;
UPDATE requests SET state = 'done' WHERE state = 'new' AND file % 3 = 0;
-- Errors over DAYS days on the links, a few with 100 KB logs.
INSERT INTO errors (file, from_node, to_node, time, reason, permanent, log)
  SELECT (SELECT min(id) FROM files) + (i * 7919) % (:blocks * :files_per_block), l.from_node, l.to_node,
         now() - (i::float8 / :errors) * :days * interval '1 day',
         (ARRAY['transfer', 'checksum', 'size', 'missing', 'publish', 'expired'])[1 + i % 6], i % 11 = 0,
         CASE WHEN i <= :big_logs THEN repeat('gfal-copy: Connection timed out after 300 s; ', 2300)
              ELSE format('gfal-copy error %s: Connection timed out', i % 97) END
  FROM generate_series(1, :errors) i
  JOIN (SELECT from_node, to_node, row_number() OVER (ORDER BY from_node, to_node) - 1 AS r FROM links) l
    ON l.r = i % :links;
-- 5-minute bins for DAYS days on every link.
INSERT INTO link_history (time_bin, from_node, to_node, try_files, try_bytes, done_files, done_bytes, fail_files,
                          fail_bytes, queued_files, queued_bytes, active_files)
  SELECT px_bin(now() - s * interval '5 minutes'), l.from_node, l.to_node, 12, 30000000000, 10, 25000000000, 2,
         5000000000, 1000 + s % 50, (1000 + s % 50) * 2500000000::bigint, 5
  FROM links l, generate_series(0, :days * 288 - 1) s;
COMMIT;
ANALYZE;
