#!/bin/sh
# The TMDB and what goes into it before any agent runs: `phedex db init` on
# an empty database, nodes and links, injections refused whole or accepted,
# and the task state table enforced by the database.  One cluster; each case
# works in its own copy of a freshly migrated database.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"

fixture tmdb
fixture files T1_CH_Source /Test/Run1/RAW 200 16
XML=$(dataset_xml /Test/Run1/RAW)
TFC=$W/sites/T1_CH_Source/storage.xml
px_site T1_CH_Source "$W/sites"

test_expect_success 'a throwaway TMDB is created' - <<\EOT
	fixture_db fresh template1 &&
	phedex db init >out && grep -q "migrated from version 0 to [0-9]" out &&
	phedex db status | grep -q "schema version [0-9]"
EOT

test_expect_success 'three sites, links both ways' - <<\EOT
	fixture_db links &&
	phedex node add T1_CH_Source T2_DE_Dest T2_IT_Dest >/dev/null &&
	phedex node add --kind MSS T1_XX_Slow >/dev/null &&
	phedex link add --both T1_CH_Source T2_DE_Dest >/dev/null &&
	phedex link add --both T1_CH_Source T2_IT_Dest >/dev/null &&
	phedex link add T1_XX_Slow T2_DE_Dest --distance 2 >/dev/null &&
	phedex link list --json | python3 -c "import json,sys; assert len(json.load(sys.stdin))==5"
EOT

test_expect_success 'bad injections are refused and change nothing' - <<\EOT
	fixture_db bad && phedex node add T1_CH_Source >/dev/null &&
	test $(grep -c "<file " "$XML") = 200 &&
	test_expect_code 1 phedex inject --node T9_Nowhere --tfc "$TFC" "$XML" 2>err &&
	grep -q "unknown node .T9_Nowhere." err &&
	sed "s/<\/block>//" "$XML" >broken.xml &&
	test_expect_code 1 phedex inject --node T1_CH_Source --tfc "$TFC" broken.xml 2>err &&
	grep -q "broken.xml:[0-9]*:.*nothing injected" err &&
	sed "s|0003.root\" bytes|0003-missing.root\" bytes|" "$XML" >missing.xml &&
	test_expect_code 1 phedex inject --node T1_CH_Source --tfc "$TFC" missing.xml 2>err &&
	grep -q "1 of 200 files are not present at T1_CH_Source" err &&
	sql_is 0 "select count(*) from files"
EOT

test_expect_success '200 files are injected at the source; other attributes for a known file are refused' - <<\EOT
	fixture_db inject && phedex node add T1_CH_Source >/dev/null &&
	phedex inject --node T1_CH_Source --tfc "$TFC" "$XML" >out &&
	grep -q "injected 200 new files" out &&
	sed "0,/bytes=\"[0-9]*\"/s//bytes=\"1\"/" "$XML" >conflict.xml &&
	test_expect_code 1 phedex inject --node T1_CH_Source --no-check conflict.xml 2>err &&
	grep -q "already in the catalogue with other attributes" err &&
	sql_is 200 "select count(*) from replicas"
EOT

test_expect_success 'the database refuses a task state change outside the table' - <<\EOT
	fixture_db states && phedex node add T1_CH_Source T2_DE_Dest >/dev/null &&
	phedex inject --node T1_CH_Source --tfc "$TFC" "$XML" >/dev/null &&
	sql <<-\EOF &&
	insert into tasks (file, from_node, to_node, for_node)
	  select f.id, s.id, d.id, d.id from files f, nodes s, nodes d
	  where s.name = 'T1_CH_Source' and d.name = 'T2_DE_Dest' order by f.id limit 1;
	update tasks set state = 'active';
	update tasks set state = 'transferred';
	update tasks set state = 'verified';
	update tasks set state = 'done';
	EOF
	sql_is 1 "select count(*) from tasks where state = 'done'" &&
	! sql "update tasks set state = 'active' where state = 'done'" 2>err &&
	grep -q "may not go from done to active" err &&
	! sql "insert into tasks (file, from_node, to_node, state) select id, 1, 2, 'done' from files limit 1" 2>err &&
	grep -q "must start queued" err
EOT

test_done
