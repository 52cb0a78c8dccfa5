#!/bin/sh
# Routing and subscriptions on a 7-node topology, real agents, small files
# (the null backend scripts slow and failing links):
#   T0_MSS -> T1_Buffer -> T1_Disk -> T2_A, T2_B, T2_C;  T1_Other -> T2_B
# multi-hop delivery with the transit copy cleaned up, a failing link
# avoided, no source until a replica appears, priority order, move, an open
# block growing, suspend/resume, unsubscribe, delete, and `why` and
# `subscribe --dry-run` saying the right thing in each case.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
PORT=$((58000 + $$ % 1000))
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=2 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY
why_code () { phedex why --json --node "$1" $2 | python3 -c "import json,sys; print(' '.join(sorted(set(f['code'] for f in json.load(sys.stdin)))))"; }
NODES="T0_MSS T1_Buffer T1_Disk T1_Other T2_A T2_B T2_C"

test_expect_success 'seven nodes, links, datasets' '
	px_pg_start "$W/pg" $PORT && echo "$PHEDEX_DB" >"$W/db" && phedex db init >/dev/null &&
	O=$W/sites/T1_Other/storage && D=$W/sites/T1_Disk/storage &&
	px_site T1_Other "$W/sites" "  <lfn-to-pfn protocol=\"direct\" path-match=\"/+store/(.*)\" result=\"null://$O/store/\$1?fail=always\"/>" &&
	px_site T1_Disk "$W/sites" "  <lfn-to-pfn protocol=\"direct\" destination-match=\"T2_A\" path-match=\"/+store/(.*(Prio|Susp).*)\" result=\"null://$D/store/\$1?time=0.3\"/>" &&
	for n in T0_MSS T1_Buffer T2_A T2_B T2_C; do px_site $n "$W/sites" || exit 1; done &&
	printf "[download]\nconcurrency = 1\nlink-concurrency = 1\nbatch = 1\n[router]\nwindow-mb = 1\n" >>"$W/sites/T2_A/site.conf" &&
	phedex node add --kind MSS T0_MSS >/dev/null && phedex node add --kind Buffer T1_Buffer >/dev/null &&
	phedex node add T1_Disk T1_Other T2_A T2_B T2_C >/dev/null &&
	phedex link add T0_MSS T1_Buffer >/dev/null && phedex link add T1_Buffer T1_Disk >/dev/null &&
	for n in T2_A T2_B T2_C; do phedex link add T1_Disk $n --distance 3 >/dev/null || exit 1; done &&
	phedex link add T1_Other T2_B --distance 1 >/dev/null &&
	px_dataset T0_MSS "$W/sites" /Hop/A/RAW 6 4 >hop.xml && phedex inject --node T0_MSS --tfc "$W/sites/T0_MSS/storage.xml" hop.xml >/dev/null &&
	for ds in /Fail/A/RAW /Prio/Low/RAW /Prio/High/RAW /Move/A/RAW; do
		px_dataset T1_Disk "$W/sites" $ds 6 100 >"$W/ds.xml" &&
		phedex inject --node T1_Disk --tfc "$W/sites/T1_Disk/storage.xml" "$W/ds.xml" >/dev/null || exit 1
		case $ds in /Fail/*) cp "$W/ds.xml" fail.xml ;; esac
	done &&
	mkdir -p "$O/store/demo" && cp -r "$D/store/demo/_Fail_A_RAW" "$O/store/demo/" &&
	phedex inject --node T1_Other --tfc "$W/sites/T1_Other/storage.xml" fail.xml >/dev/null &&
	test "$(sql "select count(*) from replicas")" = 36
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB

test_expect_success 'dry run: the route through the buffer, nothing changed' '
	phedex node list >/dev/null &&
	for n in T0_MSS T1_Buffer T1_Disk; do start_agents $n || exit 1; done &&
	wait_for 20 "test \$(sql \"select count(*) from nodes where tfc is not null\") -ge 3" &&
	wait_for 20 "phedex subscribe --dry-run --node T1_Disk --dataset /Hop/A/RAW >dry && grep -q \"6 files.*via T0_MSS -> T1_Buffer -> T1_Disk\" dry" &&
	grep -q "Nothing was changed" dry &&
	phedex subscribe --dry-run --json --node T1_Disk --dataset /Hop/A/RAW | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"files\"]==6 and d[\"routes\"][0][\"path\"]==\"T0_MSS -> T1_Buffer -> T1_Disk\", d" &&
	test "$(sql "select count(*) from subscriptions")" = 0
'

test_expect_success 'why, before a subscription and before the router runs' '
	test "$(why_code T2_C "--dataset /Move/A/RAW")" = not_subscribed &&
	phedex subscribe --node T2_C --dataset /Move/A/RAW --move >/dev/null &&
	test "$(why_code T2_C "--dataset /Move/A/RAW")" = router_down &&
	phedex why --node T2_C --dataset /Move/A/RAW | grep -q "no router agent is running at T2_C"
'

test_expect_success 'multi-hop: MSS -> Buffer -> Disk; the transit copy at the buffer is cleaned up' '
	phedex subscribe --node T1_Disk --dataset /Hop/A/RAW >/dev/null &&
	wait_for 60 "test \$(at T1_Disk Hop) = 6" &&
	test "$(sql "select count(*) from tasks t join nodes a on a.id = t.to_node join nodes b on b.id = t.for_node where a.name = '"'T1_Buffer'"' and b.name = '"'T1_Disk'"' and t.state = '"'done'"'")" = 6 &&
	for f in "$W/sites/T0_MSS/storage/store/demo/_Hop_A_RAW"/*.root; do cmp "$f" "$W/sites/T1_Disk/storage/store/demo/_Hop_A_RAW/${f##*/}" || exit 1; done &&
	wait_for 30 "test \$(at T1_Buffer Hop) = 0" &&
	test -z "$(ls "$W/sites/T1_Buffer/storage/store/demo/_Hop_A_RAW" 2>/dev/null)"
