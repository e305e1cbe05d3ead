#!/usr/bin/env bash
# The runtime's own controlling terminal (ufork started in a terminal) is the
# first program's, in µprocess ids, as a shell shows it to a program it
# starts: tcgetpgrp/tcgetsid match its group and session, /dev/tty opens it,
# and once the program puts a child's group in the foreground with
# tcsetpgrp, Ctrl-C typed into the terminal reaches that group only.
# Differential: progs/tty_drive.c runs the program natively and under ufork
# on a fresh pseudo-terminal and types Ctrl-C.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
gcc -O2 -o "$SCRATCH/drive" "$(dirname "$0")/progs/tty_drive.c" || fail "cannot build tty_drive"
cat >"$SCRATCH/fg.c" <<'C'
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
static void child_int(int s) { (void)s; write(1, "child got SIGINT\n", 17); _exit(7); }
static void parent_int(int s) { (void)s; write(1, "parent got SIGINT\n", 18); }
int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("tcgetpgrp == getpgrp(): %d, tcgetsid == getsid(0): %d\n",
	       tcgetpgrp(0) == getpgrp(), tcgetsid(0) == getsid(0));
	int t = open("/dev/tty", O_RDWR);
	printf("/dev/tty: %d, its foreground is ours: %d\n", t >= 0, tcgetpgrp(t) == getpgrp());
	signal(SIGINT, parent_int);
	pid_t c = fork();
	if (c == 0) {
		signal(SIGINT, child_int);
		setpgid(0, 0);
		for (;;)
			pause();
	}
	setpgid(c, c);
	int r = tcsetpgrp(0, c);
	printf("tcsetpgrp(child): %d, foreground is the child's: %d\n", r, tcgetpgrp(0) == c);
	printf("ready\n");
	int st;
	while (waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	signal(SIGTTOU, SIG_IGN);	/* in the background now, as a shell is */
	r = tcsetpgrp(0, getpgrp());
	printf("tcsetpgrp(own): %d, foreground is ours: %d\n", r, tcgetpgrp(0) == getpgrp());
	return 0;
}
C
"$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/fg" "$SCRATCH/fg.c" || fail "cannot build"
native=$("$SCRATCH/drive" "$SCRATCH/fg")
grep -q "child got SIGINT" <<<"$native" || fail "native run unexpected: $native"
ufork=$("$SCRATCH/drive" "$UFORK" run "$SCRATCH/fg")
[ "$native" = "$ufork" ] || fail "native and ufork differ:
--- native
$native
--- ufork
$ufork"
echo "ok: the runtime's terminal is the first program's; Ctrl-C reaches the foreground group"
