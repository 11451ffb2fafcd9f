#!/usr/bin/env bash
# run-in-guest.sh - run a command as root inside Debian 12's stock kernel under QEMU.
#
#   tests/guest/run-in-guest.sh [--timeout SECONDS] -- COMMAND [ARG...]
#   tests/guest/run-in-guest.sh --prepare      # fetch the kernel, build the cache, boot nothing
#   tests/guest/run-in-guest.sh --check        # exit 0 if a guest can be booted, else 77 (reason on stderr)
#
# Why: this machine's kernel (and many CI kernels) lack kprobes and fentry;
# Debian 12's own kernel has both, so kernel-probe tests run inside it.
#
# The guest sees the host's / read-only (9p) under a throw-away tmpfs
# overlay, so every host binary (sonde, bpftrace, bash, the test scripts)
# runs unchanged. The current directory is shared read-write: files written
# there reach the host. COMMAND runs as root with that cwd, stdin /dev/null,
# stdout and stderr merged and streamed; /proc, /sys, /dev, tracefs
# (/sys/kernel/tracing), debugfs (/sys/kernel/debug), bpffs (/sys/fs/bpf),
# securityfs and cgroup2 are mounted, and /run is an empty tmpfs. /tmp and
# /var/tmp stay the host's (through the overlay: writes stay in the guest):
# a checkout or build under /tmp, as CI's may be, must be visible inside.
#
# Exit status: COMMAND's; 124 on timeout; 125 if the guest died (panic);
# 77 if no guest can be had here (no qemu, no busybox-static, the kernel
# package cannot be downloaded, not root): callers turn that into a skip.
#
# Environment:
#   SONDE_GUEST_CACHE   cache dir (default /var/cache/sonde-guest as root,
#                       else ~/.cache/sonde/guest); the kernel is downloaded once
#   SONDE_GUEST_ACCEL   auto (default: KVM only if /dev/kvm is usable AND the
#                       CPU has vmx/svm; a nested PVM /dev/kvm hangs the
#                       stock kernel), tcg or kvm
#   SONDE_GUEST_SMP, SONDE_GUEST_MEM   vCPUs (2) and memory (2G)
#   SONDE_GUEST_ENV     names of variables to pass into the guest
#   SONDE_GUEST_KERNEL_PKG   a linux-image package instead of the one
#                       linux-image-amd64 depends on
#   SONDE_GUEST_APPEND  extra kernel command line
#   SONDE_GUEST_VERBOSE=1  show the boot log
set -uo pipefail

die77() { echo "run-in-guest: $*" >&2; exit 77; }
die() { echo "run-in-guest: $*" >&2; exit 125; }

