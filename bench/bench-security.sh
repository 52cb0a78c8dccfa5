#!/bin/sh
# bench-security.sh — what row-level security (009-security.sql) costs the
# agents' statements: the same set-based statements over N rows, run as the
# TMDB's owner (no RLS) and as a site role (every row through the policies),
# each BENCH_REPEAT times inside a rolled-back transaction; prints the best
# time of each and the ratio role/owner.
#
#   bench/bench-security.sh [BUILD-DIR]
#
#   claim      UPDATE of N queued tasks into the node (to_node = me)
#   report     UPDATE of N tasks through the column grants and the state trigger
#   replicas   INSERT of N replicas at the node (node = me)
#   hop-errors INSERT of N errors about hops of the node's requests at another
#              node (the policy's per-row EXISTS on tasks)
#   expire     the router expiring N hops of its requests at another node
#              (queued -> failed; the failed-hop trigger as SECURITY DEFINER)
#
# Knobs: BENCH_ROWS (20000), BENCH_REPEAT (5).  Runs under /dev/shm, removed at exit.
set -u
B=$(cd "${1:-.}" && pwd) || exit 2
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
PHEDEX_BINDIR=$B
PATH=$B:$PATH
export PATH
. "$top_srcdir/etc/phedex-lib.sh"
N=${BENCH_ROWS:-20000}
REPEAT=${BENCH_REPEAT:-5}
W=$(mktemp -d /dev/shm/phedex-bench-sec.XXXXXX) || exit 1
chmod 755 "$W"
PORT=$((58000 + $$ % 1000))
trap 'px_pg_stop "$W/pg"; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM HUP

px_pg_start "$W/pg" $PORT >/dev/null && phedex db init >/dev/null || exit 1
OWNER=$PHEDEX_DB
phedex node add T1_A T2_B >/dev/null && phedex db grant-site T1_A >/dev/null && phedex db grant-site T2_B >/dev/null || exit 1
psql "$OWNER" -XAtq -v ON_ERROR_STOP=1 -v n="$N" <<\EOF || exit 1
INSERT INTO datasets (name) VALUES ('/Bench/Sec/RAW');
INSERT INTO blocks (dataset, name) SELECT id, '/Bench/Sec/RAW#1' FROM datasets;
INSERT INTO files (block, lfn, bytes, checksum)
  SELECT b.id, '/store/bench/' || i || '.root', 1024, 'adler32:00000001' FROM blocks b, generate_series(1, :n) i;
INSERT INTO replicas (file, node) SELECT id, (SELECT id FROM nodes WHERE name = 'T1_A') FROM files;
-- N tasks into T2_B for its own requests, N hops into T1_C for T1_A's requests.
INSERT INTO tasks (file, from_node, to_node, for_node)
  SELECT f.id, a.id, b.id, b.id FROM files f, nodes a, nodes b WHERE a.name = 'T1_A' AND b.name = 'T2_B';
INSERT INTO requests (file, node, state) SELECT f.id, a.id, 'routed' FROM files f, nodes a WHERE a.name = 'T1_A';
INSERT INTO nodes (name) VALUES ('T1_C');
INSERT INTO tasks (file, from_node, to_node, for_node)
  SELECT f.id, b.id, c.id, a.id FROM files f, nodes a, nodes b, nodes c
  WHERE a.name = 'T1_A' AND b.name = 'T2_B' AND c.name = 'T1_C';
ANALYZE;
EOF

# once ROLE SQL: one run of SQL as ROLE (owner: the owner), ms.
once () {
	_db=$OWNER; [ "$1" = owner ] || _db="$OWNER user=$1"
	printf 'BEGIN;\n\\timing on\n%s;\n\\timing off\nROLLBACK;\n' "$2" | psql "$_db" -Xq -v ON_ERROR_STOP=1 2>&1 |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
A="(SELECT id FROM nodes WHERE name = 'T1_A')"
Bn="(SELECT id FROM nodes WHERE name = 'T2_B')"
# case NAME ROLE SQL: owner and role runs interleaved (the machine's load
# hits both alike); the best of each.
case_ () {
	_o= _r= _i=0
	while [ $_i -lt "$REPEAT" ]; do
		_a=$(once owner "$3") && _b=$(once "$2" "$3") && [ -n "$_a" ] && [ -n "$_b" ] ||
			{ echo "bench-security: $1 failed as the owner or as $2" >&2; exit 1; }
		_o=$(printf '%s\n%s\n' "$_a" "${_o:-$_a}" | sort -n | head -n 1)
		_r=$(printf '%s\n%s\n' "$_b" "${_r:-$_b}" | sort -n | head -n 1)
		_i=$((_i + 1))
	done
	awk -v n="$1" -v o="$_o" -v r="$_r" -v rows="$N" \
		'BEGIN { printf "%-10s %7d rows  owner %8.1f ms  site role %8.1f ms  ratio %.2f\n", n, rows, o, r, r / o }'
}
echo "# $N rows per statement, best of $REPEAT; owner = no RLS, site role = through the policies"
case_ claim t2_b "UPDATE tasks SET state = 'active', claimed_at = now() WHERE to_node = $Bn AND for_node = $Bn AND state = 'queued'"
case_ report t2_b "UPDATE tasks SET next_try = now(), from_pfn = 'x', to_pfn = 'y' WHERE to_node = $Bn AND for_node = $Bn"
case_ replicas t2_b "INSERT INTO replicas (file, node) SELECT id, $Bn FROM files"
case_ hop-errors t1_a "INSERT INTO errors (task, file, from_node, to_node, reason, log) SELECT id, file, from_node, to_node, 'expired', 'x' FROM tasks WHERE for_node = $A"
case_ expire t1_a "UPDATE tasks SET state = 'failed' WHERE for_node = $A AND state = 'queued'"
