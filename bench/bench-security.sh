#!/bin/sh
# bench-security.sh — what row-level security costs the agents: the same
# delivery (BENCH_FILES files of 1 KiB, real bytes, source -> destination,
# both sites' agents running) once with every agent connected as the TMDB's
# owner (no RLS) and once with each site on its own role (phedex db
# grant-site: every statement through the policies of 009-security.sql).
# Prints files/s for each and the ratio.
#
#   bench/bench-security.sh [BUILD-DIR]
#
# Knobs: BENCH_FILES (5000), BENCH_REPEAT (2).  Runs under /dev/shm, removed at exit.
set -u
B=$(cd "${1:-.}" && pwd) || exit 2
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
PHEDEX_BINDIR=$B
PATH=$B:$PATH
export PATH
. "$top_srcdir/etc/phedex-lib.sh"
FILES=${BENCH_FILES:-5000}
REPEAT=${BENCH_REPEAT:-2}
W=$(mktemp -d /dev/shm/phedex-bench-sec.XXXXXX) || exit 1
chmod 755 "$W"
PORT=$((58000 + $$ % 1000))
PIDS=""
cleanup () {
	[ -n "$PIDS" ] && kill -TERM $PIDS 2>/dev/null && wait 2>/dev/null
	px_pg_stop "$W/pg"; rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
now () { date +%s.%N; }

run () {
	_mode=$1
	[ -n "$PIDS" ] && kill -TERM $PIDS 2>/dev/null && wait 2>/dev/null; PIDS=""
	px_pg_stop "$W/pg"; rm -rf "$W/pg" "$W/sites"
	px_pg_start "$W/pg" $PORT >/dev/null && phedex db init >/dev/null || exit 1
	OWNER=$PHEDEX_DB
	for s in T1_SRC T2_DST; do
		phedex node add "$s" >/dev/null && px_site "$s" "$W/sites" &&
		cat >>"$W/sites/$s/site.conf" <<-EOF
		batch = 500
		concurrency = 4
		[verify]
		batch = 1000
		[publish]
		batch = 1000
		EOF
		sed -i 's/^\[router\]/[router]\nbatch = 1000/' "$W/sites/$s/site.conf"
		if [ "$_mode" = site-roles ]; then
			r=$(echo "$s" | tr A-Z a-z)
			phedex db grant-site "$s" >/dev/null && sed -i "s|^db = .*|db = $OWNER user=$r|" "$W/sites/$s/site.conf"
		fi
	done
	phedex link add T1_SRC T2_DST >/dev/null
	px_dataset T1_SRC "$W/sites" /Bench/Sec/RAW "$FILES" 1 >"$W/inject.xml" &&
	phedex inject --node T1_SRC --tfc "$W/sites/T1_SRC/storage.xml" "$W/inject.xml" >/dev/null || exit 1
	for s in T1_SRC T2_DST; do
		phedex-agent --config "$W/sites/$s/site.conf" all >>"$W/$s.log" 2>&1 &
		PIDS="$PIDS $!"
	done
	sleep 2
	_t0=$(now)
	phedex subscribe --node T2_DST --dataset /Bench/Sec/RAW >/dev/null
	while [ "$(psql "$OWNER" -XAtqc "select count(*) from replicas r join nodes n on n.id = r.node where n.name = 'T2_DST'")" != "$FILES" ]; do
		sleep 0.2
	done
	_t1=$(now)
	if grep -Eqi "row-level security|permission denied" "$W"/*.log; then echo "bench-security: an agent was refused" >&2; exit 1; fi
	awk -v a="$_t0" -v b="$_t1" -v n="$FILES" -v m="$_mode" 'BEGIN { printf "%-11s %d files in %.2f s: %.0f files/s\n", m, n, b - a, n / (b - a) }'
}

echo "# $FILES files of 1 KiB, T1_SRC -> T2_DST, agents all; $REPEAT rounds each"
i=0
while [ $i -lt "$REPEAT" ]; do
	run owner; run site-roles
	i=$((i + 1))
done
