#!/bin/sh
# bench-transfer.sh [BUILD_DIR] — the transfer backends against the raw tools
# on the same 20 × 100 MB files, in one run (make bench-transfer):
#   file backend vs cp; gridftp backend vs globus-url-copy (bench-transfer-
#   gridftp.sh); curl backend vs curl (bench-transfer-curl.sh).
# For each: throughput ratio (target >= 0.95) and transfer-plus-verify, where
# our checksum is computed while the bytes stream, against the raw tool
# followed by a separate adler32 pass (target >= 1.3x faster).
# Files live under /dev/shm (FILES_MB, COUNT to change the load), so these are
# page-cache figures: the cost of our code path, not of a disk.
set -eu
BUILD=$(cd "${1:-.}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
PHEDEX=$BUILD/phedex
export PHEDEX
[ -x "$PHEDEX" ] || { echo "no $PHEDEX: build first" >&2; exit 2; }
COUNT=${COUNT:-20} MB=${FILES_MB:-100}
T=$(mktemp -d /dev/shm/phedex-bench-transfer.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/src"
i=1
while [ $i -le "$COUNT" ]; do
	head -c $((MB * 1048576)) /dev/urandom >"$T/src/$(printf f%02d $i)"
	i=$((i + 1))
done
chmod -R a+rwX "$T"
echo "$COUNT files of $MB MB in $T/src (tmpfs, page cache)"
now () { date +%s.%N; }
mbs () { awk -v n="$COUNT" -v m="$MB" -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", n * m * 1.048576 / (b - a) }'; }
ADLER='import sys, zlib
for p in sys.argv[1:]:
    a = 1
    with open(p, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b: break
            a = zlib.adler32(b, a)
    print("%08x" % a, p)'

echo "== file backend vs cp"
rm -rf "$T/a" "$T/b" && mkdir -p "$T/a" "$T/b"
t0=$(now); for f in "$T"/src/f*; do "$PHEDEX" transfer copy "$f" "$T/a/${f##*/}" >/dev/null; done; t1=$(now)
for f in "$T"/src/f*; do cp "$f" "$T/b/${f##*/}"; done; t2=$(now)
python3 -c "$ADLER" "$T"/b/f* >/dev/null; t3=$(now)
ours=$(mbs "$t0" "$t1") cp=$(mbs "$t1" "$t2") cpv=$(mbs "$t1" "$t3")
echo "file: phedex (copy + streamed adler32 and cksum + fdatasync) $ours MB/s; cp $cp MB/s; ratio $(awk -v a="$ours" -v b="$cp" 'BEGIN{printf "%.2f", a/b}') (target >= 0.95)"
echo "file: transfer+verify: phedex $ours MB/s; cp + separate adler32 pass $cpv MB/s; speed-up $(awk -v a="$ours" -v b="$cpv" 'BEGIN{printf "%.2f", a/b}')x (target >= 1.3)"
rm -rf "$T/a" "$T/b"

echo "== gridftp backend vs globus-url-copy"
sh "$HERE/bench-transfer-gridftp.sh" "$T/src" "$T/gridftp" || echo "gridftp bench failed"
rm -rf "$T/gridftp"
echo "== curl backend vs curl"
sh "$HERE/bench-transfer-curl.sh" "$T/src" "$T/curl" || echo "curl bench failed"