TIMEOUT=3600
MODE=run
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
	--timeout=*) TIMEOUT=${1#*=}; shift ;;
	--prepare) MODE=prepare; shift ;;
	--check) MODE=check; shift ;;
	--) shift; break ;;
	-h|--help) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run-in-guest: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ "$MODE" = run ] && [ $# = 0 ]; then
	echo "usage: run-in-guest.sh [--timeout S] -- COMMAND [ARG...]" >&2
	exit 2
fi

[ "$(id -u)" = 0 ] || die77 "needs root (the guest's /dev, BPF and 9p as root)"
QEMU=$(command -v qemu-system-x86_64) || die77 "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
BUSYBOX=
for b in /bin/busybox /usr/bin/busybox; do
	# Only a static busybox runs in the initramfs (it has no libc).
	if [ -x "$b" ] && ! readelf -l "$b" 2>/dev/null | grep -q INTERP; then BUSYBOX=$b; break; fi
done
[ -n "$BUSYBOX" ] || die77 "static busybox not found (apt-get install busybox-static)"

if [ -n "${SONDE_GUEST_CACHE:-}" ]; then
	CACHE=$SONDE_GUEST_CACHE
else
	CACHE=/var/cache/sonde-guest
fi
mkdir -p "$CACHE" || die77 "cannot create cache dir $CACHE"

# The 9p, virtio and overlay drivers are modules in Debian's kernel and the
# .deb has no modules.dep: these plus their depends= closure go into the
# initramfs, loaded in dependency order. null_blk gives the guest a block
# device (/dev/nullb0, no memory behind it) for block I/O tests.
GUEST_MODULES="virtio_pci 9pnet_virtio 9p overlay null_blk"

# resolve_package: the linux-image-ABI-amd64 the metapackage points to now
# (the ABI name moves every few weeks and old ones leave the mirror).
resolve_package() {
	if [ -n "${SONDE_GUEST_KERNEL_PKG:-}" ]; then
		echo "$SONDE_GUEST_KERNEL_PKG"
		return
	fi
	apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

# module_closure DIR NAMES...: the .ko files NAMES need, dependencies first.
module_closure() {
	local dir=$1 name file dep
	shift
	for name in "$@"; do
		name=${name//-/_}
		case " $SEEN " in *" $name "*) continue ;; esac
		SEEN="$SEEN $name"
		file=$(find "$dir" -name "$name.ko" -o -name "${name//_/-}.ko" | head -n 1)
		[ -n "$file" ] || { echo "run-in-guest: module $name not in the kernel package" >&2; return 1; }
		for dep in $(tr '\0' '\n' <"$file" | sed -n 's/^depends=//p' | tr ',' ' '); do
			module_closure "$dir" "$dep" || return 1
		done
		ORDER="$ORDER $file"
	done
}

# cache_ready DIR: built, and with the modules this script loads.
cache_ready() {
	[ -f "$1/ready" ] && [ "$(cat "$1/ready")" = "$GUEST_MODULES" ]
}

# build_cache PKG: download PKG, keep the ELF vmlinux (PVH boot: no 5 s of
# emulated XZ decompression), config, System.map, and an initramfs of
# static busybox + the modules. Runs under the cache lock.
build_cache() {
	local pkg=$1 dest=$CACHE/$1 work deb kv vmlinuz off file
	cache_ready "$dest" && return 0
	work=$(mktemp -d "$CACHE/build.XXXXXX") || return 1
	chmod 755 "$work" # apt-get download drops to _apt when it can
	echo "run-in-guest: downloading $pkg (once; cached in $CACHE)" >&2
	if ! (cd "$work" && apt-get download -q "$pkg" >download.log 2>&1); then
		sed 's/^/    /' "$work/download.log" >&2
		rm -rf "$work"
		return 1
	fi
	deb=$(ls "$work"/*.deb) && dpkg-deb -x "$deb" "$work/x" || { rm -rf "$work"; return 1; }
	vmlinuz=$(ls "$work"/x/boot/vmlinuz-* | head -n 1)
	kv=${vmlinuz##*/vmlinuz-}
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -n 1 | cut -d: -f1)
	mkdir -p "$work/out/initrd/modules" "$work/out/initrd/bin"
	if [ -z "$off" ] || ! tail -c +"$((off + 1))" "$vmlinuz" | xz -dc >"$work/out/vmlinux" 2>/dev/null; then
		# xz complains about trailing data after the stream; only the ELF matters.
		if ! head -c 4 "$work/out/vmlinux" 2>/dev/null | grep -q 'ELF'; then
			echo "run-in-guest: cannot extract vmlinux from $vmlinuz" >&2
			rm -rf "$work"
			return 1
		fi
	fi
	cp "$work/x/boot/config-$kv" "$work/out/config"
	cp "$work/x/boot/System.map-$kv" "$work/out/System.map"
	echo "$kv" >"$work/out/release"
	SEEN= ORDER=
	module_closure "$work/x/lib/modules/$kv" $GUEST_MODULES || { rm -rf "$work"; return 1; }
	: >"$work/out/initrd/modules/order"
	for file in $ORDER; do
		cp "$file" "$work/out/initrd/modules/"
		echo "${file##*/}" >>"$work/out/initrd/modules/order"
	done
	cp "$BUSYBOX" "$work/out/initrd/bin/busybox"
	(cd "$work/out/initrd" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null) >"$work/out/initrd.cpio" || { rm -rf "$work"; return 1; }
	rm -rf "$work/out/initrd"
	echo "$GUEST_MODULES" >"$work/out/ready"
	rm -rf "$dest"
	mv "$work/out" "$dest" && rm -rf "$work"
}

# prepare: resolve the package (falling back to the last one cached when
# apt cannot answer) and make sure its cache exists. Sets KDIR.
prepare() {
	local pkg
	exec 9>"$CACHE/.lock"
	flock 9
	pkg=$(resolve_package)
	if [ -z "$pkg" ] || ! build_cache "$pkg"; then
		# Offline or an old ABI gone: the last kernel that was cached still works.
		if [ -f "$CACHE/current" ] && cache_ready "$CACHE/$(cat "$CACHE/current")"; then
			pkg=$(cat "$CACHE/current")
		elif [ -z "$pkg" ]; then
			flock -u 9
			die77 "cannot resolve linux-image-amd64 (run apt-get update; needs Debian's apt sources)"
		else
			flock -u 9
			die77 "cannot download the kernel package $pkg"
		fi
	fi
	echo "$pkg" >"$CACHE/current"
	flock -u 9
	KDIR=$CACHE/$pkg
}

# A cached kernel is used as is; the metapackage is asked only when there
# is none (--prepare asks every time, to follow the ABI bumps).
if [ "$MODE" = prepare ] || [ ! -f "$CACHE/current" ] || ! cache_ready "$CACHE/$(cat "$CACHE/current")"; then
	prepare
else
	KDIR=$CACHE/$(cat "$CACHE/current")
fi
case $MODE in
prepare) echo "run-in-guest: kernel $(cat "$KDIR/release") cached in $KDIR"; exit 0 ;;
check) exit 0 ;;
esac

