#!/bin/sh
# f02 — transit copies at a node that is itself subscribed: T0 -> T1_HUB ->
# T2_FAR (the only links), slow copies into T2_FAR; T2_FAR subscribes, then
# T1_HUB 6 s later, while its copies are still transit copies for T2_FAR.
# T1_HUB must end with every file, and none of its copies may be deleted once
# it subscribed (transit copies cleaned before that are fair game).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
. "$top_srcdir/tests/faults/lib-faults.sh"
N=$(faults_pick 40 100)

test_expect_success 'T0 -> T1_HUB -> T2_FAR, '$N' files at T0, slow copies into T2_FAR' '
	faults_db && for n in T0_SRC T1_HUB T2_FAR; do faults_site $n || exit 1; done &&
	faults_link T0_SRC T1_HUB && faults_link T1_HUB T2_FAR &&
	faults_slow_copy T2_FAR 3 &&
	faults_dataset T0_SRC /F02/A/RAW $N 4
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB

test_expect_success 'T2_FAR subscribes, T1_HUB 6 s later while the hop is under way' '
	for n in T0_SRC T1_HUB T2_FAR; do start_agents $n || exit 1; done &&
	phedex subscribe --node T2_FAR --dataset /F02/A/RAW >/dev/null &&
	wait_for 30 "test \$(at T1_HUB F02) -ge 1" &&
	sleep 6 &&
	phedex subscribe --node T1_HUB --dataset /F02/A/RAW >/dev/null
'

test_expect_success 'every file reaches T2_FAR' '
	wait_for 120 "test \$(at T2_FAR F02) = $N" || { faults_report; false; }
'

test_expect_success 'T1_HUB holds every file and none of its copies was deleted after it subscribed' '
	settle 30; sleep 3 &&
	since=$(sql "select to_char(s.created at time zone '"'UTC'"', '"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'"') from subscriptions s join nodes n on n.id = s.node where n.name = '"'T1_HUB'"'") &&
	echo "T1_HUB subscribed at $since" && test -n "$since" &&
	test "$(at T1_HUB F02)" = $N &&
	test "$(ls "$W/sites/T1_HUB/storage/store/demo/_F02_A_RAW" | grep -c "[.]root$")" = $N &&
	test -z "$(awk -v t="$since" "\$1 >= t && /deleted replica of/" "$W/sites/T1_HUB/log/agents.log")" ||
	{ echo "T1_HUB holds $(at T1_HUB F02) of $N files"; grep -c "deleted replica of" "$W/sites/T1_HUB/log/agents.log"; faults_report; false; }
'

test_expect_success 'invariants hold once things settle' '
	check_invariants || { faults_report; false; }
'
faults_figures
test_done
