# lib-faults.sh — what the fault scenarios (tests/faults/fNN-*.sh) share, after
# lib-test.sh and lib-sites.sh.  Each scenario runs its own PostgreSQL on its
# own port in its own $W; FAULTS_LONG=1 (make faults) makes it bigger.
#   faults_db                    a throwaway TMDB (port from test_free_port)
#   faults_site NAME [RULES]     px_site + `phedex node add`; RULES as for px_site
#   faults_link FROM TO [ARGS]   `phedex link add`
#   faults_dataset NODE DS N KB  real files at NODE, injected
#   faults_slow_copy NODE SECS   NODE's downloads copy with `sleep SECS; cp` ([transfer] command)
#   agent_pid NODE AGENT         pid of NODE's running AGENT (a supervisor's child or alone)
#   kill_agent NODE AGENT [SIG]  signal it (default KILL); counted as a kill
#   kill_supervisor NODE [SIG]   signal NODE's `phedex-agent all` (default KILL); counted
#   pg_restart / pg_pause SECS   restart the TMDB (-m fast) / SIGSTOP it for SECS
#   count_tasks TO_NODE STATE    tasks into TO_NODE in STATE
#   settle SECONDS               wait until nothing is left to do (see below)
#   check_invariants             the invariants; prints figures and violations as
#                                TAP comments; fails when any is violated
: "${FAULTS_LONG:=}"
PX_STALE=${PX_STALE:-4} PX_HEARTBEAT=${PX_HEARTBEAT:-1} PX_POLL=${PX_POLL:-2} PX_RETRY_DELAY=${PX_RETRY_DELAY:-1}
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY FAULTS_LONG
# Seconds a live agent may hold an open task without touching it before the
# invariant calls the claim stuck (longer than any copy the scenarios make).
: "${FAULTS_STUCK:=60}"
: >"$W/kills"

# faults_pick SHORT LONG: the short-form figure, or the long one with FAULTS_LONG.
faults_pick () { if [ -n "$FAULTS_LONG" ]; then echo "$2"; else echo "$1"; fi; }

faults_db () {
	px_pg_start "$W/pg" "$(test_free_port)" && echo "$PHEDEX_DB" >"$W/db" && phedex db init >/dev/null
}
[ -s "$W/db" ] && PHEDEX_DB=$(cat "$W/db") && export PHEDEX_DB

faults_site () {
	px_site "$1" "$W/sites" "${2:-}" && phedex node add "$1" >/dev/null
}

faults_link () {
	_from=$1 _to=$2; shift 2
	phedex link add "$_from" "$_to" "$@" >/dev/null
}

faults_dataset () {
	px_dataset "$1" "$W/sites" "$2" "$3" "$4" >"$W/inject-$1.xml" &&
	phedex inject --node "$1" --tfc "$W/sites/$1/storage.xml" "$W/inject-$1.xml" >/dev/null
}

# The copy command writes to TO after SECS seconds (PhEDEx Command backend).
faults_slow_copy () {
	cat >"$W/slowcopy-$1.sh" <<-EOS &&
	#!/bin/sh
	sleep $2 && mkdir -p "\$(dirname "\$2")" && exec cp "\$1" "\$2"
	EOS
	chmod +x "$W/slowcopy-$1.sh" &&
	printf "[transfer]\ncommand = %s\n" "$W/slowcopy-$1.sh" >>"$W/sites/$1/site.conf"
}

agent_pid () {
	pgrep -o -x -f "phedex-agent --config $W/sites/$1/site.conf $2"
}

faults_count () { echo "$1" >>"$W/kills"; }

kill_agent () {
	_pid=$(agent_pid "$1" "$2") || { echo "no $2 agent running at $1" >&2; return 1; }
	kill "-${3:-KILL}" "$_pid" && faults_count "agent $1 $2 ${3:-KILL}"
}

kill_supervisor () {
	kill "-${2:-KILL}" "$(cat "$W/sites/$1/agents.pid")" && faults_count "supervisor $1 ${2:-KILL}"
}

