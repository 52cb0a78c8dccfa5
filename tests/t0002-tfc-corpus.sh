#!/bin/sh
# The real site catalogues of ../shared/corpus/storage-xml (see its SOURCES.md;
# never copied here): every one PhEDEx loaded loads, cleanly, and maps
# realistic LFNs through every protocol; what maps back round-trips except
# where the catalogue itself does not invert (listed below, each checked by
# reading the catalogue); and a few PFNs checked by hand against the rules.
. "$top_srcdir/tests/lib-test.sh"
CORPUS="$top_srcdir/../shared/corpus/storage-xml"
if [ ! -d "$CORPUS" ]; then
	echo "1..1"
	echo "ok 1 # SKIP no ../shared/corpus"
	exit 0
fi

LFNS="/store/data/Run2012A/SingleMu/AOD/22Jan2013-v1/20000/0A1B2C3D.root
/store/mc/Summer12_DR53X/TTJets_TuneZ2star_8TeV/AODSIM/PU_S10_START53_V7A-v1/0000/ABCD.root
/store/user/jdoe/test/out_1.root
/store/unmerged/logs/prod/2012/1/1/x.tar.gz"

# The one malformed file (an unescaped '<' in an attribute): XML::Parser
# refused it in PhEDEx, and so do we.
MALFORMED=cmssw-FWCore-Catalog-override_catalog.xml

# FILE:PROTOCOL whose pfn-to-lfn rules do not give these LFNs back, as in
# PhEDEx (same regexes, same s!!!):
NO_ROUND_TRIP="
phedex-Testbed-LifeCycle-2Node.xml:direct  /data/default//store/.. -> '/data/*(/.*)' keeps /default
phedex-Testbed-LifeCycle-2Node.xml:srm     chains to direct, same
phedex-Testbed-LifeCycle-tfc-castor.xml:direct  l2p gives /data/..., p2l only knows /dest/...
wmcore-T2_PT_NCG_Lisbon.xml:file  /gstore/t2cms/cms/store -> /cms/store; direct's unanchored '/+store' keeps /cms
wmcore-T2_US_Florida.xml:direct   l2p gives /cms/data/store, p2l knows /cmsdata/SC4 only
wmcore-T2_US_Florida.xml:gsiftp   chains to direct, same
wmcore-T2_US_Florida.xml:srm      l2p gives SFN=/cms/data, p2l srm knows /cmsdata and /raid only
xrootd-conf-T2_US_Vanderbilt.xml:direct  '/+store(.*)' -> '/store/\$1' doubles the slash
xrootd4j-CernRulesFixture.xml:rfio   l2p gives root://eoscms//eos/..., p2l rfio knows rfio: only
xrootd4j-CernRulesFixture.xml:srmv2  /store/user goes to srm-eoscms, p2l srmv2 knows castor only
xrootd4j-DesyRulesFixture.xml:remote-xrootd  p2l remote-xrootd returns the PFN unchanged
"

protocols () { # DIRECTION FILE: the protocols with rules, from the error that lists them
	phedex "$1" --tfc "$2" -p '?' /x 2>&1 | sed -n "s/.*(it has \(.*\))$/\1/p" | tr -d "'," | sed 's/^none$//'
}

test_expect_success 'the malformed catalogue is refused, as PhEDEx refused it' '
	test_expect_code 1 phedex lfn2pfn --tfc "$CORPUS/$MALFORMED" -p direct /store/a 2>err &&
	grep -q "$MALFORMED:3: malformed XML" err
'

