/* fork_vecreg: pointers held in registers across the fork system call are
 * valid in the child: general registers (rbx, rbp-free set r8-r10, r12-r15),
 * xmm8 (both halves), all four lanes of ymm9, all eight lanes of zmm10 and
 * zmm20 (if the CPU has AVX-512), and an __m128i/__m256i kept by intrinsics
 * across fork().  The fork is a raw `syscall` in inline asm so the values
 * really stay in registers; plain integers in other lanes must not change. */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long gvals[8] = { 10, 11, 12, 13, 14, 15, 16, 17 };
static long *heapv;

/* expected[i] in the current process: pointers are recomputed after fork */
static void expect(uint64_t e[8])
{
    e[0] = (uint64_t)&gvals[0];
    e[1] = (uint64_t)heapv;
    e[2] = 0x123456789abcdefULL;       /* not a pointer */
    e[3] = (uint64_t)&gvals[3];
    e[4] = (uint64_t)(heapv + 5);
    e[5] = 42;                         /* small integer */
    e[6] = (uint64_t)&gvals[7];
    e[7] = (uint64_t)expect;           /* a code pointer */
}

static void finish(const char *what, long pid, const uint64_t *got, int n)
{
    uint64_t e[8];
    expect(e);
    int same = memcmp(got, e, n * 8) == 0;
    long deref = 0;
    static const int ptr_lanes[] = { 0, 1, 3, 4, 6 };
    for (int i = 0; same && i < 5; i++)
        if (ptr_lanes[i] < n)
            deref += *(long *)got[ptr_lanes[i]];
    if (pid == 0) {
        printf("fork_vecreg: child %s lanes=%d match=%d deref=%ld\n", what, n, same, deref);
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("fork_vecreg: parent %s lanes=%d match=%d deref=%ld child-status=%d\n", what, n, same,
           deref, st);
    fflush(stdout);
}

static void test_gpr(void)
{
    uint64_t in[8], out[8];
    expect(in);
    long ret;
    /* in: rsi, out: rdi (both kept by the kernel across syscall) */
    __asm__ volatile(
        "push %%rbp\n\t"
        "mov 0(%%rsi), %%rbx\n\t"
        "mov 8(%%rsi), %%r8\n\t"
        "mov 16(%%rsi), %%r9\n\t"
        "mov 24(%%rsi), %%r10\n\t"
        "mov 32(%%rsi), %%r12\n\t"
        "mov 40(%%rsi), %%r13\n\t"
        "mov 48(%%rsi), %%r14\n\t"
        "mov 56(%%rsi), %%rbp\n\t"
        "mov $57, %%eax\n\t"
        "syscall\n\t"
        "mov %%rbx, 0(%%rdi)\n\t"
        "mov %%r8, 8(%%rdi)\n\t"
        "mov %%r9, 16(%%rdi)\n\t"
        "mov %%r10, 24(%%rdi)\n\t"
        "mov %%r12, 32(%%rdi)\n\t"
        "mov %%r13, 40(%%rdi)\n\t"
        "mov %%r14, 48(%%rdi)\n\t"
        "mov %%rbp, 56(%%rdi)\n\t"
        "pop %%rbp\n\t"
        : "=a"(ret)
        : "S"(in), "D"(out)
        : "rbx", "rcx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "memory");
    finish("gpr", ret, out, 8);
}

static void test_xmm(void)
{
    uint64_t in[8], out[2];
    expect(in);
    long ret;
    __asm__ volatile("movdqu (%[in]), %%xmm8\n\t"
                     "mov $57, %%eax\n\t"
                     "syscall\n\t"
                     "movdqu %%xmm8, (%[out])\n\t"
                     : "=a"(ret)
                     : [in] "r"(in), [out] "r"(out)
                     : "rcx", "r11", "xmm8", "memory");
    finish("xmm8", ret, out, 2);
}

__attribute__((target("avx2"))) static void test_ymm(void)
{
    uint64_t in[8], out[4];
    expect(in);
    long ret;
    __asm__ volatile("vmovdqu (%[in]), %%ymm9\n\t"
                     "mov $57, %%eax\n\t"
                     "syscall\n\t"
                     "vmovdqu %%ymm9, (%[out])\n\t"
                     "vzeroupper\n\t"
                     : "=a"(ret)
                     : [in] "r"(in), [out] "r"(out)
                     : "rcx", "r11", "xmm9", "memory");
    finish("ymm9", ret, out, 4);
}

__attribute__((target("avx512f"))) static void test_zmm(void)
{
    uint64_t in[8], out[8], out2[8];
    expect(in);
    long ret;
    __asm__ volatile("vmovdqu64 (%[in]), %%zmm10\n\t"
                     "vmovdqu64 (%[in]), %%zmm20\n\t"
                     "mov $57, %%eax\n\t"
                     "syscall\n\t"
                     "vmovdqu64 %%zmm10, (%[out])\n\t"
                     "vmovdqu64 %%zmm20, (%[out2])\n\t"
                     "vzeroupper\n\t"
                     : "=a"(ret)
                     : [in] "r"(in), [out] "r"(out), [out2] "r"(out2)
                     : "rcx", "r11", "xmm10", "xmm20", "memory");
    if (ret == 0) {
        uint64_t e[8];
        expect(e);
        if (memcmp(out2, e, 64) != 0)
            out[2] ^= 1;               /* make zmm20 mismatches visible */
    }
    finish("zmm10+zmm20", ret, out, 8);
}

__attribute__((target("avx2"))) static void test_intrinsics(void)
{
    uint64_t in[8];
    expect(in);
    /* a holds lanes 0,1 and b lanes 3,4,6,7; lanes 2 and 5 are constants */
    __m128i a = _mm_set_epi64x((long long)in[1], (long long)in[0]);
    __m256i b = _mm256_set_epi64x((long long)in[7], (long long)in[6], (long long)in[4],
                                  (long long)in[3]);
    fflush(stdout);
    pid_t pid = fork();
    uint64_t la[2], lb[4];
    _mm_storeu_si128((__m128i *)la, a);
    _mm256_storeu_si256((__m256i *)lb, b);
    uint64_t got[8] = { la[0], la[1], in[2], lb[0], lb[1], in[5], lb[2], lb[3] };
    finish("intrinsics m128+m256", pid, got, 8);
}

int main(void)
{
    heapv = malloc(16 * sizeof *heapv);
    for (int i = 0; i < 16; i++)
        heapv[i] = 100 + i;
    fflush(stdout);
    test_gpr();
    test_xmm();
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2");
    int avx512 = __builtin_cpu_supports("avx512f");
    if (avx2) {
        test_ymm();
        test_intrinsics();
    } else {
        printf("fork_vecreg: no AVX2, ymm tests skipped\n");
    }
    if (avx512)
        test_zmm();
    else
        printf("fork_vecreg: no AVX-512, zmm test skipped\n");
    return 0;
}
