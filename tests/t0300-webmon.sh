#!/bin/sh
# phedex-webmon end to end: a throwaway TMDB, two sites whose real agents
# move five files, webmon as a read-only role.  Pages are well-formed and
# show the numbers; `phedex links --json` and /api/v1/links carry the same
# rows; a finished transfer changes a count on reload; an LFN, an error log
# and a dataset name carrying markup come out escaped (raw bytes and in
# headless Chromium, with a positive control); SQL and LIKE metacharacters in
# parameters; bad parameters and methods; PostgreSQL stopped then back.
# Screenshots (light and dark) are kept in tests/artefacts/.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1
export PX_STALE PX_HEARTBEAT
ART=$top_builddir/tests/artefacts
mkdir -p "$ART"

fixture tmdb
fixture sites T1_Src T2_Dst
fixture link T1_Src T2_Dst
fixture dataset T1_Src /Web/Run1/RAW 5 16
fixture sql <<\EOF
INSERT INTO datasets (name) VALUES ('/Web/<script>alert("ds")</script>/RAW');
INSERT INTO blocks (dataset, name) SELECT id, name || '#1' FROM datasets WHERE name LIKE '/Web/<script>%';
INSERT INTO files (block, lfn, bytes, checksum) SELECT id, '/store/xss/"><script>alert("lfn")</script>%_.root', 1,
  'adler32:00000001' FROM blocks WHERE name LIKE '/Web/<script>%';
INSERT INTO unmerged (node, lfn, bytes, origin, state, reason) SELECT n.id, v.lfn, v.bytes, 'input', v.state, v.reason
  FROM nodes n, (VALUES ('/store/unmerged/Web/a.root', 1000::bigint, 'waiting', 'no-merge-record'),
                        ('/store/unmerged/Web/b.root', NULL, 'waiting', 'no-merge-record'),
                        ('/store/unmerged/Web/c.root', 500, 'deleted', NULL)) v (lfn, bytes, state, reason)
  WHERE n.name = 'T2_Dst';
INSERT INTO unmerged_scans (node, source, listed, orphan_files, orphan_bytes, oldest_age)
  SELECT id, 'dump', 9, 4, 4096, 86400 FROM nodes WHERE name = 'T2_Dst';
INSERT INTO errors (file, from_node, to_node, reason, log) SELECT f.id, a.id, b.id, 'transfer',
  E'copy failed: <img src=x onerror=alert("log")> bad byte \x01 here' FROM files f, nodes a, nodes b
  WHERE f.lfn LIKE '/store/xss/%' AND a.name = 'T1_Src' AND b.name = 'T2_Dst';
EOF
OWNER_DB=$PHEDEX_DB
PORT=$(test_free_port)
URL=http://127.0.0.1:$PORT
READER="$(echo "$OWNER_DB" | sed 's/user=[^ ]*//') user=webmon_ro"
get () { curl -sS -o "$2" -D "$2.h" -w '%{http_code}' "$URL$1"; }
# check FILE: well-formed (libxml2's XML parser on our HTML)
wellformed () { xmllint --noout "$1"; }

test_expect_success 'grant-reader makes a SELECT-only role; --check tells a writer from a reader' - <<\EOT
	phedex-webmon --db "$OWNER_DB" --grant-reader webmon_ro >out && grep -q "webmon_ro" out &&
	phedex-webmon --db "$OWNER_DB" --check 2>err && grep -q "can write" err &&
	phedex-webmon --db "$READER" --check 2>err && grep -q "can only read" err &&
	! psql "$READER" -XAtqc "delete from errors" 2>/dev/null
EOT

test_expect_success 'phedex db grant-reader does the same (and again is harmless)' - <<\EOT
	phedex db grant-reader webmon_cli --db "$OWNER_DB" >out && grep -q "webmon_cli" out &&
	phedex db grant-reader webmon_cli --json --db "$OWNER_DB" >out.json &&
	python3 -c "import json; assert json.load(open('out.json'))['role'] == 'webmon_cli'" &&
	CLI_RO="$(echo "$OWNER_DB" | sed 's/user=[^ ]*//') user=webmon_cli" &&
	phedex-webmon --db "$CLI_RO" --check 2>err && grep -q "can only read" err &&
	! psql "$CLI_RO" -XAtqc "delete from errors" 2>/dev/null &&
	! phedex db grant-reader --db "$OWNER_DB" 2>/dev/null
