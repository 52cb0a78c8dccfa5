#!/bin/sh
# `phedex subscribe --dry-run` on a chain MSS -> Buffer -> Disk: the route
# through the buffer, as text and JSON, and nothing changed.
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

test_expect_success 'dry run: the route through the buffer, nothing changed' - <<\EOT
	phedex node list >/dev/null &&
	wait_for 20 sql_eq t "select count(*) >= 3 from nodes where tfc is not null" &&
	wait_for 20 "phedex subscribe --dry-run --node T1_Disk --dataset /Hop/A/RAW >dry && grep -q \"6 files.*via T0_MSS -> T1_Buffer -> T1_Disk\" dry" &&
	grep -q "Nothing was changed" dry &&
	phedex subscribe --dry-run --json --node T1_Disk --dataset /Hop/A/RAW | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["files"] == 6 and d["routes"][0]["path"] == "T0_MSS -> T1_Buffer -> T1_Disk", d' &&
	sql_is 0 "select count(*) from subscriptions"
EOT

test_expect_success 'SIGTERM stops every agent' - <<\EOT
	stop_agents T0_MSS T1_Buffer T1_Disk &&
	wait_for 20 "! pgrep -f \"phedex-agent --config $W/\" >/dev/null"
EOT
test_done
