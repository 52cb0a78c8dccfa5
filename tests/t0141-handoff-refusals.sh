#!/bin/sh
# The unmerged cleanup's remaining refusals, proven with real agents and real
# files: a report with no outputs hands off nothing and makes nothing
# deletable; inputs of a merged file whose replica at the node is not good
# wait as merged-not-verified; a file the backend cannot remove (an
# immutable directory) waits as delete-failed with its error and is retried
# with back-off; a delete agent killed with kill -9 mid-batch resumes with
# correct totals, nothing left behind or counted twice.  Orphans (no merge
# record, no hold) are listed from storage or a dump with bytes and age and
# deleted only with --delete-orphans --older-than AGE --yes; a listing that
# breaks part-way deletes nothing.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=1
export PX_STALE PX_HEARTBEAT PX_POLL
N=T1_YY_Prod
P=$W/sites/$N/storage
U=/store/unmerged/Run2024D/ZeroBias/AOD/PromptReco-v1
MD=/store/data/Run2024D/ZeroBias/AOD/PromptReco-v1/000
TFC="--tfc $W/sites/$N/storage.xml"
state () { sql "select state || ':' || coalesce(reason, '') from unmerged where lfn like '%$1%'"; }

# mkreport MERGED-LFN GUID INPUT-LFN...: a successful merge job's report in
# the cmsRun shape (no size, checksum or dataset); MERGED-LFN '-': no output.
mkreport () {
	_m=$1 _g=$2; shift 2
	echo "<FrameworkJobReport>"
	for _i; do printf '<InputFile>\n<State  Value="closed"/>\n<LFN>%s</LFN>\n<PFN>file:%s</PFN>\n<Catalog></Catalog>\n<ModuleLabel>source</ModuleLabel>\n<GUID></GUID>\n<InputType>primaryFiles</InputType>\n<InputSourceClass>PoolSource</InputSourceClass>\n<EventsRead>10</EventsRead>\n</InputFile>\n' "$_i" "$_i"; done
	if [ "$_m" != - ]; then
		printf '<File>\n<State  Value="closed"/>\n<LFN>%s</LFN>\n<PFN>Merged.root</PFN>\n<Catalog></Catalog>\n<ModuleLabel>Merged</ModuleLabel>\n<GUID>%s</GUID>\n<OutputModuleClass>PoolOutputModule</OutputModuleClass>\n<TotalEvents>10</TotalEvents>\n<DataType>Data</DataType>\n<Inputs>\n' "$_m" "$_g"
		for _i; do printf '<Input>\n  <LFN>%s</LFN>\n  <PFN>file:%s</PFN>\n  <FastCopying>0</FastCopying>\n</Input>\n' "$_i" "$_i"; done
		echo "</Inputs>"; echo "</File>"
	fi
	echo '<PerformanceReport></PerformanceReport>'
	echo "</FrameworkJobReport>"
}
mkfiles () { for _l; do mkdir -p "$P$(dirname "$_l")" && head -c 1001 /dev/urandom >"$P$_l" || return 1; done; }

fixture tmdb
fixture site $N
fixture conf $N <<EOF
[delete]
unmerged-batch = 1000
unmerged-retry-delay = 1
unmerged-retry-delay-max = 2
EOF
test_at_exit "chattr -i $P$U/ro 2>/dev/null"

test_expect_success 'a report with no outputs: nothing handed off, its inputs recorded, none deletable' '
	A=$U/empty/A0000000-0000-0000-0000-000000000001.root && mkfiles $A &&
	mkreport - - $A >empty.xml &&
	phedex handoff --node $N $TFC empty.xml "$top_srcdir/tests/data/jobreports/cmsrun-empty.xml" >out &&
	grep -q "^empty.xml: nothing" out && grep -q "cmsrun-empty.xml: nothing" out &&
	grep -q "^0 injected, 0 duplicate, 0 failed-job, 2 nothing to hand off, 0 rejected" out &&
	test "$(sql "select count(*) from files") $(sql "select count(*) from merges") $(sql "select count(*) from unmerged")" = "0 0 1"
'

test_expect_success 'a merged file whose replica at the node is not good: its inputs wait as merged-not-verified' '
	B1=$U/nv/B1000000-0000-0000-0000-000000000001.root B2=$U/nv/B2000000-0000-0000-0000-000000000002.root &&
	mkfiles $B1 $B2 $MD/Merged_nv.root &&
	mkreport $MD/Merged_nv.root B0000000-0000-0000-0000-0000000000BB $B1 $B2 >nv.xml &&
	phedex handoff --node $N $TFC nv.xml >out && grep -q "^1 injected" out &&
	sql "update replicas set state = '"'bad'"' where file = (select id from files where lfn like '"'%Merged_nv.root'"')" &&
	C1=$U/ro/C1000000-0000-0000-0000-000000000001.root && mkfiles $C1 $MD/Merged_ro.root &&
	mkreport $MD/Merged_ro.root C0000000-0000-0000-0000-0000000000CC $C1 >ro.xml &&
	phedex handoff --node $N $TFC ro.xml >out && grep -q "^1 injected" out &&
	chattr +i "$P$U/ro" &&
	start_agents $N &&
	wait_for 30 "test \"\$(state B1000000)\" = waiting:merged-not-verified" &&
	test "$(state B2000000)" = waiting:merged-not-verified &&
	test "$(state A0000000)" = waiting:no-merge-record &&
	test -f "$P$B1" && test -f "$P$B2" && test -f "$P$U/empty/A0000000-0000-0000-0000-000000000001.root" &&
	phedex unmerged --node $N >sum && cat sum && grep -q "^merged-not-verified  *2  *2.0 kB" sum &&
	grep -q "^orphans: never scanned (phedex unmerged scan --node $N)$" sum
