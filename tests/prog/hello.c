/* hello: stdio basics: printf formats, puts/fputs/putchar, full vs line vs
 * no buffering (stdout is a file here, never a tty), stderr, EOF on stdin. */
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    printf("hello, world\n");
    printf("int: %d %i %u %x %X %o [%05d] [%-5d] [%+d] [% d]\n",
           -42, 7, 3000000000u, 0xbeef, 0xbeef, 8, 42, 42, 5, 6);
    printf("long: %ld %lld %zu %" PRIu64 " %" PRIx64 " %hhd %hd\n",
           -1234567890123L, 9223372036854775807LL, (size_t)12345,
           UINT64_MAX, (uint64_t)0xdeadbeefcafeULL, (signed char)-1, (short)-2);
    printf("float: %.3f %e %g %g %.0f %a %10.4f|\n",
           3.14159265, 12345.678, 0.0001, 1e20, 2.5, 1.0, -1.5);
    printf("str: [%s] [%10s] [%-10s] [%.3s] %c %%\n", "abc", "right", "left",
           "truncate", 'Z');
    int n1 = 0, n2 = 0;
    printf("count%n: %n\n", &n1, &n2);
    printf("n: %d %d\n", n1, n2);

    char buf[128];
    int len = snprintf(buf, sizeof buf, "%08.3f|%*d|%-*s|", 3.5, 6, 99, 4, "x");
    printf("snprintf: %s len=%d\n", buf, len);
    const char *volatile longstr = "overflowing";
    len = snprintf(buf, 5, "%s", longstr);
    printf("snprintf-trunc: '%s' len=%d\n", buf, len);

    puts("puts line");
    fputs("fputs line\n", stdout);
    putchar('x');
    putchar('\n');
    fwrite("fwrite line\n", 1, 12, stdout);
    fprintf(stderr, "this goes to stderr (not compared)\n");

    /* stdout is fully buffered (not a tty): a raw write(2) overtakes it. */
    printf("buffered-before-write\n");
    write(1, "raw-write\n", 10);
    fflush(stdout);

    /* unbuffered stream on a dup of stdout */
    FILE *u = fdopen(dup(1), "w");
    setvbuf(u, NULL, _IONBF, 0);
    printf("1-buffered\n");
    fprintf(u, "2-unbuffered\n");
    fflush(stdout);
    fprintf(u, "3-after-flush\n");
    fclose(u);

    /* line-buffered stream */
    static char lbuf[256];
    FILE *l = fdopen(dup(1), "w");
    setvbuf(l, lbuf, _IOLBF, sizeof lbuf);
    fprintf(l, "partial ");
    write(1, "W\n", 2);
    fprintf(l, "line-done\n");
    write(1, "X\n", 2);
    fclose(l);

    /* a larger amount of output */
    unsigned sum = 0;
    for (int i = 0; i < 2000; i++) {
        printf("line %04d %08x\n", i, (unsigned)i * 2654435761u);
        sum += i;
    }
    printf("sum=%u\n", sum);

    int c = getchar();
    printf("stdin: %s feof=%d\n", c == EOF ? "EOF" : "data", feof(stdin) != 0);
    printf("isatty(0)=%d isatty(1)=%d\n", isatty(0), isatty(1));
    return 0;
}
