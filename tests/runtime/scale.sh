#!/usr/bin/env bash
# scale.sh - big scripts (issue 13): maps created without preallocation
# where that is safe, and many probes compiled, attached and torn down.
# No timings here: bench/run.sh measures them.
. "$(dirname "$0")/lib.bash"

kernel_at_least_6_1() {
	local major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	[ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "${minor%%[!0-9]*}" -ge 1 ]; }
}

# map_flags NAME...: "name=flags ..." of the running maps with these names,
# polled until all are there (the script runs in the background).
map_flags() {
	local got="" _ want=$#
	for _ in $(seq 40); do
		sleep 0.1
		got=$(bpftool map show 2>/dev/null | sed -nE 's/^[0-9]+: [a-z_]+ +name ([a-z0-9_]+) +flags (0x[0-9a-f]+).*/\1=\2/p' |
			grep -E "^($(IFS='|'; echo "$*"))=" | sort | tr '\n' ' ')
		[ "$(wc -w <<<"$got")" -ge "$want" ] && break
	done
	echo "$got"
}

# ---- map preallocation -------------------------------------------------------------

# A map a tracepoint updates is allocated as keys arrive (BPF_F_NO_PREALLOC,
# 0x1); one a perf-event program (profile, interval) updates stays
# preallocated; one interval only reads does not need to be. Unique names:
# other scripts running now must not match.
if command -v bpftool >/dev/null && kernel_at_least_6_1; then
	t=t$$ p=p$$ r=r$$
	script="tracepoint:syscalls:sys_enter_getppid { @$t[comm] = count(); @$r = 1; }
		profile:hz:99 { @$p[cpu] = count(); } interval:ms:50 { \$x = @$r; }
		interval:s:10 { exit(); }"
	for mode in default prealloc; do
		if [ $mode = prealloc ]; then export SONDE_PREALLOC_MAPS=1; fi
		timeout -s INT 6 "$SONDE" -e "$script" >/dev/null 2>&1 &
		spid=$!
		# bpf_name is m<id>_<name>, cut to the kernel's 15 characters
		got=$(map_flags "m0_$t" "m1_$r" "m2_$p")
		kill -INT $spid 2>/dev/null
		wait $spid 2>/dev/null
		unset SONDE_PREALLOC_MAPS
		if [ $mode = default ]; then
			expect_eq "tracepoint maps are not preallocated, the profile map is" \
				"m0_$t=0x1 m1_$r=0x1 m2_$p=0x0 " "$got"
		else
			expect_eq "SONDE_PREALLOC_MAPS=1 preallocates every map" "m0_$t=0x0 m1_$r=0x0 m2_$p=0x0 " "$got"
		fi
	done
else
	skip "map flags: needs bpftool and Linux 6.1 or newer"
fi

# Keys still arrive and print as before, and a map that fills up reports
# its dropped updates as a preallocated one does.
run_sonde -e 'config = { max_map_keys = 3 } BEGIN { @a[1] = count(); @a[2] = count(); @a[3] = count(); @a[4] = count();
	exit(); }'
expect_eq "a full map without preallocation" "Attaching 1 probe...


@a[1]: 1
@a[2]: 1
@a[3]: 1" "$OUT"
expect_match "its dropped update is reported" "@a: 1 update dropped: Map full \\(3 entries\\)" "$ERR"

# ---- probes with the same code share one program --------------------------------------

# prog_ids_of OUTPUT: the program ids of `sonde -v`'s "attached" lines, in order
prog_ids_of() { sed -nE 's/^sonde: attached .* \(program id ([0-9]+)\)$/\1/p' <<<"$1" | tr '\n' ' '; }

# Separate probe blocks with the same body: one program, attached to each
# tracepoint with its index as the attach cookie, which names `probe`. A
# body writing another map is other code: a program of its own.
shared='tracepoint:sched:sched_process_exec /pid == cpid/ { @[probe] = count(); }
	tracepoint:sched:sched_process_exit /pid == cpid/ { @[probe] = count(); }
	tracepoint:sched:sched_process_fork /pid == cpid/ { @n[probe] = count(); }'
# the command execs twice and exits once (distinct counts: a stable order)
# (bpftrace 0.17 runs only ELF files with -c, and splits its words at spaces)
printf '/bin/true\nexec /bin/true\n' >"$TMP/twice.sh"
run_sonde -v -c "/bin/sh $TMP/twice.sh" -e "$shared"
ids=$(prog_ids_of "$ERR")
read -r a b c <<<"$ids"
expect_eq "the same body is one program, another map another program" "same other" \
	"$([ -n "$a" ] && [ "$a" = "$b" ] && echo same) $([ -n "$c" ] && [ "$c" != "$a" ] && echo other)"