'

test_expect_success 'a file the backend cannot remove waits as delete-failed with its error, retried with back-off' '
	wait_for 30 "state C1000000 | grep -q \"^waiting:delete-failed: \"" &&
	state C1000000 && state C1000000 | grep -qi "permi" &&
	wait_for 30 "test \$(sql \"select attempts from unmerged where lfn like '"'%C1000000%'"'\") -ge 2" &&
	test -f "$P$U/ro/C1000000-0000-0000-0000-000000000001.root" &&
	phedex unmerged --node $N >sum && cat sum && grep -q "^failed  *1 " sum &&
	chattr -i "$P$U/ro" &&
	wait_for 30 "test \"\$(state C1000000)\" = deleted:" && test ! -e "$P$U/ro"
'

test_expect_success 'the replica good again, the merged-not-verified inputs go; the empty report still made nothing deletable' '
	sql "update replicas set state = '"'ok'"' where file = (select id from files where lfn like '"'%Merged_nv.root'"')" &&
	wait_for 30 "test \"\$(state B1000000) \$(state B2000000)\" = \"deleted: deleted:\"" &&
	test ! -e "$P$U/nv" &&
	test "$(state A0000000)" = waiting:no-merge-record && test -f "$P$U/empty/A0000000-0000-0000-0000-000000000001.root" &&
	stop_agents $N
'

K=3000
test_expect_success "a delete agent killed with kill -9 mid-batch resumes with correct totals ($K files)" '
	i=0 && : >inputs && while [ $i -lt $K ]; do
		printf "$U/many/%03d/%08d-0000-0000-0000-000000000000.root\n" $((i / 100)) $i >>inputs; i=$((i + 1)); done &&
	while read l; do mkdir -p "$P${l%/*}" && head -c 1001 /dev/urandom >"$P$l" || exit 1; done <inputs &&
	mkfiles $MD/Merged_many.root &&
	mkreport $MD/Merged_many.root D0000000-0000-0000-0000-0000000000DD $(cat inputs) >many.xml &&
	phedex handoff --node $N $TFC many.xml >out && cat out && grep -q "$K merge parents" out &&
	test "$(sql "select sum(bytes) from unmerged where lfn like '"'%/many/%'"'")" = $((K * 1001)) &&
	deleted () { sql "select count(*) from unmerged where lfn like '"'%/many/%'"' and state = '"'deleted'"'"; } &&
	{ phedex-agent --config "$W/sites/$N/site.conf" delete >>"$W/sites/$N/log/delete1.log" 2>&1 & } &&
	pid=$! && test_at_exit "kill -9 $pid 2>/dev/null" &&
	until [ "$(deleted)" -gt 0 ]; do sleep 0.01; done && kill -9 $pid; wait $pid; killed=$(deleted) &&
	claimed=$(sql "select count(*) from unmerged where state = '"'deleting'"'") &&
	echo "killed after $killed of $K, $claimed claimed and not done" &&
	# (On a loaded machine the kill may land between two batches: claimed = 0.
	# The resume must give the right totals either way.)
	test "$killed" -lt $K &&
	left=$(find "$P$U/many" -name "*.root" | wc -l) && test $((killed + left)) -le $K &&
	{ phedex-agent --config "$W/sites/$N/site.conf" delete >>"$W/sites/$N/log/delete2.log" 2>&1 & } &&
	pid2=$! && test_at_exit "kill -TERM $pid2 2>/dev/null" &&
	wait_for 120 "test \$(deleted) = $K" && kill -TERM $pid2 && wait $pid2 &&
	test ! -e "$P$U/many" && test -d "$P$U" &&
	test "$(sql "select count(*) || '"'|'"' || sum(bytes) || '"'|'"' || max(attempts) from unmerged where lfn like '"'%/many/%'"' and state = '"'deleted'"'")" = "$K|$((K * 1001))|0" &&
	phedex unmerged --node $N --json >u.json &&
	python3 -c "
