#!/bin/sh
# The read-only reports — nodes, links, queue, errors, status — on a TMDB
# filled by hand where the agents would have written (tasks in every state on
# three links with known times, errors, link history, agents): each shows
# exactly the expected numbers, as text and as JSON.  No agent runs.  The
# filled TMDB is set up once; the cases only read it (the one that suspends
# and resumes works in its own copy).
#
#   T1_Src -> T2_Dst (distance 1), T1_Src -> T3_Far (2), T2_Dst -> T3_Far (1, inactive)
#   /Rep/A/RAW 6 files, /Rep/B/RAW 2 files, /Rep/C/RAW 1 file, all at T1_Src;
#   file i of each is 1024000 + 37 i bytes (px_dataset).
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
LC_ALL=C COLUMNS=60
export LC_ALL COLUMNS
# check 'EXPR'...: every Python expression is true; j(FILE) is FILE's JSON,
# drop(ROWS, KEY) the rows without KEY, t(ISO) the seconds since the epoch of
# "YYYY-MM-DDTHH:MM:SSZ".  (One Python per test: it is slow to start.)
check () {
	python3 -S -c '
import calendar, json, sys, time
def j(f): return json.load(open(f))
def t(s): return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))
def drop(rows, key): return [{k: v for k, v in r.items() if k != key} for r in rows]
for e in sys.argv[1:]:
    if not eval(e):
        print("not true:", e)
        sys.exit(1)
' "$@"
}

fixture tmdb
fixture site T1_Src
fixture site T2_Dst
fixture site T3_Far --kind MSS
fixture link T1_Src T2_Dst
fixture link T1_Src T3_Far --distance 2
fixture link T2_Dst T3_Far
fixture dataset T1_Src /Rep/A/RAW 6 1000
fixture dataset T1_Src /Rep/B/RAW 2 1000
fixture dataset T1_Src /Rep/C/RAW 1 1000
# Subscriptions: active, done, complete (open block), suspended move.
fixture subscribe --node T2_Dst --dataset /Rep/A/RAW
fixture subscribe --node T2_Dst --dataset /Rep/B/RAW
fixture subscribe --node T2_Dst --block "/Rep/C/RAW#1" --priority high
fixture subscribe --node T3_Far --dataset /Rep/A/RAW --move --priority low
fixture suspend --node T3_Far --dataset /Rep/A/RAW --until +2h
fixture sql <<\EOF
update blocks set is_open = true where name = '/Rep/C/RAW#1';
update subscriptions set created = now() - interval '2 hours';
EOF

# What the agents would have written: tasks in every state (walked through
# the states, so the database checks each step; then their times set back),
# replicas, requests, errors, link history, agents.
fixture sql <<'EOF'
CREATE FUNCTION pg_temp.f(p_ds text, p_i int) RETURNS bigint LANGUAGE sql AS
  $$ SELECT id FROM files WHERE lfn = format('/store/demo/_Rep_%s_RAW/%s.root', p_ds, lpad(p_i::text, 4, '0')) $$;
CREATE FUNCTION pg_temp.n(p_name text) RETURNS int LANGUAGE sql AS $$ SELECT id FROM nodes WHERE name = p_name $$;
CREATE FUNCTION pg_temp.task(p_ds text, p_i int, p_from text, p_to text, p_for text, p_prio int, p_states text[],
    p_created interval, p_done interval) RETURNS void LANGUAGE plpgsql AS $$
DECLARE v_id bigint; v_state text;
BEGIN
  INSERT INTO tasks (file, from_node, to_node, for_node, priority)
    VALUES (pg_temp.f(p_ds, p_i), pg_temp.n(p_from), pg_temp.n(p_to), pg_temp.n(p_for), p_prio) RETURNING id INTO v_id;
  FOREACH v_state IN ARRAY p_states LOOP UPDATE tasks SET state = v_state WHERE id = v_id; END LOOP;
  UPDATE tasks SET created = now() - p_created, done_at = now() - p_done WHERE id = v_id;
