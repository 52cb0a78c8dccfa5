#!/bin/sh
# The older ProdAgent job report, end to end: reports with <Size>,
# <Checksum Algorithm="adler32|cksum">, <Datasets><DatasetInfo> and a root
# Status / <ExitCode>, handed off as a directory.  A report whose values match
# the file on the node's storage is injected under the dataset it names; a
# wrong adler32 or a wrong cksum rejects the report and writes nothing; a
# failed ProdAgent job injects nothing and holds its primary unmerged input.
# The delete agent then counts the merged job's input, already missing from
# storage, as gone (not an error), and keeps the held one.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=1
export PX_STALE PX_HEARTBEAT PX_POLL
N=T1_PA_Prod
P=$W/sites/$N/storage
TFC="--tfc $W/sites/$N/storage.xml"
R=$top_srcdir/tests/data/jobreports
L=/store/relval/CMSSW_3_1_0/RelValTTbar/GEN-SIM-RECO/MC_31X_V1-v1/0001/2C8B4B5E-BF5A-DE11-8B6F-001D09F24FBA.root
D=/RelValTTbar/CMSSW_3_1_0-MC_31X_V1-v1/GEN-SIM-RECO

# report SIZE ADLER32 CKSUM > FILE: prodagent-merge.xml with these values
report () {
	sed -e "s#<Size>1048576</Size>#<Size>$1</Size>#" \
	    -e "s#<Checksum Algorithm=\"adler32\">1b2c0f0e<#<Checksum Algorithm=\"adler32\">$2<#" \
	    -e "s#<Checksum Algorithm=\"cksum\">2051147330<#<Checksum Algorithm=\"cksum\">$3<#" \
	    -e "s#<Checksum>2051147330</Checksum>#<Checksum>$3</Checksum>#" "$R/prodagent-merge.xml"
}

state () { sql "select state || ':' || coalesce(reason, '') from unmerged where lfn like '%$1'"; }

fixture tmdb
fixture site $N

test_expect_success 'the merged file on storage, its report with its true size and checksums' '
	mkdir -p "$P${L%/*}" && head -c 123457 /dev/urandom >"$P$L" &&
	sums=$(phedex checksum "$P$L" | cut -f2) &&
	a=$(echo "$sums" | sed "s/.*adler32:\([0-9a-f]*\).*/\1/") &&
	c=$(echo "$sums" | sed "s/.*cksum:\([0-9]*\).*/\1/") &&
	test -n "$a" && test -n "$c" &&
	echo "$a $c" >"$W/sums" && mkdir reports &&
	report 123457 "$a" "$c" >reports/FrameworkJobReport-1.xml &&
	grep -q "<Size>123457</Size>" reports/FrameworkJobReport-1.xml
'
read A C <"$W/sums" 2>/dev/null

test_expect_success 'a wrong adler32 in the report: rejected, nothing written' '
	report 123457 00000001 "$C" >bad-adler.xml &&
	test_expect_code 1 phedex handoff --node $N $TFC bad-adler.xml >out 2>err &&
	grep -q "bad-adler.xml:[0-9]*: output .*2C8B4B5E-BF5A-DE11-8B6F-001D09F24FBA.root. at $N has checksum .*, the report says" err &&
	grep -q "0 injected, 0 duplicate, 0 failed-job, 0 nothing to hand off, 1 rejected" out &&
	test "$(sql "select count(*) from files") $(sql "select count(*) from unmerged") $(sql "select count(*) from handoff_reports")" = "0 0 0"
'

test_expect_success 'a wrong cksum in the report: rejected, nothing written' '
	report 123457 "$A" 1 >bad-cksum.xml &&
	test_expect_code 1 phedex handoff --node $N $TFC bad-cksum.xml >out 2>err &&
	grep -q "bad-cksum.xml:[0-9]*: output .* has checksum .*, the report says" err &&
	test "$(sql "select count(*) from files") $(sql "select count(*) from handoff_reports")" = "0 0"
'

test_expect_success 'a directory of reports: the matching one injected under the dataset it names' '
	phedex handoff --node $N $TFC reports >out && cat out &&
	grep -q "^1 injected, 0 duplicate, 0 failed-job, 0 nothing to hand off, 0 rejected (0 conflicts) at $N: 1 merged files (.*), 1 merge parents, 1 unmerged files recorded, 0 held" out &&
	test "$(sql "select bytes || checksum || guid from files where lfn = '"'$L'"'")" = "123457adler32:$A,cksum:${C}2C8B4B5E-BF5A-DE11-8B6F-001D09F24FBA" &&
	test "$(sql "select d.name from datasets d join blocks b on b.dataset = d.id join files f on f.block = b.id")" = "$D" &&
	test "$(sql "select count(*) from merges")" = 1
'

test_expect_success 'the same directory again: duplicate, nothing changed' '
	phedex handoff --node $N $TFC reports >out &&
	grep -q "^0 injected, 1 duplicate" out &&
	test "$(sql "select count(*) from files") $(sql "select count(*) from merges")" = "1 1"
'

test_expect_success 'on a terminal, progress on stderr; not when stderr is not one' '
	cp reports/FrameworkJobReport-1.xml reports/FrameworkJobReport-2.xml &&
	script -qec "phedex handoff --node $N $TFC reports >out" /dev/null >tty.txt &&
	grep -q "phedex handoff: 1/2 reports" tty.txt && grep -q "^0 injected, 2 duplicate" out &&
	phedex handoff --node $N $TFC reports >out 2>err && ! grep -q "reports" err
'

test_expect_success 'a failed ProdAgent job (Status, ExitCode): nothing injected, its primary unmerged input held' '
	sed "s#/0001/A1.root#/0002/A2.root#g; s#/0001/2C8B4B5E#/0002/2C8B4B5E#" "$R/prodagent-failed.xml" >failed.xml &&
	phedex handoff --node $N $TFC failed.xml >out && cat out &&
	grep -q "failed.xml: failed-job: " out &&
	grep -q "0 injected, 0 duplicate, 1 failed-job" out &&
	test "$(sql "select count(*) from files")" = 1 &&
	test "$(sql "select count(*) from unmerged_holds where released is null and lfn like '"'%/0002/A2.root'"'")" = 1
'

test_expect_success 'the delete agent: the merged input already missing from storage counts as gone, the held one stays' '
	test ! -e "$P/store/unmerged/CMSSW_3_1_0/RelValTTbar/GEN-SIM-RECO/MC_31X_V1-v1/0001/A1.root" &&
	start_agents $N &&
	wait_for 30 "test \"\$(state /0001/A1.root)\" = deleted:" &&
	state /0002/A2.root | grep -q "^waiting:held: " &&
	phedex unmerged --node $N --json >u.json &&
	python3 -c "
import json; d = json.load(open(\"u.json\"))
s = {r[\"state\"]: r for r in d[\"states\"]}
assert s[\"deleted\"][\"files\"] == 1, s
assert \"failed\" not in s or s[\"failed\"][\"files\"] == 0, s"
'

test_done
