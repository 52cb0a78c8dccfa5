# phedex-lib.sh — shell helpers shared by the demo and the end-to-end tests:
# a private PostgreSQL cluster, sites with their own storage and config,
# datasets of real files.  Source it; needs PHEDEX_BINDIR or phedex on PATH.

: "${PG_BINDIR:=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"

# px_pg_start DIR PORT: a throwaway cluster in DIR on a private socket; sets PHEDEX_DB.
# PX_PG_OPTS: more server options ("-c name=value ...", later ones win).
px_pg_start () {
	_dir=$1 _port=$2
	mkdir -p "$_dir"
	_as=""
	if [ "$(id -u)" = 0 ]; then
		# initdb refuses to run as root: the cluster belongs to the postgres user.
		chown postgres "$_dir"
		_as="runuser -u postgres --"
	fi
	$_as "$PG_BINDIR/initdb" -D "$_dir/data" -A trust -U phedex -E UTF8 --no-sync >"$_dir/initdb.log" 2>&1 ||
		{ echo "initdb failed, see $_dir/initdb.log" >&2; return 1; }
	$_as "$PG_BINDIR/pg_ctl" -D "$_dir/data" -l "$_dir/postgres.log" -w -t 60 \
		-o "-k $_dir -p $_port -c listen_addresses='' -c fsync=off -c max_connections=200 ${PX_PG_OPTS:-}" start >/dev/null ||
		{ echo "PostgreSQL did not start, see $_dir/postgres.log" >&2; return 1; }
	PHEDEX_DB="host=$_dir port=$_port user=phedex dbname=postgres"
	export PHEDEX_DB
}

px_pg_stop () {
	_as=""
	[ "$(id -u)" = 0 ] && _as="runuser -u postgres --"
	$_as "$PG_BINDIR/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1 || true
}

# px_site NAME DIR [EXTRA-RULES]: storage under DIR/NAME/storage, config DIR/NAME/site.conf.
# EXTRA-RULES are lfn-to-pfn rules placed before the general ones.
# PHEDEX_SITE_ROLES=1: the site's agents connect as its own role (the node
# added if need be, then `phedex db grant-site` with $PHEDEX_DB, the owner's).
px_site () {
	_name=$1 _top=$2/$1 _extra=${3:-}
	mkdir -p "$_top/storage" "$_top/log"
	_db=$PHEDEX_DB
	if [ -n "${PHEDEX_SITE_ROLES:-}" ]; then
		"${PHEDEX_BINDIR:+$PHEDEX_BINDIR/}phedex" node add "$_name" >/dev/null 2>&1
		"${PHEDEX_BINDIR:+$PHEDEX_BINDIR/}phedex" db grant-site "$_name" >/dev/null || return 1
		_db="$PHEDEX_DB user=$(echo "$_name" | tr A-Z a-z)"
	fi
	cat >"$_top/storage.xml" <<XML
<storage-mapping>
$_extra
  <lfn-to-pfn protocol="direct" path-match="/+store/(.*)" result="$_top/storage/store/\$1"/>
  <lfn-to-pfn protocol="file" chain="direct" path-match="(.*)" result="file://\$1"/>
  <pfn-to-lfn protocol="direct" path-match="$_top/storage/(store/.*)" result="/\$1"/>
  <pfn-to-lfn protocol="file" chain="direct" path-match="file://(.*)" result="\$1"/>
</storage-mapping>
XML
	cat >"$_top/site.conf" <<CONF
[site]
node = $_name
db = $_db
storage-xml = $_top/storage.xml
protocols = direct
poll-interval = ${PX_POLL:-10}
heartbeat-interval = ${PX_HEARTBEAT:-2}
stale-after = ${PX_STALE:-6}
[router]
retry-delay = ${PX_RETRY_DELAY:-1}
[download]
batch = ${PX_BATCH:-20}
CONF
}

# px_dataset NODE DIR DATASET N SIZE-KB > inject.xml: N files of random bytes in NODE's storage.
px_dataset () {
	_node=$1 _top=$2/$1 _ds=$3 _n=$4 _kb=$5
	_blockdir=$(echo "$_ds" | tr -c 'A-Za-z0-9\n' '_')
	_d="$_top/storage/store/demo/$_blockdir"
	mkdir -p "$_d"
	i=0
	while [ $i -lt "$_n" ]; do
		_f=$(printf "%s/%04d.root" "$_d" "$i")
		head -c $(( (_kb * 1024) + (i * 37) % 1024 )) /dev/urandom >"$_f"
		i=$((i + 1))
	done
	echo "<data version=\"2.0\"><dbs name=\"demo\"><dataset name=\"$_ds\" is-open=\"n\">"
	echo "<block name=\"$_ds#1\" is-open=\"n\">"
	"${PHEDEX_BINDIR:+$PHEDEX_BINDIR/}phedex" checksum "$_d"/*.root | while IFS="	" read -r bytes ck path; do
		echo "  <file name=\"/store/demo/$_blockdir/${path##*/}\" bytes=\"$bytes\" checksum=\"$ck\"/>"
	done
	echo "</block></dataset></dbs></data>"
}
