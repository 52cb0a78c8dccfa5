#!/bin/sh
# Every TMDB statement prepares against a freshly migrated schema and
# returns the columns it declares (tests/test-statements.c).
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/etc/phedex-lib.sh"
PORT=$((56000 + $$ % 1000))
px_pg_start "$TEST_TMP/pg" $PORT >&2 || { echo "Bail out! no PostgreSQL"; exit 1; }
test_at_exit "px_pg_stop $TEST_TMP/pg"
"$top_builddir/tests/test-statements"
