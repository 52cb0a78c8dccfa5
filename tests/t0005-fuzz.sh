#!/bin/sh
# Every parser's libFuzzer target (make fuzz: storage.xml, injection XML, job reports, POOL
# catalogue, site config) builds with clang and runs a few thousand inputs
# grown from its seeds under ASan/UBSan without a crash, leak or undefined
# behaviour.  The long runs are `make fuzz-run FUZZ_RUNS=1000000`.
. "$top_srcdir/tests/lib-test.sh"
if ! command -v clang >/dev/null 2>&1; then
	echo "1..0 # SKIP clang is not installed (.ci/install-deps installs it with libclang-rt-14-dev)"
	exit 0
fi
FUZZ_NAMES="tfc inject pool config jobreport"
RUNS=5000

test_expect_success 'make fuzz builds a target per parser' '
	MAKEFLAGS= MAKELEVEL= make -C "$top_builddir" fuzz >build.log 2>&1 || { cat build.log; exit 1; }
	for n in $FUZZ_NAMES; do test -x "$top_builddir/bench/fuzz-$n" || { echo "no bench/fuzz-$n"; exit 1; }; done
'

for n in $FUZZ_NAMES; do
	test_expect_success "fuzz-$n: $RUNS inputs from tests/fuzz/seeds/$n, no crash" '
		mkdir corpus-$n &&
		"$top_builddir/bench/fuzz-$n" -runs=$RUNS -timeout=10 -artifact_prefix="$TEST_TMP/crash-$n-" corpus-$n \
			"$top_srcdir/tests/fuzz/seeds/$n" >fuzz-$n.log 2>&1; code=$?
		if [ $code != 0 ]; then tail -40 fuzz-$n.log; ls "$TEST_TMP"/crash-$n-* 2>/dev/null; exit 1; fi
		grep -q "^Done $RUNS runs" fuzz-$n.log
	'
done

test_done
