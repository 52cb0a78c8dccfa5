#!/bin/sh
# Suspend stops routing and `why` says so; resume delivers the rest.
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
fixture dataset T1_Disk /Susp/A/RAW 20 100
fixture agents T1_Disk T2_A

test_expect_success 'suspend stops routing and why says so; resume delivers the rest' - <<\EOT
	phedex subscribe --node T2_A --dataset /Susp/A/RAW >/dev/null &&
	phedex suspend --node T2_A --dataset /Susp/A/RAW --until +1h >out && grep -q "suspended /Susp/A/RAW at T2_A until" out &&
	wait_for 30 sql_eq "" "select 1 from tasks t join files f on f.id = t.file
	                       where f.lfn like '%Susp%' and t.state not in ('done', 'failed') limit 1" &&
	n=$(at T2_A Susp) && test "$n" -lt 20 && sleep 3 && test "$(at T2_A Susp)" = "$n" &&
	test "$(why_code T2_A "--dataset /Susp/A/RAW")" = suspended &&
	phedex why --node T2_A --dataset /Susp/A/RAW | grep -q "subscription is suspended until" &&
	phedex resume --node T2_A --dataset /Susp/A/RAW >/dev/null &&
	wait_for 60 at_is T2_A Susp 20
EOT
test_done