expect_eq "probe in a shared program names the tracepoint that fired" "Attaching 3 probes...


@[tracepoint:sched:sched_process_exit]: 1
@[tracepoint:sched:sched_process_exec]: 2
@n[tracepoint:sched:sched_process_fork]: 1" "$OUT"
same_as_bpftrace "probe in a shared program" -c "/bin/sh $TMP/twice.sh" -e "$shared"

# A wildcard's targets share the program too (args is per target: not shared).
run_sonde -v -c /bin/true -e 'tracepoint:sched:sched_process_e* /pid == cpid/ { @[probe] = count(); }'
read -r a b _ <<<"$(prog_ids_of "$ERR")"
expect_eq "a wildcard's targets share one program" "same" "$([ -n "$a" ] && [ "$a" = "$b" ] && echo same)"
run_sonde -v -c /bin/true -e 'tracepoint:sched:sched_process_exec /pid == cpid/ { @a = args.pid; }
	tracepoint:sched:sched_process_exit /pid == cpid/ { @a = args.pid; }'
read -r a b _ <<<"$(prog_ids_of "$ERR")"
expect_eq "bodies reading args keep a program each" "apart" "$([ -n "$a" ] && [ "$a" != "$b" ] && echo apart)"

# Lowered syscall probes with one body: one copy of the code in the raw
# tracepoint's program, whatever the number of syscalls (the dispatch names
# `probe`); the map's references in the IR do not grow with them.
lowered() {
	local n
	for n in "$@"; do echo "tracepoint:syscalls:sys_enter_$n { @[probe] = count(); }"; done
}
refs() {
	SONDE_RAW_LOWERING=1 "$SONDE" --emit-llvm "$TMP/l.ll" --emit-elf "$TMP/l.elf" -e "$(lowered "$@")" >/dev/null 2>&1
	grep -c '@m0' "$TMP/l.ll"
}
two=$(refs read write)
six=$(refs read write openat close dup pipe)
expect_eq "six lowered probes with one body: the code of two" "$two" "$six"
SONDE_RAW_LOWERING=1 run_sonde -c "/bin/sh $TMP/twice.sh" -e 'tracepoint:syscalls:sys_enter_execve /pid == cpid/ { @[probe] = count(); }
	tracepoint:syscalls:sys_enter_exit_group /pid == cpid/ { @[probe] = count(); }'
expect_eq "lowered probes with one body name their syscall" "Attaching 2 probes...


@[tracepoint:syscalls:sys_enter_exit_group]: 1
@[tracepoint:syscalls:sys_enter_execve]: 2" "$OUT"

# ---- many distinct programs: compiled in chunks and linked ---------------------------

# 117 tracepoints outside syscalls with a map each, and three whose counts
# the command fixes: 120 programs, more than one module takes (codegen
# compiles them as chunks linked by libbpf's linker).
events=/sys/kernel/tracing/events
[ -d $events ] || events=/sys/kernel/debug/tracing/events
others=$(find "$events" -mindepth 2 -maxdepth 2 -type d 2>/dev/null | sed -E 's|.*/events/([^/]+)/([^/]+)$|\1:\2|' |
	grep -Ev '^(syscalls|ftrace|sched):' | LC_ALL=C sort | head -117)
