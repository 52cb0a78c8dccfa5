#!/bin/sh
# Every statement webmon's pages and /metrics run, EXPLAINed over a fixture
# of some thousands of rows (bench/webmon-fixture.sql, then ANALYZE): no
# sequential scan of files, replicas, tasks or errors (tests/test-explain.c).
# With enable_seqscan=off, so that a small fixture's cheap seq scans do not
# hide the question asked: can an index serve every page statement?  (At
# this size, default costs pick seq scans for whole-table aggregates and
# hash joins; bench/bench-webmon.sh runs the same EXPLAINs at 1 M rows with
# default settings.)
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/etc/phedex-lib.sh"
PORT=$((57000 + $$ % 1000))
px_pg_start "$TEST_TMP/pg" $PORT >&2 || { echo "Bail out! no PostgreSQL"; exit 1; }
test_at_exit "px_pg_stop $TEST_TMP/pg"
"$top_builddir/phedex" db init >&2 || { echo "Bail out! phedex db init"; exit 1; }
# 5,000 files, 7,500 replicas, 3,000 open tasks, 6,000 errors, 2 days of bins on 20 links.
psql "$PHEDEX_DB" -Xq -v nodes=6 -v links=20 -v blocks=50 -v files_per_block=100 -v days=2 -v tasks=3000 \
	-v errors=6000 -v big_logs=3 -v subs=40 -v agents=60 -f "$top_srcdir/bench/webmon-fixture.sql" >&2 \
	|| { echo "Bail out! fixture"; exit 1; }
q () { psql "$PHEDEX_DB" -XAtqc "$1"; }
set -- \
	"$(q "select name from nodes order by id offset 2 limit 1")" \
	"$(q "select id from nodes order by id offset 2 limit 1")" \
	"$(q "select name from nodes order by id limit 1")" \
	"$(q "select name from nodes order by id offset 2 limit 1")" \
	"$(q "select min(id) from subscriptions")" \
	"$(q "select max(id) from errors")" \
	"$(q "select name from datasets order by name offset 2 limit 1")" \
	"$(q "select name from blocks order by name offset 7 limit 1")" \
	"$(q "select lfn from files order by id offset 1234 limit 1")"
PGOPTIONS="-c enable_seqscan=off" "$top_builddir/tests/test-explain" "$@"
