#!/bin/sh
# Audit: every data-manager action is recorded with its role, time and
# arguments, and `phedex audit [--since T] [--json]` lists them.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"

fixture tmdb
OWNER_DB=$PHEDEX_DB
fixture sites T1_A T2_B
fixture_manager () {
	phedex db grant-manager dm && PHEDEX_DB="$OWNER_DB user=dm" && export PHEDEX_DB
}
fixture manager

test_expect_success 'each data-manager command leaves one audit row with its arguments' - <<\EOT
	phedex node add --kind MSS T3_C >/dev/null &&
	phedex link add --both T1_A T2_B >/dev/null &&
	fixture_dataset T1_A /Aud/A/RAW 2 1 >/dev/null &&
	phedex subscribe --node T2_B --dataset /Aud/A/RAW --priority high >/dev/null &&
	phedex suspend --node T2_B --dataset /Aud/A/RAW --until '2030-01-01 00:00' >/dev/null &&
	phedex resume --node T2_B --dataset /Aud/A/RAW >/dev/null &&
	phedex unsubscribe --node T2_B --dataset /Aud/A/RAW >/dev/null &&
	phedex policy add --pattern '/Aud/*' --node T2_B --replica >/dev/null &&
	phedex policy rm 1 >/dev/null &&
	phedex block close '/Aud/A/RAW#1' >/dev/null &&
	phedex delete --node T1_A --dataset /Aud/A/RAW --force >/dev/null &&
	phedex audit --json >a.json &&
	python3 - <<-\EOF
	import json
	a = json.load(open("a.json"))
	got = [(x["role"], x["action"]) for x in a]
	want = [("phedex", "node add"), ("phedex", "node add"), ("dm", "node add"), ("dm", "link add"), ("dm", "link add"),
	        ("dm", "inject"), ("dm", "subscribe"), ("dm", "suspend"), ("dm", "resume"), ("dm", "unsubscribe"),
	        ("dm", "policy add"), ("dm", "policy rm"), ("dm", "block close"), ("dm", "delete")]
	assert got == want, got
	by = {x["action"]: x["args"] for x in a}
	assert by["subscribe"] == {"node": "T2_B", "dataset": "/Aud/A/RAW", "priority": "high", "move": "no",
	                           "custodial": "no"}, by["subscribe"]
	assert by["suspend"]["until"] == "2030-01-01 00:00", by["suspend"]
	assert by["delete"] == {"node": "T1_A", "dataset": "/Aud/A/RAW", "force": "yes"}, by["delete"]
	assert by["inject"]["node"] == "T1_A" and by["inject"]["file"].endswith(".xml"), by["inject"]
	assert by["policy add"]["pattern"] == "/Aud/*", by["policy add"]
	assert all(x["at"] for x in a)
	EOF
EOT

test_expect_success 'a refused action is not recorded' '
	n=$(sql "select count(*) from audit") &&
	test_expect_code 1 phedex delete --node T2_B --dataset /Aud/A/RAW 2>/dev/null &&
	test_expect_code 1 phedex unsubscribe --node T2_B --dataset /Aud/A/RAW 2>/dev/null &&
	test "$(sql "select count(*) from audit")" = "$n"
'

test_expect_success 'phedex audit lists role, action and arguments; --since filters' '
	phedex audit >out &&
	test "$(wc -l <out)" = 14 &&
	grep -E "dm +subscribe +\{.*\"dataset\": \"/Aud/A/RAW\"" out &&
	phedex audit --since "2999-01-01" >none &&
	grep -q "no audited actions since 2999-01-01" none &&
	phedex audit --since "$(sql "select (at - interval '\''1 microsecond'\'')::text from audit where action = '\''delete'\''")" --json >d.json &&
	python3 -c "import json; a = json.load(open(\"d.json\")); assert [x[\"action\"] for x in a] == [\"delete\"], a"
'

test_expect_success 'a bad --since says so' '
	test_expect_code 1 phedex audit --since yesterdayish 2>err &&
	grep -q "cannot read the audit log since .yesterdayish." err
'

test_expect_success 'a reader can list the audit log but not add to it' - <<\EOT
	phedex db grant-reader --db "$OWNER_DB" web >/dev/null &&
	phedex audit --db "$OWNER_DB user=web" | grep -q subscribe &&
	! psql "$OWNER_DB user=web" -XAtc "begin read write; insert into audit (action) values ('x')" 2>/dev/null
EOT

test_done