EOT

( phedex-webmon --db "$READER" --listen 127.0.0.1:$PORT --threads 2 >"$W/webmon.log" 2>&1 & echo $! >"$W/webmon.pid" )
test_at_exit "kill \$(cat $W/webmon.pid) 2>/dev/null"
test_wait_port $PORT

test_expect_success 'before any transfer: the destination holds nothing, the link is agents_down' - <<\EOT
	test "$(get /api/v1/nodes before.json)" = 200 &&
	python3 -c "
import json; d = json.load(open('before.json'))
n = {r['name']: r for r in d['nodes']}
assert n['T2_Dst']['files'] == 0, n
assert d['as_of'].endswith('Z')" &&
	test "$(get '/?refresh=0' ov.html)" = 200 && wellformed ov.html &&
	xmllint --html --xpath 'string(//tr[@data-link="T1_Src>T2_Dst"]/td[@data-state])' ov.html >state &&
	grep -q "agents_down" state
EOT

fixture subscribe --node T2_Dst --dataset /Web/Run1/RAW
fixture agents T1_Src T2_Dst

test_expect_success 'the agents deliver; on reload the counts change' - <<\EOT
	wait_for 120 sql_eq 5 "select count(*) from replicas r join nodes n on n.id = r.node where n.name = 'T2_Dst'" &&
	test "$(get /api/v1/nodes after.json)" = 200 &&
	python3 -c "
import json; d = json.load(open('after.json'))
n = {r['name']: r for r in d['nodes']}
assert n['T2_Dst']['files'] == 5, n" &&
	get '/?refresh=0' ov.html >/dev/null && wellformed ov.html &&
	xmllint --html --xpath 'string(//tr[@data-link="T1_Src>T2_Dst"]/td[4])' ov.html >done &&
	test "$(cat done)" = 5 &&
	grep -q "<svg" ov.html && grep -q "role=\"img\"" ov.html && grep -q "<details>" ov.html &&
	! grep -q 'http-equiv="refresh"' ov.html &&
	get / r.html >/dev/null && grep -q 'http-equiv="refresh" content="60"' r.html
EOT

test_expect_success 'until= ends the window; the rate of a bin is its bytes over the time it covers; 7 d from hourly rollups' - <<\EOT
	before=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ) &&
	test "$(get "/api/v1/links/T1_Src/T2_Dst?period=1h&until=$before" old.json)" = 200 &&
	test "$(get "/api/v1/links/T1_Src/T2_Dst?period=1h" now.json)" = 200 &&
	test "$(get "/api/v1/links/T1_Src/T2_Dst?period=7d" week.json)" = 200 &&
	python3 -c "
import json
old, now, week = (json.load(open(f)) for f in ('old.json', 'now.json', 'week.json'))
assert sum(b['done_files'] for b in old['history']) == 0, old['history']
assert sum(b['done_files'] for b in now['history']) == 5, now['history']
assert sum(b['done_files'] for b in week['history']) == 5 and week['step'] == 3600, week
for h, step in ((now['history'], 300), (week['history'], 3600)):
    for b in h:
        assert 0 < b['seconds'] <= step, b
        assert abs(b['rate'] - b['done_bytes'] / b['seconds']) <= 1, b" &&
	get "/links/T1_Src/T2_Dst?period=1h&until=$before&refresh=0" old.html >/dev/null && wellformed old.html &&
	! grep -q "(partial)" old.html &&
	get "/errors?period=1h&until=$before&refresh=0" eold.html >/dev/null && ! grep -q "onerror=alert" eold.html &&
	get "/errors?period=1h&refresh=0" enow.html >/dev/null && grep -q "onerror=alert" enow.html
EOT

