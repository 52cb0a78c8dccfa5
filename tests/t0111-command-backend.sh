#!/bin/sh
# A destination whose transfers go through the site's own copy command
# ([transfer] command), with verify at rest and a POOL catalogue kept by the
# publish agent.  Every case waits for the 12 files itself.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=1
export PX_STALE PX_HEARTBEAT PX_POLL
DS=/Test/Hooks/RAW
D=store/demo/_Test_Hooks_RAW
S=$W/sites/T1_CH_Source/storage

cat >"$W/mycopy.sh" <<EOF
#!/bin/sh
mkdir -p "\$(dirname "\$2")" && echo "mycopy \$1" >>"$W/mycopy.log" && exec cp "\$1" "\$2"
EOF
chmod +x "$W/mycopy.sh"
fixture tmdb
fixture sites T1_CH_Source T2_CMD
fixture conf T2_CMD <<EOF
[transfer]
command = $W/mycopy.sh
[verify]
at-rest-sample = 100
at-rest-age = 1
[publish]
pool-catalog = $W/T2_CMD-catalog.xml
EOF
fixture link T1_CH_Source T2_CMD
fixture dataset T1_CH_Source $DS 12 8
fixture subscribe --node T2_CMD --dataset $DS
fixture agents T1_CH_Source T2_CMD
delivered () { wait_for 60 at_is T2_CMD "" 12; }

test_expect_success 'the command backend copied every file with the site tool; verify read the copies back' - <<\EOT
	delivered &&
	test $(grep -c "^mycopy $S/$D/" "$W/mycopy.log") -ge 12 &&
	for f in "$S/$D"/*.root; do cmp "$f" "$W/sites/T2_CMD/storage/$D/${f##*/}" || exit 1; done &&
	n=$(sql "select count(*) from tasks t join nodes n on n.id = t.to_node
	         where n.name = 'T2_CMD' and t.seen_checksum is null") &&
	test "$n" -ge 12
EOT

test_expect_success 'verify at rest finds a replica corrupted on disk; it is marked bad and fetched again' - <<\EOT
	delivered &&
	f="$W/sites/T2_CMD/storage/$D/0006.root" &&
	printf "XXXX" | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null &&
	! cmp -s "$S/$D/0006.root" "$f" &&
	wait_for 30 sql_eq 1 "select 1 from errors where reason = 'at-rest' limit 1" &&
	sql "select log from errors where reason = 'at-rest'" | grep -q "adler32 mismatch" &&
	wait_for 30 cmp -s "$S/$D/0006.root" "$f" &&
	delivered
EOT

test_expect_success 'the publish agent keeps a POOL catalogue; phedex catalog export writes the same' - <<\EOT
	delivered &&
	wait_for 60 "test -f \"$W/T2_CMD-catalog.xml\" && test \$(grep -c \"<File \" \"$W/T2_CMD-catalog.xml\") = 12" &&
	phedex catalog export --node T2_CMD -o exported.xml >out && grep -q "wrote 12 files of T2_CMD" out &&
	python3 - "$W/sites/T2_CMD/storage" "$W/T2_CMD-catalog.xml" <<-\EOF &&
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
	b = {f.find("logical/lfn").get("name"): f.get("ID") for f in ET.parse(sys.argv[2]).getroot().findall("File")}
	assert a == b
	EOF
	test_expect_code 1 phedex catalog export --node T9_None 2>err && grep -q "unknown node .T9_None." err
EOT

test_expect_success 'phedex catalog list reads back what export wrote (GUID, LFN, PFN)' - <<\EOT
	delivered &&
	phedex catalog export --node T2_CMD -o listed.xml >/dev/null &&
	phedex catalog list --json listed.xml >list.json &&
	python3 - <<-\EOF
	import json, xml.etree.ElementTree as ET
	want = sorted((f.get("ID"), f.find("logical/lfn").get("name"), f.find("physical/pfn").get("name"))
	              for f in ET.parse("listed.xml").getroot().findall("File"))
	got = sorted((r["guid"], r["lfn"], r["pfn"]) for r in json.load(open("list.json")))
	assert len(got) == 12 and got == want, (got, want)
	EOF
EOT

test_expect_success 'SIGTERM stops every agent' - <<\EOT
	stop_agents T1_CH_Source T2_CMD &&
	wait_for 20 "! pgrep -f \"phedex-agent --config $W/\" >/dev/null"
EOT
test_done
