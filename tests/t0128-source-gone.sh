#!/bin/sh
# A hop's source copy deleted between routing and copying (a transit or move
# clean-up at that node races the router of another): the copy fails with
# "cannot open source", and the router routes the file again at once from
# another copy, without counting the attempt, instead of cooling it off for
# retry-delay-max (600 s) as a permanent error.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=6 PX_HEARTBEAT=1 PX_POLL=2
export PX_STALE PX_HEARTBEAT PX_POLL

fixture tmdb
fixture sites T1_A T1_B T2_D
fixture link T1_A T2_D --distance 1
fixture link T1_B T2_D --distance 3
fixture dataset T1_A /Gone/Run1/RAW 6 4
fixture copy T1_A T1_B /Gone/Run1/RAW
fixture agents T1_A T1_B

# D's site hook holds every copy before it starts while $W/hold exists.
printf '#!/bin/sh\n[ "$1" = pre ] || exit 0\nwhile [ -e "%s/hold" ]; do sleep 0.2; done\nexit 1\n' "$W" >"$W/hold.sh" &&
chmod +x "$W/hold.sh" && touch "$W/hold"
printf "[download]\nvalidate-command = %s\n" "$W/hold.sh" | fixture conf T2_D
fixture agents T2_D
active_from_a () {
	sql "select count(*) from tasks t join nodes n on n.id = t.from_node where n.name = 'T1_A' and t.state = 'active'"
}

test_expect_success 'the router picks the nearer copy at T1_A; the download holds the copies' - <<\EOT
	phedex subscribe --node T2_D --dataset /Gone/Run1/RAW >/dev/null &&
	wait_for 30 "test \$(active_from_a) = 6"
EOT

test_expect_success 'T1_A loses its copies before they are read; the copies fail on the missing source' - <<\EOT
	rm -r "$W/sites/T1_A/storage/store/demo/_Gone_Run1_RAW" &&
	sql "delete from replicas r using nodes n where n.id = r.node and n.name = 'T1_A'" &&
	rm "$W/hold" &&
	wait_for 30 "test \"\$(sql \"select count(*) from errors where log like '%cannot open source%'\")\" -ge 1"
EOT

test_expect_success 'every file is routed again from T1_B at once and arrives (retry-delay-max is 600 s)' - <<\EOT
	wait_for 40 at_is T2_D Gone 6 &&
	test "$(sql "select count(*) from tasks t join nodes n on n.id = t.from_node where n.name = 'T1_B' and t.state = 'done'")" = 6 &&
	test "$(sql "select max(attempts) from requests")" = 0
EOT
test_done
