/*
 * prefork.c - the ufork demo: a pre-forking TCP server and its clients, all
 * in one program, as a real multi-process workload.
 *
 * The master builds a word table (shared with every worker by fork), listens
 * on a loopback port, forks WORKERS workers that accept connections on the
 * same listening socket, then forks CLIENTS client processes that each send
 * requests and check the answers.  The master reaps the clients, stops the
 * workers with SIGTERM, reaps them and prints a summary that is the same on
 * Linux and under ufork.
 *
 * usage: prefork [workers [clients [requests-per-client]]]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct entry {
	char *word;
	unsigned long value;
	struct entry *next;
};

#define NBUCKETS 1024
static struct entry *table[NBUCKETS];

static unsigned long hash(const char *s)
{
	unsigned long h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* A pointer-rich structure built once by the master and used by every
 * worker after fork: chained hash table of heap strings. */
static void build_table(void)
{
	char buf[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(buf, sizeof buf, "word%d", i);
		struct entry *e = malloc(sizeof *e);
		e->word = strdup(buf);
		e->value = (unsigned long)i * i;
		unsigned long b = hash(buf) % NBUCKETS;
		e->next = table[b];
		table[b] = e;
	}
}

static long lookup(const char *w)
{
	for (struct entry *e = table[hash(w) % NBUCKETS]; e; e = e->next)
		if (!strcmp(e->word, w))
			return (long)e->value;
	return -1;
}

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static int worker(int lfd, int idx)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = on_term;	/* no SA_RESTART: accept returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	int served = 0;
	while (!stop) {
		int c = accept(lfd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			return 2;
		}
		char req[64];
		ssize_t n = read(c, req, sizeof req - 1);
		if (n > 0) {
			req[n] = 0;
			char resp[96];
			int len = snprintf(resp, sizeof resp, "%s=%ld by %d\n", req, lookup(req), idx);
			if (write(c, resp, len) != len)
				return 3;
			served++;
		}
		close(c);
	}
	return served > 0 ? 0 : 0;
}

static int client(int port, int id, int requests)
{
	int ok = 0;
	for (int r = 0; r < requests; r++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(s, (struct sockaddr *)&a, sizeof a) < 0)
			return 1;
		char w[32], resp[96];
		int k = (id * 7919 + r * 104729) % 20000;
		snprintf(w, sizeof w, "word%d", k);
		if (write(s, w, strlen(w)) < 0)
			return 1;
		ssize_t n = read(s, resp, sizeof resp - 1);
		close(s);
		if (n <= 0)
			return 1;
		resp[n] = 0;
		char expect[64];
		snprintf(expect, sizeof expect, "%s=%ld by ", w, (long)k * k);
		ok += strncmp(resp, expect, strlen(expect)) == 0;
	}
	return ok == requests ? 0 : 1;
}

int main(int argc, char **argv)
{
	int workers = argc > 1 ? atoi(argv[1]) : 4;
	int clients = argc > 2 ? atoi(argv[2]) : 4;
	int requests = argc > 3 ? atoi(argv[3]) : 50;

	build_table();
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof a;
	if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 128) ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen)) {
		perror("listen");
		return 1;
	}
	int port = ntohs(a.sin_port);
	printf("master: table of 20000 words built, listening on loopback\n");
	fflush(stdout);

	pid_t wpid[64], cpid[64];
	for (int i = 0; i < workers; i++)
		if ((wpid[i] = fork()) == 0)
			_exit(worker(lfd, i));
	printf("master: %d workers forked\n", workers);
	for (int i = 0; i < clients; i++)
		if ((cpid[i] = fork()) == 0)
			_exit(client(port, i, requests));
	printf("master: %d clients forked, %d requests each\n", clients, requests);
	fflush(stdout);

	int good = 0;
	for (int i = 0; i < clients; i++) {
		int st;
		waitpid(cpid[i], &st, 0);
		good += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	printf("master: %d/%d clients got every answer right\n", good, clients);
	for (int i = 0; i < workers; i++)
		kill(wpid[i], SIGTERM);
	int clean = 0;
	for (int i = 0; i < workers; i++) {
		int st;
		waitpid(wpid[i], &st, 0);
		clean += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	printf("master: %d/%d workers stopped cleanly by SIGTERM\n", clean, workers);
	printf("master: wait() now says %s\n", wait(NULL) < 0 && errno == ECHILD ? "ECHILD" : "??");
	return good == clients && clean == workers ? 0 : 1;
}
