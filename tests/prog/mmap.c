/* mmap: anonymous and file mappings, mprotect, MAP_FIXED, mremap, madvise,
 * msync, munmap. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fails;
#define CHECK(c, name) do { if (c) printf("%s: ok\n", name); \
    else { printf("%s: FAIL (line %d, errno %d)\n", name, __LINE__, errno); fails++; } } while (0)

int main(void)
{
    const size_t pg = 4096, n = 256 * pg;
    unsigned char *a = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != MAP_FAILED, "mmap anon 1MiB");
    CHECK(((uintptr_t)a & (pg - 1)) == 0, "page aligned");
    int zero = 1;
    for (size_t i = 0; i < n; i++) if (a[i]) zero = 0;
    CHECK(zero, "anon memory is zero");
    for (size_t i = 0; i < n; i++) a[i] = (unsigned char)(i * 7);

    CHECK(mprotect(a, pg, PROT_READ) == 0, "mprotect read-only");
    CHECK(a[5] == 35, "read after mprotect");
    CHECK(mprotect(a, pg, PROT_READ | PROT_WRITE) == 0, "mprotect read-write");
    a[5] = 1;
    CHECK(a[5] == 1, "write after mprotect");

    /* MAP_FIXED over the middle: fresh zero pages */
    unsigned char *m = mmap(a + 10 * pg, 2 * pg, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(m == a + 10 * pg && m[0] == 0 && m[2 * pg - 1] == 0 &&
          a[10 * pg - 1] == (unsigned char)((10 * pg - 1) * 7) &&
          a[12 * pg] == (unsigned char)(12 * pg * 7), "MAP_FIXED replaces pages");

    /* mremap grow (may move): contents preserved */
    a[10 * pg] = (unsigned char)(10 * pg * 7);
    a[10 * pg + 1] = (unsigned char)((10 * pg + 1) * 7);
    unsigned char *b = mremap(a, n, 4 * n, MREMAP_MAYMOVE);
    CHECK(b != MAP_FAILED, "mremap grow");
    int kept = 1;
    for (size_t i = 0; i < n; i += 97)
        if (i != 5 && (i < 10 * pg + 2 || i >= 12 * pg) && b[i] != (unsigned char)(i * 7)) kept = 0;
    CHECK(kept, "mremap preserved contents");
    b[4 * n - 1] = 9;
    CHECK(b[4 * n - 1] == 9 && b[n] == 0, "mremap new tail usable");
    b = mremap(b, 4 * n, n / 2, 0);
    CHECK(b != MAP_FAILED && b[100] == (unsigned char)700, "mremap shrink in place");

    /* madvise DONTNEED on private anon gives zero pages */
    memset(b, 0x55, 4 * pg);
    CHECK(madvise(b, 4 * pg, MADV_DONTNEED) == 0 && b[0] == 0 && b[4 * pg - 1] == 0,
          "madvise DONTNEED zeroes");
    CHECK(munmap(b, n / 2) == 0, "munmap");
    CHECK(munmap(NULL, 0) == -1 && errno == EINVAL, "munmap len 0 -> EINVAL");
    CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED
          && errno == EINVAL, "mmap len 0 -> EINVAL");

    /* file mappings */
    int fd = open("mapped.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && ftruncate(fd, 3 * pg) == 0, "create file");
    unsigned char *sh = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(sh != MAP_FAILED, "mmap shared file");
    memcpy(sh + pg, "shared-write", 12);
    CHECK(msync(sh, 3 * pg, MS_SYNC) == 0, "msync");
    char buf[16] = {0};
    CHECK(pread(fd, buf, 12, pg) == 12 && !memcmp(buf, "shared-write", 12),
          "shared mapping visible via pread");
    CHECK(pwrite(fd, "via-pwrite", 10, 2 * pg) == 10 && !memcmp(sh + 2 * pg, "via-pwrite", 10),
          "pwrite visible via shared mapping");
    unsigned char *pv = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, pg);
    CHECK(pv != MAP_FAILED && !memcmp(pv, "shared-write", 12), "mmap private file at offset");
    memcpy(pv, "PRIVATE", 7);
    CHECK(pread(fd, buf, 12, pg) == 12 && !memcmp(buf, "shared-write", 12),
          "private write not in file");
    CHECK(munmap(pv, pg) == 0 && munmap(sh, 3 * pg) == 0, "munmap file maps");
    unsigned char *ro = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(ro != MAP_FAILED && ro[0] == 0, "read-only mapping");
    munmap(ro, pg);
    close(fd);

    /* many small mappings */
    void *maps[200];
    int many = 1;
    for (int i = 0; i < 200; i++) {
        maps[i] = mmap(NULL, pg * (1 + i % 3), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (maps[i] == MAP_FAILED) { many = 0; break; }
        *(int *)maps[i] = i;
    }
    for (int i = 0; many && i < 200; i++)
        if (*(int *)maps[i] != i || munmap(maps[i], pg * (1 + i % 3))) many = 0;
    CHECK(many, "200 small mappings");

    printf("mmap: %s\n", fails ? "FAILED" : "all ok");
    return fails != 0;
}