test_expect_success '/nodes/NODE: unmerged files pending cleanup (not the deleted one) and the orphans of the last scan' - <<\EOT
	test "$(get "/nodes/T2_Dst?refresh=0" n.html)" = 200 && wellformed n.html &&
	test "$(xmllint --html --xpath 'string(//span[@data-key="unmerged_files"])' n.html)" = 2 &&
	test "$(xmllint --html --xpath 'string(//span[@data-key="unmerged_orphans"])' n.html)" = 4 &&
	grep -q "no-merge-record" n.html &&
	test "$(get /api/v1/nodes/T2_Dst n.json)" = 200 &&
	python3 -c "
import json; u = json.load(open('n.json'))['unmerged']
assert [(r['origin'], r['state'], r['files'], r['bytes'], r['unknown_bytes']) for r in u] == [('input', 'waiting', 2, 1000, 1)], u
o = json.load(open('n.json'))['unmerged_orphans']
assert (o['files'], o['bytes'], o['oldest_age'], o['source']) == (4, 4096, 86400, 'dump'), o
b = json.load(open('n.json'))['blocks']
assert sum(r['files_here'] for r in b) == 5, b"
EOT

test_expect_success 'agents register their version: /agents and phedex_agent_info show it' - <<\EOT
	v=$(grep -o 'PACKAGE_VERSION "[^"]*"' "$top_builddir/config.h" | cut -d'"' -f2) && test -n "$v" &&
	test "$(get /api/v1/agents ag.json)" = 200 &&
	python3 -c "
import json, sys; d = json.load(open('ag.json'))
rows = [r for r in d['agents'] if r['node'] == 'T2_Dst' and r['agent'] == 'download']
assert rows and all(r['version'] for r in rows), d
assert all(r['version'] == '$v' for r in rows), (rows, '$v')" &&
	get /metrics m.txt >/dev/null &&
	grep "^phedex_agent_info{" m.txt | grep 'node="T2_Dst"' | grep -q 'version="[0-9]'
EOT

test_expect_success 'phedex links --json and /api/v1/links carry the same rows' - <<\EOT
	phedex links --json >cli.json && get /api/v1/links api.json >/dev/null &&
	python3 -c "
import json
a = json.load(open('cli.json')); b = json.load(open('api.json'))['links']
# The rate is bytes over the time covered up to now: the two requests ask a
# moment apart, so it may move a little; every other field is equal.
ra = [r.pop('rate') for r in a]; rb = [r.pop('rate') for r in b]
assert a == b, (a, b)
assert all(x is None and y is None or abs(x - y) <= 0.05 * max(x, y) for x, y in zip(ra, rb)), (ra, rb)
assert len(a) == 1 and a[0]['from'] == 'T1_Src'"
EOT

test_expect_success 'every page answers well-formed HTML with as-of, query time and security headers' - <<\EOT
	for p in / /links /links/T1_Src/T2_Dst /nodes /nodes/T2_Dst /errors /agents /subscriptions /subscriptions/1 \
	         /data "/data?dataset=/Web/Run1/RAW" "/data?lfn=/store/*" "/?period=7d&by=dst" "/?period=24h&by=src"; do
		test "$(get "$p" page.html)" = 200 || { echo "$p"; exit 1; }
		wellformed page.html || { echo "$p"; exit 1; }
		grep -q "as of <time>" page.html && grep -q "query [0-9]* ms" page.html || { echo "$p"; exit 1; }
		grep -qi "^content-security-policy: default-src 'none'; style-src 'unsafe-inline'" page.html.h &&
		grep -qi "^x-content-type-options: nosniff" page.html.h && grep -qi "^referrer-policy: no-referrer" page.html.h ||
			{ echo "$p headers"; exit 1; }
	done &&
	get /agents ag.html >/dev/null && grep -q ">download<" ag.html &&
	get "/subscriptions/1" s.html >/dev/null && grep -q "done" s.html &&
	test "$(get '/data?lfn=/store/*' f.html)" = 200 && test "$(grep -c '<td data-key="lfn">/store/demo' f.html)" = 5
EOT

