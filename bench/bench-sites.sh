#!/bin/sh
# bench-sites.sh — many sites on one TMDB: N sites (default 50) on loopback,
# each with its own storage, storage.xml and all five agents (real
# processes), a mesh of links (a ring plus chords), every site injecting a
# dataset of small real files and subscribing two other sites' datasets.
#
#   bench/bench-sites.sh [BUILD-DIR]      (or: make bench-sites)
#
# Prints: time until every subscription is complete, then over a steady
# window (agents idle, polling and heartbeating): errors, database
# connections, CPU per agent, TMDB bytes per million replicas, and the
# slowest statements by total time (pg_stat_statements) over the whole run.
#
# Knobs: BENCH_SITES (50), BENCH_FILES (files per dataset, 40),
# BENCH_STEADY (seconds of steady state measured, 60), BENCH_TIMEOUT (900),
# BENCH_POOL=1 (agents through PgBouncer in transaction mode, LISTEN direct),
# BENCH_KEEP=1 (keep the work directory).
set -u
B=$(cd "${1:-.}" && pwd) || exit 2
for p in phedex phedex-agent; do
	[ -x "$B/$p" ] || { echo "bench-sites: no $B/$p; build first (make)" >&2; exit 2; }
done
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
PHEDEX_BINDIR=$B
PATH=$B:$PATH:/usr/sbin
export PATH
. "$top_srcdir/etc/phedex-lib.sh"

