#!/bin/sh
# Sites whose storage is behind real servers, moved by the real agents: the
# download agent picks the protocol per link (the first of the destination's
# site.protocols that the source's storage.xml also has), then
#   T1_GRID (GridFTP server) -> T2_PULL (local disk): gridftp pull;
#   T1_GRID -> T2_TPC (a second GridFTP server): third-party, server to
#     server, verified by the destination server's checksum, published by an
#     FTP rename on that server;
#   T1_WEB (nginx) -> T2_PULL: HTTP GET.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
PATH="$PATH:/usr/sbin"
PORT=$((59000 + $$ % 1000))
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=2 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY

test_expect_success 'the servers are installed (if not: run .ci/install-deps as root)' '
	command -v globus-gridftp-server && command -v nginx
'
[ "$test_failed" = 0 ] || test_done

# gridftp NAME: an anonymous GridFTP server on loopback serving /; port in $W/NAME.port.
gridftp () {
	_p=$(test_free_port)
	globus-gridftp-server -aa -anonymous-user nobody -p "$_p" -control-interface 127.0.0.1 \
		-data-interface 127.0.0.1 -no-detach -d error -l "$W/$1.log" &
	test_at_exit "kill -9 $! 2>/dev/null"
	echo "$_p" >"$W/$1.port"
}
# Servers start here, not in a test body: test bodies run in subshells, and
# the clean-up list must survive them.
gridftp grid1
gridftp grid2
HP=$(test_free_port)
mkdir -p "$W/ng/tmp" "$W/sites/T1_WEB/storage"
cat >"$W/ng/nginx.conf" <<EOF
worker_processes 1;
user root;
error_log $W/ng/error.log;
pid $W/ng/nginx.pid;
events {}
http {
  access_log off;
  client_body_temp_path $W/ng/tmp; proxy_temp_path $W/ng/tmp; fastcgi_temp_path $W/ng/tmp;
  uwsgi_temp_path $W/ng/tmp; scgi_temp_path $W/ng/tmp;
  server { listen 127.0.0.1:$HP; root $W/sites/T1_WEB/storage; }
}
EOF
nginx -c "$W/ng/nginx.conf" -p "$W/ng" -g "daemon off;" 2>"$W/ng/start.log" &
test_at_exit "kill $! 2>/dev/null"
echo "$HP" >"$W/web.port"

test_expect_success 'two GridFTP servers and an nginx answer on loopback' '
	test_wait_port $(cat "$W/grid1.port") && test_wait_port $(cat "$W/grid2.port") && test_wait_port $(cat "$W/web.port")
'

test_expect_success 'sites publishing gsiftp and webdav rules; destinations preferring them' '
	px_pg_start "$W/pg" $PORT && echo "$PHEDEX_DB" >"$W/db" && phedex db init >/dev/null &&
	g1=$(cat "$W/grid1.port") && g2=$(cat "$W/grid2.port") && hp=$(cat "$W/web.port") &&
	px_site T1_GRID "$W/sites" "  <lfn-to-pfn protocol=\"gsiftp\" path-match=\"/+store/(.*)\" result=\"ftp://127.0.0.1:$g1$W/sites/T1_GRID/storage/store/\$1\"/>" &&
	px_site T1_WEB "$W/sites" "  <lfn-to-pfn protocol=\"webdav\" path-match=\"/+store/(.*)\" result=\"http://127.0.0.1:$hp/store/\$1\"/>" &&
	px_site T2_PULL "$W/sites" "  <lfn-to-pfn protocol=\"gsiftp\" chain=\"direct\" path-match=\"(.*)\" result=\"\$1\"/>
  <lfn-to-pfn protocol=\"webdav\" chain=\"direct\" path-match=\"(.*)\" result=\"\$1\"/>" &&
	px_site T2_TPC "$W/sites" "  <lfn-to-pfn protocol=\"gsiftp\" path-match=\"/+store/(.*)\" result=\"ftp://127.0.0.1:$g2$W/sites/T2_TPC/storage/store/\$1\"/>" &&
	sed -i "s/^protocols = direct/protocols = gsiftp,webdav,direct/" "$W/sites/T2_PULL/site.conf" "$W/sites/T2_TPC/site.conf" &&
	phedex node add T1_GRID T1_WEB T2_PULL T2_TPC >/dev/null &&
	phedex link add T1_GRID T2_PULL >/dev/null && phedex link add T1_WEB T2_PULL >/dev/null &&
	phedex link add T1_GRID T2_TPC >/dev/null &&
	px_dataset T1_GRID "$W/sites" /Grid/A/RAW 8 300 >grid.xml &&
	phedex inject --node T1_GRID --tfc "$W/sites/T1_GRID/storage.xml" grid.xml >/dev/null &&
	px_dataset T1_WEB "$W/sites" /Web/A/RAW 8 300 >web.xml &&
	phedex inject --node T1_WEB --tfc "$W/sites/T1_WEB/storage.xml" web.xml >/dev/null &&
	chmod -R a+rwX "$W/sites" && chmod 755 "$W"
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB

test_expect_success 'GridFTP and HTTP pulls: every file arrives byte for byte' '
	for n in T1_GRID T1_WEB T2_PULL; do start_agents $n || exit 1; done &&
	phedex subscribe --node T2_PULL --dataset /Grid/A/RAW >/dev/null &&
	phedex subscribe --node T2_PULL --dataset /Web/A/RAW >/dev/null &&
	wait_for 60 "test \$(at T2_PULL /) = 16" &&
	for d in _Grid_A_RAW:T1_GRID _Web_A_RAW:T1_WEB; do
		for f in "$W/sites/${d#*:}/storage/store/demo/${d%:*}"/*.root; do
			cmp "$f" "$W/sites/T2_PULL/storage/store/demo/${d%:*}/${f##*/}" || exit 1
		done
	done &&
	test "$(sql "select count(*) from tasks where from_pfn like '"'ftp://%'"' and state = '"'done'"'")" = 8 &&
	test "$(sql "select count(*) from tasks where from_pfn like '"'http://%'"' and state = '"'done'"'")" = 8 &&
	test "$(sql "select count(*) from tasks where seen_checksum is null and state = '"'done'"'")" = 0
'

test_expect_success 'third party: server to server, checked by the destination server, renamed there' '
	start_agents T2_TPC &&
	phedex subscribe --node T2_TPC --dataset /Grid/A/RAW >/dev/null &&
	wait_for 60 "test \$(at T2_TPC /) = 8" &&
	for f in "$W/sites/T1_GRID/storage/store/demo/_Grid_A_RAW"/*.root; do
		cmp "$f" "$W/sites/T2_TPC/storage/store/demo/_Grid_A_RAW/${f##*/}" || exit 1
	done &&
	test "$(sql "select count(*) from tasks t join nodes n on n.id = t.to_node where n.name = '"'T2_TPC'"' and t.to_pfn like '"'ftp://%'"' and t.state = '"'done'"'")" = 8 &&
	test -z "$(find "$W/sites/T2_TPC" -name "*.part")"
'

test_expect_success 'SIGTERM stops every agent' '
	for n in T1_GRID T1_WEB T2_PULL T2_TPC; do kill -TERM $(cat "$W/sites/$n/agents.pid") 2>/dev/null; done;
	wait_for 20 "! pgrep -f \"phedex-agent --config $W/\" >/dev/null"
'
test_done
