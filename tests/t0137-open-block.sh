#!/bin/sh
# An open block that grows after the subscription: the new files are
# delivered too.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=2 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY

fixture tmdb
fixture sites T1_Disk T2_C
fixture link T1_Disk T2_C --distance 3
fixture agents T1_Disk T2_C

test_expect_success 'an open block that grows after the subscription: the new files are delivered too' - <<\EOT
	px_dataset T1_Disk "$W/sites" /Open/A/RAW 3 4 | sed "s/is-open=\"n\"/is-open=\"y\"/g" >open1.xml &&
	phedex inject --node T1_Disk --tfc "$W/sites/T1_Disk/storage.xml" open1.xml >/dev/null &&
	phedex subscribe --node T2_C --dataset /Open/A/RAW >/dev/null &&
	wait_for 30 at_is T2_C Open 3 &&
	d="$W/sites/T1_Disk/storage/store/demo/_Open_A_RAW" &&
	head -c 5000 /dev/urandom >"$d/0003.root" && head -c 6000 /dev/urandom >"$d/0004.root" &&
	phedex checksum "$d/0003.root" "$d/0004.root" | while IFS="	" read -r bytes ck path; do
		echo "<file name=\"/store/demo/_Open_A_RAW/${path##*/}\" bytes=\"$bytes\" checksum=\"$ck\"/>"
	done >new-files &&
	sed "/<\/block>/e cat new-files" open1.xml >open2.xml &&
	phedex inject --node T1_Disk --tfc "$W/sites/T1_Disk/storage.xml" open2.xml >out 2>&1 && grep -q "injected 2 new files" out &&
	wait_for 30 at_is T2_C Open 5
EOT
test_done
