# reg("NAME") in uprobes (kprobes: tests/guest/kprobes.sh): the registers
# the probed code stopped with, as struct pt_regs holds them. At a
# function's first instruction (x86-64) ip is the function's address, di
# its first argument, and sp 8 below a 16-byte boundary (the call pushed
# the return address); pc is ip's other name and orig_ax bpftrace 0.17's
# name of orig_rax.
. "$(dirname "$0")/lib.bash"

TARGET=$(realpath "$TOOLS_DIR/uprobe_target")
if [ ! -x "$TARGET" ]; then
	echo "SKIP: $TARGET not built"
	exit 77
fi
if [ "$(uname -m)" != x86_64 ]; then
	echo "SKIP: the register names checked are x86-64's"
	exit 77
fi

# ip: add's address; its page offset is the symbol's (a PIE's base is page-aligned)
page_off=$(printf '%x' $((0x$(nm "$TARGET" | awk '$3 == "add" { print $1; exit }') & 0xfff)))
run_sonde -q -c "$TARGET" -e "uprobe:$TARGET:add {
	printf(\"add %x %d %d %d %d\n\", reg(\"ip\") & 0xfff, reg(\"di\") == arg0, reg(\"sp\") % 16,
	       reg(\"pc\") == reg(\"ip\"), reg(\"orig_ax\") == reg(\"orig_rax\"));
}"
expect_eq "reg(): ip, di, sp, pc and orig_ax at a uprobe" "add $page_off 1 8 1 1
add $page_off 1 8 1 1
add $page_off 1 8 1 1" "$(grep '^add' <<<"$OUT")"

run_sonde -q -c "$TARGET" -e "uprobe:$TARGET:add { @[reg(\"di\")] = count(); }"
expect_eq "reg(\"di\") is the first argument's value" "@[0]: 1
@[1]: 1
@[2]: 1" "$(grep '^@' <<<"$OUT")"

if command -v bpftrace >/dev/null; then
	same_as_bpftrace "reg() in a uprobe" -c "$TARGET 3" \
		-e "uprobe:$TARGET:add { @[reg(\"di\"), reg(\"sp\") % 16] = sum(reg(\"di\") + 1); }"
fi

finish
