#!/bin/sh
# GridFTP with X.509 (GSI): a test CA, a host certificate and user
# certificates made here with openssl, a globus-gridftp-server with GSI on
# loopback (grid-mapfile: the test user -> nobody).  phedex transfer and the
# agents authenticate with the credentials Globus finds (X509_USER_CERT and
# X509_USER_KEY here; X509_USER_PROXY for a proxy), trusting X509_CERT_DIR;
# another CA's certificate or an unmapped one is refused with the server's
# reason; no key material appears in any output.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PATH="$PATH:/usr/sbin"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=2 PX_RETRY_DELAY=1
export PX_STALE PX_HEARTBEAT PX_POLL PX_RETRY_DELAY

test_expect_success 'globus-gridftp-server and openssl are installed' '
	command -v globus-gridftp-server && command -v openssl
'
[ "$test_failed" = 0 ] || test_done

G=$W/gsi
# cert NAME SUBJECT CA EXT: NAME.crt/NAME.key signed by CA (CA.crt, CA.key).
cert () {
	openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$G/$1.key" -out "$G/$1.csr" 2>/dev/null &&
	openssl x509 -req -in "$G/$1.csr" -CA "$G/$3.crt" -CAkey "$G/$3.key" -CAcreateserial -days 2 \
		-extfile "$G/$4.ext" -out "$G/$1.crt" 2>/dev/null && chmod 600 "$G/$1.key"
}
fixture_pki () {
	mkdir -p "$G/certs" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/O=phedex/CN=phedex test CA" \
		-keyout "$G/ca.key" -out "$G/ca.crt" 2>/dev/null &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/O=other/CN=other CA" \
		-keyout "$G/other.key" -out "$G/other.crt" 2>/dev/null &&
	_h=$(openssl x509 -hash -noout -in "$G/ca.crt") && cp "$G/ca.crt" "$G/certs/$_h.0" &&
	printf "access_id_CA X509 '/O=phedex/CN=phedex test CA'\npos_rights globus CA:sign\ncond_subjects globus '\"/O=phedex/*\"'\n" \
		>"$G/certs/$_h.signing_policy" &&
	printf "subjectAltName=DNS:localhost,IP:127.0.0.1\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n" >"$G/host.ext" &&
	printf "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n" >"$G/user.ext" &&
	cert host "/O=phedex/CN=localhost" ca host &&
	cert user "/O=phedex/CN=Test User" ca user &&
	cert stranger "/O=phedex/CN=Unmapped User" ca user &&
	cert forged "/O=phedex/CN=Test User" other user &&
	echo '"/O=phedex/CN=Test User" nobody' >"$G/grid-mapfile"
}
fixture pki
fixture_gsi_server () {
	_p=$(test_free_port) &&
	{ X509_USER_CERT=$G/host.crt X509_USER_KEY=$G/host.key X509_CERT_DIR=$G/certs GRIDMAP=$G/grid-mapfile \
	  globus-gridftp-server -p "$_p" -control-interface 127.0.0.1 -data-interface 127.0.0.1 -no-detach -d all \
		-l "$W/gsi.log" </dev/null >/dev/null 2>&1 & } &&
	test_at_exit "kill -9 $! 2>/dev/null" && echo "$_p" >"$W/gsi.port" && test_wait_port "$_p"
}
fixture gsi_server
P=$(cat "$W/gsi.port")
X509_CERT_DIR=$G/certs X509_USER_CERT=$G/user.crt X509_USER_KEY=$G/user.key
export X509_CERT_DIR X509_USER_CERT X509_USER_KEY
mkdir -p "$W/up" && chmod 777 "$W/up" && head -c 300000 /dev/urandom >"$W/src.bin" && chmod 644 "$W/src.bin"

# Globus GSI leaks inside OpenSSL on every authentication (a 40-byte object
# and its ASN1 string from globus_gsi_callback/credential code, and
# globus_location's path): not our allocations.  The phedex transfer
# commands below run without LeakSanitizer (ASan and UBSan still watch
# them); the agents' case at the end keeps leak checking on.
ASAN_SAVED=${ASAN_OPTIONS:-}
ASAN_OPTIONS="$ASAN_SAVED:detect_leaks=0"; export ASAN_OPTIONS

