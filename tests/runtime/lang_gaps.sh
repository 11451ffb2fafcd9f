# Gaps of bpftrace's language left after issue 8's first pass (langb lane):
# the config builtin, ...
. "$(dirname "$0")/lib.bash"

# ---- config / config(): the settings in effect, as a record (latest bpftrace) ----
run_sonde -q -e 'BEGIN { printf("%d %s %d\n", config().max_strlen, config().stack_mode, config().cpp_demangle); exit(); }'
expect_eq "config() reads integer, string and boolean settings" "1024 bpftrace 1" "$(printf '%s' "$OUT" | sed '/^$/d')"
run_sonde -q -e 'config = { max_strlen = 99; stack_mode = perf; missing_probes = "warn" }
	BEGIN { if (config().max_strlen == __builtin_config.max_strlen) { printf("%d %s %s\n", config.max_strlen, config.stack_mode, config.missing_probes); } exit(); }'
expect_eq "config shows the config block" "99 perf warn" "$(printf '%s' "$OUT" | sed '/^$/d')"
OUT=$(BPFTRACE_MAX_STRLEN=77 timeout 60 "$SONDE" -q -e 'BEGIN { print(config.max_strlen); exit(); }' 2>&1)
expect_eq "config shows BPFTRACE_* variables" "77" "$(printf '%s' "$OUT" | sed '/^$/d')"
run_sonde -q -e 'BEGIN { print(config); exit(); }'
expect_eq "print(config) lists bpftrace's fields in its order" \
	"{ .cpp_demangle = true, .lazy_symbolication = false, .print_maps_on_exit = true, .use_blazesym = false, .show_debug_info = false, .log_size = 1048576, .max_bpf_progs = 1024, .max_cat_bytes = 10240, .max_map_keys = 4096, .max_probes = 1024, .max_strlen = 1024, .on_stack_limit = 64, .perf_rb_pages = $(( 1048576 / $(getconf PAGESIZE) )), .str_trunc_trailer = .., .unstable_import_statement = warn, .unstable_tseries = warn, .unstable_typeinfo = error, .unstable_dw_ustack = warn, .missing_probes = error, .stack_mode = bpftrace, .license = GPL }" \
	"$(printf '%s' "$OUT" | sed '/^$/d')"

# ---- probe in begin/end: the spelling written (latest: begin; 0.17: BEGIN) ----
run_sonde -q -e 'begin { printf("%s", probe); } end { printf("-%s\n", probe); }'
expect_eq "probe is begin/end for the latest spelling" "begin-end" "$(printf '%s' "$OUT" | sed '/^$/d')"
same_as_bpftrace "probe is BEGIN/END for 0.17's spelling" -e 'BEGIN { printf("%s", probe); exit(); } END { printf("-%s\n", probe); }'

# ---- ctx in perf event probes: struct bpf_perf_event_data_kern * ----
run_sonde -q -e 'struct x { unsigned long x; } i:ms:1 { printf("SUCCESS %d\n", ((struct x *)ctx).x != 0); exit(); }'
expect_eq "ctx in interval probes" "SUCCESS 1" "$(printf '%s' "$OUT" | sed '/^$/d')"
run_sonde -q -e 'profile:hz:99 { printf("%d\n", ctx->regs->ip != 0); exit(); }'
expect_eq "ctx->regs in profile probes" "1" "$(printf '%s' "$OUT" | sed '/^$/d')"

# ---- errorf/warnf inside macros: bpftrace's "expanded from" notes ----
run_sonde -q -e 'macro bad() { errorf("Something bad"); } begin { bad(); }'
expect_eq "errorf in a macro notes the use it was expanded from" 'stdin:1:15-38: ERROR: Something bad
stdin:1:50-55: ERROR: expanded from
macro bad() { errorf("Something bad"); } begin { bad(); }
                                                 ~~~~~' "$ERR"
