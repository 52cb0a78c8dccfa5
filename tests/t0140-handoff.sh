#!/bin/sh
# End to end, the production hand-off: job reports in the real cmsRun shape
# (tests/data/jobreports) at a site with real files, a custodial (MSS) node,
# every agent a separate process.  Merged outputs are read on storage before
# injection; a report handed in twice changes nothing; a conflicting
# Merged.root is refused loudly; a failed merge holds its inputs; unmerged
# inputs are refused deletion until the merged file has its custodial copy,
# then deleted file by file with their emptied directories; an operator's
# hold keeps a file until released.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
PORT=$((56000 + $$ % 1000))
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=1
export PX_STALE PX_HEARTBEAT PX_POLL
R=$top_srcdir/tests/data/jobreports
P=$W/sites/T1_XX_Prod/storage
U=/store/unmerged/Run2024C/SingleMuon/AOD/PromptReco-v1
M=/store/data/Run2024C/SingleMuon/AOD/PromptReco-v1/2820000/Merged.root
state () { sql "select state || ':' || coalesce(reason, '') from unmerged where lfn like '%$1%'"; }

test_expect_success 'a TMDB, a production site and a custodial tape node' '
	px_pg_start "$W/pg" $PORT && echo "$PHEDEX_DB" >"$W/db" &&
	phedex db init >/dev/null &&
	PHEDEX_DB=$(cat "$W/db") && export PHEDEX_DB &&
	phedex node add T1_XX_Prod >/dev/null && phedex node add --kind MSS T1_XX_MSS >/dev/null &&
	phedex link add --both T1_XX_Prod T1_XX_MSS >/dev/null &&
	px_site T1_XX_Prod "$W/sites" && px_site T1_XX_MSS "$W/sites" &&
	for d in 10000 20000 30000 40000; do mkdir -p "$P$U/$d"; done &&
	for g in 10000/7A0DF0A5-8723-4EC5-87F2-FE4DF588708A 20000/2B1C9E44-1F0D-4C21-9A3B-55D0E4A1B7C2 \
		30000/C3D4E5F6-0718-4293-A4B5-C6D7E8F90A1B; do head -c 70001 /dev/urandom >"$P$U/$g.root"; done
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB
TFC="--tfc $W/sites/T1_XX_Prod/storage.xml"

test_expect_success 'a merged output not on storage is refused; nothing is written' '
	test_expect_code 1 phedex handoff --node T1_XX_Prod $TFC "$R/cmsrun-merge.xml" >out 2>err &&
	grep -q "rejected .*cmsrun-merge.xml:[0-9]*: output .*Merged.root. cannot be read at T1_XX_Prod" err &&
	grep -q "0 injected, 0 duplicate, 0 failed-job, 0 nothing to hand off, 1 rejected" out &&
	test "$(sql "select count(*) from files") $(sql "select count(*) from unmerged")" = "0 0"
'

test_expect_success 'the merge report: the merged file is read on storage and injected, its parents recorded' '
	mkdir -p "$P$(dirname $M)" && head -c 210003 /dev/urandom >"$P$M" &&
	phedex handoff --node T1_XX_Prod $TFC "$R/cmsrun-merge.xml" >out &&
	grep -q "^1 injected, 0 duplicate, 0 failed-job, 0 nothing to hand off, 0 rejected (0 conflicts) at T1_XX_Prod: 1 merged files (.*), 3 merge parents, 3 unmerged files recorded, 0 held" out &&
	ck=$(phedex checksum "$P$M" | cut -f2) &&
	test "$(sql "select bytes || checksum || guid from files where lfn = '"'$M'"'")" = "210003${ck}468279CA-66D0-4042-B814-14BA88515A17" &&
	test "$(sql "select d.name from datasets d join blocks b on b.dataset = d.id join files f on f.block = b.id")" = /SingleMuon/Run2024C-PromptReco-v1/AOD &&
	test "$(sql "select count(*) from merges") $(sql "select sum(bytes) from unmerged")" = "3 210003" &&
	test "$(at T1_XX_Prod Merged.root)" = 1
'

