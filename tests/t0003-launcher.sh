#!/bin/sh
# `phedex` is a small launcher: a local copy, stat or checksum runs without
# loading the database, HTTP or GridFTP libraries; every other command loads
# the full command line (phedex-cli.so) and behaves as before; without the
# module the launcher says which file it looked for and what to do.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"

fixture tmdb

# The libraries a command loaded, as the dynamic loader reports them.
loaded () { sed -n 's/.*file=\([^ ]*\) .*/\1/p' "$1" | sort -u; }

test_expect_success 'a local copy reports the checksum phedex checksum gives, and loads no libpq, curl, Globus or module' - <<\EOT
	head -c 3000017 /dev/urandom >src &&
	LD_DEBUG=files phedex transfer copy "$PWD/src" "file://$PWD/sub/dst" >out 2>debug &&
	cmp src sub/dst &&
	sum=$(sed -n 's/^checksum: \(adler32:[0-9a-f]*\) (read-back)$/\1/p' out) &&
	test -n "$sum" &&
	phedex checksum sub/dst >cs &&
	test "$(cut -f1 cs)" = 3000017 &&
	test "$(cut -f2 cs | cut -d, -f1)" = "$sum" &&
	loaded debug >libs && cat libs &&
	grep -q libglib libs &&
	! grep -E 'libpq|libcurl|libglobus|libxml2|phedex-cli' libs &&
	LD_DEBUG=files phedex checksum src >/dev/null 2>debug2 &&
	loaded debug2 >libs2 && ! grep -E 'libpq|phedex-cli' libs2
EOT

test_expect_success 'a remote URL goes to the full command line, with its backend' - <<\EOT
	test_expect_code 3 env LD_DEBUG=files phedex transfer stat --timeout=5 "http://127.0.0.1:1/nothing" 2>err &&
	loaded err >libs && grep -q phedex-cli.so libs && grep -q libcurl libs &&
	grep -q "^phedex transfer: stat failed (transient error)" err
EOT

test_expect_success 'database commands and the command list run through the module as before' - <<\EOT
	phedex -h >help && grep -q "^  transfer " help && grep -q "^  subscribe " help &&
	LD_DEBUG=files phedex node add T9_Launch >/dev/null 2>debug &&
	loaded debug >libs && grep -q phedex-cli.so libs && grep -q libpq libs &&
	phedex nodes >nodes && grep -q T9_Launch nodes
EOT

test_expect_success 'without the module: a clear error naming the file tried, local commands still work' - <<\EOT
	mkdir -p alone empty && cp "$top_builddir/phedex" alone/phedex &&
	printf abc >f &&
	test_expect_code 1 env PHEDEX_LIBDIR="$PWD/empty" alone/phedex nodes 2>err &&
	cat err &&
	grep -q "cannot find the full command line phedex-cli.so (tried '$PWD/empty/phedex-cli.so')" err &&
	grep -q "PHEDEX_LIBDIR" err &&
	PHEDEX_LIBDIR="$PWD/empty" alone/phedex checksum f >cs &&
	test "$(cut -f2 cs)" = "adler32:024d0127,cksum:1219131554" &&
	echo "not a module" >empty/phedex-cli.so &&
	test_expect_code 1 env PHEDEX_LIBDIR="$PWD/empty" alone/phedex nodes 2>err2 &&
	cat err2 && grep -q "cannot load the full command line '$PWD/empty/phedex-cli.so'" err2 &&
	PHEDEX_LIBDIR="$top_builddir" alone/phedex db status >st && grep -q "schema version [0-9]" st
EOT
test_done
