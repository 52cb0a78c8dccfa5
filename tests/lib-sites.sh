# lib-sites.sh — what the end-to-end tests share, after lib-test.sh and
# etc/phedex-lib.sh: sites under $W/sites, agents as real processes.
# (tests/lib-fixtures.sh sources this and adds the one-call set-ups.)
#
#   sql QUERY              one query against $PHEDEX_DB (unaligned, tuples only)
#   sql <<EOF              the same, the query (or several) from a here-document
#   sql_p QUERY NAME=VALUE...
#   sql_p - NAME=VALUE... <<EOF
#                          with psql variables: :'NAME' is VALUE as an SQL
#                          literal, :"NAME" as an identifier, so values are
#                          never spliced into quoted SQL.  Stops at the first
#                          error (exit 3, psql's message on stderr).
#   sql_is WANT QUERY|- [NAME=VALUE]...
#                          sql_p, and its output must be WANT (says what it got)
#   sql_eq WANT QUERY [NAME=VALUE]...
#                          the same, quietly: for wait_for (sql_eq 600 "...")
#   wait_for SECONDS CMD [ARG]...
#                          retry CMD every 0.5 s until it succeeds (one
#                          argument: a shell command string, eval'd)
#   start_agents NODE      run NODE's agents (all) in the background; pid in
#                          $W/sites/NODE/agents.pid, exit status in agents.rc
#   stop_agents NODE...    SIGTERM them and wait until each exited 0
#   at NODE PATTERN        good replicas at NODE of files whose LFN contains PATTERN
#   at_is NODE PATTERN N   there are N of them (quiet, for wait_for)
#   why_code NODE ARGS     the reasons `phedex why --json --node NODE ARGS` gives
PHEDEX_BINDIR=$top_builddir
. "$top_srcdir/etc/phedex-lib.sh"
W=$TEST_TMP

sql_p () {
	_sq=$1; shift
	for _sa; do set -- "$@" -v "$_sa"; shift; done
	if [ "$_sq" = - ]; then
		psql "$PHEDEX_DB" -XAtq -v ON_ERROR_STOP=1 "$@" -f -
	else
		printf '%s\n' "$_sq" | psql "$PHEDEX_DB" -XAtq -v ON_ERROR_STOP=1 "$@" -f -
	fi
}

sql () {
	if [ $# -gt 0 ]; then psql "$PHEDEX_DB" -XAtq -v ON_ERROR_STOP=1 -c "$1"; else sql_p -; fi
}

sql_eq () {
	_want=$1; shift
	test "$(sql_p "$@")" = "$_want"
}

sql_is () {
	_want=$1; shift
	if [ "${1:-}" = - ]; then
		_sq=$(cat); shift
		set -- "$_sq" "$@"
	fi
	_got=$(sql_p "$@") || return 1
	[ "$_got" = "$_want" ] && return 0
	printf 'sql_is: wanted %s, got %s from:\n%s\n' "$_want" "$_got" "$1" >&2
	return 1
}

wait_for () {
	_t=$(( $1 * 2 )); shift
	while [ $_t -gt 0 ]; do
		if [ $# = 1 ]; then eval "$1" && return 0; else "$@" && return 0; fi
		sleep 0.5; _t=$((_t - 1))
	done
	echo "timed out waiting for: $*" >&2; return 1
}

start_agents () {
	( phedex-agent --config "$W/sites/$1/site.conf" all >>"$W/sites/$1/log/agents.log" 2>&1 &
	  echo $! >"$W/sites/$1/agents.pid"; wait $!; echo $? >"$W/sites/$1/agents.rc" ) &
	test_at_exit "kill -TERM \$(cat $W/sites/$1/agents.pid) 2>/dev/null"
	wait_for 10 test -s "$W/sites/$1/agents.pid"
}

stop_agents () {
	for _s; do kill -TERM "$(cat "$W/sites/$_s/agents.pid")" || return 1; done
	for _s; do
		wait_for 30 test -s "$W/sites/$_s/agents.rc" &&
		test "$(cat "$W/sites/$_s/agents.rc")" = 0 &&
		grep -q "all agents stopped" "$W/sites/$_s/log/agents.log" || return 1
	done
}

at () {
	sql_p - node="$1" pattern="%$2%" <<-\EOF
	select count(*) from replicas r join nodes n on n.id = r.node join files f on f.id = r.file
	where n.name = :'node' and r.state = 'ok' and f.lfn like :'pattern'
	EOF
}

at_is () { test "$(at "$1" "$2")" = "$3"; }

test_at_exit "px_pg_stop $W/pg"
test_at_exit "pkill -TERM -f 'phedex-agent --config $W/' && sleep 1"

# why_code NODE ARGS: the codes `phedex why --json` gives, sorted, unique, on one line.
why_code () {
	phedex why --json --node "$1" $2 |
		python3 -c "import json,sys; print(' '.join(sorted(set(f['code'] for f in json.load(sys.stdin)))))"
}
