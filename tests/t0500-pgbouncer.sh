#!/bin/sh
# Agents through PgBouncer (Debian's 1.18) in transaction mode: three sites
# whose 15 agents share a pool of 4 server connections.  Statements go
# unprepared (site.db-transaction-pooling), wake-ups come on a direct session
# connection (site.listen-db) for two sites; the third has none and works on
# its poll-interval alone.  Every file arrives, with its bytes, and PostgreSQL
# never saw more than the pool's server connections for the agents' work.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PATH="$PATH:/usr/sbin"
PX_STALE=6 PX_HEARTBEAT=1 PX_POLL=3
export PX_STALE PX_HEARTBEAT PX_POLL

test_expect_success 'pgbouncer is installed (if not: run .ci/install-deps as root)' '
	command -v pgbouncer
'
[ "$test_failed" = 0 ] || test_done

fixture tmdb
DIRECT=$PHEDEX_DB
PGDIR=$(echo "$DIRECT" | sed 's/.*host=\([^ ]*\).*/\1/')
PGPORT=$(echo "$DIRECT" | sed 's/.*port=\([^ ]*\).*/\1/')
BP=$(test_free_port)
mkdir -p "$W/bouncer" && chown postgres "$W/bouncer"
cat >"$W/bouncer/pgbouncer.ini" <<EOC
[databases]
postgres = host=$PGDIR port=$PGPORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BP
unix_socket_dir =
auth_type = trust
auth_file = $W/bouncer/users.txt
admin_users = phedex
pool_mode = transaction
default_pool_size = 4
max_client_conn = 100
logfile = $W/bouncer/pgbouncer.log
pidfile = $W/bouncer/pgbouncer.pid
EOC
echo '"phedex" ""' >"$W/bouncer/users.txt"
chmod 644 "$W/bouncer/"*
# PgBouncer will not run as root.
runuser -u postgres -- pgbouncer -d "$W/bouncer/pgbouncer.ini" || echo "pgbouncer did not start" >&2
test_at_exit "kill \$(cat $W/bouncer/pgbouncer.pid) 2>/dev/null"
test_wait_port "$BP"
POOLED="host=127.0.0.1 port=$BP user=phedex dbname=postgres"

fixture site T1_Src
fixture sites T2_A T2_B
for s in T1_Src T2_A T2_B; do
	sed -i "s|^db = .*|db = $POOLED\ndb-transaction-pooling = true|" "$W/sites/$s/site.conf"
done
for s in T1_Src T2_A; do
	sed -i "s|^db-transaction-pooling = true|&\nlisten-db = $DIRECT|" "$W/sites/$s/site.conf"
done
fixture link --both T1_Src T2_A
fixture link --both T1_Src T2_B
fixture dataset T1_Src /Pool/Run1/RAW 100 4
fixture subscribe --node T2_A --dataset /Pool/Run1/RAW
fixture subscribe --node T2_B --dataset /Pool/Run1/RAW
fixture agents T1_Src T2_A T2_B

# The admin console: client connections PgBouncer holds for database postgres.
clients () {
	psql "host=127.0.0.1 port=$BP user=phedex dbname=pgbouncer" -XAtq -c 'SHOW CLIENTS' |
		awk -F'|' '$3 == "postgres"' | wc -l
}

test_expect_success 'through the pool, every file reaches both sites' - <<\EOT
	wait_for 120 "test \$(at T2_A Pool) = 100 && test \$(at T2_B Pool) = 100" || {
		tail -20 "$W/sites/T2_B/log/agents.log"; false; }
EOT

test_expect_success 'every copy has the bytes of the original' - <<\EOT
	src=$W/sites/T1_Src/storage/store/demo/_Pool_Run1_RAW &&
	for d in T2_A T2_B; do
		for f in "$src"/*.root; do cmp "$f" "$W/sites/$d/storage/store/demo/_Pool_Run1_RAW/${f##*/}" || exit 1; done
	done
EOT

test_expect_success '15 agents worked through at most 4 server connections' - <<\EOT
	c=$(clients) &&
	# PostgreSQL's own view: sessions other than the LISTEN ones and this psql.
	s=$(sql "select count(*) from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid() and coalesce(application_name, '') not like '%(listen)'") &&
	echo "# PgBouncer clients $c; PostgreSQL sessions besides LISTEN ones $s" &&
	test "$c" -ge 15 && test "$s" -le 4 && test "$s" -ge 1
EOT

test_expect_success 'the sites without listen-db said they poll, none said a statement was missing' - <<\EOT
	grep -q "no wake-ups, a cycle every 3 s" "$W/sites/T2_B/log/agents.log" &&
	! grep -q "no wake-ups" "$W/sites/T2_A/log/agents.log" &&
	! grep -qi "prepared statement .* does not exist" "$W"/sites/*/log/agents.log
EOT

test_expect_success 'agents stop cleanly through the pool' - <<\EOT
	stop_agents T1_Src T2_A T2_B
EOT
test_done
