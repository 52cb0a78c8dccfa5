#!/bin/sh
# End to end: a throwaway PostgreSQL, three sites with real storage, 200 files
# of random content injected at one and subscribed to the two others, every
# agent a separate process.  A copy corrupted in flight is caught and sent
# again; a killed download agent's claimed tasks are picked up again.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
PORT=$((56000 + $$ % 1000))
PX_STALE=4 PX_HEARTBEAT=1
export PX_STALE PX_HEARTBEAT
START=$(date +%s)

test_expect_success 'a throwaway TMDB is created' '
	px_pg_start "$W/pg" $PORT &&
	echo "$PHEDEX_DB" >"$W/db" &&
	phedex db init >out && grep -q "migrated from version 0 to [0-9]" out &&
	phedex db status | grep -q "schema version [0-9]"
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB

test_expect_success 'three sites, links both ways' '
	phedex node add T1_CH_Source T2_DE_Dest T2_IT_Dest >/dev/null &&
	phedex node add --kind MSS T1_XX_Slow >/dev/null &&
	phedex link add --both T1_CH_Source T2_DE_Dest >/dev/null &&
	phedex link add --both T1_CH_Source T2_IT_Dest >/dev/null &&
	phedex link add T1_XX_Slow T2_DE_Dest --distance 2 >/dev/null &&
	px_site T1_CH_Source "$W/sites" "  <lfn-to-pfn protocol=\"direct\" path-match=\"/+store/(.*/0007[.]root)\" result=\"null://$W/sites/T1_CH_Source/storage/store/\$1?corrupt=1\"/>" &&
	px_site T2_DE_Dest "$W/sites" && px_site T2_IT_Dest "$W/sites" &&
	px_site T1_XX_Slow "$W/sites" "  <lfn-to-pfn protocol=\"direct\" path-match=\"/+store/(.*)\" result=\"null://$W/sites/T1_XX_Slow/storage/store/\$1?time=1.5\"/>" &&
	phedex link list --json | python3 -c "import json,sys; assert len(json.load(sys.stdin))==5"
'

test_expect_success 'bad injections are refused and change nothing' '
	px_dataset T1_CH_Source "$W/sites" /Test/Run1/RAW 200 16 >inject.xml &&
	test $(grep -c "<file " inject.xml) = 200 &&
	test_expect_code 1 phedex inject --node T9_Nowhere --tfc "$W/sites/T1_CH_Source/storage.xml" inject.xml 2>err &&
	grep -q "unknown node .T9_Nowhere." err &&
	sed "s/<\/block>//" inject.xml >broken.xml &&
	test_expect_code 1 phedex inject --node T1_CH_Source --tfc "$W/sites/T1_CH_Source/storage.xml" broken.xml 2>err &&
	grep -q "broken.xml:[0-9]*:.*nothing injected" err &&
	sed "s|0003.root\" bytes|0003-missing.root\" bytes|" inject.xml >missing.xml &&
	test_expect_code 1 phedex inject --node T1_CH_Source --tfc "$W/sites/T1_CH_Source/storage.xml" missing.xml 2>err &&
	grep -q "1 of 200 files are not present at T1_CH_Source" err &&
	test "$(sql "select count(*) from files")" = 0
'

test_expect_success '200 files are injected at the source' '
	phedex inject --node T1_CH_Source --tfc "$W/sites/T1_CH_Source/storage.xml" inject.xml >out &&
	grep -q "injected 200 new files" out &&
	sed "s/bytes=\"\([0-9]*\)\"/bytes=\"1\1\"/" inject.xml | sed "s/Run1/RunX/g" >/dev/null &&
	sed "0,/bytes=\"[0-9]*\"/s//bytes=\"1\"/" inject.xml >conflict.xml &&
	test_expect_code 1 phedex inject --node T1_CH_Source --no-check conflict.xml 2>err &&
	grep -q "already in the catalogue with other attributes" err &&
	test "$(sql "select count(*) from replicas")" = 200
'

test_expect_success 'subscribed to two sites, the agents deliver every file' '
	phedex subscribe --node T2_DE_Dest --dataset /Test/Run1/RAW >/dev/null &&
	phedex subscribe --node T2_IT_Dest --dataset /Test/Run1/RAW >/dev/null &&
	start_agents T1_CH_Source && start_agents T2_DE_Dest && start_agents T2_IT_Dest &&
	wait_for 120 "test \"\$(sql \"select count(*) from replicas\")\" = 600"
'

test_expect_success 'every copy has the bytes of the original' '
	src=$W/sites/T1_CH_Source/storage/store/demo/_Test_Run1_RAW &&
	for d in T2_DE_Dest T2_IT_Dest; do
		for f in "$src"/*.root; do
			cmp "$f" "$W/sites/$d/storage/store/demo/_Test_Run1_RAW/${f##*/}" || exit 1
		done
	done
'

test_expect_success 'replicas lists three verified copies of each file' '
	phedex replicas --dataset /Test/Run1/RAW --json >rep.json &&
	python3 -c "
