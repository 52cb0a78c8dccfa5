#!/bin/sh
# TLS to the TMDB: a test CA and a server certificate made here with
# openssl, a PostgreSQL that accepts TCP only over TLS, and the CLI and an
# agent connecting with sslmode=verify-full sslrootcert=CA (libpq settings
# in --db and [site] db).  A server certificate from another CA, or for
# another host name, is refused with libpq's reason.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
# The agent was still retrying when timeout stopped it: SIGTERM (124), or
# SIGKILL 10 s later (137) when the sanitizer build's exit-time leak check
# hangs (LeakSanitizer's stop-the-world tracer was seen spinning for ever).
stopped_by_timeout () { _s=$?; test $_s = 124 || test $_s = 137; }
PX_HEARTBEAT=1

fixture tmdb
SOCK_DB=$PHEDEX_DB
fixture_certs () {
	cd "$W" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=phedex test CA" -keyout ca.key -out ca.crt &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" -keyout other-ca.key -out other-ca.crt &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr &&
	printf "subjectAltName=DNS:localhost,IP:127.0.0.1\n" >san.ext &&
	openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.crt &&
	chmod 600 server.key && { [ "$(id -u)" != 0 ] || chown postgres server.key server.crt; }
}
fixture certs
PORT=$(echo "$SOCK_DB" | sed 's/.*port=\([0-9]*\).*/\1/')
fixture_tls_server () {
	_as= && { [ "$(id -u)" != 0 ] || _as="runuser -u postgres --"; } &&
	{ echo "hostssl all all 127.0.0.1/32 trust"; echo "hostnossl all all 127.0.0.1/32 reject";
	  cat "$W/pg/data/pg_hba.conf"; } >"$W/hba" && cat "$W/hba" >"$W/pg/data/pg_hba.conf" &&
	$_as "$PG_BINDIR/pg_ctl" -D "$W/pg/data" -l "$W/pg/postgres.log" -w -t 60 \
		-o "-k $W/pg -p $PORT -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on \
		    -c ssl_cert_file=$W/server.crt -c ssl_key_file=$W/server.key" restart >/dev/null
}
fixture tls_server
TLS_DB="host=localhost hostaddr=127.0.0.1 port=$PORT user=phedex dbname=postgres sslmode=verify-full"

test_expect_success 'the CLI connects with verify-full against the test CA, over TLS' - <<\EOT
	phedex status --db "$TLS_DB sslrootcert=$W/ca.crt" >out &&
	grep -q "^SUBSCRIPTIONS" out &&
	psql "$TLS_DB sslrootcert=$W/ca.crt" -XAtc "select ssl from pg_stat_ssl where pid = pg_backend_pid()" | grep -qx t
EOT

test_expect_success 'without TLS the server refuses the TCP connection' - <<\EOT
	test_expect_code 1 phedex status --db "host=127.0.0.1 port=$PORT user=phedex dbname=postgres sslmode=disable" 2>err &&
	grep -q "no encryption" err
EOT

test_expect_success 'a server certificate from another CA is refused, saying why' - <<\EOT
	test_expect_code 1 phedex status --db "$TLS_DB sslrootcert=$W/other-ca.crt" 2>err &&
	grep -q "cannot connect to the TMDB" err &&
	grep -q "certificate verify failed" err
EOT

test_expect_success 'a certificate for another host name is refused, saying why' - <<\EOT
	test_expect_code 1 phedex status --db "host=tmdb.example.org hostaddr=127.0.0.1 port=$PORT user=phedex dbname=postgres sslmode=verify-full sslrootcert=$W/ca.crt" 2>err &&
	grep -q 'server certificate for "localhost".* does not match host name "tmdb.example.org"' err
EOT

test_expect_success 'an agent runs over verify-full TLS ([site] db with sslmode and sslrootcert)' - <<\EOT
	phedex node add T1_TLS >/dev/null &&
	PHEDEX_DB="$TLS_DB sslrootcert=$W/ca.crt" px_site T1_TLS "$W/sites" &&
	grep -q "^db = .*sslmode=verify-full sslrootcert=$W/ca.crt" "$W/sites/T1_TLS/site.conf" &&
	( phedex-agent --config "$W/sites/T1_TLS/site.conf" download >agent.log 2>&1 & echo $! >agent.pid; wait ) &
	wait_for 15 "grep -q 'started (agent id' agent.log" &&
	sql_is 1 "select count(*) from pg_stat_ssl s join pg_stat_activity a using (pid)
	          where a.application_name = 'download@T1_TLS' and s.ssl" &&
	kill -TERM "$(cat agent.pid)" && wait_for 20 "grep -q 'all agents stopped\|stopped' agent.log"
EOT

test_expect_success 'an agent with the wrong CA does not start work and logs the reason' - <<\EOT
	sed "s|sslrootcert=[^ ]*|sslrootcert=$W/other-ca.crt|" "$W/sites/T1_TLS/site.conf" >wrong.conf &&
	timeout -k 10 5 phedex-agent --config wrong.conf download 2>err; stopped_by_timeout &&
	grep -q "cannot connect to the TMDB.*certificate verify failed" err &&
	! grep -q "started (agent id" err
EOT

test_done
