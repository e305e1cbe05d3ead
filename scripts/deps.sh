#!/bin/sh
# scripts/deps.sh: make sure a Debian 12 machine has what ufork needs to build
# and test. Quiet and exit 0 when everything is present. When something is
# missing: as root, install it with apt-get; otherwise print the command to run
# and exit 1.
#
#   gcc, make            build the runtime and the tests
#   musl-tools/musl-dev  rcrt1.o + libc.a for static-PIE guests (tools/ufork-cc)
#   libc6-dev            glibc headers and libc.a: the CLI tests build a dynamic
#                        and a static non-PIE executable with plain gcc (gcc only
#                        *recommends* libc6-dev, so --no-install-recommends skips it)
#   libcapstone-dev      capstone disassembler, linked statically (libcapstone.a):
#                        finds the syscall sites --fast-syscalls rewrites
#   coreutils            timeout, mktemp, head (tests/run.sh)
#   diffutils            diff, cmp (tests/run.sh)
set -u

need() { # need PACKAGE TEST-ARGS...
    pkg=$1; shift
    if ! "$@" >/dev/null 2>&1; then
        case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
    fi
}
# shellcheck disable=SC2317 # called through need
have() { command -v "$1"; }

check() {
    missing=""
    need gcc        have gcc
    need make       have make
    need musl-tools have musl-gcc
    need musl-tools test -f /usr/lib/x86_64-linux-musl/rcrt1.o
    need musl-tools test -f /usr/lib/x86_64-linux-musl/libc.a
    need musl-tools test -f /usr/include/x86_64-linux-musl/stdio.h
    need libc6-dev  test -f /usr/lib/x86_64-linux-gnu/libc.a
    need libc6-dev  test -f /usr/include/stdio.h
    need libcapstone-dev test -f /usr/lib/x86_64-linux-gnu/libcapstone.a
    need libcapstone-dev test -f /usr/include/capstone/capstone.h
    need coreutils  have timeout
    need coreutils  have mktemp
    need diffutils  have diff
    need diffutils  have cmp
}

check
[ -z "$missing" ] && exit 0

missing=${missing# }
if [ "$(id -u)" -eq 0 ]; then
    echo "deps.sh: installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || { echo "deps.sh: apt-get update failed" >&2; exit 1; }
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >&2 ||
        { echo "deps.sh: apt-get install failed" >&2; exit 1; }
    check
    [ -z "$missing" ] && exit 0
    echo "deps.sh: still missing after install:$missing" >&2
    exit 1
fi
echo "deps.sh: missing packages:$missing" >&2
echo "run: sudo apt-get update && sudo apt-get install -y --no-install-recommends $missing" >&2
exit 1
