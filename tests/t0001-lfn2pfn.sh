#!/bin/sh
# phedex lfn2pfn / pfn2lfn as a site admin uses them.
. "$top_srcdir/tests/lib-test.sh"
TFC="$top_srcdir/etc/storage.xml"

test_expect_success 'maps names given on the command line' '
	phedex lfn2pfn --tfc "$TFC" --protocol srmv2 /store/data/a.root /store/mc/b.root >out &&
	printf "%s\t%s\n" /store/data/a.root "srm://srm.example.org:8443/srm/managerv2?SFN=/storage/cms/disk/store/data/a.root" \
		/store/mc/b.root "srm://srm.example.org:8443/srm/managerv2?SFN=/storage/cms/disk/store/mc/b.root" >want &&
	cmp want out
'

test_expect_success 'custodial and destination-specific rules' '
	phedex lfn2pfn --tfc "$TFC" -p davs --custodial --destination T1_IT_CNAF /store/x >out &&
	grep -qx "/store/x	davs://webdav.example.org:2880/cms/tape/store/x" out &&
	phedex lfn2pfn --tfc "$TFC" -p davs --destination T2_DE_DESY /store/x >out &&
	grep -qx "/store/x	davs://webdav-ext.example.org:443/cms/disk/store/x" out
'

test_expect_success 'reads names from stdin, reports unmatched on stderr only, exit 1' '
	printf "/store/a\n/bad/b\n\n/store/c\n" | phedex lfn2pfn --tfc "$TFC" -p direct >out 2>err; code=$? &&
	test $code = 1 &&
	test $(wc -l <out) = 2 &&
	! grep -q /bad/b out &&
	grep -q "no lfn-to-pfn rule of protocol .direct. matches ./bad/b." err &&
	grep -q "1 of 3 names did not map" err
'

test_expect_success 'pfn2lfn inverts lfn2pfn for every protocol' '
	for p in direct file gsiftp srmv2 davs xrootd; do
		phedex lfn2pfn --tfc "$TFC" -p $p /store/data/R/A/RAW/1.root | cut -f2 >pfn &&
		phedex pfn2lfn --tfc "$TFC" -p $p <pfn >back &&
		grep -qx "$(cat pfn)	/store/data/R/A/RAW/1.root" back || { echo "protocol $p"; exit 1; }
	done
'

test_expect_success '--json prints an array with the space token' '
	phedex lfn2pfn --tfc "$TFC" -p direct --json /store/a /nomatch >out 2>err; test $? = 1 &&
	python3 -c "import json,sys; d=json.load(open(\"out\")); assert d==[{\"lfn\":\"/store/a\",\"pfn\":\"/storage/cms/disk/store/a\",\"space_token\":\"CMS_DEFAULT\"}], d"
'

test_expect_success 'a broken rule: one warning when loading, only the names that reach it fail' '
	BAD="$top_srcdir/tests/data/tfc-bad/chain-missing.xml" &&
	test_expect_code 1 phedex lfn2pfn --tfc "$BAD" -p srmv2 /store/a /store/b 2>err >out &&
	test $(grep -c "warning: .*chain-missing.xml:3: lfn-to-pfn rule #2 (protocol .srmv2.): chain to protocol .dirct. which has no lfn-to-pfn rules" err) = 1 &&
	grep -q "cannot map ./store/a.: .*chain-missing.xml:3: lfn-to-pfn rule #2 (protocol .srmv2.): chain to protocol .dirct." err &&
	grep -q "2 of 2 names did not map" err &&
	test ! -s out &&
	phedex lfn2pfn --tfc "$BAD" -p direct /store/a /store/b >out 2>err &&
	test $(grep -c warning err) = 1 &&
	printf "%s\t%s\n" /store/a /d/a /store/b /d/b >want &&
	cmp want out
'

test_expect_success 'malformed XML is still refused at load' '
	test_expect_code 1 phedex lfn2pfn --tfc "$top_srcdir/tests/data/tfc-bad/malformed.xml" -p direct /store/a 2>err &&
	grep -q "malformed.xml:3: malformed XML" err
'

test_expect_success 'an LFN with a .. segment or a control character never reaches a PFN' '
	printf "/store/a\n/store/../etc/passwd\n/store/b\033[2J\n" | phedex lfn2pfn --tfc "$TFC" -p direct >out 2>err; code=$? &&
	test $code = 1 &&
	test $(wc -l <out) = 1 &&
	grep -q "^phedex lfn2pfn: invalid LFN ./store/../etc/passwd.: .... path segment$" err &&
	grep -q "^phedex lfn2pfn: invalid LFN ./store/b.x1b.2J.: control character at byte 8$" err &&
	! grep -q "$(printf "\033")" err &&
	grep -q "2 of 3 names did not map" err
'

test_expect_success 'an unknown protocol lists the ones there are' '
	test_expect_code 1 phedex lfn2pfn --tfc "$TFC" -p srm /store/a 2>err &&
	grep -q "no lfn-to-pfn rules for protocol .srm. (it has .direct., .file., .gsiftp., .srmv2., .davs., .xrootd.)" err
'

test_expect_success 'usage errors exit 2, -h exits 0' '
	test_expect_code 2 phedex lfn2pfn /store/a 2>err &&
	grep -q "tfc and --protocol are required" err &&
	test_expect_code 2 phedex lfn2pfn --bogus 2>err &&
	test_expect_code 0 phedex lfn2pfn -h >out &&
	grep -q "storage.xml" out &&
	test_expect_code 2 phedex nosuchcommand 2>err &&
	phedex --version | grep -q "^phedex [0-9]"
'

test_expect_success 'streams 200,000 names from stdin in flat memory (under 20 MB)' '
	awk "BEGIN{for(i=0;i<200000;i++) printf \"/store/data/Run/A/RAW/%09d.root\n\", i}" >names &&
	/usr/bin/time -f "%M" -o rss phedex lfn2pfn --tfc "$TFC" -p srmv2 <names >out &&
	test $(wc -l <out) = 200000 &&
	if [ -z "${PHEDEX_SANITIZED:-}" ]; then test $(cat rss) -lt 20000; fi
'

test_done