END $$;
SELECT pg_temp.task('A', 0, 'T1_Src', 'T2_Dst', 'T2_Dst', 1, '{active,transferred,verified,done}', '1 hour', '10 minutes');
SELECT pg_temp.task('A', 1, 'T1_Src', 'T2_Dst', 'T2_Dst', 1, '{active,transferred,verified,done}', '1 hour', '20 minutes');
SELECT pg_temp.task('A', 2, 'T1_Src', 'T2_Dst', 'T2_Dst', 1, '{active}', '1 hour', NULL);
SELECT pg_temp.task('A', 3, 'T1_Src', 'T2_Dst', 'T2_Dst', 1, '{}', '1 hour', NULL);
SELECT pg_temp.task('A', 4, 'T1_Src', 'T2_Dst', 'T2_Dst', 1, '{active,transferred}', '1 hour', NULL);
SELECT pg_temp.task('A', 5, 'T1_Src', 'T2_Dst', 'T2_Dst', 1, '{active,failed}', '1 hour', NULL);
SELECT pg_temp.task('B', 0, 'T1_Src', 'T2_Dst', 'T2_Dst', 1, '{active,transferred,verified,done}', '3 hours', '2 hours');
SELECT pg_temp.task('B', 1, 'T1_Src', 'T2_Dst', 'T2_Dst', 1, '{active,transferred,verified,done}', '3 hours', '2 hours');
SELECT pg_temp.task('C', 0, 'T1_Src', 'T2_Dst', 'T2_Dst', 0, '{active,transferred,verified,done}', '1 hour', '30 minutes');
SELECT pg_temp.task('A', 5, 'T1_Src', 'T3_Far', 'T3_Far', 2, '{}', '3 hours', NULL);
SELECT pg_temp.task('A', 4, 'T1_Src', 'T3_Far', 'T3_Far', 2, '{active}', '1 hour', NULL);
SELECT pg_temp.task('A', 0, 'T2_Dst', 'T3_Far', 'T3_Far', 0, '{}', '2 hours', NULL);
INSERT INTO replicas (file, node, state) VALUES
  (pg_temp.f('A', 0), pg_temp.n('T2_Dst'), 'ok'), (pg_temp.f('A', 1), pg_temp.n('T2_Dst'), 'ok'),
  (pg_temp.f('B', 0), pg_temp.n('T2_Dst'), 'ok'), (pg_temp.f('B', 1), pg_temp.n('T2_Dst'), 'ok'),
  (pg_temp.f('C', 0), pg_temp.n('T2_Dst'), 'ok'), (pg_temp.f('A', 5), pg_temp.n('T2_Dst'), 'bad');
INSERT INTO requests (file, node, state) VALUES (pg_temp.f('A', 5), pg_temp.n('T2_Dst'), 'gave_up'),
  (pg_temp.f('A', 1), pg_temp.n('T3_Far'), 'no_path'), (pg_temp.f('A', 2), pg_temp.n('T2_Dst'), 'routed');
INSERT INTO errors (file, from_node, to_node, time, reason, log, permanent) VALUES
  (pg_temp.f('A', 5), pg_temp.n('T1_Src'), pg_temp.n('T2_Dst'), now() - interval '50 minutes', 'transfer',
   'an older log', false),
  (pg_temp.f('A', 5), pg_temp.n('T1_Src'), pg_temp.n('T2_Dst'), now() - interval '5 minutes', 'transfer',
   'gfal-copy: SOURCE: could not open file:///store/demo/_Rep_A_RAW/0005.root: permission denied'
   || chr(10) || 'second line of the log', true),
  (pg_temp.f('A', 5), pg_temp.n('T1_Src'), pg_temp.n('T2_Dst'), now() - interval '3 hours', 'transfer',
   'a log of three hours ago', false),
  (pg_temp.f('A', 4), pg_temp.n('T1_Src'), pg_temp.n('T2_Dst'), now() - interval '2 minutes', 'checksum',
   'adler32 mismatch: 0123abcd, catalogue 89abcdef', false),
  (pg_temp.f('A', 5), pg_temp.n('T1_Src'), pg_temp.n('T3_Far'), now() - interval '30 hours', 'expired',
   'queued for longer than 3600 s; routed again', false),
  (pg_temp.f('B', 0), NULL, pg_temp.n('T2_Dst'), now() - interval '1 minute', 'at-rest',
   'the replica no longer matches the catalogue', false);
