# JSON output (-f json): one JSON object per line, with the latest
# bpftrace's message types and fields (runtime/output_json.c). Checked
# three ways: the exact output of every message and value kind a script
# can make today, every line a valid JSON object (python3), and the same
# objects as bpftrace 0.17's -f json once the differences between 0.17 and
# the latest bpftrace, which sonde follows, are normalised (normalise.py).
. "$(dirname "$0")/lib.bash"
need_syscaller

HAVE_PYTHON=false
command -v python3 >/dev/null && HAVE_PYTHON=true

# What the latest bpftrace (and sonde) changed since 0.17, undone on both
# sides so that the objects compare equal:
#   - 0.17 prints two blank lines before the maps at exit: dropped;
#   - 0.17 writes every byte >= 0x80 of a string as \uffffffXX (a
#     sign-extended char; valid JSON only by accident: U+FFFF, then "ffXX"):
#     the bytes are taken back and decoded as sonde does, UTF-8 where it is
#     well formed, one Latin-1 code point per byte elsewhere;
#   - 0.17 keeps the spaces of map keys ("1,a b"), the latest drops them;
#   - the latest's attached_probes message has a "count" next to "data".
# Spacing ({ "a": 1 }, [1, 2]) disappears in the parse. Objects keep their
# order: map entries must come in the same order.
NORMALISE=$TMP/normalise.py
cat >"$NORMALISE" <<'EOF'
import codecs, json, re, sys

side = sys.argv[1]
codecs.register_error("latin1_byte", lambda e: (chr(e.object[e.start]), e.start + 1))

def string(s):
    if side != "bpftrace":
        return s
    return s.encode("latin-1").decode("utf-8", "latin1_byte")

def normalise(v):
    if isinstance(v, str):
        return string(v)
    if isinstance(v, list):
        return [normalise(x) for x in v]
    if isinstance(v, dict):
        return {string(k).replace(" ", ""): normalise(x) for k, x in v.items()}
    return v

for line in sys.stdin.buffer:
    text = line.decode("utf-8")
    if side == "bpftrace":
        if not text.strip():
            continue
        text = re.sub(r"(?<!\\)\\uffffff([0-9a-f]{2})", r"\\u00\1", text)
    obj = json.loads(text)
    if obj.get("type") == "attached_probes":
        obj.pop("count", None)
    print(json.dumps(normalise(obj)))
EOF

# valid_ndjson NAME TEXT: every line of TEXT is a JSON object (strict
# UTF-8, no blank line).
valid_ndjson() {
	if ! $HAVE_PYTHON; then
		skip "$1: valid JSON (python3 is not installed)"
		return
	fi
	local bad
	bad=$(printf '%s\n' "$2" | python3 -c '
import json, sys
for n, line in enumerate(sys.stdin.buffer, 1):
    try:
        if not isinstance(json.loads(line), dict):
            raise ValueError("not an object")
    except ValueError as e:
        print("line %d: %s: %r" % (n, e, line))')
	expect_eq "$1: every line is a JSON object" "" "$bad"
}

# json_exact NAME EXPECTED ARGS...: `sonde -q -f json ARGS` prints exactly
# EXPECTED, all of it JSON, nothing on stderr, and exits 0.
json_exact() {
	local name=$1 want=$2
	shift 2
	run_sonde -q -f json "$@"
	expect_eq "$name" "$want" "$OUT"
	expect_eq "$name: stderr" "" "$ERR"
	expect_eq "$name: exit code" 0 "$RC"
	valid_ndjson "$name" "$OUT"
}

# json_same_as_bpftrace NAME ARGS...: `-f json ARGS` through bpftrace and
# sonde give the same objects, normalised.
json_same_as_bpftrace() {
	local name=$1
	shift
	if ! command -v bpftrace >/dev/null || ! $HAVE_PYTHON; then
		skip "$name: same as bpftrace (needs bpftrace and python3)"
		return
	fi
	local want got
	want=$(timeout -s INT 60 bpftrace -f json "$@" 2>/dev/null | python3 "$NORMALISE" bpftrace)
	got=$(timeout -s INT 60 "$SONDE" -f json "$@" 2>/dev/null | python3 "$NORMALISE" sonde)
	if [ -z "$want" ]; then
		fail "$name: bpftrace printed nothing to compare with"
		return
	fi
	expect_eq "$name (same as bpftrace -f json)" "$want" "$got"
}

# ---- maps ---------------------------------------------------------------------

SCALAR_MAPS='BEGIN { @c = count(); @c = count(); @c = count(); @s = sum(5); @s = sum(7);
	@a = avg(10); @a = avg(21); @mn = min(5); @mn = min(-3); @mx = max(5); @mx = max(42);
	@st = stats(10); @st = stats(20); @st = stats(33);
	@h = hist(0); @h = hist(1); @h = hist(3); @h = hist(3); @h = hist(20); @h = hist(-5);
	@l = lhist(-1, 0, 10, 2); @l = lhist(5, 0, 10, 2); @l = lhist(12, 0, 10, 2); exit(); }'
