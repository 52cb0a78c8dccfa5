#!/bin/sh
# Security end to end: every site's agents on the site's own role (phedex db
# grant-site), the data manager on a manager role, nobody as the TMDB's
# owner.  Multi-hop MSS -> Buffer -> Disk with a copy corrupted in flight at
# the buffer (the failed hop hands the request back to the destination's
# router), the transit copies cleaned up at the buffer, and a move from the
# buffer: each cross-site effect goes through the database's own checked
# paths, and no agent is ever refused.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=2 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY
SITES="T0_MSS T1_Buffer T1_Disk"

fixture tmdb
OWNER_DB=$PHEDEX_DB
fixture_manager () {
	phedex db grant-manager dm && PHEDEX_DB="$OWNER_DB user=dm" && export PHEDEX_DB
}
fixture manager
fixture site T0_MSS --kind MSS --rules <<EOF
  <lfn-to-pfn protocol="direct" path-match="/+store/(.*/0007[.]root)" result="null://$W/sites/T0_MSS/storage/store/\$1?corrupt=1"/>
EOF
fixture site T1_Buffer --kind Buffer
fixture site T1_Disk
fixture link T0_MSS T1_Buffer
fixture link T1_Buffer T1_Disk
fixture dataset T0_MSS /Sec/Hop/RAW 20 4
fixture dataset T1_Buffer /Sec/Move/RAW 6 4
# Each site's agents on its own role.
fixture_roles () {
	for _s in $SITES; do
		_r=$(echo "$_s" | tr A-Z a-z)
		phedex db grant-site --db "$OWNER_DB" "$_s" >/dev/null &&
		sed -i "s|^db = .*|db = $OWNER_DB user=$_r|" "$W/sites/$_s/site.conf" || return 1
	done
}
fixture roles
fixture agents $SITES
fixture subscribe --node T1_Disk --dataset /Sec/Hop/RAW
fixture subscribe --node T1_Disk --dataset /Sec/Move/RAW --move

test_expect_success 'every agent runs as its site role, and nobody writes as the owner' - <<\EOT
	wait_for 20 sql_eq 15 "select count(*) from agents where stopped is null" &&
	sql_is 't0_mss t1_buffer t1_disk' "select string_agg(distinct usename, ' ' order by usename) from pg_stat_activity
	                                   where application_name like '%@%'" &&
	for s in $SITES; do grep -q "user=$(echo $s | tr A-Z a-z)" "$W/sites/$s/site.conf" || exit 1; done
EOT

test_expect_success 'multi-hop delivery on site roles: every file arrives with its bytes' - <<\EOT
	wait_for 120 at_is T1_Disk Sec_Hop_RAW 20 &&
	for f in "$W/sites/T0_MSS/storage/store/demo/_Sec_Hop_RAW"/*.root; do
		cmp "$f" "$W/sites/T1_Disk/storage/store/demo/_Sec_Hop_RAW/${f##*/}" || exit 1
	done
EOT

test_expect_success 'the hop corrupted in flight failed at the buffer and the destination routed it again' - <<\EOT
	wait_for 120 at_is T1_Disk Sec_Hop_RAW 20 &&
	sql_is 1 - <<-\EOF
	select count(*) from errors e join files f on f.id = e.file join nodes n on n.id = e.to_node
	where e.reason = 'checksum' and f.lfn like '%Hop%/0007.root' and n.name = 'T1_Buffer'
	EOF
EOT

test_expect_success 'the transit copies at the buffer are deleted (a deletion the destination queued there)' - <<\EOT
	wait_for 60 at_is T1_Buffer Sec_Hop_RAW 0 &&
	test -z "$(ls "$W/sites/T1_Buffer/storage/store/demo/_Sec_Hop_RAW" 2>/dev/null)"
EOT

test_expect_success 'the move completes: every file at the disk, the buffer copies deleted' - <<\EOT
	wait_for 60 at_is T1_Disk Sec_Move_RAW 6 &&
	wait_for 60 at_is T1_Buffer Sec_Move_RAW 0 &&
	test -z "$(ls "$W/sites/T1_Buffer/storage/store/demo/_Sec_Move_RAW" 2>/dev/null)"
EOT

test_expect_success 'no agent was ever refused by the database, and they drain and exit 0' - <<\EOT
	! grep -Ei "row-level security|permission denied" "$W"/sites/*/log/agents.log &&
	stop_agents $SITES
EOT

test_expect_success "the manager's actions are in the audit log under its role" - <<\EOT
	phedex audit --json >audit.json &&
	python3 - <<-\EOF
	import json
	a = json.load(open("audit.json"))
	subs = [x for x in a if x["action"] == "subscribe"]
	assert len(subs) == 2 and all(x["role"] == "dm" for x in subs), a
	assert {x["args"]["dataset"] for x in subs} == {"/Sec/Hop/RAW", "/Sec/Move/RAW"}, subs
	assert [x["args"]["move"] for x in subs] == ["no", "yes"], subs
	assert len([x for x in a if x["action"] == "inject"]) == 2, a
	assert len([x for x in a if x["action"] == "node add"]) == 3, a
	EOF
EOT

test_done