test_expect_success 'the same report again changes nothing and says so' '
	{ cat "$R/cmsrun-merge.xml" && echo "<!-- the same job, reported again -->"; } >again.xml &&
	phedex handoff --node T1_XX_Prod $TFC "$R/cmsrun-merge.xml" again.xml >out &&
	grep -q "cmsrun-merge.xml: duplicate: handed off before" out &&
	grep -q "again.xml: duplicate: every output is already in the catalogue, identical: nothing changed" out &&
	grep -q "^0 injected, 2 duplicate" out &&
	test "$(sql "select count(*) from files") $(sql "select count(*) from merges") $(sql "select count(*) from unmerged")" = "1 3 3"
'

test_expect_success 'another Merged.root under the same LFN is a loud conflict' '
	sed "s/468279CA-66D0-4042-B814-14BA88515A17/99999999-66D0-4042-B814-14BA88515A17/" "$R/cmsrun-merge.xml" >other.xml &&
	test_expect_code 1 phedex handoff --node T1_XX_Prod $TFC other.xml >out 2>err &&
	grep -q "other.xml: CONFLICT: outputs already in the catalogue as different files" err &&
	grep -q "Merged.root: catalogue has GUID 468279CA-66D0-4042-B814-14BA88515A17, 210003 bytes" err &&
	grep -q "1 rejected (1 conflicts)" out &&
	test "$(sql "select count(*) from handoff_reports")" = 2
'

test_expect_success 'malformed and mismatching reports are rejected with file, line and reason' '
	test_expect_code 1 phedex handoff --node T1_XX_Prod $TFC "$R/cmsrun-truncated.xml" 2>err &&
	grep -q "rejected .*cmsrun-truncated.xml:[0-9]*: " err &&
	sed "s#/store/relval/CMSSW_3_1_0/RelValTTbar/GEN-SIM-RECO/MC_31X_V1-v1/0001/2C8B4B5E-BF5A-DE11-8B6F-001D09F24FBA.root#$M#" \
		"$R/prodagent-merge.xml" >size.xml &&
	test_expect_code 1 phedex handoff --node T1_XX_Prod $TFC size.xml 2>err &&
	grep -q "size.xml:[0-9]*: output .*Merged.root. has 210003 bytes at T1_XX_Prod, the report says 1048576" err &&
	sed "s#/store/data/Run2024C/SingleMuon/AOD/PromptReco-v1/2820000/Merged.root#/store/x/Merged.root#" "$R/cmsrun-merge.xml" >nods.xml &&
	test_expect_code 1 phedex handoff --node T1_XX_Prod $TFC nods.xml 2>err &&
	grep -q "nods.xml:[0-9]*: <File> ./store/x/Merged.root. (module Merged): cannot determine its dataset" err &&
	test "$(sql "select count(*) from handoff_reports")" = 2
'

test_expect_success 'a failed merge injects nothing and holds its primary unmerged inputs' '
	sed "s#PromptReco-v1/10000/7A0DF0A5#PromptReco-v1/40000/7A0DF0A5#g; s#PromptReco-v1/30000/C3D4E5F6#PromptReco-v1/40000/C3D4E5F6#g; s#2820000/Merged#2820001/Merged#" \
		"$R/cmsrun-failed-merge.xml" >failed.xml &&
	head -c 5000 /dev/urandom >"$P$U/40000/7A0DF0A5-8723-4EC5-87F2-FE4DF588708A.root" &&
	head -c 5000 /dev/urandom >"$P$U/40000/C3D4E5F6-0718-4293-A4B5-C6D7E8F90A1B.root" &&
	phedex handoff --node T1_XX_Prod $TFC failed.xml >out &&
	grep -q "failed.xml: failed-job: FrameworkError ExitStatus=8021 Type=FileReadError" out &&
	grep -q "0 injected, 0 duplicate, 1 failed-job.* 0 merged files (0 bytes), 0 merge parents, 2 unmerged files recorded, 3 held" out &&
	test "$(sql "select count(*) from files")" = 1
'

test_expect_success 'a processing job with pileup: its unmerged output waits, no merge record; mixing inputs ignored' '
	phedex handoff --node T1_XX_Prod $TFC --json "$R/cmsrun-pileup.xml" >out.json &&
	python3 -c "
