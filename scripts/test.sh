#!/usr/bin/env bash
# scripts/test.sh: the one command that sets up a fresh Debian 12 machine and
# runs every test (differential suite, CLI tests, unit tests under ASan/UBSan),
# on the host and, where the host's CPU lacks a bit that ufork has a path for,
# in a QEMU guest that has it.
#
#   bash scripts/test.sh [--host | --guest] [tests/run.sh arguments...]
#
# 1. The host: `tests/run.sh ARGS` on this machine.
# 2. The guest: where the CPU lacks user-space FSGSBASE or PKU (see
#    /proc/cpuinfo: fsgsbase, pku), the suite runs again inside the QEMU guest
#    of scripts/vm.sh (TCG, CPU with fsgsbase, pku and ospke, Debian 12's
#    kernel 6.1), so that both entry paths are tested on every machine.  The
#    guest leaves out what does not depend on the CPU and takes minutes under
#    TCG: `--skip` for each word of UFORK_GUEST_SKIP (default "redis nginx
#    unit cli/spin cli/zygote cli/python_ptrhash cli/copy_coa": the Redis and
#    nginx tests, the ASan unit tests, the spin settings, the Python tests and
#    the suite under --copy=coa, which the host runs); and after a host run
#    without FSGSBASE it sets UFORK_FALLBACK_TESTED=1, so cli/no_fsgsbase
#    does not run the suite on that path a second time.  Its test names are
#    prefixed with "guest/".  UFORK_GUEST_SKIP="" runs all of it.
#    Then, after it (never both at once), a second guest on Debian
#    bookworm-backports' kernel 6.12 (UFORK_VM_KERNEL=6.12, fetched into
#    build/vm/kernel-6.12 the first time) runs the isolation attack test
#    only, whatever the arguments: `tests/run.sh --skip cli/isolation_suite
#    cli/isolation`, its names prefixed with "guest-6.12/", its output shown
#    after the first guest's.
# The two steps run side by side (the guests' output is shown after the
# host's): first ufork, dash and the differential programs are built and
# vm.sh's packages and the 6.12 kernel installed (`vm.sh --prepare`, so that
# apt is done before the app builds use it), then the guests start while the
# other apps the host's tests run are built (Redis, nginx, CPython for
# cli/zygote: a few minutes on 2 cores the first time, then skipped while up
# to date).
# --host runs step 1 only, --guest step 2 only (on any CPU).
#
# Ends with one line "N passed, N failed" (both steps and guests together);
# exit status 0 only if nothing failed.  A guest that cannot run (QEMU
# missing and not root, no kernel, the 6.12 kernel's fetch failed) is one
# failed test "guest" or "guest-6.12" with vm.sh's reason.
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
where=both
case ${1-} in
    --host) where=host; shift ;;
    --guest) where=guest; shift ;;
esac
sh scripts/deps.sh
make -s
make -s dash

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ufork-test.XXXXXX")
guest_pid=""
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    [ -z "$guest_pid" ] || kill -- "-$guest_pid" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
passed=0 failed=0
# count LOG: add LOG's final "N passed, N failed" to the totals; 1 if none
count() {
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1) || return 1
    passed=$((passed + ${line%% passed*}))
    line=${line#* passed, }
    failed=$((failed + ${line%% failed}))
}

guest=0
case $where in
    guest) guest=1 ;;
    both)
        missing=""
        for bit in fsgsbase pku; do
            grep -qw "$bit" /proc/cpuinfo || missing="$missing $bit"
        done
        if [ -n "$missing" ]; then
            echo "guest: this CPU lacks$missing; the suite runs again in the QEMU guest (scripts/vm.sh), then cli/isolation in a guest on kernel 6.12, side by side with the host's run; their output follows the host's"
            guest=1
        else
            echo "SKIP guest: this CPU has fsgsbase and pku, the host run took their paths (--guest runs the guest anyway)"
        fi
        ;;
