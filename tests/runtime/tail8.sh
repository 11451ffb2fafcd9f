# The last pieces of bpftrace's language (issue 8, tail8 lane): write_user,
# and the cases of bpftrace's own suites that were still failing.
. "$(dirname "$0")/lib.bash"

# ---- write_user ------------------------------------------------------------------
# This kernel (lockdown LSM) may refuse bpf_probe_write_user to every
# program, so the BPF object is checked, not a run.
run_sonde --unsafe -e 'tracepoint:syscalls:sys_enter_openat /pid == 0xffffffff/ {
	$ok = write_user(args.filename, "x", 1); $n = (uint64)2; if (write_user(args.filename, "/tmp\0", $n)) { printf("%d\n", $ok); } }' \
	--emit-elf "$TMP/wu.o"
expect_eq "write_user compiles" "0" "$RC"
if command -v llvm-objdump >/dev/null; then
	expect_match "write_user calls bpf_probe_write_user" 'call 36' "$(llvm-objdump -d "$TMP/wu.o" 2>&1)"
fi
run_sonde -e 'tracepoint:syscalls:sys_enter_openat { write_user(args.filename, "x", 1); }'
expect_match "write_user needs --unsafe" 'write_user\(\) is an unsafe function' "$ERR"
run_sonde --unsafe -e 'BEGIN { write_user(0, "ab", 4); exit(); }'
expect_match "write_user of more bytes than the value has" 'write_user\(\) of 4 bytes' "$ERR"

# ---- bitfields read as bpftrace reads them: zero-extended, even when signed --------
run_sonde -q -e 'struct bar { short a:4, b:8, c:3, d:1; int e:9, f:15; }
	BEGIN { $v = (uint64)0x798d01f4dd91; $p = (struct bar *)(&$v);
	printf("%d %d %d %d %d %d\n", $p->a, $p->b, $p->c, $p->d, $p->e, $p->f); exit(); }'
expect_eq "signed bitfields are zero-extended" "1 217 5 1 500 31117" "$(printf '%s' "$OUT" | sed '/^$/d')"

# ---- let $p: struct T * in a uprobe points to user memory, as a cast does --------
TARGET=$(realpath "$TOOLS_DIR/uprobe_target")
if [ -x "$TARGET" ]; then
	run_sonde -q -c "$TARGET 1" -e "struct record { int id; char name[12]; long total; }
	u:$TARGET:fill { let \$r: struct record *; \$r = (struct record *)arg0;
	printf(\"%d %s\\n\", \$r->id, \$r->name); }"
	expect_eq "a declared pointer variable reads user memory in a uprobe" "7 seven" "$(printf '%s' "$OUT" | sed '/^$/d')"
else
	skip "uprobe_target not built"
fi

# ---- int y[0] in a script struct is a flexible array member, not a pointer -------
run_sonde -q -e 'struct D { int x; int y[0]; } BEGIN { $v = (uint64)0x100000002; $a = (struct D *)&$v;
	print($a->y[0]); print(offsetof(struct D, y)); print(sizeof(struct D)); exit(); }'
expect_eq "a [0] member is a flexible array" "1
4
4" "$(printf '%s' "$OUT" | sed '/^$/d')"

# ---- positional parameters: a leading 0 is octal, as in bpftrace 0.17 -------------
same_as_bpftrace "octal positional parameter" -e 'BEGIN { printf("got: %d %o 0x%x %d\n", $1, $2, $3, $4); exit(); }' 123 0775 0x123 0

finish
