#!/bin/sh
# f09 — storage faults at the destination:
#   T2_FULL's storage is a small tmpfs: copies fail with "no space left"
#     (transient), leave no partial file, and succeed once space is freed;
#   T2_PERM (agents run as nobody) cannot write into its dataset directory:
#     copies fail with a clear "permission denied", and succeed once fixed;
#   T2_HUP's storage.xml changes under its running agents: after SIGHUP the
#     files of a new dataset go to the new paths.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
. "$top_srcdir/tests/faults/lib-faults.sh"
N=$(faults_pick 24 100)
# Mounts and agents started in a test body must be undone here (bodies are subshells).
test_at_exit "umount -l $W/sites/T2_FULL/storage"
NOBODY=$(id -u nobody) NOGROUP=$(id -g nobody)
lots () { printf "[router]\nmax-attempts = 50\nretry-delay-max = 2\n" >>"$W/sites/$1/site.conf"; }

test_expect_success 'a source and three destinations; T2_FULL on a 1 MiB tmpfs' '
	faults_db && for n in T1_SRC T2_FULL T2_PERM T2_HUP; do faults_site $n || exit 1; done &&
	for n in T2_FULL T2_PERM T2_HUP; do faults_link T1_SRC $n || exit 1; done &&
	lots T2_FULL && lots T2_PERM &&
	mount -t tmpfs -o size=1M tmpfs "$W/sites/T2_FULL/storage" &&
	faults_dataset T1_SRC /F09/Full/RAW $N 100 &&
	faults_dataset T1_SRC /F09/Perm/RAW 6 4 &&
	faults_dataset T1_SRC /F09/Old/RAW 6 4 &&
	faults_dataset T1_SRC /F09/New/RAW 6 4 &&
	d=$W/sites/T2_PERM/storage/store/demo/_F09_Perm_RAW && mkdir -p "$d" &&
	chown -R $NOBODY:$NOGROUP "$W/sites/T2_PERM/storage" && chmod 555 "$d"
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB

test_expect_success 'disk full: copies fail as transient errors, no partial file stays' '
	start_agents T1_SRC && start_agents T2_FULL &&
	phedex subscribe --node T2_FULL --dataset /F09/Full/RAW >/dev/null &&
	wait_for 60 "test \"\$(sql \"select count(*) from errors e join nodes n on n.id = e.to_node where n.name = '"'T2_FULL'"'\")\" -ge 3" &&
	sql "select e.log, e.permanent from errors e join nodes n on n.id = e.to_node where n.name = '"'T2_FULL'"'" >full.err &&
	grep -qi "no space left" full.err && ! grep -q "|t$" full.err &&
	test "$(at T2_FULL Full)" -lt $N &&
	wait_for 30 "test -z \"\$(find $W/sites/T2_FULL/storage -name \"*.phedex-*.part\" -mmin -0.1 -size +0)\"" ||
	{ cat full.err | head -5; faults_report; false; }
'

test_expect_success 'space freed: every file arrives, none partial left' '
	mount -o remount,size=64M "$W/sites/T2_FULL/storage" &&
	wait_for 90 "test \$(at T2_FULL Full) = $N" || { faults_report; false; }
'

test_expect_success 'permission denied: a clear error, then every file once the directory is fixed' '
	( setpriv --reuid=$NOBODY --regid=$NOGROUP --clear-groups phedex-agent --config "$W/sites/T2_PERM/site.conf" all \
		>>"$W/sites/T2_PERM/log/agents.log" 2>&1 & echo $! >"$W/sites/T2_PERM/agents.pid" ) &&
	phedex subscribe --node T2_PERM --dataset /F09/Perm/RAW >/dev/null &&
	wait_for 60 "sql \"select e.log from errors e join nodes n on n.id = e.to_node where n.name = '"'T2_PERM'"'\" | grep -qi \"permission denied\"" &&
	test "$(at T2_PERM Perm)" = 0 &&
	chmod 755 "$W/sites/T2_PERM/storage/store/demo/_F09_Perm_RAW" &&
	wait_for 90 "test \$(at T2_PERM Perm) = 6" ||
	{ sql "select e.log, e.permanent from errors e join nodes n on n.id = e.to_node where n.name = '"'T2_PERM'"' limit 3"; faults_report; false; }
'

test_expect_success 'storage.xml changed under running agents: after SIGHUP new files go to the new paths' '
	start_agents T2_HUP &&
	phedex subscribe --node T2_HUP --dataset /F09/Old/RAW >/dev/null &&
	wait_for 60 "test \$(at T2_HUP Old) = 6" &&
	sed -i "s|^<storage-mapping>|&\n  <lfn-to-pfn protocol=\"direct\" path-match=\"/+store/(demo/_F09_New_RAW/.*)\" result=\"$W/sites/T2_HUP/storage/new-area/\$1\"/>|" "$W/sites/T2_HUP/storage.xml" &&
	grep -q new-area "$W/sites/T2_HUP/storage.xml" &&
	phedex lfn2pfn -t "$W/sites/T2_HUP/storage.xml" -p direct /store/demo/_F09_New_RAW/0000.root | grep -q "new-area/demo/_F09_New_RAW/0000.root" &&
	kill -HUP $(cat "$W/sites/T2_HUP/agents.pid") &&
	wait_for 20 "test \$(grep -c \"reloaded\" $W/sites/T2_HUP/log/agents.log) -ge 5" &&
	phedex subscribe --node T2_HUP --dataset /F09/New/RAW >/dev/null &&
	wait_for 60 "test \$(at T2_HUP New) = 6" &&
	test "$(ls "$W/sites/T2_HUP/storage/new-area/demo/_F09_New_RAW" | grep -c "[.]root$")" = 6 &&
	test ! -e "$W/sites/T2_HUP/storage/store/demo/_F09_New_RAW" ||
	{ ls -R "$W/sites/T2_HUP/storage" | head -30; faults_report; false; }
'

test_expect_success 'invariants hold once things settle' '
	settle 30; check_invariants || { faults_report; false; }
'
faults_figures
test_done
