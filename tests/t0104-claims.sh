#!/bin/sh
# Four download agents claiming at one node never share a task: 300 small
# files, each transferred once (but 0007.root, corrupted in flight by the
# source and sent again).
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1
export PX_STALE PX_HEARTBEAT

fixture tmdb
fixture site T1_CH_Source --rules <<EOF
  <lfn-to-pfn protocol="direct" path-match="/+store/(.*/0007[.]root)" result="null://$W/sites/T1_CH_Source/storage/store/\$1?corrupt=1"/>
EOF
fixture site T2_IT_Dest
fixture link --both T1_CH_Source T2_IT_Dest
fixture dataset T1_CH_Source /Test/Claims/RAW 300 1
fixture agents T1_CH_Source T2_IT_Dest

test_expect_success 'four download agents claiming at one node never share a task' - <<\EOT
	for i in 1 2 3; do
		phedex-agent --config "$W/sites/T2_IT_Dest/site.conf" download >"$W/sites/T2_IT_Dest/log/extra-$i.log" 2>&1 &
		echo $! >>extra.pids
	done &&
	wait_for 10 sql_eq 4 "select count(*) from agents a join nodes n on n.id = a.node
	                      where n.name = 'T2_IT_Dest' and a.agent = 'download' and a.stopped is null" &&
	phedex subscribe --node T2_IT_Dest --dataset /Test/Claims/RAW >/dev/null &&
	wait_for 60 sql_eq 600 "select count(*) from replicas r join files f on f.id = r.file where f.lfn like '%Claims%'" &&
	kill -TERM $(cat extra.pids) &&
	sql_is 0 - <<-\EOF &&
	select count(*) from tasks t join files f on f.id = t.file
	where f.lfn like '%Claims%' and f.lfn not like '%/0007.root' and t.attempts <> 1
	EOF
	sql_is 300 "select count(*) from tasks t join files f on f.id = t.file where f.lfn like '%Claims%' and t.state = 'done'" &&
	sql_is 0 - <<-\EOF &&
	select count(*) from tasks t join files f on f.id = t.file
	where f.lfn like '%Claims%' and t.state <> 'done' and f.lfn not like '%/0007.root'
	EOF
	test $(grep -l "batch of" "$W"/sites/T2_IT_Dest/log/extra-*.log | wc -l) -ge 1
EOT

test_done
