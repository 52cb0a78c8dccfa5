#!/bin/sh
# f08 — a kill -9 storm: thousands of files (short form: 500) moving to three
# destinations, one of them over two hops, while random agents and whole
# supervisors are killed with SIGKILL again and again (a killed supervisor is
# started again), PostgreSQL is restarted once and frozen (SIGSTOP) for 10 s
# once.  Once the storm ends and things settle, every invariant holds.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
. "$top_srcdir/tests/faults/lib-faults.sh"
N=$(faults_pick 500 3000)
STORM=$(faults_pick 40 180)
NODES="T0_SRC T1_A T2_B T2_C"

test_expect_success 'T0 -> T1_A -> T2_B, T0 -> T2_C; '$N' files at T0' '
	faults_db && for n in $NODES; do faults_site $n || exit 1; done &&
	faults_link T0_SRC T1_A && faults_link T1_A T2_B && faults_link T0_SRC T2_C &&
	faults_dataset T0_SRC /F08/A/RAW $N 1
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB

test_expect_success 'the storm: '$STORM' s of kill -9, a PostgreSQL restart and a 10 s freeze' '
	for n in $NODES; do start_agents $n || exit 1; done &&
	for n in T1_A T2_B T2_C; do phedex subscribe --node $n --dataset /F08/A/RAW >/dev/null || exit 1; done &&
	end=$(( $(date +%s) + STORM )) restarted= paused= t0=$(date +%s) &&
	while [ $(date +%s) -lt $end ]; do
		node=$(shuf -n 1 -e $NODES)
		case $(shuf -n 1 -i 1-4) in
		4)	kill_supervisor $node; sleep 1; start_agents $node ;;
		*)	kill_agent $node $(shuf -n 1 -e router download verify publish delete) 2>/dev/null ;;
		esac
		el=$(( $(date +%s) - t0 ))
		if [ -z "$restarted" ] && [ $el -ge $((STORM / 3)) ]; then pg_restart; restarted=1; fi
		if [ -z "$paused" ] && [ $el -ge $((STORM * 2 / 3)) ]; then pg_pause 10; paused=1; fi
		sleep $(shuf -n 1 -e 1 2 3)
	done &&
	test -n "$restarted" && test -n "$paused" &&
	echo "$(wc -l <"$W/kills") faults injected"
'

test_expect_success 'after the storm every file reaches every destination' '
	wait_for $(faults_pick 180 900) "test \$(at T1_A F08) = $N && test \$(at T2_B F08) = $N && test \$(at T2_C F08) = $N" ||
	{ faults_report; false; }
'

test_expect_success 'invariants hold once things settle' '
	settle 60; check_invariants || { faults_report; false; }
'
faults_figures
test_done
