# lib-fair.sh — fair timing for the bench-transfer scripts (sourced).
#
#   fair_bench BYTES NAME 'COMMAND' NAME 'COMMAND' ...
#
# Runs every contender once per round for ROUNDS rounds (default 6), each
# into an empty directory $OUT (emptied untimed, under $FAIR_OUT), in an order
# that rotates every round (contender 1 first in round 1, contender 2 first in
# round 2, ...), so none always runs first on memory the previous one just
# gave back.  The first round only warms memory and caches and is discarded;
# the figure of each contender is the median of the other rounds.  Prints one
# line per contender (median MB/s of BYTES, every kept run, and the median
# CPU seconds, which hold up better than MB/s on a machine busy with other
# work) and sets MBS_<NAME> to the median.  COMMAND runs under sh -c: export what it uses.
fair_bench () {
	fb_bytes=$1
	shift
	fb_k=0
	while [ $# -ge 2 ]; do
		fb_k=$((fb_k + 1))
		eval "fb_name_$fb_k=\$1 fb_cmd_$fb_k=\$2"
		shift 2
	done
	fb_rounds=${ROUNDS:-6}
	fb_log=$FAIR_OUT.times
	: >"$fb_log"
	fb_r=1
	while [ "$fb_r" -le "$fb_rounds" ]; do
		fb_j=0
		while [ "$fb_j" -lt "$fb_k" ]; do
			fb_c=$(((fb_r - 1 + fb_j) % fb_k + 1))
			eval "fb_name=\$fb_name_$fb_c fb_cmd=\$fb_cmd_$fb_c"
			rm -rf "$FAIR_OUT" && mkdir -p "$FAIR_OUT"
			fb_t0=$(date +%s%N)
			OUT=$FAIR_OUT /usr/bin/time -f "%U %S" -o "$fb_log.cpu" sh -c "$fb_cmd" ||
				{ echo "fair_bench: $fb_name failed" >&2; return 1; }
			fb_t1=$(date +%s%N)
			[ "$fb_r" -gt 1 ] && echo "$fb_name $((fb_t1 - fb_t0)) $(tail -1 "$fb_log.cpu")" >>"$fb_log"
			fb_j=$((fb_j + 1))
		done
		fb_r=$((fb_r + 1))
	done
	rm -rf "$FAIR_OUT"
	fb_j=1
	while [ "$fb_j" -le "$fb_k" ]; do
		eval "fb_name=\$fb_name_$fb_j"
		fb_line=$(awk -v n="$fb_name" -v b="$fb_bytes" '$1 == n { print b / 1e6 / ($2 / 1e9) }' "$fb_log" | sort -n |
			awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
			       s = ""; for (i = 1; i <= NR; i++) s = s sprintf(" %.0f", v[i]); printf "%.0f (runs:%s)", m, s }')
		fb_cpu=$(awk -v n="$fb_name" '$1 == n { print $3 + $4 }' "$fb_log" | sort -n |
			awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
		printf "  %-16s median %s MB/s; median CPU %s s (user+system, all processes)\n" "$fb_name:" "$fb_line" "$fb_cpu"
		eval "MBS_$fb_name=\${fb_line%% *}"
		fb_j=$((fb_j + 1))
	done
}

# ratio A B: A / B to two decimals.
ratio () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
