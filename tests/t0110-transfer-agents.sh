#!/bin/sh
# The download agent's site-facing features, end to end with real agents:
# the command backend, validate-command (skip, veto, post-check), per-link
# concurrency, timeouts and permanent errors, verify at rest, and the POOL
# catalogue (written by the publish agent and by `phedex catalog export`).
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
PORT=$((57000 + $$ % 1000))
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=1
export PX_STALE PX_HEARTBEAT PX_POLL
DS=/Test/Hooks/RAW
D=store/demo/_Test_Hooks_RAW
S=$W/sites/T1_CH_Source/storage

test_expect_success 'a TMDB, a source and four differently configured destinations' '
	px_pg_start "$W/pg" $PORT && echo "$PHEDEX_DB" >"$W/db" && phedex db init >/dev/null &&
	px_site T1_CH_Source "$W/sites" "
  <lfn-to-pfn protocol=\"direct\" destination-match=\"T2_LIM\" path-match=\"/+store/(.*)\" result=\"null://$S/store/\$1?time=0.4\"/>
  <lfn-to-pfn protocol=\"direct\" destination-match=\"T2_TMO\" path-match=\"/+store/(.*/0003[.]root)\" result=\"null://$S/store/\$1?time=5\"/>
  <lfn-to-pfn protocol=\"direct\" destination-match=\"T2_TMO\" path-match=\"/+store/(.*/0004[.]root)\" result=\"$S/nowhere/\$1\"/>" &&
	for n in T2_CMD T2_VAL T2_LIM T2_TMO; do px_site $n "$W/sites" || exit 1; done &&
	phedex node add T1_CH_Source T2_CMD T2_VAL T2_LIM T2_TMO >/dev/null &&
	for n in T2_CMD T2_VAL T2_LIM T2_TMO; do phedex link add T1_CH_Source $n >/dev/null || exit 1; done &&
	cat >"$W/mycopy.sh" <<-EOS &&
	#!/bin/sh
	mkdir -p "\$(dirname "\$2")" && echo "mycopy \$1" >>"$W/mycopy.log" && exec cp "\$1" "\$2"
	EOS
	cat >"$W/validate.sh" <<-EOS &&
	#!/bin/sh
	echo "\$*" >>"$W/validate.log"
	case "\$1:\$2" in
	pre:*/0001.root) test -f "\$2" && exit 0 ;;
	pre:*/0002.root) echo "site policy: not here"; exit 86 ;;
	pre:*) exit 1 ;;
	*) test "\$1" = 0 && test "\$(stat -c %s "\$2")" = "\$3" ;;
	esac
	EOS
	chmod +x "$W/mycopy.sh" "$W/validate.sh" &&
	cat >>"$W/sites/T2_CMD/site.conf" <<-EOS &&
	[transfer]
	command = $W/mycopy.sh
	[verify]
	at-rest-sample = 100
	at-rest-age = 1
	[publish]
	pool-catalog = $W/T2_CMD-catalog.xml
	EOS
	printf "[download]\nvalidate-command = %s\n" "$W/validate.sh" >>"$W/sites/T2_VAL/site.conf" &&
	printf "[download]\nconcurrency = 8\nlink-concurrency = 2\nbatch = 8\n" >>"$W/sites/T2_LIM/site.conf" &&
	printf "[download]\ntimeout-base = 1\ntimeout-min-rate = 1000000000\n[router]\nmax-attempts = 2\nretry-delay-max = 3600\n" \
		>>"$W/sites/T2_TMO/site.conf" &&
	px_dataset T1_CH_Source "$W/sites" $DS 12 8 >inject.xml &&
	phedex inject --node T1_CH_Source --tfc "$W/sites/T1_CH_Source/storage.xml" inject.xml >/dev/null &&
	mkdir -p "$W/sites/T2_VAL/storage/$D" && cp "$S/$D/0001.root" "$W/sites/T2_VAL/storage/$D/0001.root" &&
	for n in T2_CMD T2_VAL T2_LIM T2_TMO; do phedex subscribe --node $n --dataset $DS >/dev/null || exit 1; done
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB
active_on () { sql "select count(*) from tasks t join nodes n on n.id = t.to_node where n.name = '$1' and t.state = 'active'"; }
replicas_at () { at "$1" ""; }
test_expect_success 'the agents start; the limited link never has more than 2 active transfers' '
	(while :; do active_on T2_LIM; sleep 0.1; done) >"$W/lim-samples" 2>/dev/null &
	echo $! >"$W/sampler.pid" &&
	for n in T1_CH_Source T2_CMD T2_VAL T2_LIM T2_TMO; do start_agents $n || exit 1; done &&
	wait_for 60 "test \$(replicas_at T2_LIM) = 12" &&
	kill $(cat "$W/sampler.pid") &&
	sort -n "$W/lim-samples" | tail -n 1 >max && test "$(cat max)" = 2
'

