#!/bin/sh
# Security: roles PostgreSQL enforces.  A site's role (phedex db grant-site)
# tries other sites' rows of every table through psql (not through phedex's
# C code) and is refused by PostgreSQL; a reader cannot write anything; the
# audit log cannot be changed; an agent connecting with the wrong role
# refuses to start.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"

fixture tmdb
fixture sites T1_A T2_B
fixture link --both T1_A T2_B
fixture dataset T1_A /Sec/A/RAW 3 1
# Work of T1_A that T2_B's role must not touch, and one hop into T2_B for
# T1_A's request (the cross-site case a trigger handles).
fixture sql <<\EOF
insert into tasks (file, from_node, to_node, for_node) select f.id, b.id, a.id, a.id
  from files f, nodes a, nodes b where f.lfn like '%0000.root' and a.name = 'T1_A' and b.name = 'T2_B';
insert into requests (file, node, state) select f.id, a.id, 'routed' from files f, nodes a
  where f.lfn like '%0001.root' and a.name = 'T1_A';
insert into tasks (file, from_node, to_node, for_node) select f.id, a.id, b.id, a.id
  from files f, nodes a, nodes b where f.lfn like '%0001.root' and a.name = 'T1_A' and b.name = 'T2_B';
insert into deletions (file, node) select f.id, a.id from files f, nodes a
  where f.lfn like '%0002.root' and a.name = 'T1_A';
insert into agents (node, agent, host, pid) select id, 'download', 'h', 1 from nodes where name = 'T1_A';
insert into errors (file, to_node, reason, log) select f.id, a.id, 'transfer', 'x' from files f, nodes a
  where f.lfn like '%0000.root' and a.name = 'T1_A';
insert into leftovers (node, pfn) select id, '/a/x.part' from nodes where name = 'T1_A';
insert into subscriptions (dataset, node) select d.id, a.id from datasets d, nodes a where a.name = 'T1_A';
insert into handoff_limits (node, max_files, max_bytes, max_events, max_age) select id, 1, 1, 1, 1
  from nodes where name = 'T1_A';
insert into unmerged (node, lfn, origin) select id, '/store/unmerged/x.root', 'output' from nodes where name = 'T1_A';
EOF
phedex db grant-site T1_A >>"$TEST_TMP/setup.log" 2>&1
phedex db grant-site T2_B --role site_b >>"$TEST_TMP/setup.log" 2>&1
phedex db grant-manager dm >>"$TEST_TMP/setup.log" 2>&1
phedex db grant-reader web >>"$TEST_TMP/setup.log" 2>&1

# as ROLE SQL: run SQL as ROLE (psql; the command tags, e.g. "UPDATE 0").
as () {
	psql "$PHEDEX_DB user=$1" -XAt -v ON_ERROR_STOP=1 -c "$2"
}
# refused ROLE SQL WHY: PostgreSQL refuses SQL run as ROLE, saying WHY (a regex).
refused () {
	if as "$1" "$2" >out 2>err; then echo "not refused: $2" >&2; cat out >&2; return 1; fi
	grep -Eq "$3" err || { echo "refused, but not with /$3/: $2" >&2; cat err >&2; return 1; }
}
# none ROLE SQL: SQL as ROLE changes no row (RLS hides other sites' rows).
none () {
	_o=$(as "$1" "$2") || return 1
	case $_o in *" 0") return 0 ;; esac
	echo "changed rows: $2 -> $_o" >&2; return 1
}
RLS='row-level security'
DENIED='permission denied'
A="(select id from nodes where name = 'T1_A')"
B="(select id from nodes where name = 'T2_B')"
F0="(select id from files where lfn like '%0000.root')"
F2="(select id from files where lfn like '%0002.root')"

