# lib.bash - guest tests: run a test script inside Debian 12's stock kernel.
#
# A guest test is `bash tests/guest/NAME.sh SONDE_BINARY SOURCE_DIR`, like a
# runtime test. Its first line sources this file. On the host this boots
# ONE guest (run-in-guest.sh) that runs the same script with the same
# arguments, and exits with its status; inside the guest (SONDE_IN_GUEST=1)
# it goes on with tests/runtime/lib.bash's helpers (pass, fail, expect_eq,
# run_sonde, same_as_bpftrace, snapshot_bpf, finish ...).
#
# Skips (77) as non-root and where no guest can be had (no qemu or
# busybox-static, the kernel package cannot be downloaded), unless
# SONDE_GUEST_REQUIRE=1 (CI sets it), which makes that a failure: the guest
# tests then never pass by not running.
#
# SONDE_GUEST_TIMEOUT (default 1500 s) bounds the whole boot.

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "${SONDE_IN_GUEST:-0}" != 1 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: guest tests boot a QEMU guest and need root"
		exit 77
	fi
	guest_why=$("$GUEST_DIR/run-in-guest.sh" --check 2>&1)
	guest_rc=$?
	if [ "$guest_rc" != 0 ]; then
		if [ "${SONDE_GUEST_REQUIRE:-0}" = 1 ]; then
			echo "FAIL: no guest, and SONDE_GUEST_REQUIRE=1: $guest_why"
			exit 1
		fi
		echo "SKIP: no guest kernel: $guest_why"
		exit 77
	fi
	# The script and sonde are read through the guest's view of /; make the
	# paths absolute since the guest's cwd is this one anyway.
	guest_script=$(realpath "$0")
	guest_args=()
	for guest_arg in "$@"; do
		if [ -e "$guest_arg" ]; then guest_args+=("$(realpath "$guest_arg")"); else guest_args+=("$guest_arg"); fi
	done
	SONDE_GUEST_ENV="${SONDE_GUEST_ENV:-} CI SONDE_GUEST_VERBOSE" \
		"$GUEST_DIR/run-in-guest.sh" --timeout "${SONDE_GUEST_TIMEOUT:-1500}" -- \
		bash "$guest_script" "${guest_args[@]}"
	guest_rc=$?
	# 77 from inside is a real skip; the harness's own 77 was caught by --check.
	exit "$guest_rc"
fi

# Inside the guest: the runtime tests' helpers.
. "$GUEST_DIR/../runtime/lib.bash"