test_expect_success 'markup in an LFN, an error log and a dataset name is escaped (raw bytes)' - <<\EOT
	get /errors e.html >/dev/null && get /data d.html >/dev/null &&
	get "/data?lfn=/store/xss/*" l.html >/dev/null &&
	cat e.html d.html l.html >all.html &&
	! grep -q "<script" all.html && ! grep -q "<img" all.html &&
	grep -q "&lt;img src=x onerror=alert(&quot;log&quot;)&gt;" e.html &&
	grep -q "bad byte   here" e.html &&
	grep -q "&lt;script&gt;alert(&quot;ds&quot;)" d.html &&
	grep -q "&lt;script&gt;alert(&quot;lfn&quot;)" l.html &&
	grep -q "href=\"/data?lfn=%2Fstore%2Fxss%2F%22%3E%3Cscript%3E" e.html &&
	get /api/v1/errors e.json >/dev/null && python3 -c "
import json; d = json.load(open('e.json'))
assert any('<img src=x onerror=alert(\"log\")>' in (r['log'] or '') for r in d['errors']), d"
EOT

chrome () {
	HOME=$W/chrome-home timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--user-data-dir="$W/chrome" "$@" 2>>"$W/chrome.log"
}
test_expect_success 'in Chromium: the markup is text, not elements (positive control: the text is there)' - <<\EOT
	mkdir -p "$W/chrome-home" &&
	chrome --dump-dom "$URL/errors?refresh=0" >e.dom &&
	grep -q "onerror=alert" e.dom && ! grep -q "<img" e.dom &&
	chrome --dump-dom "$URL/data?refresh=0" >d.dom &&
	grep -q "alert(\"ds\")" d.dom && ! grep -q "<script" d.dom &&
	chrome --dump-dom "$URL/?refresh=0" >o.dom && grep -q "<svg" o.dom && grep -q "T1_Src → T2_Dst" o.dom &&
	chrome --screenshot="$ART/webmon-overview-light.png" --window-size=1280,900 "$URL/?refresh=0" &&
	chrome --screenshot="$ART/webmon-overview-dark.png" --window-size=1280,900 --force-dark-mode \
		--blink-settings=preferredColorScheme=0 "$URL/?refresh=0" &&
	test -s "$ART/webmon-overview-light.png" && test -s "$ART/webmon-overview-dark.png"
EOT

test_expect_success 'SQL and LIKE metacharacters in parameters are data' - <<\EOT
	test "$(get "/data?lfn=%27%3B%20drop%20table%20files%3B--" x.html)" = 200 &&
	test "$(get "/data?lfn=%25*" x.html)" = 200 && ! grep -q '<td data-key="lfn">' x.html &&
	test "$(get "/data?lfn=/store/xss/%22%3E%3Cscript%3Ealert(%22lfn%22)%3C/script%3E%25_*" x.html)" = 200 &&
	test "$(grep -c '<td data-key="lfn">' x.html)" = 1 &&
	test "$(get "/data?lfn=/store/demo/_Web_Run1_RAW/000_*" x.html)" = 200 && ! grep -q '<td data-key="lfn">' x.html &&
	test "$(get "/links/T1_Src'--/T2_Dst" x.html)" = 404 &&
	test "$(get "/subscriptions/1%20or%201=1" x.html)" = 404 &&
	test "$(get "/errors?from=%27%20or%20%271%27=%271" x.html)" = 200 &&
	sql_eq 6 "select count(*) from files"
EOT

test_expect_success 'bad parameters get a 400 naming them; other methods a 405 with Allow' - <<\EOT
	test "$(get "/?period=2h" x.html)" = 400 && grep -q "parameter &#39;period&#39;: bad value" x.html &&
	test "$(get "/api/v1/?bogus=1" x.json)" = 400 && grep -q "parameter 'bogus': unknown parameter" x.json &&
	test "$(get "/?refresh=3601" x.html)" = 400 && grep -q "refresh" x.html &&
	test "$(curl -sS -o x -D h -w '%{http_code}' -X POST "$URL/")" = 405 && grep -qi "^allow: GET, HEAD" h &&
	test "$(get /nowhere x.html)" = 404
EOT