accel=${SONDE_GUEST_ACCEL:-auto}
if [ "$accel" = auto ]; then
	accel=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qEw 'vmx|svm' /proc/cpuinfo; then accel=kvm; fi
fi
if [ "$accel" = kvm ]; then cpu=host; else cpu=max; fi

RUN=$(mktemp -d /tmp/sonde-guest.XXXXXX) || die "mktemp failed"
QPID=
cleanup() {
	[ -n "$QPID" ] && kill -TERM "$QPID" 2>/dev/null # timeout passes it on to QEMU
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

NONCE=$RANDOM$RANDOM$$
CWD=$(pwd -P)
SHARE=$CWD
[ "$SHARE" = / ] && SHARE=

# The command, as a bash script (host bash, inside the chroot): exact argv
# round-trip through printf %q, no command-line length limit.
{
	printf 'cd -- %q || exit 126\n' "$CWD"
	for var in ${SONDE_GUEST_ENV:-}; do
		[ -n "${!var+x}" ] && printf 'export %s=%q\n' "$var" "${!var}"
	done
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$RUN/cmd.sh"

# /init: mount the host root, build the new root, run the command, print
# the marker with its exit status, power off. Its own noise goes to a log
# that is shown only when the command never starts.
mkdir -p "$RUN/c/run"
cp "$RUN/cmd.sh" "$RUN/c/run/sonde-guest-cmd.sh"
cat >"$RUN/c/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /lower /rw /newroot
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
boot_fail() { echo "@@SONDE_GUEST_${NONCE}_BOOTFAIL \$*"; poweroff -f; }
while read m; do insmod /modules/\$m || boot_fail "insmod \$m"; done </modules/order
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro,cache=loose hostroot /lower || boot_fail "9p root"
mount -t tmpfs -o size=1G tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || boot_fail overlay
R=/newroot
mount -t proc proc \$R/proc
mount -t sysfs sysfs \$R/sys
mount -t devtmpfs devtmpfs \$R/dev
mkdir -p \$R/dev/pts \$R/dev/shm
ln -s /proc/self/fd \$R/dev/fd
ln -s /proc/self/fd/0 \$R/dev/stdin
ln -s /proc/self/fd/1 \$R/dev/stdout
ln -s /proc/self/fd/2 \$R/dev/stderr
mount -t devpts devpts \$R/dev/pts
mount -t tmpfs tmpfs \$R/dev/shm
mount -t tracefs tracefs \$R/sys/kernel/tracing
mount -t debugfs debugfs \$R/sys/kernel/debug
mount -t bpf bpf \$R/sys/fs/bpf
mount -t securityfs securityfs \$R/sys/kernel/security
mount -t cgroup2 cgroup2 \$R/sys/fs/cgroup
mount -t tmpfs tmpfs \$R/run
if [ -n "$SHARE" ]; then
	mkdir -p \$R$SHARE
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=mmap work \$R$SHARE || boot_fail "9p share"
fi
cp /run/sonde-guest-cmd.sh \$R/run/sonde-guest-cmd.sh
hostname sonde-guest
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
stty -onlcr 2>/dev/null
echo "@@SONDE_GUEST_${NONCE}_START"
chroot \$R /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
	HOME=/root LANG=C.UTF-8 SONDE_IN_GUEST=1 /bin/bash /run/sonde-guest-cmd.sh </dev/null 2>&1
echo "@@SONDE_GUEST_${NONCE}_RC=\$?"
sync
poweroff -f
EOF
chmod 755 "$RUN/c/init"
(cd "$RUN/c" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null) >"$RUN/cmd.cpio" || die "cpio failed"
# Two cpio archives back to back: the kernel unpacks both.
cat "$KDIR/initrd.cpio" "$RUN/cmd.cpio" >"$RUN/initrd"

quiet=quiet
[ "${SONDE_GUEST_VERBOSE:-0}" = 1 ] && quiet=
share_args=()
[ -n "$SHARE" ] && share_args=(-virtfs "local,path=$SHARE,mount_tag=work,security_model=none,multidevs=remap")

mkfifo "$RUN/console"
timeout -s KILL "$TIMEOUT" "$QEMU" -accel "$accel" -cpu "$cpu" -smp "${SONDE_GUEST_SMP:-2}" -m "${SONDE_GUEST_MEM:-2G}" \
	-nodefaults -no-user-config -display none -serial stdio -no-reboot \
	-kernel "$KDIR/vmlinux" -initrd "$RUN/initrd" \
	-append "console=ttyS0 $quiet panic=-1 pci=noacpi ${SONDE_GUEST_APPEND:-}" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	"${share_args[@]}" </dev/null >"$RUN/console" 2>"$RUN/qemu.err" &
QPID=$!

# Stream the console: everything between the START and RC markers, with the
# serial line's \r removed. A last line without a newline stays without one
# (the RC marker follows it on the same line).
started=false
rc=
: >"$RUN/boot.log"
while IFS= read -r line || [ -n "$line" ]; do
	line=${line//$'\r'/}
	[ -n "$rc" ] && continue # the power-off messages
	if ! $started; then
		if [[ $line == *"@@SONDE_GUEST_${NONCE}_START"* ]]; then
			started=true
			[ "${SONDE_GUEST_VERBOSE:-0}" = 1 ] && cat "$RUN/boot.log" >&2
		else
			printf '%s\n' "$line" >>"$RUN/boot.log"
		fi
		continue
	fi
	if [[ $line =~ ^(.*)@@SONDE_GUEST_${NONCE}_RC=([0-9]+)$ ]]; then
		printf '%s' "${BASH_REMATCH[1]}"
		rc=${BASH_REMATCH[2]}
		continue
	fi
	printf '%s\n' "$line"
done <"$RUN/console"
wait "$QPID"
qrc=$?
QPID=

if [ -n "$rc" ]; then
	exit "$rc"
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "run-in-guest: timed out after ${TIMEOUT}s" >&2
	exit 124
fi
echo "run-in-guest: the guest died before the command finished" >&2
if ! $started; then
	tail -n 40 "$RUN/boot.log" >&2
	cat "$RUN/qemu.err" >&2
fi
exit 125
