#!/bin/sh
# bench-routing.sh — how fast files move through the agents, how quickly a
# subscription starts moving, and whether routing cost per file stays flat
# as the request table grows.
#
#   bench/bench-routing.sh [BUILD-DIR]      (or: make bench-routing)
#
# BUILD-DIR (default: .) holds phedex and phedex-agent; nothing is built here.
# Everything runs in a private PostgreSQL and private site storage under
# /dev/shm, removed at exit.  Three measurements, each printed as plain lines:
#
#   throughput  100,000 files of 1 KiB, real bytes, from a source to a
#               destination site, both sites' agents running; time from
#               'phedex subscribe' until every file has a replica there
#               (route -> download via the file backend -> verify -> publish).
#               Tried with a few agent configurations.        target >= 3000/s
#   latency     agents idle (poll and heartbeat 60 s: only NOTIFY wakes them);
#               'phedex subscribe' of a small new dataset until the first task
#               at the destination is active, by the database clock; 5 rounds.
#                                                          target median <= 0.5 s
#   routing     10,000 then 1,000,000 requests (injected --no-check: the router
#               never touches storage), only the destination's router running;
#               time until every request is routed; cost per file and the ratio
#               per-file(1M) / per-file(10k).                   target <= 1.3
#
# Knobs (environment): BENCH_ONLY="throughput latency routing" (a subset),
# BENCH_FILES (100000), BENCH_REPEAT (2: every measurement runs this often),
# BENCH_TP_CONFIGS (space-separated DL_BATCH:CONCURRENCY:VERIFY_BATCH:PUBLISH_BATCH:ROUTER_BATCH, or
# "default": no [router], [download], [verify] or [publish] settings at all, the shipped defaults
# as a new site has them, with the download optimizer),
# BENCH_ROUTE_SIZES ("10000 1000000"), BENCH_ROUTE_TIMEOUT (900 s per run),
# BENCH_ROUTE_BATCH (5000: [router] batch for the routing measurement),
# BENCH_KEEP=1 (leave the work directory for inspection), BENCH_PROFILE=1 (log every
# statement's duration in the server and print where the database time went; the
# plans of statements slower than 2 s go to the server log, pg/postgres.log),
# BENCH_EXPLAIN (2s: with BENCH_PROFILE, log the plans of statements slower than this),
# BENCH_EXPLAIN_ANALYZE=1 (those plans with actual rows, times and buffers),
# BENCH_PG_SET="name=value ..." (server settings to try, e.g. plan_cache_mode=force_custom_plan;
# settings that need a restart, such as shared_buffers, go in PX_PG_OPTS="-c shared_buffers=1GB").
set -u

B=$(cd "${1:-.}" && pwd) || exit 2
for p in phedex phedex-agent; do
	[ -x "$B/$p" ] || { echo "bench-routing: no $B/$p; build first (make), or pass the build directory" >&2; exit 2; }
done
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
PHEDEX_BINDIR=$B
PATH=$B:$PATH
export PATH
. "$top_srcdir/etc/phedex-lib.sh"
command -v psql >/dev/null || { echo "bench-routing: psql is needed" >&2; exit 2; }

ONLY=${BENCH_ONLY:-throughput latency routing}
FILES=${BENCH_FILES:-100000}
REPEAT=${BENCH_REPEAT:-2}
# DL_BATCH:CONCURRENCY:VERIFY_BATCH:PUBLISH_BATCH:ROUTER_BATCH
TP_CONFIGS=${BENCH_TP_CONFIGS:-20:4:100:200:2000 500:4:1000:1000:1000 2000:16:5000:5000:5000}
ROUTE_SIZES=${BENCH_ROUTE_SIZES:-10000 1000000}
ROUTE_TIMEOUT=${BENCH_ROUTE_TIMEOUT:-900}
ROUTE_BATCH=${BENCH_ROUTE_BATCH:-5000}

W=$(mktemp -d /dev/shm/phedex-bench.XXXXXX) || exit 1
chmod 755 "$W" # the cluster runs as postgres when we are root
PORT=$((57000 + $$ % 1000))
AGENT_PIDS=""
MOCK_PID=""

