# The compile cache: a script run twice runs the second time from the cache
# with the same output; corrupt, truncated, foreign and stale entries are
# found and cause a recompile (never a wrong program); --no-cache and
# SONDE_NO_CACHE=1 turn it off; sonde (no LLVM) runs cached scripts and
# hands the rest to sonde-compile; --aot writes a compiled script `sonde FILE` runs.
# The cache lives in this test's own XDG_CACHE_HOME (lib.bash).
. "$(dirname "$0")/lib.bash"

CACHE=$XDG_CACHE_HOME/sonde
COMPILER=$(dirname "$SONDE")/sonde-compile
entries() { find "$CACHE" -name '*.sc' 2>/dev/null | wc -l; }
# how the last run got its program: "kept" (compiled, then cached),
# "from" (the cache), or the line about an entry it ignored
how() { grep -oE 'sonde: cache: (compiled script kept|compiled script from|.* ignored \([a-z]+)' "$TMP/err" |
	sed -E 's/.*(kept|from)$/\1/; s/.*ignored \(/ignored: /' | head -1; }
# run NAME ARGS...: sonde -v, output (without the -v lines) in $TMP/NAME.out
run() {
	local name=$1
	shift
	timeout -s INT 60 "$SONDE" -v "$@" >"$TMP/$name.out" 2>"$TMP/err"
	echo $? >>"$TMP/$name.out"
}

# ---- a script run twice: the second run is from the cache, output identical ----
SCRIPT='BEGIN { @n[1, "a"] = count(); @h = hist(5); @s = stats(7); printf("%s %d\n", "hello", 42); print(@s); exit(); }
tracepoint:syscalls:sys_enter_getppid { @t[args.__syscall_nr] = count(); }'
run first -e "$SCRIPT"
expect_eq "first run compiles and keeps the script" "kept" "$(how)"
expect_eq "one entry" "1" "$(entries)"
run second -e "$SCRIPT"
expect_eq "second run is from the cache" "from" "$(how)"
expect_eq "same output from the cache" "$(grep -v '^sonde' "$TMP/first.out")" "$(grep -v '^sonde' "$TMP/second.out")"
expect_match "the output is the program's" "hello 42" "$(cat "$TMP/second.out")"

# a script file, with positional parameters: another parameter, another entry
echo 'BEGIN { printf("p=%d s=%s\n", $1, str($2)); exit(); }' >"$TMP/p.bt"
run p1 "$TMP/p.bt" 7 x
run p2 "$TMP/p.bt" 8 y
expect_eq "another positional parameter compiles again" "kept" "$(how)"
run p3 "$TMP/p.bt" 7 x
expect_eq "the first parameters are still cached" "from" "$(how)"
expect_eq "their output" "$(cat "$TMP/p1.out")" "$(cat "$TMP/p3.out")"
expect_match "parameters are compiled in" "p=8 s=y" "$(cat "$TMP/p2.out")"

# settings that shape the code are part of the key
run e1 -e 'BEGIN { printf("%s\n", "abcdefghij"); exit(); }'
BPFTRACE_MAX_STRLEN=4 run e2 -e 'BEGIN { printf("%s\n", "abcdefghij"); exit(); }'
# (were the setting not in the key, the cached program would run)
expect_match "another BPFTRACE_MAX_STRLEN compiles again" "string is too long" "$(cat "$TMP/err")"
expect_eq "and fails as it should" "1" "$(cat "$TMP/e2.out")"

# warnings are printed again when the script runs from the cache
WARN='let @unused = hash(4); BEGIN { exit(); }'
timeout 30 "$SONDE" -q -e "$WARN" >/dev/null 2>"$TMP/w1"
timeout 30 "$SONDE" -q -e "$WARN" >/dev/null 2>"$TMP/w2"
expect_match "the compile warns" "declared but never used" "$(cat "$TMP/w1")"
expect_eq "the cached run warns the same" "$(cat "$TMP/w1")" "$(cat "$TMP/w2")"