test_expect_success 'every other catalogue loads without warnings and maps every protocol' '
	n=0 &&
	for f in "$CORPUS"/*.xml; do
		b=$(basename "$f") &&
		if [ "$b" = "$MALFORMED" ]; then continue; fi &&
		n=$((n + 1)) &&
		phedex lfn2pfn --tfc "$f" -p "?" /x 2>err; grep -q "has no lfn-to-pfn rules for protocol" err &&
		if grep -q warning err; then echo "$b: $(cat err)"; exit 1; fi &&
		ps=$(protocols lfn2pfn "$f") &&
		test -n "$ps" &&
		p2l=" $(protocols pfn2lfn "$f") " &&
		mapped=0 &&
		for p in $ps; do
			for c in "" --custodial; do
				echo "$LFNS" | phedex lfn2pfn --tfc "$f" -p $p $c >map 2>err; code=$? &&
				if [ $code -gt 1 ] || grep -v "^phedex lfn2pfn: no lfn-to-pfn rule\|names did not map$" err; then
					echo "$b $p $c: exit $code"; cat err; exit 1
				fi &&
				if cut -f2 map | grep -qv "."; then echo "$b $p: empty PFN"; exit 1; fi &&
				mapped=$((mapped + $(wc -l <map))) &&
				case "$p2l" in *" $p "*) ;; *) continue ;; esac &&
				if echo "$NO_ROUND_TRIP" | grep -q "^$b:$p "; then continue; fi &&
				cut -f2 map | phedex pfn2lfn --tfc "$f" -p $p $c >back 2>err ||
					{ echo "$b $p $c: pfn2lfn failed"; cat map err; exit 1; } &&
				cut -f1 map >want && cut -f2 back >got &&
				if ! cmp -s want got; then echo "$b $p $c: no round trip"; paste map got; exit 1; fi
			done
		done &&
		echo "$b: $mapped names mapped through $ps" &&
		if [ $mapped = 0 ] && [ "$b" != wmcore-WMRuntime-override_catalog.xml ]; then echo "$b maps nothing"; exit 1; fi
	done &&
	test $n = 25
'

test_expect_success 'the catalogues that do not invert still do not (the list above is honest)' '
	echo "$NO_ROUND_TRIP" | while read fp why; do
		test -n "$fp" || continue
		f=${fp%%:*} p=${fp#*:}
		echo "$LFNS" | phedex lfn2pfn --tfc "$CORPUS/$f" -p $p >map 2>/dev/null
		test -s map || { echo "$fp maps nothing"; exit 1; }
		cut -f2 map | phedex pfn2lfn --tfc "$CORPUS/$f" -p $p 2>/dev/null | cut -f2 >got
		cut -f1 map >want
		if cmp -s want got; then echo "$fp round-trips now: take it off NO_ROUND_TRIP"; exit 1; fi
	done
'

expect_pfn () { # FILE PROTOCOL LFN PFN [OPTIONS...]
	f=$1 p=$2 l=$3 want=$4; shift 4
	got=$(phedex lfn2pfn --tfc "$CORPUS/$f" -p "$p" "$@" "$l" | cut -f2) &&
	if [ "$got" != "$want" ]; then echo "$f $p $l: got '$got', expected '$want'"; return 1; fi
}

expect_lfn () { # FILE PROTOCOL PFN LFN
	got=$(phedex pfn2lfn --tfc "$CORPUS/$1" -p "$2" "$3" | cut -f2) &&
	if [ "$got" != "$4" ]; then echo "$1 $2 $3: got '$got', expected '$4'"; return 1; fi
}

D=/store/data/Run2012A/SingleMu/AOD/22Jan2013-v1/20000/0A1B2C3D.root

test_expect_success 'FNAL: the production /store rule after the LoadTest ones, /11 in the SFN' '
	expect_pfn wmcore-T1_US_FNAL.xml srmv2 $D "srm://cmssrm.fnal.gov:8443/srm/managerv2?SFN=/11$D" &&
	expect_pfn wmcore-T1_US_FNAL.xml direct $D "/pnfs/fs/usr/cms/WAX/11$D" &&
	expect_lfn wmcore-T1_US_FNAL.xml srmv2 "srm://cmssrm.fnal.gov:8443/srm/managerv2?SFN=/11/store/preprod/x.root" /store/preprod/x.root
'

test_expect_success 'PhEDEx template (CERN): custodial and non-custodial tokens through the srmv2 chain' '
	phedex lfn2pfn --tfc "$CORPUS/phedex-Custom-Template.xml" -p srmv2 --custodial --json /store/foo >out &&
	python3 -c "import json; d = json.load(open(\"out\")); assert d == [{\"lfn\": \"/store/foo\", \"pfn\": \"srm://srm-cms.cern.ch:8443/srm/managerv2?SFN=/castor/cern.ch/cms/store/foo\", \"space_token\": \"CMS_CUSTODIAL\"}], d" &&
	phedex lfn2pfn --tfc "$CORPUS/phedex-Custom-Template.xml" -p srmv2 --json /store/foo >out &&
	grep -q "\"space_token\": \"CMS_NONCUSTODIAL\"" out &&
	expect_lfn phedex-Custom-Template.xml srmv2 "srm://srm-cms.cern.ch:8443/srm/managerv2?SFN=/castor/cern.ch/cms/store/foo" /store/foo &&
	expect_pfn phedex-Custom-Template.xml rfio /store/foo rfio:/castor/cern.ch/cms/store/foo
'

test_expect_success 'CERNBox: $1/$1$2 (first letter of the user twice)' '
	expect_pfn wmcore-T2_CH_CERNBOX.xml srmv2 /store/user/jdoe/test/out_1.root root://eosuser.cern.ch/eos/user/j/jdoe/test/out_1.root
'

test_expect_success 'Nebraska: an escaped dot in a result, the catch-all srmv2 chain' '
	expect_pfn wmcore-T2_US_Nebraska.xml direct /store/PhEDEx_LoadTest07/LoadTest07_Debug_T1/Nebraska/LoadTest07_Nebraska_3F_1_2 \
		/mnt/hadoop/user/uscms01/pnfs/unl.edu/data4/cms/store/phedex_monarctest/Nebraska/LoadTest07_Nebraska_3F &&
	expect_pfn wmcore-T2_US_Nebraska.xml srmv2 $D "srm://dcache07.unl.edu:8443/srm/v2/server?SFN=/mnt/hadoop/user/uscms01/pnfs/unl.edu/data4/cms$D"
'

test_expect_success 'HIP (davs) and Vanderbilt (the doubled slash its rule writes)' '
	expect_pfn cmssw-siteconf-T2_FI_HIP.xml davs $D "davs://hip-cms-se.csc.fi:2880$D" &&
	expect_pfn xrootd-conf-T2_US_Vanderbilt.xml direct $D "/store/${D#/store}" &&
	expect_pfn cernvmec2-Vanderbilt.xml lodn $D "lodn://se1.accre.vanderbilt.edu/cms_tier3$D"
'

test_expect_success 'the CMSSW override catalogue: its ../ name is no LFN (refused), its PFN maps back' '
	test_expect_code 1 phedex lfn2pfn --tfc "$CORPUS/wmcore-WMRuntime-override_catalog.xml" -p direct \
		../my_first_step/my_input_module.root 2>err &&
	grep -q "invalid LFN .../my_first_step/my_input_module.root.: .... path segment" err &&
	expect_lfn wmcore-WMRuntime-override_catalog.xml direct ../my_first_step/my_input_module.root ../my_first_step/my_input_module.root
'

test_done
