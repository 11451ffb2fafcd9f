#!/usr/bin/env bash
# fentry/fexit (kfunc/kretfunc) and lsm on Debian 12's stock kernel, which
# has BPF trampolines and runs the BPF LSM (this machine's kernel refuses
# them). One boot for all the checks: exact argument values and return
# values from a workload with a known number of 1-byte reads, wildcards,
# module functions, kstack/ksym/func, LSM audit and deny, clean detach, and
# byte-for-byte comparisons with bpftrace 0.17 (which calls them kfunc:
# and kretfunc: and has no lsm).
. "$(dirname "$0")/lib.bash"
need_syscaller

# N one-byte reads of /dev/zero by a process called fxread: vfs_read with
# count 1, returning 1, exactly N times.
N=7
READS="$SYSCALLER -n $N -k read -m fxread"
FX='/comm == "fxread"/'

snapshot_bpf

# ---- fentry/fexit: args and retval ------------------------------------------
run_sonde -e "fentry:vfs_read $FX { @calls[args.count] = count(); }" -c "$READS"
expect_eq "fentry args.count of $N one-byte reads" "Attaching 1 probe...


@calls[1]: $N" "$OUT"
run_sonde -e "kfunc:vfs_read $FX { @[args->count, probe] = count(); }" -c "$READS"
expect_eq "kfunc alias, old args-> form, probe name" "Attaching 1 probe...


@[1, fentry:vmlinux:vfs_read]: $N" "$OUT"
run_sonde -e "fexit:vfs_read $FX { @ret[retval, args.count] = count(); }" -c "$READS"
expect_eq "fexit retval and args" "Attaching 1 probe...


@ret[1, 1]: $N" "$OUT"
# retval is typed: ssize_t is signed, so an error return is negative
run_sonde -e 'fexit:do_sys_openat2 /comm == "cat"/ { @[retval] = count(); }' -c "/bin/cat /no/such/file"
expect_match "fexit retval is signed (long): -ENOENT" '^@\[-2\]: [0-9]+$' "$OUT"

# ---- func, kstack, ksym ---------------------------------------------------------
# /dev/zero's file operations read through read_iter_zero
run_sonde -e "fentry:vfs_read $FX { @[func, ksym(args.file->f_op->read_iter)] = count(); }" -c "$READS"
expect_eq "func and ksym() of a BTF-typed function pointer" "Attaching 1 probe...


@[vfs_read, read_iter_zero]: $N" "$OUT"
run_sonde -e "fexit:vfs_read $FX { @[kstack] = count(); }" -c "$READS"
expect_match "fexit kstack holds the callers" '^ +ksys_read\+[0-9]+$' "$OUT"
expect_match "fexit kstack counted once per read" "^\]: $N\$" "$OUT"

# ---- wildcards: one program per traceable function ----------------------------
listed=$("$SONDE" -l 'fentry:vmlinux:vfs_*' | wc -l)
run_sonde -e 'fentry:vmlinux:vfs_* { @[probe] = count(); } interval:ms:100 { exit(); }'
expect_eq "fentry:vfs_* attaches every listed function" "Attaching $((listed + 1)) probes..." \
	"$(head -1 <<<"$OUT")"
run_sonde -e "fentry:vmlinu*:vfs_read $FX { @[probe] = count(); }" -c "$READS"
expect_match "fentry:vmlinu*:FUNCTION: a module wildcard" "^@\\[fentry:vmlinux:vfs_read\\]: $N\$" "$OUT"
run_sonde -e "fentry:vfs_rea* $FX { @[func] = count(); }" -c "$READS"
expect_match "a wildcard's probes fire on their own functions" "^@\\[vfs_read\\]: $N\$" "$OUT"

# ---- module functions (overlayfs and 9p are modules here) --------------------------
if [ -e /sys/kernel/btf/overlay ]; then
	run_sonde -e 'fentry:overlay:ovl_open /comm == "cat"/ { @[probe, str(args.file->f_path.dentry->d_name.name)] = count(); }' \
		-c "/bin/cat /etc/hostname"
	expect_match "module function with BTF-typed args" '^@\[fentry:overlay:ovl_open, hostname\]: 1$' "$OUT"
	run_sonde -lv 'fentry:overlay:ovl_open'
	expect_eq "-lv of a module function" "fentry:overlay:ovl_open
    struct inode * inode
    struct file * file
    int retval" "$OUT"
else
	skip "no overlay module BTF in this guest"
fi

