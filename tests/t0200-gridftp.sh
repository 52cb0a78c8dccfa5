#!/bin/sh
# The gridftp backend against two real GridFTP servers on loopback, driven
# through `phedex transfer` the way a site admin tests a storage element:
# copies both ways and third-party, one and four streams, checksums computed
# in flight, stat/rm/rename/checksum, and failures (missing file, killed
# server, timeout, Ctrl-C) classified and leaving nothing behind.
. "$top_srcdir/tests/lib-test.sh"
PATH="$PATH:/usr/sbin:/usr/local/sbin"
W=$TEST_TMP
SRV=$W/srv # the tree both servers serve

test_expect_success 'globus-gridftp-server is installed (if not: run .ci/install-deps as root)' '
	command -v globus-gridftp-server && command -v python3
'
[ "$test_failed" = 0 ] || test_done

# free_port: a TCP port nobody listens on now.
free_port () {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT: wait (10 s at most) until something accepts on PORT.
wait_port () {
	python3 - "$1" <<-'EOF'
	import socket, sys, time
	for _ in range(100):
	    try:
	        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close()
	        sys.exit(0)
	    except OSError:
	        time.sleep(0.1)
	sys.exit(1)
	EOF
}

# start_server NAME [OPTIONS...]: an anonymous GridFTP server on a free
# loopback port; its port goes to $W/NAME.port, its pid to $W/NAME.pid (test
# bodies run in subshells: the servers are killed at exit from those files).
start_server () {
	name=$1; shift
	as_nobody=""
	[ "$(id -u)" = 0 ] && as_nobody="-anonymous-user nobody"
	for attempt in 1 2 3; do # another process may take the free port first
		port=$(free_port)
		# shellcheck disable=SC2086
		globus-gridftp-server -aa $as_nobody -p "$port" -control-interface 127.0.0.1 \
			-data-interface 127.0.0.1 -no-detach -d error -l "$W/$name.log" "$@" &
		echo $! >"$W/$name.pid"
		if wait_port "$port"; then echo "$port" >"$W/$name.port"; return 0; fi
		kill -9 "$!" 2>/dev/null
	done
	return 1
}

# json FILE KEY: one value of phedex's one-line --json output (a string
# without quotes, a number or null).
json () {
	sed -n 's/.*"'"$2"'":\("\([^"]*\)"\|\([^,}]*\)\).*/\2\3/p' "$1"
}

# sum FILE: the checksum `phedex checksum` prints for a local file.
sum () {
	phedex checksum "$1" | cut -f2
}

# adler SUM: the adler32 part of "adler32:...,cksum:..." (what a get streams).
adler () {
	echo "$1" | sed 's/,.*//'
}

# Globus itself leaks on two failure paths: a connection that cannot be made
# leaks its target (globus_i_ftp_client_target_find, 464 bytes) and an
# aborted MODE E transfer leaks data-channel blocks (globus_ftp_control).
# Commands taking those paths run without LeakSanitizer (ASan and UBSan still
# watch them); the stream-mode aborts below keep leak checking on.
globus_leaks () {
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$@"
}

test_at_exit 'for pid in "$W"/*.pid; do kill -9 "$(cat "$pid")"; done'
test_expect_success 'two GridFTP servers on loopback (the second refuses CKSM)' '
	mkdir -p "$SRV" "$W/src" "$W/local" &&
	chmod 777 "$SRV" &&
	head -c 3000017 /dev/urandom >"$W/src/a.dat" &&
	head -c 2097152 /dev/urandom >"$W/src/m.dat" &&
	: >"$W/src/z.dat" &&
	truncate -s 4G "$W/src/huge.dat" &&
	cp "$W/src/a.dat" "$W/src/m.dat" "$W/src/z.dat" "$SRV/" &&
	truncate -s 4G "$SRV/huge.dat" &&
	chmod 644 "$SRV"/* &&
	start_server one && start_server two -disable-command-list CKSM
'
P1=$(cat "$W/one.port" 2>/dev/null)
P2=$(cat "$W/two.port" 2>/dev/null)
S1=ftp://127.0.0.1:$P1$SRV
S2=ftp://127.0.0.1:$P2$SRV

for streams in 1 4; do
	test_expect_success "local to remote and back with $streams stream(s): same bytes, streamed checksums" '
		for f in a.dat m.dat z.dat; do
			phedex transfer copy --json --streams '$streams' "$W/src/$f" "$S1/up'$streams'/new/dir/$f" >put.json &&
			cmp "$W/src/$f" "$SRV/up'$streams'/new/dir/$f" &&
			test "$(json put.json checksum)" = "$(adler "$(sum "$W/src/$f")")" &&
			test "$(json put.json checksum_source)" = streamed &&
			test "$(json put.json bytes)" = "$(stat -c %s "$W/src/$f")" &&
			phedex transfer copy --json --streams '$streams' "$S1/up'$streams'/new/dir/$f" "$W/local/back'$streams'/$f" >get.json &&
			cmp "$W/src/$f" "$W/local/back'$streams'/$f" &&
			test "$(json get.json checksum)" = "$(adler "$(sum "$W/src/$f")")" &&
			test "$(json get.json checksum_source)" = streamed || { echo "failed on $f"; cat put.json get.json; exit 1; }
		done
	'
done

test_expect_success 'parent directories are created on the server, existing ones reused' '
	phedex transfer copy file://$W/src/z.dat "$S1/p/q/r/s/z.dat" >/dev/null &&
	test -d "$SRV/p/q/r/s" && test -f "$SRV/p/q/r/s/z.dat" &&
	phedex transfer copy "$W/src/a.dat" "$S1/p/q/r/s/t/a.dat" >/dev/null &&
	cmp "$W/src/a.dat" "$SRV/p/q/r/s/t/a.dat"
'

test_expect_success 'third-party copy between the servers: same bytes, the server checksum' '
	for streams in 1 4; do
		phedex transfer copy --json --streams $streams "$S2/a.dat" "$S1/tp$streams/x/a.dat" >tp.json &&
		cmp "$W/src/a.dat" "$SRV/tp$streams/x/a.dat" &&
		test "$(json tp.json checksum_source)" = server &&
		test "$(json tp.json checksum)" = "$(adler "$(sum "$W/src/a.dat")")" &&
		test "$(json tp.json bytes)" = 3000017 || { cat tp.json; exit 1; }
	done
'

test_expect_success 'third-party copy to a server without CKSM: no checksum, verify reads it back' '
	phedex transfer copy --json "$S1/m.dat" "$S2/tp-nocksm/m.dat" >tp.json &&
	cmp "$W/src/m.dat" "$SRV/tp-nocksm/m.dat" &&
	test "$(json tp.json checksum)" = null &&
	grep -q "no CKSM from the destination" tp.json &&
	phedex transfer checksum --json "$S2/tp-nocksm/m.dat" >ck.json &&
	test "$(json ck.json checksum_source)" = read-back &&
	test "$(json ck.json checksum)" = "$(adler "$(sum "$W/src/m.dat")")"
'

test_expect_success 'checksum asks the server' '
	phedex transfer checksum "$S1/a.dat" >out &&
	printf "%s\t%s\t(server)\n" "$(adler "$(sum "$W/src/a.dat")")" "$S1/a.dat" >want &&
	cmp want out
'

test_expect_success 'stat gives the size; a missing file is a permanent error' '
	phedex transfer stat "$S1/a.dat" >out &&
	printf "3000017\t%s\n" "$S1/a.dat" >want && cmp want out &&
	phedex transfer stat --json "$S1/z.dat" >out && test "$(json out bytes)" = 0 &&
	test_expect_code 1 phedex transfer stat "$S1/nope.dat" 2>err &&
	grep -q "stat failed (permanent error): gridftp: cannot stat .$S1/nope.dat.: No such file or directory" err
'

test_expect_success 'rm removes; rm of a missing file succeeds' '
	cp "$W/src/z.dat" "$SRV/gone.dat" && chmod 666 "$SRV/gone.dat" &&
	phedex transfer rm "$S1/gone.dat" &&
	! test -e "$SRV/gone.dat" &&
	phedex transfer rm "$S1/gone.dat"
'

test_expect_success 'rename within a server; not across servers' '
	phedex transfer copy "$W/src/a.dat" "$S1/ren/tmp.dat" >/dev/null &&
	phedex transfer rename "$S1/ren/tmp.dat" "$S1/ren/final.dat" &&
	! test -e "$SRV/ren/tmp.dat" && cmp "$W/src/a.dat" "$SRV/ren/final.dat" &&
	test_expect_code 1 phedex transfer rename "$S1/ren/final.dat" "$S2/ren/other.dat" 2>err &&
	grep -q "not on one server" err
'

test_expect_success 'a missing source is a permanent error and leaves no destination' '
	test_expect_code 1 phedex transfer copy "$S1/nope.dat" "$W/local/nope/x.dat" 2>err &&
	grep -q "cannot read .$S1/nope.dat.: No such file or directory" err &&
	! test -e "$W/local/nope/x.dat" &&
	test_expect_code 1 phedex transfer copy "$W/src/nope.dat" "$S1/nope-up/x.dat" 2>err &&
	grep -q "cannot open source .$W/src/nope.dat.: No such file" err &&
	! test -e "$SRV/nope-up/x.dat" &&
	test_expect_code 1 phedex transfer copy "$S1/nope.dat" "$S2/nope-tp/x.dat" 2>err &&
	! test -e "$SRV/nope-tp/x.dat"
'

for streams in 1 4; do
	leaks=""
	[ $streams = 1 ] || leaks=globus_leaks
	test_expect_success "a copy that outlives --timeout is transient and leaves nothing ($streams stream(s))" '
		test_expect_code 3 '$leaks' phedex transfer copy --streams '$streams' --timeout 0.3 "$S1/huge.dat" "$W/local/t/huge.dat" 2>err &&
		grep -q "stopped by its 0.3 s timeout" err &&
		! test -e "$W/local/t/huge.dat" &&
		test_expect_code 3 '$leaks' phedex transfer copy --streams '$streams' --timeout 0.3 "$W/src/huge.dat" "$S1/t/huge.dat" 2>err &&
		grep -q "stopped by its 0.3 s timeout" err &&
		sleep 0.5 && ! test -e "$SRV/t/huge.dat" &&
		test_expect_code 3 phedex transfer copy --streams '$streams' --timeout 0.3 "$S1/huge.dat" "$S2/t/huge3.dat" 2>err &&
		grep -q "stopped by its 0.3 s timeout" err &&
		sleep 0.5 && ! test -e "$SRV/t/huge3.dat"
	'
done

test_expect_success 'Ctrl-C cancels a copy and leaves nothing' '
	phedex transfer copy --streams 1 "$S1/huge.dat" "$W/local/c/huge.dat" 2>err & pid=$! &&
	n=0 && until test -e "$W/local/c/huge.dat" || [ $n = 100 ]; do sleep 0.1; n=$((n + 1)); done &&
	sleep 0.2 && kill -INT $pid &&
	{ wait $pid; test $? = 1; } &&
	grep -q "copy failed (cancelled error): gridftp: transfer cancelled" err &&
	! test -e "$W/local/c/huge.dat"
'

test_expect_success 'a killed server: transient, clear message, nothing left' '
	kill -9 $(cat "$W/one.pid") && sleep 0.2 &&
	test_expect_code 3 globus_leaks phedex transfer copy "$S1/a.dat" "$W/local/k/a.dat" 2>err &&
	grep -q "gridftp: cannot connect to ftp://127.0.0.1:$P1: Connection refused (is the server running?)" err &&
	! test -e "$W/local/k/a.dat" &&
	test_expect_code 3 globus_leaks phedex transfer copy "$W/src/a.dat" "$S1/k/a.dat" 2>err &&
	grep -q "cannot connect to ftp://127.0.0.1:$P1" err &&
	test_expect_code 3 globus_leaks phedex transfer copy "$S2/a.dat" "$S1/k/a.dat" 2>err &&
	grep -q "cannot connect to ftp://127.0.0.1:$P1" err &&
	! test -e "$SRV/k/a.dat" &&
	test_expect_code 3 globus_leaks phedex transfer stat "$S1/a.dat" 2>err &&
	grep -q "cannot connect to ftp://127.0.0.1:$P1" err
'

test_done