run_sonde -q -e 'macro inner(x) { warnf("w %d", x); } macro outer() { inner(2); } begin { outer(); exit(); }'
expect_eq "warnf through two macros notes both uses, innermost first" 'stdin:1:18-34: WARNING: w 2
stdin:1:54-62: WARNING: expanded from
macro inner(x) { warnf("w %d", x); } macro outer() { inner(2); } begin { outer(); exit(); }
                                                     ~~~~~~~~
stdin:1:74-81: WARNING: expanded from
macro inner(x) { warnf("w %d", x); } macro outer() { inner(2); } begin { outer(); exit(); }
                                                                         ~~~~~~~' "$ERR"
# the notes survive the compile cache (the second run is a cache hit)
run_sonde -q -e 'macro bad() { errorf("Something bad"); } begin { bad(); }'
expect_match "expanded from, from the compile cache" '^stdin:1:50-55: ERROR: expanded from$' "$ERR"
run_sonde -q -f json -e 'macro bad() { errorf("Something bad"); } begin { bad(); }'
expect_eq "JSON has the first location only, as bpftrace" "" "$(printf '%s\n%s' "$OUT" "$ERR" | grep 'expanded')"

# ---- find(@m, k, $v) and kfunc_exist("name") (latest bpftrace's stdlib) ----
run_sonde -q -e 'begin { @map[2] = (1, "hello"); let $val; if (find(@map, 2, $val)) { print($val); }
	if (!find(@map, 3, $val)) { print("none"); } clear(@map); exit(); }'
expect_eq "find() stores the value of a key that is there" "(1, hello)
none" "$(printf '%s' "$OUT" | sed '/^$/d')"
run_sonde -q -e 'begin { @m[1, "a"] = count(); $v = 7; $f = find(@m, (1, "a"), $v); $g = find(@m, (2, "b"), $v); print(($f, $g, $v)); clear(@m); exit(); }'
expect_eq "find() on a count() map with a two-part key" "(true, false, 1)" "$(printf '%s' "$OUT" | sed '/^$/d')"
run_sonde -q -e 'begin { print((kfunc_exist("bpf_task_from_pid"), kfunc_exist("vfs_read"), kfunc_exist("no_such_kfunc"))); exit(); }'
expect_eq "kfunc_exist() asks kernel BTF for a kfunc" "(true, false, false)" "$(printf '%s' "$OUT" | sed '/^$/d')"

# ---- -k (and 0.17's -kk): a failed probe_read is a located warning ----
run_sonde -k -q -e 'BEGIN { printf("[%s]\n", str(uptr((int8 *)8))); exit(); }'
expect_eq "-k: output as without it" "[]" "$(printf '%s' "$OUT" | sed '/^$/d')"
expect_eq "-k: the failed read, where and why" 'stdin:1:9-47: WARNING: Failed to probe_read_user_str: Bad address (-14)
BEGIN { printf("[%s]\n", str(uptr((int8 *)8))); exit(); }
        ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~' "$ERR"
run_sonde -kk -q -e 'BEGIN { $p = (uint64 *)16; print(*$p); exit(); }'
expect_match "-kk: a failed kernel read" '^stdin:1:28-38: WARNING: Failed to probe_read_kernel: .* \(-[0-9]+\)$' "$ERR"
run_sonde -q -e 'BEGIN { printf("[%s]\n", str(uptr((int8 *)8))); exit(); }'
expect_eq "without -k: no warning" "" "$ERR"

# ---- -l with a script: software/hardware probes with a count list EVENT: ----
OUT=$(timeout 60 "$SONDE" -l -e 'hardware:cache-misses:10 { exit(); } tracepoint:xdp:mem_connect { exit(); } software:faults:100 { exit(); }' 2>&1)
expect_eq "-l lists a program's perf event probes without their count" "hardware:cache-misses:
tracepoint:xdp:mem_connect
software:faults:" "$OUT"

finish