test_expect_success '/metrics: counters from the counters table, labels escaped, the database up' - <<\EOT
	test "$(get /metrics m.txt)" = 200 &&
	grep -q "^phedex_link_files_total{from=\"T1_Src\",to=\"T2_Dst\",outcome=\"done\"} 5$" m.txt &&
	grep -q "^phedex_webmon_db_up 1$" m.txt &&
	grep -q "^phedex_node_replica_files{node=\"T2_Dst\"} 5$" m.txt &&
	grep -q "^phedex_requests{node=\"T2_Dst\",state=\"done\"} 5$" m.txt &&
	grep -q "^phedex_link_errors_total{from=\"T1_Src\",to=\"T2_Dst\",reason=\"transfer\",permanent=\"false\"} 1$" m.txt &&
	grep -q "^phedex_agent_up{node=\"T2_Dst\",agent=\"download\"" m.txt &&
	grep -q "^phedex_webmon_request_duration_seconds_bucket" m.txt &&
	test "$(get /healthz h.txt)" = 200 && test "$(get /api/v1/version v.json)" = 200
EOT

test_expect_success '/errors: exact counts over whole hours and their edges; a long log cut, with its size' - <<\EOT
	psql "$OWNER_DB" -XAtq -c "INSERT INTO errors (file, from_node, to_node, reason, log, time)
	  SELECT (SELECT min(id) FROM files), a.id, b.id, 'checksum', 'adler32 mismatch', now() - t
	  FROM nodes a, nodes b, (VALUES (interval '3 hours'), (interval '3 hours 10 minutes'), (interval '30 hours')) v (t)
	  WHERE a.name = 'T1_Src' AND b.name = 'T2_Dst'" \
	  -c "INSERT INTO errors (file, from_node, to_node, reason, log) SELECT (SELECT min(id) FROM files), a.id, b.id,
	  'size', repeat('size mismatch; ', 400) FROM nodes a, nodes b WHERE a.name = 'T1_Src' AND b.name = 'T2_Dst'" &&
	for p in 1h 24h 7d; do test "$(get "/api/v1/errors?period=$p" "e$p.json")" = 200 || exit 1; done &&
	python3 -c "
import json
def rows(p): return {r['reason']: r for r in json.load(open('e%s.json' % p))['errors'] if r['from'] == 'T1_Src'}
assert 'checksum' not in rows('1h'), rows('1h')
assert rows('24h')['checksum']['n'] == 2 and rows('7d')['checksum']['n'] == 3, (rows('24h'), rows('7d'))
s = rows('1h')['size']
assert s['n'] == 1 and s['log_bytes'] == 6000 and s['log'] == ('size mismatch; ' * 400)[:1000], s" &&
	get "/errors?period=1h&refresh=0" long.html >/dev/null && wellformed long.html &&
	grep -q "full text (6000 bytes)" long.html
EOT

test_expect_success 'PostgreSQL stopped: a 503 banner, a JSON error, db_up 0; back without restarting webmon' - <<\EOT
	px_pg_stop "$W/pg" &&
	test "$(get "/?refresh=0" down.html)" = 503 && grep -q "database unreachable since" down.html &&
	grep -qi "^retry-after:" down.html.h && wellformed down.html &&
	test "$(get /api/v1/links down.json)" = 503 && python3 -c "import json; assert 'error' in json.load(open('down.json'))" &&
	test "$(get /metrics m.txt)" = 200 && grep -q "^phedex_webmon_db_up 0$" m.txt &&
	test "$(get /healthz h.txt)" = 503 &&
	pg=$W/pg && port=$(echo "$OWNER_DB" | sed "s/.*port=\([0-9]*\).*/\1/") &&
	as= && { [ "$(id -u)" != 0 ] || as="runuser -u postgres --"; } &&
	$as "$PG_BINDIR/pg_ctl" -D "$pg/data" -l "$pg/postgres.log" -w -t 60 \
		-o "-k $pg -p $port -c listen_addresses='' -c fsync=off -c max_connections=200" start >/dev/null &&
	wait_for 60 "test \"\$(get '/?refresh=0' up.html)\" = 200" && grep -q "as of" up.html &&
	kill -0 $(cat "$W/webmon.pid")
EOT

test_done
