#!/bin/sh
# bench-transfer-gridftp.sh SRC_DIR WORK_DIR — the gridftp backend against
# globus-url-copy through a GridFTP server on loopback:
#   (a) `phedex transfer copy` of SRC_DIR/f01..f20 from ftp:// to local files;
#   (b) globus-url-copy of the same files with the same number of streams;
#   (c) transfer + verify: phedex (the checksum is computed while the bytes
#       stream through it, no second read) against globus-url-copy followed
#       by an adler32 pass over its copies (bench/adler32: zlib, C, 1 MiB reads).
# Timing is bench/lib-fair.sh's: interleaved rounds in rotating order, the
# first discarded, medians of the rest (ROUNDS, default 6).
# One process per file for both tools.  The source files are read once first
# and so sit in the page cache (dropping it is not possible reliably here).
# Environment: STREAMS (default 4), PHEDEX (default: ./phedex, else phedex on
# PATH).  Needs globus-gridftp-server, globus-url-copy, python3 (.ci/install-deps).
set -eu
PATH="$PATH:/usr/sbin:/usr/local/sbin"

if [ $# != 2 ]; then
	echo "usage: $0 SRC_DIR WORK_DIR   (SRC_DIR holds f01..f20, e.g. 100 MB each)" >&2
	exit 2
fi
SRC=$(cd "$1" && pwd)
mkdir -p "$2"
WORK=$(cd "$2" && pwd)
STREAMS=${STREAMS:-4}
if [ -z "${PHEDEX:-}" ]; then
	if [ -x ./phedex ]; then PHEDEX=$(pwd)/phedex; else PHEDEX=$(command -v phedex || true); fi
fi
for tool in "$PHEDEX" globus-gridftp-server globus-url-copy python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$0: '$tool' not found (build phedex; run .ci/install-deps for the Globus tools)" >&2
		exit 1
	fi
done
FILES=""
for f in "$SRC"/f[0-9][0-9]; do [ -f "$f" ] && FILES="$FILES ${f##*/}"; done
if [ -z "$FILES" ]; then
	echo "$0: no files f01..f20 in $SRC" >&2
	exit 1
fi
AS_NOBODY=""
if [ "$(id -u)" = 0 ]; then
	AS_NOBODY="-anonymous-user nobody"
	for f in $FILES; do
		runuser -u nobody -- test -r "$SRC/$f" || {
			echo "$0: the anonymous server runs as 'nobody', which cannot read $SRC/$f" >&2; exit 1; }
	done
fi

# ---- a server on a free loopback port ----
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086
globus-gridftp-server -aa $AS_NOBODY -p "$PORT" -control-interface 127.0.0.1 -data-interface 127.0.0.1 \
	-no-detach -d error -l "$WORK/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
python3 - "$PORT" <<'EOF'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("the GridFTP server did not start")
EOF
URL=ftp://127.0.0.1:$PORT$SRC

rm -rf "$WORK/phedex"
mkdir -p "$WORK/phedex"
BYTES=0
for f in $FILES; do
	cat "$SRC/$f" >/dev/null
	BYTES=$((BYTES + $(stat -c %s "$SRC/$f")))
done
N=$(echo $FILES | wc -w)
PARALLEL=""
[ "$STREAMS" -gt 1 ] && PARALLEL="-p $STREAMS"
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib-fair.sh"
ADLER=${ADLER:-$(dirname "$PHEDEX")/bench/adler32}
[ -x "$ADLER" ] || { echo "$0: no $ADLER: make bench/adler32" >&2; exit 2; }
export PHEDEX URL FILES ADLER PARALLEL STREAMS

echo "files: $N, $(awk -v n="$BYTES" 'BEGIN { printf "%.1f", n / 1e6 }') MB from ftp://127.0.0.1:$PORT (loopback, source" \
	"in page cache), $STREAMS stream(s), one process per file; ${ROUNDS:-6} rounds interleaved, the first discarded"
FAIR_OUT=$WORK/out
fair_bench "$BYTES" \
	phedex 'for f in $FILES; do "$PHEDEX" transfer copy --streams "$STREAMS" "$URL/$f" "$OUT/$f" >/dev/null || exit 1; done' \
	guc 'for f in $FILES; do globus-url-copy $PARALLEL "$URL/$f" "file://$OUT/$f" || exit 1; done' \
	guc_adler32 'for f in $FILES; do globus-url-copy $PARALLEL "$URL/$f" "file://$OUT/$f" || exit 1; done
		cd "$OUT" && "$ADLER" $FILES >/dev/null 2>&1'
# phedex's streamed checksums are the zlib pass's, and the bytes the source's.
for f in $FILES; do
	"$PHEDEX" transfer copy --json --streams "$STREAMS" "$URL/$f" "$WORK/phedex/$f" >"$WORK/phedex/$f.json"
	cmp "$SRC/$f" "$WORK/phedex/$f"
	sed -n 's/.*"checksum":"adler32:\([0-9a-f]*\)".*/\1  '"$f"'/p' "$WORK/phedex/$f.json"
done >"$WORK/phedex.sums"
(cd "$SRC" && "$ADLER" $FILES 2>/dev/null) >"$WORK/zlib.sums"
if ! cmp -s "$WORK/phedex.sums" "$WORK/zlib.sums"; then
	echo "$0: phedex's streamed checksums differ from the adler32 pass:" >&2
	diff "$WORK/phedex.sums" "$WORK/zlib.sums" >&2
	exit 1
fi
echo "gridftp: copy: phedex (gridftp backend, streamed checksum, fdatasync) $MBS_phedex MB/s; globus-url-copy" \
	"$MBS_guc MB/s; ratio $(ratio "$MBS_phedex" "$MBS_guc") (target >= 0.9)"
echo "gridftp: copy+verify: phedex $MBS_phedex MB/s; globus-url-copy then zlib adler32 pass $MBS_guc_adler32 MB/s;" \
	"speed-up $(ratio "$MBS_phedex" "$MBS_guc_adler32")x"
echo "note: phedex fdatasyncs each copy, globus-url-copy does not (on tmpfs that costs nothing)"
