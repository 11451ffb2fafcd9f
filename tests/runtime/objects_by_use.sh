# Kernel objects by use: every map (and .rodata) is created at each start,
# so a script gets only those its programs use, and a script whose events
# all come from BEGIN/END gets a ring buffer as big as those events, not
# the default 1 MiB (README, "Compiled scripts": what a cached start
# costs). Output and lost-event reports stay as they were.
. "$(dirname "$0")/lib.bash"

PAGE=$(getconf PAGESIZE)
# The command sonde runs (-c) lists its parent's BPF maps from their
# fdinfo: "type max_entries" per map (27 ring buffer, 6 per-CPU array,
# 2 array: .rodata).
cat >"$TMP/maps.sh" <<'SH'
#!/bin/sh
for f in /proc/$PPID/fdinfo/*; do
	t=$(sed -n 's/^map_type:[[:space:]]*//p' "$f" 2>/dev/null)
	[ -n "$t" ] && echo "$t $(sed -n 's/^max_entries:[[:space:]]*//p' "$f")"
done | sort -n | tr '\n' ' ' >"$MAPS_OUT"
SH
chmod +x "$TMP/maps.sh"
export MAPS_OUT=$TMP/maps

maps_of() { # SCRIPT [ENV...]: the maps sonde has while its -c command runs
	rm -f "$MAPS_OUT"
	env "${@:2}" timeout 60 "$SONDE" -q -c "$TMP/maps.sh" -e "$1" >"$TMP/out" 2>"$TMP/err"
	cat "$MAPS_OUT" 2>/dev/null
}

expect_eq "BEGIN printf: one page of ring buffer, the lost counter, nothing else" \
	"6 1 27 $PAGE " "$(maps_of 'BEGIN { printf("hi\n"); }')"
expect_eq "... and its output" "hi" "$(cat "$TMP/out" "$TMP/err")"
expect_eq "from the cache: the same" "6 1 27 $PAGE " "$(maps_of 'BEGIN { printf("hi\n"); }')"
expect_eq "no events, no map updates: no map at all" "" "$(maps_of 'BEGIN { $x = 1; }')"
# The map's dropped-counter index is an immediate: no .rodata (a 2/1).
# Only programs cloned from one another (codegen/clone.c) read it from a
# .rodata global, so that they differ in relocations alone.
expect_eq "a map update: its map and the dropped-update counters, no .rodata" \
	"1 4096 6 1 6 2 27 $PAGE " "$(maps_of 'BEGIN { @x = 1; printf("x\n"); }')"
expect_eq "BEGIN { @x = 1; }: its map and the counters, nothing else" \
	"1 4096 6 2 " "$(maps_of 'BEGIN { @x = 1; }')"
# drop_syms SCRIPT: the drop-index symbols in its object (readelf: binutils)
drop_syms() {
	"$SONDE" --emit-elf "$TMP/d.elf" -e "$1" >/dev/null 2>&1
	readelf -sW "$TMP/d.elf" 2>/dev/null | awk '$8 ~ /^sonde_drop_/ { print $8 }' | sort -u | tr '\n' ' '
}
expect_eq "nothing cloned: no drop-index symbol" "" "$(drop_syms 'BEGIN { @x = 1; @y = 2; } END { @z = 3; @x = 4; @y = 5; }')"
expect_eq "two bodies the same up to their maps: cloned, an index symbol each" "sonde_drop_0 sonde_drop_1 " \
	"$(drop_syms 'tracepoint:sched:sched_process_exec { @a = 1; } tracepoint:sched:sched_process_exit { @b = 1; }')"
expect_eq "BPFTRACE_PERF_RB_PAGES still sets the size" "6 1 27 $((16 * PAGE)) " \
	"$(maps_of 'BEGIN { printf("hi\n"); }' BPFTRACE_PERF_RB_PAGES=16)"
expect_eq "events in a loop: the default 1 MiB" "6 1 27 1048576 " \
	"$(maps_of 'BEGIN { $i = 0; while ($i < 2) { printf("x\n"); $i++; } }')"
expect_eq "a probe that fires often: the default, and .rodata (its pid filter)" \
	"2 1 6 1 27 1048576 " "$(maps_of 'BEGIN { printf("b\n"); } tracepoint:syscalls:sys_enter_getppid { printf("p\n"); }')"

# Events from BEGIN that need more than a page: all of them arrive, none lost.
SCRIPT="BEGIN {"
for i in $(seq 1 100); do SCRIPT+=" printf(\"%d %d %d %d %d %d %d %d\\n\", $i, 2, 3, 4, 5, 6, 7, 8);"; done
SCRIPT+=" exit(); }"
timeout 60 "$SONDE" -q -e "$SCRIPT" >"$TMP/out" 2>"$TMP/err"
expect_eq "100 printf in BEGIN: every line" "100 $(seq 1 100 | tr '\n' ' ')" \
	"$(grep -c . "$TMP/out") $(grep . "$TMP/out" | cut -d' ' -f1 | tr '\n' ' ')"
expect_eq "... and nothing lost" "" "$(cat "$TMP/err")"
# A BEGIN loop that emits more than any page: as before (1 MiB), all arrive.
timeout 60 "$SONDE" -q -e 'BEGIN { for ($i : 0..3000) { printf("%d\n", $i); } exit(); }' \
	>"$TMP/out" 2>"$TMP/err"
expect_eq "3000 printf from a loop in BEGIN: every line" "3000 2999" "$(grep -c . "$TMP/out") $(grep . "$TMP/out" | tail -n 1)"
expect_eq "... and nothing lost" "" "$(cat "$TMP/err")"
finish
