/* argv_env: argv, envp, the initial stack layout, auxv; returns 42 from main. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv, char **envp)
{
    const char *base = strrchr(argv[0], '/');
    printf("argc=%d argv0-basename=%s\n", argc, base ? base + 1 : argv[0]);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=[%s]\n", i, argv[i]);
    printf("argv[argc]==NULL: %d\n", argv[argc] == NULL);
    printf("envp==argv+argc+1: %d\n", envp == argv + argc + 1);
    printf("environ==envp: %d\n", environ == envp);
    int n = 0, has_path = 0;
    for (char **e = envp; *e; e++, n++)
        if (!strncmp(*e, "PATH=", 5))
            has_path = 1;
    printf("env nonempty: %d PATH present: %d\n", n > 0, has_path);
    const char *v = getenv("UFORK_TEST_ENV");
    printf("UFORK_TEST_ENV=%s\n", v ? v : "(unset)");
    setenv("NEW_VAR", "new-value", 1);
    printf("setenv/getenv: %s\n", getenv("NEW_VAR"));
    unsetenv("NEW_VAR");
    printf("after unsetenv: %s\n", getenv("NEW_VAR") ? "set" : "unset");

    printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
    printf("AT_RANDOM set: %d\n", getauxval(AT_RANDOM) != 0);
    printf("AT_PHDR set: %d\n", getauxval(AT_PHDR) != 0);
    printf("AT_PHENT=%lu\n", getauxval(AT_PHENT));
    printf("AT_ENTRY set: %d\n", getauxval(AT_ENTRY) != 0);
    printf("AT_UID==getuid: %d\n", getauxval(AT_UID) == getuid());
    printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
    /* the stack is 16-byte aligned at main's frame */
    char probe __attribute__((aligned(16)));
    printf("stack aligned: %d\n", ((unsigned long)&probe & 15) == 0);
    return 42;
}
