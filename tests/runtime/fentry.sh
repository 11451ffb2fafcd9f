# fentry/fexit (kfunc/kretfunc) and lsm on this machine: listing from BTF,
# and, where the kernel refuses BPF trampolines (this development kernel
# does, with EPERM), a clear error naming the reason and a tracepoint that
# covers the same event. Running them is tested in a guest whose kernel has
# them (tests/guest/fentry.sh).
. "$(dirname "$0")/lib.bash"
if [ ! -e /sys/kernel/btf/vmlinux ]; then
	echo "SKIP: no kernel BTF"
	exit 77
fi

run_sonde -l 'fentry:vfs_read'
expect_eq "-l fentry:vfs_read" "fentry:vmlinux:vfs_read" "$OUT"
run_sonde -l 'kfunc:vmlinux:vfs_read'
expect_eq "-l with the kfunc alias and the module" "fentry:vmlinux:vfs_read" "$OUT"
run_sonde -lv 'fexit:vfs_read'
expect_eq "-lv fexit:vfs_read: parameters and return type" "fexit:vmlinux:vfs_read
    struct file * file
    char * buf
    size_t count
    loff_t * pos
    ssize_t retval" "$OUT"
run_sonde -lv 'lsm:file_open'
expect_eq "-lv lsm:file_open" "lsm:file_open
    struct file * file" "$OUT"
run_sonde -l 'lsm:file_ope*'
expect_match "-l lsm wildcard" '^lsm:file_open$' "$OUT"
run_sonde -l -e 'fentry:vfs_read,fexit:vfs_write,lsm:file_open { }'
expect_eq "-l of a script" "fentry:vmlinux:vfs_read
fexit:vmlinux:vfs_write
lsm:file_open" "$OUT"
# a wildcard lists only what the kernel lets be traced, once each
run_sonde -l 'fentry:*'
expect_eq "-l fentry:* has no duplicates" "" "$(sort <<<"$OUT" | uniq -d)"
expect_match "-l fentry:* has vfs_read" '^fentry:vmlinux:vfs_read$' "$OUT"

if "$SONDE" --info 2>/dev/null | grep -q '^  fentry: no: the kernel refuses'; then
	snapshot_bpf
	run_sonde -e 'fentry:do_nanosleep { @ = count(); }'
	expect_eq "refused fentry: exit status" 1 "$RC"
	expect_match "refused fentry: the error" "^stdin:1:1: error: the kernel refused to load probe 'fentry:vmlinux:do_nanosleep'" "$ERR"
	expect_match "refused fentry: why" '^hint: .*a policy of this kernel does not allow fentry programs' "$ERR"
	expect_match "refused fentry: what to use instead" '^hint: tracepoint:syscalls:sys_enter_nanosleep covers the same event' "$ERR"
	run_sonde -e 'fr:vfs_read { @ = count(); }'
	expect_match "refused fexit: the exit tracepoint instead" '^hint: tracepoint:syscalls:sys_exit_read covers the same event' "$ERR"
	run_sonde -e 'lsm:file_open { @ = count(); }'
	expect_match "refused lsm" "^stdin:1:1: error: the kernel refused to load probe 'lsm:file_open'" "$ERR"
	expect_nothing_left "refused loads"
else
	skip "this kernel loads fentry programs (the guest tests run them)"
fi
finish
