#!/bin/sh
# Pulls from sites whose storage is behind real servers, moved by the real
# agents: the download agent picks the protocol per link (the first of the
# destination's site.protocols that the source's storage.xml also has):
#   T1_GRID (GridFTP server) -> T2_PULL (local disk): gridftp pull;
#   T1_WEB (nginx) -> T2_PULL: HTTP GET.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PATH="$PATH:/usr/sbin"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=2 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY

test_expect_success 'the servers are installed (if not: run .ci/install-deps as root)' '
	command -v globus-gridftp-server && command -v nginx
'
[ "$test_failed" = 0 ] || test_done

fixture gridftp grid1
fixture nginx web "$W/sites/T1_WEB/storage"
fixture tmdb
fixture site T1_GRID --rules <<EOF
  <lfn-to-pfn protocol="gsiftp" path-match="/+store/(.*)" result="ftp://127.0.0.1:$(cat "$W/grid1.port")$W/sites/T1_GRID/storage/store/\$1"/>
EOF
fixture site T1_WEB --rules <<EOF
  <lfn-to-pfn protocol="webdav" path-match="/+store/(.*)" result="http://127.0.0.1:$(cat "$W/web.port")/store/\$1"/>
EOF
fixture site T2_PULL --rules <<\EOF
  <lfn-to-pfn protocol="gsiftp" chain="direct" path-match="(.*)" result="$1"/>
  <lfn-to-pfn protocol="webdav" chain="direct" path-match="(.*)" result="$1"/>
EOF
sed -i "s/^protocols = direct/protocols = gsiftp,webdav,direct/" "$W/sites/T2_PULL/site.conf"
fixture link T1_GRID T2_PULL
fixture link T1_WEB T2_PULL
fixture dataset T1_GRID /Grid/A/RAW 8 300
fixture dataset T1_WEB /Web/A/RAW 8 300
chmod -R a+rwX "$W/sites" && chmod 755 "$W"
fixture agents T1_GRID T1_WEB T2_PULL

test_expect_success 'a GridFTP server and an nginx answer on loopback' - <<\EOT
	test_wait_port $(cat "$W/grid1.port") && test_wait_port $(cat "$W/web.port")
EOT

test_expect_success 'GridFTP and HTTP pulls: every file arrives byte for byte' - <<\EOT
	phedex subscribe --node T2_PULL --dataset /Grid/A/RAW >/dev/null &&
	phedex subscribe --node T2_PULL --dataset /Web/A/RAW >/dev/null &&
	wait_for 60 at_is T2_PULL / 16 &&
	for d in _Grid_A_RAW:T1_GRID _Web_A_RAW:T1_WEB; do
		for f in "$W/sites/${d#*:}/storage/store/demo/${d%:*}"/*.root; do
			cmp "$f" "$W/sites/T2_PULL/storage/store/demo/${d%:*}/${f##*/}" || exit 1
		done
	done &&
	sql_is 8 "select count(*) from tasks where from_pfn like 'ftp://%' and state = 'done'" &&
	sql_is 8 "select count(*) from tasks where from_pfn like 'http://%' and state = 'done'" &&
	sql_is 0 "select count(*) from tasks where seen_checksum is null and state = 'done'"
EOT

test_expect_success 'SIGTERM stops every agent' - <<\EOT
	stop_agents T1_GRID T1_WEB T2_PULL &&
	wait_for 20 "! pgrep -f \"phedex-agent --config $W/\" >/dev/null"
EOT
test_done
