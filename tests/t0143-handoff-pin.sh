#!/bin/sh
# A merged block is pinned at the node that produced it until every policy
# destination holds it verified: with a move policy to a disk node and a
# custodial one to tape, the producing copy stays after the move has
# finished while the tape copy is missing, and goes (the normal move
# deletion) once tape has it.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=1 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY
N=T1_PP_Prod
P=$W/sites/$N/storage
L=/store/data/Run2024F/Pin/AOD/PromptReco-v1/000/pin1.root

fixture tmdb
fixture sites $N T2_PP_Disk
fixture site T1_PP_MSS --kind MSS
fixture link --both $N T2_PP_Disk
fixture link --both $N T1_PP_MSS
# No T2_PP_Disk -> T1_PP_MSS link: the only way to tape is from the producing node, whose copy
# has a move deletion pending; the router must still route from it (not from disk back
# through it: that hop would land where the file already is, for ever).

test_expect_success 'policies: move to disk, custodial to tape; the merged file handed off at the producing node' '
	phedex policy add --pattern "/Pin/*" --node T2_PP_Disk --move >/dev/null &&
	phedex policy add --pattern "/Pin/*" --node T1_PP_MSS --custodial >/dev/null &&
	mkdir -p "$P${L%/*}" && head -c 20000 /dev/urandom >"$P$L" &&
	printf "<FrameworkJobReport>\n<File>\n<LFN>%s</LFN>\n<PFN>pin1.root</PFN>\n<GUID>0A0B0C0D-0000-0000-0000-000000000001</GUID>\n<ModuleLabel>AOD</ModuleLabel>\n<OutputModuleClass>PoolOutputModule</OutputModuleClass>\n<TotalEvents>5</TotalEvents>\n<Inputs>\n</Inputs>\n</File>\n</FrameworkJobReport>\n" "$L" >pin.xml &&
	phedex handoff --node $N --tfc "$W/sites/$N/storage.xml" pin.xml >out &&
	grep -q "^1 injected.*, 2 policy subscriptions$" out &&
	test "$(sql "select count(*) from handoff_produced")" = 1
'

test_expect_success 'the move finished, the producing copy stays: tape does not hold it yet' '
	start_agents $N && start_agents T2_PP_Disk &&
	wait_for 60 at_is T2_PP_Disk pin1 1 &&
	wait_for 30 "test \"\$(sql \"select count(*) from deletions d join nodes n on n.id = d.node where n.name = '"'$N'"'\")\" = 1" &&
	sleep 4 &&
	at_is $N pin1 1 && test -f "$P$L"
'

test_expect_success 'tape holds it verified: the pin is released and the move deletes the producing copy' '
	start_agents T1_PP_MSS &&
	wait_for 60 at_is T1_PP_MSS pin1 1 &&
	wait_for 30 at_is $N pin1 0 && test ! -e "$P$L" &&
	at_is T2_PP_Disk pin1 1
'

test_done
