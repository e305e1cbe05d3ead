#!/usr/bin/env bash
# --isolation=none|fault|full (MPK isolation between µprocesses):
#  - a level other than none, fault or full is refused with one line;
#  - none (the default) runs programs as before;
#  - on a host without protection keys (no "pku" in /proc/cpuinfo), fault
#    and full fail at start-up with one line naming protection keys and
#    status 127; the rest is skipped with that reason;
#  - with protection keys (the QEMU guest of scripts/vm.sh): progs/pkey_probe
#    runs natively and shows what this kernel does with PKRU around signals
#    and syscalls (the facts the key map depends on; printed, and the ones
#    the design relies on are checked).  fault and full must defeat the
#    attacks of progs/iso_attack.c and progs/iso_code.c; full also a race
#    against the runtime's check of a file being opened.  The alternate
#    stacks of the host threads, found from outside (the runtime's smaps:
#    addresses are no secret), are writable by the µprocess only in their
#    top 64 KiB (the frame part, where a kernel that writes signal frames
#    under the PKRU in force, 6.1, writes them), or, where the kernel opens
#    every key while it writes them (6.12: pkey_probe's denied_altstack
#    "delivered"), only in the one page of the way out's pad - never where
#    the runtime's C code runs.  There a µprocess that points rsp into the
#    runtime's part of its alternate stack and makes a syscall, or whose
#    signal frame reaches into the pad, dies of SIGSEGV (the runtime goes
#    on).  And a µprocess that
#    jumps into the runtime's text at an instruction that changes PKRU
#    (the way out of a syscall, the restorer's rt_sigreturn, the runtime
#    threads' WRPKRU 0, glibc's stray XRSTOR), with registers and a stack
#    of its own making, comes back with its own PKRU at most: it dies
#    reading its parent's memory (or at the jump).
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork

build_static_pie "$SCRATCH/hello"
expect_clean_error "--isolation=bogus" run --isolation=bogus "$SCRATCH/hello"
expect_err_contains "--isolation=bogus" "none, fault or full"
for lvl in "" --isolation=none; do
    # shellcheck disable=SC2086 # an empty $lvl is no argument
    run_ufork run $lvl "$SCRATCH/hello"
    [ "$status" = 0 ] && [ "$out" = hello ] || { show run $lvl hello; fail "hello did not run with '${lvl:-no option}'"; }
done

if ! grep -qw pku /proc/cpuinfo; then
    for lvl in fault full; do
        expect_clean_error "--isolation=$lvl without pku" run --isolation=$lvl "$SCRATCH/hello"
        [ "$status" = 127 ] || { show run --isolation=$lvl hello; fail "--isolation=$lvl: status $status, want 127"; }
        expect_err_contains "--isolation=$lvl without pku" "protection keys"
    done
    skip "no pku on this CPU: --isolation=fault|full refused with status 127 as they should; the attacks need a CPU with pku (bash scripts/vm.sh bash tests/run.sh cli/isolation)"
fi

"$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/pkey_probe" "$(dirname "$0")/progs/pkey_probe.c" ||
    fail "cannot build progs/pkey_probe.c"
facts=$("$SCRATCH/pkey_probe") || fail "pkey_probe failed: $facts"
echo "$facts" | sed 's/^/  kernel: /'
frames_open=0	# the kernel writes signal frames with every key open
case $facts in
    *"denied_altstack: delivered"*) frames_open=1 ;;
esac
case $facts in
    *"syscall_denied: Bad address"*) ;;
    *) fail "a syscall reading a buffer whose key PKRU denies did not fail with EFAULT" ;;
esac
case $facts in
    *"fault_code: si_code 4 "*) ;;
    *) fail "a read of a page whose key PKRU denies did not fault with SEGV_PKUERR" ;;
esac
case $facts in
    *"write-denies the selector's key: the syscall runs"*) ;;
    *) fail "a SUD selector on a key PKRU only write-denies does not let syscalls through" ;;
esac