-- T1_Src -> T2_Dst: 9 MB done in bins spanning 25 minutes of the last hour
-- (and an older bin outside it); T2_Dst -> T3_Far: failures only.
INSERT INTO link_history (time_bin, from_node, to_node, done_files, done_bytes, fail_files) VALUES
  (px_bin(now()) - interval '2 hours', pg_temp.n('T1_Src'), pg_temp.n('T2_Dst'), 999, 999999999, 0),
  (px_bin(now()) - interval '30 minutes', pg_temp.n('T1_Src'), pg_temp.n('T2_Dst'), 3, 3000000, 0),
  (px_bin(now()) - interval '10 minutes', pg_temp.n('T1_Src'), pg_temp.n('T2_Dst'), 6, 6000000, 1),
  (px_bin(now()) - interval '20 minutes', pg_temp.n('T2_Dst'), pg_temp.n('T3_Far'), 0, 0, 2);
UPDATE links SET active = false WHERE from_node = pg_temp.n('T2_Dst') AND to_node = pg_temp.n('T3_Far');
UPDATE nodes SET tfc = '<storage-mapping/>', tfc_updated = now() WHERE name = 'T1_Src';
INSERT INTO agents (node, agent, host, pid, heartbeat, stopped) VALUES
  (pg_temp.n('T2_Dst'), 'download', 'host1', 101, now(), NULL),
  (pg_temp.n('T2_Dst'), 'router', 'host1', 102, now() - interval '10 minutes', NULL),
  (pg_temp.n('T2_Dst'), 'verify', 'host1', 103, now() - interval '5 minutes', now() - interval '5 minutes');
EOF

test_expect_success 'the filled TMDB: 9 files of 9216592 bytes, 12 tasks' - <<\EOT
	sql_is "9|9216592" "select count(*), sum(bytes) from files" &&
	sql_is 12 "select count(*) from tasks"
EOT