test_expect_success 'grant-site, grant-manager and grant-reader may be run again; db roles lists every role' - <<\EOT
	phedex db grant-site T2_B --role site_b >/dev/null &&
	phedex db grant-manager dm >/dev/null &&
	phedex db grant-reader web >/dev/null &&
	phedex db roles >roles &&
	grep -Eq '^t1_a +site +T1_A +yes' roles &&
	grep -Eq '^site_b +site +T2_B' roles &&
	grep -Eq '^dm +manager' roles &&
	grep -Eq '^web +reader' roles &&
	phedex db roles --json | python3 -c '
import json, sys
r = {x["role"]: x for x in json.load(sys.stdin)}
assert r["site_b"]["node"] == "T2_B" and r["site_b"]["kind"] == "site", r
assert len(r) == 4, r'
EOT

test_expect_success 'the owner cannot be made a site role (RLS would not limit it)' '
	test_expect_code 1 phedex db grant-site T1_A --role phedex 2>err &&
	grep -q "owns the TMDB or bypasses row-level security" err
'

test_expect_success "tasks: a site cannot queue, claim, report or drop another site's task" "
	refused site_b \"insert into tasks (file, from_node, to_node, for_node) values ($F0, $B, $A, $A)\" '$RLS' &&
	none site_b \"update tasks set state = 'active' where to_node = $A\" &&
	none site_b \"update tasks set next_try = now() where to_node = $A\" &&
	none site_b \"delete from tasks where to_node = $A\" &&
	refused site_b \"update tasks set to_node = $B where to_node = $A\" '$DENIED' &&
	sql_is queued \"select state from tasks where to_node = $A\"
"

test_expect_success "tasks: a site works its own hop; the failure hands the destination's request back" "
	as site_b \"update tasks set state = 'active' where to_node = $B\" | grep -qx 'UPDATE 1' &&
	as site_b \"update tasks set state = 'failed' where to_node = $B\" | grep -qx 'UPDATE 1' &&
	sql_is retry \"select state from requests where node = $A\"
"

test_expect_success "replicas: a site cannot add, change or remove another site's" "
	refused site_b \"insert into replicas (file, node) values ($F2, $A)\" '$RLS' &&
	none site_b \"update replicas set state = 'bad' where node = $A\" &&
	none site_b \"delete from replicas where node = $A\" &&
	sql_is 3 \"select count(*) from replicas where node = $A and state = 'ok'\" &&
	as site_b \"insert into replicas (file, node) values ($F2, $B)\" | grep -q 'INSERT 0 1'
"

test_expect_success "requests: a site cannot add or route another site's" "
	refused site_b \"insert into requests (file, node) values ($F2, $A)\" '$RLS' &&
	none site_b \"update requests set state = 'done' where node = $A\" &&
	refused site_b \"delete from requests where node = $A\" '$DENIED'
"

test_expect_success "deletions: a site cannot queue or drop another site's (nor pass one off as move or transit)" "
	refused site_b \"insert into deletions (file, node) values ($F0, $A)\" '$RLS' &&
	refused site_b \"insert into deletions (file, node, why) values ($F0, $A, 'transit')\" '$RLS' &&
	refused site_b \"insert into deletions (file, node, why) values ($F0, $A, 'move')\" '$RLS' &&
	none site_b \"delete from deletions where node = $A\" &&
	sql_is 1 \"select count(*) from deletions where node = $A\"
"

test_expect_success "errors: a site cannot blame another site's transfers nor edit the record" "
	refused site_b \"insert into errors (file, to_node, reason, log) values ($F0, $A, 'transfer', 'x')\" '$RLS' &&
	refused site_b \"update errors set log = 'y'\" '$DENIED' &&
	refused site_b \"delete from errors\" '$DENIED'
"

test_expect_success "agents: a site cannot register or heartbeat agents of another node" "
	refused site_b \"insert into agents (node, agent, host, pid) values ($A, 'download', 'h', 2)\" '$RLS' &&
	none site_b \"update agents set heartbeat = now(), stopped = now() where node = $A\" &&
	as site_b \"insert into agents (node, agent, host, pid) values ($B, 'download', 'h', 3)\" | grep -q 'INSERT 0 1'
"

