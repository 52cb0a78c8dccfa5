#!/bin/sh
# The download optimizer with the shipped [download] settings: small fast
# files are claimed by the hundred (the claim doubles while batches finish
# quickly), while slow files are claimed a few at a time, so one agent does
# not hoard a queue; with adaptive = false the same slow queue is claimed
# whole at once (the positive control).
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=8 PX_HEARTBEAT=1 PX_POLL=1
export PX_STALE PX_HEARTBEAT PX_POLL
S=$W/sites/T1_Src/storage

fixture tmdb
fixture site T1_Src --rules <<EOF
  <lfn-to-pfn protocol="direct" destination-match="T2_(Slow|Fixed)" path-match="/+store/(.*)" result="null://$S/store/\$1?time=2"/>
EOF
fixture sites T2_Fast T2_Slow T2_Fixed
# The shipped defaults: no batch line in [download].
for s in T2_Fast T2_Slow T2_Fixed; do sed -i '/^\[download\]/,$ { /^batch = /d }' "$W/sites/$s/site.conf"; done
printf "[download]\nadaptive = false\n" | fixture conf T2_Fixed
fixture link T1_Src T2_Fast
fixture link T1_Src T2_Slow
fixture link T1_Src T2_Fixed
fixture dataset T1_Src /Adapt/Small/RAW 800 1
fixture dataset T1_Src /Adapt/Slow/RAW 60 1
active_on () {
	sql_p "select count(*) from tasks t join nodes n on n.id = t.to_node where n.name = :'n' and t.state = 'active'" n="$1"
}
sample () { # NODE: the most tasks active at once, sampled until killed
	(while :; do active_on "$1"; sleep 0.2; done) >"$W/samples-$1" 2>/dev/null &
	echo $! >"$W/sampler-$1.pid"
}
most () { kill "$(cat "$W/sampler-$1.pid")"; sort -n "$W/samples-$1" | tail -n 1; }

test_expect_success 'small files: all arrive, and the claim grew from 8 to at least 128' - <<\EOT
	start_agents T1_Src && start_agents T2_Fast &&
	phedex subscribe --node T2_Fast --dataset /Adapt/Small/RAW >/dev/null &&
	wait_for 90 at_is T2_Fast Small 800 &&
	grep "download@T2_Fast.*optimizer: claim" "$W/sites/T2_Fast/log/agents.log" >"$W/opt" &&
	sed -n 's/.*optimizer: claim [0-9]* -> \([0-9]*\),.*/\1/p' "$W/opt" | sort -n | tail -n 1 >"$W/maxclaim" &&
	echo "# largest claim $(cat "$W/maxclaim")" && test "$(cat "$W/maxclaim")" -ge 128
EOT

test_expect_success 'slow files (2 s each): all arrive, never more than 40 of the 60 claimed at once' - <<\EOT
	sample T2_Slow && start_agents T2_Slow &&
	phedex subscribe --node T2_Slow --dataset /Adapt/Slow/RAW >/dev/null &&
	wait_for 120 at_is T2_Slow Slow 60 &&
	m=$(most T2_Slow) && echo "# most active at once: $m" && test "$m" -le 40 && test "$m" -ge 4
EOT

test_expect_success 'adaptive = false: the same slow queue is claimed whole (batch 2000)' - <<\EOT
	sample T2_Fixed && start_agents T2_Fixed &&
	phedex subscribe --node T2_Fixed --dataset /Adapt/Slow/RAW >/dev/null &&
	wait_for 120 at_is T2_Fixed Slow 60 &&
	m=$(most T2_Fixed) && echo "# most active at once: $m" && test "$m" -ge 50 &&
	! grep -q "download@T2_Fixed.*optimizer" "$W/sites/T2_Fixed/log/agents.log"
EOT

test_expect_success 'the agents drain and exit 0' - <<\EOT
	stop_agents T1_Src T2_Fast T2_Slow T2_Fixed
EOT
test_done
