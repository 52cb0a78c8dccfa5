#!/bin/sh
# Verify and publish hold their batch locked in one transaction until its
# report.  A check longer than stale-after (a read-back from a slow
# storage) must neither look like a dead agent nor lose the batch:
#   T1_LOCAL (local disk) -> T2_SLOW (nginx WebDAV answering GETs at
#   100 KB/s), [verify] read-back = true: each file's read-back takes about
#   4 s, a batch of three about 12 s, against stale-after = 3 s.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PATH="$PATH:/usr/sbin"
PX_STALE=3 PX_HEARTBEAT=1 PX_POLL=2 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY

test_expect_success 'nginx is installed (if not: run .ci/install-deps as root)' '
	command -v nginx
'
[ "$test_failed" = 0 ] || test_done

mkdir -p "$W/sites/T2_SLOW/storage"
fixture nginx slow "$W/sites/T2_SLOW/storage" \
	"client_max_body_size 0; dav_methods PUT DELETE MKCOL COPY MOVE; create_full_put_path on; limit_rate 100k;"
fixture tmdb
fixture site T1_LOCAL --rules <<\EOF
  <lfn-to-pfn protocol="webdav" chain="direct" path-match="(.*)" result="$1"/>
EOF
fixture site T2_SLOW --rules <<EOF
  <lfn-to-pfn protocol="webdav" path-match="/+store/(.*)" result="http://127.0.0.1:$(cat "$W/slow.port")/store/\$1"/>
EOF
sed -i "s/^protocols = direct/protocols = webdav/" "$W/sites/T2_SLOW/site.conf"
fixture conf T2_SLOW <<\EOF
[verify]
read-back = true
EOF
fixture link T1_LOCAL T2_SLOW
fixture dataset T1_LOCAL /Slow/A/RAW 3 400
chmod -R a+rwX "$W/sites" && chmod 755 "$W"
fixture agents T1_LOCAL T2_SLOW

# The verify agent's heartbeat age (seconds) as others see it.
verify_beat_age () {
	sql "select coalesce(max(extract(epoch from now() - a.heartbeat))::int, -1) from agents a
	     join nodes n on n.id = a.node where n.name = 'T2_SLOW' and a.agent = 'verify' and a.stopped is null"
}

test_expect_success 'a read-back is slower than stale-after (the server limits GETs)' - <<EOT
	head -c 400000 /dev/zero >"$W/sites/T2_SLOW/storage/probe" &&
	s=\$(date +%s) && curl -sf -o /dev/null "http://127.0.0.1:\$(cat "$W/slow.port")/probe" &&
	test \$((\$(date +%s) - s)) -ge 3
EOT

test_expect_success 'checks longer than stale-after: every file is verified and published' - <<\EOT
	phedex subscribe --node T2_SLOW --dataset /Slow/A/RAW >/dev/null &&
	max=0 seen=0 &&
	for i in $(seq 240); do
		if [ "$(sql "select count(*) from tasks where state = 'transferred'")" != 0 ]; then
			age=$(verify_beat_age) seen=$((seen + 1))
			[ "$age" -gt "$max" ] && max=$age
		fi
		at_is T2_SLOW _Slow_A_RAW 3 && break
		sleep 0.5
	done &&
	echo "verify's heartbeat, sampled $seen times during its batch: oldest $max s (stale-after 3 s)" &&
	at_is T2_SLOW _Slow_A_RAW 3 &&
	for f in "$W/sites/T1_LOCAL/storage/store/demo/_Slow_A_RAW"/*.root; do
		cmp "$f" "$W/sites/T2_SLOW/storage/store/demo/_Slow_A_RAW/${f##*/}" || exit 1
	done &&
	test "$seen" -gt 2 && test "$max" -lt 3
EOT

test_expect_success 'each copy was verified once, by reading it back, with no failure' - <<\EOT
	sql_is 3 "select count(*) from tasks where state = 'done'" &&
	sql_is 0 "select count(*) from errors" &&
	grep -q 'verified [123], rejected 0' "$W/sites/T2_SLOW/log/agents.log" &&
	! grep -q 'terminating connection due to idle-in-transaction timeout' "$W/sites/T2_SLOW/log/agents.log"
EOT

test_expect_success 'SIGTERM in the middle of a slow batch: checked files reported, the rest left, stopped in time' - <<\EOT
	fixture_dataset T1_LOCAL /Slow/B/RAW 4 400 >/dev/null &&
	phedex subscribe --node T2_SLOW --dataset /Slow/B/RAW >/dev/null &&
	wait_for 60 sql_is 4 "select count(*) from tasks t join files f on f.id = t.file
	  where f.lfn like '%Slow_B%' and t.state = 'transferred'" 2>/dev/null &&
	sleep 5 &&
	s=$(date +%s) && stop_agents T2_SLOW && e=$(date +%s) &&
	echo "stopped in $((e - s)) s" && test $((e - s)) -le 15 &&
	grep -q 'left for the next start' "$W/sites/T2_SLOW/log/agents.log" &&
	sql_is 0 "select count(*) from errors" &&
	start_agents T2_SLOW &&
	wait_for 90 at_is T2_SLOW _Slow_B_RAW 4
EOT

test_expect_success 'checks at rest longer than stale-after: the verify agent keeps its heartbeat' - <<\EOT
	stop_agents T2_SLOW &&
	printf 'at-rest-sample = 10\nat-rest-age = 1\n' >>"$W/sites/T2_SLOW/site.conf" &&
	sql "update replicas r set verified = now() - interval '1 hour' from nodes n
	     where n.id = r.node and n.name = 'T2_SLOW'" >/dev/null &&
	: >"$W/sites/T2_SLOW/log/agents.log" && rm -f "$W/sites/T2_SLOW/agents.rc" &&
	start_agents T2_SLOW &&
	max=0 seen=0 &&
	for i in $(seq 240); do
		grep -q 'at rest: checked' "$W/sites/T2_SLOW/log/agents.log" && break
		if grep -q 'verify@T2_SLOW.*started' "$W/sites/T2_SLOW/log/agents.log"; then
			age=$(verify_beat_age) seen=$((seen + 1))
			[ "$age" -gt "$max" ] && max=$age
		fi
		sleep 0.5
	done &&
	echo "verify's heartbeat during its checks at rest, sampled $seen times: oldest $max s (stale-after 3 s)" &&
	grep 'at rest: checked' "$W/sites/T2_SLOW/log/agents.log" | head -1 | grep -q 'checked 7 replicas, 0 bad' &&
	test "$seen" -gt 10 && test "$max" -lt 3
EOT

test_done
