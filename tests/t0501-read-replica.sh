#!/bin/sh
# Reports from a streaming replica: a hot standby made with pg_basebackup
# follows the TMDB; with PHEDEX_DB_READ (or --db-read) set, the report
# commands read from it, while commands that write still go to PHEDEX_DB.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"

fixture tmdb
PRIMARY=$PHEDEX_DB
PGDIR=$(echo "$PRIMARY" | sed 's/.*host=\([^ ]*\).*/\1/')
PGPORT=$(echo "$PRIMARY" | sed 's/.*port=\([^ ]*\).*/\1/')
RP=$(test_free_port)
R=$W/replica
mkdir -p "$R" && chown postgres "$R"
as_pg () { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$PG_BINDIR/pg_basebackup" -D "$R/data" -R -h "$PGDIR" -p "$PGPORT" -U phedex -X stream >"$R/basebackup.log" 2>&1 ||
	echo "pg_basebackup failed, see $R/basebackup.log" >&2
as_pg "$PG_BINDIR/pg_ctl" -D "$R/data" -l "$R/postgres.log" -w -t 60 \
	-o "-k $R -p $RP -c listen_addresses='' -c max_connections=200" start >/dev/null || echo "the replica did not start" >&2
test_at_exit "runuser -u postgres -- $PG_BINDIR/pg_ctl -D $R/data -m immediate -w stop >/dev/null 2>&1"
REPLICA="host=$R port=$RP user=phedex dbname=postgres"

# caught_up: the replica has replayed everything the primary wrote so far.
caught_up () {
	lsn=$(psql "$PRIMARY" -XAtqc "select pg_current_wal_lsn()") &&
	wait_for 30 "test \"\$(psql \"$REPLICA\" -XAtqc \"select pg_last_wal_replay_lsn() >= '$lsn'\")\" = t"
}

fixture sites T1_Src T2_Dst
fixture link --both T1_Src T2_Dst
fixture dataset T1_Src /Replica/Run1/RAW 12 2

test_expect_success 'the replica is a hot standby' '
	test "$(psql "$REPLICA" -XAtqc "select pg_is_in_recovery()")" = t
'

test_expect_success 'with PHEDEX_DB_READ, reports read the replica and see what the primary wrote' - <<\EOT
	caught_up &&
	PHEDEX_DB_READ=$REPLICA phedex replicas --json --dataset /Replica/Run1/RAW >"$W/r.json" &&
	test "$(grep -o "/store/demo/_Replica_Run1_RAW/00[0-9][0-9].root" "$W/r.json" | sort -u | wc -l)" = 12 &&
	PHEDEX_DB_READ=$REPLICA phedex nodes --json | grep -q T2_Dst &&
	PHEDEX_DB_READ=$REPLICA phedex status >/dev/null
EOT

test_expect_success 'a report really reads the replica: stopped, it fails and says which connection' - <<\EOT
	runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$R/data" -m fast -w stop >/dev/null &&
	! PHEDEX_DB_READ=$REPLICA phedex nodes 2>"$W/err" &&
	grep -q "cannot connect to the TMDB" "$W/err" && grep -q "$RP" "$W/err" &&
	phedex nodes --db-read "$PRIMARY" | grep -q T2_Dst &&
	runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$R/data" -l "$R/postgres.log" -w -t 60 \
		-o "-k $R -p $RP -c listen_addresses='' -c max_connections=200" start >/dev/null
EOT

test_expect_success 'commands that write ignore PHEDEX_DB_READ and reach the primary' - <<\EOT
	PHEDEX_DB_READ=$REPLICA phedex subscribe --node T2_Dst --dataset /Replica/Run1/RAW >/dev/null &&
	test "$(sql "select count(*) from subscriptions")" = 1 &&
	caught_up &&
	PHEDEX_DB_READ=$REPLICA phedex status --json | grep -q "/Replica/Run1/RAW"
EOT

test_expect_success 'only report commands take --db-read' - <<\EOT
	phedex subscribe -h | grep -q -- "--db=CONNINFO" &&
	! phedex subscribe -h | grep -q -- "--db-read" &&
	phedex status -h | grep -q -- "--db-read=CONNINFO"
EOT
test_done
