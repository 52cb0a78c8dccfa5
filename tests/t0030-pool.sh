#!/bin/sh
# phedex catalog list: POOL XML file catalogues as CMSSW and ATLAS write
# them, and the real ones in ../shared/corpus when it is there.
. "$top_srcdir/tests/lib-test.sh"
CORPUS="$top_srcdir/../shared/corpus/pool-catalogue"

test_expect_success 'lists GUID, LFN and PFN of every file' '
	cat >cat.xml <<-\EOF &&
	<?xml version="1.0" encoding="UTF-8" standalone="no" ?>
	<!-- Edited By POOL -->
	<!DOCTYPE POOLFILECATALOG SYSTEM "InMemory">
	<POOLFILECATALOG>
	  <File ID="0A1B2C3D-0000-5000-8000-000000000001">
	    <physical>
	      <pfn filetype="ROOT_All" name="/storage/cms/store/data/a.root"/>
	      <pfn filetype="ROOT_All" name="root://xrootd.example.org//store/data/a.root"/>
	    </physical>
	    <logical>
	      <lfn name="/store/data/a.root"/>
	    </logical>
	  </File>
	  <File ID="0A1B2C3D-0000-5000-8000-000000000002">
	    <physical>
	      <pfn filetype="POOL_RDBMS" name="sqlite_file:conditions.db"/>
	    </physical>
	    <logical/>
	  </File>
	</POOLFILECATALOG>
	EOF
	phedex catalog list cat.xml >out &&
	cat >want <<-\EOF &&
	GUID                                  LFN                 PFN
	0A1B2C3D-0000-5000-8000-000000000001  /store/data/a.root  /storage/cms/store/data/a.root
	0A1B2C3D-0000-5000-8000-000000000001  /store/data/a.root  root://xrootd.example.org//store/data/a.root
	0A1B2C3D-0000-5000-8000-000000000002  -                   sqlite_file:conditions.db
	EOF
	diff -u want out
'

test_expect_success '--json gives the same records' '
	phedex catalog list --json cat.xml >out.json &&
	python3 -c "
import json
d = json.load(open(\"out.json\"))
assert d == [
    {\"guid\": \"0A1B2C3D-0000-5000-8000-000000000001\", \"lfn\": \"/store/data/a.root\", \"pfn\": \"/storage/cms/store/data/a.root\"},
    {\"guid\": \"0A1B2C3D-0000-5000-8000-000000000001\", \"lfn\": \"/store/data/a.root\", \"pfn\": \"root://xrootd.example.org//store/data/a.root\"},
    {\"guid\": \"0A1B2C3D-0000-5000-8000-000000000002\", \"lfn\": None, \"pfn\": \"sqlite_file:conditions.db\"},
], d
"
'

test_expect_success 'a malformed catalogue is refused saying where, exit 1' '
	sed "s/ID=\"\(.*\)\"/ID=\\\\\"\1\\\\\"/" cat.xml >bad.xml &&
	grep -q "ID=.\"0A1B" bad.xml &&
	test_expect_code 1 phedex catalog list bad.xml >out 2>err &&
	test ! -s out &&
	grep -q "^phedex catalog: bad.xml:5: not well-formed XML: " err &&
	test_expect_code 1 phedex catalog list missing.xml 2>err &&
	grep -qx "phedex catalog: cannot read .missing.xml.: no such file" err &&
	printf "<catalog/>\n" >other.xml &&
	test_expect_code 1 phedex catalog list other.xml 2>err &&
	grep -qx "phedex catalog: other.xml: root element must be <POOLFILECATALOG>, not <catalog>" err
'

test_expect_success 'usage errors exit 2; -h works' '
	test_expect_code 2 phedex catalog list 2>err && grep -q "phedex catalog list FILE" err &&
	phedex catalog -h >out && grep -q "list: print the GUID, LFN and PFN" out
'

if [ -d "$CORPUS" ]; then
	test_expect_success 'the real catalogues in the shared corpus are listed (the malformed one refused)' '
		for f in "$CORPUS"/*.xml; do
			case $f in
			*nrckiclient*)
				test_expect_code 1 phedex catalog list "$f" >out 2>err &&
				grep -q "nrckiclient-PoolFileCatalog.xml:[0-9]*: not well-formed XML" err || exit 1 ;;
			*)
				phedex catalog list "$f" >out &&
				test $(($(wc -l <out) - 1)) = $(grep -o "<pfn " "$f" | wc -l) || { echo "$f"; cat out; exit 1; } ;;
			esac
		done &&
		phedex catalog list "$CORPUS/atlas-stageCERN-PoolFileCatalog.xml" >out &&
		grep -q "^9B4D173F-B6A2-AC46-BA90-90C9AE7C3BF7  -    /eos/user/m/marsella/EVNT.38750384._005106.pool.root.1$" out
	'
else
	echo "ok $((test_count = test_count + 1)) # SKIP the shared corpus of real POOL catalogues is not at $CORPUS"
fi

test_done
