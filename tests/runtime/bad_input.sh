#!/usr/bin/env bash
# bad_input.sh - malformed scripts are rejected cleanly.
#
# Every tests/bad/NAME.bt must make sonde exit with status exactly 1 (no
# signal, no hang), print tests/bad/NAME.err as the first line of stderr
# (the script's path written as FILE), print exactly one error (one
# mistake, one error; tests/bad/NAME.count holds the number for a script
# with several mistakes), show the source line with a caret under the
# column when the error has a location, and load nothing. The
# huge inputs (deep nesting, a megabyte script, 10,000 probes, binary
# files) are generated here at run time. No timing thresholds: a case only
# fails on time when it hangs (HANG_LIMIT, far above any sane run).
#
# Compile errors need no privileges, so this runs without root too; a case
# that reads a tracepoint's format is then skipped, since tracefs is
# root-only (sonde's error says so).
RUNS_WITHOUT_ROOT=1
source "$(dirname "$0")/lib.bash"

BAD="$SRCDIR/tests/bad"
HANG_LIMIT=120 # seconds before a case counts as hung (ASan builds are slow)

# The source line as diag shows it: CR of CRLF dropped, control bytes as '?'.
shown_line() {
	sed -n "${2}p" "$1" | LC_ALL=C sed 's/\r$//' | LC_ALL=C tr '\000-\010\013-\037\177' '?'
}

# When the first line has a location, the next two are the source line and
# a caret line; on a pure ASCII line the caret sits exactly under the column.
check_caret() {
	local name=$1 file=$2 first=$3
	[[ $first =~ ^FILE:([0-9]+):([0-9]+):\  ]] || return 0
	local line=${BASH_REMATCH[1]} col=${BASH_REMATCH[2]}
	local shown caret want
	shown=$(sed -n 2p "$TMP/err")
	caret=$(sed -n 3p "$TMP/err")
	want=$(shown_line "$file" "$line")
	if [ "$shown" != "$want" ]; then
		fail "$name: source line $line not shown under the error"
		return
	fi
	if ! [[ $caret =~ ^[[:space:]]*\^~*$ ]]; then
		fail "$name: no caret line under the source line (got '${caret:0:80}')"
		return
	fi
	if ! LC_ALL=C grep -q '[^[:print:][:space:]]' <<<"$shown"; then
		local prefix=${caret%%^*}
		if [ "${#prefix}" != $((col - 1)) ]; then
			fail "$name: caret at column $((${#prefix} + 1)), error says $col"
			return
		fi
	fi
	pass "$name: source line and caret"
}

