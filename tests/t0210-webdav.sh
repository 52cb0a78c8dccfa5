#!/bin/sh
# The HTTP/WebDAV backend (libcurl) driven through `phedex transfer` against
# a real nginx with WebDAV on loopback, over http and https (a test CA).
. "$top_srcdir/tests/lib-test.sh"

NGINX=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
if [ -z "$NGINX" ] || ! command -v openssl >/dev/null; then
	test_expect_success 'nginx (with WebDAV) and openssl are installed' '
		echo "this test needs nginx (nginx-light has the WebDAV module) and openssl: run .ci/install-deps"; false
	'
	test_done
fi

# ---- a test CA, a server certificate for 127.0.0.1 and a client certificate ----
PKI="$TEST_TMP/pki"
mkdir -p "$PKI/ca-dir"
(
	cd "$PKI" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=phedex test CA" -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign -keyout ca.key -out ca.pem &&
	for who in server client; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=phedex test $who" \
			-keyout $who.key -out $who.csr || exit 1
	done &&
	echo "subjectAltName=IP:127.0.0.1" >server.ext &&
	echo "extendedKeyUsage=clientAuth" >client.ext &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext \
		-out server.pem &&
	openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile client.ext \
		-out client.pem &&
	cp ca.pem "ca-dir/$(openssl x509 -hash -noout -in ca.pem).0"
) >"$TEST_TMP/pki.log" 2>&1 || { cat "$TEST_TMP/pki.log"; echo "Bail out! cannot make test certificates"; exit 1; }

# ---- nginx: WebDAV on / (parents are not created for us: MKCOL is),
# 403 and 507 for PUT under /readonly/ and /full/, a slow /slow/, /digest/
# answering with src's adler32 in a Digest header (RFC 3230, as dCache
# does), and the same tree over https, /private/ needing a client
# certificate ----
head -c 3333333 /dev/urandom >"$TEST_TMP/src"
: >"$TEST_TMP/empty"
SRC_ADLER=$(phedex checksum "$TEST_TMP/src" | sed 's/.*adler32:\([0-9a-f]*\).*/\1/')

