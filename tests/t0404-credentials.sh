#!/bin/sh
# Credentials: a config file with a password is refused unless only its
# owner can read it; [site] passfile gives libpq a password file; no
# password ever appears in a message or a log.  A role with a real
# password (scram) on the test cluster.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
# The agent was still retrying when timeout stopped it: SIGTERM (124), or
# SIGKILL 10 s later (137) when the sanitizer build's exit-time leak check
# hangs (LeakSanitizer's stop-the-world tracer was seen spinning for ever).
stopped_by_timeout () { _s=$?; test $_s = 124 || test $_s = 137; }

fixture tmdb
fixture site T1_A
OWNER_DB=$PHEDEX_DB
fixture_password_role () {
	sql "create role sec_pw login password 's3cret-pw'" &&
	phedex db grant-site T1_A --role sec_pw >/dev/null &&
	_as= && { [ "$(id -u)" != 0 ] || _as="runuser -u postgres --"; } &&
	{ echo "local all sec_pw scram-sha-256"; cat "$W/pg/data/pg_hba.conf"; } >"$W/hba" &&
	cat "$W/hba" >"$W/pg/data/pg_hba.conf" &&
	$_as "$PG_BINDIR/pg_ctl" -D "$W/pg/data" reload >/dev/null && sleep 1
}
fixture password_role
PW_DB="$OWNER_DB user=sec_pw"
# No ~/.pgpass or PGPASSFILE of the machine may help.
HOME=$W/home; mkdir -p "$HOME"; export HOME; unset PGPASSFILE PGPASSWORD

# conf FILE DB [PASSFILE]: T1_A's site.conf with [site] db = DB.
conf () {
	sed "s|^db = .*|db = $2|" "$W/sites/T1_A/site.conf" >"$1" &&
	if [ -n "${3:-}" ]; then sed -i "/^\[site\]/a passfile = $3" "$1"; fi
}
# runs CONF: the download agent starts with CONF (connects, registers), then stops.
runs () {
	( phedex-agent --config "$1" download >"$1.log" 2>&1 & echo $! >"$1.pid"; wait ) &
	wait_for 15 "grep -q 'started (agent id' '$1.log'"; _ok=$?
	kill -TERM "$(cat "$1.pid")"; wait
	return $_ok
}

test_expect_success 'the role needs its password: without one the agent cannot connect, and says so' - <<\EOT
	conf nopw.conf "$PW_DB" &&
	chmod 644 nopw.conf &&
	timeout -k 10 5 phedex-agent --config nopw.conf download 2>err; stopped_by_timeout &&
	grep -q "cannot connect to the TMDB ('host=.* user=sec_pw'): .*password" err
EOT

test_expect_success 'a config with a password readable by others is refused, with what to do' - <<\EOT
	conf pw.conf "$PW_DB password=s3cret-pw" &&
	chmod 644 pw.conf &&
	test_expect_code 1 phedex-agent --config pw.conf download 2>err &&
	grep -q "pw.conf: \[site\] db holds a password, but the file may be read by everyone (mode 0644): 'chmod 600" err &&
	chmod 640 pw.conf &&
	test_expect_code 1 phedex-agent --config pw.conf download 2>err &&
	grep -q "may be read by its group (mode 0640)" err &&
	conf uri.conf "postgresql://sec_pw:s3cret-pw@/postgres?host=$W/pg&port=$(echo "$OWNER_DB" | sed 's/.*port=\([0-9]*\).*/\1/')" &&
	chmod 604 uri.conf &&
	test_expect_code 1 phedex-agent --config uri.conf download 2>err &&
	grep -q "holds a password" err &&
	! grep -q s3cret-pw err
EOT

test_expect_success 'the same file, readable by its owner only, is used' - <<\EOT
	conf pw.conf "$PW_DB password=s3cret-pw" &&
	chmod 600 pw.conf &&
	runs pw.conf &&
	! grep -q s3cret-pw pw.conf.log
EOT

test_expect_success '[site] passfile: the password comes from a libpq password file' - <<\EOT
	echo "*:*:*:sec_pw:s3cret-pw" >pgpass && chmod 600 pgpass &&
	conf pf.conf "$PW_DB" "$TEST_TMP/pgpass" &&
	chmod 644 pf.conf &&
	runs pf.conf &&
	grep -q "passfile = $TEST_TMP/pgpass" pf.conf
EOT

test_expect_success 'a wrong password is never shown: masked in agent logs and CLI errors' - <<\EOT
	conf bad.conf "$PW_DB password=Wr0ng-S3cret" &&
	chmod 600 bad.conf &&
	timeout -k 10 5 phedex-agent --config bad.conf download 2>err; stopped_by_timeout &&
	grep -q "password=\*\*\*\*\*" err &&
	grep -q "password authentication failed" err &&
	! grep -q Wr0ng-S3cret err &&
	test_expect_code 1 phedex status --db "$PW_DB password=Wr0ng-S3cret" 2>err &&
	grep -q "password=\*\*\*\*\*" err && ! grep -q Wr0ng-S3cret err &&
	PHEDEX_DB="postgresql://sec_pw:Wr0ng-S3cret@/postgres?host=$W/pg&port=$(echo "$OWNER_DB" | sed 's/.*port=\([0-9]*\).*/\1/')" \
		phedex status 2>err; test $? = 1 &&
	grep -q "password=\*\*\*\*\*" err && ! grep -q Wr0ng-S3cret err
EOT

test_done
