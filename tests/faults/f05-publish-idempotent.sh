#!/bin/sh
# f05 — publish is idempotent: the publish agent renamed a verified copy into
# place but its report was lost (simulated: publish stopped, the rename done
# by hand).  When publish runs again the file must be published as it is,
# without a new transfer.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
. "$top_srcdir/tests/faults/lib-faults.sh"
N=$(faults_pick 6 50)

test_expect_success 'a source and a destination whose publish agent is not running' '
	faults_db && faults_site T1_SRC && faults_site T2_DST && faults_link T1_SRC T2_DST &&
	faults_dataset T1_SRC /F05/A/RAW $N 4 &&
	start_agents T1_SRC &&
	( phedex-agent --config "$W/sites/T2_DST/site.conf" router download verify delete >>"$W/sites/T2_DST/log/agents.log" 2>&1 &
	  echo $! >"$W/nopub.pid" ) &&
	phedex subscribe --node T2_DST --dataset /F05/A/RAW >/dev/null
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB

test_expect_success 'every copy is verified; half of them are already renamed into place' '
	wait_for 60 "test \$(count_tasks T2_DST verified) = $N" &&
	sql "select tmp_pfn, to_pfn from tasks where state = '"'verified'"' order by id limit $((N / 2))" >renamed &&
	test "$(wc -l <renamed)" = $((N / 2)) &&
	while IFS="|" read -r tmp final; do mv "$tmp" "$final" || exit 1; done <renamed
'

test_expect_success 'publish runs: every file is published without a new transfer' '
	start_agents T2_DST &&
	wait_for 30 "test \$(at T2_DST F05) = $N" &&
	test "$(sql "select count(*) from tasks")" = $N &&
	test "$(sql "select count(*) from tasks where state = '"'done'"' and attempts = 1")" = $N &&
	test "$(sql "select count(*) from errors")" = 0 ||
	{ sql "select id, state, attempts, tmp_pfn from tasks order by id"; sql "select reason, log from errors"; faults_report; false; }
'

test_expect_success 'invariants hold once things settle' '
	kill -TERM $(cat "$W/nopub.pid") && settle 30; check_invariants || { faults_report; false; }
'
faults_figures
test_done
