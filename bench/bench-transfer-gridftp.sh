#!/bin/sh
# bench-transfer-gridftp.sh SRC_DIR WORK_DIR — the gridftp backend against
# globus-url-copy, one run each, through a GridFTP server on loopback:
#   (a) `phedex transfer copy` of SRC_DIR/f01..f20 from ftp:// to local files;
#   (b) globus-url-copy of the same files with the same number of streams;
#   (c) transfer + verify: phedex (the checksum is computed while the bytes
#       stream through it, no second read) against globus-url-copy followed
#       by an adler32 pass over its copies (python3 zlib.adler32, 1 MiB reads).
# For reference it also times globus-url-copy in Globus's pthread thread model,
# the one phedex must use (its agents copy from several threads at once);
# globus-url-copy itself runs unthreaded by default.
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

now () { date +%s%N; }
secs () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
rate () { awk -v n="$BYTES" -v s="$1" 'BEGIN { printf "%.1f", n / 1e6 / s }'; }

rm -rf "$WORK/phedex" "$WORK/guc"
mkdir -p "$WORK/phedex" "$WORK/guc"
BYTES=0
for f in $FILES; do
	cat "$SRC/$f" >/dev/null
	BYTES=$((BYTES + $(stat -c %s "$SRC/$f")))
done
N=$(echo $FILES | wc -w)
PARALLEL=""
[ "$STREAMS" -gt 1 ] && PARALLEL="-p $STREAMS"

# (b) globus-url-copy, then (c) the separate checksum pass over its copies.
guc_start=$(now)
for f in $FILES; do
	# shellcheck disable=SC2086
	globus-url-copy $PARALLEL "$URL/$f" "file://$WORK/guc/$f"
done
guc_end=$(now)
python3 -c '
import sys, zlib
for path in sys.argv[1:]:
    a = 1
    with open(path, "rb") as f:
        while True:
            block = f.read(1 << 20)
            if not block:
                break
            a = zlib.adler32(block, a)
    print("%s adler32:%08x" % (path.rsplit("/", 1)[1], a))
' $(for f in $FILES; do echo "$WORK/guc/$f"; done) >"$WORK/guc.sums"
pass_end=$(now)
# For reference: making those copies durable, as phedex does (fdatasync).
sync -d $(for f in $FILES; do echo "$WORK/guc/$f"; done)
sync_end=$(now)

# For reference: globus-url-copy in the pthread thread model.
mkdir -p "$WORK/guc-pthread"
pthread_start=$(now)
for f in $FILES; do
	# shellcheck disable=SC2086
	GLOBUS_THREAD_MODEL=pthread globus-url-copy $PARALLEL "$URL/$f" "file://$WORK/guc-pthread/$f"
done
pthread_end=$(now)
rm -rf "$WORK/guc-pthread"

# (a) phedex; its checksum is streamed, so this is also its (c).
phedex_start=$(now)
for f in $FILES; do
	"$PHEDEX" transfer copy --json --streams "$STREAMS" "$URL/$f" "$WORK/phedex/$f" >"$WORK/phedex/$f.json"
done
phedex_end=$(now)

# The copies are right and both ways saw the same checksums.
for f in $FILES; do
	cmp "$SRC/$f" "$WORK/phedex/$f"
	cmp "$SRC/$f" "$WORK/guc/$f"
	sed -n 's/.*"checksum":"\([^"]*\)".*/'"$f"' \1/p' "$WORK/phedex/$f.json"
done >"$WORK/phedex.sums"
if ! cmp -s "$WORK/phedex.sums" "$WORK/guc.sums"; then
	echo "$0: phedex's streamed checksums differ from the adler32 pass:" >&2
	diff "$WORK/phedex.sums" "$WORK/guc.sums" >&2
	exit 1
fi

T_PHEDEX=$(secs "$phedex_start" "$phedex_end")
T_GUC=$(secs "$guc_start" "$guc_end")
T_PASS=$(secs "$guc_end" "$pass_end")
T_GUC_VERIFY=$(secs "$guc_start" "$pass_end")
T_SYNC=$(secs "$pass_end" "$sync_end")
T_PTHREAD=$(secs "$pthread_start" "$pthread_end")
echo "files: $N, $(awk -v n="$BYTES" 'BEGIN { printf "%.1f", n / 1e6 }') MB from ftp://127.0.0.1:$PORT (loopback, source in page cache), $STREAMS stream(s), one process per file"
echo "(a) phedex transfer copy (gridftp backend): $T_PHEDEX s, $(rate "$T_PHEDEX") MB/s"
echo "(b) globus-url-copy: $T_GUC s, $(rate "$T_GUC") MB/s"
echo "    throughput ratio phedex / globus-url-copy: $(awk -v a="$T_GUC" -v b="$T_PHEDEX" 'BEGIN { printf "%.2f", a / b }') (target >= 0.95)"
echo "    for reference, globus-url-copy in the pthread thread model (phedex's): $T_PTHREAD s, $(rate "$T_PTHREAD") MB/s"
echo "(c) transfer + verify, phedex (checksum streamed, no second read): $T_PHEDEX s"
echo "    transfer + verify, globus-url-copy then adler32 pass: $T_GUC_VERIFY s (the pass alone $T_PASS s)"
echo "    phedex faster by: $(awk -v a="$T_GUC_VERIFY" -v b="$T_PHEDEX" 'BEGIN { printf "%.2f", a / b }')x (target >= 1.3x)"
echo "note: phedex fdatasyncs each copy, globus-url-copy does not; fdatasync of its copies afterwards took $T_SYNC s"
