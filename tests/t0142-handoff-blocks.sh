#!/bin/sh
# The blocks phedex handoff fills close at the node's [handoff] limits
# (files, bytes, events at hand-off; age by the delete agent, which uploads
# the limits), and by `phedex block close` / `phedex dataset close`, for
# good: a closed block is never filled again, a closed dataset's output is
# refused.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=1
export PX_STALE PX_HEARTBEAT PX_POLL
N=T1_ZZ_Prod
P=$W/sites/$N/storage
TFC="--tfc $W/sites/$N/storage.xml"

# mkfile PRIMARY NAME BYTES EVENTS: a merged file on storage and the report
# of the job that wrote it (cmsRun shape, no inputs), in NAME.xml.
mkfile () {
	_l=/store/data/Run2024E/$1/AOD/PromptReco-v1/000/$2.root
	mkdir -p "$P${_l%/*}" && head -c "$3" /dev/urandom >"$P$_l" &&
	printf '<FrameworkJobReport>\n<File>\n<State  Value="closed"/>\n<LFN>%s</LFN>\n<PFN>%s.root</PFN>\n<Catalog></Catalog>\n<ModuleLabel>AOD</ModuleLabel>\n<GUID>%s</GUID>\n<OutputModuleClass>PoolOutputModule</OutputModuleClass>\n<TotalEvents>%s</TotalEvents>\n<DataType>Data</DataType>\n<Inputs>\n</Inputs>\n</File>\n</FrameworkJobReport>\n' \
		"$_l" "$2" "$(cat /proc/sys/kernel/random/uuid | tr a-f A-F)" "$4" >"$2.xml"
}
# blocks DATASET-PRIMARY: "files:open" per block of the dataset, oldest first
blocks () { sql "select string_agg(b.files || ':' || b.is_open::text, ' ' order by b.id) from blocks b join datasets d on d.id = b.dataset where d.name = '/$1/Run2024E-PromptReco-v1/AOD'"; }

limits () { sql "select max_files || ' ' || max_bytes || ' ' || max_events || ' ' || max_age from handoff_limits"; }

fixture tmdb
fixture site $N
fixture conf $N <<EOF
[handoff]
block-max-files = 3
block-max-bytes = 5000
block-max-events = 1000
block-max-age = 8
EOF

test_expect_success 'the delete agent uploads the node limits' '
	start_agents $N &&
	wait_for 20 "test \"\$(limits)\" = \"3 5000 1000 8\""
'

test_expect_success 'a block closes at its file limit; the next file opens a new one' '
	for i in 1 2 3 4; do mkfile Files f$i 100 10 || exit 1; done &&
	phedex handoff --node $N $TFC f1.xml f2.xml f3.xml f4.xml >out && cat out &&
	grep -q "^4 injected.* 1 blocks closed by a limit" out &&
	test "$(blocks Files)" = "3:false 1:true"
'

test_expect_success 'a block closes at its byte limit' '
	mkfile Bytes b1 3000 10 && mkfile Bytes b2 3000 10 && mkfile Bytes b3 100 10 &&
	phedex handoff --node $N $TFC b1.xml b2.xml b3.xml >out &&
	test "$(blocks Bytes)" = "2:false 1:true"
'

test_expect_success 'a block closes at its event limit (the reports <TotalEvents>)' '
	mkfile Events e1 100 600 && mkfile Events e2 100 600 && mkfile Events e3 100 600 &&
	phedex handoff --node $N $TFC --json e1.xml e2.xml e3.xml >out.json &&
	python3 -c "import json; d = json.load(open(\"out.json\")); assert d[\"blocks_closed\"] == 1, d" &&
	test "$(blocks Events)" = "2:false 1:true" &&
	test "$(sql "select events from handoff_blocks where dataset like '"'/Events/%'"'")" = 600
'

test_expect_success 'a block closes at its age limit: the delete agent closes it' '
	wait_for 30 "test \"\$(blocks Files)\" = \"3:false 1:false\"" &&
	grep -q "closed block /Files/Run2024E-PromptReco-v1/AOD#.*: it reached a hand-off limit" "$W/sites/$N/log/agents.log" &&
	mkfile Files f5 100 10 && phedex handoff --node $N $TFC f5.xml >out &&
	test "$(blocks Files)" = "3:false 1:false 1:true" &&
	stop_agents $N
'

test_expect_success 'phedex block close: for good; the next hand-off opens a new block' '
	b=$(sql "select b.name from blocks b join datasets d on d.id = b.dataset where d.name like '"'/Files/%'"' and b.is_open") &&
	phedex block close "$b" >out && test "$(cat out)" = "closed $b" &&
	phedex block close "$b" >out && test "$(cat out)" = "already closed: $b" &&
	test_expect_code 1 phedex block close "/No/Such-v1/RAW#x" 2>err && grep -q "no block /No/Such-v1/RAW#x" err &&
	mkfile Files f6 100 10 && phedex handoff --node $N $TFC f6.xml >/dev/null &&
	test "$(blocks Files)" = "3:false 1:false 1:false 1:true"
