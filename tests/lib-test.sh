# lib-test.sh — a tiny TAP library for shell tests, after git's t/test-lib.sh.
#   . "$top_srcdir/tests/lib-test.sh"
#   test_expect_success 'what the user sees' '
#       phedex lfn2pfn ... >out && grep -q ... out
#   '
#   test_expect_success 'the body as a here-document: no shell quoting' - <<\EOT
#       sql "select count(*) from nodes where kind = 'MSS'" >n && test "$(cat n)" = 1
#   EOT
#   test_done
# Each test body runs in a subshell (in $TEST_TMP) under `set -e`-like &&
# chains; its output is kept in $TEST_TMP/log.N and shown only when it fails.
# A body given as - is read from stdin: a quoted here-document (<<\EOT) keeps
# single and double quotes as they are.
#
# PHEDEX_TEST_RUN="2 5" runs only cases 2 and 5 of the script (the others are
# reported as skipped); PHEDEX_KEEP_TEST_TMP=1 keeps $TEST_TMP even when all
# pass (a failing script always keeps it and says where).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PATH="$top_builddir:$PATH"
export PATH
TEST_NAME=$(basename "$0" .sh)
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/phedex-$TEST_NAME.XXXXXX")
chmod 755 "$TEST_TMP"  # a PostgreSQL cluster in it runs as the postgres user
test_count=0
test_failed=0
test_cleanups=""
trap 'test_run_cleanups' EXIT

test_run_cleanups () {
	eval "$test_cleanups" 2>/dev/null || true
	if [ "$test_failed" = 0 ] && [ -z "${PHEDEX_KEEP_TEST_TMP:-}" ]; then rm -rf "$TEST_TMP"; fi
}

# Run CMD when the script exits (before the temporary directory goes).
test_at_exit () {
	test_cleanups="$1; $test_cleanups"
}

test_selected () {
	[ -z "${PHEDEX_TEST_RUN:-}" ] && return 0
	for _n in $PHEDEX_TEST_RUN; do [ "$_n" = "$test_count" ] && return 0; done
	return 1
}

test_expect_success () {
	test_count=$((test_count + 1))
	_body=$2
	[ "$_body" = - ] && _body=$(cat)
	if ! test_selected; then
		echo "ok $test_count # skip $1 (not in PHEDEX_TEST_RUN)"
		return 0
	fi
	if ( cd "$TEST_TMP" && eval "$_body" ) >"$TEST_TMP/log.$test_count" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		sed 's/^/# /' "$TEST_TMP/log.$test_count"
	fi
}

test_expect_code () {
	# test_expect_code CODE CMD...: run CMD, succeed when it exits with CODE.
	want=$1; shift
	"$@"; got=$?
	if [ "$got" != "$want" ]; then echo "expected exit $want, got $got: $*" >&2; return 1; fi
}

test_done () {
	echo "1..$test_count"
	if [ "$test_failed" != 0 ]; then
		echo "# failed $test_failed of $test_count; kept $TEST_TMP" >&2
		exit 1
	fi
	exit 0
}

# test_free_port: a loopback TCP port nobody listens on now.
test_free_port () {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# test_wait_port PORT: wait (10 s at most) until something accepts on PORT.
test_wait_port () {
	python3 -c '
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close(); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)' "$1"
}
