# cpp_demangle: C++ names in func and ustack are shown demangled
# unless `config = { cpp_demangle = false }`, BPFTRACE_CPP_DEMANGLE=0 or
# bpftrace 0.17's BPFTRACE_NO_CPP_DEMANGLE=1 turn it off.
# tests/tools/cxx_names has the C++ symbol _ZN5sonde4bumpEi
# (sonde::bump(int)) and stays alive 1 s after calling it.
. "$(dirname "$0")/lib.bash"

T=$TOOLS_DIR/cxx_names
need_tools "$T"
SONDE=$(realpath "$SONDE")
cd "$TOOLS_DIR" || exit 1
PROG='uprobe:./cxx_names:_ZN5sonde4bumpEi { printf("%s\n", func); print(ustack(2)); exit(); }'
DEMANGLED=$(printf 'Attaching 1 probe...\nsonde::bump(int)\n\n        sonde::bump(int)+0\n        main+76\n')
MANGLED=$(printf 'Attaching 1 probe...\n_ZN5sonde4bumpEi\n\n        _ZN5sonde4bumpEi+0\n        main+76\n')

run_sonde -e "$PROG" -c ./cxx_names
expect_eq "demangled by default" "$DEMANGLED" "$OUT"
run_sonde -e "config = { cpp_demangle = false } $PROG" -c ./cxx_names
expect_eq "config cpp_demangle = false" "$MANGLED" "$OUT"
OUT=$(BPFTRACE_CPP_DEMANGLE=0 timeout -s INT 60 "$SONDE" -e "$PROG" -c ./cxx_names 2>/dev/null)
expect_eq "BPFTRACE_CPP_DEMANGLE=0" "$MANGLED" "$OUT"
OUT=$(BPFTRACE_NO_CPP_DEMANGLE=1 timeout -s INT 60 "$SONDE" -e "$PROG" -c ./cxx_names 2>/dev/null)
expect_eq "BPFTRACE_NO_CPP_DEMANGLE=1 (bpftrace 0.17's name)" "$MANGLED" "$OUT"
run_sonde -e "config = { cpp_demangle = true } $PROG" -c ./cxx_names
expect_eq "config cpp_demangle = true" "$DEMANGLED" "$OUT"

same_as_bpftrace "demangled ustack" -e 'uprobe:./cxx_names:_ZN5sonde4bumpEi { printf("%s\n", func); print(ustack(2)); exit(); }' -c ./cxx_names
export BPFTRACE_NO_CPP_DEMANGLE=1
same_as_bpftrace "BPFTRACE_NO_CPP_DEMANGLE=1 ustack" -e 'uprobe:./cxx_names:_ZN5sonde4bumpEi { printf("%s\n", func); print(ustack(2)); exit(); }' -c ./cxx_names
finish
