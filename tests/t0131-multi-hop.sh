#!/bin/sh
# Multi-hop delivery MSS -> Buffer -> Disk; the transit copy at the buffer is
# cleaned up once the file is at its destination.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=2 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY

fixture tmdb
fixture site T0_MSS --kind MSS
fixture site T1_Buffer --kind Buffer
fixture site T1_Disk
fixture link T0_MSS T1_Buffer
fixture link T1_Buffer T1_Disk
fixture dataset T0_MSS /Hop/A/RAW 6 4
fixture agents T0_MSS T1_Buffer T1_Disk

test_expect_success 'multi-hop: MSS -> Buffer -> Disk; the transit copy at the buffer is cleaned up' - <<\EOT
	phedex subscribe --node T1_Disk --dataset /Hop/A/RAW >/dev/null &&
	wait_for 60 at_is T1_Disk Hop 6 &&
	sql_is 6 - <<-\EOF &&
	select count(*) from tasks t join nodes a on a.id = t.to_node join nodes b on b.id = t.for_node
	where a.name = 'T1_Buffer' and b.name = 'T1_Disk' and t.state = 'done'
	EOF
	for f in "$W/sites/T0_MSS/storage/store/demo/_Hop_A_RAW"/*.root; do
		cmp "$f" "$W/sites/T1_Disk/storage/store/demo/_Hop_A_RAW/${f##*/}" || exit 1
	done &&
	wait_for 30 at_is T1_Buffer Hop 0 &&
	test -z "$(ls "$W/sites/T1_Buffer/storage/store/demo/_Hop_A_RAW" 2>/dev/null)"
EOT
test_done
