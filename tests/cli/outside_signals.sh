#!/usr/bin/env bash
# Signals sent to ufork from outside reach the µprocesses as they would reach
# the program natively: `kill -INT` from another process hits the first
# program only (its handler runs, its child does not see it); `kill -TERM`
# kills a program without a handler and ufork dies of SIGTERM too.
# Differential: the same program runs natively and under ufork.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
cat >"$SCRATCH/sig.c" <<'C'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile sig_atomic_t got;
static void h(int s) { got = s; }
int main(int argc, char **argv)
{
	if (argc > 1) {	/* no handler: SIGTERM kills */
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	signal(SIGINT, h);
	pid_t c = fork();
	if (!c) {
		sleep(1);
		_exit(5);
	}
	printf("ready\n");
	fflush(stdout);
	while (!got)
		pause();
	int st;
	waitpid(c, &st, 0);
	printf("parent got %d; child exited=%d code=%d\n", got, WIFEXITED(st), WEXITSTATUS(st));
	return 3;
}
C
"$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/sig" "$SCRATCH/sig.c" || fail "cannot build"

# run_with_kill SIG ARGS...: start, wait for "ready", send SIG, collect
run_with_kill() {
    local sig=$1
    shift
    "$@" >"$SCRATCH/o" 2>/dev/null &
    local pid=$! i
    for i in $(seq 100); do grep -q ready "$SCRATCH/o" 2>/dev/null && break; sleep 0.05; done
    kill "-$sig" "$pid"
    wait "$pid"
    echo "status=$? $(tr '\n' ' ' <"$SCRATCH/o")"
}
for case in "INT" "TERM x"; do
    set -- $case
    native=$(run_with_kill "$1" "$SCRATCH/sig" ${2:-})
    ufork=$(run_with_kill "$1" "$UFORK" run "$SCRATCH/sig" ${2:-})
    [ "$native" = "$ufork" ] || fail "kill -$1: native '$native', ufork '$ufork'"
    echo "ok: kill -$1: $ufork"
done

# Job control from outside: SIGTSTP stops the program and `ufork run` with it
# (the shell sees the job stopped); SIGCONT continues both.
cat >"$SCRATCH/tstp.c" <<'C'
#include <stdio.h>
#include <unistd.h>
int main(void)
{
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < 20; i++)
		usleep(50000);
	printf("done\n");
	return 7;
}
C
"$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/tstp" "$SCRATCH/tstp.c" || fail "cannot build"
stop_cont() {
    "$@" >"$SCRATCH/o" 2>/dev/null &
    local pid=$! i state
    for i in $(seq 100); do grep -q ready "$SCRATCH/o" 2>/dev/null && break; sleep 0.05; done
    kill -TSTP "$pid"
    for i in $(seq 40); do
        state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
        [ "$state" = T ] && break
        sleep 0.05
    done
    kill -CONT "$pid"
    wait "$pid"
    echo "state=$state status=$? $(tr '\n' ' ' <"$SCRATCH/o")"
}
native=$(stop_cont "$SCRATCH/tstp")
ufork=$(stop_cont "$UFORK" run "$SCRATCH/tstp")
[ "$native" = "$ufork" ] || fail "kill -TSTP, -CONT: native '$native', ufork '$ufork'"
echo "ok: kill -TSTP then -CONT: $ufork"