import json; d = json.load(open(\"u.json\"))
s = {r[\"state\"]: r for r in d[\"states\"]}
assert s[\"deleted\"][\"files\"] == $K + 3 and s[\"deleted\"][\"bytes\"] == ($K + 3) * 1001, s
assert \"deleting\" not in s and \"failed\" not in s, s"
'

O1=$U/orph/O1000000-0000-0000-0000-000000000001.root O2=$U/orph/O2000000-0000-0000-0000-000000000002.root
O3=$U/kept/O3000000-0000-0000-0000-000000000003.root
test_expect_success 'phedex unmerged scan: orphans (no merge record, no hold) with bytes and age; nothing deleted' '
	mkfiles $O1 $O2 $O3 &&
	touch -d "3 days ago" "$P$O1" "$P$O3" &&
	phedex unmerged hold --node $N --dir $U/kept --reason "keep for the audit" >/dev/null &&
	phedex unmerged scan --node $N >out && cat out &&
	test "$(grep -c "^/store/unmerged/" out)" = 3 &&
	grep -q "^$O1	1001	2[0-9]*s$" out && grep -q "^$O2	1001	" out && grep -q "^$U/empty/A0000000" out &&
	! grep -q O3000000 out && ! grep -q "/many/" out &&
	grep -q "^3 orphans (3.0.*kB) at $N$" out &&
	test -f "$P$O1" && test -f "$P$O2" && test -f "$P$O3" &&
	phedex unmerged --node $N >u.txt && grep -q "^orphans: 3 (3.0.*kB), the oldest .* old, at the last scan (.*, of the storage)$" u.txt &&
	phedex unmerged --node $N --json >u.json && python3 -c "
import json; o = json.load(open(\"u.json\"))[\"orphans\"]
assert (o[\"files\"], o[\"bytes\"], o[\"source\"]) == (3, 3003, \"storage\") and o[\"oldest_age\"] > 2 * 86400, o"
'

test_expect_success 'phedex unmerged scan --dump: the same from a storage dump (object stores)' '
	{ echo "# lfn bytes mtime" && echo "$O1 5000 1000000000" && echo "/store/data/x/y.root 7 1" &&
	  echo "$O3 9 1000000000" && echo "$U/gone/G.root 12 $(date +%s)"; } >dump.txt &&
	phedex unmerged scan --node $N --dump dump.txt --json >s.json &&
	python3 -c "
import json; d = json.load(open(\"s.json\"))
assert [(o[\"lfn\"].split(\"/\")[-1], o[\"bytes\"], o[\"delete\"]) for o in d[\"orphans\"]] == [
  (\"O1000000-0000-0000-0000-000000000001.root\", 5000, False), (\"G.root\", 12, False)], d
assert d[\"orphans\"][0][\"age\"] > 10**8 and d[\"orphan_bytes\"] == 5012, d" &&
	phedex unmerged --node $N --json >u.json && python3 -c "
import json; o = json.load(open(\"u.json\"))[\"orphans\"]
assert (o[\"files\"], o[\"bytes\"], o[\"source\"], o[\"listed\"]) == (2, 5012, \"dump\", 3) and o[\"oldest_age\"] > 10**8, o" &&
	echo "garbage" >bad.txt && test_expect_code 1 phedex unmerged scan --node $N --dump bad.txt 2>err &&
	grep -q "listing of bad.txt failed, nothing deleted: bad.txt:1: not .LFN BYTES MTIME." err
'

test_expect_success 'a dump that breaks part-way deletes nothing, even with --delete-orphans --yes' '
	{ echo "$O1 5000 1000000000" && echo "$O3 9 1000000000" && echo "truncated"; } >part.txt &&
	test_expect_code 1 phedex unmerged scan --node $N --dump part.txt --delete-orphans --older-than 2d --yes >out 2>err &&
	grep -q "listing of part.txt failed, nothing deleted: part.txt:3: " err &&
	! grep -q "^delete " out && test -f "$P$O1" &&
	phedex unmerged --node $N --json >u.json && python3 -c "
import json; o = json.load(open(\"u.json\"))[\"orphans\"]
assert (o[\"files\"], o[\"source\"]) == (2, \"dump\"), o"
'

test_expect_success 'orphans are deleted only with --delete-orphans --older-than AGE --yes, dry run first, holds respected' '
	test_expect_code 2 phedex unmerged scan --node $N --delete-orphans 2>err &&
	phedex unmerged scan --node $N --delete-orphans --older-than 2d >out && cat out &&
	grep -q "^would delete $O1	" out && ! grep -q "would delete .*O2000000" out &&
	grep -q "dry run: 1 (1.0.*kB) older than 2d would be deleted (--yes to delete)" out &&
	test -f "$P$O1" &&
	phedex unmerged scan --node $N --delete-orphans --older-than 2d --yes >out &&
	grep -q "^delete $O1	" out && grep -q "deleted 1 (1.0.*kB)" out &&
	test ! -e "$P$O1" && test -f "$P$O2" && test -f "$P$O3" && test -f "$P$U/empty/A0000000-0000-0000-0000-000000000001.root" &&
	phedex unmerged --node $N --json >u.json && python3 -c "
import json; o = json.load(open(\"u.json\"))[\"orphans\"]
assert (o[\"files\"], o[\"bytes\"], o[\"source\"]) == (2, 2002, \"storage\"), o"
'

test_done
