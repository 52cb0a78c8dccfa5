#!/bin/sh
# bench-transfer-curl.sh SRC_DIR WORK_DIR — the curl (HTTP/WebDAV) backend
# against the curl command, over loopback from a local nginx.
#   SRC_DIR  holds f01..f20 (100 MB each is the reference load); nginx serves it
#   WORK_DIR receives the copies (emptied between runs)
# Runs, one each, files copied one after another:
#   (a) phedex transfer copy http://… → local, our backend (checksum streamed, fdatasync)
#   (b) curl -o, the same files (no checksum, no fdatasync)
#   (c) transfer + verify: (a) again, against curl followed by a separate
#       adler32 pass over the copies (python3 zlib.adler32, 1 MiB chunks)
# The sources are read once first, so they are served from the page cache.
# Each figure is one run unless BENCH_RUNS=N (best of N).  CPU seconds (all
# processes of the run, not nginx) are printed too: unlike MB/s they hold up
# on a machine busy with other work.
# Uses `phedex` from $PHEDEX, else ./phedex, else PATH; nginx from PATH or /usr/sbin.
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

# ---- helpers ----
# timed NAME CMD...: run CMD (best of $BENCH_RUNS, default 1, each into an
# empty WORK_DIR/out); sets NAME_MBS (MB/s) and NAME_CPU (CPU seconds of CMD
# and its children, user + system, of the fastest run).
timed () {
	name=$1; shift
	best=""
	for run in $(seq "${BENCH_RUNS:-1}"); do
		rm -rf "$WORK/out" && mkdir -p "$WORK/out" && sync
		python3 - "$@" >"$WORK/timed" <<-'PY'
		import os, resource, subprocess, sys, time
		t = time.monotonic()
		subprocess.run(sys.argv[1:], check=True)
		wall = time.monotonic() - t
		r = resource.getrusage(resource.RUSAGE_CHILDREN)
		print("%.6f %.3f" % (wall, r.ru_utime + r.ru_stime))
		PY
		read wall cpu <"$WORK/timed"
		if [ -z "$best" ] || python3 -c "import sys; sys.exit(not $wall < $best)"; then best=$wall; best_cpu=$cpu; fi
	done
	eval "${name}_MBS=\$(python3 -c 'print(\"%.0f\" % ($BYTES / 1e6 / $best))')"
	eval "${name}_CPU=\$best_cpu"
}
ratio () { python3 -c "print('%.2f' % ($1 / $2))"; }
BYTES=0
for f in $FILES; do BYTES=$((BYTES + $(stat -c %s "$SRC/$f"))); done
cat "$SRC"/f[0-9][0-9] >/dev/null # into the page cache
N=$(echo "$FILES" | wc -l)

PHEDEX_RUN='for f in $FILES; do "$PHEDEX" transfer copy "$URL/$f" "$WORK/out/$f" >"$WORK/out/$f.log"; done'
CURL_RUN='for f in $FILES; do curl -sSf -o "$WORK/out/$f" "$URL/$f"; done'
ADLER_PASS='import sys, zlib
for p in sys.argv[1:]:
    a = 1
    with open(p, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            a = zlib.adler32(b, a)
    print("adler32:%08x" % a, p)'
export PHEDEX URL WORK FILES ADLER_PASS

echo "bench-transfer-curl: $N files, $BYTES bytes, nginx on $URL, sources in the page cache, copies to $WORK"
echo "runs: ${BENCH_RUNS:-1} per figure (best kept); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# (a) our backend, (b) the curl command
timed A sh -c "$PHEDEX_RUN"
grep -q "(streamed)" "$WORK/out/$first.log"
ours_sum=$(sed -n 's/^checksum: \(adler32:[0-9a-f]*\).*/\1/p' "$WORK/out/$first.log")
timed B sh -c "$CURL_RUN"
ref_sum=$(python3 -c "$ADLER_PASS" "$WORK/out/$first" | cut -d" " -f1)
[ "$ours_sum" = "$ref_sum" ] || { echo "checksum differs: phedex $ours_sum, python $ref_sum" >&2; exit 1; }
echo "copy phedex (curl backend, streamed checksum, fdatasync): $A_MBS MB/s, $A_CPU s CPU"
echo "copy curl command (no checksum, no fdatasync): $B_MBS MB/s, $B_CPU s CPU"
echo "copy ratio phedex/curl: $(ratio "$A_MBS" "$B_MBS") (target >= 0.95)"

# (c) transfer + verify
timed C sh -c "$PHEDEX_RUN"
timed D sh -c "$CURL_RUN"' && cd "$WORK/out" && python3 -c "$ADLER_PASS" $FILES >/dev/null'
echo "copy+verify phedex (checksum streamed, no second read): $C_MBS MB/s, $C_CPU s CPU"
echo "copy+verify curl, then an adler32 pass (python3 zlib, 1 MiB reads): $D_MBS MB/s, $D_CPU s CPU"
echo "copy+verify speed-up phedex vs curl+adler32: $(ratio "$C_MBS" "$D_MBS")x (target >= 1.3)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
