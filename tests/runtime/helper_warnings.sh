# -k: a map read of a key that is not there and a delete() of one are
# reported where the script wrote them, as bpftrace's failed
# map_lookup_elem (retcode 0) and map_delete_elem (-ENOENT) warnings; the
# values read are 0 as without -k. Without -k nothing is said.
. "$(dirname "$0")/lib.bash"

SCRIPT='BEGIN { @x++; @y[1] += 2; @s[2] = "a"; printf("%s|\n", @s[3]); $t = @y[5] + 1; delete(@y[7]); delete(@s[2]); @q--; printf("%d\n", $t); exit(); }'
run_sonde -k -e "$SCRIPT"
expect_eq "-k: exit code" 0 "$RC"
warn() { # COL-END TEXT: the warning, the script's line and the marker under COL..END-1
	local col=${1%-*} end=${1#*-}
	printf 'stdin:1:%s: WARNING: %s\n%s\n%*s%s\n' "$1" "$2" "$SCRIPT" $((col - 1)) "" \
		"$(printf '%*s' $((end - col)) '' | tr ' ' '~')"
}
LOOKUP="Failed to map_lookup_elem: 0"
expect_eq "-k: each missing key and failed delete at its place" "$(warn 9-13 "$LOOKUP")
$(warn 15-20 "$LOOKUP")
$(warn 56-61 "$LOOKUP")
$(warn 69-74 "$LOOKUP")
$(warn 80-93 "Failed to map_delete_elem: No such file or directory (-2)")
$(warn 110-114 "$LOOKUP")" "$(grep -v '^Attaching' <<<"$ERR")"
expect_eq "-k: the values are those of a run without it" "|
1" "$(grep -v '^Attaching' <<<"$OUT" | sed -n 1,2p)"

run_sonde -e "$SCRIPT"
expect_eq "no -k: no warnings" "" "$ERR"

# JSON: the latest bpftrace's helper_error record per failure, with its
# position (msg is strerror of the return code, as bpftrace's)
run_sonde -k -f json -e 'BEGIN { @m[2] = 1; printf("%d\n", @m[1]); exit(); }'
expect_eq "-k -f json: a missing key" \
	'{"type": "helper_error", "msg": "Success", "helper": "map_lookup_elem", "retcode": 0, "filename": "stdin", "line": 1, "col": 35}' \
	"$(grep helper_error <<<"$OUT")"

# bpftrace 0.17 warns about map reads with -kk (-k there leaves out reads);
# sonde's -k is 0.17's -kk.
if command -v bpftrace >/dev/null; then
	want=$(timeout -s INT 60 bpftrace -kk -e "$SCRIPT" 2>&1 | grep -v 'RLIMIT_MEMLOCK')
	got=$(timeout -s INT 60 "$SONDE" -k -e "$SCRIPT" 2>&1)
	expect_eq "-k: the same warnings and output as bpftrace -kk" "$want" "$got"
else
	echo "SKIP: bpftrace not installed; cannot compare -k"
fi

finish