stop_agents () {
	[ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null
	MOCK_PID=""
	[ -n "$AGENT_PIDS" ] || return 0
	kill -TERM $AGENT_PIDS 2>/dev/null
	_t=100
	while [ $_t -gt 0 ]; do
		_alive=""
		for _p in $AGENT_PIDS; do kill -0 "$_p" 2>/dev/null && _alive="$_alive $_p"; done
		[ -z "$_alive" ] && break
		sleep 0.1
		_t=$((_t - 1))
	done
	[ -n "$_alive" ] && kill -KILL $_alive 2>/dev/null
	wait 2>/dev/null
	AGENT_PIDS=""
}
cleanup () {
	stop_agents
	px_pg_stop "$W/pg"
	if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

die () { echo "bench-routing: $*" >&2; exit 1; }
sql () { psql "$PHEDEX_DB" -XAtqc "$1"; }
now () { date +%s.%N; }
# sub A B: B - A, seconds with two decimals.
sub () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
say () { printf '%s\n' "$*"; }
note () { printf '# %s\n' "$*"; }

# A fresh cluster and schema: each measurement starts from an empty TMDB.
db_fresh () {
	stop_agents
	px_pg_stop "$W/pg"
	rm -rf "$W/pg" "$W/sites"
	px_pg_start "$W/pg" $PORT || die "cannot start PostgreSQL"
	phedex db init >/dev/null || die "phedex db init failed"
	PROFILE_LINE=0
	for _set in ${BENCH_PG_SET:-}; do
		sql "ALTER SYSTEM SET ${_set%%=*} = '${_set#*=}'" >/dev/null || die "cannot set $_set"
	done
	[ -n "${BENCH_PG_SET:-}" ] && sql "SELECT pg_reload_conf()" >/dev/null
	if [ -n "${BENCH_PROFILE:-}" ]; then
		sql "ALTER SYSTEM SET log_min_duration_statement = 0" >/dev/null
		sql "ALTER SYSTEM SET log_parameter_max_length = 0" >/dev/null
		sql "ALTER SYSTEM SET log_line_prefix = '%m %a '" >/dev/null
		sql "ALTER SYSTEM SET log_lock_waits = on" >/dev/null
		sql "ALTER SYSTEM SET deadlock_timeout = '100ms'" >/dev/null
		# The plan of any statement slower than 2 s (BENCH_EXPLAIN), into the server log;
		# with BENCH_EXPLAIN_ANALYZE=1 with its row counts, times and buffers.
		sql "ALTER SYSTEM SET session_preload_libraries = 'auto_explain'" >/dev/null
		psql "$PHEDEX_DB" -XAtq -c "LOAD 'auto_explain'" \
			-c "ALTER SYSTEM SET auto_explain.log_min_duration = '${BENCH_EXPLAIN:-2s}'" >/dev/null
		if [ -n "${BENCH_EXPLAIN_ANALYZE:-}" ]; then
			psql "$PHEDEX_DB" -XAtq -c "LOAD 'auto_explain'" -c "ALTER SYSTEM SET auto_explain.log_analyze = on" \
				-c "ALTER SYSTEM SET auto_explain.log_buffers = on" -c "ALTER SYSTEM SET auto_explain.log_nested_statements = on" >/dev/null
		fi
		sql "SELECT pg_reload_conf()" >/dev/null
	fi
}

# With BENCH_PROFILE=1: where the database time went since the last call,
# per agent and statement, from the server log (the busiest 15).
profile () {
	[ -n "${BENCH_PROFILE:-}" ] || return 0
	_log=$W/pg/postgres.log
	_from=${PROFILE_LINE:-0}
	PROFILE_LINE=$(wc -l <"$_log")
	note "profile: statement time per agent (total s, calls, mean ms)"
	tail -n +"$((_from + 1))" "$_log" | head -n "$((PROFILE_LINE - _from))" |
		sed -n 's/^[^ ]* [^ ]* [^ ]* \([^ ]*\) LOG:  duration: \([0-9.]*\) ms  execute \([a-z_0-9]*\).*/\1 \3 \2/p' |
		awk '{ t[$1 " " $2] += $3; n[$1 " " $2]++ } END { for (k in t) printf "%10.2f %7d %9.2f  %s\n", t[k] / 1000, n[k], t[k] / n[k], k }' |
		sort -nr | head -n 15 | sed 's/^/#   /'
	# Lock waits longer than deadlock_timeout (100 ms): who waited, in what.
	tail -n +"$((_from + 1))" "$_log" | head -n "$((PROFILE_LINE - _from))" |
		awk '/still waiting for/ { app = $4; w[app]++; left = 4; next }
		     left > 0 && / (CONTEXT|STATEMENT): / { sub(/.*(CONTEXT|STATEMENT): */, ""); what[app] = what[app] ? what[app] : substr($0, 1, 70) }
		     { left-- }
		     END { for (a in w) printf "#   lock waits > 100 ms: %d by %s (e.g. %s)\n", w[a], a, what[a] }'
}

# site_conf NAME POLL DL_BATCH CONCURRENCY VERIFY_BATCH PUBLISH_BATCH ROUTER_BATCH
# px_site's storage and storage.xml, with our own site.conf.
site_conf () {
	px_site "$1" "$W/sites"
	cat >"$W/sites/$1/site.conf" <<CONF
[site]
node = $1
db = $PHEDEX_DB
storage-xml = $W/sites/$1/storage.xml
protocols = direct
poll-interval = $2
heartbeat-interval = $2
stale-after = $(( $2 * 5 ))
[router]
batch = $7
window-mb = 100000000
retry-delay = 1
[download]
batch = $3
concurrency = $4
link-concurrency = $3
[verify]
batch = $5
[publish]
batch = $6
CONF
	# "default": the shipped defaults (only the [site] section above).
	[ "$3" = default ] && sed -i '/^\[router\]/,$d' "$W/sites/$1/site.conf"
	return 0
}

# start_agents NAME AGENT...: in the background, logging to the site's log.
start_agents () {
	_s=$1; shift
	phedex-agent --config "$W/sites/$_s/site.conf" "$@" >>"$W/sites/$_s/log/agents.log" 2>&1 &
	AGENT_PIDS="$AGENT_PIDS $!"
}

# wait_sql SQL WANT TIMEOUT [LABEL]: poll every 0.2 s until SQL prints WANT
# (a number; reached when >= WANT); with LABEL, progress and the rate over
# the last interval every 5 s.
wait_sql () {
	_start=$(now) _last=$_start _lastv=0
	while :; do
		_v=$(sql "$1") || return 1
		[ -n "$_v" ] && [ "$_v" -ge "$2" ] && return 0
		_t=$(now)
		if [ -n "${4:-}" ] && [ "$(awk -v a="$_last" -v b="$_t" 'BEGIN { print (b - a >= 5) }')" = 1 ]; then
			note "$4: $_v of $2 after $(sub "$_start" "$_t") s ($(awk -v a="$_last" -v b="$_t" -v n=$((_v - _lastv)) 'BEGIN { printf "%.0f", n / (b - a) }')/s in the last $(sub "$_last" "$_t") s; load $(cut -d' ' -f1 /proc/loadavg))"
			_last=$_t _lastv=$_v
		fi
		if [ "$(awk -v a="$_start" -v b="$_t" -v t="$3" 'BEGIN { print (b - a > t) }')" = 1 ]; then
			note "timed out after $3 s (${4:-wait}: $_v of $2)"
			return 1
		fi
		sleep 0.2
	done
}

# The file generator: real files (written here, checksummed by 'phedex
# checksum', in parallel chunks) or only their description.
cat >"$W/gen.py" <<'PY'
import os, sys, subprocess, zlib
from concurrent.futures import ThreadPoolExecutor
mode, root, lfndir, dataset, first, n, block, size, out = sys.argv[1:10]
first, n, block, size = int(first), int(n), int(block), int(size)
files = []  # (block, lfn)
for i in range(first, first + n):
    b = i // block
    files.append((b, "%s/b%05d/f%07d.root" % (lfndir, b, i)))
sums = {}
if mode == "real":
    for b in sorted({b for b, _ in files}):
        os.makedirs(root + "%s/b%05d" % (lfndir, b), exist_ok=True)
    for _, lfn in files:
        with open(root + lfn, "wb") as f:
            f.write(os.urandom(size))
    def checksum(chunk):
        r = subprocess.run([os.environ["PHEDEX"], "checksum"] + [root + l for l in chunk],
                           check=True, capture_output=True, text=True)
        return r.stdout
    chunks = [[l for _, l in files[k:k + 2000]] for k in range(0, len(files), 2000)]
    with ThreadPoolExecutor(2) as ex:
        for text in ex.map(checksum, chunks):
            for line in text.splitlines():
                nbytes, ck, path = line.split("\t")
                sums[path[len(root):]] = (nbytes, ck)
else:
    for _, lfn in files:
        sums[lfn] = (str(size), "adler32:%08x" % zlib.adler32(lfn.encode()))
with open(out, "w") as x:
    x.write('<data version="2.0"><dbs name="bench"><dataset name="%s" is-open="n">\n' % dataset)
    cur = None
    for b, lfn in files:
        if b != cur:
            if cur is not None:
                x.write('</block>\n')
            x.write('<block name="%s#b%05d" is-open="n">\n' % (dataset, b))
            cur = b
        nbytes, ck = sums[lfn]
        x.write('  <file name="%s" bytes="%s" checksum="%s"/>\n' % (lfn, nbytes, ck))
    x.write('</block></dataset></dbs></data>\n')
PY
PHEDEX=$B/phedex
export PHEDEX
gen () { python3 "$W/gen.py" "$@" || die "generating $3 failed"; }

# ---------------------------------------------------------------- throughput
# One run: fresh TMDB, the files (written once) injected at the source, both
# sites' agents idle, then subscribe and wait for every replica.
tp_run () {
	_cfg=$1
	IFS=: read -r _dlb _dc _vb _pb _rb <<EOF
$_cfg
EOF
	[ "$_cfg" = default ] && _dc=default _vb=default _pb=default _rb=default
	db_fresh
	phedex node add T1_Bench_Source T2_Bench_Dest >/dev/null && phedex link add T1_Bench_Source T2_Bench_Dest >/dev/null ||
		die "cannot add nodes"
	# Source storage: the files generated once, moved into this run's site.
	site_conf T1_Bench_Source 60 "$_dlb" "$_dc" "$_vb" "$_pb" "$_rb"
	site_conf T2_Bench_Dest 60 "$_dlb" "$_dc" "$_vb" "$_pb" "$_rb"
	rmdir "$W/sites/T1_Bench_Source/storage" && mv "$W/tp-files" "$W/sites/T1_Bench_Source/storage" || die "no files"
	_t0=$(now)
	phedex inject --node T1_Bench_Source --tfc "$W/sites/T1_Bench_Source/storage.xml" "$W/tp.xml" >/dev/null ||
		die "injection failed"
	note "injected $FILES files (with the presence check) in $(sub "$_t0" "$(now)") s"
	sql "ANALYZE" >/dev/null
	_dest=$(sql "select id from nodes where name = 'T2_Bench_Dest'")
	start_agents T1_Bench_Source all
	start_agents T2_Bench_Dest all
	wait_sql "select count(*) from agents where stopped is null" 10 30 || die "the agents did not start"
	sleep 1
	_wal0=$(sql "select pg_current_wal_lsn()")
	sql "select pg_stat_reset()" >/dev/null
	phedex subscribe --node T2_Bench_Dest --dataset /Bench/Throughput/RAW >/dev/null || die "subscribe failed"
	_t0=$(now)
	wait_sql "select count(*) from replicas where node = $_dest" "$FILES" 1800 "replicas at the destination" ||
		{ stop_agents; mv "$W/sites/T1_Bench_Source/storage" "$W/tp-files"; return 1; }
	_t1=$(now)
	# Writes per file: WAL bytes, and the tasks table's row versions and HOT share.
	sql "select format('writes: %s WAL bytes/file; tasks: %s updates/file (%s%% HOT), %s inserts/file; requests: %s updates/file (%s%% HOT)',
	       round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$_wal0') / $FILES),
	       round(sum(n_tup_upd) filter (where relname = 'tasks')::numeric / $FILES, 2),
	       round(100.0 * sum(n_tup_hot_upd) filter (where relname = 'tasks') / nullif(sum(n_tup_upd) filter (where relname = 'tasks'), 0)),
	       round(sum(n_tup_ins) filter (where relname = 'tasks')::numeric / $FILES, 2),
	       round(sum(n_tup_upd) filter (where relname = 'requests')::numeric / $FILES, 2),
	       round(100.0 * sum(n_tup_hot_upd) filter (where relname = 'requests') / nullif(sum(n_tup_upd) filter (where relname = 'requests'), 0)))
	     from pg_stat_user_tables" | sed 's/^/# /'
	_secs=$(sub "$_t0" "$_t1")
	_rate=$(awk -v n="$FILES" -v s="$_secs" 'BEGIN { printf "%.0f", n / s }')
	_errs=$(sql "select count(*) from errors")
	if [ "$_cfg" = default ]; then _how="every agent setting at its shipped default"
	else _how="download batch=$_dlb concurrency=$_dc link-concurrency=$_dlb, verify batch=$_vb, publish batch=$_pb, router batch=$_rb"; fi
	say "throughput: $FILES files in $_secs s = $_rate files/s (target >= 3000)  [load $(cut -d' ' -f1-3 /proc/loadavg); $_how; $_errs errors]"
	TP_RESULTS="$TP_RESULTS $_rate:$_cfg"
	# Where the time went: the span of each stage's timestamps.
	sql "select format('first task active %s s, last active %s s, last transferred %s s, last verified %s s, last done %s s after the subscription',
	       to_char(extract(epoch from min(active_at) - s.c), 'FM9990.00'), to_char(extract(epoch from max(active_at) - s.c), 'FM9990.00'),
	       to_char(extract(epoch from max(transferred_at) - s.c), 'FM9990.00'), to_char(extract(epoch from max(verified_at) - s.c), 'FM9990.00'),
	       to_char(extract(epoch from max(done_at) - s.c), 'FM9990.00'))
	     from tasks, (select min(created) as c from subscriptions) s group by s.c" | sed 's/^/# stages: /'
	profile
	stop_agents
	grep -h "cycle failed\|died\|warning" "$W"/sites/*/log/agents.log | head -5 | sed 's/^/# agent log: /'
	mv "$W/sites/T1_Bench_Source/storage" "$W/tp-files"
	rm -rf "$W/sites/T2_Bench_Dest/storage"
}

throughput () {
	note "throughput: generating $FILES files of 1 KiB under $W"
	_t0=$(now)
	gen real "$W/tp-files" /store/bench/throughput /Bench/Throughput/RAW 0 "$FILES" 1000 1024 "$W/tp.xml"
	note "generated and checksummed in $(sub "$_t0" "$(now)") s"
	TP_RESULTS=""
	for _cfg in $TP_CONFIGS; do
		_i=0
		while [ $_i -lt "$REPEAT" ]; do
			tp_run "$_cfg"
			_i=$((_i + 1))
		done
	done
	_best=$(echo $TP_RESULTS | tr ' ' '\n' | sort -t: -k1,1nr | head -n 1)
	[ -n "$_best" ] && say "throughput: best ${_best%%:*} files/s with DL_BATCH:CONCURRENCY:VERIFY_BATCH:PUBLISH_BATCH:ROUTER_BATCH = ${_best#*:}"
	rm -rf "$W/tp-files"
}

# ------------------------------------------------------------------- latency
# A connection kept open, to read the database clock the moment subscribe
# returns (a new psql would take 0.1 s to start on a busy machine).
clock_open () {
	rm -f "$W/clock.in" "$W/clock.out"
	mkfifo "$W/clock.in" "$W/clock.out" || die "mkfifo failed"
	psql "$PHEDEX_DB" -XAtq <"$W/clock.in" >"$W/clock.out" 2>&1 &
	CLOCK_PID=$!
	exec 3>"$W/clock.in" 4<"$W/clock.out"
}
clock_now () { echo "select clock_timestamp();" >&3; read -r _ts <&4; echo "$_ts"; }
clock_close () { exec 3>&- 4<&-; wait "$CLOCK_PID" 2>/dev/null; }

latency () {
	db_fresh
	phedex node add T1_Bench_Source T2_Bench_Dest >/dev/null && phedex link add T1_Bench_Source T2_Bench_Dest >/dev/null ||
		die "cannot add nodes"
	# Poll and heartbeat every 60 s: an agent wakes early only on NOTIFY.
	site_conf T1_Bench_Source 60 100 4 100 200 2000
	site_conf T2_Bench_Dest 60 100 4 100 200 2000
	_dest=$(sql "select id from nodes where name = 'T2_Bench_Dest'")
	start_agents T1_Bench_Source all
	start_agents T2_Bench_Dest all
	wait_sql "select count(*) from agents where stopped is null" 10 30 || die "the agents did not start"
	clock_open
	_all="" _allc=""
	_rounds=$(( REPEAT * 5 ))
	_r=1
	while [ $_r -le $_rounds ]; do
		_ds=/Bench/Latency$_r/RAW
		gen real "$W/sites/T1_Bench_Source/storage" "/store/bench/latency$_r" "$_ds" 0 10 10 1024 "$W/lat$_r.xml"
		phedex inject --node T1_Bench_Source "$W/lat$_r.xml" >/dev/null || die "injection failed"
		sleep 2 # the injection's NOTIFY woke the router: let every agent go idle again
		phedex subscribe --node T2_Bench_Dest --dataset "$_ds" >/dev/null || die "subscribe failed"
		_c=$(clock_now)
		_q="select t.active_at from tasks t join files f on f.id = t.file where t.to_node = $_dest and f.lfn like '/store/bench/latency$_r/%'"
		wait_sql "select count(*) from ($_q and t.active_at is not null) x" 1 30 || die "no task became active"
		# From subscribe returning (the clock read just after), and from the
		# subscription's own transaction (an upper bound: it includes the commit).
		_l=$(sql "select to_char(extract(epoch from min(active_at) - '$_c'::timestamptz), 'FM990.000') from ($_q) x")
		_lc=$(sql "select to_char(extract(epoch from min(x.active_at) - s.created), 'FM990.000') from ($_q) x,
			subscriptions s join datasets d on d.id = s.dataset where d.name = '$_ds' group by s.created")
		note "latency round $_r: first task active $_l s after subscribe returned ($_lc s after its transaction began)"
		_all="$_all $_l" _allc="$_allc $_lc"
		wait_sql "select count(*) from replicas r join files f on f.id = r.file where r.node = $_dest and f.lfn like '/store/bench/latency$_r/%'" 10 60 ||
			die "round $_r did not complete"
		if [ $(( _r % 5 )) = 0 ]; then
			_med=$(echo $_all | tr ' ' '\n' | sort -n | sed -n 3p)
			_medc=$(echo $_allc | tr ' ' '\n' | sort -n | sed -n 3p)
			say "latency: subscribe -> first task active:$_all s; median $_med s (target <= 0.5); from the subscription's transaction: median $_medc s"
			_all="" _allc=""
		fi
		_r=$((_r + 1))
	done
	clock_close
	stop_agents
}

# ------------------------------------------------------------------- routing
# route_run N: N requests, only the destination's router; seconds to route all.
route_run () {
	_n=$1
	db_fresh
	phedex node add T1_Bench_Source T2_Bench_Dest >/dev/null && phedex link add T1_Bench_Source T2_Bench_Dest >/dev/null ||
		die "cannot add nodes"
	site_conf T1_Bench_Source 60 100 4 100 200 "$ROUTE_BATCH"
	site_conf T2_Bench_Dest 60 100 4 100 200 "$ROUTE_BATCH"
	_dest=$(sql "select id from nodes where name = 'T2_Bench_Dest'")
	# The router only uses sources whose storage.xml is in the TMDB; the
	# source's agents would upload it, we do it by hand.
	psql "$PHEDEX_DB" -Xq -v tfc="$(cat "$W/sites/T1_Bench_Source/storage.xml")" <<'SQL' || die "cannot set the source's storage.xml"
UPDATE nodes SET tfc = :'tfc', tfc_updated = now() WHERE name = 'T1_Bench_Source';
SQL
	_t0=$(now)
	_chunk=100000
	_k=0
	while [ $_k -lt "$_n" ]; do
		_m=$(( _n - _k < _chunk ? _n - _k : _chunk ))
		gen fake "" /store/bench/routing /Bench/Routing/RAW $_k $_m 1000 1048576 "$W/route.xml"
		phedex inject --node T1_Bench_Source --no-check "$W/route.xml" >/dev/null || die "injection failed"
		_k=$((_k + _m))
		[ "$_n" -gt "$_chunk" ] && note "injected $_k of $_n files ($(sub "$_t0" "$(now)") s)"
	done
	rm -f "$W/route.xml"
	note "injected $_n files (--no-check) in $(sub "$_t0" "$(now)") s"
	sql "VACUUM ANALYZE" >/dev/null
	# MOCK: a download agent at the destination that does not exist.  The
	# router routes only over links into a node with a live download agent;
	# this row and its heartbeat, kept fresh below, stand in for one, so that
	# nothing but routing runs.
	sql "INSERT INTO agents (node, agent, host, pid) VALUES ($_dest, 'download', 'bench-mock', 1)" >/dev/null
	( while :; do
		sql "UPDATE agents SET heartbeat = now() WHERE host = 'bench-mock'" >/dev/null 2>&1
		sleep 2
	done ) &
	MOCK_PID=$!
	start_agents T2_Bench_Dest router
	wait_sql "select count(*) from agents where agent = 'router' and stopped is null" 1 30 || die "the router did not start"
	sleep 1
	phedex subscribe --node T2_Bench_Dest --dataset /Bench/Routing/RAW >/dev/null || die "subscribe failed"
	_t0=$(now)
	if ! wait_sql "select count(*) from requests where node = $_dest and state = 'routed'" "$_n" "$ROUTE_TIMEOUT" "routed"; then
		ROUTE_SECS=""
		ROUTE_DONE=$(sql "select count(*) from requests where node = $_dest and state = 'routed'")
		ROUTE_ELAPSED=$(sub "$_t0" "$(now)")
	else
		ROUTE_SECS=$(sub "$_t0" "$(now)")
	fi
	# The router's cycles: how long each took, from its log lines.
	note "router: $(grep -c "tasks queued" "$W/sites/T2_Bench_Dest/log/agents.log") cycles that queued tasks"
	stop_agents
	profile
}

routing () {
	for _n in $ROUTE_SIZES; do
		_i=0 _best=""
		while [ $_i -lt "$REPEAT" ]; do
			route_run "$_n"
			if [ -z "$ROUTE_SECS" ]; then
				_us=$(awk -v s="$ROUTE_ELAPSED" -v n="$ROUTE_DONE" 'BEGIN { printf "%.1f", n ? s * 1e6 / n : 0 }')
				say "routing: $_n requests: gave up after $ROUTE_ELAPSED s with $ROUTE_DONE routed (~$_us us/file so far)"
				_i=$REPEAT
				break
			fi
			_us=$(awk -v s="$ROUTE_SECS" -v n="$_n" 'BEGIN { printf "%.1f", s * 1e6 / n }')
			say "routing: $_n requests routed in $ROUTE_SECS s = $_us us/file  [router batch=$ROUTE_BATCH, window-mb=100000000; load $(cut -d' ' -f1-3 /proc/loadavg)]"
			[ -z "$_best" ] || [ "$(awk -v a="$_us" -v b="$_best" 'BEGIN { print (a < b) }')" = 1 ] && _best=$_us
			_i=$((_i + 1))
		done
		eval "ROUTE_US_$_n=\$_best"
	done
	set -- $ROUTE_SIZES
	if [ $# -ge 2 ]; then
		eval "_a=\${ROUTE_US_$1:-} _b=\${ROUTE_US_$2:-}"
		if [ -n "$_a" ] && [ -n "$_b" ]; then
			say "routing: per-file cost ratio $2/$1 = $(awk -v a="$_a" -v b="$_b" 'BEGIN { printf "%.2f", b / a }') (best runs: $_a vs $_b us/file; target <= 1.3)"
		else
			say "routing: no ratio: a run did not finish"
		fi
	fi
}

note "phedex $(phedex --version 2>/dev/null | head -n 1); $(nproc) cores; work directory $W${BENCH_PG_SET:+; server settings: $BENCH_PG_SET}"
for _what in $ONLY; do
	case $_what in
	throughput | latency | routing) "$_what" ;;
	*) die "unknown measurement '$_what' (throughput latency routing)" ;;
	esac
done