# ---- damaged entries: detected, recompiled, rewritten ----------------------------
ONE='BEGIN { printf("one\n"); exit(); }'
rm -rf "$CACHE"
run ok -e "$ONE"
FILE=$(find "$CACHE" -name '*.sc')
damaged() { # NAME: the run after the damage recompiles, prints the same, and keeps a good entry
	run "$1" -e "$ONE"
	expect_eq "$1: the same output" "$(cat "$TMP/ok.out")" "$(cat "$TMP/$1.out")"
	run "$1.after" -e "$ONE"
	expect_eq "$1: the entry is whole again" "from" "$(how)"
}
truncate -s 100 "$FILE"
run trunc -e "$ONE"
expect_eq "a truncated entry is refused" "ignored: truncated" "$(how)"
expect_eq "truncated: the same output" "$(cat "$TMP/ok.out")" "$(cat "$TMP/trunc.out")"
run trunc.after -e "$ONE"
expect_eq "truncated: rewritten" "from" "$(how)"

truncate -s 10 "$FILE"
damaged short
# one byte flipped in the middle of the body
SIZE=$(stat -c %s "$FILE")
printf '\xff' | dd of="$FILE" bs=1 seek=$((SIZE / 2)) conv=notrunc status=none
run flip -e "$ONE"
expect_eq "a flipped byte is found by the checksum" "ignored: corrupted" "$(how)"
damaged flipped
# a foreign file, and another script's entry under this script's name
echo "not a cache entry, but long enough to have a header" >"$FILE"
run foreign -e "$ONE"
expect_eq "a foreign file is refused" "ignored: not" "$(how)"
damaged foreign2
timeout 30 "$SONDE" -q -e 'BEGIN { printf("two\n"); exit(); }' >/dev/null 2>&1
OTHER=$(find "$CACHE" -name '*.sc' ! -path "$FILE")
cp "$OTHER" "$FILE"
run swapped -e "$ONE"
expect_eq "another script's entry is refused" "ignored: foreign" "$(how)"
expect_eq "and this script runs" "one" "$(grep -x one "$TMP/swapped.out")"
# another format version (the header's u32 after the magic)
printf '\x63' | dd of="$FILE" bs=1 seek=8 conv=notrunc status=none
run version -e "$ONE"
expect_eq "another format version is refused" "ignored: format" "$(how)"

# ---- stale: a uprobe's binary changed since the compile ---------------------------
TARGET=$TOOLS_DIR/uprobe_target
if [ -x "$TARGET" ]; then
	cp "$TARGET" "$TMP/target"
	UP="uprobe:$TMP/target:fill { @fills = count(); }"
	run u1 -q -c "$TMP/target 2" -e "$UP"
	run u2 -q -c "$TMP/target 2" -e "$UP"
	expect_eq "a uprobe script is cached" "from" "$(how)"
	touch -d '2001-01-01' "$TMP/target"
	run u3 -q -c "$TMP/target 2" -e "$UP"
	expect_eq "a changed binary makes the entry stale" "ignored: stale" "$(how)"
	expect_eq "same counts" "$(cat "$TMP/u1.out")" "$(cat "$TMP/u3.out")"
else
	skip "uprobe_target not built"
fi

# ---- turning it off --------------------------------------------------------------
rm -rf "$CACHE"
timeout 30 "$SONDE" --no-cache -e "$ONE" >/dev/null 2>&1
timeout 30 env SONDE_NO_CACHE=1 "$SONDE" -e "$ONE" >/dev/null 2>&1
expect_eq "--no-cache and SONDE_NO_CACHE=1 write nothing" "0" "$(entries)"
SONDE_NO_CACHE=1 run nc -e "$ONE"
timeout 30 "$SONDE" -e "$ONE" >/dev/null 2>&1
run nc2 --no-cache -e "$ONE"
expect_eq "--no-cache reads nothing" "" "$(how)"
# a cache that cannot be written costs a compile, nothing else
XDG_CACHE_HOME=/proc/sonde-none run ro -q -e "$ONE"
expect_eq "an unwritable cache: the script runs" "one" "$(head -1 "$TMP/ro.out")"

