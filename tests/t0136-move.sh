#!/bin/sh
# Move: the source copies go only after every file is at the destination.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=2 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY

fixture tmdb
fixture sites T1_Disk T2_C
fixture link T1_Disk T2_C --distance 3
fixture dataset T1_Disk /Move/A/RAW 6 100
fixture subscribe --node T2_C --dataset /Move/A/RAW --move
fixture agents T1_Disk T2_C

test_expect_success 'move: the source copies go only after every file is at the destination' - <<\EOT
	wait_for 60 at_is T2_C Move 6 &&
	wait_for 30 at_is T1_Disk Move 0 &&
	sql_is t - <<-\EOF &&
	select s.moved >= (select max(t.done_at) from tasks t join nodes n on n.id = t.to_node where n.name = 'T2_C')
	from subscriptions s join nodes n on n.id = s.node where n.name = 'T2_C'
	EOF
	test -z "$(ls "$W/sites/T1_Disk/storage/store/demo/_Move_A_RAW" 2>/dev/null)" &&
	test "$(ls "$W/sites/T2_C/storage/store/demo/_Move_A_RAW" | wc -l)" = 6
EOT
test_done
