# lib-fixtures.sh — set up what a case needs in one call each, clean-up
# registered (the cluster stopped, the agents sent SIGTERM, when the script
# exits).  After lib-test.sh:
#   . "$top_srcdir/tests/lib-fixtures.sh"
#   fixture tmdb                          a throwaway PostgreSQL in $W/pg on a
#                                         free port, migrated; exports PHEDEX_DB
#   fixture site NODE [--kind K] [--rules]
#                                         `phedex node add` NODE and its storage
#                                         and site.conf under $W/sites/NODE
#                                         (px_site); --rules: lfn-to-pfn rules
#                                         from stdin, placed before the general ones
#   fixture sites NODE...                 several plain ones
#   fixture conf NODE                     append stdin to NODE's site.conf
#   fixture link FROM TO [OPTION]...      `phedex link add` (--both, --distance N)
#   fixture files NODE DATASET N KB       the files and $(dataset_xml DATASET),
#                                         not injected
#   fixture dataset NODE DATASET N KB [--open]
#                                         N files of random bytes in NODE's
#                                         storage, injected there; the XML is
#                                         at $(dataset_xml DATASET)
#   fixture copy FROM TO DATASET          a second copy: DATASET's files copied
#                                         from FROM's storage to TO's, injected at TO
#   fixture subscribe OPTION...           `phedex subscribe`
#   fixture suspend OPTION...             `phedex suspend`
#   fixture agents NODE...                every agent of each NODE running
#   fixture sql <<EOF                     hand-written state (lib-sites.sh sql)
#   fixture gridftp NAME                  an anonymous GridFTP server on loopback
#                                         serving /; its port in $W/NAME.port
#   fixture nginx NAME ROOT [CONF]        nginx on loopback serving ROOT; port in
#                                         $W/NAME.port; CONF: more directives for
#                                         its server block (WebDAV, limit_rate)
#   fixture db NAME [TEMPLATE]            a new database NAME in the cluster
#                                         (a copy of TEMPLATE, by default the
#                                         current one); PHEDEX_DB points at it
# Fixtures run in the script's own shell, before the cases: a fixture that
# fails ends the script with "Bail out!" and its output (kept in
# $TEST_TMP/setup.log).  `fixture db` also works inside a case, for a case
# that changes the state the others read.
. "$top_srcdir/tests/lib-sites.sh"

fixture () {
	_fx=$1; shift
	echo "## fixture $_fx $*" >>"$TEST_TMP/setup.log"
	if ! "fixture_$_fx" "$@" >>"$TEST_TMP/setup.log" 2>&1; then
		test_failed=$((test_failed + 1))
		sed 's/^/# /' "$TEST_TMP/setup.log"
		echo "Bail out! fixture $_fx $* failed (kept $TEST_TMP)"
		exit 1
	fi
}

fixture_tmdb () {
	px_pg_start "$W/pg" "$(test_free_port)" && phedex db init && echo "$PHEDEX_DB" >"$W/db"
}

fixture_db () {
	_from=${2:-$(psql "$PHEDEX_DB" -XAtqc 'select current_database()')} &&
	sql_p 'create database :"name" template :"from"' name="$1" from="$_from" &&
	PHEDEX_DB="$(echo "$PHEDEX_DB" | sed 's/dbname=[^ ]*//') dbname=$1" &&
	export PHEDEX_DB
}

fixture_site () {
	_node=$1 _kind= _rules=; shift
	while [ $# -gt 0 ]; do
		case $1 in
		--kind) _kind=$2; shift 2 ;;
		--rules) _rules=$(cat); shift ;;
		*) echo "fixture site: unknown option $1" >&2; return 1 ;;
		esac
	done
	phedex node add ${_kind:+--kind "$_kind"} "$_node" && px_site "$_node" "$W/sites" "$_rules"
}

fixture_sites () {
	for _n; do fixture_site "$_n" || return 1; done
}

fixture_conf () {
	cat >>"$W/sites/$1/site.conf"
}

fixture_link () {
	phedex link add "$@"
}

dataset_xml () {
	echo "$W/inject$(echo "$1" | tr -c 'A-Za-z0-9\n' '_').xml"
}

fixture_files () {
	px_dataset "$1" "$W/sites" "$2" "$3" "$4" >"$(dataset_xml "$2")"
}

fixture_dataset () {
	_x=$(dataset_xml "$2")
	px_dataset "$1" "$W/sites" "$2" "$3" "$4" >"$_x" &&
	if [ "${5:-}" = --open ]; then sed -i 's/is-open="n"/is-open="y"/g' "$_x"; fi &&
	phedex inject --node "$1" --tfc "$W/sites/$1/storage.xml" "$_x"
}

fixture_subscribe () {
	phedex subscribe "$@"
}

fixture_agents () {
	for _n; do start_agents "$_n" || return 1; done
}

fixture_sql () {
	sql
}

fixture_suspend () {
	phedex suspend "$@"
}

fixture_copy () {
	_dir=store/demo/$(echo "$3" | tr -c 'A-Za-z0-9\n' '_')
	mkdir -p "$W/sites/$2/storage/store/demo" &&
	cp -r "$W/sites/$1/storage/$_dir" "$W/sites/$2/storage/store/demo/" &&
	phedex inject --node "$2" --tfc "$W/sites/$2/storage.xml" "$(dataset_xml "$3")"
}

# Servers (t02xx): loopback only, killed when the script exits.
fixture_gridftp () {
	_p=$(test_free_port) &&
	{ globus-gridftp-server -aa -anonymous-user nobody -p "$_p" -control-interface 127.0.0.1 \
		-data-interface 127.0.0.1 -no-detach -d error -l "$W/$1.log" </dev/null >/dev/null 2>&1 & } &&
	test_at_exit "kill -9 $! 2>/dev/null" &&
	echo "$_p" >"$W/$1.port" && test_wait_port "$_p"
}

fixture_nginx () {
	_p=$(test_free_port) &&
	mkdir -p "$W/$1/tmp" "$2" &&
	cat >"$W/$1/nginx.conf" <<-EOF &&
	worker_processes 1;
	user root;
	error_log $W/$1/error.log;
	pid $W/$1/nginx.pid;
	events {}
	http {
	  access_log off;
	  client_body_temp_path $W/$1/tmp; proxy_temp_path $W/$1/tmp; fastcgi_temp_path $W/$1/tmp;
	  uwsgi_temp_path $W/$1/tmp; scgi_temp_path $W/$1/tmp;
	  server { listen 127.0.0.1:$_p; root $2; ${3:-} }
	}
	EOF
	{ nginx -c "$W/$1/nginx.conf" -p "$W/$1" -g "daemon off;" </dev/null >/dev/null 2>"$W/$1/start.log" & } &&
	test_at_exit "kill $! 2>/dev/null" &&
	echo "$_p" >"$W/$1.port" && test_wait_port "$_p"
}