'

test_expect_success 'phedex dataset close: every block closed, for good; later output of it is refused' '
	phedex dataset close /Files/Run2024E-PromptReco-v1/AOD >out &&
	test "$(cat out)" = "closed /Files/Run2024E-PromptReco-v1/AOD (1 open block closed)" &&
	test "$(blocks Files)" = "3:false 1:false 1:false 1:false" &&
	mkfile Files f7 100 10 &&
	test_expect_code 1 phedex handoff --node $N $TFC f7.xml >out 2>err &&
	grep -q "f7.xml: output .*f7.root.: dataset /Files/Run2024E-PromptReco-v1/AOD is closed (phedex dataset close is final)" err &&
	test "$(blocks Files)" = "3:false 1:false 1:false 1:false" &&
	test "$(sql "select count(*) from files where lfn like '"'%/f7.root'"'")" = 0 &&
	phedex dataset close /Files/Run2024E-PromptReco-v1/AOD >out &&
	test "$(cat out)" = "already closed: /Files/Run2024E-PromptReco-v1/AOD (0 open blocks closed)"
'

test_expect_success 'phedex policy: custodial only to an MSS node; add, list, rm' '
	phedex node add --kind MSS T1_ZZ_MSS >/dev/null && phedex node add T2_ZZ_Disk >/dev/null &&
	test_expect_code 1 phedex policy add --pattern "/Pol*/*/AOD" --node T2_ZZ_Disk --custodial 2>err &&
	grep -q "a custodial policy needs an MSS node: T2_ZZ_Disk is not one" err &&
	test_expect_code 2 phedex policy add --pattern "/Pol*/*/AOD" --node T1_ZZ_MSS 2>err &&
	phedex policy add --pattern "/Pol*/*/AOD" --node T1_ZZ_MSS --custodial >out &&
	grep -q "^policy [0-9]*: /Pol\*/\*/AOD custodial at T1_ZZ_MSS, priority normal$" out &&
	phedex policy add --pattern "/Pol_A/*" --node T2_ZZ_Disk --replica --priority high --group higgs >out &&
	phedex policy add --pattern "/Other/*" --node T2_ZZ_Disk --move >out &&
	id=$(sed "s/^policy \([0-9]*\):.*/\1/" out) &&
	phedex policy list --json >p.json &&
	python3 -c "
import json; p = json.load(open(\"p.json\"))
assert [(x[\"pattern\"], x[\"node\"], x[\"kind\"], x[\"priority\"], x[\"group\"]) for x in p] == [
  (\"/Other/*\", \"T2_ZZ_Disk\", \"move\", \"normal\", \"\"), (\"/Pol*/*/AOD\", \"T1_ZZ_MSS\", \"custodial\", \"normal\", \"\"),
  (\"/Pol_A/*\", \"T2_ZZ_Disk\", \"replica\", \"high\", \"higgs\")], p" &&
	phedex policy rm $id >out && grep -q "removed policy $id" out &&
	test_expect_code 1 phedex policy rm $id 2>err && grep -q "no policy $id" err &&
	test "$(phedex policy list | wc -l)" = 2
'

subs () { sql "select n.name || ':' || s.is_custodial::text || ':' || s.is_move::text || ':' || s.priority || ':' || s.user_group from subscriptions s join datasets d on d.id = s.dataset join nodes n on n.id = s.node where d.name = '/$1/Run2024E-PromptReco-v1/AOD' order by n.name"; }

test_expect_success 'handed-off merged output is subscribed as the matching policies say, once' '
	mkfile Pol_A p1 100 10 && mkfile PolB q1 100 10 && mkfile PolXA r1 100 10 && mkfile Files2 s1 100 10 &&
	phedex handoff --node $N $TFC p1.xml q1.xml r1.xml s1.xml >out && cat out &&
	grep -q "^4 injected.*, 4 policy subscriptions$" out &&
	test "$(subs Pol_A | tr "\n" " ")" = "T1_ZZ_MSS:true:false:1: T2_ZZ_Disk:false:false:0:higgs " &&
	test "$(subs PolB)" = "T1_ZZ_MSS:true:false:1:" &&
	test "$(subs PolXA)" = "T1_ZZ_MSS:true:false:1:" &&
	test -z "$(subs Files2)" &&
	phedex subscribe --node T1_ZZ_MSS --dataset /PolB/Run2024E-PromptReco-v1/AOD --priority low >/dev/null &&
	mkfile Pol_A p2 100 10 && mkfile PolB q2 100 10 &&
	phedex handoff --node $N $TFC --json p2.xml q2.xml >out.json &&
	python3 -c "import json; d = json.load(open(\"out.json\")); assert d[\"subscribed\"] == 0 and d[\"injected\"] == 2, d" &&
	test "$(subs PolB)" = "T1_ZZ_MSS:false:false:2:"
'

test_done
