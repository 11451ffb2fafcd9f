# Edges of bpftrace's language (issue 8, langa lane): big strings in scratch
# memory, char arrays without a NUL, clear/delete of a scalar count map,
# division by zero at run time, and the warning for a discarded value.
. "$(dirname "$0")/lib.bash"

nonempty() { printf '%s' "$1" | sed '/^$/d'; }

# ---- max_strlen=9999: values over the 32 KiB a per-CPU map value holds ----------
# A tuple of a long string and a for loop over a map of long strings need
# 40 KB and 80 KB of scratch memory. cat's openat() of a 5555-character
# path fails (ENAMETOOLONG), but the tracepoint sees the path first.
LONG=/$(printf 'X%.0s' $(seq 1 5555))
export BPFTRACE_MAX_STRLEN=9999
run_sonde -q -c "cat $LONG" -e 't:syscalls:sys_enter_openat /pid == cpid && strncmp(str(args.filename), "/XXX", 4) == 0/ {
	print((1, (2, str(args.filename)))); exit(); }'
expect_eq "max_strlen 9999: a long string in a nested tuple" "(1, (2, $LONG))" "$(nonempty "$OUT")"
run_sonde -q -c "cat $LONG" -e 't:syscalls:sys_enter_openat /pid == cpid && strncmp(str(args.filename), "/XXX", 4) == 0/ {
	@map[str(args.filename)] = str(args.filename); for ($kv : @map) { print($kv); } clear(@map); exit(); }'
expect_eq "max_strlen 9999: for over a map of long strings" "($LONG, $LONG)" "$(nonempty "$OUT")"
run_sonde -q -c "cat $LONG" -e 't:syscalls:sys_enter_openat /pid == cpid && strncmp(str(args.filename), "/XXX", 4) == 0/ {
	print(str(args.filename)); exit(); }'
unset BPFTRACE_MAX_STRLEN
expect_eq "BPFTRACE_MAX_STRLEN=9999" "$LONG" "$(nonempty "$OUT")"
run_sonde -q -e 'config = { max_strlen = 32768 } BEGIN { $t = (str(0), 1, str(0)); @[$t] = count(); print($t); exit(); }'
expect_eq "max_strlen 32768: two strings in a tuple key" "(, 1, )
@[, 1, ]: 1" "$(nonempty "$OUT")"

# ---- char[N] holding N characters and no NUL: all N of them ------------------------
TARGET=$(realpath "$TOOLS_DIR/uprobe_target")
if [ -x "$TARGET" ]; then
	# the target's record has name "seven" in char[12]; this view sees char[5].
	# All five characters are read and, a C char array being full rather
	# than cut, printed without the `..` trailer, as bpftrace 0.17 prints
	# them (the latest prints a BTF char[N] that fills up with the trailer).
	same_as_bpftrace "char[5] holding \"seven\" reads all five" -c "$TARGET 1" -e "struct R5 { int id; char name[5]; }
	u:$TARGET:fill { \$r = (struct R5 *)arg0; printf(\"%s|\\n\", \$r->name); print(\$r->name);
	@[\$r->name] = count(); @s = \$r->name; print(*\$r); @r = *\$r; exit(); }"
	run_sonde -q -c "$TARGET 1" -e "struct R5 { int id; char name[5]; }
	u:$TARGET:fill { \$r = (struct R5 *)arg0; if (\$r->name == \"seven\") { printf(\"equal\\n\"); } exit(); }"
	expect_eq "char[5] \"seven\" compares equal to \"seven\"" "equal" "$(nonempty "$OUT")"
	# an index known only at run time: past the end, a warning (latest bpftrace)
	run_sonde -q -c "$TARGET 1" -e "struct A { int x[2]; }
	u:$TARGET:fill { \$a = (struct A *)arg0; \$i = (uint64)1; \$y = (uint64)100;
	printf(\"%d\\n\", \$a->x[\$i - 1]); @x = \$a->x[\$y]; clear(@x); exit(); }"
	expect_eq "array index in bounds at run time" "7" "$(nonempty "$OUT")"
	expect_eq "array index past the end at run time warns" \
		"stdin:3:38-47: WARNING: Array access out of bounds. This can lead to unexpected results." "$ERR"
else
	skip "uprobe_target not built"
fi

# ---- clear() and delete() of a scalar count map print @: 0 --------------------------
same_as_bpftrace "clear of a scalar count map" -e 'BEGIN { @c = count(); @c = count(); clear(@c); exit(); }'
same_as_bpftrace "delete of a scalar count map" -e 'BEGIN { @ = count(); delete(@); exit(); }'
same_as_bpftrace "zero of a scalar sum map" -e 'BEGIN { @s = sum(5); zero(@s); exit(); }'

# ---- x / 0 and x % 0: 1 and a warning, as the latest bpftrace (0.17: 0 and x) -------
run_sonde -e 'BEGIN { @z = 0; @a = 7; printf("%d %d\n", @a % @z, @a / @z); $x = 5; $x /= @z;
print($x); @a %= @z; print(@a); clear(@z); clear(@a); exit(); }'
expect_eq "division and modulo by zero give 1" "Attaching 1 probe...
1 1
1
@a: 1" "$(nonempty "$OUT")"
WARN='WARNING: Divide or modulo by 0 detected. This can lead to unexpected results. 1 is being used as the result.'
expect_eq "division by zero warns at each operation" "stdin:1:43-50: $WARN
stdin:1:52-59: $WARN
stdin:1:70-78: $WARN
stdin:2:12-20: $WARN" "$ERR"
run_sonde -q -e 'BEGIN { @d = 3; printf("%d %d %d\n", 7 / @d, -7 % @d, 7 % 2); clear(@d); exit(); }'
expect_eq "division by non-zero: no warning" "2 -1 1|" "$(nonempty "$OUT")|$ERR"

# ---- a discarded value: the latest bpftrace's warning, once per statement ----------
run_sonde -q -e 'BEGIN { bswap((uint32)1); $x = 1; $x++; ++$x; $x; _ = $x + 1; printf("%d\n", $x); exit(); }'
expect_eq "discarded values warn; ++, printf and _ = do not" "stdin:1:9: warning: Return value discarded.
BEGIN { bswap((uint32)1); \$x = 1; \$x++; ++\$x; \$x; _ = \$x + 1; printf(\"%d\\n\", \$x); exit(); }
        ^~~~~~~~~~~~~~~~
stdin:1:47: warning: Return value discarded.
BEGIN { bswap((uint32)1); \$x = 1; \$x++; ++\$x; \$x; _ = \$x + 1; printf(\"%d\\n\", \$x); exit(); }
                                              ^~" "$ERR"
expect_eq "a discarded value still runs the script" "3" "$(nonempty "$OUT")"

finish
