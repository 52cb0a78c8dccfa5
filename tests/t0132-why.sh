#!/bin/sh
# `phedex why` before a subscription (not subscribed) and before the
# destination's router runs (router down).
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=2 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY

fixture tmdb
fixture sites T1_Disk T2_C
fixture link T1_Disk T2_C --distance 3
fixture dataset T1_Disk /Move/A/RAW 6 100
fixture agents T1_Disk

test_expect_success 'why, before a subscription and before the router runs' - <<\EOT
	test "$(why_code T2_C "--dataset /Move/A/RAW")" = not_subscribed &&
	phedex subscribe --node T2_C --dataset /Move/A/RAW --move >/dev/null &&
	test "$(why_code T2_C "--dataset /Move/A/RAW")" = router_down &&
	phedex why --node T2_C --dataset /Move/A/RAW | grep -q "no router agent is running at T2_C"
EOT
test_done
