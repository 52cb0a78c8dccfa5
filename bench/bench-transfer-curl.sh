#!/bin/sh
# bench-transfer-curl.sh SRC_DIR WORK_DIR — the curl (HTTP/WebDAV) backend
# against the curl command, over loopback from a local nginx.
#   SRC_DIR  holds f01..f20 (100 MB each is the reference load); nginx serves it
#   WORK_DIR receives the copies (emptied between runs)
# Contenders, files copied one after another, one process per file:
#   phedex transfer copy http://… → local, our backend (checksum streamed, fdatasync)
#   curl -o, the same files (no checksum, no fdatasync)
#   curl followed by a separate adler32 pass over the copies (bench/adler32:
#   zlib, C, 1 MiB reads), against phedex for copy+verify.
# The sources are read once first, so they are served from the page cache.
# Timing is bench/lib-fair.sh's: interleaved rounds in rotating order, the
# first discarded, medians of the rest (ROUNDS, default 6).
# Uses `phedex` from $PHEDEX, else ./phedex, else PATH; bench/adler32 next to
# it (or $ADLER); nginx from PATH or /usr/sbin.
set -eu
if [ $# -ne 2 ]; then
	echo "usage: $0 SRC_DIR WORK_DIR (SRC_DIR holds f01..f20)" >&2
	exit 2
fi
SRC=$(cd "$1" && pwd)
mkdir -p "$2"
WORK=$(cd "$2" && pwd)
PHEDEX=${PHEDEX:-$( [ -x ./phedex ] && echo "$PWD/phedex" || command -v phedex || true)}
NGINX=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
[ -n "$PHEDEX" ] || { echo "no phedex binary: set PHEDEX=/path/to/phedex" >&2; exit 2; }
[ -n "$NGINX" ] || { echo "nginx is not installed: run .ci/install-deps" >&2; exit 2; }
command -v curl >/dev/null || { echo "the curl command is not installed" >&2; exit 2; }
FILES=$(cd "$SRC" && ls f[0-9][0-9] 2>/dev/null | head -20)
[ -n "$FILES" ] || { echo "no files f01..f20 in $SRC" >&2; exit 2; }

# ---- nginx on a free loopback port, serving SRC_DIR ----
NG="$WORK/nginx"
rm -rf "$NG" && mkdir -p "$NG/tmp"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$NG/nginx.conf" <<EOF
worker_processes 1;
user root;
events {}
http {
	access_log off;
	client_body_temp_path $NG/tmp;
	proxy_temp_path $NG/tmp;
	fastcgi_temp_path $NG/tmp;
	uwsgi_temp_path $NG/tmp;
	scgi_temp_path $NG/tmp;
	server { listen 127.0.0.1:$PORT; root $SRC; sendfile on; }
}
EOF
"$NGINX" -e "$NG/error.log" -c "$NG/nginx.conf" -p "$NG" -g "daemon off; pid $NG/nginx.pid;" &
NGINX_PID=$!
trap 'kill $NGINX_PID 2>/dev/null; rm -rf "$WORK/out"' EXIT
URL="http://127.0.0.1:$PORT"
first=$(echo "$FILES" | head -1)
for i in $(seq 50); do
	"$PHEDEX" transfer stat "$URL/$first" >/dev/null 2>&1 && break
	sleep 0.1
done
"$PHEDEX" transfer stat "$URL/$first" >/dev/null

# ---- the contenders, timed fairly (bench/lib-fair.sh) ----
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib-fair.sh"
ADLER=${ADLER:-$(dirname "$PHEDEX")/bench/adler32}
[ -x "$ADLER" ] || { echo "no $ADLER: make bench/adler32" >&2; exit 2; }
BYTES=0
for f in $FILES; do BYTES=$((BYTES + $(stat -c %s "$SRC/$f"))); done
cat "$SRC"/f[0-9][0-9] >/dev/null # into the page cache
N=$(echo "$FILES" | wc -l)
FILES=$(echo $FILES)
export PHEDEX URL FILES ADLER

echo "bench-transfer-curl: $N files, $BYTES bytes, nginx on $URL, sources in the page cache, copies to $WORK"
echo "${ROUNDS:-6} rounds, contenders interleaved, the first round discarded; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
FAIR_OUT=$WORK/out
fair_bench "$BYTES" \
	phedex 'for f in $FILES; do "$PHEDEX" transfer copy "$URL/$f" "$OUT/$f" >/dev/null || exit 1; done' \
	curl 'for f in $FILES; do curl -sSf -o "$OUT/$f" "$URL/$f" || exit 1; done' \
	curl_adler32 'for f in $FILES; do curl -sSf -o "$OUT/$f" "$URL/$f" || exit 1; done; cd "$OUT" && "$ADLER" $FILES >/dev/null 2>&1'
mkdir -p "$WORK/out"
ours=$("$PHEDEX" transfer copy "$URL/$first" "$WORK/out/$first" | sed -n 's/^checksum: adler32:\([0-9a-f]*\) (streamed).*/\1/p')
theirs=$("$ADLER" "$WORK/out/$first" 2>/dev/null | cut -d" " -f1)
[ "$ours" = "$theirs" ] || { echo "checksum differs: phedex '$ours' (streamed), zlib $theirs" >&2; exit 1; }
echo "curl: copy: phedex (curl backend, streamed checksum, fdatasync) $MBS_phedex MB/s; curl command (no checksum," \
	"no fdatasync) $MBS_curl MB/s; ratio $(ratio "$MBS_phedex" "$MBS_curl") (target >= 0.9)"
echo "curl: copy+verify: phedex $MBS_phedex MB/s; curl then zlib adler32 pass $MBS_curl_adler32 MB/s;" \
	"speed-up $(ratio "$MBS_phedex" "$MBS_curl_adler32")x"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
