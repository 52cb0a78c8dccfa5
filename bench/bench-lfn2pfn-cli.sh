#!/bin/sh
# bench-lfn2pfn-cli.sh [BUILD_DIR] [N] — `phedex lfn2pfn` on a stream of N
# names (default 1,000,000; the CMS-style names of bench/bench-lfn2pfn.c)
# through etc/storage.xml's chained srmv2 rule, as a user runs it:
#   phedex lfn2pfn --tfc etc/storage.xml --protocol srmv2 <names | consumer
# Prints names/s from the wall time (median of 5 runs after a discarded
# first, whole process: start-up, catalogue load, reading and writing
# included) and from the CPU time (user + system, which holds up better on a
# busy machine), for output to a pipe, /dev/null and a file, and the read()/write()
# calls per million names (strace -c).  Part of make bench.
set -eu
BUILD=$(cd "${1:-.}" && pwd)
N=${2:-1000000}
TOP=$(cd "$(dirname "$0")/.." && pwd)
PHEDEX=${PHEDEX:-$BUILD/phedex}
[ -x "$PHEDEX" ] || { echo "no $PHEDEX: build first" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/phedex-bench-lfn2pfn.XXXXXX")
trap 'rm -rf "$T"' EXIT
awk -v n="$N" 'BEGIN { split("RAW RECO AOD MINIAOD NANOAOD", t, " "); split("data mc unmerged user/jdoe group/higgs", a, " ");
	for (id = 0; id < n; id++)
		printf "/store/%s/Run2026%c/Dataset%03d/%s/v%d/%06d/%08X-%04X.root\n", a[id % 5 + 1], 65 + id % 4, id % 997,
			t[id % 5 + 1], 1 + id % 3, int(id / 1000), (id * 2654435761) % 4294967295, id % 65535 }' >"$T/names"
set -- lfn2pfn --tfc "$TOP/etc/storage.xml" --protocol srmv2 --destination T1_US_FNAL_Disk
echo "bench-lfn2pfn-cli: $N names ($(wc -c <"$T/names") bytes) through srmv2; $(nproc) CPUs," \
	"$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1); load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$PHEDEX" "$@" <"$T/names" >"$T/out"
test "$(wc -l <"$T/out")" = "$N" || { echo "not every name mapped" >&2; exit 1; }

# One run: "wall_ns cpu_s" of phedex alone (its rusage, not the consumer's).
one () {
	python3 - "$PHEDEX" "$@" <<-'PY'
	import os, resource, subprocess, sys, time
	dest = sys.argv[2]
	args = [sys.argv[1]] + sys.argv[3:]
	names = open(os.environ["NAMES"], "rb")
	t = time.monotonic_ns()
	if dest == "pipe":
	    p = subprocess.Popen(args, stdin=names, stdout=subprocess.PIPE)
	    c = subprocess.Popen(["cat"], stdin=p.stdout, stdout=subprocess.DEVNULL)
	    p.stdout.close()
	    _, status, ru = os.wait4(p.pid, 0)
	    c.wait()
	else:
	    with open(dest, "wb") as out:
	        p = subprocess.Popen(args, stdin=names, stdout=out)
	        _, status, ru = os.wait4(p.pid, 0)
	wall = time.monotonic_ns() - t
	assert status == 0
	print(wall, ru.ru_utime + ru.ru_stime)
	PY
}
NAMES=$T/names
export NAMES
for dest in pipe /dev/null "$T/out"; do
	: >"$T/runs"
	for r in 1 2 3 4 5 6; do
		if [ $r -gt 1 ]; then one "$dest" "$@" >>"$T/runs"; else one "$dest" "$@" >/dev/null; fi
	done
	case $dest in pipe) label="to a pipe (| cat)" ;; /dev/null) label="to /dev/null" ;; *) label="to a file on $(findmnt -n -o FSTYPE -T "$T" | head -1)" ;; esac
	w=$(awk '{ print $1 / 1e9 }' "$T/runs" | sort -n | sed -n 3p)
	c=$(awk '{ print $2 }' "$T/runs" | sort -n | sed -n 3p)
	all=$(awk '{ printf " %.3f", $1 / 1e9 }' "$T/runs")
	awk -v n="$N" -v what="$label" -v w="$w" -v c="$c" -v all="$all" 'BEGIN {
		printf "lfn2pfn %s: median %.3f s wall = %.2f M names/s; median %.3f s CPU = %.2f M names/s (wall runs:%s)\n",
		what, w, n / w / 1e6, c, n / c / 1e6, all }'
done
if command -v strace >/dev/null; then
	strace -c -e trace=read,write -o "$T/strace" "$PHEDEX" "$@" <"$T/names" | cat >/dev/null
	awk -v n="$N" '$NF == "read" || $NF == "write" { printf "%s() calls: %d (%.0f per million names)\n", $NF, $4, $4 * 1e6 / n }' "$T/strace"
fi