'

test_expect_success 'a failing link is avoided: files reach T2_B through the slower working link' '
	start_agents T1_Other && start_agents T2_B &&
	phedex subscribe --node T2_B --dataset /Fail/A/RAW >/dev/null &&
	wait_for 90 "test \$(at T2_B Fail) = 6" &&
	test "$(sql "select count(*) from errors e join nodes n on n.id = e.from_node where n.name = '"'T1_Other'"'")" -ge 1 &&
	test "$(sql "select count(distinct t.file) from tasks t join nodes n on n.id = t.from_node join nodes d on d.id = t.to_node where n.name = '"'T1_Disk'"' and d.name = '"'T2_B'"' and t.state = '"'done'"'")" = 6
'

test_expect_success 'no source: explicit state and reason, resolved when a replica appears' '
	sql "update replicas set state = '"'bad'"' where file in (select id from files where lfn like '"'%Hop%'"')" >/dev/null &&
	phedex subscribe --node T2_B --dataset /Hop/A/RAW >/dev/null &&
	wait_for 20 "test \"\$(why_code T2_B \"--dataset /Hop/A/RAW\")\" = no_source" &&
	test "$(sql "select count(*) from requests q join nodes n on n.id = q.node where n.name = '"'T2_B'"' and q.state = '"'no_source'"'")" = 6 &&
	phedex why --node T2_B --dataset /Hop/A/RAW | grep -q "no node holds a good copy" &&
	sql "update replicas set state = '"'ok'"', verified = now() where file in (select id from files where lfn like '"'%Hop%'"') and node = (select id from nodes where name = '"'T1_Disk'"')" >/dev/null &&
	wait_for 60 "test \$(at T2_B Hop) = 6"
'

test_expect_success 'priority: high-priority files are delivered before the low-priority ones subscribed earlier' '
	start_agents T2_A &&
	phedex subscribe --node T2_A --dataset /Prio/Low/RAW --priority low >/dev/null &&
	sleep 1 &&
	phedex subscribe --node T2_A --dataset /Prio/High/RAW --priority high >/dev/null &&
	wait_for 60 "test \$(at T2_A Prio) = 12" &&
	test "$(sql "select max(t.done_at) filter (where f.lfn like '"'%High%'"') < max(t.done_at) filter (where f.lfn like '"'%Low%'"') from tasks t join files f on f.id = t.file join nodes n on n.id = t.to_node where n.name = '"'T2_A'"'")" = t
'

test_expect_success 'move: the source copies go only after every file is at the destination' '
	start_agents T2_C &&
	wait_for 60 "test \$(at T2_C Move) = 6" &&
	wait_for 30 "test \$(at T1_Disk Move) = 0" &&
	test "$(sql "select s.moved >= (select max(t.done_at) from tasks t join nodes n on n.id = t.to_node where n.name = '"'T2_C'"') from subscriptions s join nodes n on n.id = s.node where n.name = '"'T2_C'"'")" = t &&
	test -z "$(ls "$W/sites/T1_Disk/storage/store/demo/_Move_A_RAW" 2>/dev/null)" &&
	test "$(ls "$W/sites/T2_C/storage/store/demo/_Move_A_RAW" | wc -l)" = 6
'

