#!/bin/sh
# A download agent killed with SIGKILL in the middle of slow transfers: its
# claimed tasks are taken back (error "lost") and finished by its successor;
# SIGTERM still drains the others and they exit 0.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1
export PX_STALE PX_HEARTBEAT

fixture tmdb
fixture site T1_XX_Slow --kind MSS --rules <<EOF
  <lfn-to-pfn protocol="direct" path-match="/+store/(.*)" result="null://$W/sites/T1_XX_Slow/storage/store/\$1?time=1.5"/>
EOF
fixture site T2_DE_Dest
fixture link T1_XX_Slow T2_DE_Dest --distance 2
fixture dataset T1_XX_Slow /Test/Slow/RAW 4 4
fixture agents T1_XX_Slow T2_DE_Dest

test_expect_success 'a killed download agent: its claimed tasks are taken back and finished' - <<\EOT
	phedex subscribe --node T2_DE_Dest --dataset /Test/Slow/RAW >/dev/null &&
	wait_for 30 sql_eq t "select count(*) > 0 from tasks t join nodes n on n.id = t.from_node
	                      where n.name = 'T1_XX_Slow' and t.state = 'active'" &&
	pid=$(sql "select a.pid from agents a join nodes n on n.id = a.node
	           where n.name = 'T2_DE_Dest' and a.agent = 'download' and a.stopped is null
	           order by a.heartbeat desc limit 1") &&
	kill -KILL $pid &&
	wait_for 60 sql_eq 8 "select count(*) from replicas r join files f on f.id = r.file where f.lfn like '%Slow%'" &&
	sql_is t "select count(*) > 0 from errors where reason = 'lost'" &&
	grep -q "re-queued .* tasks whose download agent stopped heart-beating" "$W/sites/T2_DE_Dest/log/agents.log" &&
	echo "SIGTERM drains the others; only the one killed with SIGKILL is not marked stopped" &&
	stop_agents T1_XX_Slow T2_DE_Dest &&
	sql_is 1 "select count(*) from agents where stopped is null"
EOT

test_done