# ---- eviction: at most SONDE_CACHE_MAX_SIZE, least recently used first ------------------
rm -rf "$CACHE"
lru() { echo "BEGIN { printf(\"$1\\n\"); exit(); }"; } # entries of one size
for n in A B C D; do run "lru$n" -q -e "$(lru $n)"; done
expect_eq "four entries" 4 "$(entries)"
entry_of() { grep -oE '[^ ]+\.sc$' "$TMP/err" | head -1; }
SIZE=$(stat -c %s "$(find "$CACHE" -name '*.sc' | head -1)")
age=40
for n in A B C D; do # oldest A ... newest D, whatever the clock did above
	run "lru$n" -q -e "$(lru $n)"
	touch -d "-$age seconds" "$(entry_of)"
	age=$((age - 10))
done
run lruA -q -e "$(lru A)"
expect_eq "a hit: from the cache" "from" "$(how)"
A=$(entry_of)
expect_eq "a hit makes its entry the most recently used" "$(ls -t "$CACHE" | head -1)" "$(basename "$A")"
SONDE_CACHE_MAX_SIZE=$((3 * SIZE)) run lruE -q -e "$(lru E)"
expect_match "-v says what was removed" "removed 2 least recently used entries \\($((2 * SIZE)) bytes\\); $((3 * SIZE)) bytes kept" "$(cat "$TMP/err")"
for n in A D B C; do
	SONDE_CACHE_MAX_SIZE=$((3 * SIZE)) run "lru$n" -q -e "$(lru $n)"
	printf '%s:%s ' "$n" "$(how)"
done >"$TMP/lru"
expect_eq "B and C (least recently used) went; A (just used), D and E stayed" \
	"A:from D:from B:kept C:kept " "$(cat "$TMP/lru")"
expect_eq "the cache stays at its size" 3 "$(entries)"
SONDE_CACHE_MAX_SIZE=lots run lruC -q -e "$(lru C)"
expect_eq "SONDE_CACHE_MAX_SIZE is not part of the key" "from" "$(how)"
SONDE_CACHE_MAX_SIZE=lots run lruF -q -e "$(lru F)"
expect_match "a size that is not one: said, and the default used" \
	"SONDE_CACHE_MAX_SIZE='lots' is not a size \\(bytes, or with K, M or G\\); using 256M" "$(cat "$TMP/err")"
expect_eq "  and the script runs" "F" "$(head -1 "$TMP/lruF.out")"

