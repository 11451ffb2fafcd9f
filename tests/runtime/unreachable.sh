# A statement after one that always ends its block (exit(), return, break,
# continue, an if/else or ?: whose branches all do, a macro that does) is
# warned about once per block, at the first such statement, as the latest
# bpftrace does ("Unreachable statement."). The script still runs.
. "$(dirname "$0")/lib.bash"

# first_warnings: the positions of the warnings in ERR, one per line
positions() { sed -nE 's/^stdin:([0-9]+:[0-9]+): warning: Unreachable statement\.$/\1/p' <<<"$ERR" | tr '\n' ' '; }

run_sonde -q -e 'i:ms:1 { @a = 1; exit(); @b = 2; @c = 3; }'
expect_eq "after exit(): the first statement only" "1:26 " "$(positions)"
expect_eq "after exit(): the script runs" "@a: 1" "$(grep . <<<"$OUT")"
expect_eq "after exit(): the source line and marker" "i:ms:1 { @a = 1; exit(); @b = 2; @c = 3; }
                         ^~~~~~" "$(sed -n 2,3p <<<"$ERR")"

run_sonde -q -e 'BEGIN { if (1) { exit(); } else { return; } @x = 1; }'
expect_eq "after an if whose branches both end" "1:45 " "$(positions)"

run_sonde -q -e 'BEGIN { $i = 0; while ($i < 3) { $i++; continue; @n = 1; } unroll(2) { if ($i) { break; } } @i = $i; exit(); }'
expect_eq "continue ends the loop's body, not the probe's" "1:50 " "$(positions)"

run_sonde -q -e 'BEGIN { $a = 1; $a ? { exit() } : { exit() }; @y = 1; exit(); }'
expect_eq "after ?: with both branches ending (once per block)" "1:47 " "$(positions)"

run_sonde -q -e 'macro stop() { exit(); } BEGIN { stop(); @y = 1; }'
expect_eq "after a macro that exits" "1:42 " "$(positions)"

# Nothing to warn about: a branch that may go on, assert(), a ?: with one
# exiting branch, the last statement
run_sonde -q -e 'BEGIN { $a = 0; if ($a) { exit(); } assert($a == 0, "x"); $b = $a ? { exit(); 3 } : 2; @b = $b; exit(); }'
expect_eq "no warning where the block goes on" "|@b: 2" "$ERR|$(grep . <<<"$OUT")"

finish
