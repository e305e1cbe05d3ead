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
#    unit cli/spin cli/zygote cli/python_ptrhash": the Redis and nginx tests, the ASan unit
#    tests, the spin settings and the Python tests, which the host runs);
#    and after a host run without FSGSBASE it sets
#    UFORK_FALLBACK_TESTED=1, so cli/no_fsgsbase does not run the suite on
#    that path a second time.  Its test names are prefixed with "guest/".
#    UFORK_GUEST_SKIP="" runs all of it.
# Before step 1 it builds ufork and the apps the tests run (dash, Redis,
# nginx, CPython for cli/zygote: `make python`, a few minutes on 2 cores the
# first time, then skipped while up to date).
# --host runs step 1 only, --guest step 2 only (on any CPU).
#
# Ends with one line "N passed, N failed" (both steps together); exit status
# 0 only if nothing failed.  A guest that cannot run (QEMU missing and not
# root, no kernel) is one failed test "guest" with vm.sh's reason.
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
make -s redis
make -s nginx
make -s python

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ufork-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
passed=0 failed=0
# count LOG: add LOG's final "N passed, N failed" to the totals; 1 if none
count() {
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1) || return 1
    passed=$((passed + ${line%% passed*}))
    line=${line#* passed, }
    failed=$((failed + ${line%% failed}))
}

echo "(builds done in $SECONDS s)"
if [ "$where" != guest ]; then
    host_start=$SECONDS
    bash tests/run.sh "$@" | tee "$WORK/host" | grep --line-buffered -Ev '^[0-9]+ passed, [0-9]+ failed$' || true
    count "$WORK/host" || { echo "FAIL host: tests/run.sh ended without its final line"; failed=$((failed + 1)); }
    echo "host: $(tail -n 1 "$WORK/host") in $((SECONDS - host_start)) s"
fi

guest=0
case $where in
    guest) guest=1 ;;
    both)
        missing=""
        for bit in fsgsbase pku; do
            grep -qw "$bit" /proc/cpuinfo || missing="$missing $bit"
        done
        if [ -n "$missing" ]; then
            echo "guest: this CPU lacks$missing; the suite runs again in the QEMU guest (scripts/vm.sh)"
            guest=1
        else
            echo "SKIP guest: this CPU has fsgsbase and pku, the host run took their paths (--guest runs the guest anyway)"
        fi
        ;;
esac
if [ "$guest" = 1 ]; then
    guest_start=$SECONDS
    skip=()
    for s in ${UFORK_GUEST_SKIP-redis nginx unit cli/spin cli/zygote cli/python_ptrhash}; do skip+=(--skip "$s"); done
    fallback=0
    [ "$where" = both ] && ! grep -qw fsgsbase /proc/cpuinfo && fallback=1
    bash scripts/vm.sh env UFORK_FALLBACK_TESTED=$fallback bash tests/run.sh "${skip[@]}" "$@" 2>&1 |
        sed -u -E 's/^(PASS|FAIL|SKIP) /\1 guest\//' | tee "$WORK/guest" |
        grep --line-buffered -Ev '^[0-9]+ passed, [0-9]+ failed$' || true
    if count "$WORK/guest"; then
        echo "guest: $(tail -n 1 "$WORK/guest") in $((SECONDS - guest_start)) s (image build included)"
    else
        echo "FAIL guest: the guest run ended without tests/run.sh's final line (see vm.sh's message above)"
        failed=$((failed + 1))
    fi
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
