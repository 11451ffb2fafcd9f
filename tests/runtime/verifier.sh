# A program the kernel's verifier really rejects: 22 independent branches
# that each store a different constant make 2^22 verifier states, more than
# its 1M-instruction budget. The rejection must name the script line, quote
# the verifier and leave nothing loaded.
. "$(dirname "$0")/lib.bash"

{
	echo 'BEGIN {'
	echo '  $x = nsecs;'
	printf '  '
	for i in $(seq 0 21); do printf 'if ($x & %d) { $a%d = %d; } else { $a%d = 0; } ' $((1 << i)) "$i" $((i + 1)) "$i"; done
	echo
	printf '  @s = $a0'
	for i in $(seq 1 21); do printf ' + $a%d' "$i"; done
	echo ';'
	echo '  exit();'
	echo '}'
} >"$TMP/paths.bt"

snapshot_bpf
run_sonde "$TMP/paths.bt"
expect_eq "verifier rejection: exit code" 1 "$RC"
# The budget runs out in the branches (line 3) or in the map update after
# them (line 4), depending on how much code each path has: either is the
# script line the verifier was working on.
expect_match "verifier rejection: script line" "^$TMP/paths.bt:[34]:3: error: the BPF verifier rejected probe 'BEGIN'\$" "$(head -1 <<<"$ERR")"
expect_match "verifier rejection: source line shown" '^  (if \(\$x & 1\) \{ \$a0 = 1; \}|@s = \$a0 \+ \$a1 )' "$(sed -n 2p <<<"$ERR")"
expect_match "verifier rejection: the verifier's complaint" '^  verifier: BPF program is too large' "$ERR"
expect_match "verifier rejection: a hint" '^hint: ' "$ERR"
expect_eq "verifier rejection: nothing printed on stdout" "" "$OUT"
expect_nothing_left "verifier rejection"
finish