if [ "$(wc -l <<<"$others")" -eq 117 ]; then
	{
		k=0
		for tp in $others; do
			k=$((k + 1))
			echo "tracepoint:$tp /pid == cpid/ { @o$k = count(); }"
		done
		echo 'tracepoint:sched:sched_process_exec /pid == cpid/ { @exec = count(); }'
		echo 'tracepoint:sched:sched_process_exit /pid == cpid/ { @exit = count(); }'
		echo 'tracepoint:sched:sched_process_fork /pid == cpid/ { @fork = count(); }'
	} >"$TMP/many.bt"
	"$SONDE" --emit-elf "$TMP/many.elf" "$TMP/many.bt" >/dev/null 2>&1
	SONDE_CG_CLONE=0 "$SONDE" --emit-elf "$TMP/all.elf" "$TMP/many.bt" >/dev/null 2>&1
	# libbpf's linker leaves out the DWARF that LLVM writes into each
	# module. Compiled, the 120 programs are linked from chunks; as two
	# originals and their clones they are few enough for one module.
	expect_eq "120 programs are linked from chunks (no DWARF in the object); cloned, one module" \
		"linked one" \
		"$([ -s "$TMP/all.elf" ] && ! grep -q debug_info "$TMP/all.elf" && echo linked) $(grep -q debug_info "$TMP/many.elf" && echo one)"
	snapshot_bpf
	run_sonde -v -c "/bin/sh $TMP/twice.sh" "$TMP/many.bt"
	expect_eq "120 programs with a map each: attached, exact counts" "0 120 @exec: 2 @exit: 1 @fork: 1" \
		"$RC $(prog_ids_of "$ERR" | wc -w) $(grep -E '^@(exec|exit|fork):' <<<"$OUT" | tr '\n' ' ' | sed 's/ $//')"
	expect_nothing_left "120 programs"
	# The 120 bodies are the same up to their maps: compiled once per kind
	# of map, cloned in the object (codegen/clone.c). A clone has no BTF
	# function of its own: the object's BTF names two programs where it
	# named 120 (the three sched maps are preallocated, as maps written
	# with interrupts off are: another map definition, another original).
	if command -v bpftool >/dev/null; then
		funcs=$(bpftool btf dump file "$TMP/many.elf" 2>/dev/null | grep -c "FUNC '")
		all=$(bpftool btf dump file "$TMP/all.elf" 2>/dev/null | grep -c "FUNC '")
		expect_eq "120 bodies the same up to their maps: two compiled, the rest cloned" "2 120" "$funcs $all"
	else
		skip "cloned programs: needs bpftool"
	fi
	snapshot_bpf
	SONDE_CG_CLONE=0 run_sonde -c "/bin/sh $TMP/twice.sh" "$TMP/many.bt"
	expect_eq "120 programs, none cloned: the same counts" "0 @exec: 2 @exit: 1 @fork: 1" \
		"$RC $(grep -E '^@(exec|exit|fork):' <<<"$OUT" | tr '\n' ' ' | sed 's/ $//')"
	expect_nothing_left "120 programs, none cloned"
else
	skip "120 programs: fewer than 117 tracepoints outside syscalls here"
fi

# A clone counts its failed updates under its own map: the exit block is
# compiled, the exec block (which fires twice, with two keys for a map of
# one) is its clone, and only @b reports a dropped update. One module and
# linked chunks alike.
drops='config = { max_map_keys = 1 }
	tracepoint:sched:sched_process_exit /pid == cpid/ { @a[nsecs] = count(); }
	tracepoint:sched:sched_process_exec /pid == cpid/ { @b[nsecs] = count(); }'
for chunk in "" 1; do
	SONDE_CG_CHUNK=$chunk run_sonde -c "/bin/sh $TMP/twice.sh" -e "$drops"
	expect_eq "a clone's dropped update is its own map's${chunk:+ (chunks of one)}" \
		"@b: 1 update dropped: Map full (1 entries)|" \
		"$(grep -oE '@[ab]: [0-9]+ updates? dropped: Map full \([0-9]+ entr[a-z]+\)' <<<"$ERR" | tr '\n' '|')"
done

# Every part of a program that needs the linker's care, one program a
# chunk (SONDE_CG_CHUNK=1): for-loop and len() callbacks (.text, no
# .eh_frame), the probe-name table (.rodata next to the configuration),
# stack maps, the scratch map (a 200-byte string), maps in several chunks.
linked='config = { max_strlen = 200 }
	tracepoint:sched:sched_process_e* /pid == cpid/ { @[probe] = count(); @s[kstack(1)] = 1; }
	tracepoint:sched:sched_process_fork /pid == cpid/ { @a[1] = 1; @a[2] = 2; @n = len(@a);
		for ($kv : @a) { @sum = sum($kv.1); } @str[comm] = 1; @big = "x"; }
	END { clear(@s); clear(@a); @n = len(@a); }'
SONDE_CG_CHUNK=1 run_sonde -c "/bin/sh $TMP/twice.sh" -e "$linked"
expect_eq "programs in chunks of one, linked" "Attaching 4 probes...


@[tracepoint:sched:sched_process_exit]: 1
@[tracepoint:sched:sched_process_exec]: 2

@big: x
@n: 2

@str[sh]: 1
@sum: 3" "$OUT"
chunked=$OUT
run_sonde -c "/bin/sh $TMP/twice.sh" -e "$linked"
expect_eq "programs in chunks print what one module prints" "$OUT" "$chunked"

finish
