#!/bin/sh
# bench-webmon.sh — phedex-webmon's page times over a big synthetic TMDB.
#
#   bench/bench-webmon.sh [BUILD-DIR]
#
# BUILD-DIR (default: .) holds phedex, phedex-webmon and tests/test-explain
# (make check builds it; without it the EXPLAIN step is skipped).  A private
# PostgreSQL under /dev/shm (removed at exit) gets bench/webmon-fixture.sql:
# by default 1,000 blocks x 1,000 files (1 M files, 1.5 M replicas), 8 nodes,
# 50 links with 7 days of 5-minute link_history bins, 100 k open tasks (and
# their requests, 500 block subscriptions), 200 k errors (20 logs of 100 KB),
# 250 agents.  Then phedex-webmon (read-only role, 8 threads) and a Python
# client: every page as HTML and as /api/v1 JSON, BENCH_REQUESTS (200)
# requests with 1 and with 8 concurrent clients; prints p50/p95 (ms) per page
# against the issue's targets.  Then the page statements' plans with default
# planner settings at this size (sequential scans of the big tables).
# Knobs: BENCH_BLOCKS (1000), BENCH_FILES_PER_BLOCK (1000), BENCH_TASKS (100000),
# BENCH_ERRORS (200000), BENCH_DAYS (7), BENCH_REQUESTS (200), BENCH_CLIENTS ("1 8"),
# BENCH_PAGES (names of the pages to time, space-separated; default all),
# BENCH_KEEP=1 (leave the database running and say where).
# Before/after in one run: BENCH_BASE=DIR, the build directory of an older
# phedex (its phedex and phedex-webmon): the fixture is loaded under that
# schema, copied to a second database, and the first one upgraded with
# BUILD-DIR's phedex; both webmons run side by side and each page is timed
# on the base then on BUILD-DIR's, interleaved, so both see the same load.
# The 1-minute load average is printed beside each page.
set -u
B=$(cd "${1:-.}" && pwd) || exit 2
BASE=""
[ -n "${BENCH_BASE:-}" ] && { BASE=$(cd "$BENCH_BASE" && pwd) || exit 2; }
for p in phedex phedex-webmon; do
	[ -x "$B/$p" ] || { echo "bench-webmon: no $B/$p; build first (make), or pass the build directory" >&2; exit 2; }
	[ -z "$BASE" ] || [ -x "$BASE/$p" ] || { echo "bench-webmon: no $BASE/$p (BENCH_BASE)" >&2; exit 2; }
