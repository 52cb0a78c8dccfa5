# lib-sites.sh — what the end-to-end tests share, after lib-test.sh and
# etc/phedex-lib.sh: sites under $W/sites, agents as real processes.
#   sql QUERY            one psql query against $PHEDEX_DB (unaligned, tuples only)
#   wait_for SECONDS CMD retry CMD every 0.5 s until it succeeds
#   start_agents NODE    run NODE's agents (all) in the background; pid in
#                        $W/sites/NODE/agents.pid, exit status in agents.rc
#   at NODE PATTERN      good replicas at NODE of files whose LFN contains PATTERN
PHEDEX_BINDIR=$top_builddir
. "$top_srcdir/etc/phedex-lib.sh"
W=$TEST_TMP

sql () { psql "$PHEDEX_DB" -XAtqc "$1"; }

wait_for () {
	_t=$(( $1 * 2 )); shift
	while [ $_t -gt 0 ]; do eval "$1" && return 0; sleep 0.5; _t=$((_t - 1)); done
	echo "timed out waiting for: $1" >&2; return 1
}

start_agents () {
	( phedex-agent --config "$W/sites/$1/site.conf" all >>"$W/sites/$1/log/agents.log" 2>&1 &
	  echo $! >"$W/sites/$1/agents.pid"; wait $!; echo $? >"$W/sites/$1/agents.rc" ) &
	test_at_exit "kill -TERM \$(cat $W/sites/$1/agents.pid) 2>/dev/null"
	wait_for 10 "test -s $W/sites/$1/agents.pid"
}

at () {
	sql "select count(*) from replicas r join nodes n on n.id = r.node join files f on f.id = r.file
	     where n.name = '$1' and r.state = 'ok' and f.lfn like '%$2%'"
}

test_at_exit "px_pg_stop $W/pg"
test_at_exit "pkill -TERM -f 'phedex-agent --config $W/' ; sleep 1"
