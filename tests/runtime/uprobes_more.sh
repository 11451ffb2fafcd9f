# uprobe / uretprobe beyond one named function: wildcards, addresses and
# offsets in PIE and non-PIE programs and a shared library, -p and -c
# (probes for that one process, library names found in its maps, the
# child's first calls caught), and `args` from DWARF.
. "$(dirname "$0")/lib.bash"

PIE=$(realpath "$TOOLS_DIR/uprobe_pie" 2>/dev/null)
NOPIE=$(realpath "$TOOLS_DIR/uprobe_nopie" 2>/dev/null)
LIB=$(realpath "$TOOLS_DIR/libuprobe_lib.so" 2>/dev/null)
if [ ! -x "$PIE" ] || [ ! -x "$NOPIE" ] || [ ! -f "$LIB" ]; then
	echo "SKIP: the uprobe test programs are not built"
	exit 77
fi

# ---- wildcards: one probe per matching function, in PIE and non-PIE ----
for BIN in "$PIE" "$NOPIE"; do
	kind=$([ "$BIN" = "$PIE" ] && echo PIE || echo non-PIE)
	run_sonde -c "$BIN 3" -e "uprobe:$BIN:uw_* { @[probe] = count(); }"
	expect_eq "$kind: a wildcard attaches every match" "Attaching 3 probes...
@[uprobe:$BIN:uw_alpha]: 3
@[uprobe:$BIN:uw_beta]: 3
@[uprobe:$BIN:uw_gamma]: 3" "$(grep -E '^(@|Attaching)' <<<"$OUT")"
	# an address in the binary (nm's), and NAME+OFFSET, fire as often
	addr=$(nm "$BIN" | awk '$3 == "other_func" { print $1 }')
	run_sonde -q -c "$BIN 4" -e "uprobe:$BIN:0x$addr { @addr = count(); } uprobe:$BIN:other_func+4 { @off = count(); }
		uretprobe:$BIN:other_func { @ret = sum(retval); }"
	expect_eq "$kind: an address, NAME+OFFSET, retval" "@addr: 4
@off: 4
@ret: 168" "$(grep '^@' <<<"$OUT")"
done

# ---- uprobe_multi: a wildcard whose action is the same for every function
# is one program on one link; `probe` or `args` keep one program each ----
for multi in 1 0; do
	SONDE_UPROBE_MULTI=$multi run_sonde -v -c "$PIE 3" -e "uprobe:$PIE:uw_* { @calls = count(); }
		uretprobe:$PIE:uw_* /retval > 0/ { @ret = count(); } uprobe:$PIE:other*, uprobe:$PIE:main { @[probe] = count(); }"
	expect_eq "SONDE_UPROBE_MULTI=$multi: the same counts" "Attaching 8 probes...
@[uprobe:$PIE:main]: 1
@[uprobe:$PIE:other_func]: 3
@calls: 9
@ret: 9" "$(grep -E '^(@|Attaching)' <<<"$OUT")"
	programs=$(grep -oE 'attached uprobe:[^ ]*:uw_[a-z]* \(program id [0-9]+' <<<"$ERR" | sed 's/.*id //' | sort -u | wc -l)
	expect_eq "SONDE_UPROBE_MULTI=$multi: programs for the 3 uw_* uprobes" "$([ $multi = 1 ] && echo 1 || echo 3)" "$programs"
done

# ---- C++ names: cpp: matches demangled names (overloads too), and a
# quoted mangled name works as it is ----
run_sonde -q -c "$PIE 2" -e "uprobe:$PIE:cpp:\"MyApp::Server::handle\" { @[probe, arg0] = count(); }
	uprobe:$PIE:cpp:MyApp::* { @all = count(); } uretprobe:$PIE:\"_ZN5MyApp6helperEv\" { @ret = sum(retval); }"
expect_eq "cpp: names, wildcards and overloads; a quoted mangled name" "@[uprobe:$PIE:_ZN5MyApp6Server6handleEi, 0]: 1
@[uprobe:$PIE:_ZN5MyApp6Server6handleEi, 1]: 1
@[uprobe:$PIE:_ZN5MyApp6Server6handleEii, 0]: 1
@[uprobe:$PIE:_ZN5MyApp6Server6handleEii, 1]: 1
@all: 6
@ret: 4" "$(grep '^@' <<<"$OUT")"

# ---- a shared library, by path and as lib<NAME> through -p's maps ----
run_sonde -q -c "$PIE 3" -e "uprobe:$LIB:ulib_scale { @[arg0, arg1] = count(); } uretprobe:$LIB:ulib_* { @ret = sum(retval); }"
expect_eq "a shared library's function and a wildcard uretprobe on it" "@[0, 3]: 1
@[1, 3]: 1
@[2, 3]: 1
@ret: 9" "$(grep '^@' <<<"$OUT")"

# ---- -p: only that process; libraries and `*` among the files it maps ----
"$PIE" 5 wait & WANTED=$!
"$PIE" 7 wait & OTHER=$!
wait_until 5 test -e "/proc/$WANTED/maps"
sleep 0.2
(sleep 1.5; kill -USR1 "$WANTED" "$OTHER" 2>/dev/null) &
KILLER=$!
run_sonde -q -p "$WANTED" -e "uprobe:$PIE:uw_alpha { @alpha = count(); } uprobe:libuprobe_lib:ulib_scale { @lib = count(); }
	uprobe:*:other_func { @[probe] = count(); } uprobe:$PIE:uw_* { @multi = count(); }"
