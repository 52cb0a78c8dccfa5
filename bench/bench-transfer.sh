#!/bin/sh
# bench-transfer.sh [BUILD_DIR] — the transfer backends against the raw tools
# (make bench-transfer):
#   file backend vs cp, here; gridftp backend vs globus-url-copy
#   (bench-transfer-gridftp.sh); curl backend vs curl (bench-transfer-curl.sh).
# Each compares (a) phedex transfer copy (copy, checksum of the destination,
# fdatasync) with the plain tool (target >= 0.9), and (b) the same phedex copy
# with the tool followed by a separate adler32 pass (bench/adler32, zlib, in
# C): copy+verify.  Fair by construction (bench/lib-fair.sh): contenders
# interleaved in a rotating order, the first round discarded (it warms memory
# and caches), medians of 5 rounds (ROUNDS=6 to change).
# Files live under /dev/shm (FILES_MB, COUNT to change the load; BENCH_DIR for
# another filesystem), so these are page-cache figures: the cost of our code
# path, not of a disk.
set -eu
BUILD=$(cd "${1:-.}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
PHEDEX=${PHEDEX:-$BUILD/phedex}
ADLER=${ADLER:-$BUILD/bench/adler32}
export PHEDEX ADLER
[ -x "$PHEDEX" ] || { echo "no $PHEDEX: build first" >&2; exit 2; }
[ -x "$ADLER" ] || { echo "no $ADLER: make bench/adler32" >&2; exit 2; }
. "$HERE/lib-fair.sh"
COUNT=${COUNT:-20} MB=${FILES_MB:-100}
T=$(mktemp -d "${BENCH_DIR:-/dev/shm}/phedex-bench-transfer.XXXXXX")
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
SRC=$T/src
mkdir -p "$SRC"
i=1
while [ $i -le "$COUNT" ]; do
	head -c $((MB * 1048576)) /dev/urandom >"$SRC/$(printf f%02d $i)"
	i=$((i + 1))
done
chmod -R a+rwX "$T"
FILES=$(cd "$SRC" && ls)
BYTES=$((COUNT * MB * 1048576))
INPROC=$T/inproc # phedex's own report of each copy ("file backend: ... in S s")
export SRC FILES INPROC
echo "bench-transfer: $COUNT files of $MB MB in $SRC ($(findmnt -n -o FSTYPE -T "$SRC" 2>/dev/null | head -1))"
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r);" \
	"load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$ADLER" "$SRC/f01" >/dev/null 2>"$T/zlib.rate"
"$ADLER" -i "$SRC/f01" >/dev/null 2>"$T/isal.rate"
echo "checksum alone on one file in memory: $(cat "$T/zlib.rate"); $(cat "$T/isal.rate")"

echo "== file backend vs cp (one process per file, ${ROUNDS:-6} rounds, the first discarded)"
FAIR_OUT=$T/out
# PHEDEX_BEFORE=/path/to/an/older/phedex adds it as one more contender.
BEFORE=""
[ -n "${PHEDEX_BEFORE:-}" ] && BEFORE='for f in $FILES; do "$PHEDEX_BEFORE" transfer copy "$SRC/$f" "$OUT/$f" >/dev/null || exit 1; done'
export PHEDEX_BEFORE
fair_bench "$BYTES" ${BEFORE:+phedex_before "$BEFORE"} \
	phedex 'for f in $FILES; do "$PHEDEX" transfer copy "$SRC/$f" "$OUT/$f" >>"$INPROC" || exit 1; done' \
	cp 'for f in $FILES; do cp "$SRC/$f" "$OUT/$f" || exit 1; done' \
	cp_adler32 'for f in $FILES; do cp "$SRC/$f" "$OUT/$f" || exit 1; done; cd "$OUT" && "$ADLER" $FILES >/dev/null 2>&1'
# The checksums phedex reports are the zlib pass's.
mkdir -p "$T/check"
"$PHEDEX" transfer copy "$SRC/f01" "$T/check/f01" | sed -n 's/^checksum: adler32:\([0-9a-f]*\).*/\1/p' >"$T/ours"
"$ADLER" "$SRC/f01" 2>/dev/null | cut -d' ' -f1 >"$T/theirs"
cmp -s "$T/ours" "$T/theirs" || { echo "checksums differ: phedex $(cat "$T/ours"), zlib $(cat "$T/theirs")" >&2; exit 1; }
echo "file: copy: phedex (copy_file_range + read-back adler32 + fdatasync) $MBS_phedex MB/s;" \
	"cp $MBS_cp MB/s; ratio $(ratio "$MBS_phedex" "$MBS_cp") (target >= 0.9)"
echo "file: copy+verify: phedex $MBS_phedex MB/s; cp then zlib adler32 pass $MBS_cp_adler32 MB/s;" \
	"speed-up $(ratio "$MBS_phedex" "$MBS_cp_adler32")x"
# What a long-running agent pays per copy: the backend's own time, without
# the process start-up that one `phedex` per file adds (cp: about 1 ms).
start=$(python3 - "$PHEDEX" "$SRC" <<'PY'
import subprocess, sys, time, os
one = os.path.join(sys.argv[2], "one")
open(one, "wb").write(b"x")
def t(args):
    best = []
    for _ in range(30):
        s = time.monotonic(); subprocess.run(args, check=True, stdout=subprocess.DEVNULL); best.append(time.monotonic() - s)
    return sorted(best)[15] * 1e3
print("%.1f %.1f" % (t([sys.argv[1], "transfer", "copy", one, one + ".p"]), t(["cp", one, one + ".c"])))
PY
)
secs=$(sed -n 's/^file backend: .* in \([0-9.]*\) s,.*/\1/p' "$INPROC" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
echo "file: per process start-up and a 1-byte copy (median of 30): phedex ${start% *} ms, cp ${start#* } ms;" \
	"phedex's own time per $MB MB copy (median): $secs s = $(awk -v s="$secs" -v m="$MB" 'BEGIN { printf "%.0f", m * 1.048576 / s }') MB/s"
[ -n "$BEFORE" ] && echo "file: copy: the phedex before $MBS_phedex_before MB/s, ratio to cp $(ratio "$MBS_phedex_before" "$MBS_cp")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

[ -n "${BENCH_LOCAL_ONLY:-}" ] && exit 0
echo "== gridftp backend vs globus-url-copy"
sh "$HERE/bench-transfer-gridftp.sh" "$SRC" "$T/gridftp" || echo "gridftp bench failed"
rm -rf "$T/gridftp"
echo "== curl backend vs curl"
sh "$HERE/bench-transfer-curl.sh" "$SRC" "$T/curl" || echo "curl bench failed"
