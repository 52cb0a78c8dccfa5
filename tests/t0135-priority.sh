#!/bin/sh
# Priority: on a link that moves one slow file at a time, the high-priority
# files are delivered before the low-priority ones subscribed earlier.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=2 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY
D=$W/sites/T1_Disk/storage

fixture tmdb
fixture site T1_Disk --rules <<EOF
  <lfn-to-pfn protocol="direct" destination-match="T2_A" path-match="/+store/(.*(Prio|Susp).*)" result="null://$D/store/\$1?time=0.3"/>
EOF
fixture site T2_A
printf "[download]\nconcurrency = 1\nlink-concurrency = 1\nbatch = 1\n[router]\nwindow-mb = 1\n" | fixture conf T2_A
fixture link T1_Disk T2_A --distance 3
fixture dataset T1_Disk /Prio/Low/RAW 6 100
fixture dataset T1_Disk /Prio/High/RAW 6 100
fixture agents T1_Disk T2_A

test_expect_success 'priority: high-priority files are delivered before the low-priority ones subscribed earlier' - <<\EOT
	phedex subscribe --node T2_A --dataset /Prio/Low/RAW --priority low >/dev/null &&
	sleep 1 &&
	phedex subscribe --node T2_A --dataset /Prio/High/RAW --priority high >/dev/null &&
	wait_for 60 at_is T2_A Prio 12 &&
	sql_is t - <<-\EOF
	select max(t.done_at) filter (where f.lfn like '%High%') < max(t.done_at) filter (where f.lfn like '%Low%')
	from tasks t join files f on f.id = t.file join nodes n on n.id = t.to_node where n.name = 'T2_A'
	EOF
EOT
test_done
