#!/bin/sh
# A failing link is avoided: T1_Other -> T2_B is the shorter link but every
# transfer on it fails; the files reach T2_B through T1_Disk.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=2 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY
O=$W/sites/T1_Other/storage

fixture tmdb
fixture site T1_Other --rules <<EOF
  <lfn-to-pfn protocol="direct" path-match="/+store/(.*)" result="null://$O/store/\$1?fail=always"/>
EOF
fixture sites T1_Disk T2_B
fixture link T1_Disk T2_B --distance 3
fixture link T1_Other T2_B --distance 1
fixture dataset T1_Disk /Fail/A/RAW 6 100
fixture copy T1_Disk T1_Other /Fail/A/RAW
fixture agents T1_Disk T1_Other T2_B

test_expect_success 'a failing link is avoided: files reach T2_B through the slower working link' - <<\EOT
	sql_is 12 "select count(*) from replicas" &&
	phedex subscribe --node T2_B --dataset /Fail/A/RAW >/dev/null &&
	wait_for 90 at_is T2_B Fail 6 &&
	sql_is t "select count(*) >= 1 from errors e join nodes n on n.id = e.from_node where n.name = 'T1_Other'" &&
	sql_is 6 - <<-\EOF
	select count(distinct t.file) from tasks t join nodes n on n.id = t.from_node join nodes d on d.id = t.to_node
	where n.name = 'T1_Disk' and d.name = 'T2_B' and t.state = 'done'
	EOF
EOT
test_done
