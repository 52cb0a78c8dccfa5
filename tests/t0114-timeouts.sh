#!/bin/sh
# Failures the download agent classifies: a transfer over its size-scaled
# timeout fails as transient (retried), a missing source as permanent (not
# retried for the long retry-delay-max).
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=1
export PX_STALE PX_HEARTBEAT PX_POLL
D=store/demo/_Test_Hooks_RAW
S=$W/sites/T1_CH_Source/storage

fixture tmdb
fixture site T1_CH_Source --rules <<EOF
  <lfn-to-pfn protocol="direct" destination-match="T2_TMO" path-match="/+store/(.*/0003[.]root)" result="null://$S/store/\$1?time=5"/>
  <lfn-to-pfn protocol="direct" destination-match="T2_TMO" path-match="/+store/(.*/0004[.]root)" result="$S/nowhere/\$1"/>
EOF
fixture site T2_TMO
printf "[download]\ntimeout-base = 1\ntimeout-min-rate = 1000000000\n[router]\nmax-attempts = 2\nretry-delay-max = 3600\n" |
	fixture conf T2_TMO
fixture link T1_CH_Source T2_TMO
fixture dataset T1_CH_Source /Test/Hooks/RAW 12 8
fixture subscribe --node T2_TMO --dataset /Test/Hooks/RAW
fixture agents T1_CH_Source T2_TMO

test_expect_success 'a transfer over its size-scaled timeout fails as transient; a missing source as permanent' - <<\EOT
	wait_for 60 at_is T2_TMO "" 10 &&
	wait_for 30 sql_eq 1 "select 1 from errors e join files f on f.id = e.file
	                      where f.lfn like '%0003.root' and e.log like '%timed out%' and not e.permanent limit 1" &&
	wait_for 30 sql_eq 1 "select 1 from errors e join files f on f.id = e.file
	                      where f.lfn like '%0004.root' and e.permanent limit 1" &&
	sql_is "" - <<-\EOF &&
	select 1 from tasks t join files f on f.id = t.file join nodes n on n.id = t.to_node
	where n.name = 'T2_TMO' and f.lfn like '%0004.root' and t.state = 'queued'
	  and t.next_try < now() + interval '1800 seconds'
	EOF
	test ! -e "$W/sites/T2_TMO/storage/$D/0003.root"
EOT

test_expect_success 'SIGTERM stops every agent' - <<\EOT
	stop_agents T1_CH_Source T2_TMO &&
	wait_for 20 "! pgrep -f \"phedex-agent --config $W/\" >/dev/null"
EOT
test_done
