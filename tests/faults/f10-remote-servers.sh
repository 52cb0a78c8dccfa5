#!/bin/sh
# f10 — remote servers that fail: the GridFTP server T2_PULL pulls from is
# killed mid-run and started again 8 s later; a source whose copies are
# corrupted in flight (null backend, first two attempts); a copy tool that
# truncates files yet says it succeeded, until it is mended.  Nothing bad is
# published, and every file arrives once the servers behave again.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
. "$top_srcdir/tests/faults/lib-faults.sh"
PATH="$PATH:/usr/sbin"
N=$(faults_pick 30 150)

test_expect_success 'globus-gridftp-server is installed (if not: run .ci/install-deps as root)' '
	command -v globus-gridftp-server
'
[ "$test_failed" = 0 ] || test_done

GP=$(test_free_port)
# gridftp_start: the anonymous server on port $GP serving /, pid in $W/grid.pid.
gridftp_start () {
	globus-gridftp-server -aa -anonymous-user nobody -p "$GP" -control-interface 127.0.0.1 \
		-data-interface 127.0.0.1 -no-detach -d error -l "$W/grid.log" &
	echo $! >"$W/grid.pid"
}
gridftp_start
test_at_exit "kill -9 \$(cat $W/grid.pid) 2>/dev/null"
lots () { printf "[router]\nmax-attempts = 50\nretry-delay-max = 2\n" >>"$W/sites/$1/site.conf"; }

test_expect_success 'T1_GRID behind GridFTP, T1_NULL corrupting, T2_PULL pulling, T2_CMD with a truncating tool' '
	test_wait_port $GP &&
	faults_db &&
	faults_site T1_GRID "  <lfn-to-pfn protocol=\"gsiftp\" path-match=\"/+store/(.*)\" result=\"ftp://127.0.0.1:$GP$W/sites/T1_GRID/storage/store/\$1\"/>" &&
	faults_site T1_NULL "  <lfn-to-pfn protocol=\"direct\" destination-match=\"T2_PULL\" path-match=\"/+store/(.*/000[0-4][.]root)\" result=\"null://$W/sites/T1_NULL/storage/store/\$1?corrupt=2\"/>" &&
	faults_site T2_PULL "  <lfn-to-pfn protocol=\"gsiftp\" chain=\"direct\" path-match=\"(.*)\" result=\"\$1\"/>" &&
	faults_site T2_CMD &&
	sed -i "s/^protocols = direct/protocols = gsiftp,direct/" "$W/sites/T2_PULL/site.conf" &&
	faults_link T1_GRID T2_PULL && faults_link T1_NULL T2_PULL && faults_link T1_NULL T2_CMD &&
	lots T2_PULL && lots T2_CMD &&
	# A pre-copy hook that only waits paces T2_PULL at about 4 files/s, so
	# the kill lands mid-run however fast the machine copies (without it,
	# all 30 files could arrive before the kill and no copy is cut off).
	printf "#!/bin/sh\n[ \"\$1\" = pre ] && { sleep 0.25; exit 1; }\nexit 0\n" >"$W/pace.sh" && chmod +x "$W/pace.sh" &&
	printf "[download]\nconcurrency = 1\nbatch = 2\ntimeout-base = 15\nvalidate-command = %s\n" "$W/pace.sh" >>"$W/sites/T2_PULL/site.conf" &&
	cat >"$W/trunc.sh" <<-EOS &&
	#!/bin/sh
	mkdir -p "\$(dirname "\$2")" || exit 1
	if [ -e "$W/truncating" ]; then head -c 1000 "\$1" >"\$2"; exit 0; fi
	exec cp "\$1" "\$2"
	EOS
	chmod +x "$W/trunc.sh" && touch "$W/truncating" &&
	printf "[transfer]\ncommand = %s\n" "$W/trunc.sh" >>"$W/sites/T2_CMD/site.conf" &&
	faults_dataset T1_GRID /F10/Grid/RAW $N 500 &&
	faults_dataset T1_NULL /F10/Null/RAW 10 8 &&
	chmod -R a+rwX "$W/sites" && chmod 755 "$W"
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB

# A copy cut off by the dying server fails at once, or at the latest when its
# timeout (timeout-base 15 s here) runs out: either way an error is recorded.
test_expect_success 'the GridFTP server dies mid-run and comes back 8 s later' '
	for n in T1_GRID T1_NULL T2_PULL T2_CMD; do start_agents $n || exit 1; done &&
	phedex subscribe --node T2_PULL --dataset /F10/Grid/RAW >/dev/null &&
	phedex subscribe --node T2_PULL --dataset /F10/Null/RAW >/dev/null &&
	phedex subscribe --node T2_CMD --dataset /F10/Null/RAW >/dev/null &&
	wait_for 60 "test \$(at T2_PULL Grid) -ge 2" &&
	kill -9 $(cat "$W/grid.pid") && faults_count "gridftp server KILL" &&
	wait_for 60 "test \"\$(sql \"select count(*) from errors e join nodes n on n.id = e.from_node where n.name = '"'T1_GRID'"'\")\" -ge 1" &&
	test "$(at T2_PULL Grid)" -lt $N &&
	sleep 8 && gridftp_start && test_wait_port $GP
'

test_expect_success 'every GridFTP file arrives after the server returns' '
	wait_for 120 "test \$(at T2_PULL Grid) = $N" || { faults_report; false; }
'

test_expect_success 'corrupted copies are caught by verify and sent again' '
	wait_for 60 "test \$(at T2_PULL Null) = 10" &&
	test "$(sql "select count(*) from errors e join nodes n on n.id = e.to_node where n.name = '"'T2_PULL'"' and e.reason = '"'checksum'"'")" -ge 5 ||
	{ faults_report; false; }
'

test_expect_success 'truncated copies are never published; once the tool is mended every file arrives' '
	wait_for 30 "test \"\$(sql \"select count(*) from errors e join nodes n on n.id = e.to_node where n.name = '"'T2_CMD'"' and e.reason in ('"'size'"', '"'checksum'"')\")\" -ge 3" &&
	test "$(at T2_CMD Null)" = 0 &&
	rm "$W/truncating" &&
	wait_for 60 "test \$(at T2_CMD Null) = 10" || { faults_report; false; }
'

test_expect_success 'invariants hold once things settle' '
	settle 30; check_invariants || { faults_report; false; }
'
faults_figures
test_done
