#!/bin/sh
# Unsubscribe drops what is not yet delivered; delete is refused for the last
# copy and done by the delete agent where another copy exists.  The two cases
# use different datasets of one set-up.  The Unsub files move slowly, so
# that unsubscribe finds requests not yet delivered (and does not race the
# router's first expansion of the subscription).
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=2 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY

D=$W/sites/T1_Disk/storage

fixture tmdb
fixture site T1_Disk --rules <<EOF
  <lfn-to-pfn protocol="direct" path-match="/+store/(.*Unsub.*)" result="null://$D/store/\$1?time=3"/>
EOF
fixture sites T2_B T2_C
fixture link T1_Disk T2_B --distance 3
fixture link T1_Disk T2_C --distance 3
fixture dataset T1_Disk /Unsub/A/RAW 3 4
fixture dataset T1_Disk /Fail/A/RAW 6 100
fixture copy T1_Disk T2_B /Fail/A/RAW
fixture dataset T2_C /Move/A/RAW 6 100
fixture agents T1_Disk T2_B T2_C

test_expect_success 'unsubscribe drops what is not yet delivered' - <<\EOT
	phedex subscribe --node T2_B --dataset /Unsub/A/RAW >/dev/null &&
	wait_for 20 sql_eq 3 "select count(*) from requests q join files f on f.id = q.file
	                      where f.lfn like '%Unsub%' and q.state <> 'done'" &&
	phedex unsubscribe --node T2_B --dataset /Unsub/A/RAW >out && grep -q "unsubscribed T2_B from /Unsub/A/RAW" out &&
	sql_is 0 "select count(*) from requests q join files f on f.id = q.file where f.lfn like '%Unsub%' and q.state <> 'done'" &&
	test_expect_code 1 phedex unsubscribe --node T2_B --dataset /Unsub/A/RAW 2>err && grep -q "no subscription" err
EOT

test_expect_success 'delete: refused for the last copy, done through the delete agent where another copy exists' - <<\EOT
	test_expect_code 1 phedex delete --node T2_C --dataset /Move/A/RAW 2>err &&
	grep -q "refused: 6 of 6 files have no other good copy" err &&
	sql_is 0 "select count(*) from deletions" &&
	phedex delete --node T2_B --dataset /Fail/A/RAW >out && grep -q "queued 6 deletions at T2_B" out &&
	wait_for 30 at_is T2_B Fail 0 &&
	test -z "$(ls "$W/sites/T2_B/storage/store/demo/_Fail_A_RAW" 2>/dev/null)" &&
	test "$(at T1_Disk Fail)" = 6
EOT

test_expect_success 'SIGTERM stops every agent' - <<\EOT
	stop_agents T1_Disk T2_B T2_C &&
	wait_for 20 "! pgrep -f \"phedex-agent --config $W/\" >/dev/null"
EOT
test_done