esac
# run_guest: the suite in the guest, its names prefixed with "guest/", its
# output on stdout and in $WORK/guest.
run_guest() {
    local start=$SECONDS skip=() s fallback=0
    for s in ${UFORK_GUEST_SKIP-$default_skip}; do skip+=(--skip "$s"); done
    [ "$where" = both ] && ! grep -qw fsgsbase /proc/cpuinfo && fallback=1
    bash scripts/vm.sh env UFORK_FALLBACK_TESTED=$fallback bash tests/run.sh "${skip[@]}" "$@" 2>&1 |
        sed -u -E 's/^(PASS|FAIL|SKIP) /\1 guest\//' | tee "$WORK/guest" |
        grep --line-buffered -Ev '^[0-9]+ passed, [0-9]+ failed$' || true
    echo "(the guest took $((SECONDS - start)) s, image build included)"
}
# run_guest_612: the isolation attack test in the guest on kernel 6.12, its
# names prefixed with "guest-6.12/", its output on stdout and in
# $WORK/guest-6.12 (nothing if its --prepare failed: $prepare_612 says why).
run_guest_612() {
    local start=$SECONDS
    [ -z "$prepare_612" ] || return 0
    UFORK_VM_KERNEL=6.12 bash scripts/vm.sh bash tests/run.sh --skip cli/isolation_suite cli/isolation 2>&1 |
        sed -u -E 's/^(PASS|FAIL|SKIP) /\1 guest-6.12\//' | tee "$WORK/guest-6.12" |
        grep --line-buffered -Ev '^[0-9]+ passed, [0-9]+ failed$' || true
    echo "(the 6.12 guest took $((SECONDS - start)) s)"
}
default_skip="redis nginx unit cli/spin cli/zygote cli/python_ptrhash cli/copy_coa"
prepare_612=""
if [ "$guest" = 1 ]; then
    # Both runs use the differential programs: built once, here; and
    # vm.sh's packages and the 6.12 kernel are installed before the app
    # builds use apt (a failed fetch is not tried again while they run).
    bash tests/run.sh --build-only "$@" || true
    bash scripts/vm.sh --prepare || true
    if ! UFORK_VM_KERNEL=6.12 bash scripts/vm.sh --prepare 2>"$WORK/prepare-6.12"; then
        prepare_612=$(tail -n 1 "$WORK/prepare-6.12" | sed 's/^vm\.sh: //')
        [ -n "$prepare_612" ] || prepare_612="UFORK_VM_KERNEL=6.12 bash scripts/vm.sh --prepare failed"
    fi
    cat "$WORK/prepare-6.12" >&2
    if [ "$where" = both ]; then
        # In its own process group (set -m), so that cleanup stops all of it;
        # the two guests one after the other.
        set -m
        { run_guest "$@"; run_guest_612; } >"$WORK/guest.shown" 2>&1 &
        guest_pid=$!
        set +m
    fi
fi

if [ "$where" != guest ]; then
    make -s redis
    make -s nginx
    make -s python
    echo "(builds done in $SECONDS s)"
    host_start=$SECONDS
    bash tests/run.sh "$@" | tee "$WORK/host" | grep --line-buffered -Ev '^[0-9]+ passed, [0-9]+ failed$' || true
    count "$WORK/host" || { echo "FAIL host: tests/run.sh ended without its final line"; failed=$((failed + 1)); }
    echo "host: $(tail -n 1 "$WORK/host") in $((SECONDS - host_start)) s"
fi

if [ "$guest" = 1 ]; then
    if [ -n "$guest_pid" ]; then
        echo "guest: waiting for the guest's run ($((SECONDS - host_start)) s after the host's start)"
        wait "$guest_pid" || true
        guest_pid=""
        cat "$WORK/guest.shown"
    else
        run_guest "$@"
        run_guest_612
    fi
    if count "$WORK/guest"; then
        echo "guest: $(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/guest" | tail -n 1)"
    else
        echo "FAIL guest: the guest run ended without tests/run.sh's final line (see vm.sh's message above)"
        failed=$((failed + 1))
    fi
    if [ -n "$prepare_612" ]; then
        echo "FAIL guest-6.12: $prepare_612"
        failed=$((failed + 1))
    elif count "$WORK/guest-6.12"; then
        echo "guest-6.12: $(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/guest-6.12" | tail -n 1)"
    else
        echo "FAIL guest-6.12: the 6.12 guest run ended without tests/run.sh's final line (see vm.sh's message above)"
        failed=$((failed + 1))
    fi
fi
echo "(scripts/test.sh took $SECONDS s)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
