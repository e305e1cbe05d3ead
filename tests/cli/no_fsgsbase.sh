#!/usr/bin/env bash
# The entry path without user-space FSGSBASE (the FS base switched with
# arch_prctl), forced with --no-fsgsbase, must behave like the default one:
#  - --stats names the path in force: arch_prctl with --no-fsgsbase, and
#    without it wrfsbase exactly when the CPU and kernel allow FSGSBASE
#    (AT_HWCAP2 bit 1, shown as "fsgsbase" in /proc/cpuinfo);
#  - on a host that has FSGSBASE, every differential program (tests/prog)
#    runs natively and under `ufork run --no-fsgsbase` with the same stdout
#    and status, and so do the fork- and signal-heavy ones with
#    --fast-syscalls as well.  On a host without it the whole suite already
#    runs this path (and tests/cli/fast_syscalls.sh its fast-syscall form):
#    only the --stats checks run.  So do they where UFORK_FALLBACK_TESTED=1:
#    scripts/test.sh sets it in the QEMU guest after the whole suite ran the
#    arch_prctl path on a host without FSGSBASE (under TCG this loop alone
#    takes minutes).
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork

build_static_pie "$SCRATCH/hello"
if grep -qw fsgsbase /proc/cpuinfo; then want=wrfsbase; else want=arch_prctl; fi
run_ufork run --stats "$SCRATCH/hello"
[ "$status" = 0 ] && [ "$out" = hello ] || { show run --stats hello; fail "hello did not run"; }
case $err in
    *"FS base switched with $want "*) ;;
    *) show run --stats hello; fail "--stats does not say the FS base is switched with $want" ;;
esac
run_ufork run --no-fsgsbase --stats "$SCRATCH/hello"
[ "$status" = 0 ] && [ "$out" = hello ] || { show run --no-fsgsbase --stats hello; fail "hello did not run"; }
case $err in
    *"FS base switched with arch_prctl "*) ;;
    *) show run --no-fsgsbase --stats hello; fail "--no-fsgsbase: --stats does not say arch_prctl" ;;
esac
if [ "$want" = arch_prctl ]; then
    echo "ok: --stats right; no FSGSBASE on this host: the whole suite ran the arch_prctl path"
    exit 0
fi
if [ "${UFORK_FALLBACK_TESTED-}" = 1 ]; then
    echo "ok: --stats right; UFORK_FALLBACK_TESTED=1: the host's run of the suite took the arch_prctl path"
    exit 0
fi

differential_all --no-fsgsbase
[ "$failed" = 0 ] || fail "$failed of $n programs differ under --no-fsgsbase"
all=$n

# --fast-syscalls on this path: page 0 needs root or vm.mmap_min_addr = 0
run_ufork run --no-fsgsbase --fast-syscalls "$SCRATCH/hello"
case $err in
    *"cannot map the syscall trampoline"*)
        echo "ok: $all programs as natively under --no-fsgsbase (--fast-syscalls: page 0 unavailable)"
        exit 0 ;;
esac
wanted() { case $1 in fork_*|posix_*|pthread_*|signals*|faults_caught|exit_*|crash_[!t]*) ;; *) return 1 ;; esac; }
differential_all --no-fsgsbase --fast-syscalls
[ "$failed" = 0 ] || fail "$failed programs differ under --no-fsgsbase --fast-syscalls"
echo "ok: $all programs as natively under --no-fsgsbase, and the fork, thread and signal ones with --fast-syscalls"