test_expect_success 'an open block that grows after the subscription: the new files are delivered too' '
	px_dataset T1_Disk "$W/sites" /Open/A/RAW 3 4 | sed "s/is-open=\"n\"/is-open=\"y\"/g" >open1.xml &&
	phedex inject --node T1_Disk --tfc "$W/sites/T1_Disk/storage.xml" open1.xml >/dev/null &&
	phedex subscribe --node T2_C --dataset /Open/A/RAW >/dev/null &&
	wait_for 30 "test \$(at T2_C Open) = 3" &&
	d="$W/sites/T1_Disk/storage/store/demo/_Open_A_RAW" &&
	head -c 5000 /dev/urandom >"$d/0003.root" && head -c 6000 /dev/urandom >"$d/0004.root" &&
	phedex checksum "$d/0003.root" "$d/0004.root" | while IFS="	" read -r bytes ck path; do
		echo "<file name=\"/store/demo/_Open_A_RAW/${path##*/}\" bytes=\"$bytes\" checksum=\"$ck\"/>"
	done >new-files &&
	sed "/<\/block>/e cat new-files" open1.xml >open2.xml &&
	phedex inject --node T1_Disk --tfc "$W/sites/T1_Disk/storage.xml" open2.xml >out 2>&1 && grep -q "injected 2 new files" out &&
	wait_for 30 "test \$(at T2_C Open) = 5"
'

test_expect_success 'suspend stops routing and why says so; resume delivers the rest' '
	px_dataset T1_Disk "$W/sites" /Susp/A/RAW 20 100 >s.xml &&
	phedex inject --node T1_Disk --tfc "$W/sites/T1_Disk/storage.xml" s.xml >/dev/null &&
	phedex subscribe --node T2_A --dataset /Susp/A/RAW >/dev/null &&
	phedex suspend --node T2_A --dataset /Susp/A/RAW --until +1h >out && grep -q "suspended /Susp/A/RAW at T2_A until" out &&
	wait_for 30 "test -z \"\$(sql \"select 1 from tasks t join files f on f.id = t.file where f.lfn like '"'%Susp%'"' and t.state not in ('"'done'"', '"'failed'"')\")\"" &&
	n=$(at T2_A Susp) && test "$n" -lt 20 && sleep 3 && test "$(at T2_A Susp)" = "$n" &&
	test "$(why_code T2_A "--dataset /Susp/A/RAW")" = suspended &&
	phedex why --node T2_A --dataset /Susp/A/RAW | grep -q "subscription is suspended until" &&
	phedex resume --node T2_A --dataset /Susp/A/RAW >/dev/null &&
	wait_for 60 "test \$(at T2_A Susp) = 20"
'

test_expect_success 'unsubscribe drops what is not yet delivered' '
	px_dataset T0_MSS "$W/sites" /Unsub/A/RAW 3 4 >u.xml &&
	phedex inject --node T0_MSS --tfc "$W/sites/T0_MSS/storage.xml" u.xml >/dev/null &&
	phedex suspend --node T2_A --dataset /Prio/Low/RAW >/dev/null 2>&1; true &&
	phedex subscribe --node T2_B --dataset /Unsub/A/RAW >/dev/null &&
	phedex unsubscribe --node T2_B --dataset /Unsub/A/RAW >out && grep -q "unsubscribed T2_B from /Unsub/A/RAW" out &&
	test "$(sql "select count(*) from requests q join files f on f.id = q.file where f.lfn like '"'%Unsub%'"' and q.state <> '"'done'"'")" = 0 &&
	test_expect_code 1 phedex unsubscribe --node T2_B --dataset /Unsub/A/RAW 2>err && grep -q "no subscription" err
'

test_expect_success 'delete: refused for the last copy, done through the delete agent where another copy exists' '
	test_expect_code 1 phedex delete --node T2_C --dataset /Move/A/RAW 2>err &&
	grep -q "refused: 6 of 6 files have no other good copy" err &&
	test "$(sql "select count(*) from deletions")" = 0 &&
	phedex delete --node T2_B --dataset /Fail/A/RAW >out && grep -q "queued 6 deletions at T2_B" out &&
	wait_for 30 "test \$(at T2_B Fail) = 0" &&
	test -z "$(ls "$W/sites/T2_B/storage/store/demo/_Fail_A_RAW" 2>/dev/null)" &&
	test "$(at T1_Disk Fail)" = 6
'

test_expect_success 'SIGTERM stops every agent' '
	for n in $NODES; do kill -TERM $(cat "$W/sites/$n/agents.pid") 2>/dev/null; done;
	wait_for 20 "! pgrep -f \"phedex-agent --config $W/\" >/dev/null"
'
test_done