# ---- lsm: audit, and deny only when asked with --unsafe ---------------------------
# On tmpfs (/run in the guest): a file on the overlay that is the guest's
# /tmp is opened twice (overlayfs opens the backing file too), and the
# count below is exact.
mkdir -p /run/lsm && echo secret >/run/lsm/secret.txt && cp /bin/cat /run/lsm/lsmcat
LSM_FILTER='/comm == "lsmcat" && str(args.file->f_path.dentry->d_name.name) == "secret.txt"/'
run_sonde -e "lsm:file_open $LSM_FILTER { @open[str(args.file->f_path.dentry->d_name.name), comm] = count(); }" \
	-c "/run/lsm/lsmcat /run/lsm/secret.txt"
expect_eq "lsm:file_open audits and allows" "Attaching 1 probe...
secret


@open[secret.txt, lsmcat]: 1" "$OUT"
run_sonde --unsafe -e "lsm:file_open $LSM_FILTER { return -1; }" -c "/run/lsm/lsmcat /run/lsm/secret.txt"
expect_eq "lsm return -1 denies the open (EPERM)" "Attaching 1 probe..." "$OUT"
expect_match "the denied open fails with EPERM" 'lsmcat: /run/lsm/secret.txt: Operation not permitted' "$ERR"
expect_eq "allowed again once sonde has exited" "secret" "$(/run/lsm/lsmcat /run/lsm/secret.txt 2>&1)"
run_sonde -e "lsm:file_open $LSM_FILTER { return -1; }" -c "/run/lsm/lsmcat /run/lsm/secret.txt"
expect_match "without --unsafe a return value is refused" 'run sonde with --unsafe' "$ERR"

# the example audits: the header, then a line for the file opened
run_sonde "$SRCDIR/examples/lsm_file_open.bt" -c "/run/lsm/lsmcat /run/lsm/secret.txt"
expect_match "examples/lsm_file_open.bt header" '^PID +COMM +FILE$' "$OUT"
expect_match "examples/lsm_file_open.bt sees the open" '^[0-9]+ +lsmcat +secret.txt$' "$OUT"

# fentry/fexit on a running BPF program: another sonde's interval program
"$SONDE" -e 'interval:ms:20 { @ = count(); }' >"$TMP/bg.out" 2>&1 &
bg=$!
wait_until 60 sh -c 'bpftool prog list | grep -q "name p0_interval_ms_2"'
run_sonde -e 'fexit:bpf:p0_interval_ms_20 { @[probe] = count(); @ret[retval] = count(); } fentry:bpf:p0_interval_ms_* { @e = count(); } interval:ms:500 { exit(); }'
expect_match "fexit:bpf:NAME attaches to a running BPF program" '^@\[fexit:bpf:[0-9]+:p0_interval_ms_20\]: [1-9][0-9]*$' "$OUT"
expect_match "fentry:bpf:wildcard" '^@e: [1-9][0-9]*$' "$OUT"
# sonde's programs return 0; the slot after the program's one argument (ctx)
expect_match "fexit:bpf retval: what the program returned" '^@ret\[0\]: [1-9][0-9]*$' "$OUT"
run_sonde -l 'fentry:bpf:*'
expect_match "-l 'fentry:bpf:*' lists the running programs' functions" '^fentry:bpf:[0-9]+:p0_interval_ms_20$' "$OUT"
kill -INT "$bg"
wait "$bg"

run_sonde --info
expect_match "--info: fentry works here" '^  fentry: yes$' "$OUT"

expect_nothing_left "fentry, fexit and lsm runs"

# ---- the same output as bpftrace 0.17 -------------------------------------------------
same_as_bpftrace "kfunc args" -e "kfunc:vfs_read $FX { @[args->count] = count(); }" -c "$READS"
same_as_bpftrace "kretfunc retval hist" -e "kretfunc:vfs_read $FX { @ = hist(retval); @s = stats(args->count); }" -c "$READS"
want=$(bpftrace -lv 'kfunc:vfs_read' 2>/dev/null)
got=$("$SONDE" -lv 'kfunc:vfs_read' | sed 's/^fentry:/kfunc:/')
expect_eq "-lv kfunc:vfs_read (same as bpftrace, fentry: for kfunc:)" "$want" "$got"
want=$(bpftrace -l 'kfunc:vfs_*' 2>/dev/null)
got=$("$SONDE" -l 'kfunc:vfs_*' | sed 's/^fentry:/kfunc:/')
expect_eq "-l kfunc:vfs_* (same as bpftrace, fentry: for kfunc:)" "$want" "$got"

finish