json_exact "scalar maps" '{"type": "stats", "data": {"@a": 15}}
{"type": "map", "data": {"@c": 3}}
{"type": "hist", "data": {"@h": [{"max": -1, "count": 1},{"min": 0, "max": 0, "count": 1},{"min": 1, "max": 1, "count": 1},{"min": 2, "max": 3, "count": 2},{"min": 4, "max": 7, "count": 0},{"min": 8, "max": 15, "count": 0},{"min": 16, "max": 31, "count": 1}]}}
{"type": "hist", "data": {"@l": [{"max": -1, "count": 1},{"min": 0, "max": 1, "count": 0},{"min": 2, "max": 3, "count": 0},{"min": 4, "max": 5, "count": 1},{"min": 6, "max": 7, "count": 0},{"min": 8, "max": 9, "count": 0},{"min": 10, "count": 1}]}}
{"type": "map", "data": {"@mn": -3}}
{"type": "map", "data": {"@mx": 42}}
{"type": "map", "data": {"@s": 12}}
{"type": "stats", "data": {"@st": {"count": 3, "average": 21, "total": 63}}}' -e "$SCALAR_MAPS"
json_same_as_bpftrace "scalar maps" -q -e "$SCALAR_MAPS"

# Keys: the text form without the tuple's parentheses and without spaces.
# (0.17 loses a keyed max() of only negative values: max(4) compares.)
KEYED_MAPS='BEGIN { @k[1, "a b"] = count(); @k[2, "c"] = count(); @k[2, "c"] = count();
	@s["x"] = sum(3); @s["y"] = sum(-9); @a["x"] = avg(4); @a["x"] = avg(6);
	@mn["m"] = min(3); @mx["m"] = max(4); @st[1] = stats(5); @st[1] = stats(7); @st[2] = stats(1);
	@h["a"] = hist(5); @h["b"] = hist(100); @h["b"] = hist(64); @l[1, "z"] = lhist(3, 0, 10, 5);
	@v[-1] = "minus one"; @v[5] = "five"; exit(); }'
json_exact "keyed maps" '{"type": "stats", "data": {"@a": {"x": 5}}}
{"type": "hist", "data": {"@h": {"a": [{"min": 4, "max": 7, "count": 1}], "b": [{"min": 64, "max": 127, "count": 2}]}}}
{"type": "map", "data": {"@k": {"1,ab": 1, "2,c": 2}}}
{"type": "hist", "data": {"@l": {"1,z": [{"min": 0, "max": 4, "count": 1}]}}}
{"type": "map", "data": {"@mn": {"m": 3}}}
{"type": "map", "data": {"@mx": {"m": 4}}}
{"type": "map", "data": {"@s": {"y": -9, "x": 3}}}
{"type": "stats", "data": {"@st": {"2": {"count": 1, "average": 1, "total": 1}, "1": {"count": 2, "average": 6, "total": 12}}}}
{"type": "map", "data": {"@v": {"5": "five", "-1": "minus one"}}}' -e "$KEYED_MAPS"
json_same_as_bpftrace "keyed maps" -q -e "$KEYED_MAPS"

# print(@m, top, div) at run time; div does not apply to stats, nor top
# (a warning says so, as in bpftrace: silenced here).
PRINT_MAPS='BEGIN { @s["a"] = sum(10); @s["b"] = sum(25); @s["c"] = sum(7); print(@s, 2, 5);
	@h[1] = hist(10); @h[2] = hist(20); @h[2] = hist(20); print(@h, 1, 2);
	@a["x"] = avg(30); print(@a, 0, 10); @st = stats(8); print(@st, 1, 4); clear(@s); exit(); }'
json_exact "print(@m, top, div)" '{"type": "map", "data": {"@s": {"a": 2, "b": 5}}}
{"type": "hist", "data": {"@h": {"2": [{"min": 16, "max": 31, "count": 1}]}}}
{"type": "stats", "data": {"@a": {"x": 3}}}
{"type": "stats", "data": {"@st": {"count": 1, "average": 8, "total": 8}}}
{"type": "stats", "data": {"@a": {"x": 30}}}
{"type": "hist", "data": {"@h": {"1": [{"min": 8, "max": 15, "count": 1}], "2": [{"min": 16, "max": 31, "count": 2}]}}}
{"type": "stats", "data": {"@st": {"count": 1, "average": 8, "total": 8}}}' --no-warnings -e "$PRINT_MAPS"
json_same_as_bpftrace "print(@m, top, div)" -q -e "$PRINT_MAPS"

