# Kernel symbols: kaddr() resolved from /proc/kallsyms while compiling, and
# `*` of an integer address (a uint64 read, as bpftrace does).
. "$(dirname "$0")/lib.bash"

want=$(awk '$2 == "T" && $3 == "vfs_read" { print $1; exit }' /proc/kallsyms | sed 's/^0*//')
run_sonde -q -e 'BEGIN { printf("%lx\n", kaddr("vfs_read")); exit(); }'
expect_eq "kaddr() is the address /proc/kallsyms lists" "$want" "$(grep . <<<"$OUT")"

# The first 8 bytes of a function: not zero on any kernel (an endbr64 or a nop).
run_sonde -q -e 'BEGIN { $p = kaddr("vfs_read"); printf("%d\n", *$p != 0); printf("%d\n", *($p + 0) == *$p); exit(); }'
expect_eq "* of an integer reads kernel memory" "1
1" "$(grep . <<<"$OUT")"

# A kernel built without CONFIG_KALLSYMS_ALL lists no variables: say so.
if [ "$(awk '$2 ~ /^[DdBb]$/' /proc/kallsyms | wc -l)" -lt 1000 ]; then
	run_sonde -e 'BEGIN { $a = kaddr("avenrun"); }'
	expect_eq "kaddr() of a variable the kernel does not list: exit code" 1 "$RC"
	expect_match "kaddr() of a variable the kernel does not list: why" \
		"this kernel lists only functions in /proc/kallsyms \(it was built without CONFIG_KALLSYMS_ALL\)" "$ERR"
else
	skip "kaddr() of an unlisted variable: this kernel lists its variables"
fi

# ksym(): the name of the function holding an address, named in user space
KSYM='BEGIN { printf("%s|%s|%s|%s\n", ksym(kaddr("vfs_read")), ksym(kaddr("vfs_read") + 5), ksym(0), ksym(255));
	@[ksym(kaddr("vfs_read"))] = count(); @v = ksym(0); @w = ksym(0x10); exit(); }'
run_sonde -q -e "$KSYM"
expect_eq "ksym" "vfs_read|vfs_read|0|0xff


@[vfs_read]: 1
@v: 0
@w: 0x10" "$OUT"
run_sonde -q -f json -e 'BEGIN { @[ksym(kaddr("vfs_read"))] = count(); @v = ksym(kaddr("vfs_read")); exit(); }'
expect_eq "ksym in JSON: a string" '{"type": "map", "data": {"@": {"vfs_read": 1}}}
{"type": "map", "data": {"@v": "vfs_read"}}' "$OUT"

if command -v bpftrace >/dev/null; then
	same_as_bpftrace "kaddr" -e 'BEGIN { printf("%lx %d\n", kaddr("vfs_read"), kaddr("vfs_read") > 0); exit(); }'
	same_as_bpftrace "ksym" -e "$KSYM"
fi
finish
