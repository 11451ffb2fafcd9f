# uprobes that need --unsafe, as in the latest bpftrace: a function whose
# symbol has size 0 (_init: nothing says where it ends), and an address in
# a file that is no ELF file (a flat binary: the address is the offset in
# the file). tests/tools/flat_exec maps a file executable and jumps to it.
. "$(dirname "$0")/lib.bash"

NOPIE=$TOOLS_DIR/uprobe_nopie
FLAT=$TOOLS_DIR/flat_exec
need_tools "$NOPIE" "$FLAT"
SONDE=$(realpath "$SONDE")
NOPIE=$(realpath "$NOPIE")
FLAT=$(realpath "$FLAT")
cd "$TMP" || exit 1
snapshot_bpf

# ---- a function of size 0 ----------------------------------------------------
run_sonde -e "uprobe:$NOPIE:_init { @ = count(); }"
expect_eq "uprobe on a function of size 0: exit status" 1 "$RC"
expect_match "uprobe on a function of size 0 needs --unsafe" \
	"error: uprobe: cannot tell where '_init' ends \\(its symbol has size 0\\); --unsafe attaches to it anyway" "$ERR"
run_sonde --unsafe -e "uprobe:$NOPIE:_init { printf(\"init %d\\n\", pid == cpid); exit(); }" -c "$NOPIE"
expect_eq "uprobe on a function of size 0 with --unsafe" "$(printf 'Attaching 1 probe...\ninit 1')" "$OUT"
# a wildcard does not stop at such a function
run_sonde -e "uprobe:$NOPIE:_ini* { @ = count(); }" -c "$NOPIE"
expect_eq "uprobe wildcard matching a function of size 0" 0 "$RC"

# ---- a flat binary ---------------------------------------------------------------
if [ "$(uname -m)" = x86_64 ]; then
	# mov $60, %eax; mov $1, %edi; syscall: exit(1)
	printf '\270\074\000\000\000\277\001\000\000\000\017\005' >exit1.bin
	run_sonde -e 'uprobe:./exit1.bin:0x0 { printf("SUCCESS\n"); exit(); }'
	expect_match "uprobe on a flat binary without --unsafe" \
		"error: uprobe: '$TMP/exit1.bin' is not an ELF file sonde can read \\(--unsafe probes an address" "$ERR"
	run_sonde --unsafe -e 'uprobe:./exit1.bin:0x0 { printf("SUCCESS %s\n", probe); exit(); }' -c "$FLAT ./exit1.bin"
	expect_eq "uprobe on offset 0 of a flat binary (--unsafe)" \
		"$(printf 'Attaching 1 probe...\nSUCCESS uprobe:./exit1.bin:0x0')" "$OUT"
	run_sonde --unsafe -e 'uprobe:./exit1.bin:0x5 { @ = count(); }' -c "$FLAT ./exit1.bin"
	expect_eq "uprobe on offset 5 of a flat binary (--unsafe)" "$(printf 'Attaching 1 probe...\n\n\n@: 1')" "$OUT"
	run_sonde --unsafe -e 'uprobe:./exit1.bin:main { @ = count(); }'
	expect_match "a function name in a flat binary" "is not an ELF file sonde can read" "$ERR"
else
	skip "flat binary: x86-64 code"
fi

expect_nothing_left "uprobe --unsafe"
finish