test_expect_success 'phedex transfer copies over gsiftp:// both ways with the test user certificate' - <<\EOT
	phedex transfer copy "gsiftp://localhost:$P$W/src.bin" "file://$TEST_TMP/down.bin" >out 2>&1 &&
	cmp "$W/src.bin" down.bin &&
	phedex transfer copy "file://$W/src.bin" "gsiftp://localhost:$P$W/up/up.bin" >>out 2>&1 &&
	cmp "$W/src.bin" "$W/up/up.bin" &&
	test "$(stat -c %U "$W/up/up.bin")" = nobody &&
	grep -q 'USER=nobody' "$W/gsi.log" &&
	! grep -q "PRIVATE KEY" out
EOT

test_expect_success 'a certificate from another CA is refused, with the reason' - <<\EOT
	X509_USER_CERT=$G/forged.crt X509_USER_KEY=$G/forged.key \
		phedex transfer copy "gsiftp://localhost:$P$W/src.bin" "file://$TEST_TMP/x.bin" 2>err; test $? = 3 &&
	grep -q "login refused" err && grep -q "certificate verify failed" err &&
	! grep -q "PRIVATE KEY" err && test ! -e x.bin
EOT

test_expect_success 'a certificate the grid-mapfile does not map is refused' - <<\EOT
	X509_USER_CERT=$G/stranger.crt X509_USER_KEY=$G/stranger.key \
		phedex transfer copy "gsiftp://localhost:$P$W/src.bin" "file://$TEST_TMP/y.bin" 2>err; test $? = 3 &&
	grep -q "login refused" err && test ! -e y.bin
EOT

test_expect_success 'without credentials the copy fails and says where Globus looked' - <<\EOT
	env -u X509_USER_CERT -u X509_USER_KEY HOME=$TEST_TMP X509_USER_PROXY=$TEST_TMP/no-proxy \
		phedex transfer copy "gsiftp://localhost:$P$W/src.bin" "file://$TEST_TMP/z.bin" 2>err; test $? = 3 &&
	grep -q "Valid credentials could not be found" err && test ! -e z.bin
EOT

ASAN_OPTIONS=$ASAN_SAVED; export ASAN_OPTIONS

fixture tmdb
fixture site T1_GSI --rules <<EOF
  <lfn-to-pfn protocol="gsiftp" path-match="/+store/(.*)" result="gsiftp://localhost:$P$W/sites/T1_GSI/storage/store/\$1"/>
EOF
fixture site T2_PULL --rules <<\EOF
  <lfn-to-pfn protocol="gsiftp" chain="direct" path-match="(.*)" result="$1"/>
EOF
sed -i "s/^protocols = direct/protocols = gsiftp,direct/" "$W/sites/T2_PULL/site.conf"
fixture link T1_GSI T2_PULL
fixture dataset T1_GSI /Gsi/A/RAW 8 200
chmod -R a+rwX "$W/sites"
fixture agents T1_GSI T2_PULL

test_expect_success 'the agents pull over gsiftp:// with the X.509 credentials of their environment' - <<\EOT
	phedex subscribe --node T2_PULL --dataset /Gsi/A/RAW >/dev/null &&
	wait_for 60 at_is T2_PULL _Gsi_A_RAW 8 &&
	for f in "$W/sites/T1_GSI/storage/store/demo/_Gsi_A_RAW"/*.root; do
		cmp "$f" "$W/sites/T2_PULL/storage/store/demo/_Gsi_A_RAW/${f##*/}" || exit 1
	done &&
	test "$(grep -c 'RETR .*_Gsi_A_RAW' "$W/gsi.log")" -ge 8 &&
	! grep -q "PRIVATE KEY" "$W"/sites/*/log/agents.log
EOT

test_done