import json; d = json.load(open(\"out.json\"))
assert d[\"injected\"] == 1 and d[\"merge_parents\"] == 0, d
r = d[\"reports\"][0]; assert r[\"unmerged_files\"] == 2 and r[\"outputs_without_lfn\"] == 1, r" &&
	test "$(sql "select count(*) from unmerged where lfn like '"'/store/mc/%'"'")" = 0
'

test_expect_success 'an operator holds one input; custodial policy: the inputs wait for the tape copy' '
	phedex unmerged hold --node T1_XX_Prod --dir $U/30000 --reason "reprocessing check" >out &&
	grep -q "held $U/30000/ at T1_XX_Prod: reprocessing check" out &&
	phedex subscribe --node T1_XX_MSS --dataset /SingleMuon/Run2024C-PromptReco-v1/AOD --custodial >/dev/null &&
	start_agents T1_XX_Prod &&
	wait_for 30 "test \"\$(state 10000/7A0DF0A5)\" = waiting:no-custodial-copy" &&
	test "$(state 30000/C3D4E5F6)" = "waiting:held: reprocessing check" &&
	failed="waiting:held: failed job failed.xml: FrameworkError ExitStatus=8021 Type=FileReadError" &&
	test "$(state 20000/2B1C9E44)" = "$failed" && test "$(state 40000/7A0DF0A5)" = "$failed" &&
	test "$(state B1C2D3E4)" = waiting:no-merge-record &&
	test -f "$P$U/10000/7A0DF0A5-8723-4EC5-87F2-FE4DF588708A.root" &&
	phedex unmerged --node T1_XX_Prod >sum && cat sum &&
	grep -q "^no-custodial-copy  *1  *70.0 kB" sum && grep -q "^held  *4  *150.0 kB" sum &&
	grep -q "^no-merge-record  *2  *0 bytes  *2$" sum
'

test_expect_success 'once the merged file is verified on tape, its inputs go file by file, emptied dirs too' '
	start_agents T1_XX_MSS &&
	wait_for 60 "test \"\$(at T1_XX_MSS Merged.root)\" = 1" &&
	wait_for 30 "test \"\$(state 10000/7A0DF0A5)\" = deleted:" &&
	test ! -e "$P$U/10000" && test -d "$P$U" &&
	test -f "$P$U/20000/2B1C9E44-1F0D-4C21-9A3B-55D0E4A1B7C2.root" &&
	test -f "$P$U/30000/C3D4E5F6-0718-4293-A4B5-C6D7E8F90A1B.root" &&
	test -f "$P$U/40000/7A0DF0A5-8723-4EC5-87F2-FE4DF588708A.root" &&
	test -f "$P$U/30000/C3D4E5F6-0718-4293-A4B5-C6D7E8F90A1B.root" && test -f "$P$M"
'

test_expect_success 'released, the held inputs go too; the figures count files and bytes' '
	phedex unmerged release --node T1_XX_Prod --dir $U/30000 >out && grep -q "released 1 hold on $U/30000/" out &&
	phedex unmerged release --node T1_XX_Prod --lfn $U/20000/2B1C9E44-1F0D-4C21-9A3B-55D0E4A1B7C2.root >out &&
	grep -q "released 1 hold on $U/20000/2B1C9E44-1F0D-4C21-9A3B-55D0E4A1B7C2.root at T1_XX_Prod" out &&
	wait_for 30 "test \"\$(state 30000/C3D4E5F6)\" = deleted:" &&
	wait_for 30 "test \"\$(state 20000/2B1C9E44)\" = deleted:" &&
	test ! -e "$P$U/30000" && test ! -e "$P$U/20000" &&
	phedex unmerged --node T1_XX_Prod --json >u.json &&
	python3 -c "
import json; d = json.load(open(\"u.json\"))
s = {r[\"state\"]: r for r in d[\"states\"]}
assert s[\"deleted\"][\"files\"] == 3 and s[\"deleted\"][\"bytes\"] == 210003, s
assert s[\"held\"][\"files\"] == 2 and s[\"held\"][\"bytes\"] == 10000, s
assert d[\"merge_to_delete_p50\"] is not None and d[\"oldest_lfn\"], d" &&
	test_expect_code 1 phedex unmerged release --node T1_XX_Prod --dir $U/30000 2>err &&
	grep -q "no active hold on exactly $U/30000/" err
'

test_done
