#!/bin/sh
# f06 — no duplicate copies in a calm run: four sites, a multi-hop path and
# two paths into T2_Y, overlapping subscriptions (the dataset at T1_A, T2_X
# and T2_Y, and its block at T2_Y again), made together, the hop node's
# first (on a slow machine, e.g. under ASan, one CLI call takes a second: made
# last, the hop's first transit copies could be cleaned before it subscribed,
# and fetched again rightly).  Each file is copied to each node exactly once.  (A hop node subscribed only after its transit
# copies were cleaned up fetches them again, rightly: f02 covers that case.)
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
. "$top_srcdir/tests/faults/lib-faults.sh"
N=$(faults_pick 200 500)

test_expect_success 'T0 -> T1_A -> T2_X, T1_A -> T2_Y, T0 -> T1_B -> T2_Y; '$N' files at T0' '
	faults_db && for n in T0_SRC T1_A T1_B T2_X T2_Y; do faults_site $n || exit 1; done &&
	faults_link T0_SRC T1_A && faults_link T1_A T2_X && faults_link T1_A T2_Y &&
	faults_link T0_SRC T1_B && faults_link T1_B T2_Y &&
	faults_dataset T0_SRC /F06/A/RAW $N 1
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB

test_expect_success 'overlapping subscriptions, every file everywhere it is wanted' '
	for n in T0_SRC T1_A T1_B T2_X T2_Y; do start_agents $n || exit 1; done &&
	phedex subscribe --node T1_A --dataset /F06/A/RAW >/dev/null &&
	phedex subscribe --node T2_X --dataset /F06/A/RAW >/dev/null &&
	phedex subscribe --node T2_Y --dataset /F06/A/RAW >/dev/null &&
	phedex subscribe --node T2_Y --block "/F06/A/RAW#1" >/dev/null &&
	wait_for 180 "test \$(at T2_X F06) = $N && test \$(at T2_Y F06) = $N && test \$(at T1_A F06) = $N" ||
	{ faults_report; false; }
'

test_expect_success 'no file was copied twice to the same node' '
	settle 60; test "$(extra_copies)" = 0 ||
	{ sql "select n.name, count(*) - count(distinct t.file) from tasks t join nodes n on n.id = t.to_node where t.state = '"'done'"' group by 1"; faults_report; false; }
'

test_expect_success 'invariants hold' '
	check_invariants || { faults_report; false; }
'
faults_figures
test_done
