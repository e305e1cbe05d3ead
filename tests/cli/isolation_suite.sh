#!/usr/bin/env bash
# The differential suite under isolation: every program of tests/prog
# (built into build/tests by tests/run.sh) runs natively and under
# `ufork run --isolation=full` (UFORK_ISOLATION_LEVEL=fault: that level)
# with the same stdout and status.  Keys, the PKRU switch on every entry and
# exit, the checks of syscall pointers and full's checked opens (fault's
# machinery and more) must change nothing a correct program can see.  Needs protection keys:
# without "pku" in /proc/cpuinfo it skips (the QEMU guest of scripts/vm.sh
# has them: bash scripts/vm.sh bash tests/run.sh cli/isolation_suite, after
# a host run of tests/run.sh has built the programs).
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork

grep -qw pku /proc/cpuinfo ||
    skip "no pku on this CPU: the suite under --isolation=full runs in the QEMU guest (bash scripts/vm.sh bash tests/run.sh cli/isolation_suite)"

# Under TCG the guest runs programs many times slower: by default a selection
# covering what keys touch (fork and relocation, threads, signals and their
# frames, memory maps, shared memory, exec, faults, forwarded I/O);
# UFORK_ISOLATION_SUITE=all runs every program.  Left out in any case:
# fork_storm (2400 forks: ~30 s under TCG even without isolation, and this
# script must fit in its own time limit).  malloc (13-15 s under TCG, with or
# without isolation) runs only with UFORK_ISOLATION_SUITE=all.  time_vdso differs by design: under isolation there is no vDSO
# (its code reads the host's vvar page, the runtime's key), so its first line
# says "AT_SYSINFO_EHDR given: no"; the rest must match.
SELECTION="argv_env crash_segv crash_thread epoll exec_cloexec faults_caught files
fork_digest32m fork_fd_share fork_funcptr fork_heap_rounds fork_isolation fork_mmap
fork_pipe_pingpong fork_setjmp fork_sigchld fork_signal_inherit fork_thread fork_tree
fork_vecreg hello mmap mremap_file open_variants pipes posix_exec posix_minishell
posix_shm_counter posix_shm_isolation posix_shm_mremap posix_siglongjmp
posix_sigsuspend posix_timers pthread_cancel pthread_mutex segv_caught signals
signals_thread tcp time time_vdso unix_sock"
wanted() {
    [ "$1" != fork_storm ] || return 1
    [ "${UFORK_ISOLATION_SUITE:-}" = all ] && return 0
    [[ " ${SELECTION//$'\n'/ } " == *" $1 "* ]]
}
accept_difference() {
    [ "$1" = time_vdso ] && [ "$4" = "$5" ] &&
        [ "$(head -n 1 "$2")" = "AT_SYSINFO_EHDR given: yes" ] &&
        [ "$(head -n 1 "$3")" = "AT_SYSINFO_EHDR given: no" ] &&
        cmp -s <(tail -n +2 "$2") <(tail -n +2 "$3")
}
level=${UFORK_ISOLATION_LEVEL:-full}
differential_all --isolation="$level"
[ "$failed" = 0 ] || fail "$failed of $n programs differ under --isolation=$level"
echo "ok: $n programs as natively under --isolation=$level"
