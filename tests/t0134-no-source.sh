#!/bin/sh
# No source: with every copy of a dataset marked bad, a subscription's files
# are in state no_source and `why` says so; resolved when a replica appears.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=2 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY

fixture tmdb
fixture site T0_MSS --kind MSS
fixture sites T1_Disk T2_B
fixture link T0_MSS T1_Disk
fixture link T1_Disk T2_B --distance 3
fixture dataset T0_MSS /Hop/A/RAW 6 4
fixture copy T0_MSS T1_Disk /Hop/A/RAW
fixture agents T0_MSS T1_Disk T2_B

test_expect_success 'no source: explicit state and reason, resolved when a replica appears' - <<\EOT
	sql "update replicas set state = 'bad' where file in (select id from files where lfn like '%Hop%')" &&
	phedex subscribe --node T2_B --dataset /Hop/A/RAW >/dev/null &&
	wait_for 20 "test \"\$(why_code T2_B \"--dataset /Hop/A/RAW\")\" = no_source" &&
	sql_is 6 "select count(*) from requests q join nodes n on n.id = q.node where n.name = 'T2_B' and q.state = 'no_source'" &&
	phedex why --node T2_B --dataset /Hop/A/RAW | grep -q "no node holds a good copy" &&
	sql <<-\EOF &&
	update replicas set state = 'ok', verified = now()
	where file in (select id from files where lfn like '%Hop%') and node = (select id from nodes where name = 'T1_Disk')
	EOF
	wait_for 60 at_is T2_B Hop 6
EOT
test_done
