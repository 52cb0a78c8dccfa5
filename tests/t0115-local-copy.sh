#!/bin/sh
# phedex transfer copy between local paths: the bytes arrive unchanged, the
# checksum reported is of the destination read back after the flush (the
# kernel copied the bytes), and it equals cksum(1) and zlib's adler32; across
# filesystems the kernel cannot copy, the bytes stream through us instead.
. "$top_srcdir/tests/lib-test.sh"

json () { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
adler () { python3 -c 'import sys, zlib; print("%08x" % zlib.adler32(open(sys.argv[1], "rb").read()))' "$1"; }

test_expect_success 'a local copy is read back after the flush; its checksums are zlib adler32 and cksum(1)' - <<\EOT
	head -c 5000001 /dev/urandom >src &&
	phedex transfer copy --json --checksums=adler32,cksum "$PWD/src" "$PWD/sub/dir/dst" >out.json &&
	cmp src sub/dir/dst &&
	# Filesystems known to copy in the kernel; elsewhere it may stream.
	case $(findmnt -n -o FSTYPE -T "$PWD" | head -1) in
	ext4|xfs|btrfs|tmpfs) test "$(json out.json checksum_source)" = read-back ;;
	*) case $(json out.json checksum_source) in read-back|streamed) ;; *) exit 1 ;; esac ;;
	esac &&
	test "$(json out.json bytes)" = 5000001 &&
	test "$(json out.json checksum)" = "adler32:$(adler src),cksum:$(cksum <src | cut -d" " -f1)" &&
	phedex transfer copy --json "file://$PWD/src" "file://$PWD/dst2" >out2.json &&
	test "$(json out2.json checksum)" = "adler32:$(adler src)"
EOT

test_expect_success 'an empty file and a file of one byte copy and check' - <<\EOT
	: >empty && printf x >one &&
	phedex transfer copy --json "$PWD/empty" "$PWD/empty.copy" >e.json &&
	test -f empty.copy && test ! -s empty.copy &&
	test "$(json e.json checksum)" = adler32:00000001 &&
	phedex transfer copy --json "$PWD/one" "$PWD/one.copy" >o.json &&
	cmp one one.copy && test "$(json o.json checksum)" = "adler32:$(adler one)"
EOT

test_expect_success 'across filesystems (tmpfs to this disk) the copy streams through the checksum' - <<\EOT
	test -d /dev/shm && test -w /dev/shm || { echo "no writable /dev/shm: nothing to cross"; exit 0; }
	s=$(mktemp /dev/shm/phedex-t0115.XXXXXX) &&
	head -c 3000000 /dev/urandom >"$s" &&
	phedex transfer copy --json "$s" "$PWD/crossed" >x.json; rc=$?; cmp "$s" crossed; same=$?; want=$(adler "$s"); rm -f "$s"
	test $rc = 0 && test $same = 0 &&
	test "$(json x.json checksum)" = "adler32:$want" &&
	case $(json x.json checksum_source) in streamed|read-back) ;; *) exit 1 ;; esac
EOT

test_expect_success 'a copy that outlives its timeout fails as transient and leaves no destination' - <<\EOT
	head -c 20000000 /dev/zero >big &&
	test_expect_code 3 phedex transfer copy --timeout=0.000001 "$PWD/big" "$PWD/late" 2>err &&
	grep -q "timed out" err && test ! -e late
EOT

test_expect_success 'a missing source is a permanent error' - <<\EOT
	test_expect_code 1 phedex transfer copy "$PWD/nothing-here" "$PWD/x" 2>err &&
	grep -q "cannot open source" err && test ! -e x
EOT
test_done
