#!/bin/sh
# f07 — a supervisor's children die with it: `kill -9` the `phedex-agent all`
# process; within a few seconds no agent of that site may be left (none
# re-parented to init), and a supervisor started again runs each agent once.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
. "$top_srcdir/tests/faults/lib-faults.sh"
AGENTS="router download verify publish delete"
running () { pgrep -f "phedex-agent --config $W/sites/T2_DST/site.conf" | wc -l; }

test_expect_success 'a site with its five agents under one supervisor' '
	faults_db && faults_site T2_DST &&
	start_agents T2_DST &&
	wait_for 20 "test \$(running) = 6" &&
	wait_for 20 "test \"\$(sql \"select count(*) from agents where stopped is null\")\" = 5"
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB

test_expect_success 'kill -9 the supervisor: its children exit within 5 s' '
	pgrep -P $(cat "$W/sites/T2_DST/agents.pid") >children &&
	test $(wc -l <children) = 5 &&
	kill_supervisor T2_DST &&
	wait_for 5 "test \$(running) = 0" ||
	{ for p in $(cat children); do ps -o pid=,ppid=,args= -p $p; done; false; }
'

# (A zombie is dead: a container whose init does not reap keeps it in the table.)
test_expect_success 'no agent was re-parented to init' '
	for p in $(cat children); do
		st=$(ps -o stat= -p $p) || continue
		case $st in Z*) ;; *) ps -o pid=,ppid=,stat=,args= -p $p; exit 1 ;; esac
	done
'

test_expect_success 'a supervisor started again runs each agent once' '
	kill -KILL $(cat children) 2>/dev/null; sleep 0.5;
	start_agents T2_DST &&
	sleep 3 &&
	for a in $AGENTS; do
		n=$(pgrep -x -f "phedex-agent --config $W/sites/T2_DST/site.conf $a" | wc -l) &&
		test "$n" = 1 || { echo "$n $a agents running"; exit 1; }
	done &&
	wait_for 10 "test \"\$(sql \"select count(*) from agents where stopped is null and heartbeat > now() - interval '"'3 seconds'"'\")\" = 5"
'
faults_figures
test_done
