#!/bin/sh
# The container's entry point: sonde with the script as its only argument,
# as kubectl-trace's trace-runner starts bpftrace (`bpftrace PROGRAM`).
# Run privileged and in the host's PID namespace, with the host's /sys:
#   podman run --rm -it --privileged --pid=host -v /sys:/sys IMAGE /work/prog.bt
# SIGINT (or SIGTERM, what a pod's deletion sends) stops it; it prints its
# maps and exits 0. `exec`: the signals go to sonde itself, not to this shell.
set -eu
# Tracepoints need tracefs; a fresh /sys in a container may not have it.
if [ ! -d /sys/kernel/tracing/events ] && [ -d /sys/kernel/tracing ]; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
fi
exec "$(dirname "$0")/sonde" "$@"