wait "$KILLER" "$WANTED" "$OTHER" 2>/dev/null
expect_eq "-p: the process's calls only (another running copy is not counted)" "@[uprobe:$PIE:other_func]: 5
@alpha: 5
@lib: 5
@multi: 15" "$(grep '^@' <<<"$OUT")"

# ---- -c: the child's very first call, and only the child ----
run_sonde -q -c "$PIE 1" -e "uprobe:$PIE:uw_alpha { printf(\"first %d\n\", arg0); }"
expect_eq "-c: the child's first call is caught" "first 0" "$(grep '^first' <<<"$OUT")"
"$PIE" 4 wait & OTHER=$!
sleep 0.2
# the child signals the other copy, waits while it runs, then becomes the program
run_sonde -q -c "/bin/sh -c 'kill -USR1 $OTHER; sleep 0.5; exec $PIE 2'" -e "uprobe:$PIE:uw_alpha { @alpha = count(); }
	uprobe:$PIE:uw_* { @multi = count(); }"
wait "$OTHER" 2>/dev/null
expect_eq "-c: the child's calls only (single and uprobe_multi links)" "@alpha: 2
@multi: 6" "$(grep '^@' <<<"$OUT")"

# ---- args from DWARF ----
run_sonde -q -c "$PIE 2" -e "uprobe:$PIE:uw_alpha { printf(\"%d %s\n\", args.i, str(args.word)); }
	uprobe:$PIE:uw_beta { printf(\"%d %d %s %d \", args.p->x, args.p->y, args.p->tag, args.small); print(args.c); }
	uprobe:$PIE:uw_gamma { print(args); }"
expect_eq "args: ints, strings, struct pointers, char arrays, enums; a double skipped" "0 word
3 4 pt 200 GREEN
{ .a = -7, .b = -2, .big = 4660 }
1 word
3 4 pt 200 GREEN
{ .a = -7, .b = -2, .big = 4660 }" "$(grep . <<<"$OUT")"
run_sonde -q -c "$PIE 1" -e "uprobe:$PIE:uw_beta { \$a = args; print(\$a); @[args.c, args.small] = count(); }"
expect_eq "args as a value, enums as map keys" "{ .p = PTR, .c = GREEN, .small = 200 }
@[GREEN, 200]: 1" "$(grep . <<<"$OUT" | sed -E 's/0x[0-9a-f]+/PTR/')"
run_sonde -e "uprobe:$PIE:uw_alpha { print(args.nope); }"
expect_match "a parameter that is not there" "error: .*nope" "$ERR"
STRIPPED=$(realpath "$TOOLS_DIR/uprobe_stripped")
run_sonde -q -c "$STRIPPED 2" -e "uprobe:$STRIPPED:uw_alpha { printf(\"%d %s\n\", args.i, str(args.word)); }"
expect_eq "args of a stripped binary, from the file its .gnu_debuglink names" "0 word
1 word" "$(grep . <<<"$OUT")"
run_sonde -e "uprobe:$NOPIE:uw_alpha { print(args.i); }"
expect_match "args without DWARF" "error: args: $NOPIE has no DWARF debug info for 'uw_alpha' \\(build it with -g\\)" "$ERR"

if command -v bpftrace >/dev/null; then
	same_as_bpftrace "wildcards over PIE, non-PIE and a library" -c "$PIE 3" -e "uprobe:$PIE:uw_* { @n = count(); }
		uprobe:$NOPIE:uw_* { @nopie = count(); } uprobe:$LIB:ulib_scale { @lib[arg0] = sum(arg0 + 1); } uretprobe:$LIB:ulib_scale { @ret = hist(retval); }"
	a_nopie=$(nm "$NOPIE" | awk '$3 == "other_func" { print $1 }')
	a_pie=$(nm "$PIE" | awk '$3 == "other_func" { print $1 }')
	same_as_bpftrace "addresses in a non-PIE and a PIE" -c "$NOPIE 3" -e "uprobe:$NOPIE:0x$a_nopie { @nopie = count(); }
		uprobe:$PIE:0x$a_pie { @pie = count(); } uprobe:$NOPIE:uw_beta { @beta = count(); }"
	same_as_bpftrace "DWARF args (bpftrace 0.17's args->)" -c "$PIE 2" -e "uprobe:$PIE:uw_alpha { printf(\"%d %s\n\", args->i, str(args->word)); }
		uprobe:$PIE:uw_beta { printf(\"%d %d %s %d %d\n\", args->p->x, args->p->y, args->p->tag, args->small, args->c); }"
fi
# ---- a relative path stays as written in `probe`; a quoted name takes +OFFSET ----
rel=$(realpath --relative-to="$TMP" "$PIE")
pushd "$TMP" >/dev/null || exit 1
run_sonde -q -c "$PIE 1" -e "uprobe:$rel:uw_alpha { print(probe); } uprobe:$PIE:\"other_func\"+4 { @off = count(); }"
popd >/dev/null || exit 1
expect_eq "probe keeps a relative path as written; \"name\"+OFFSET" "uprobe:$rel:uw_alpha
@off: 1" "$(sed '/^$/d' <<<"$OUT")"

finish
