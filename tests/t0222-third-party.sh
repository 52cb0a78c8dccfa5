#!/bin/sh
# Third-party copy between two GridFTP servers, moved by the real agents:
#   T1_GRID -> T2_TPC (a second GridFTP server): server to server, verified
#   by the destination server's checksum, published by an FTP rename there.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PATH="$PATH:/usr/sbin"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=2 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY

test_expect_success 'the servers are installed (if not: run .ci/install-deps as root)' '
	command -v globus-gridftp-server
'
[ "$test_failed" = 0 ] || test_done

fixture gridftp grid1
fixture gridftp grid2
fixture tmdb
fixture site T1_GRID --rules <<EOF
  <lfn-to-pfn protocol="gsiftp" path-match="/+store/(.*)" result="ftp://127.0.0.1:$(cat "$W/grid1.port")$W/sites/T1_GRID/storage/store/\$1"/>
EOF
fixture site T2_TPC --rules <<EOF
  <lfn-to-pfn protocol="gsiftp" path-match="/+store/(.*)" result="ftp://127.0.0.1:$(cat "$W/grid2.port")$W/sites/T2_TPC/storage/store/\$1"/>
EOF
sed -i "s/^protocols = direct/protocols = gsiftp,webdav,direct/" "$W/sites/T2_TPC/site.conf"
fixture link T1_GRID T2_TPC
fixture dataset T1_GRID /Grid/A/RAW 8 300
chmod -R a+rwX "$W/sites" && chmod 755 "$W"
fixture agents T1_GRID T2_TPC

test_expect_success 'two GridFTP servers answer on loopback' - <<\EOT
	test_wait_port $(cat "$W/grid1.port") && test_wait_port $(cat "$W/grid2.port")
EOT

test_expect_success 'third party: server to server, checked by the destination server, renamed there' - <<\EOT
	phedex subscribe --node T2_TPC --dataset /Grid/A/RAW >/dev/null &&
	wait_for 60 at_is T2_TPC / 8 &&
	for f in "$W/sites/T1_GRID/storage/store/demo/_Grid_A_RAW"/*.root; do
		cmp "$f" "$W/sites/T2_TPC/storage/store/demo/_Grid_A_RAW/${f##*/}" || exit 1
	done &&
	sql_is 8 - <<-\EOF &&
	select count(*) from tasks t join nodes n on n.id = t.to_node
	where n.name = 'T2_TPC' and t.to_pfn like 'ftp://%' and t.state = 'done'
	EOF
	test -z "$(find "$W/sites/T2_TPC" -name "*.part")"
EOT

test_expect_success 'SIGTERM stops every agent' - <<\EOT
	stop_agents T1_GRID T2_TPC &&
	wait_for 20 "! pgrep -f \"phedex-agent --config $W/\" >/dev/null"
EOT
test_done
