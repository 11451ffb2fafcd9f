# Every test program runs without root: as nobody, each unit test binary
# and each runtime script passes or skips (exit 77, with the reason); none
# fails. Those that only compile or read text (the lexer, parser and sema
# tests, the malformed-script corpus, the README check) must pass, not
# skip. The runtime scripts that need root skip in lib.bash's first lines,
# so this stays quick.
#
# Runs as root (lib.bash) in order to become nobody; the build and source
# directories must be readable by nobody (skipped otherwise).
. "$(dirname "$0")/lib.bash"

need_nobody
BUILD=$(dirname "$SONDE")
SRCDIR=$(realpath "$SRCDIR")
if ! "${NOBODY[@]}" test -r "$SRCDIR/tests/runtime/lib.bash"; then
	echo "SKIP: uid 65534 cannot read $SRCDIR (a parent directory is private)"
	exit 77
fi

# These run fully without root: a skip would be a regression.
MUST_PASS=" unit.test_lexer unit.test_parser unit.test_sema unit.test_probes unit.test_run
	unit.test_print runtime.bad_input runtime.readme "

# as_nobody_passes NAME COMMAND...: exit 0, or 77 unless NAME is in MUST_PASS
as_nobody_passes() {
	local name=$1 rc
	shift
	(cd "$SRCDIR" && timeout -s KILL 300 "${NOBODY[@]}" "$@") >"$TMP/nobody.out" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then
		pass "$name as nobody: passes"
	elif [ "$rc" = 77 ] && [[ $MUST_PASS != *[[:space:]]"$name"[[:space:]]* ]]; then
		pass "$name as nobody: skips ($(grep -m 1 '^SKIP' "$TMP/nobody.out"))"
	else
		fail "$name as nobody: exit status $rc"
		tail -n 20 "$TMP/nobody.out" | sed 's/^/    /'
	fi
}

# The same globs as CMakeLists.txt's, so every test program is here.
for src in "$SRCDIR"/tests/unit/test_*.c; do
	name=$(basename "$src" .c)
	if [ ! -x "$BUILD/$name" ]; then
		fail "unit.$name: $BUILD/$name is not built"
		continue
	fi
	as_nobody_passes "unit.$name" "$BUILD/$name"
done
for script in "$SRCDIR"/tests/runtime/*.sh; do
	as_nobody_passes "runtime.$(basename "$script" .sh)" bash "$script" "$SONDE" "$SRCDIR"
done
finish