WWW="$TEST_TMP/www"
NG="$TEST_TMP/nginx"
mkdir -p "$WWW/readonly" "$WWW/full" "$WWW/slow" "$NG/tmp"
head -c 2000000 /dev/urandom >"$WWW/slow/big"
echo ok >"$WWW/ready"
chmod -R a+rwX "$WWW"
read HTTP_PORT HTTPS_PORT <<EOF
$(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
EOF
cat >"$NG/nginx.conf" <<EOF
worker_processes 1;
user root;
events {}
http {
	access_log $NG/access.log;
	client_body_temp_path $NG/tmp;
	proxy_temp_path $NG/tmp;
	fastcgi_temp_path $NG/tmp;
	uwsgi_temp_path $NG/tmp;
	scgi_temp_path $NG/tmp;
	client_max_body_size 0;
	dav_methods PUT DELETE MKCOL COPY MOVE;
	create_full_put_path off;
	dav_access user:rw group:rw all:r;
	root $WWW;
	server {
		listen 127.0.0.1:$HTTP_PORT;
		location /readonly/ { if (\$request_method = PUT) { return 403; } }
		location /full/ { if (\$request_method = PUT) { return 507; } }
		location /slow/ { limit_rate 50k; }
		location /digest/ { add_header Digest "adler32=$SRC_ADLER"; }
	}
	server {
		listen 127.0.0.1:$HTTPS_PORT ssl;
		ssl_certificate $PKI/server.pem;
		ssl_certificate_key $PKI/server.key;
		ssl_client_certificate $PKI/ca.pem;
		ssl_verify_client optional;
		location /private/ { if (\$ssl_client_verify != SUCCESS) { return 403; } }
	}
}
EOF
"$NGINX" -e "$NG/error.log" -c "$NG/nginx.conf" -p "$NG" -g "daemon off; pid $NG/nginx.pid;" 2>>"$NG/error.log" &
NGINX_PID=$!
test_at_exit "kill $NGINX_PID"
H="http://127.0.0.1:$HTTP_PORT"
S="https://127.0.0.1:$HTTPS_PORT"
for i in $(seq 100); do
	phedex transfer stat "$H/ready" >/dev/null 2>&1 && break
	sleep 0.1
done
if ! phedex transfer stat "$H/ready" >/dev/null 2>&1; then
	cat "$NG/error.log"
	echo "Bail out! nginx did not start"
	exit 1
fi

# json_get FILE KEY: a string or number field of a --json answer.
json_get () {
	sed -n -e "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" -e t \
		-e "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1"
}

test_expect_success 'PUT makes the missing collections (MKCOL) and GET brings the same bytes back' '
	test ! -e "$WWW/new" &&
	phedex transfer --json copy "$PWD/src" "$H/new/deep/dir/src" >put.json &&
	cmp src "$WWW/new/deep/dir/src" &&
	phedex checksum src | cut -f2 | sed "s/,.*//" >want &&  # agents stream adler32 only by default
	test "$(json_get put.json checksum)" = "$(cat want)" &&
	test "$(json_get put.json checksum_source)" = streamed &&
	test "$(json_get put.json bytes)" = 3333333 &&
	phedex transfer copy "$H/new/deep/dir/src" "$PWD/back/sub/src" >get.out &&
	cmp src back/sub/src &&
	grep -qx "checksum: $(cat want) (streamed)" get.out &&
	grep -q "^curl backend: .*(3333333 bytes)" get.out
'

test_expect_success 'an empty file goes up and comes back empty' '
	phedex transfer --json copy "$PWD/empty" "$H/new/empty" >put.json &&
	test -f "$WWW/new/empty" && test ! -s "$WWW/new/empty" &&
	test "$(json_get put.json bytes)" = 0 &&
	phedex transfer copy "$H/new/empty" "$PWD/back/empty" >get.out &&
	test -f back/empty && test ! -s back/empty &&
	grep -qx "checksum: $(phedex checksum empty | cut -f2 | sed "s/,.*//") (streamed)" get.out
'

test_expect_success 'dav:// is spelled for http://' '
	D="dav://127.0.0.1:$HTTP_PORT" &&
	phedex transfer copy "$PWD/src" "$D/davdir/src" >put.out &&
	cmp src "$WWW/davdir/src" &&
	phedex transfer copy "$D/davdir/src" "$PWD/back/dav-src" >get.out &&
	cmp src back/dav-src &&
	grep -qx "checksum: $(phedex checksum src | cut -f2 | sed "s/,.*//") (streamed)" get.out
'

test_expect_success 'stat gives the size; a missing file is a permanent error' '
	phedex transfer stat "$H/new/deep/dir/src" >out &&
	printf "3333333\t%s\n" "$H/new/deep/dir/src" >want && cmp want out &&
	phedex transfer --json stat "$H/new/empty" >out.json && test "$(json_get out.json bytes)" = 0 &&
	test_expect_code 1 phedex transfer stat "$H/new/nothing" 2>err &&
	grep -q "HEAD .*/new/nothing.* failed: HTTP 404 Not Found" err
'

test_expect_success 'checksum of a remote file reads it back when the server gives no digest' '
	phedex transfer --json checksum "$H/new/deep/dir/src" >out.json &&
	test "$(json_get out.json checksum)" = "$(phedex checksum src | cut -f2 | sed "s/,.*//")" &&
	test "$(json_get out.json checksum_source)" = read-back
'

test_expect_success 'checksum takes the adler32 from a Digest header when the server gives one' '
	phedex transfer copy "$PWD/src" "$H/digest/src" >/dev/null &&
	phedex transfer --json checksum "$H/digest/src" >out.json &&
	test "$(json_get out.json checksum)" = "adler32:$SRC_ADLER" &&
	test "$(json_get out.json checksum_source)" = server &&
	test "$(json_get out.json bytes)" = 3333333
'

test_expect_success 'rm removes; rm of a missing file succeeds' '
	phedex transfer copy "$PWD/src" "$H/rmdir/f" >/dev/null && test -f "$WWW/rmdir/f" &&
	phedex transfer rm "$H/rmdir/f" && test ! -e "$WWW/rmdir/f" &&
	phedex transfer rm "$H/rmdir/f" &&
	phedex transfer rm "$H/never/was/there"
'

test_expect_success 'rename moves on the server (MOVE), into a new collection' '
	phedex transfer copy "$PWD/src" "$H/mv/from.tmp" >/dev/null &&
	phedex transfer rename "$H/mv/from.tmp" "$H/mv/final/to" &&
	test ! -e "$WWW/mv/from.tmp" && cmp src "$WWW/mv/final/to" &&
	test_expect_code 1 phedex transfer rename "$H/mv/from.tmp" "$H/mv/again" 2>err &&
	grep -q "MOVE .* failed: HTTP 404" err
'

test_expect_success 'a copy within one server is a WebDAV COPY; between servers it is refused' '
	phedex transfer --json copy "$H/mv/final/to" "$H/cp/copied" >out.json &&
	cmp src "$WWW/cp/copied" &&
	test "$(json_get out.json checksum)" = "$(phedex checksum src | cut -f2 | sed "s/,.*//")" &&
	test "$(json_get out.json checksum_source)" = read-back &&
	test_expect_code 1 phedex transfer --insecure copy "$H/mv/final/to" "$S/cp/elsewhere" 2>err &&
	grep -q "third-party copy between servers is not supported" err &&
	test ! -e "$WWW/cp/elsewhere"
'

test_expect_success 'GET of a missing file: permanent, 404, no local file' '
	test_expect_code 1 phedex transfer copy "$H/no/such/file" "$PWD/got/file" 2>err &&
	grep -q "permanent error.*GET .*/no/such/file.* failed: HTTP 404 Not Found" err &&
	test ! -e got/file
'

test_expect_success 'PUT where writing is forbidden: permanent, 403, nothing left' '
	test_expect_code 1 phedex transfer copy "$PWD/src" "$H/readonly/f" 2>err &&
	grep -q "permanent error.*PUT .*/readonly/f.* failed: HTTP 403 Forbidden: permission denied" err &&
	test ! -e "$WWW/readonly/f"
'

test_expect_success 'PUT to a full storage: transient, 507, nothing left' '
	test_expect_code 3 phedex transfer copy "$PWD/src" "$H/full/f" 2>err &&
	grep -q "transient error.*PUT .*/full/f.* failed: HTTP 507.*destination storage full (507)" err &&
	test ! -e "$WWW/full/f"
'

test_expect_success 'https verifies the server with --ca-dir (a hashed directory or a file)' '
	phedex transfer --ca-dir "$PKI/ca-dir" copy "$PWD/src" "$S/tls/src" >put.out &&
	cmp src "$WWW/tls/src" &&
	phedex transfer --ca-dir "$PKI/ca.pem" copy "davs://127.0.0.1:$HTTPS_PORT/tls/src" "$PWD/back/tls" >get.out &&
	cmp src back/tls &&
	grep -qx "checksum: $(phedex checksum src | cut -f2 | sed "s/,.*//") (streamed)" get.out
'

test_expect_success 'https without the CA: permanent, about the certificate, nothing written' '
	test_expect_code 1 phedex transfer copy "$S/tls/src" "$PWD/back/untrusted" 2>err &&
	grep -q "permanent error.*the server.s certificate cannot be verified.*--ca-dir" err &&
	test ! -e back/untrusted &&
	test_expect_code 1 phedex transfer copy "$PWD/src" "$S/tls/untrusted" 2>err &&
	test ! -e "$WWW/tls/untrusted" &&
	phedex transfer --insecure stat "$S/tls/src" >/dev/null
'

test_expect_success 'a client certificate from --cert/--key opens what needs one' '
	test_expect_code 1 phedex transfer --ca-dir "$PKI/ca-dir" copy "$PWD/src" "$S/private/f" 2>err &&
	grep -q "HTTP 403" err &&
	phedex transfer --ca-dir "$PKI/ca-dir" --cert "$PKI/client.pem" --key "$PKI/client.key" \
		copy "$PWD/src" "$S/private/f" >/dev/null &&
	cmp src "$WWW/private/f"
'

test_expect_success '--timeout shorter than the copy: transient, names the timeout, nothing left' '
	start=$(date +%s) &&
	test_expect_code 3 phedex transfer --timeout 1 copy "$H/slow/big" "$PWD/slow/big" 2>err &&
	test $(($(date +%s) - start)) -le 5 &&
	grep -q "transient error.*GET .*/slow/big.* gave up after the 1 s timeout" err &&
	test ! -e slow/big
'

test_expect_success 'an interrupted copy stops, says cancelled, leaves nothing' '
	phedex transfer copy "$H/slow/big" "$PWD/slow/int" 2>err & pid=$! &&
	sleep 0.5 && kill -INT $pid &&
	{ wait $pid; code=$?; } ; test $code = 1 &&
	grep -q "cancelled error.*GET .*/slow/big.* cancelled" err &&
	test ! -e slow/int
'

test_expect_success 'server down: transient "cannot connect", nothing left' '
	kill $NGINX_PID && wait $NGINX_PID 2>/dev/null;
	for i in $(seq 50); do
		phedex transfer stat "$H/ready" >/dev/null 2>&1 || break
		sleep 0.1
	done &&
	test_expect_code 3 phedex transfer copy "$H/new/deep/dir/src" "$PWD/down/src" 2>err &&
	grep -q "transient error.*GET .* failed: cannot connect to the server: .*127.0.0.1" err &&
	test ! -e down/src &&
	test_expect_code 3 phedex transfer copy "$PWD/src" "$H/down/src" 2>err &&
	grep -q "cannot connect to the server" err
'

test_done