# ---- the front: sonde links no LLVM; sonde-compile compiles ------------------------
BUILD=$(dirname "$SONDE")
if [ -x "$COMPILER" ]; then
	rm -rf "$CACHE"
	timeout 30 "$SONDE" -q -e "$ONE" >"$TMP/r1" 2>&1
	expect_eq "a miss is compiled (by sonde-compile) and kept" "1" "$(entries)"
	timeout 30 "$SONDE" -v -q -e "$ONE" >"$TMP/r2" 2>"$TMP/err"
	expect_eq "the next run is from the cache" "from" "$(how)"
	expect_eq "  the same output" "$(cat "$TMP/r1")" "$(cat "$TMP/r2")"
	echo 'BEGIN { printf("stdin\n"); exit(); }' | timeout 30 "$SONDE" -q - >"$TMP/r3" 2>&1
	expect_eq "a script on stdin" "stdin" "$(head -1 "$TMP/r3")"
	timeout 30 "$SONDE" -e 'BEGIN { @x = cuont(); }' >/dev/null 2>"$TMP/r4"
	expect_match "errors are the compiler's" "unknown function 'cuont'" "$(cat "$TMP/r4")"
	# The process that ran the script: what it mapped. From the cache,
	# neither sonde-compile nor LLVM (linked statically into sonde-compile,
	# which needs libstdc++; libLLVM when linked shared) is in it; compiled,
	# the same pid runs sonde-compile (the check below can see it).
	# (a sanitizer build's libubsan brings libstdc++ with it)
	NOT_MAPPED='sonde-compile|libLLVM|libstdc..'
	readelf -d "$SONDE" | grep -qE 'NEEDED.*lib(a|ub)san' && NOT_MAPPED='sonde-compile|libLLVM'
	MAPS="BEGIN { system(\"grep -oE '$NOT_MAPPED' /proc/%d/maps | sort -u; echo maps-read\", pid); exit(); }"
	for run in compiled cached; do
		timeout 30 "$SONDE" -v -q --unsafe -e "$MAPS" >"$TMP/maps.$run" 2>"$TMP/err"
	done
	expect_eq "  (the second run was from the cache)" "from" "$(how)"
	expect_match "a compiling run is sonde-compile's" "sonde-compile" "$(cat "$TMP/maps.compiled")"
	expect_eq "the process that runs from the cache maps no sonde-compile, libLLVM or libstdc++" \
		"maps-read" "$(cat "$TMP/maps.cached")"
	# the compiler runs under the front's name (BEGIN's comm, ps)
	timeout 30 "$SONDE" -q --no-cache -e 'BEGIN { printf("%s\n", comm); exit(); }' >"$TMP/comm" 2>&1
	expect_eq "sonde-compile keeps the name sonde" "$(basename "$SONDE")" "$(head -1 "$TMP/comm")"
	# Start-up cost is the libraries the loader maps: the front needs none of
	# LLVM, libedit (the shell is sonde-compile's), libdw (DWARF: the
	# compile's and -l's), libstdc++ (the demangler is opened when needed)
	# or libmicrohttpd (opened by --metrics), nor does sonde-compile the last.
	expect_eq "sonde loads no LLVM, libedit, libdw, libstdc++ or libmicrohttpd" "" \
		"$(readelf -d "$SONDE" | grep -E 'NEEDED.*(LLVM|edit|stdc|microhttpd|gnutls|libdw)')"
	expect_eq "sonde-compile does not load libmicrohttpd at start" "" \
		"$(readelf -d "$COMPILER" | grep -E 'NEEDED.*microhttpd')"
	for run in compile cached; do
		timeout 30 "$SONDE" -v --metrics 127.0.0.1:0 -e 'BEGIN { @x = 5; exit(); }' >/dev/null 2>"$TMP/r5"
	done
	expect_match "from the cache, --metrics opens libmicrohttpd and serves" \
		'^Serving metrics at http://127\.0\.0\.1:[0-9]+/metrics$' "$(cat "$TMP/r5")"
	expect_match "  (it was the cached run)" 'cache: compiled script from' "$(cat "$TMP/r5")"
	# (the demangler opened on demand: tests/unit/test_usyms.c, which links
	# no libstdc++; a ustack here would race the traced program's exit)

	# sonde without its compiler: cached and --aot scripts run, the rest says why
	mkdir -p "$TMP/alone"
	cp "$SONDE" "$TMP/alone/sonde"
	timeout 30 "$TMP/alone/sonde" -e "$ONE" >"$TMP/alone.out" 2>&1
	echo "exit $?" >>"$TMP/alone.out"
	expect_match "no sonde-compile: a run that needs a compile says where it looked" \
		"^sonde: this run needs the compiler, which is not installed: no sonde-compile at $TMP/alone/sonde-compile or $TMP/alone/.*/sonde-compile \\(SONDE_COMPILER names another\\); without it, sonde runs scripts from the compile cache and files written by --aot$" \
		"$(cat "$TMP/alone.out")"
	expect_eq "  and exits 1" "exit 1" "$(tail -1 "$TMP/alone.out")"
	SONDE_COMPILER=$COMPILER timeout 30 "$TMP/alone/sonde" -q -e 'BEGIN { printf("named\n"); exit(); }' >"$TMP/alone.out" 2>&1
	expect_eq "SONDE_COMPILER names the compiler" "named" "$(head -1 "$TMP/alone.out")"
	SONDE_COMPILER=$TMP/none timeout 30 "$TMP/alone/sonde" -q -l 'BEGIN' >"$TMP/alone.out" 2>&1
	expect_match "  one that is not there is said" "^sonde: cannot run the compiler '$TMP/none': No such file or directory$" \
		"$(cat "$TMP/alone.out")"

	# an installed tree: sonde in bin, sonde-compile in libexec/sonde
	if [ -f "$BUILD/cmake_install.cmake" ] && cmake --install "$BUILD" --prefix "$TMP/inst" >"$TMP/inst.log" 2>&1; then
		INST=$TMP/inst/bin/sonde
		rm -rf "$CACHE"
		timeout 30 "$INST" -v -q -e "$ONE" >"$TMP/i1" 2>"$TMP/err"
		expect_eq "installed: a miss compiles (sonde-compile found in libexec)" "kept" "$(how)"
		timeout 30 "$INST" -v -q -e "$ONE" >"$TMP/i2" 2>"$TMP/err"
		expect_eq "installed: the next run is from the cache" "from" "$(how)"
		expect_eq "installed: the same output" "one" "$(head -1 "$TMP/i2")"
		expect_eq "installed: -l works" "tracepoint:syscalls:sys_enter_getppid" \
			"$(timeout 30 "$INST" -l 'tracepoint:syscalls:sys_enter_getppid' 2>&1)"
		expect_eq "installed: sonde-compile is not in bin" "no" "$([ -e "$TMP/inst/bin/sonde-compile" ] && echo yes || echo no)"
	else
		fail "cmake --install into $TMP/inst: $(tail -3 "$TMP/inst.log" 2>/dev/null)"
	fi