# A map without entries prints nothing (not even in 0.17), a scalar count
# prints 0, a zeroed hist has no rows; pointers are numbers.
EMPTY_MAPS='BEGIN { @n = count(); print(@n); clear(@n); @c[1] = count(); clear(@c); @e["x"] = 1;
	delete(@e["x"]); @h = hist(2); zero(@h); @p = (int16 *)0x32; exit(); }'
json_exact "empty maps and pointers" '{"type": "map", "data": {"@n": 1}}
{"type": "hist", "data": {"@h": []}}
{"type": "map", "data": {"@n": 0}}
{"type": "map", "data": {"@p": 50}}' -e "$EMPTY_MAPS"
json_same_as_bpftrace "empty maps and pointers" -q -e "$EMPTY_MAPS"

# Integers a double cannot hold exactly are strings (0.17: always numbers).
json_exact "integers a double cannot hold" '{"type": "map", "data": {"@above": "9007199254740993"}}
{"type": "map", "data": {"@exact": 9007199254740992}}
{"type": "map", "data": {"@max": "18446744073709551615"}}
{"type": "map", "data": {"@min": -9223372036854775808}}
{"type": "map", "data": {"@neg": "-9007199254740993"}}' \
	-e 'BEGIN { @exact = 9007199254740992; @above = 9007199254740993; @neg = -9007199254740993;
	@max = 18446744073709551615; @min = -9223372036854775807 - 1; exit(); }'

# ---- printf and print(value) --------------------------------------------------------

VALUES='BEGIN { printf("%d %s|%5d\n", 42, "str", -7); printf("no newline"); print(5); print(-5);
	print("text"); print((1, "two", (3, "four"))); $t = (7, "x"); print($t); exit(); }'
json_exact "printf and print(value)" '{"type": "printf", "data": "42 str|   -7\n"}
{"type": "printf", "data": "no newline"}
{"type": "value", "data": 5}
{"type": "value", "data": -5}
{"type": "value", "data": "text"}
{"type": "value", "data": [1,"two",[3,"four"]]}
{"type": "value", "data": [7,"x"]}' -e "$VALUES"
json_same_as_bpftrace "printf and print(value)" -q -e "$VALUES"

# bools and records (0.17 has neither)
json_exact "bools and records" '{"type": "value", "data": true}
{"type": "value", "data": false}
{"type": "value", "data": [true,7]}
{"type": "value", "data": {"a": 1, "b": "x y", "c": [2,3], "d": {"e": false}}}
{"type": "map", "data": {"@r": {"{.a=1,.b=xy}": 2}}}' \
	-e 'BEGIN { print(1 < 2); print(2 < 1); print((1 == 1, 7));
	$r = (a = 1, b = "x y", c = (2, 3), d = (e = 1 > 2)); print($r); @r[(a = 1, b = "x y")] = 2; exit(); }'

# ---- strings whatever their bytes ---------------------------------------------------

# JSON's escapes, control characters as \u00XX, well-formed UTF-8 as it
# is, and every byte that is not UTF-8 as its Latin-1 code point.
STRINGS='BEGIN { print("q\"b\\s\tt\nn\rr\x01\x1f e\xc3\xa9 \xff\x80\xc3 \xe2\x82\xac \xed\xa0\x80");
	printf("%s|\x02\xfe\n", "\x81"); @m["k\x90 \x01"] = 1; exit(); }'
json_exact "strings: escapes and bytes that are not UTF-8" '{"type": "value", "data": "q\"b\\s\tt\nn\rr\u0001\u001f eé \u00ff\u0080\u00c3 € \u00ed\u00a0\u0080"}
{"type": "printf", "data": "\u0081|\u0002\u00fe\n"}
{"type": "map", "data": {"@m": {"k\u0090\u0001": 1}}}' -e "$STRINGS"
json_same_as_bpftrace "strings: escapes and bytes that are not UTF-8" -q -e "$STRINGS"

# The same from the kernel: a process named with such bytes (syscaller
# renames itself). sonde's -c honours quotes; 0.17's does not, so the name
# compared with 0.17 has no quote, backslash or blank.
NAMED=$(printf 'a\001\377\303\251"\\ b\t')
COMM_SCRIPT='tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @[comm] = count(); print(comm);
	printf("%s|\n", comm); }'
json_exact "strings: a comm with control characters and bytes that are not UTF-8" '{"type": "value", "data": "a\u0001\u00ffé\"\\ b\t"}
{"type": "printf", "data": "a\u0001\u00ffé\"\\ b\t|\n"}
{"type": "value", "data": "a\u0001\u00ffé\"\\ b\t"}
{"type": "printf", "data": "a\u0001\u00ffé\"\\ b\t|\n"}
{"type": "map", "data": {"@": {"a\u0001\u00ffé\"\\b\t": 2}}}' \
	-c "$SYSCALLER -n 2 -k getppid -m '$NAMED'" -e "$COMM_SCRIPT"
