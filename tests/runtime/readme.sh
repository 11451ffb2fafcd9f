# The README's two commands run as written on a fresh Debian 12 machine,
# where you are root and there is no sudo, and CI runs exactly them:
#   - the "## Two commands" section has two commands in its code blocks,
#     and neither they, nor any code block of the README, nor the .ci
#     scripts use sudo;
#   - .ci/run names no setup or test script of its own (no variant), and
#     `.ci/run --list`, which goes through the loop that runs them, lists
#     exactly the README's commands.
# Reads text only, so it runs without root too.
RUNS_WITHOUT_ROOT=1
. "$(dirname "$0")/lib.bash"

README=$SRCDIR/README.md
CI_RUN=$SRCDIR/.ci/run

# The section's code blocks, read here independently of .ci/run's reader.
commands=$(awk '/^## / { inside = /^## Two commands/ } inside' "$README" |
	sed -n '/^```/,/^```/p' | grep -v -e '^```' -e '^[[:space:]]*$')
expect_eq "README: two commands in the 'Two commands' code blocks" 2 "$(grep -c . <<<"$commands")"

# sudo (or doas) anywhere in the commands; in the scripts, where a command
# starts (messages may name it).
expect_eq "README: the commands do not use sudo" "" "$(grep -Ew 'sudo|doas' <<<"$commands")"
expect_eq "README: no code block uses sudo" "" \
	"$(sed -n '/^```/,/^```/p' "$README" | grep -Ew 'sudo|doas')"
for script in "$SRCDIR"/.ci/*; do
	expect_eq ".ci/$(basename "$script") runs no sudo" "" \
		"$(grep -E '(^|[;&|(]|then|do|else)[[:space:]]*(sudo|doas)([[:space:]]|$)' "$script")"
done

variant=$(grep -Ev '^[[:space:]]*#' "$CI_RUN" | grep -E '\.ci/(setup|test)([^[:alnum:]_-]|$)')
expect_eq ".ci/run runs no setup or test command of its own" "" "$variant"
if [ -z "$variant" ]; then
	listed=$(bash "$CI_RUN" --list)
	expect_eq ".ci/run runs the README's commands, as written" "$commands" "$listed"
fi
finish