elif grep -qs '^SONDE_FRONT:BOOL=OFF' "$(dirname "$SONDE")/CMakeCache.txt"; then
	skip "sonde-compile not built (SONDE_FRONT=OFF: sonde compiles itself)"
else
	fail "no sonde-compile next to $SONDE: sonde should be the LLVM-free front"
fi

# ---- --aot: one compiled file ---------------------------------------------------------
AOT=$TMP/one.sonde
timeout 30 "$SONDE" --aot "$AOT" -e 'BEGIN { printf("aot %d\n", 5); exit(); }
tracepoint:syscalls:sys_enter_getppid { @[args.__syscall_nr] = count(); }' >/dev/null 2>"$TMP/aerr"
expect_eq "--aot writes the file" "yes" "$([ -s "$AOT" ] && echo yes)"
expect_eq "sonde FILE runs it" "aot 5" "$(timeout 30 "$SONDE" -q "$AOT" 2>&1 | head -1)"
[ -x "$COMPILER" ] && expect_eq "sonde without sonde-compile runs it" "aot 5" \
	"$(timeout 30 "$TMP/alone/sonde" -q "$AOT" 2>&1 | head -1)"
[ -x "$COMPILER" ] && expect_eq "sonde-compile FILE runs it too" "aot 5" "$(timeout 30 "$COMPILER" -q "$AOT" 2>&1 | head -1)"
# another kernel's build id (the description's, checksums made right again)
python3 - "$AOT" "$TMP/other.sonde" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], 'rb').read())
def fnv(b):
    h = 0xcbf29ce484222325
    for x in b:
        h = ((h ^ x) * 0x100000001b3) & 0xffffffffffffffff
    return h
d = data.index(b'SONDEDSC')
body_len = struct.unpack_from('<Q', data, d + 12)[0]
body = bytes(data[d + 28:d + 28 + body_len])
bid = open('/sys/kernel/notes', 'rb').read()
import binascii
# the build id is the description's only 40-hex-digit string
import re
m = re.search(rb'[0-9a-f]{40}', body)
body = body[:m.start()] + b'0' * 40 + body[m.end():]
data[d + 28:d + 28 + body_len] = body
struct.pack_into('<Q', data, d + 20, fnv(body))
struct.pack_into('<Q', data, 24, fnv(bytes(data[32:])))
open(sys.argv[2], 'wb').write(data)
PY
timeout 30 "$SONDE" -q "$TMP/other.sonde" >"$TMP/aout" 2>&1
echo "exit $?" >>"$TMP/aout"
expect_match "another kernel's compiled script is refused" \
	"^sonde: cannot run the compiled script '.*': it uses the kernel types of kernel build id 0{40} .*; this kernel's build id is [0-9a-f]+ .*$" \
	"$(cat "$TMP/aout")"
expect_eq "and exits 1" "exit 1" "$(tail -1 "$TMP/aout")"
head -c 200 "$AOT" >"$TMP/short.sonde"
timeout 30 "$SONDE" -q "$TMP/short.sonde" >"$TMP/aout" 2>&1
expect_match "a truncated compiled script is refused" "^sonde: cannot run the compiled script .*: truncated" "$(cat "$TMP/aout")"
timeout 30 "$SONDE" -q "$AOT" 1 >"$TMP/aout" 2>&1
expect_match "parameters cannot change a compiled script" "parameters were fixed" "$(cat "$TMP/aout")"

finish