SITES=${BENCH_SITES:-50}
FILES=${BENCH_FILES:-40}
STEADY=${BENCH_STEADY:-60}
TIMEOUT=${BENCH_TIMEOUT:-900}
W=$(mktemp -d /dev/shm/phedex-sites.XXXXXX) || exit 1
chmod 755 "$W"
PORT=$((58000 + $$ % 1000))
PIDS=""
cleanup () {
	[ -n "$PIDS" ] && kill -TERM $PIDS 2>/dev/null
	for _p in $PIDS; do
		_t=100; while [ $_t -gt 0 ] && kill -0 "$_p" 2>/dev/null; do sleep 0.1; _t=$((_t - 1)); done
	done
	[ -f "$W/bouncer/pgbouncer.pid" ] && kill "$(cat "$W/bouncer/pgbouncer.pid")" 2>/dev/null
	px_pg_stop "$W/pg"
	if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
die () { echo "bench-sites: $*" >&2; exit 1; }
sql () { psql "$PHEDEX_DB" -XAtqc "$1"; }
now () { date +%s.%N; }
sub () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
name () { printf "T2_S%02d" "$1"; }

PX_PG_OPTS="-c max_connections=$((SITES * 12 + 50)) -c shared_preload_libraries=pg_stat_statements -c shared_buffers=256MB"
export PX_PG_OPTS
px_pg_start "$W/pg" $PORT || die "cannot start PostgreSQL"
phedex db init >/dev/null || die "phedex db init failed"
sql "CREATE EXTENSION pg_stat_statements" >/dev/null || die "no pg_stat_statements"
BASE=$(sql "select pg_database_size(current_database())")
DIRECT=$PHEDEX_DB
AGENT_DB=$DIRECT
if [ -n "${BENCH_POOL:-}" ]; then
	command -v pgbouncer >/dev/null || die "BENCH_POOL=1 needs pgbouncer (apt-get install pgbouncer)"
	BP=$((PORT + 1000))
	mkdir -p "$W/bouncer" && chown postgres "$W/bouncer" 2>/dev/null
	cat >"$W/bouncer/pgbouncer.ini" <<EOC
[databases]
postgres = host=$W/pg port=$PORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BP
unix_socket_dir =
auth_type = trust
auth_file = $W/bouncer/users.txt
pool_mode = transaction
default_pool_size = 8
max_client_conn = $((SITES * 12 + 50))
logfile = $W/bouncer/pgbouncer.log
pidfile = $W/bouncer/pgbouncer.pid
EOC
	echo '"phedex" ""' >"$W/bouncer/users.txt"
	chmod 644 "$W/bouncer/"*
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- pgbouncer -d "$W/bouncer/pgbouncer.ini"
	else pgbouncer -d "$W/bouncer/pgbouncer.ini"; fi || die "pgbouncer did not start"
	AGENT_DB="host=127.0.0.1 port=$BP user=phedex dbname=postgres"
fi

echo "== $SITES sites x 5 agents, $FILES files of 1 KiB per site, each site subscribing 2 others' datasets${BENCH_POOL:+ (agents through PgBouncer, transaction mode)}"
t0=$(now)
k=1
while [ $k -le "$SITES" ]; do
	n=$(name $k)
	phedex node add "$n" >/dev/null || die "node add $n"
	PX_POLL=30 PX_HEARTBEAT=10 PX_STALE=60 px_site "$n" "$W/sites"
	if [ -n "${BENCH_POOL:-}" ]; then
		sed -i "s|^db = .*|db = $AGENT_DB\ndb-transaction-pooling = true\nlisten-db = $DIRECT|" "$W/sites/$n/site.conf"
	fi
	px_dataset "$n" "$W/sites" "/Sites/$n/RAW" "$FILES" 1 >"$W/inject-$n.xml"
	phedex inject --node "$n" --tfc "$W/sites/$n/storage.xml" "$W/inject-$n.xml" >/dev/null || die "inject at $n"
	k=$((k + 1))
done
# A ring, both ways, and chords i -> i+7: every site reachable in a few hops.
k=1
while [ $k -le "$SITES" ]; do
	a=$(name $k) b=$(name $(( k % SITES + 1 ))) c=$(name $(( (k + 6) % SITES + 1 )))
	phedex link add --both "$a" "$b" >/dev/null 2>&1
	phedex link add --both "$a" "$c" >/dev/null 2>&1
	k=$((k + 1))
done
echo "set up in $(sub "$t0" "$(now)") s: $(sql "select count(*) from links") links, $(sql "select count(*) from files") files"
sql "SELECT pg_stat_statements_reset()" >/dev/null

k=1
while [ $k -le "$SITES" ]; do
	n=$(name $k)
	( exec phedex-agent --config "$W/sites/$n/site.conf" all >>"$W/sites/$n/log/agents.log" 2>&1 ) &
	PIDS="$PIDS $!"
	k=$((k + 1))
done
sleep 5
t1=$(now)
k=1
while [ $k -le "$SITES" ]; do
	n=$(name $k)
	phedex subscribe --node "$n" --dataset "/Sites/$(name $(( k % SITES + 1 )))/RAW" >/dev/null || die "subscribe"
	phedex subscribe --node "$n" --dataset "/Sites/$(name $(( (k + SITES / 2 - 1) % SITES + 1 )))/RAW" >/dev/null || die "subscribe"
	k=$((k + 1))
done
WANT=$((SITES * FILES * 2))
while :; do
	# Every subscribed file with a good copy at its node (a file may have
	# arrived as another node's transit hop before its own subscription was
	# expanded: then it has no request of its own, and needs none).
	got=$(sql "select count(*) from subscriptions s join blocks b on b.dataset = s.dataset join files f on f.block = b.id
		join replicas r on r.file = f.id and r.node = s.node and r.state = 'ok'" 2>/dev/null || echo 0)
	[ "$got" -ge "$WANT" ] && break
	if [ "$(sub "$t1" "$(now)" | cut -d. -f1)" -ge "$TIMEOUT" ]; then
		echo "timed out: $got of $WANT subscribed files delivered; open requests:"
		sql "select format('  %s x %s %s (%s)', count(*), q.state, coalesce(left(q.reason, 120), ''), n.name) from requests q join nodes n on n.id = q.node where q.state <> 'done' group by q.state, q.reason, n.name"
		sql "select format('  tasks %s for %s: %s', t.state, n.name, count(*)) from tasks t join nodes n on n.id = t.for_node where t.state <> 'done' group by t.state, n.name"
		echo "missing files (up to 5): request, tasks, deletions at the node:"
		sql "with m as (select s.node, f.id as file, f.lfn from subscriptions s join blocks b on b.dataset = s.dataset
			join files f on f.block = b.id where not exists (select 1 from replicas r where r.file = f.id and r.node = s.node and r.state = 'ok') limit 5)
			select format('  %s at %s: request %s; tasks %s; deletions %s; replicas at %s', m.lfn, n.name,
			  (select string_agg(q.state || coalesce(' ' || q.reason, ''), ',') from requests q where q.file = m.file and q.node = m.node),
			  (select string_agg(t.state || ' ' || t.from_node || '->' || t.to_node || ' for ' || t.for_node, ',') from tasks t where t.file = m.file and (t.to_node = m.node or t.for_node = m.node)),
			  (select string_agg(d.why || ' ' || coalesce(d.requested::text, ''), ',') from deletions d where d.file = m.file and d.node = m.node),
			  (select string_agg(r.node::text || ':' || r.state, ',') from replicas r where r.file = m.file))
			from m join nodes n on n.id = m.node"
		sql "select format('  errors: %s x %s', count(*), left(log, 150)) from errors group by left(log, 150) order by 1 desc limit 3"
		break
	fi
	sleep 2
done
t2=$(now)
echo "delivered: $got of $WANT subscribed files in $(sub "$t1" "$t2") s ($(sql "select count(*) from tasks") tasks, $(sql "select count(*) from links where active") links)"

# Steady state: CPU per agent process over STEADY seconds (utime+stime ticks).
agent_pids () { pgrep -f "phedex-agent --config $W/sites/" ; }
cpu () { for p in $(agent_pids); do awk '{ print $1, $14 + $15 }' "/proc/$p/stat" 2>/dev/null; done | sort; }
cpu >"$W/cpu0"; e0=$(sql "select count(*) from errors")
sleep "$STEADY"
cpu >"$W/cpu1"; e1=$(sql "select count(*) from errors")
hz=$(getconf CLK_TCK)
nproc_agents=$(wc -l <"$W/cpu1")
join "$W/cpu0" "$W/cpu1" | awk -v hz="$hz" -v s="$STEADY" -v n="$nproc_agents" \
	'{ t += $3 - $2 } END { printf "steady %d s: agent processes %d (supervisors included), CPU %.2f%% of one core in all, %.4f%% per process\n", s, n, 100 * t / hz / s, 100 * t / hz / s / n }'
echo "errors: $e0 during the run, $((e1 - e0)) during the steady window"
echo "database connections: $(sql "select count(*) from pg_stat_activity where backend_type = 'client backend'") client backends (max_connections $(sql "show max_connections"))"
sql "select format('TMDB: %s in all, %s of it since the empty schema; %s replicas: %s per million replicas (replicas table and its indexes: %s per million)',
	pg_size_pretty(pg_database_size(current_database())), pg_size_pretty(pg_database_size(current_database()) - $BASE), count(*),
	pg_size_pretty(((pg_database_size(current_database()) - $BASE) * 1e6 / greatest(count(*), 1))::bigint),
	pg_size_pretty((pg_total_relation_size('replicas') * 1e6 / greatest(count(*), 1))::bigint)) from replicas"
echo "slowest statements by total time (pg_stat_statements, whole run): total s, calls, mean ms"
sql "select format('  %s %s %s  %s', lpad(round((total_exec_time / 1000)::numeric, 1)::text, 8), lpad(calls::text, 8),
	lpad(round(mean_exec_time::numeric, 2)::text, 9), left(regexp_replace(query, '\s+', ' ', 'g'), 100)) from pg_stat_statements
	where query not like '%pg_stat_statements%' order by total_exec_time desc limit 12"
