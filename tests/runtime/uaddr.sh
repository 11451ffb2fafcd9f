# uaddr() in a PIE and in a shared library: exec and the dynamic loader put
# them at addresses picked at run time, so the address of a variable in the
# file is not the process's. The program adds where the probe fired less
# where it sits in the file (bpftrace's peer case `call.uaddr pie elf`).
#
# tests/tools/uaddr_pie.c (a PIE) and uaddr_lib.c (libuaddr_lib.so, which
# it calls) hold variables of 1, 2, 4 and 8 bytes with known values.
. "$(dirname "$0")/lib.bash"

PIE=$(realpath "$TOOLS_DIR/uaddr_pie" 2>/dev/null)
LIB=$(realpath "$TOOLS_DIR/libuaddr_lib.so" 2>/dev/null)
if [ ! -e "$PIE" ] || [ ! -e "$LIB" ]; then
	echo "SKIP: the uaddr test programs are not built ($TOOLS_DIR/uaddr_pie, libuaddr_lib.so)"
	exit 77
fi

run_sonde -q -c "$PIE" -e "uprobe:$PIE:uaddr_func { printf(\"0x%x 0x%x 0x%x 0x%lx\n\",
	*uaddr(\"uaddr_u8\"), *uaddr(\"uaddr_s16\"), *uaddr(\"uaddr_i32\"), *uaddr(\"uaddr_i64\")); exit(); }"
expect_eq "uprobe in a PIE (-c): each variable's value" "0x7f 0x3333 0x55555555 0x1122334455667788" "$OUT"
expect_eq "uprobe in a PIE: stderr" "" "$ERR"

run_sonde -q -c "$PIE" -e "uprobe:$LIB:uaddr_lib_func { printf(\"0x%x\n\", *uaddr(\"uaddr_lib_var\")); exit(); }"
expect_eq "uprobe in a shared library: its variable" "0x2468ace0" "$OUT"

# One probe on two binaries: each program reads the symbol of its own
# binary (uaddr_both is 0x1111 in the PIE and 0x2222 in the library), not
# the first binary's address moved by the second one's load bias.
run_sonde -q -c "$PIE" -e "uprobe:$PIE:uaddr_func, uprobe:$LIB:uaddr_lib_func {
	printf(\"%s 0x%x\n\", probe, *uaddr(\"uaddr_both\")); }"
expect_eq "one probe on a PIE and a library: each binary's own variable" \
	"uprobe:$PIE:uaddr_func 0x1111
uprobe:$LIB:uaddr_lib_func 0x2222" "$(sed '/^$/d' <<<"$OUT")"
expect_eq "one probe on two binaries: stderr" "" "$ERR"

# A script with a probe on each binary, each reading a variable only its
# binary has.
run_sonde -q -c "$PIE" -e "uprobe:$PIE:uaddr_func { printf(\"pie 0x%x\n\", *uaddr(\"uaddr_i32\")); }
	uprobe:$LIB:uaddr_lib_func { printf(\"lib 0x%x 0x%x\n\", *uaddr(\"uaddr_lib_var\"), *uaddr(\"uaddr_both\")); }"
expect_eq "a probe on each of two binaries" "pie 0x55555555
lib 0x2468ace0 0x2222" "$(sed '/^$/d' <<<"$OUT")"

# The name must be in every binary the probe is on.
run_sonde -q -c "$PIE" -e "uprobe:$PIE:uaddr_func, uprobe:$LIB:uaddr_lib_func { print(*uaddr(\"uaddr_lib_var\")); }"
expect_match "one probe on two binaries, the variable in one: an error naming the other" \
	"error: uaddr\(\): no variable 'uaddr_lib_var' in $PIE" "$ERR"

# Two probes of one binary with the same actions (not reading `probe`):
# not one shared program (uprobe_multi), since each adds where its own
# probe sits in the file.
run_sonde -q -c "$PIE" -e "uprobe:$PIE:uaddr_func,uprobe:$PIE:main { @s = sum(*uaddr(\"uaddr_i32\")); @n = count(); }"
expect_eq "two probes, the same actions: each reads the variable" \
	"@n: 2
@s: 2863311530" "$(grep '^@' <<<"$OUT" | sort)"

# No -p or -c: the process starts after the probes are attached.
: >"$TMP/out"
__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 timeout -s INT 60 "$SONDE" -q \
	-e "uprobe:$PIE:uaddr_func { printf(\"0x%x\n\", *uaddr(\"uaddr_i32\")); exit(); }" >"$TMP/out" 2>"$TMP/err" &
sonde=$!
if wait_until 30 file_has "$TMP/out" '^__BPFTRACE_NOTIFY_PROBES_ATTACHED$'; then
	"$PIE"
	wait "$sonde"
	expect_eq "without -p or -c: the value in whichever process fires" "0x55555555" \
		"$(grep -v NOTIFY "$TMP/out" | sed '/^$/d')"
else
	kill -INT "$sonde"
	wait "$sonde"
	fail "without -p or -c: never attached: $(cat "$TMP/err")"
fi

# At a uretprobe the kernel names the function (bpf_get_func_ip, 6.6).
IFS=. read -r major minor _ <<<"$(uname -r)"
if (( major > 6 || (major == 6 && minor >= 6) )); then
	run_sonde -q -c "$PIE" -e "uretprobe:$PIE:uaddr_func { printf(\"0x%x\n\", *uaddr(\"uaddr_i32\")); exit(); }"
	expect_eq "uretprobe in a PIE: the value" "0x55555555" "$OUT"
	run_sonde -q -c "$PIE" -e "uretprobe:$PIE:uaddr_func, uretprobe:$LIB:uaddr_lib_func {
		printf(\"0x%x\n\", *uaddr(\"uaddr_both\")); }"
	expect_eq "uretprobe on two binaries: each one's variable" "0x1111
0x2222" "$(sed '/^$/d' <<<"$OUT")"
else
	skip "uretprobe in a PIE: needs Linux 6.6 (bpf_get_func_ip at a uretprobe)"
fi

finish
