#!/bin/sh
# End to end: a throwaway PostgreSQL, three sites with real storage, 200 files
# of random content injected at one and subscribed to the two others, every
# agent a separate process.  The source corrupts 0007.root in flight: verify
# catches it and it is sent again.  Each case waits for the delivery itself.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1
export PX_STALE PX_HEARTBEAT
SITES="T1_CH_Source T2_DE_Dest T2_IT_Dest"

fixture tmdb
fixture site T1_CH_Source --rules <<EOF
  <lfn-to-pfn protocol="direct" path-match="/+store/(.*/0007[.]root)" result="null://$W/sites/T1_CH_Source/storage/store/\$1?corrupt=1"/>
EOF
fixture sites T2_DE_Dest T2_IT_Dest
fixture link --both T1_CH_Source T2_DE_Dest
fixture link --both T1_CH_Source T2_IT_Dest
fixture dataset T1_CH_Source /Test/Run1/RAW 200 16
fixture subscribe --node T2_DE_Dest --dataset /Test/Run1/RAW
fixture subscribe --node T2_IT_Dest --dataset /Test/Run1/RAW
fixture agents $SITES
delivered () { wait_for 120 sql_eq 600 "select count(*) from replicas"; }

test_expect_success 'subscribed to two sites, the agents deliver every file' - <<\EOT
	delivered
EOT

test_expect_success 'every copy has the bytes of the original' - <<\EOT
	delivered &&
	src=$W/sites/T1_CH_Source/storage/store/demo/_Test_Run1_RAW &&
	for d in T2_DE_Dest T2_IT_Dest; do
		for f in "$src"/*.root; do
			cmp "$f" "$W/sites/$d/storage/store/demo/_Test_Run1_RAW/${f##*/}" || exit 1
		done
	done
EOT

test_expect_success 'replicas lists three verified copies of each file' - <<\EOT
	delivered &&
	phedex replicas --dataset /Test/Run1/RAW --json >rep.json &&
	python3 - <<-\EOF
	import json
	d = json.load(open("rep.json"))
	assert len(d) == 200, len(d)
	for f in d:
	    assert sorted(r["node"] for r in f["replicas"]) == ["T1_CH_Source", "T2_DE_Dest", "T2_IT_Dest"], f
	    assert all(r["state"] == "ok" for r in f["replicas"])
	EOF
EOT

test_expect_success 'the copy corrupted in flight was caught by verify and sent again' - <<\EOT
	delivered &&
	sql_is 2 "select count(*) from errors e join files f on f.id = e.file
	          where e.reason = 'checksum' and f.lfn like '%/0007.root'" &&
	sql "select log from errors where reason = 'checksum' limit 1" | grep -q "adler32 mismatch" &&
	sql_is 2 "select count(*) from tasks where state = 'done' and attempts = 2" &&
	phedex status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert any(e["reason"] == "checksum" for e in s["errors"])
assert all(x["files_done"] == 200 for x in s["subscriptions"])'
EOT

test_expect_success 'no partial file is left behind' - <<\EOT
	delivered &&
	wait_for 20 sql_eq 0 "select count(*) from leftovers" &&
	test -z "$(find "$W/sites" -name "*.part")"
EOT

test_expect_success 'SIGTERM drains the agents and they exit 0' - <<\EOT
	stop_agents $SITES &&
	sql_is 0 "select count(*) from agents where stopped is null"
EOT

test_done
