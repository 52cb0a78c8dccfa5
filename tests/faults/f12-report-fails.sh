#!/bin/sh
# f12 — verify and publish claims after a failed report: the verify and the
# publish agent each claim a batch, then their report statement fails, first
# with an SQL error (a trigger raises), then by losing the connection (the
# trigger terminates the agent's own session).  Verify and publish now claim
# inside the transaction that reports (FOR UPDATE SKIP LOCKED), so a failed
# report takes its claim with it; were a claim ever committed before its
# report (as it was), the agents stay alive and no peer would take it back:
# each must give back its own (after a failed cycle, and on reconnecting),
# or the files stay transferred/verified for ever.  Either way every file
# must be published, with no new transfer.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-sites.sh"
. "$top_srcdir/tests/faults/lib-faults.sh"
N=$(faults_pick 10 100)
L=$W/sites/T2_DST/log/agents.log

# The first report of each kind (verify: transferred -> verified, publish:
# verified -> done) raises, the second loses its connection, the later ones
# pass (a sequence is not rolled back with the report that failed).
f12_trigger () {
	sql_p - >/dev/null <<-\EOF
	CREATE SEQUENCE f12_verify; CREATE SEQUENCE f12_publish;
	CREATE FUNCTION f12_fail() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $f$
	DECLARE n bigint;
	BEGIN
	  IF OLD.state = 'transferred' AND NEW.state = 'verified' THEN n := nextval('f12_verify');
	  ELSIF OLD.state = 'verified' AND NEW.state = 'done' THEN n := nextval('f12_publish');
	  ELSE RETURN NEW;
	  END IF;
	  IF n = 1 THEN RAISE EXCEPTION 'f12: this % report fails', NEW.state; END IF;
	  IF n = 2 THEN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); END IF;
	  RETURN NEW;
	END $f$;
	CREATE TRIGGER f12_fail BEFORE UPDATE OF state ON tasks FOR EACH ROW EXECUTE FUNCTION f12_fail();
	EOF
}

test_expect_success 'a source, a destination whose verify and publish reports fail twice each' '
	faults_db && faults_site T1_SRC && faults_site T2_DST && faults_link T1_SRC T2_DST &&
	faults_dataset T1_SRC /F12/A/RAW $N 4 &&
	f12_trigger &&
	phedex subscribe --node T2_DST --dataset /F12/A/RAW >/dev/null
'
PHEDEX_DB=$(cat "$W/db" 2>/dev/null); export PHEDEX_DB

test_expect_success 'every file is published within 60 s, none transferred twice' '
	start_agents T1_SRC && start_agents T2_DST &&
	wait_for 60 "test \$(at T2_DST F12) = $N" &&
	test "$(sql "select count(*) from tasks where state = '"'done'"' and attempts = 1")" = $N ||
	{ sql "select id, state, claimed_by, attempts from tasks order by id"; faults_report; false; }
'

test_expect_success 'both faults hit both agents, and no claim outlived its failed report' '
	test "$(sql "select last_value >= 3 from f12_verify")" = t &&
	test "$(sql "select last_value >= 3 from f12_publish")" = t &&
	grep -q "f12: this verified report fails" "$L" && grep -q "f12: this done report fails" "$L" &&
	test $(grep -c "lost the TMDB connection: statement .\(verify\|publish\)_report" "$L") -ge 2 &&
	test "$(sql "select count(*) from tasks where state in (\$\$transferred\$\$, \$\$verified\$\$) and claimed_by is not null")" = 0 ||
	{ grep -E "f12|lost the TMDB|took back" "$L"; false; }
'

test_expect_success 'invariants hold once things settle' '
	sql "drop trigger f12_fail on tasks" >/dev/null &&
	settle 30; check_invariants || { faults_report; false; }
'
faults_figures
test_done
