#!/usr/bin/env bash
# startup.sh - kept for old habits: the start-up part of bench/run.sh
# (BEGIN { exit(); } wall time and peak RSS, launch -> attached), sonde vs bpftrace.
# Usage: bench/startup.sh [SONDE_BINARY]   (STARTUP_ROUNDS=N to change the rounds)
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/run.sh" "${1:-$here/../build/sonde}" startup
