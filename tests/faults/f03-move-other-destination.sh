#!/bin/sh
# f03 — a move does not break other destinations: T2_MOVE takes the dataset
# with --move (fast) while T2_OTHER, subscribed too, still has transfers
# queued that read from T1_SRC (slow copies).  No transfer into T2_OTHER may
# fail for want of its source, every file reaches both, and T1_SRC's copies
# go only after T2_MOVE holds every file.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
. "$top_srcdir/tests/faults/lib-faults.sh"
N=$(faults_pick 20 100)

test_expect_success 'T1_SRC -> T2_MOVE (fast), T1_SRC -> T2_OTHER (slow), T2_MOVE -> T2_OTHER' '
	faults_db && for n in T1_SRC T2_MOVE T2_OTHER; do faults_site $n || exit 1; done &&
	faults_link T1_SRC T2_MOVE && faults_link T1_SRC T2_OTHER && faults_link T2_MOVE T2_OTHER --distance 3 &&
	faults_slow_copy T2_OTHER 1 &&
	# One slow copy at a time: T2_OTHER must still have queued transfers
	# when the (fast) move to T2_MOVE completes, whatever the machine.
	printf "[download]\nconcurrency = 1\nbatch = 2\n" >>"$W/sites/T2_OTHER/site.conf" &&
	faults_dataset T1_SRC /F03/A/RAW $N 4
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB

test_expect_success 'T2_OTHER subscribes and starts; then the move to T2_MOVE completes' '
	start_agents T1_SRC && start_agents T2_OTHER &&
	phedex subscribe --node T2_OTHER --dataset /F03/A/RAW >/dev/null &&
	wait_for 30 "test \$(at T2_OTHER F03) -ge 1" &&
	phedex subscribe --node T2_MOVE --dataset /F03/A/RAW --move >/dev/null &&
	start_agents T2_MOVE &&
	wait_for 60 "test \$(at T2_MOVE F03) = $N" &&
	test "$(count_tasks T2_OTHER queued)" -gt 0
'

test_expect_success 'every file reaches T2_OTHER, no transfer into it failed' '
	wait_for 240 "test \$(at T2_OTHER F03) = $N" &&
	test "$(sql "select count(*) from errors e join nodes n on n.id = e.to_node where n.name = '"'T2_OTHER'"'")" = 0 ||
	{ sql "select e.reason, count(*), min(e.log) from errors e join nodes n on n.id = e.to_node where n.name = '"'T2_OTHER'"' group by 1"; faults_report; false; }
'

test_expect_success 'the move completes: T1_SRC copies gone, T2_MOVE holds every file' '
	wait_for 60 "test \$(at T1_SRC F03) = 0" &&
	test "$(at T2_MOVE F03)" = $N || { faults_report; false; }
'

test_expect_success 'invariants hold once things settle' '
	settle 30; check_invariants || { faults_report; false; }
'
faults_figures
test_done
