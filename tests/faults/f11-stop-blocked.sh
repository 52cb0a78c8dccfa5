#!/bin/sh
# f11 — an agent stops promptly whatever the database is doing: with the
# tasks table locked by another session (every agent statement on it
# blocks), SIGTERM cancels the statement that is waiting (PQcancel) and the
# agent exits 0 within a few seconds instead of waiting for the lock (or for
# a SIGKILL after the grace time); its claims are given back.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
. "$top_srcdir/tests/faults/lib-faults.sh"

test_expect_success 'a site whose download agent runs alone' '
	faults_db && faults_site T2_DST || exit 1
	{ ( phedex-agent --config "$W/sites/T2_DST/site.conf" download >"$W/dl.log" 2>&1 & echo $! >"$W/dl.pid"; wait $!
	    echo $? >"$W/dl.rc" ) & } &&
	wait_for 10 "test -s $W/dl.pid" &&
	wait_for 20 "test \"\$(sql \"select count(*) from agents where agent = '"'download'"' and stopped is null\")\" = 1"
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB
test_at_exit "kill -KILL \$(cat $W/dl.pid) \$(cat $W/locker.pid) 2>/dev/null"

test_expect_success 'another session holds the tasks table; the agent blocks on it' '
	( psql "$PHEDEX_DB" -XAtq -c "begin; lock table tasks in access exclusive mode; select pg_sleep(120);" >/dev/null 2>&1 &
	  echo $! >"$W/locker.pid" ) &&
	wait_for 20 "test \"\$(sql \"select count(*) from pg_stat_activity where wait_event_type = '"'Lock'"' and application_name like '"'download@%'"'\")\" -ge 1"
'

test_expect_success 'SIGTERM: the blocked statement is cancelled, the agent exits 0 within 5 s' '
	t0=$(date +%s) && kill -TERM $(cat "$W/dl.pid") &&
	wait_for 5 "test -s $W/dl.rc" &&
	echo "stopped in $(( $(date +%s) - t0 )) s" &&
	test "$(cat "$W/dl.rc")" = 0 &&
	grep -q "canceling statement due to user request" "$W/dl.log" &&
	grep -q "stopped" "$W/dl.log"
'
test_done