done
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
PATH=$B:$PATH
. "$top_srcdir/etc/phedex-lib.sh"
W=$(mktemp -d /dev/shm/bench-webmon.XXXXXX) || exit 2
chmod 755 "$W"
PORT=$((58000 + $$ % 1000))
WEBMON_PID=""
BASE_PID=""
cleanup () {
	[ -n "$WEBMON_PID" ] && kill "$WEBMON_PID" 2>/dev/null
	[ -n "$BASE_PID" ] && kill "$BASE_PID" 2>/dev/null
	if [ -z "${BENCH_KEEP:-}" ]; then px_pg_stop "$W/pg"; rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
px_pg_start "$W/pg" $PORT || exit 1
psql "$PHEDEX_DB" -XAtq -c "ALTER SYSTEM SET shared_buffers = '512MB'" -c "ALTER SYSTEM SET work_mem = '32MB'" >/dev/null
"$PG_BINDIR/pg_ctl" -D "$W/pg/data" -w restart >/dev/null 2>&1 \
	|| runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$W/pg/data" -w restart >/dev/null 2>&1
if [ -n "$BASE" ]; then "$BASE/phedex" db init >/dev/null || exit 1; else phedex db init >/dev/null || exit 1; fi
echo "== fixture: ${BENCH_BLOCKS:-1000} blocks x ${BENCH_FILES_PER_BLOCK:-1000} files, ${BENCH_TASKS:-100000} tasks, ${BENCH_ERRORS:-200000} errors, ${BENCH_DAYS:-7} days of bins on 50 links"
t0=$(date +%s)
psql "$PHEDEX_DB" -Xq -v nodes=8 -v links=50 -v blocks="${BENCH_BLOCKS:-1000}" \
	-v files_per_block="${BENCH_FILES_PER_BLOCK:-1000}" -v days="${BENCH_DAYS:-7}" -v tasks="${BENCH_TASKS:-100000}" \
	-v errors="${BENCH_ERRORS:-200000}" -v big_logs=20 -v subs=500 -v agents=250 \
	-f "$top_srcdir/bench/webmon-fixture.sql" || exit 1
echo "   loaded in $(( $(date +%s) - t0 )) s:" $(psql "$PHEDEX_DB" -XAtqc "select 'files', count(*) from files union all
	select 'replicas', count(*) from replicas union all select 'tasks', count(*) from tasks union all
	select 'errors', count(*) from errors union all select 'link_history', count(*) from link_history union all
	select 'requests', count(*) from requests" | tr '|\n' '= ')
if [ -n "$BASE" ]; then
	# The base's copy, then this build's schema on the first database.
	"$BASE/phedex" db grant-reader bench_ro >/dev/null || exit 1
	psql "$PHEDEX_DB" -XAtq -c "CHECKPOINT" -c "CREATE DATABASE phedex_base TEMPLATE postgres STRATEGY = FILE_COPY" || exit 1
	phedex db upgrade >/dev/null || exit 1
	psql "$PHEDEX_DB" -XAtq -c "ANALYZE" || exit 1
	psql "$(echo "$PHEDEX_DB" | sed 's/dbname=[^ ]*/dbname=phedex_base/')" -XAtq -c "ANALYZE" || exit 1
	echo "   base: $("$BASE/phedex" --version) (schema $(psql "$(echo "$PHEDEX_DB" | sed 's/dbname=[^ ]*/dbname=phedex_base/')" -XAtqc "select max(version) from px_schema_version")) in database phedex_base; this build: $(phedex --version) (schema $(psql "$PHEDEX_DB" -XAtqc "select max(version) from px_schema_version"))"
fi
phedex db grant-reader bench_ro >/dev/null || exit 1
READER="$(echo "$PHEDEX_DB" | sed 's/user=[^ ]*//') user=bench_ro"
WPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
phedex-webmon --db "$READER" --listen 127.0.0.1:$WPORT --threads 8 >"$W/webmon.log" 2>&1 &
WEBMON_PID=$!
for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$WPORT/healthz" 2>/dev/null && break; sleep 0.2; done
BPORT=""
if [ -n "$BASE" ]; then
	BPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$BASE/phedex-webmon" --db "$(echo "$READER" | sed 's/dbname=[^ ]*/dbname=phedex_base/')" --listen 127.0.0.1:$BPORT \
		--threads 8 >"$W/webmon-base.log" 2>&1 &
	BASE_PID=$!
	for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$BPORT/healthz" 2>/dev/null && break; sleep 0.2; done
fi
q () { psql "$PHEDEX_DB" -XAtqc "$1"; }
FROM=$(q "select name from nodes order by id limit 1")
TO=$(q "select name from nodes order by id offset 2 limit 1")
NODE=$TO
SUB=$(q "select min(id) from subscriptions")
DATASET=$(q "select name from datasets order by name offset 20 limit 1")
BLOCK=$(q "select name from blocks order by name offset 70 limit 1")
LFN=$(q "select lfn from files where id = (select min(id) + count(*) / 2 from files)")
ERR=$(q "select max(id) from errors")
export WPORT BPORT FROM TO NODE SUB DATASET BLOCK LFN
export BENCH_PAGES="${BENCH_PAGES:-}"
echo "== pages: p50 / p95 in ms over ${BENCH_REQUESTS:-200} requests (HTML | JSON), target p95${BASE:+; base first, then this build}"
python3 - "${BENCH_REQUESTS:-200}" ${BENCH_CLIENTS:-1 8} <<'EOF'
import http.client, os, sys, threading, time, urllib.parse as up
n = int(sys.argv[1]); clients = [int(c) for c in sys.argv[2:]]
e = os.environ
q = up.quote
pages = [  # (name, path, target ms)
    ("overview", "/?refresh=0", 100),
    ("link 24h plot", "/links/%s/%s?period=24h&refresh=0" % (e["FROM"], e["TO"]), 150),
    ("all links 7d plot", "/?period=7d&refresh=0", 250),
    ("links", "/links?refresh=0", 100),
    ("nodes", "/nodes?refresh=0", 100),
    ("node", "/nodes/%s?refresh=0" % e["NODE"], 100),
    ("errors", "/errors?refresh=0", 150),
    ("agents", "/agents?refresh=0", 50),
    ("metrics", "/metrics", 50),
    ("subscriptions", "/subscriptions?refresh=0", 200),
    ("subscription why", "/subscriptions/%s?refresh=0" % e["SUB"], 500),
    ("data datasets", "/data?refresh=0", 50),
    ("data blocks", "/data?dataset=%s&refresh=0" % q(e["DATASET"], safe=""), 50),
    ("data files", "/data?block=%s&refresh=0" % q(e["BLOCK"], safe=""), 50),
    ("LFN exact", "/data?lfn=%s&refresh=0" % q(e["LFN"], safe=""), 50),
    ("LFN prefix", "/data?lfn=%s&refresh=0" % q(e["LFN"].rsplit("/", 1)[0] + "/file_12*", safe=""), 50),
]
def run(path, conc, port):
    times, errs = [], []
    lock = threading.Lock(); left = [n]
    def worker():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if left[0] == 0: return
                left[0] -= 1
            t = time.perf_counter()
            try:
                c.request("GET", path); r = c.getresponse(); r.read()
                st = r.status
            except Exception as x:
                st = str(x); c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            dt = (time.perf_counter() - t) * 1000
            with lock:
                times.append(dt)
                if st != 200: errs.append(st)
    ts = [threading.Thread(target=worker) for _ in range(conc)]
    [t.start() for t in ts]; [t.join() for t in ts]
    times.sort()
    p = lambda f: times[min(len(times) - 1, int(f * len(times)))]
    return p(0.5), p(0.95), errs
# The overview's API path: /api/v1/ is the overview as JSON.
def api_path(path):
    if path == "/metrics": return None
    if path.startswith("/?"): return "/api/v1/" + path[1:]
    return "/api/v1" + path
only = e["BENCH_PAGES"].split()
ports = ([("base", int(e["BPORT"]))] if e.get("BPORT") else []) + [("", int(e["WPORT"]))]
def fmt(r):
    return ("%8.1f/%7.1f" % (r[0], r[1])) if r else "        -/      -"
for conc in clients:
    print("-- %d client%s (load average %.2f %.2f %.2f)" % ((conc, "" if conc == 1 else "s") + os.getloadavg()))
    print("%-18s %-4s %17s %17s %7s  %-7s %s" % ("page", "", "HTML p50/p95", "JSON p50/p95", "target", "", "load"))
    for name, path, target in pages:
        if only and name.replace(" ", "_") not in only and name not in only: continue
        for label, port in ports:
            h = run(path, conc, port)
            ap = api_path(path)
            j = run(ap, conc, port) if ap else None
            worst = max(h[1], j[1] if j else 0)
            verdict = "ok" if worst <= target else "MISSES"
            errs = h[2] + (j[2] if j else [])
            print("%-18s %-4s %17s %17s %7d  %-7s %.2f%s" % (
                name, label, fmt(h), fmt(j), target, verdict, os.getloadavg()[0],
                ("  (non-200: %s)" % sorted(set(map(str, errs)))) if errs else ""), flush=True)
EOF
if [ -x "$B/tests/test-explain" ]; then
	echo "== page statements with default planner settings at this size (sequential scans of files, replicas, tasks, errors)"
	"$B/tests/test-explain" "$NODE" "$(q "select id from nodes where name = '$NODE'")" "$FROM" "$TO" "$SUB" "$ERR" \
		"$DATASET" "$BLOCK" "$LFN" | grep -E '^(not )?ok' | sed 's/^/   /'
fi
[ -n "${BENCH_KEEP:-}" ] && echo "== kept: PHEDEX_DB='$PHEDEX_DB' ($W)"
exit 0
