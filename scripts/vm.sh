#!/usr/bin/env bash
# scripts/vm.sh: run a command inside a QEMU (TCG) guest whose CPU has
# FSGSBASE and PKU, for hosts that lack them (or /dev/kvm).
#
#   bash scripts/vm.sh CMD...
#   bash scripts/vm.sh --prepare
#
# CMD (its words joined by spaces, then read as one shell command line, as
# ssh does) runs with bash as root in the checkout this script belongs to;
# vm.sh exits with CMD's exit status.  CMD's stdout and stderr stream to
# vm.sh's stdout and stderr; its stdin is /dev/null.  --prepare only installs
# what is missing and builds the initramfs, then exits 0 (scripts/test.sh does
# it first, since the guest then runs side by side with builds that use apt).
#
# How it works.  The guest is Debian 12's kernel (linux-image-amd64, 6.1, or
# bookworm-backports' 6.12 with UFORK_VM_KERNEL=6.12) on
# `qemu-system-x86_64 -accel tcg -cpu max,-smap,-la57`: max gives the guest
# fsgsbase, pku and ospke on any host (-smap: QEMU 7.2's TCG faults on an
# iretq in user mode with SMAP; -la57: plain 4-level paging).  There is no
# disk image: a small busybox initramfs (its /init is scripts/vm/init, built
# once into build/vm/ and rebuilt when busybox, the kernel's modules,
# scripts/vm/init or this script change) loads the 9p/virtio modules from
# the host's /lib/modules/VERSION (see UFORK_VM_KERNEL), mounts the host's
# / read-write over 9p (-virtfs), chroots into it with its own /proc,
# /sys, /dev and a tmpfs /tmp (a checkout under /tmp stays visible), and
# runs the script build/vm/run.*/cmd that vm.sh wrote: the exports below,
# `cd` to the checkout, CMD.  The guest writes CMD's exit status into
# build/vm/run.*/status and powers off.  Serial ports: ttyS0 is the guest
# console (kept in build/vm/run.*/console, shown only on failure or with
# UFORK_VM_VERBOSE=1), ttyS1 and ttyS2 carry CMD's stdout and stderr (QEMU
# writes them into FIFOs that vm.sh copies out).  The guest has no network
# (only lo) and installs nothing: missing host packages are installed
# first, like scripts/deps.sh does (as root with apt-get, else the command
# to run is printed).  Boot takes about 8 s.  TCG is for functional tests:
# no timings from it, except ratios inside one guest run.
#
# The guest's environment: PATH, HOME=/root, CI if set, every UFORK_*
# variable but UFORK_VM_*, and UFORK_TEST_TIMEOUT=120 unless set (the test
# programs run many times slower than natively).
#
# Environment:
#   UFORK_VM_TIMEOUT  seconds before the guest is killed (default 3600);
#                     vm.sh then exits 124
#   UFORK_VM_MEM      guest memory (default 4G)
#   UFORK_VM_SMP      guest CPUs, each a host thread (default 2)
#   UFORK_VM_KERNEL   guest kernel (default: the newest /boot/vmlinuz-6.1.*-amd64);
#                     its modules are /lib/modules/VERSION, VERSION taken
#                     from the file name vmlinuz-VERSION, or DIR/lib/modules/
#                     VERSION for DIR/boot/vmlinuz-VERSION (a kernel package
#                     unpacked with dpkg-deb -x into DIR, after
#                     `depmod -b DIR VERSION`).  6.12: Debian bookworm-
#                     backports' 6.12 kernel (the package linux-image-amd64
#                     depends on there), in build/vm/kernel-6.12/.  When that
#                     is missing, vm.sh (and --prepare) fetches it as root with
#                     apt-get, on a private state in build/vm/apt/ whose only
#                     source is bookworm-backports (the system's apt sources
#                     and lists stay as they are; log: build/vm/apt/fetch.log),
#                     unpacks it and runs depmod; not root, it prints the
#                     command to run.  Once there it is used as it is, with
#                     no network access (rm -rf build/vm/kernel-6.12 to fetch
#                     the newest).
#   UFORK_VM_VERBOSE  1: show the QEMU command line and the guest console
#
# Exit status: CMD's; 124 when the guest timed out; 127 when the guest could
# not run CMD (packages missing, no kernel or its fetch failed, QEMU or the
# guest failed).
set -eu

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VM=$ROOT/build/vm
TIMEOUT=${UFORK_VM_TIMEOUT:-3600}
MEM=${UFORK_VM_MEM:-4G}
SMP=${UFORK_VM_SMP:-2}
VERBOSE=${UFORK_VM_VERBOSE:-0}
# Loaded with their dependencies (modules.dep), dependencies first.
MODULES="virtio_pci 9pnet_virtio 9p"