test_expect_success 'nodes: good replicas, agents alive, storage.xml uploaded' - <<\EOT
	phedex nodes >out &&
	cat >expect <<-\EOF &&
	NODE    KIND  FILES    BYTES  AGENTS ALIVE  STORAGE.XML
	T1_Src  Disk      9   9.2 MB  -             yes
	T2_Dst  Disk      5   5.1 MB  download      no
	T3_Far  MSS       0  0 bytes  -             no
	EOF
	diff -u expect out &&
	phedex nodes --json >nodes.json &&
	check "j(\"nodes.json\") == [
	  {\"name\": \"T1_Src\", \"kind\": \"Disk\", \"files\": 9, \"bytes\": 9216592, \"agents\": [], \"storage_xml\": True},
	  {\"name\": \"T2_Dst\", \"kind\": \"Disk\", \"files\": 5, \"bytes\": 5120074, \"agents\": [\"download\"], \"storage_xml\": False},
	  {\"name\": \"T3_Far\", \"kind\": \"MSS\", \"files\": 0, \"bytes\": 0, \"agents\": [], \"storage_xml\": False}]"
EOT

test_expect_success 'links: measured rate, queue, failures of the last hour, download agent' - <<\EOT
	phedex links >out &&
	cat >expect <<-\EOF &&
	FROM    TO      DIST  ACTIVE  RATE (1H)  QUEUED  QUEUED BYTES  FAILED (1H)  DOWNLOAD
	T1_Src  T2_Dst     1  yes      6.0 kB/s       1        1.0 MB            3  yes
	T1_Src  T3_Far     2  yes             -       1        1.0 MB            0  no
	T2_Dst  T3_Far     1  no      0 bytes/s       1        1.0 MB            0  no
	EOF
	diff -u expect out &&
	phedex links --json >links.json && phedex links --node T3_Far --json >far.json &&
	check "j(\"links.json\") == [
	  {\"from\": \"T1_Src\", \"to\": \"T2_Dst\", \"distance\": 1, \"active\": True, \"rate\": 6000, \"queued_files\": 1,
	   \"queued_bytes\": 1024111, \"failures\": 3, \"download_alive\": True},
	  {\"from\": \"T1_Src\", \"to\": \"T3_Far\", \"distance\": 2, \"active\": True, \"rate\": None, \"queued_files\": 1,
	   \"queued_bytes\": 1024185, \"failures\": 0, \"download_alive\": False},
	  {\"from\": \"T2_Dst\", \"to\": \"T3_Far\", \"distance\": 1, \"active\": False, \"rate\": 0, \"queued_files\": 1,
	   \"queued_bytes\": 1024000, \"failures\": 0, \"download_alive\": False}]" \
	  "j(\"far.json\") == j(\"links.json\")[1:]"
EOT

test_expect_success 'queue: per link and priority, queued, active, verifying, oldest queued' - <<\EOT
	phedex queue >out &&
	cat >expect <<-\EOF &&
	FROM    TO      PRIO        QUEUED      ACTIVE   VERIFYING  OLDEST QUEUED
	T1_Src  T2_Dst  normal  1 (1.0 MB)  1 (1.0 MB)  1 (1.0 MB)          1h00m
	T1_Src  T3_Far  low     1 (1.0 MB)  1 (1.0 MB)           0          3h00m
	T2_Dst  T3_Far  high    1 (1.0 MB)           0           0          2h00m
	EOF
	diff -u expect out &&
	phedex queue --json >queue.json &&
	phedex queue --node T3_Far --from T1_Src --json >q1.json && phedex queue --from T2_Dst --json >q2.json &&
	check "drop(j(\"queue.json\"), \"oldest_queued\") == [
	  {\"from\": \"T1_Src\", \"to\": \"T2_Dst\", \"priority\": \"normal\", \"queued_files\": 1, \"queued_bytes\": 1024111,
	   \"active_files\": 1, \"active_bytes\": 1024074, \"verifying_files\": 1, \"verifying_bytes\": 1024148},
	  {\"from\": \"T1_Src\", \"to\": \"T3_Far\", \"priority\": \"low\", \"queued_files\": 1, \"queued_bytes\": 1024185,
	   \"active_files\": 1, \"active_bytes\": 1024148, \"verifying_files\": 0, \"verifying_bytes\": 0},
	  {\"from\": \"T2_Dst\", \"to\": \"T3_Far\", \"priority\": \"high\", \"queued_files\": 1, \"queued_bytes\": 1024000,
	   \"active_files\": 0, \"active_bytes\": 0, \"verifying_files\": 0, \"verifying_bytes\": 0}]" \
	  "all(0 <= q[\"oldest_queued\"] - h * 3600 < 60 for q, h in zip(j(\"queue.json\"), (1, 3, 2)))" \
	  "drop(j(\"q1.json\"), \"oldest_queued\") == drop(j(\"queue.json\")[1:2], \"oldest_queued\")" \
	  "drop(j(\"q2.json\"), \"oldest_queued\") == drop(j(\"queue.json\")[2:], \"oldest_queued\")"
EOT

test_expect_success 'errors: per link and reason, the latest log cut to the terminal, in full as JSON' - <<\EOT
	phedex errors >out &&
	cat >expect <<-\EOF &&
	FROM    TO      REASON    COUNT  PERMANENT  LAST
	-       T2_Dst  at-rest       1          0  TIME
	    the replica no longer matches the catalogue
	T1_Src  T2_Dst  checksum      1          0  TIME
	    adler32 mismatch: 0123abcd, catalogue 89abcdef
	T1_Src  T2_Dst  transfer      3          1  TIME
	    gfal-copy: SOURCE: could not open file:///store/demo/...
	EOF
	sed "s/[0-9]\{4\}-[0-9][0-9]-[0-9][0-9] [0-9:]\{8\}$/TIME/" out | diff -u expect - &&
	phedex errors --json >errors.json &&
	last=$(sql_p "select extract(epoch from max(time))::bigint from errors where reason = :'r'" r=transfer) &&
	check "[(e[\"from\"], e[\"to\"], e[\"reason\"], e[\"count\"], e[\"permanent\"]) for e in j(\"errors.json\")] == [
	  (None, \"T2_Dst\", \"at-rest\", 1, 0), (\"T1_Src\", \"T2_Dst\", \"checksum\", 1, 0), (\"T1_Src\", \"T2_Dst\", \"transfer\", 3, 1)]" \
	  "j(\"errors.json\")[2][\"last_log\"] == \"gfal-copy: SOURCE: could not open file:///store/demo/_Rep_A_RAW/0005.root: permission denied\nsecond line of the log\"" \
	  "abs(t(j(\"errors.json\")[2][\"last\"]) - $last) <= 1"
EOT

test_expect_success 'errors: --since, --node, --from, --limit' - <<\EOT
	phedex errors --since 48 --json >e48.json && phedex errors --since 0.5 --json >e05.json &&
	phedex errors --node T3_Far --since 48 --json >far.json && phedex errors --from T1_Src --json >from.json &&
	phedex errors --limit 2 --json >lim.json &&
	check "[(e[\"from\"], e[\"to\"], e[\"reason\"], e[\"count\"]) for e in j(\"e48.json\")] == [(None, \"T2_Dst\", \"at-rest\", 1),
	  (\"T1_Src\", \"T2_Dst\", \"checksum\", 1), (\"T1_Src\", \"T2_Dst\", \"transfer\", 3), (\"T1_Src\", \"T3_Far\", \"expired\", 1)]" \
	  "[(e[\"reason\"], e[\"count\"], e[\"permanent\"]) for e in j(\"e05.json\")] == [(\"at-rest\", 1, 0), (\"checksum\", 1, 0), (\"transfer\", 1, 1)]" \
	  "[(e[\"reason\"], e[\"last_log\"]) for e in j(\"far.json\")] == [(\"expired\", \"queued for longer than 3600 s; routed again\")]" \
	  "[e[\"reason\"] for e in j(\"from.json\")] == [\"checksum\", \"transfer\"]" \
	  "[e[\"reason\"] for e in j(\"lim.json\")] == [\"at-rest\", \"checksum\"]" &&
	phedex errors --since 0.01 >out && test "$(cat out)" = "no errors in the last 0.01 hours"
EOT

test_expect_success 'status: state, progress, queued, failed, rate and ETA per subscription' - <<\EOT
	phedex status >out &&
	sed -n "1,/^\$/p" out | sed "s/until [0-9]\{4\}-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]/until TIME            /" >subs &&
	cat >expect <<-\EOF &&
	SUBSCRIPTIONS
	DATASET/BLOCK  NODE    PRIO    TYPE     STATE                             FILES           BYTES  QUEUED  FAILED    RATE (1H)    ETA
	/Rep/A/RAW     T2_Dst  normal  replica  active                              2/6   2.0 MB/6.1 MB       3       1  569 bytes/s  2h00m
	/Rep/A/RAW     T3_Far  low     move     suspended until TIME                0/6  0 bytes/6.1 MB       3       1            -      -
	/Rep/B/RAW     T2_Dst  normal  replica  done                                2/2   2.0 MB/2.0 MB       0       0            -      -
	/Rep/C/RAW#1   T2_Dst  high    replica  complete                            1/1   1.0 MB/1.0 MB       0       0  284 bytes/s      -

	EOF
	diff -u expect subs &&
	grep -q "^T1_Src  T2_Dst  done             5$" out &&
	grep -q "^T1_Src  T2_Dst  transfer      3          1  " out &&
	grep -q "^T2_Dst  router    host1  102  10m[0-5][0-9]s ago$" out &&
	grep -q "^T2_Dst  verify    host1  103  stopped$" out &&
	phedex status --json >status.json && phedex errors --json >errors.json &&
	until=$(sql "select extract(epoch from suspended_until)::bigint from subscriptions where suspended_until is not null") &&
	check "drop(j(\"status.json\")[\"subscriptions\"], \"suspended_until\") == [
	  {\"item\": \"/Rep/A/RAW\", \"node\": \"T2_Dst\", \"priority\": \"normal\", \"move\": False, \"state\": \"active\",
	   \"files_done\": 2, \"files\": 6, \"bytes_done\": 2048037, \"bytes\": 6144555, \"queued\": 3, \"failed\": 1,
	   \"rate\": 569, \"eta\": 7201},
	  {\"item\": \"/Rep/A/RAW\", \"node\": \"T3_Far\", \"priority\": \"low\", \"move\": True, \"state\": \"suspended\",
	   \"files_done\": 0, \"files\": 6, \"bytes_done\": 0, \"bytes\": 6144555, \"queued\": 3, \"failed\": 1,
	   \"rate\": None, \"eta\": None},
	  {\"item\": \"/Rep/B/RAW\", \"node\": \"T2_Dst\", \"priority\": \"normal\", \"move\": False, \"state\": \"done\",
	   \"files_done\": 2, \"files\": 2, \"bytes_done\": 2048037, \"bytes\": 2048037, \"queued\": 0, \"failed\": 0,
	   \"rate\": None, \"eta\": None},
	  {\"item\": \"/Rep/C/RAW#1\", \"node\": \"T2_Dst\", \"priority\": \"high\", \"move\": False, \"state\": \"complete\",
	   \"files_done\": 1, \"files\": 1, \"bytes_done\": 1024000, \"bytes\": 1024000, \"queued\": 0, \"failed\": 0,
	   \"rate\": 284, \"eta\": None}]" \
	  "[s[\"suspended_until\"] is None for s in j(\"status.json\")[\"subscriptions\"]] == [True, False, True, True]" \
	  "abs(t(j(\"status.json\")[\"subscriptions\"][1][\"suspended_until\"]) - $until) <= 1" \
	  "{(x[\"from\"], x[\"to\"], x[\"state\"]): x[\"count\"] for x in j(\"status.json\")[\"tasks\"]} == {
	  (\"T1_Src\", \"T2_Dst\", \"active\"): 1, (\"T1_Src\", \"T2_Dst\", \"done\"): 5, (\"T1_Src\", \"T2_Dst\", \"failed\"): 1,
	  (\"T1_Src\", \"T2_Dst\", \"queued\"): 1, (\"T1_Src\", \"T2_Dst\", \"transferred\"): 1,
	  (\"T1_Src\", \"T3_Far\", \"active\"): 1, (\"T1_Src\", \"T3_Far\", \"queued\"): 1, (\"T2_Dst\", \"T3_Far\", \"queued\"): 1}" \
	  "j(\"status.json\")[\"errors\"] == j(\"errors.json\")" \
	  "[(a[\"agent\"], a[\"pid\"], a[\"stopped\"]) for a in j(\"status.json\")[\"agents\"]] == [(\"download\", 101, False), (\"router\", 102, False), (\"verify\", 103, True)]"
EOT

test_expect_success 'status: suspended until resumed, no ETA; resumed, active again' - <<\EOT
	fixture_db resumed &&
	phedex suspend --node T2_Dst --dataset /Rep/A/RAW >/dev/null &&
	phedex status >out && grep -q "^/Rep/A/RAW     T2_Dst  normal  replica  suspended  *2/6 .* 569 bytes/s  *-$" out &&
	phedex status --json >s1.json &&
	phedex resume --node T2_Dst --dataset /Rep/A/RAW >/dev/null && phedex status --json >s2.json &&
	check "[(s[\"state\"], s[\"suspended_until\"], s[\"eta\"]) for s in j(\"s1.json\")[\"subscriptions\"]][0] == (\"suspended\", \"infinity\", None)" \
	  "[(s[\"state\"], s[\"suspended_until\"], s[\"eta\"]) for s in j(\"s2.json\")[\"subscriptions\"]][0] == (\"active\", None, 7201)"
EOT

test_expect_success 'an unknown node is an error (exit 1) that says where to look' - <<\EOT
	for cmd in "links --node T9_Nowhere" "queue --node T9_Nowhere" "queue --from T9_Nowhere" \
	           "errors --node T9_Nowhere" "errors --from T9_Nowhere"; do
		test_expect_code 1 phedex $cmd >out 2>err &&
		test "$(cat err)" = "phedex ${cmd%% *}: unknown node 'T9_Nowhere' (see 'phedex nodes')" &&
		test ! -s out || exit 1
	done &&
	test_expect_code 2 phedex errors --since 0 2>err && grep -q "since must be positive" err &&
	test_expect_code 2 phedex nodes extra 2>err && grep -q "unexpected argument .extra." err
EOT

test_done