test_expect_success "leftovers, subscriptions, nodes, hand-off tables: another site's rows are out of reach" "
	refused site_b \"insert into leftovers (node, pfn) values ($A, '/x')\" '$RLS' &&
	none site_b \"delete from leftovers where node = $A\" &&
	none site_b \"update subscriptions set expanded = 0, completed = now() where node = $A\" &&
	refused site_b \"insert into subscriptions (dataset, node) select id, $B from datasets\" '$DENIED' &&
	none site_b \"update nodes set tfc = 'evil' where name = 'T1_A'\" &&
	refused site_b \"update nodes set name = 'X' where name = 'T2_B'\" '$DENIED' &&
	refused site_b \"insert into handoff_limits (node, max_files, max_bytes, max_events, max_age) values ($A, 1, 1, 1, 1) on conflict do nothing\" '$RLS' &&
	none site_b \"update handoff_limits set max_files = 9 where node = $A\" &&
	none site_b \"update unmerged set state = 'deleting' where node = $A\" &&
	refused site_b \"insert into unmerged (node, lfn, origin) values ($A, '/y', 'output')\" '$DENIED' &&
	refused site_b \"delete from handoff_policies\" '$DENIED'
"

test_expect_success 'catalogue, links and roles: a site may only read them' "
	refused site_b \"insert into datasets (name) values ('/X/Y/Z')\" '$DENIED' &&
	refused site_b \"delete from files\" '$DENIED' &&
	refused site_b \"update links set active = false\" '$DENIED' &&
	refused site_b \"update tmdb_roles set node = $A where role = 'site_b'\" '$DENIED' &&
	as site_b 'select count(*) from files' | grep -qx 3
"

test_expect_success 'a reader cannot write any table, even in a read-write transaction' - <<\EOT
	tables=$(sql "select tablename from pg_tables where schemaname = current_schema() order by 1") &&
	test "$(echo "$tables" | wc -l)" -gt 20 &&
	for t in $tables; do
		refused web "delete from $t" 'read-only transaction' &&
		refused web "begin read write; delete from $t" 'permission denied' &&
		refused web "begin read write; update $t set $(sql "select attname from pg_attribute where attrelid = '$t'::regclass and attnum = 1") = null" 'permission denied' &&
		refused web "begin read write; truncate $t" 'permission denied' || exit 1
	done &&
	refused web "begin read write; insert into audit (action) values ('x')" 'permission denied' &&
	as web 'select count(*) from tasks' | grep -qx 2
EOT

test_expect_success 'the audit log: a manager appends, nobody changes it (not even the owner)' "
	as dm \"insert into audit (action, role, at) values ('test', 'someone-else', '2000-01-01')\" | grep -q 'INSERT 0 1' &&
	sql_is 'dm|1' \"select role, count(*) from audit where action = 'test' and at > now() - interval '1 hour' group by role\" &&
	refused dm \"update audit set action = 'x'\" '$DENIED' &&
	refused dm \"delete from audit\" '$DENIED' &&
	refused site_b \"insert into audit (action) values ('x')\" '$DENIED' &&
	refused phedex \"update audit set action = 'x'\" 'append-only' &&
	refused phedex \"delete from audit\" 'append-only' &&
	refused phedex \"truncate audit\" 'append-only'
"

test_expect_success "an agent whose role is not its node's refuses to start and says why" - <<\EOT
	sed "s|^db = .*|db = $PHEDEX_DB user=site_b|" "$W/sites/T1_A/site.conf" >wrong.conf &&
	test_expect_code 1 phedex-agent --config wrong.conf download 2>err &&
	grep -q "role 'site_b' is the site role of node 'T2_B', not of 'T1_A'" err &&
	sed "s|^db = .*|db = $PHEDEX_DB user=dm|" "$W/sites/T1_A/site.conf" >mgr.conf &&
	test_expect_code 1 phedex-agent --config mgr.conf router 2>err &&
	grep -q "role 'dm' (a manager role) is not the site role of node 'T1_A'" err &&
	grep -q "phedex db grant-site T1_A --role dm" err
EOT

test_done