# check_case NAME FILE EXPECTED_FIRST_LINE [EXPECTED_ERROR_COUNT]
check_case() {
	local name=$1 file=$2 want=$3 count=${4:-}
	local rc first opts=()
	# NAME.args: options that go before the script (e.g. -l)
	[ -f "${file%.bt}.args" ] && read -r -a opts <"${file%.bt}.args"
	timeout -s KILL "$HANG_LIMIT" "$SONDE" "${opts[@]}" "$file" </dev/null >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" = 137 ]; then
		fail "$name: hung (killed after ${HANG_LIMIT}s)"
		return
	elif [ "$rc" -gt 128 ]; then
		fail "$name: killed by signal $((rc - 128))"
		sed 's/^/    /' "$TMP/err" | head -20
		return
	elif [ "$rc" != 1 ]; then
		fail "$name: exit status $rc, not 1"
		head -5 "$TMP/err" | sed 's/^/    /'
		return
	fi
	first=$(head -n 1 "$TMP/err")
	first=${first/#"$file"/FILE}
	if ! $IS_ROOT && [ -e "${file%.bt}.root" ]; then
		skip "$name: $(cat "${file%.bt}.root"), which needs root"
		return
	fi
	if ! $IS_ROOT && [[ $first == *": error: reading tracepoints from tracefs needs root"* &&
		$want != *"needs root"* ]]; then
		skip "$name: reads tracepoints from tracefs, which needs root"
		return
	fi
	expect_eq "$name: first error" "$want" "$first"
	if [ -n "$count" ]; then
		expect_eq "$name: number of errors" "$count" "$(grep -c ': error: ' "$TMP/err")"
	fi
	if grep -qE 'internal error|Sanitizer|runtime error:' "$TMP/err"; then
		fail "$name: internal or sanitizer error reported"
		grep -E 'internal error|Sanitizer|runtime error:' "$TMP/err" | head -3 | sed 's/^/    /'
	fi
	check_caret "$name" "$file" "$first"
}

# rep STRING COUNT: STRING written COUNT times (linear, unlike ${x//})
rep() { yes -- "$1" | head -n "$2" | tr -d '\n'; }

# 4096 bytes from a fixed linear congruential generator: the same
# "random" binary file on every machine.
random_bytes() {
	local x=20240601 i hex out=""
	for ((i = 0; i < 4096; i++)); do
		x=$(((x * 1103515245 + 12345) & 0x7fffffff))
		printf -v hex '\\x%02x' $(((x >> 16) & 255))
		out+=$hex
	done
	printf "$out"
}

snapshot_bpf

# ---- the committed corpus -------------------------------------------------
ncases=0
for script in "$BAD"/*.bt; do
	base=${script%.bt}
	name=$(basename "$base")
	if [ ! -f "$base.err" ]; then
		fail "$name: no $name.err with the expected first line"
		continue
	fi
	count=1
	if [ -f "$base.count" ]; then
		count=$(cat "$base.count")
	fi
	check_case "$name" "$script" "$(cat "$base.err")" "$count"
	ncases=$((ncases + 1))
done
if [ "$ncases" -lt 50 ]; then
	fail "only $ncases cases in tests/bad (expected at least 50)"
fi

# ---- generated huge inputs ------------------------------------------------
G="$TMP/gen"
mkdir -p "$G"

{ printf 'BEGIN { @x = '; rep '(' 10000; printf 1; rep ')' 10000; printf '; }\n'; } >"$G/parens.bt"
check_case "gen: 10,000 nested parentheses" "$G/parens.bt" \
	"FILE:1:269: error: nesting too deep (more than 256 levels of brackets)"

{ printf 'BEGIN {\n'; rep '{' 10000; rep '}' 10000; printf '\n}\n'; } >"$G/blocks.bt"
check_case "gen: 10,000 nested blocks" "$G/blocks.bt" \
	"FILE:2:256: error: nesting too deep (more than 256 levels of brackets)"

{ printf 'BEGIN { @x = '; rep '!' 100000; printf '1; }\n'; } >"$G/not.bt"
check_case "gen: 100,000 unary operators" "$G/not.bt" \
	"FILE:1:100005: error: nesting too deep (parser stack exhausted)"

{ printf 'BEGIN { @x = '; rep '-' 100000; printf '1; }\n'; } >"$G/minus.bt"
check_case "gen: 100,000 minus signs (50,000 '--')" "$G/minus.bt" \
	"FILE:1:100014: error: '--' needs a \$variable or @map, not an integer"

{ printf 'BEGIN { @x = 1'; rep '+1' 20000; printf '; }\n'; } >"$G/chain.bt"
check_case "gen: 20,000 additions in one expression" "$G/chain.bt" \
	"FILE:1:38020: error: expression nested too deeply (more than 1000 levels)"

{ printf 'BEGIN { @x = '; rep '1?1:' 20000; printf '1; }\n'; } >"$G/ternary.bt"
check_case "gen: 20,000 nested ternaries" "$G/ternary.bt" \
	"FILE:1:4006: error: expression nested too deeply (more than 1000 levels)"

{
	printf 'BEGIN {\n'
	for ((i = 1; i <= 45000; i++)); do printf '\t@a[%d] = %d + 1;\n' "$i" "$i"; done
	printf '\t@a["x"] = 1;\n}\n'
} >"$G/megabyte.bt"
check_case "gen: 1 MB script, error on its last line" "$G/megabyte.bt" \
	"FILE:45002:5: error: map '@a' key is string[2] here but int64 elsewhere"

{ printf 'BEGIN { @x = 1; }\n/*'; rep 'comment ' 131072; printf '*/\nEND { @y = nosuch; }\n'; } >"$G/comment.bt"
check_case "gen: 1 MB comment" "$G/comment.bt" \
	"FILE:3:12: error: unknown identifier 'nosuch'"

{ printf 'BEGIN { @x = 1'; rep ' + 1' 900; rep ' ' 1000000; printf '+ "s"; }\n'; } >"$G/longline.bt"
check_case "gen: 1 MB line" "$G/longline.bt" \
	"FILE:1:14: error: invalid operands to '+': int64 and string[2]"

{ printf 'BEGIN { printf("%%s\\n", "'; rep 'a' 1048576; printf '"); exit(); }\n'; } >"$G/string.bt"
check_case "gen: 1 MB string literal" "$G/string.bt" \
	"FILE:1:24: error: string is too long (1048577 bytes, more than max_strlen 1024); raise it with BPFTRACE_MAX_STRLEN"

{ printf 'BEGIN { @x = '; rep 'a' 100000; printf '; }\n'; } >"$G/ident.bt"
check_case "gen: 100,000-character identifier" "$G/ident.bt" \
	"FILE:1:14: error: unknown identifier '$(rep a 100000)'"

{
	for ((i = 1; i <= 10000; i++)); do printf 'BEGIN { @x%d = %d; }\n' "$i" "$i"; done
	printf 'END { @y = 1 + "s"; }\n'
} >"$G/probes.bt"
check_case "gen: 10,000 probes, error in the last" "$G/probes.bt" \
	"FILE:10001:12: error: invalid operands to '+': int8 and string[2]"

for ((i = 1; i <= 10000; i++)); do printf 'interval:ms:%d { @x = count(); }\n' "$i"; done >"$G/programs.bt"
check_case "gen: 10,000 valid probes, one program each" "$G/programs.bt" \
	"FILE:1025:1: error: too many probes: this attaches 10000, more than the limit of 1024 (BPFTRACE_MAX_PROBES raises it)"

printf 'tracepoint:*:* { @ = count(); }\n' >"$G/alltp.bt"
check_case "gen: a wildcard over every tracepoint" "$G/alltp.bt" \
	"FILE:1:1: error: too many probes: this attaches $(find /sys/kernel/tracing/events -mindepth 3 -maxdepth 3 -name id 2>/dev/null | wc -l), more than the limit of 1024 (BPFTRACE_MAX_PROBES raises it)"

printf 'tracepoint:ftrace:bprint { @ = count(); }\n' >"$G/ftrace.bt"
check_case "gen: an ftrace event is not a tracepoint" "$G/ftrace.bt" \
	"FILE:1:1: error: 'ftrace:bprint' is an ftrace event, not a tracepoint BPF can attach to"

for ((i = 1; i <= 200; i++)); do printf 'BEGIN { @x%d = nosuch%d; }\n' "$i" "$i"; done >"$G/errors.bt"
check_case "gen: 200 errors" "$G/errors.bt" "FILE:1:15: error: unknown identifier 'nosuch1'"
expect_eq "gen: 200 errors: reporting stops after 50" \
	"50 sonde: too many errors, stopping" \
	"$(grep -c ': error: ' "$TMP/err") $(tail -n 1 "$TMP/err")"

head -c 4096 "$SONDE" >"$G/elf.bt"
check_case "gen: an ELF file" "$G/elf.bt" \
	"FILE:1:1: error: invalid control character 0x7f in script"

random_bytes >"$G/random.bt"
check_case "gen: 4 KB of random bytes" "$G/random.bt" \
	"FILE:1:3: error: invalid byte 0x95 in script (only ASCII is allowed outside strings)"

expect_nothing_left "bad inputs"
finish
