# info.sh - `sonde --info`, the environment doctor: the sections, and for
# each probe type a verdict that agrees with this kernel's config. This
# kernel is built without CONFIG_KPROBES: kprobe must say no, why (the
# config option and where that was read) and what to do. As nobody (no
# capabilities) every probe type that works as root says it needs root.
source "$(dirname "$0")/lib.bash"

run_sonde --info
expect_eq "--info exits 0" "0" "$RC"
expect_eq "--info: no error output" "" "$ERR"
for section in System Build "Kernel features" "Probe types"; do
	expect_match "--info has '$section'" "^$section\$" "$OUT"
done
expect_match "--info: the kernel release" "^  OS: Linux $(uname -r) " "$OUT"
expect_match "--info: sonde's version" "^  version: v[0-9]" "$OUT"
expect_match "--info: LLVM's version" "^  LLVM: [0-9]+\." "$OUT"
expect_match "--info: a verdict for every bpftrace probe type" "^  iter: (yes|no: )" "$OUT"
expect_match "--info: tracepoints work here" "^  tracepoint: yes$" "$OUT"
expect_match "--info: BEGIN works here" "^  begin: yes$" "$OUT"

# bpftrace's feature lines, which its test runner reads ("NAME: yes")
for line in "Loop support: yes" "btf: yes" "probe_read_kernel: yes" "send_signal: yes" "iter: yes" \
	"kprobe_multi: no" "kprobe_session: no" "ringbuf: yes"; do
	expect_match "--info: bpftrace's line '$line'" "^  $line\$" "$OUT"
done
# the runner runs its tests of uprobe `args` from DWARF when it reads this
expect_match "--info: bpftrace's libdw line" '^  libdw \(DWARF support\): yes$' "$OUT"

config() { zcat /proc/config.gz 2>/dev/null || cat "/boot/config-$(uname -r)" 2>/dev/null; }
if config | grep -q '^# CONFIG_KPROBES is not set'; then
	expect_match "--info: kprobes are missing, and why" \
		'^  kprobe: no: the kernel is built without CONFIG_KPROBES \("# CONFIG_KPROBES is not set" in (/proc/config.gz|/boot/config-.*)\)$' "$OUT"
	expect_match "--info: what to do without kprobes" \
		"^    what to do: use tracepoint: or rawtracepoint: probes where one fits .*CONFIG_KPROBES=y$" "$OUT"
	expect_match "--info: kretprobes too" "^  kretprobe: no: the kernel is built without CONFIG_KPROBES" "$OUT"
	expect_match "--info: the config line" "^  CONFIG_KPROBES: not set$" "$OUT"
elif config | grep -q '^CONFIG_KPROBES=y'; then
	expect_match "--info: kprobes work here" "^  kprobe: yes$" "$OUT"
else
	skip "kprobe verdict: no kernel config to compare with"
fi
# an option the config lacks, whatever the machine
if config | grep -q '^CONFIG_UPROBES=y'; then
	expect_match "--info: uprobes work here" "^  uprobe: yes$" "$OUT"
fi

# Without capabilities: the reason is the missing capability.
need_nobody
OUT=$("${NOBODY[@]}" "$SONDE" --info 2>&1)
expect_match "--info as nobody: tracepoint needs root" \
	"^  tracepoint: no: sonde lacks CAP_BPF and CAP_PERFMON \(or CAP_SYS_ADMIN\)" "$OUT"
expect_match "--info as nobody: what to do" "^    what to do: run sonde as root" "$OUT"
expect_match "--info as nobody: capabilities" "^  CAP_BPF: no$" "$OUT"
finish
