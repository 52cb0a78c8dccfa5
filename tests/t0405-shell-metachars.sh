#!/bin/sh
# LFNs and PFNs with shell metacharacters ($(...), ;, `, |, &, quotes,
# spaces) through the command backend ([transfer] command) and the site's
# validate-command: names travel as argv, never through a shell, so no
# command hidden in a name runs and every file arrives intact.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=1
export PX_STALE PX_HEARTBEAT PX_POLL

cat >"$W/mycopy.sh" <<EOF
#!/bin/sh
mkdir -p "\$(dirname "\$2")" && printf 'mycopy %s\n' "\$1" >>"$W/mycopy.log" && exec cp "\$1" "\$2"
EOF
cat >"$W/validate.sh" <<EOF
#!/bin/sh
printf '%s|' "\$@" >>"$W/validate.log"; echo >>"$W/validate.log"
case "\$1" in
pre) exit 1 ;;
*) test "\$1" = 0 && test "\$(stat -c %s "\$2")" = "\$3" ;;
esac
EOF
chmod +x "$W/mycopy.sh" "$W/validate.sh"
fixture tmdb
fixture sites T1_Src T2_Cmd
fixture conf T2_Cmd <<EOF
[transfer]
command = $W/mycopy.sh
EOF
printf "[download]\nvalidate-command = %s\n" "$W/validate.sh" | fixture conf T2_Cmd
fixture link T1_Src T2_Cmd
# Files whose names would run commands if a shell ever saw them; the
# injection XML escapes them as XML, nothing else.
fixture_meta_files () {
	python3 - "$W/sites/T1_Src/storage/store/meta" "$W/meta.xml" <<-\EOF &&
	import os, sys, subprocess
	from xml.sax.saxutils import quoteattr
	d, out = sys.argv[1], sys.argv[2]
	names = ["a $(touch pwned1) b.root", "semi;touch pwned2;.root", "tick`touch pwned3`.root",
	         "quote'\"&touch pwned4&.root", "pipe|touch pwned5|.root", "dollar $HOME and  spaces.root",
	         "redir >pwned6 <x.root"]
	os.makedirs(d, exist_ok=True)
	lines = []
	for i, n in enumerate(names):
	    p = os.path.join(d, n)
	    with open(p, "wb") as f:
	        f.write(os.urandom(3000 + i))
	    bytes_, ck, _ = subprocess.check_output(["phedex", "checksum", p]).decode().rstrip("\n").split("\t", 2)
	    lines.append('<file name=%s bytes="%s" checksum="%s"/>' % (quoteattr("/store/meta/" + n), bytes_, ck))
	with open(out, "w") as f:
	    f.write('<data version="2.0"><dbs name="demo"><dataset name="/Meta/A/RAW" is-open="n">'
	            '<block name="/Meta/A/RAW#1" is-open="n">' + "".join(lines) + '</block></dataset></dbs></data>\n')
	EOF
	phedex inject --node T1_Src --tfc "$W/sites/T1_Src/storage.xml" "$W/meta.xml"
}
fixture meta_files
fixture subscribe --node T2_Cmd --dataset /Meta/A/RAW
fixture agents T1_Src T2_Cmd

test_expect_success 'every file with shell metacharacters in its name arrives intact through the command backend' - <<\EOT
	wait_for 60 at_is T2_Cmd /store/meta/ 7 &&
	for f in "$W/sites/T1_Src/storage/store/meta"/*; do
		cmp "$f" "$W/sites/T2_Cmd/storage/store/meta/${f##*/}" || exit 1
	done &&
	test "$(ls "$W/sites/T2_Cmd/storage/store/meta" | wc -l)" = 7 &&
	test "$(grep -c "^mycopy $W/sites/T1_Src/storage/store/meta/" "$W/mycopy.log")" = 7
EOT

test_expect_success 'the hook and the copy command got each name as one argument, as it is' - <<\EOT
	wait_for 60 at_is T2_Cmd /store/meta/ 7 &&
	grep -qF "mycopy $W/sites/T1_Src/storage/store/meta/a \$(touch pwned1) b.root" "$W/mycopy.log" &&
	grep -qF "/store/meta/quote'\"&touch pwned4&.root.phedex-" "$W/validate.log" &&
	grep -qF "pre|$W/sites/T2_Cmd/storage/store/meta/tick\`touch pwned3\`.root|" "$W/validate.log" &&
	grep -qF "/store/meta/dollar \$HOME and  spaces.root" "$W/validate.log"
EOT

test_expect_success 'no command hidden in a name ran: no marker file anywhere' - <<\EOT
	wait_for 60 at_is T2_Cmd /store/meta/ 7 &&
	test -z "$(find "$W" "$top_builddir" "$top_srcdir" -maxdepth 4 -name 'pwned*' 2>/dev/null)" &&
	test ! -e /pwned1 && test ! -e "$HOME/pwned1"
EOT

test_done
