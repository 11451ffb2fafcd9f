# uprobe / uretprobe on a test program's functions: arguments, return
# values, user memory read through a cast pointer, the probe's name, and
# -c catching the child's first calls (probes attach before it runs).
. "$(dirname "$0")/lib.bash"

TARGET=$(realpath "$TOOLS_DIR/uprobe_target")
if [ ! -x "$TARGET" ]; then
	echo "SKIP: $TARGET not built"
	exit 77
fi

run_sonde -q -c "$TARGET" -e "uprobe:$TARGET:add { printf(\"add %d %s\n\", arg0, str(arg1)); }
	uretprobe:$TARGET:add { printf(\"= %d\n\", retval); }"
expect_eq "uprobe arguments, uretprobe return values" "add 0 word
= 4
add 1 word
= 14
add 2 word
= 24" "$(grep -E '^(add|=) ' <<<"$OUT")"

run_sonde -q -c "$TARGET 2" -e "struct record { int id; char name[12]; long total; }
	u:$TARGET:fill { \$r = (struct record *)arg0; printf(\"%d %s %d\n\", \$r->id, \$r->name, \$r->total); @[probe] = count(); }
	ur:$TARGET:fill { @ret = sum(retval); }"
expect_eq "u/ur aliases, a user struct through a cast pointer, probe" "7 seven 0
7 seven 7
@[uprobe:$TARGET:fill]: 2
@ret: 14" "$(grep -E '^(7|@)' <<<"$OUT")"

run_sonde -q -c "$TARGET 1" -e "uprobe:$TARGET:add+4 { @hits = count(); }"
expect_eq "FUNCTION+OFFSET" "@hits: 1" "$(grep '^@' <<<"$OUT")"

if command -v bpftrace >/dev/null; then
	same_as_bpftrace "uprobe and uretprobe" -c "$TARGET 4" -e "uprobe:$TARGET:add { @args[arg0] = sum(arg0 * 2 + 1); }
		uretprobe:$TARGET:add { @ret = hist(retval); @sum = sum(retval); }"
fi

# errors: at compile time, at the attach point
run_sonde -e "uprobe:$TARGET:addd { }"
expect_eq "a misspelled function: exit code" 1 "$RC"
expect_match "a misspelled function: did you mean" "error: uprobe: no function 'addd' in $TARGET; did you mean 'add'\\?" "$ERR"
run_sonde -e "uprobe:$TARGET:add { @ = retval; }"
expect_match "retval in a uprobe" "builtin 'retval' is not available in uprobe probes" "$ERR"
# a library or program named without a path, found as bpftrace finds them
run_sonde -q -c 'ls /' -e 'uprobe:libc:opendir { @opendir = count(); }'
expect_eq "uprobe:libc:FUNCTION (libc.so.6 in the linker's directories)" "@opendir: 1" "$(grep '^@' <<<"$OUT")"
PATH="$(dirname "$TARGET"):$PATH" run_sonde -q -c "$TARGET 2" -e 'uprobe:uprobe_target:fill { @fills = count(); }'
expect_eq "uprobe:PROGRAM:FUNCTION (on PATH)" "@fills: 2" "$(grep '^@' <<<"$OUT")"
run_sonde -e 'uprobe:libnosuchlib:f { }'
expect_match "a library that is not there" "error: uprobe: no library 'libnosuchlib' \\(libnosuchlib.so\\*\\) in the linker's directories; give its path" "$ERR"
# missing_probes = warn | ignore (config): an attach point that is not there is skipped
run_sonde -q -e 'config = { missing_probes = warn } uprobe:libc:no_such_function_x { @a = 1; }
	interval:ms:50 { printf("ran\n"); exit(); }'
expect_eq "missing_probes = warn: the rest runs" "ran" "$(grep . <<<"$OUT")"
expect_match "missing_probes = warn: says what was skipped and why" \
	"warning: attach point 'uprobe:libc:no_such_function_x' skipped \\(missing_probes = warn\\): uprobe: no function 'no_such_function_x'" "$ERR"
run_sonde -q -e 'config = { missing_probes = ignore } uprobe:libc:no_such_function_x, interval:ms:50 { printf("ran\n"); exit(); }'
expect_eq "missing_probes = ignore: silent" "ran|" "$(grep . <<<"$OUT")|$ERR"
run_sonde -e 'config = { missing_probes = ignore } uprobe:libc:no_such_function_x { }'
expect_match "missing_probes: nothing left is an error" "error: no probes to attach: every attach point is missing" "$ERR"
finish