test_expect_success 'the command backend copied every file with the site tool; verify read the copies back' '
	wait_for 60 "test \$(replicas_at T2_CMD) = 12" &&
	test $(grep -c "^mycopy $S/$D/" "$W/mycopy.log") -ge 12 &&
	for f in "$S/$D"/*.root; do cmp "$f" "$W/sites/T2_CMD/storage/$D/${f##*/}" || exit 1; done &&
	sql "select count(*) from tasks t join nodes n on n.id = t.to_node where n.name = '"'T2_CMD'"' and t.seen_checksum is null" >n &&
	test "$(cat n)" -ge 12
'

test_expect_success 'validate-command: a file already there is not copied, a veto fails the attempt, copies are post-checked' '
	wait_for 60 "test \$(replicas_at T2_VAL) = 11" &&
	grep -q "^pre .*/0001.root" "$W/validate.log" &&
	! grep -q "^0 .*0001.root" "$W/validate.log" &&
	grep -q "^0 .*/0005.root.phedex-[0-9]*-1.part [0-9]* adler32:" "$W/validate.log" &&
	sql "select log from errors where reason = '"'validate'"'" >veto &&
	grep -q "vetoed.*0002.root.*site policy: not here" veto &&
	cmp "$S/$D/0005.root" "$W/sites/T2_VAL/storage/$D/0005.root"
'

test_expect_success 'a transfer over its size-scaled timeout fails as transient; a missing source as permanent' '
	wait_for 60 "test \$(replicas_at T2_TMO) = 10" &&
	wait_for 30 "test -n \"\$(sql \"select 1 from errors e join files f on f.id = e.file where f.lfn like '"'%0003.root'"' and e.log like '"'%timed out%'"' and not e.permanent\")\"" &&
	wait_for 30 "test -n \"\$(sql \"select 1 from errors e join files f on f.id = e.file where f.lfn like '"'%0004.root'"' and e.permanent\")\"" &&
	test -z "$(sql "select 1 from tasks t join files f on f.id = t.file join nodes n on n.id = t.to_node where n.name = '"'T2_TMO'"' and f.lfn like '"'%0004.root'"' and t.state = '"'queued'"' and t.next_try < now() + interval '"'1800 seconds'"'")" &&
	test ! -e "$W/sites/T2_TMO/storage/$D/0003.root"
'

test_expect_success 'verify at rest finds a replica corrupted on disk; it is marked bad and fetched again' '
	f="$W/sites/T2_CMD/storage/$D/0006.root" &&
	printf "XXXX" | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null &&
	! cmp -s "$S/$D/0006.root" "$f" &&
	wait_for 30 "test -n \"\$(sql \"select 1 from errors where reason = '"'at-rest'"'\")\"" &&
	sql "select log from errors where reason = '"'at-rest'"'" | grep -q "adler32 mismatch" &&
	wait_for 30 "cmp -s \"$S/$D/0006.root\" \"$f\"" &&
	wait_for 30 "test \$(replicas_at T2_CMD) = 12"
'

test_expect_success 'the publish agent keeps a POOL catalogue; phedex catalog export writes the same' '
	wait_for 60 "test -f \"$W/T2_CMD-catalog.xml\" && test \$(grep -c \"<File \" \"$W/T2_CMD-catalog.xml\") = 12" &&
	phedex catalog export --node T2_CMD -o exported.xml >out && grep -q "wrote 12 files of T2_CMD" out &&
	python3 - "$W/sites/T2_CMD/storage" <<-EOP
	import os, re, sys, xml.etree.ElementTree as ET
	root = ET.parse("exported.xml").getroot()
	assert root.tag == "POOLFILECATALOG"
	files = root.findall("File")
	assert len(files) == 12, len(files)
	for f in files:
	    assert re.fullmatch(r"[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}", f.get("ID")), f.get("ID")
	    pfn = f.find("physical/pfn").get("name"); lfn = f.find("logical/lfn").get("name")
	    assert pfn == sys.argv[1] + lfn, (pfn, lfn)
	    assert os.path.exists(pfn), pfn
	a = {f.find("logical/lfn").get("name"): f.get("ID") for f in files}
	b = {f.find("logical/lfn").get("name"): f.get("ID") for f in ET.parse("$W/T2_CMD-catalog.xml").getroot().findall("File")}
	assert a == b
	EOP
	test_expect_code 1 phedex catalog export --node T9_None 2>err && grep -q "unknown node .T9_None." err
'

test_expect_success 'phedex catalog list reads back what export wrote (GUID, LFN, PFN)' '
	phedex catalog list --json exported.xml >list.json &&
	python3 - <<-EOP
	import json, xml.etree.ElementTree as ET
	want = sorted((f.get("ID"), f.find("logical/lfn").get("name"), f.find("physical/pfn").get("name"))
	              for f in ET.parse("exported.xml").getroot().findall("File"))
	got = sorted((r["guid"], r["lfn"], r["pfn"]) for r in json.load(open("list.json")))
	assert len(got) == 12 and got == want, (got, want)
	EOP
'

test_expect_success 'SIGTERM stops every agent' '
	for n in T1_CH_Source T2_CMD T2_VAL T2_LIM T2_TMO; do kill -TERM $(cat "$W/sites/$n/agents.pid"); done &&
	wait_for 20 "! pgrep -f \"phedex-agent --config $W/\" >/dev/null"
'
test_done
