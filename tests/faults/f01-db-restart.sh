#!/bin/sh
# f01 — claims after a lost DB connection: two sites, a ~3 s copy into the
# destination, PostgreSQL restarted (pg_ctl restart -m fast) while a batch is
# being copied.  Every file must arrive within a bound: tasks the agents had
# claimed when the connection went must not stay active forever.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
. "$top_srcdir/tests/faults/lib-faults.sh"
N=$(faults_pick 40 200)

test_expect_success 'a source, a destination with a 3 s copy, '$N' files subscribed' '
	faults_db && faults_site T1_SRC && faults_site T2_DST && faults_link T1_SRC T2_DST &&
	faults_slow_copy T2_DST 3 &&
	printf "[download]\nbatch = 10\nconcurrency = 10\n" >>"$W/sites/T2_DST/site.conf" &&
	faults_dataset T1_SRC /F01/A/RAW $N 4 &&
	phedex subscribe --node T2_DST --dataset /F01/A/RAW >/dev/null
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB

test_expect_success 'PostgreSQL restarts while a batch is being copied' '
	start_agents T1_SRC && start_agents T2_DST &&
	wait_for 60 "test \$(count_tasks T2_DST active) -ge 5" &&
	pg_restart &&
	grep -q . "$W/kills"
'

test_expect_success 'every file arrives within 90 s of the restart' '
	wait_for 90 "test \$(at T2_DST F01) = $N" || { faults_report; false; }
'

test_expect_success 'invariants hold once things settle' '
	settle 30; check_invariants || { faults_report; false; }
'
faults_figures
test_done
