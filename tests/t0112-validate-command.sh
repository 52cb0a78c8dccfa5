#!/bin/sh
# A destination with a validate-command ([download]): asked before each
# transfer (a file already there is not copied; a veto fails the attempt) and
# after it (the copy is post-checked).
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"
PX_STALE=4 PX_HEARTBEAT=1 PX_POLL=1
export PX_STALE PX_HEARTBEAT PX_POLL
DS=/Test/Hooks/RAW
D=store/demo/_Test_Hooks_RAW
S=$W/sites/T1_CH_Source/storage

cat >"$W/validate.sh" <<EOF
#!/bin/sh
echo "\$*" >>"$W/validate.log"
case "\$1:\$2" in
pre:*/0001.root) test -f "\$2" && exit 0 ;;
pre:*/0002.root) echo "site policy: not here"; exit 86 ;;
pre:*) exit 1 ;;
*) test "\$1" = 0 && test "\$(stat -c %s "\$2")" = "\$3" ;;
esac
EOF
chmod +x "$W/validate.sh"
fixture tmdb
fixture sites T1_CH_Source T2_VAL
printf "[download]\nvalidate-command = %s\n" "$W/validate.sh" | fixture conf T2_VAL
fixture link T1_CH_Source T2_VAL
fixture dataset T1_CH_Source $DS 12 8
mkdir -p "$W/sites/T2_VAL/storage/$D" && cp "$S/$D/0001.root" "$W/sites/T2_VAL/storage/$D/0001.root"
fixture subscribe --node T2_VAL --dataset $DS
fixture agents T1_CH_Source T2_VAL

test_expect_success 'validate-command: a file already there is not copied, a veto fails the attempt, copies are post-checked' - <<\EOT
	wait_for 60 at_is T2_VAL "" 11 &&
	grep -q "^pre .*/0001.root" "$W/validate.log" &&
	! grep -q "^0 .*0001.root" "$W/validate.log" &&
	grep -q "^0 .*/0005.root.phedex-[0-9]*-1.part [0-9]* adler32:" "$W/validate.log" &&
	sql "select log from errors where reason = 'validate'" >veto &&
	grep -q "vetoed.*0002.root.*site policy: not here" veto &&
	cmp "$S/$D/0005.root" "$W/sites/T2_VAL/storage/$D/0005.root"
EOT

test_expect_success 'SIGTERM stops every agent' - <<\EOT
	stop_agents T1_CH_Source T2_VAL &&
	wait_for 20 "! pgrep -f \"phedex-agent --config $W/\" >/dev/null"
EOT
test_done