import json
d = json.load(open(\"rep.json\"))
assert len(d) == 200, len(d)
for f in d:
    assert sorted(r[\"node\"] for r in f[\"replicas\"]) == [\"T1_CH_Source\", \"T2_DE_Dest\", \"T2_IT_Dest\"], f
    assert all(r[\"state\"] == \"ok\" for r in f[\"replicas\"])
"
'

test_expect_success 'the copy corrupted in flight was caught by verify and sent again' '
	test "$(sql "select count(*) from errors e join files f on f.id = e.file where e.reason = '"'checksum'"' and f.lfn like '"'%/0007.root'"'")" = 2 &&
	sql "select log from errors where reason = '"'checksum'"' limit 1" | grep -q "adler32 mismatch" &&
	test "$(sql "select count(*) from tasks where state = '"'done'"' and attempts = 2")" = 2 &&
	phedex status --json | python3 -c "import json,sys; s=json.load(sys.stdin); assert any(e[\"reason\"]==\"checksum\" for e in s[\"errors\"]); assert all(x[\"files_done\"]==200 for x in s[\"subscriptions\"])"
'

test_expect_success 'no partial file is left behind' '
	wait_for 20 "test \"\$(sql \"select count(*) from leftovers\")\" = 0" &&
	test -z "$(find "$W/sites" -name "*.part")"
'

test_expect_success 'a killed download agent: its claimed tasks are taken back and finished' '
	px_dataset T1_XX_Slow "$W/sites" /Test/Slow/RAW 4 4 >slow.xml &&
	phedex inject --node T1_XX_Slow --tfc "$W/sites/T1_XX_Slow/storage.xml" slow.xml >/dev/null &&
	start_agents T1_XX_Slow &&
	phedex subscribe --node T2_DE_Dest --dataset /Test/Slow/RAW >/dev/null &&
	wait_for 30 "test \"\$(sql \"select count(*) from tasks t join nodes n on n.id = t.from_node where n.name = '"'T1_XX_Slow'"' and t.state = '"'active'"'\")\" -gt 0" &&
	pid=$(sql "select a.pid from agents a join nodes n on n.id = a.node where n.name = '"'T2_DE_Dest'"' and a.agent = '"'download'"' and a.stopped is null order by a.heartbeat desc limit 1") &&
	kill -KILL $pid &&
	wait_for 60 "test \"\$(sql \"select count(*) from replicas r join files f on f.id = r.file where f.lfn like '"'%Slow%'"'\")\" = 8" &&
	test "$(sql "select count(*) from errors where reason = '"'lost'"'")" -gt 0 &&
	grep -q "re-queued .* tasks whose download agent stopped heart-beating" "$W/sites/T2_DE_Dest/log/agents.log"
'

test_expect_success 'four download agents claiming at one node never share a task' '
	px_dataset T1_CH_Source "$W/sites" /Test/Claims/RAW 300 1 >claims.xml &&
	phedex inject --node T1_CH_Source --tfc "$W/sites/T1_CH_Source/storage.xml" claims.xml >/dev/null &&
	for i in 1 2 3; do
		phedex-agent --config "$W/sites/T2_IT_Dest/site.conf" download >"$W/sites/T2_IT_Dest/log/extra-$i.log" 2>&1 &
		echo $! >>extra.pids
	done &&
	wait_for 10 "test \"\$(sql \"select count(*) from agents a join nodes n on n.id = a.node where n.name = '"'T2_IT_Dest'"' and a.agent = '"'download'"' and a.stopped is null\")\" = 4" &&
	phedex subscribe --node T2_IT_Dest --dataset /Test/Claims/RAW >/dev/null &&
	wait_for 60 "test \"\$(sql \"select count(*) from replicas r join files f on f.id = r.file where f.lfn like '"'%Claims%'"'\")\" = 600" &&
	kill -TERM $(cat extra.pids) &&
	test "$(sql "select count(*) from tasks t join files f on f.id = t.file where f.lfn like '"'%Claims%'"' and f.lfn not like '"'%/0007.root'"' and t.attempts <> 1")" = 0 &&
	test "$(sql "select count(*) from tasks t join files f on f.id = t.file where f.lfn like '"'%Claims%'"' and t.state = '"'done'"'")" = 300 &&
	test "$(sql "select count(*) from tasks t join files f on f.id = t.file where f.lfn like '"'%Claims%'"' and t.state <> '"'done'"' and f.lfn not like '"'%/0007.root'"'")" = 0 &&
	test $(grep -l "batch of" "$W"/sites/T2_IT_Dest/log/extra-*.log | wc -l) -ge 1
'

test_expect_success 'the database refuses a task state change outside the table' '
	! sql "update tasks set state = '"'active'"' where state = '"'done'"'" 2>err &&
	grep -q "may not go from done to active" err &&
	! sql "insert into tasks (file, from_node, to_node, state) select id, 1, 2, '"'done'"' from files limit 1" 2>err &&
	grep -q "must start queued" err
'

test_expect_success 'SIGTERM drains the agents and they exit 0' '
	for s in T1_CH_Source T2_DE_Dest T2_IT_Dest T1_XX_Slow; do
		kill -TERM $(cat "$W/sites/$s/agents.pid") || exit 1
	done &&
	for s in T1_CH_Source T2_DE_Dest T2_IT_Dest T1_XX_Slow; do
		wait_for 30 "test -s $W/sites/$s/agents.rc" && test "$(cat "$W/sites/$s/agents.rc")" = 0 &&
		grep -q "all agents stopped" "$W/sites/$s/log/agents.log" || exit 1
	done &&
	test "$(sql "select count(*) from agents where stopped is null")" = 1 # only the one killed with SIGKILL
'

echo "# end-to-end run took $(( $(date +%s) - START )) s"
test_done