json_same_as_bpftrace "strings: a comm with control characters and bytes that are not UTF-8" \
	-q -c "$SYSCALLER -n 2 -k getppid -m $(printf 'a\001\377\303\251\037z')" -e "$COMM_SCRIPT"

# ---- the other messages --------------------------------------------------------------

run_sonde -f json -e 'BEGIN { exit(); } END { printf("end\n"); }'
expect_eq "attached_probes" '{"type": "attached_probes", "count": 2, "data": {"probes": 2}}
{"type": "printf", "data": "end\n"}' "$OUT"
json_same_as_bpftrace "attached_probes" -e 'BEGIN { exit(); } END { printf("end\n"); }'

# A full map: bpftrace's helper_error of map_update_elem, on stdout after
# the maps, once per map with the total (150 new keys, room for 100).
keys=$(seq 0 99 | sed 's/.*/"&": 1/' | paste -sd, | sed 's/,/, /g')
BPFTRACE_MAX_MAP_KEYS=100 json_exact "a full map: helper_error" '{"type": "map", "data": {"@n": 150}}
{"type": "map", "data": {"@x": {'"$keys"'}}}
{"type": "helper_error", "msg": "Map full; can'"'"'t update element. Try increasing max_map_keys (BPFTRACE_MAX_MAP_KEYS)", "helper": "map_update_elem", "retcode": -7, "map": "@x", "dropped": 50, "max_entries": 100, "final": true}' \
	-c "$SYSCALLER -n 150 -k getppid" -e 'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @x[@n] = 1; @n++; }'

# Lost events: a lost_events message on stdout, nothing on stderr. As in
# lost_events.sh, sonde's stdout is a pipe nobody reads until the workload
# has made its calls, so the ring buffer overflows by construction; every
# record is either printed or counted in a lost_events message.
N_CALLS=100000
"$SONDE" -q -f json -c "$SYSCALLER -n $N_CALLS -m flood -d $TMP/done -P" -e 'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ {
	@calls = count(); printf("flood %d: a long line of text to fill the ring buffer quickly\n", pid); }' \
	2>"$TMP/err" > >(wait_until 120 test -e "$TMP/go"; cat >"$TMP/out"; touch "$TMP/reader.done") &
sonde=$!
wait_until 120 test -e "$TMP/done" || fail "lost events: the workload did not finish"
touch "$TMP/go"
if wait_until 120 file_has "$TMP/out" '^\{"type": "lost_events", "count": [0-9]+, "data": \{"events": [0-9]+\}\}$'; then
	pass "lost events: a lost_events message while running"
else
	fail "lost events: no lost_events message: $(tail -n 3 "$TMP/out")"
fi
kill -INT "$sonde"
wait "$sonde"
expect_eq "lost events: exit code" 0 "$?"
wait_until 60 test -e "$TMP/reader.done" || fail "lost events: the output reader did not finish"
OUT=$(cat "$TMP/out")
lost=$(sed -nE 's/^\{"type": "lost_events", "count": ([0-9]+), "data": \{"events": \1\}\}$/\1/p' <<<"$OUT" |
	awk '{ n += $1 } END { print n + 0 }')
printed=$(grep -c '^{"type": "printf", "data": "flood [0-9]*: a long line' <<<"$OUT")
expect_eq "lost events: more than none" yes "$([ "$lost" -gt 0 ] && echo yes || echo no)"
expect_eq "lost events: printed + lost = every call" "$N_CALLS" "$((printed + lost))"
expect_eq "lost events: stderr stays empty" "" "$(cat "$TMP/err")"
expect_eq "lost events: the output ends with the map" "{\"type\": \"map\", \"data\": {\"@calls\": $N_CALLS}}" \
	"$(tail -n 1 <<<"$OUT")"
valid_ndjson "lost events" "$OUT"

# ---- the command line ---------------------------------------------------------------------

run_sonde -q -f json -o "$TMP/out.json" -e 'BEGIN { @x = 1; printf("hi\n"); exit(); }'
expect_eq "-o FILE: nothing on stdout" "" "$OUT"
expect_eq "-o FILE: the JSON in the file" '{"type": "printf", "data": "hi\n"}
{"type": "map", "data": {"@x": 1}}' "$(cat "$TMP/out.json")"

run_sonde -e "$SCALAR_MAPS"
text_default=$OUT
run_sonde -f text -e "$SCALAR_MAPS"
expect_eq "-f text is the default" "$text_default" "$OUT"

run_sonde -f xml -e 'BEGIN { exit(); }'
expect_eq "-f xml: exit code" 1 "$RC"
expect_eq "-f xml: the error names the formats" "sonde: unknown output format 'xml' for -f (text, json)" "$ERR"
expect_eq "-f xml: nothing on stdout" "" "$OUT"
finish