pg_as () { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_restart () {
	pg_as "$PG_BINDIR/pg_ctl" -D "$W/pg/data" -m fast -w -t 60 restart >/dev/null && faults_count "postgres restart"
}

pg_pause () {
	_pm=$(head -n 1 "$W/pg/data/postmaster.pid")
	_all="$_pm $(pgrep -P "$_pm" | tr '\n' ' ')"
	kill -STOP $_all && faults_count "postgres paused $1 s"
	sleep "$1"
	kill -CONT $_all
}

count_tasks () {
	sql "select count(*) from tasks t join nodes n on n.id = t.to_node where n.name = '$1' and t.state = '$2'"
}

# Nothing left to do: no open task; every request done or in a state `phedex
# why` explains (no_source, no_path, gave_up); every subscribed file has a
# request or is already there (the routers have seen the subscriptions); no
# partial file waiting for its delete agent; no deletion its delete agent
# could do now (the conditions of delete_claim, hand-off pins aside: a
# deletion removes its files before its transaction drops their replica rows,
# so a check in the middle of one would see rows without files); no transit
# copy left whose destination holds the file and whose node does not want
# it (its router has yet to queue the deletion: a slow cycle under ASan).
UNSETTLED="
  (select count(*) from tasks where state in ('queued', 'active', 'transferred', 'verified'))
+ (select count(*) from requests where state not in ('done', 'no_source', 'no_path', 'gave_up'))
+ (select count(*) from subscriptions s join blocks b on b.dataset = s.dataset or b.id = s.block
     join files f on f.block = b.id
   where (s.suspended_until is null or s.suspended_until < now())
     and not exists (select 1 from requests q where q.file = f.id and q.node = s.node)
     and not exists (select 1 from replicas r where r.file = f.id and r.node = s.node and r.state = 'ok'))
+ (select count(*) from leftovers)
+ (select count(*) from deletions d
   where (d.force or exists (select 1 from replicas r where r.file = d.file and r.node <> d.node and r.state = 'ok'))
     and not exists (select 1 from tasks t where t.file = d.file and t.from_node = d.node and t.state in ('queued', 'active'))
     and (d.why <> 'transit' or not exists (select 1 from requests w where w.file = d.file
       and w.state in ('new', 'routed', 'retry', 'no_source', 'no_path'))))
+ (select count(*) from tasks t join replicas r on r.file = t.file and r.node = t.to_node
   where t.state = 'done' and t.for_node <> t.to_node
     and exists (select 1 from replicas f where f.file = t.file and f.node = t.for_node and f.state = 'ok')
     and not exists (select 1 from requests q where q.file = t.file and q.node = t.to_node))"
settle () {
	wait_for "$1" "test \"\$(sql \"select $UNSETTLED\")\" = 0"
}

# check_invariants: every invariant of the fault suite, on the files and the
# TMDB.  A violation prints as '# violation: ...'; the figures as '# figures: ...'.
check_invariants () {
	python3 - "$W" "$FAULTS_STUCK" "${PX_STALE:-4}" <<-'EOP'
	import glob, os, re, subprocess, sys
	W, stuck, stale = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	violations = []
	def bad(what): violations.append(what)
	def sql(q):
	    out = subprocess.run(["psql", os.environ["PHEDEX_DB"], "-XAtq", "-F", "\t", "-c", q],
	                         check=True, capture_output=True, text=True).stdout
	    return [l.split("\t") for l in out.splitlines() if l]
	def adler(ck): return re.search(r"adler32:([0-9a-f]{8})", ck).group(1)
	sites = sorted(os.path.basename(d) for d in glob.glob(W + "/sites/*") if os.path.isfile(d + "/storage.xml"))

	# The local path of each LFN at each site, from the site's storage.xml as it is now.
	def local(pfn):
	    pfn = re.sub(r"^(null|file)://", "", pfn)
	    return pfn.split("?")[0]
	def pfns(node, lfns):
	    if not lfns: return {}
	    r = subprocess.run(["phedex", "lfn2pfn", "-t", W + "/sites/" + node + "/storage.xml", "-p", "direct"],
	                       input="\n".join(lfns) + "\n", capture_output=True, text=True)
	    m = dict(l.split("\t", 1) for l in r.stdout.splitlines() if "\t" in l)
	    return {l: local(m[l]) for l in lfns if l in m}
	def checksums(paths):
	    got = {}
	    paths = [p for p in paths if os.path.isfile(p)]
	    for i in range(0, len(paths), 400):
	        r = subprocess.run(["phedex", "checksum"] + paths[i:i + 400], capture_output=True, text=True)
	        for l in r.stdout.splitlines():
	            b, ck, p = l.split("\t", 2)
	            got[p] = (int(b), adler(ck))
	    return got

	# 1, 2. No replica row without a good file behind it; every subscribed file
	# at every destination, with the right checksum.
	reps = sql("select n.name, f.lfn, f.bytes, f.checksum from replicas r join nodes n on n.id = r.node "
	           "join files f on f.id = r.file where r.state = 'ok'")
	ok_at = set()
	by_node = {}
	for node, lfn, b, ck in reps:
	    by_node.setdefault(node, []).append((lfn, int(b), adler(ck)))
	known_pfn = {}
	gone = []
	for node, rows in by_node.items():
	    if node not in sites:
	        continue
	    m = pfns(node, [r[0] for r in rows])
	    got = checksums(list(m.values()))
	    known_pfn[node] = set(m.values())
	    for lfn, b, ck in rows:
	        p = m.get(lfn)
	        if p is None: bad("replica of %s at %s: no PFN in its storage.xml" % (lfn, node)); continue
	        if p not in got: gone.append((node, lfn, p)); continue
	        if got[p] != (b, ck): bad("replica of %s at %s: %s has %d bytes adler32:%s, the catalogue says %d bytes adler32:%s"
	                                  % (lfn, node, p, got[p][0], got[p][1], b, ck)); continue
	        ok_at.add((lfn, node))
	# A row whose file is gone is a violation only if it stays: a delete agent
	# removes a batch's files before its transaction drops their rows, so a
	# deletion in flight shows such rows for the length of its batch.
	import time
	for _ in range(30):
	    if not gone: break
	    time.sleep(0.5)
	    still = set(tuple(r) for r in sql("select n.name, f.lfn from replicas r join nodes n on n.id = r.node "
	                                      "join files f on f.id = r.file where r.state = 'ok'"))
	    gone = [g for g in gone if (g[0], g[1]) in still]
	for node, lfn, p in gone: bad("replica of %s at %s: no file %s" % (lfn, node, p))
	wanted = sql("select distinct n.name, f.lfn from subscriptions s join nodes n on n.id = s.node "
	             "join blocks b on b.dataset = s.dataset or b.id = s.block join files f on f.block = b.id")
	missing = [(n, l) for n, l in wanted if (l, n) not in ok_at]
	for n, l in missing[:10]: bad("subscribed file %s is not (good) at %s" % (l, n))
	if len(missing) > 10: bad("... and %d more subscribed files missing" % (len(missing) - 10))

	# 3. No two replicas of a file at one node: one row per (file, node), and no
	# file on a site's storage that no replica row accounts for.
	for f, n, c in sql("select file, node, count(*) from replicas group by 1, 2 having count(*) > 1"):
	    bad("file %s has %s replica rows at node %s" % (f, c, n))
	for node in sites:
	    stray = []
	    for dp, dn, fn in os.walk(W + "/sites/" + node + "/storage"):
	        for f in fn:
	            p = os.path.join(dp, f)
	            if not f.endswith(".part") and p not in known_pfn.get(node, set()): stray.append(p)
	    for p in stray[:5]: bad("stray file at %s with no good replica row: %s" % (node, p))
	    if len(stray) > 5: bad("... and %d more stray files at %s" % (len(stray) - 5, node))

	# 4. No task claimed by a live agent that is not working on it.
	for tid, st, ag, pid, age in sql(
	        "select t.id, t.state, a.agent, a.pid, extract(epoch from now() - t.updated)::int from tasks t "
	        "join agents a on a.id = t.claimed_by where t.state in ('queued', 'active', 'transferred', 'verified') "
	        "and a.stopped is null and a.heartbeat > now() - make_interval(secs => %d) "
	        "and t.updated < now() - make_interval(secs => %d)" % (stale, stuck)):
	    bad("task %s %s, claimed by live %s agent pid %s, untouched for %s s" % (tid, st, ag, pid, age))

	# 5. No task or request stuck (settle() has waited for the rest).
	for st, c in sql("select state, count(*) from tasks where state in ('queued', 'active', 'transferred', 'verified') group by 1"):
	    bad("%s tasks still %s" % (c, st))
	for n, st, c, why in sql("select n.name, q.state, count(*), min(coalesce(q.reason, '')) from requests q join nodes n on n.id = q.node "
	                         "where q.state not in ('done', 'no_source', 'no_path', 'gave_up') group by 1, 2"):
	    bad("%s requests for %s still %s %s" % (c, n, st, why))

	# 6. No partial file left.
	parts = glob.glob(W + "/sites/*/storage/**/*.phedex-*.part", recursive=True)
	for p in parts[:5]: bad("partial file left: " + p)
	if len(parts) > 5: bad("... and %d more partial files" % (len(parts) - 5))

	# 7. Nothing deleted that was a last copy or is still wanted; 8. a move's
	# sources deleted only after the destination held every file.
	for (lfn,) in sql("select f.lfn from files f where not exists (select 1 from replicas r where r.file = f.id and r.state = 'ok')"):
	    bad("no good copy left anywhere of " + lfn)
	# (lfn, node) -> when a subscription of the node first wanted it (UTC, as the logs write it)
	wanted_since = {}
	for n, l, t in sql("select n.name, f.lfn, to_char(min(s.created) at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
	                   "from subscriptions s join nodes n on n.id = s.node join blocks b on b.dataset = s.dataset or b.id = s.block "
	                   "join files f on f.block = b.id group by 1, 2"):
	    wanted_since[(l, n)] = t
	deleted = []
	for node in sites:
	    for lg in glob.glob(W + "/sites/" + node + "/log/*.log"):
	        for line in open(lg, errors="replace"):
	            m = re.match(r"(\S+Z) \S+ \w+: deleted replica of (\S+) \(", line)
	            if m: deleted.append((m.group(1), node, m.group(2)))
	# A subscription's time is its transaction's start; a deletion decided in a
	# snapshot taken before that transaction committed is logged after the
	# file is removed, up to a moment later: only deletions over a second
	# after it count (a hop node subscribed at that instant fetches the file
	# again, rightly).
	import datetime
	def ts(x): return datetime.datetime.strptime(x, "%Y-%m-%dT%H:%M:%S.%fZ")
	for t, node, lfn in deleted:
	    since = wanted_since.get((lfn, node))
	    if since and ts(t) >= ts(since) + datetime.timedelta(seconds=1): bad("%s: deleted %s at %s, which a subscription of %s wants since %s" % (t, lfn, node, node, since))
	moves = sql("select s.id, n.name, coalesce(s.moved::text, ''), (select max(t.done_at) from tasks t join blocks b2 on true "
	            "  join files f2 on f2.block = b2.id where (b2.dataset = s.dataset or b2.id = s.block) and t.file = f2.id "
	            "  and t.to_node = s.node and t.state = 'done')::text from subscriptions s join nodes n on n.id = s.node where s.is_move")
	for sid, dest, moved, last in moves:
	    lfns = set(l for (l,) in sql("select f.lfn from subscriptions s join blocks b on b.dataset = s.dataset or b.id = s.block "
	                                 "join files f on f.block = b.id where s.id = %s" % sid))
	    for t, node, lfn in deleted:
	        if lfn in lfns and node != dest:
	            early = sql("select '%s'::timestamptz < '%s'::timestamptz" % (t.replace("T", " ").rstrip("Z") + "+00", last)) if last else [["t"]]
	            if early[0][0] == "t":
	                bad("move to %s: source copy of %s at %s deleted at %s, before the destination held every file (last at %s)"
	                    % (dest, lfn, node, t, last))

	# Figures.
	files = sql("select count(*) from files")[0][0]
	extra = sql("select count(*) - count(distinct (file, to_node)) from tasks where state = 'done'")[0][0]
	kills = sum(1 for _ in open(W + "/kills"))
	restarts = 0
	for lg in glob.glob(W + "/sites/*/log/*.log"):
	    restarts += sum(1 for l in open(lg, errors="replace") if re.search(r" died \(.*restarting", l))
	for v in violations: print("# violation: " + v)
	print("# figures: files=%s kills=%d restarts=%d extra_copies=%s violations=%d" % (files, kills, restarts, extra, len(violations)))
	with open(W + "/figures", "w") as f: f.write("files=%s kills=%d restarts=%d extra_copies=%s violations=%d\n" % (files, kills, restarts, extra, len(violations)))
	sys.exit(1 if violations else 0)
	EOP
}

# extra_copies: done tasks per (file, to_node) beyond the first.
extra_copies () {
	sql "select count(*) - count(distinct (file, to_node)) from tasks where state = 'done'"
}

# faults_report: what a failing scenario leaves for the lead — task and request
# states, recent errors, the last warnings of each site's agents.
faults_report () {
	echo "--- tasks by destination and state"; sql "select n.name, t.state, count(*), count(t.claimed_by) as claimed from tasks t join nodes n on n.id = t.to_node group by 1, 2 order by 1, 2"
	echo "--- requests by node and state"; sql "select n.name, q.state, count(*), min(q.reason) from requests q join nodes n on n.id = q.node group by 1, 2 order by 1, 2"
	echo "--- errors by reason"; sql "select reason, count(*), min(log) from errors group by 1"
	echo "--- agents"; sql "select n.name, a.agent, a.pid, a.stopped is null as running, extract(epoch from now() - a.heartbeat)::int as hb_age from agents a join nodes n on n.id = a.node order by 1, 2"
	for l in "$W"/sites/*/log/agents.log; do
		[ -f "$l" ] || continue
		echo "--- $l (warnings, last 8)"; grep -E "warning|critical|error" "$l" | tail -n 8
	done
}

# faults_figures: the last check_invariants figures as a TAP comment (shown
# whether the check passed or not).
faults_figures () {
	[ -f "$W/figures" ] && echo "# $TEST_NAME: $(cat "$W/figures")"
}
