#!/bin/sh
# Per-link concurrency ([download] link-concurrency): slow transfers, eight
# slots at the destination, never more than 2 active on the one link.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=1
export PX_STALE PX_HEARTBEAT PX_POLL
S=$W/sites/T1_CH_Source/storage

fixture tmdb
fixture site T1_CH_Source --rules <<EOF
  <lfn-to-pfn protocol="direct" destination-match="T2_LIM" path-match="/+store/(.*)" result="null://$S/store/\$1?time=0.4"/>
EOF
fixture site T2_LIM
printf "[download]\nconcurrency = 8\nlink-concurrency = 2\nbatch = 8\n" | fixture conf T2_LIM
fixture link T1_CH_Source T2_LIM
fixture dataset T1_CH_Source /Test/Hooks/RAW 12 8
fixture subscribe --node T2_LIM --dataset /Test/Hooks/RAW
active_on () {
	sql_p "select count(*) from tasks t join nodes n on n.id = t.to_node where n.name = :'n' and t.state = 'active'" n="$1"
}

test_expect_success 'the agents start; the limited link never has more than 2 active transfers; SIGTERM stops them' - <<\EOT
	(while :; do active_on T2_LIM; sleep 0.1; done) >"$W/lim-samples" 2>/dev/null &
	echo $! >"$W/sampler.pid" &&
	start_agents T1_CH_Source && start_agents T2_LIM &&
	wait_for 60 at_is T2_LIM "" 12 &&
	kill $(cat "$W/sampler.pid") &&
	sort -n "$W/lim-samples" | tail -n 1 >max && test "$(cat max)" = 2 &&
	stop_agents T1_CH_Source T2_LIM &&
	wait_for 20 "! pgrep -f \"phedex-agent --config $W/\" >/dev/null"
EOT

test_done
