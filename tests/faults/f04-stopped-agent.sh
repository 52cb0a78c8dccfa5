#!/bin/sh
# f04 — a download agent stopped (SIGSTOP) mid-batch for longer than
# stale-after, then continued: a second download agent at the node takes its
# tasks back and finishes them; the old owner, once continued, must not
# report as transferred what it no longer owns.  Every file delivered once,
# no partial file left.  The copies the stopped agent started outlive the
# stop (5 x stale-after; the other agent's take 1 s), so they write their
# partial files after the agent lost the tasks.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
. "$top_srcdir/tests/faults/lib-faults.sh"
N=$(faults_pick 24 150)

test_expect_success 'a source, a destination with a slow copy and two download agents, '$N' files' '
	faults_db && faults_site T1_SRC && faults_site T2_DST && faults_link T1_SRC T2_DST &&
	cat >"$W/copy.sh" <<-EOS &&
	#!/bin/sh
	if [ "\$PPID" = "\$(cat "$W/old.pid")" ]; then sleep $((PX_STALE * 5)); else sleep 1; fi
	mkdir -p "\$(dirname "\$2")" && exec cp "\$1" "\$2"
	EOS
	chmod +x "$W/copy.sh" &&
	printf "[transfer]\ncommand = %s\n" "$W/copy.sh" >>"$W/sites/T2_DST/site.conf" &&
	printf "[download]\nbatch = 6\nconcurrency = 6\n" >>"$W/sites/T2_DST/site.conf" &&
	faults_dataset T1_SRC /F04/A/RAW $N 4 &&
	start_agents T1_SRC && start_agents T2_DST &&
	wait_for 10 "agent_pid T2_DST download >$W/old.pid" &&
	( phedex-agent --config "$W/sites/T2_DST/site.conf" download >"$W/sites/T2_DST/log/second.log" 2>&1 &
	  echo $! >"$W/second.pid" )
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB
test_at_exit "kill -TERM \$(cat $W/second.pid) \$(cat $W/old.pid) 2>/dev/null; kill -CONT \$(cat $W/old.pid) 2>/dev/null"

test_expect_success 'the first download agent is stopped mid-batch for 3 x stale-after, then continued' '
	old=$(cat "$W/old.pid") &&
	phedex subscribe --node T2_DST --dataset /F04/A/RAW >/dev/null &&
	wait_for 60 "test \"\$(sql \"select count(*) from tasks t join agents a on a.id = t.claimed_by where a.pid = $old and t.state = '"'active'"'\")\" -ge 1" &&
	kill -STOP $old && faults_count "download SIGSTOP" &&
	sleep $((PX_STALE * 3)) &&
	date -u +%Y-%m-%dT%H:%M:%S >"$W/cont.time" &&
	kill -CONT $old
'

test_expect_success 'every file arrives, each delivered once' '
	wait_for 90 "test \$(at T2_DST F04) = $N" &&
	test "$(extra_copies)" = 0 || { faults_report; false; }
'

test_expect_success 'the old owner did not report as transferred a task it had lost' '
	test "$(sql "select count(*) from errors where reason = '"'lost'"'")" -gt 0 &&
	test "$(sql "select count(*) from errors where reason <> '"'lost'"'")" = 0 &&
	old=$(cat "$W/old.pid") &&
	batch_line () { awk -v t="$(cat "$W/cont.time")" "\$1 >= t && /download@T2_DST\[$old\]/ && /batch of/ { print; exit }" "$W/sites/T2_DST/log/agents.log"; } &&
	wait_for 60 "test -n \"\$(batch_line)\"" &&
	first=$(batch_line) &&
	echo "old owner after SIGCONT: $first" &&
	echo "$first" | grep -q "no longer ours" && echo "$first" | grep -q " 0 transferred" &&
	grep -q "download@T2_DST\[$old\].*abandoning its work" "$W/sites/T2_DST/log/agents.log" ||
	{ sql "select reason, count(*), min(log) from errors group by 1"; faults_report; false; }
'

test_expect_success 'invariants hold once things settle, no partial file left' '
	settle 30; check_invariants || { faults_report; false; }
'
faults_figures
test_done