err() { echo "vm.sh: $*" >&2; }

usage() { sed -n '2,/^set -eu/{/^set -eu/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
case ${1-} in
    '') usage >&2; exit 2 ;;
    -h | --help) usage; exit 0 ;;
esac
prepare=0
[ "$1" = --prepare ] && [ $# = 1 ] && prepare=1
case $ROOT in
    *[,\"]*) err "the checkout's path must not contain ',' or '\"': $ROOT"; exit 127 ;;
esac

# ------------------------------------------------------------ host packages
newest_kernel() { # the newest /boot/vmlinuz-6.1.*-amd64, or nothing
    local k
    for k in /boot/vmlinuz-6.1.*-amd64; do [ -f "$k" ] && echo "$k"; done | sort -V | tail -n 1
}
KDIR_612=$VM/kernel-6.12
kernel_612() { # the newest $KDIR_612/boot/vmlinuz-6.12.*, or nothing
    local k
    for k in "$KDIR_612"/boot/vmlinuz-6.12.*; do [ -f "$k" ] && echo "$k"; done | sort -V | tail -n 1
}
installed() { # installed PACKAGE
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}
check() {
    missing=""
    command -v qemu-system-x86_64 >/dev/null || missing="$missing qemu-system-x86"
    installed busybox-static || missing="$missing busybox-static"
    if [ -z "${UFORK_VM_KERNEL:-}" ] && [ -z "$(newest_kernel)" ]; then
        missing="$missing linux-image-amd64"
        # The kernel package needs an initramfs generator, which its postinst
        # hook then runs for the new kernel (we never use that initrd).  Left
        # to itself apt picks initramfs-tools, which pulls in udev and
        # upgrades systemd in this container; tiny-initramfs is small and its
        # hook takes a second.  An installed generator is used as it is.
        installed initramfs-tools || installed dracut || installed tiny-initramfs ||
            missing="$missing tiny-initramfs"
    fi
    # UFORK_VM_KERNEL=6.12 unpacks its package with dpkg-deb and runs depmod
    if [ "${UFORK_VM_KERNEL:-}" = 6.12 ] && [ -z "$(kernel_612)" ]; then
        command -v depmod >/dev/null || PATH=$PATH:/usr/sbin:/sbin command -v depmod >/dev/null ||
            missing="$missing kmod"
    fi
    return 0
}
check
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        err "missing packages:$missing; run: sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing"
        exit 127
    fi
    err "installing:$missing"
    mkdir -p "$VM"
    log=$VM/apt.log
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        err "apt-get install$missing failed (log: $log)"
        exit 127
    fi
    check
    [ -z "$missing" ] || { err "still missing after install:$missing"; exit 127; }
fi

# ------------------------------------------- UFORK_VM_KERNEL=6.12: its package
# apt_bpo apt-get|apt-cache ARGS...: apt with its own state in build/vm/apt,
# whose only source is bookworm-backports; the system's sources, lists,
# cache, preferences and dpkg status are neither read nor written (its apt.conf,
# a proxy say, still applies).  Downloads run as the caller: _apt may not
# reach the checkout.
APT=$VM/apt
# shellcheck disable=SC2317 # called by way of step
apt_bpo() {
    local tool=$1
    shift
    "$tool" -q -o Dir::Etc::SourceList="$APT/backports.sources" -o Dir::Etc::SourceParts="$APT/none" \
        -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts="$APT/none" \
        -o Dir::State="$APT/state" -o Dir::State::Lists="$APT/lists" \
        -o Dir::State::status="$APT/status" -o Dir::Cache="$APT/cache" \
        -o Dir::Cache::Archives="$APT/archives" -o APT::Architecture=amd64 \
        -o APT::Architectures=amd64 -o Acquire::Languages=none \
        -o APT::Sandbox::User="$(id -un)" "$@"
}
# shellcheck disable=SC2317 # called by way of step
download_in() { cd "$1" && apt_bpo apt-get download "$2"; } # download_in DIR PACKAGE
# fetch_612: linux-image-amd64's kernel package from bookworm-backports,
# unpacked into $KDIR_612 (by way of a temporary directory, so that an
# interrupted fetch leaves nothing that looks done), with its modules.dep.
# On failure one line on stderr and status 1.
fetch_612() {
    local log=$APT/fetch.log pkg kver deb tmp
    fail() { err "cannot fetch the guest kernel 6.12 (Debian bookworm-backports): $1 (log: $log)"; }
    # step WHAT CMD...: CMD (in a subshell) with its output added to the log;
    # if it fails, one line naming WHAT and CMD's first error, and status 1
    step() {
        local what=$1 out=$APT/step.log why
        shift
        if ("$@") >"$out" 2>&1; then cat "$out" >>"$log"; return 0; fi
        cat "$out" >>"$log"
        why=$(grep -m 1 -E '^(E|W):' "$out" || tail -n 1 "$out")
        fail "$what failed${why:+: $why}"
        return 1
    }
    rm -rf "$VM"/kernel-6.12.tmp.* "$APT/archives"
    mkdir -p "$APT/none" "$APT/state" "$APT/lists/partial" "$APT/cache" "$APT/archives/partial" || return 1
    : >"$APT/status"
    : >"$log"
    printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm-backports' \
        'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' >"$APT/backports.sources"
    err "fetching the guest kernel 6.12 from Debian bookworm-backports (log: $log)"
    step "apt-get update" apt_bpo apt-get --error-on=any update || return 1
    # linux-image-amd64 depends on the kernel's own package
    step "apt-cache depends linux-image-amd64" apt_bpo apt-cache depends linux-image-amd64 || return 1
    pkg=$(sed -n 's/^ *|\{0,1\}Depends: \(linux-image-[^ ]*-amd64\)$/\1/p' "$APT/step.log" | head -n 1)
    case $pkg in
        linux-image-6.12.*-amd64) ;;
        *) fail "linux-image-amd64 depends on ${pkg:-no linux-image-*-amd64}, not a 6.12 kernel"; return 1 ;;
    esac
    kver=${pkg#linux-image-}
    step "apt-get download $pkg" download_in "$APT/archives" "$pkg" || return 1
    deb=$(echo "$APT/archives/${pkg}_"*.deb)
    tmp=$(mktemp -d "$VM/kernel-6.12.tmp.XXXXXX") || return 1
    if ! { step "dpkg-deb -x $deb" dpkg-deb -x "$deb" "$tmp" &&
        { [ -f "$tmp/boot/vmlinuz-$kver" ] || { fail "no boot/vmlinuz-$kver in $deb"; false; }; } &&
        step "depmod -b $tmp $kver" env PATH="$PATH:/usr/sbin:/sbin" depmod -b "$tmp" "$kver" &&
        step "mv -T $tmp $KDIR_612" mv -T "$tmp" "$KDIR_612"; }; then
        rm -rf "$tmp"
        return 1
    fi
    rm -rf "$APT/archives" "$APT/step.log"
    err "guest kernel $kver in $KDIR_612"
}

if [ "${UFORK_VM_KERNEL:-}" = 6.12 ]; then
    KERNEL=$(kernel_612)
    if [ -z "$KERNEL" ]; then
        if [ "$(id -u)" -ne 0 ]; then
            err "the guest kernel 6.12 is not in $KDIR_612; run: sudo env UFORK_VM_KERNEL=6.12 bash $ROOT/scripts/vm.sh --prepare && sudo chown -R $(id -u):$(id -g) $VM"
            exit 127
        fi
        mkdir -p "$VM"
        # one fetch at a time; a second vm.sh waits for it and takes its result
        exec 9>"$VM/kernel-6.12.lock"
        flock 9
        [ -n "$(kernel_612)" ] || fetch_612 || exit 127
        exec 9>&-
        KERNEL=$(kernel_612)
        [ -n "$KERNEL" ] || { err "no $KDIR_612/boot/vmlinuz-6.12.* after the fetch"; exit 127; }
    fi
else
    KERNEL=${UFORK_VM_KERNEL:-$(newest_kernel)}
fi
[ -f "$KERNEL" ] || { err "guest kernel not found: $KERNEL"; exit 127; }
KVER=$(basename "$KERNEL")
KVER=${KVER#vmlinuz-}
MODDIR=/lib/modules/$KVER
# a kernel unpacked from its package (DIR/boot/vmlinuz-V) has its modules there
case $KERNEL in */boot/vmlinuz-*) [ -d "${KERNEL%/boot/*}/lib/modules/$KVER" ] && MODDIR=${KERNEL%/boot/*}/lib/modules/$KVER ;; esac
[ -f "$MODDIR/modules.dep" ] || { err "no $MODDIR/modules.dep for the guest kernel $KERNEL"; exit 127; }

# ---------------------------------------------------------------- initramfs
module_files() { # the module files of $MODULES, in load order
    local name line deps i seen=" "
    for name in $MODULES; do
        grep -qE "(^|/)$name\.ko\$" "$MODDIR/modules.builtin" 2>/dev/null && continue # built in
        line=$(grep -E "(^|/)$name\.ko(\.[a-z]+)?:" "$MODDIR/modules.dep") ||
            { err "module $name not found in $MODDIR/modules.dep"; return 1; }
        # shellcheck disable=SC2206 # paths without spaces
        deps=(${line#*:})
        for ((i = ${#deps[@]} - 1; i >= -1; i--)); do
            if [ "$i" -ge 0 ]; then m=${deps[i]}; else m=${line%%:*}; fi
            case $seen in *" $m "*) continue ;; esac
            seen="$seen$m "
            echo "$m"
        done
    done
}

build_initrd() { # build_initrd OUT
    local dir m out n=10
    dir=$(mktemp -d "$VM/initrd.XXXXXX")
    mkdir -p "$dir/bin" "$dir/lib/modules"
    cp /bin/busybox "$dir/bin/busybox"
    cp "$ROOT/scripts/vm/init" "$dir/init"
    chmod 755 "$dir/init"
    for m in $(module_files); do
        out=$dir/lib/modules/$n-$(basename "${m%.ko*}").ko
        case $m in
            *.ko) cp "$MODDIR/$m" "$out" ;;
            *.ko.gz) gzip -dc "$MODDIR/$m" >"$out" ;;
            *.ko.xz) xz -dc "$MODDIR/$m" >"$out" ;;
            *.ko.zst) zstd -qdc "$MODDIR/$m" >"$out" ;;
            *) err "cannot unpack $m"; return 1 ;;
        esac
        n=$((n + 1))
    done
    (cd "$dir" && find . | busybox cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 >"$1.tmp"
    mv -f "$1.tmp" "$1"
    rm -rf "$dir"
}

mkdir -p "$VM"
INITRD=$VM/initrd-$KVER.gz
fresh=1
for input in /bin/busybox "$ROOT/scripts/vm/init" "${BASH_SOURCE[0]}" "$MODDIR/modules.dep"; do
    [ -f "$INITRD" ] && [ "$INITRD" -nt "$input" ] || fresh=0
done
if [ "$fresh" = 0 ]; then
    build_initrd "$INITRD" || { err "cannot build the initramfs $INITRD"; exit 127; }
fi
[ "$prepare" = 0 ] || exit 0

# ---------------------------------------------------------------------- run
RUN=$(mktemp -d "$VM/run.XXXXXX")
pids=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
    rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

{
    echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root'
    echo "export UFORK_TEST_TIMEOUT=120"
    for v in CI $(compgen -e | grep '^UFORK_' | grep -v '^UFORK_VM_'); do
        [ -n "${!v+set}" ] && printf 'export %s=%q\n' "$v" "${!v}"
    done
    printf 'cd -- %q || exit 127\n' "$ROOT"
    printf '%s\n' "$*"
} >"$RUN/cmd"

for p in con out err; do mkfifo "$RUN/$p.in" "$RUN/$p.out"; done
if [ "$VERBOSE" = 1 ]; then cat "$RUN/con.out" >&2 & else cat "$RUN/con.out" >"$RUN/console" & fi
pids+=($!)
cat "$RUN/out.out" &
pids+=($!)
cat "$RUN/err.out" >&2 &
pids+=($!)

append="console=ttyS0 panic=-1 mitigations=off ufork_run=\"$RUN\" ufork_dir=\"$ROOT\""
[ "$VERBOSE" = 1 ] || append="quiet $append"
security=passthrough
[ "$(id -u)" -eq 0 ] || security=none # an unprivileged QEMU cannot chown
# shellcheck disable=SC2054 # commas inside options
qemu=(qemu-system-x86_64 -accel tcg,thread=multi -cpu max,-smap,-la57
    -smp "$SMP" -m "$MEM" -nodefaults -no-user-config -display none -no-reboot
    -kernel "$KERNEL" -initrd "$INITRD" -append "$append"
    -virtfs "local,path=/,mount_tag=host,security_model=$security,multidevs=remap"
    -serial "pipe:$RUN/con" -serial "pipe:$RUN/out" -serial "pipe:$RUN/err")
[ "$VERBOSE" = 1 ] && err "${qemu[*]}"

rc=0
timeout --foreground -k 10 "$TIMEOUT" "${qemu[@]}" </dev/null || rc=$?
# A cat still waiting for QEMU to open its FIFO (QEMU failed early) opens it now.
for p in con out err; do : <>"$RUN/$p.out"; done
wait "${pids[@]}" || true
pids=()

show_console() {
    [ "$VERBOSE" = 1 ] || [ ! -s "$RUN/console" ] && return 0
    echo "vm.sh: last lines of the guest console:" >&2
    tail -n 20 "$RUN/console" | sed 's/^/    /' >&2
}
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    err "the guest timed out after ${TIMEOUT}s (UFORK_VM_TIMEOUT) running: $*"
    show_console
    exit 124
fi
status=$(cat "$RUN/status" 2>/dev/null || true)
case $status in
    '' | *[!0-9]*)
        if [ "$rc" != 0 ]; then
            err "qemu-system-x86_64 failed (exit $rc)"
        else
            err "the guest stopped without reporting CMD's exit status"
        fi
        show_console
        exit 127
        ;;
esac
exit "$status"