# fault and full: the attacks.  A child reading or writing its parent's memory (the
# address passed through a pipe after fork) dies of SIGSEGV while the parent
# and a third child go on; a child handing that memory to write(2), read(2)
# or open(2) gets EFAULT for each, as Linux answers for memory the caller
# does not have, and goes on; a child whose signal handler writes PKRU 0
# into its frame's XSAVE area still runs with key 0 denied after it and dies
# of SIGSEGV reading its parent's memory; a child opening the host's
# /proc/<pid>/mem (which writes any address, keys ignored) is refused every
# way it tries (path, task, pid, /proc dirfd, symlink, openat2: EACCES), and
# the runtime's fds, listed in /proc/self/fd, cannot be opened again there;
# a µprocess touching the runtime's text or data dies of SIGSEGV (139), as
# on Linux where those addresses are unmapped.
"$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/iso_attack" "$(dirname "$0")/progs/iso_attack.c" ||
    fail "cannot build progs/iso_attack.c"
"$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/iso_code" "$(dirname "$0")/progs/iso_code.c" ||
    fail "cannot build progs/iso_code.c"
cat >"$SCRATCH/smuggler.c" <<'C'
#include <stdio.h>
void never_called(void) { __asm__ volatile(".byte 0x0f, 0x01, 0xef"); }
int main(void) { puts("ran"); return 0; }
C
"$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/smuggler" "$SCRATCH/smuggler.c" || fail "cannot build smuggler.c"
data=$(nm "$ROOT/build/ufork" | awk '$3 == "isolation" { print $1 }')
[ -n "$data" ] || fail "no symbol isolation in build/ufork"
native_sys=$("$SCRATCH/iso_attack" sys 400000)
[ "$native_sys" = "write: Bad address" ] || fail "natively, write(2) from an unmapped address gave '$native_sys'"
native_code=$(cd "$SCRATCH" && ./iso_code)
[ "$native_code" = "rx: ok 42
wrpkru: ok
inside: ok
xrstor: ok
rwx-mmap: ok
rwx-mprotect: ok
file: ok" ] || fail "natively, progs/iso_code gave: $native_code"
cd "$SCRATCH" || fail "no $SCRATCH"	# iso_code and iso_attack make their temp files in the cwd

# altstacks PID ADDR: the base (hex) of every alternate stack of the runtime
# PID part of which carries the key of ADDR's page: a VMA on that key inside
# one 256 KiB-aligned block whose first page (the thread block) is on
# another key, not 0.
altstacks() {
    local vmas want cur a=$((16#$2)) start end key s e k base s2 e2
    vmas=$(while read -r first rest; do
        case $first in
            *-*) cur=$first ;;
            ProtectionKey:) echo "${cur%-*} ${cur#*-} $rest" ;;
        esac
    done <"/proc/$1/smaps")
    while read -r start end key; do
        [ $((16#$start)) -le "$a" ] && [ "$a" -lt $((16#$end)) ] && want=$key
    done <<<"$vmas"
    [ -n "${want-}" ] || return 1
    while read -r start end key; do
        s=$((16#$start)) e=$((16#$end))
        base=$((s & ~0x3ffff))
        [ "$key" = "$want" ] && [ "$s" -gt "$base" ] && [ "$e" -le $((base + 0x40000)) ] || continue
        while read -r s2 e2 k; do
            [ $((16#$s2)) -le "$base" ] && [ "$base" -lt $((16#$e2)) ] &&
                [ "$k" != 0 ] && [ "$k" != "$want" ] && printf '%x\n' "$base"
        done <<<"$vmas"
    done <<<"$vmas"
}
# altstack_attack LEVEL: iso_attack altstack, fed the alternate stacks of
# its own runtime; sets $out and $status
altstack_attack() {
    local front rt word addr
    rm -f ain aout
    mkfifo ain aout
    timeout -k 2 100 "$UFORK" run --isolation="$1" ./iso_attack altstack <ain >aout 2>aerr &
    front=$!
    exec 5>ain 6<aout
    read -r -t 80 word addr <&6 && [ "$word" = slot ] || fail "iso_attack altstack did not start: $(cat aerr)"
    rt=$(pgrep -P "$(pgrep -P "$front" | head -n 1)" | head -n 1)
    [ -n "$rt" ] || rt=$(pgrep -P "$front" | head -n 1)
    { altstacks "$rt" "$addr"; echo end; } >&5
    exec 5>&-
    out=$(cat <&6)
    exec 6<&-
    wait "$front"
    status=$?
}
for lvl in fault full; do
    run_ufork run --isolation=$lvl "$SCRATCH/hello"
    [ "$status" = 0 ] && [ "$out" = hello ] || { show run --isolation=$lvl hello; fail "hello did not run with --isolation=$lvl"; }
    run_ufork run --isolation=$lvl "$SCRATCH/iso_attack" peer
    want="reader: killed by signal 11
writer: killed by signal 11
syscaller: write Bad address, read Bad address, open Bad address, vmsplice Bad address
syscaller: exit 0
sigframe: PKRU 0 written into the frame, key 0 denied after the handler
sigframe: killed by signal 11
procmem: /proc/self/mem: Permission denied
procmem: /proc/thread-self/mem: Permission denied
procmem: /proc/self/task/TID/mem: Permission denied
procmem: /proc/PID/mem: Permission denied
procmem: openat(/proc, self/mem): Permission denied
procmem: a symlink to it: Permission denied
procmem: openat2: Permission denied
procmem: runtime fds listed, 0 opened again
procmem: exit 0
bystander: exit 0
parent: intact"
    [ "$status" = 0 ] && [ "$out" = "$want" ] || { show run --isolation=$lvl iso_attack peer; fail "a child reached its parent's memory under --isolation=$lvl"; }
    for a in "read 400000" "write 400000" "read $data" "write $data"; do
        # shellcheck disable=SC2086 # two words
        run_ufork run --isolation=$lvl "$SCRATCH/iso_attack" $a
        [ "$status" = 139 ] || { show run --isolation=$lvl iso_attack $a; fail "iso_attack $a: status $status, want 139 (SIGSEGV)"; }
    done
    # A system call handed the runtime's memory: EFAULT, as Linux answers for an
    # address the caller does not have (0x400000: unmapped in a static PIE).
    run_ufork run --isolation=$lvl "$SCRATCH/iso_attack" sys "$data"
    [ "$status" = 0 ] && [ "$out" = "$native_sys" ] || { show run --isolation=$lvl iso_attack sys "$data"; fail "write(2) from the runtime's data did not fail as on Linux ($native_sys)"; }
    # Code that changes PKRU (WRPKRU, XRSTOR) never becomes executable: every
    # try of progs/iso_code.c but the harmless one is refused with EACCES (the
    # W^X policy's answer; natively all succeed), and so is an executable whose
    # text holds a WRPKRU, at start (one line, status 127) and at execve.
    run_ufork run --isolation=$lvl ./iso_code
    want="rx: ok 42
wrpkru: Permission denied
inside: Permission denied
xrstor: Permission denied
rwx-mmap: Permission denied
rwx-mprotect: Permission denied
file: Permission denied"
    [ "$status" = 0 ] && [ "$out" = "$want" ] || { show run --isolation=$lvl iso_code; fail "code that changes PKRU became executable under --isolation=$lvl"; }
    expect_clean_error "an image with WRPKRU" run --isolation=$lvl "$SCRATCH/smuggler"
    [ "$status" = 127 ] || { show run --isolation=$lvl smuggler; fail "an image with WRPKRU: status $status, want 127"; }
    expect_err_contains "an image with WRPKRU" "WRPKRU, XRSTOR or WRGSBASE"
    run_ufork run --isolation=$lvl "$SCRATCH/iso_code" exec "$SCRATCH/smuggler"
    [ "$status" = 0 ] && [ "$out" = "exec: Permission denied" ] || { show run --isolation=$lvl iso_code exec smuggler; fail "execve of an image with WRPKRU was not refused with EACCES"; }
    # A sibling thread rewriting the path, while a third writes through
    # every fd: under full no fd to mem ever exists, so the parent's word
    # is intact (under fault the new fd lives a few microseconds before the
    # runtime closes it: not asserted).
    run_ufork run --isolation=$lvl ./iso_attack race
    if [ "$lvl" = full ]; then
        [ "$status" = 0 ] && [ "$(echo "$out" | tail -n 1)" = "parent: intact" ] &&
            [[ $out == *"racer: some opens refused"* ]] ||
            { show run --isolation=full iso_attack race; fail "a racing open reached /proc/self/mem under --isolation=full"; }
    fi
    echo "race under --isolation=$lvl: $(echo "$out" | tr '\n' ' ')"
    # The runtime's C stack: not writable, even while it serves a sibling
    # thread's call; the frame part (16 pages at the top) is, or only the
    # exit pad's page where frames stay on key 0.
    altstack_attack $lvl
    lines=$(echo "$out" | grep -c 'pages writable') || true
    writable='16 pages writable from offset 0x30000' part="frame part"
    [ "$frames_open" = 1 ] && writable='1 pages writable from offset 0x36000' part="exit pad"
    [ "$status" = 0 ] && [ "$lines" -ge 1 ] && [ "$(echo "$out" | tail -n 1)" = "waiter: read 1" ] &&
        ! echo "$out" | grep 'pages writable' | grep -vqx "$writable" ||
        { echo "$out"; fail "under --isolation=$lvl a µprocess can write its host threads' alternate stacks beyond the $part (status $status)"; }
    echo "alternate stacks under --isolation=$lvl: $lines found, only their $part writable"
    if [ "$frames_open" = 1 ]; then
        run_ufork run --isolation=$lvl ./iso_attack deepstack
        want="deepstack: killed by signal 11
padframe: killed by signal 11
runtime: alive"
        [ "$status" = 0 ] && [ "$out" = "$want" ] ||
            { show run --isolation=$lvl iso_attack deepstack; fail "under --isolation=$lvl a µprocess's rsp in its alternate stack was not contained"; }
        echo "rsp into the alternate stack under --isolation=$lvl: contained (SIGSEGV)"
    fi
    for g in exit:ufork_exit_pkru:11 restorer:ufork_restorer:11 open:ufork_pkru_open:4 xrstor:-:11; do
        IFS=: read -r kind sym sig <<<"$g"
        if [ "$sym" = - ]; then	# glibc's XRSTOR in its lazy-binding trampoline
            addr=$(nm "$ROOT/build/ufork" | awk '$3 == "_dl_runtime_resolve_xsave" { print $1 }')
            [ -n "$addr" ] || { echo "gadget xrstor: no _dl_runtime_resolve_xsave in this glibc"; continue; }
            addr=$(objdump -d --start-address=0x$addr --stop-address=$((16#$addr + 512)) "$ROOT/build/ufork" |
                awk '/xrstor/ { sub(":", "", $1); print $1; exit }')
            [ -n "$addr" ] || fail "no XRSTOR found in _dl_runtime_resolve_xsave"
        else
            addr=$(nm "$ROOT/build/ufork" | awk -v s="$sym" '$3 == s { print $1 }')
            [ -n "$addr" ] || fail "no symbol $sym in build/ufork"
        fi
        run_ufork run --isolation=$lvl ./iso_attack gadget "$kind" "$addr"
        [ "$status" = 0 ] && [ "$out" = "gadget $kind: killed by signal $sig" ] ||
            { show run --isolation=$lvl iso_attack gadget "$kind" "$addr"; fail "a jump to the runtime's $kind gadget under --isolation=$lvl: not contained"; }
    done
    echo "gadgets under --isolation=$lvl: exit, restorer, open, xrstor contained"
done
run_ufork run "$SCRATCH/smuggler"
[ "$status" = 0 ] && [ "$out" = ran ] || { show run smuggler; fail "without isolation the image with WRPKRU did not run"; }
echo "PASS: --isolation=fault and full: peer and runtime memory refused (SIGSEGV, EFAULT in system calls, EACCES for /proc/<pid>/mem), bystanders unharmed; no WRPKRU/XRSTOR made executable (EACCES)"
