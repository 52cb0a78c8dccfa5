#!/bin/sh
# No plan can stall the pipeline (issue #11): statistics taken while the
# tables were empty (autovacuum kept off), then a subscription of 20,000
# files expanded, routed and put in flight; the agents' per-batch statements
# must reach tasks (and requests) by primary key, whatever the planner
# believes (tests/test-scale-plans.c EXPLAINs them with the agents'
# parameters, then runs them).  Not timed.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/etc/phedex-lib.sh"
FILES=20000
PORT=$((57000 + $$ % 1000))
px_pg_start "$TEST_TMP/pg" $PORT >&2 || { echo "Bail out! no PostgreSQL"; exit 1; }
test_at_exit "px_pg_stop $TEST_TMP/pg"
"$top_builddir/phedex" db init >&2 || { echo "Bail out! phedex db init"; exit 1; }
q () { psql "$PHEDEX_DB" -XAtqc "$1"; }
# The stale statistics: analysed empty, never again.
for t in tasks requests replicas files blocks; do
	q "ALTER TABLE $t SET (autovacuum_enabled = false)" >&2 || { echo "Bail out! autovacuum off"; exit 1; }
done
q "ANALYZE" >&2
"$top_builddir/phedex" node add T1_Scale_Source T2_Scale_Dest >&2 &&
	"$top_builddir/phedex" link add T1_Scale_Source T2_Scale_Dest >&2 || { echo "Bail out! nodes"; exit 1; }
awk -v n=$FILES 'BEGIN {
	printf "<data version=\"2.0\"><dbs name=\"test\"><dataset name=\"/Scale/Plans/RAW\" is-open=\"n\">\n"
	for (i = 0; i < n; i++) {
		if (i % 1000 == 0) {
			if (i) printf "</block>\n"
			printf "<block name=\"/Scale/Plans/RAW#b%03d\" is-open=\"n\">\n", i / 1000
		}
		printf "  <file name=\"/store/scale/f%06d.root\" bytes=\"1048576\" checksum=\"adler32:%08x\"/>\n", i, i + 1
	}
	printf "</block></dataset></dbs></data>\n"
}' >"$TEST_TMP/inject.xml"
"$top_builddir/phedex" inject --node T1_Scale_Source --no-check "$TEST_TMP/inject.xml" >&2 &&
	"$top_builddir/phedex" subscribe --node T2_Scale_Dest --dataset /Scale/Plans/RAW >&2 ||
	{ echo "Bail out! inject and subscribe"; exit 1; }
"$top_builddir/tests/test-scale-plans" "$(q "select id from nodes where name = 'T1_Scale_Source'")" \
	"$(q "select id from nodes where name = 'T2_Scale_Dest'")" $FILES
