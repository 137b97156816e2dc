// The machine's floating-point peak: independent chains of fused
// multiply-adds in registers, no memory traffic, on 1 and 2 threads,
// with 512-bit (AVX-512) and 256-bit (AVX2) vectors, float32 and float64.
// bench/peak.sh builds and runs it; GFLOP/s counts an FMA as 2 flops.
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ITERS 50000000L

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

// Each kernel runs 16 independent FMA chains (enough to cover the FMA
// latency on two ports) for ITERS iterations and returns a sum that the
// compiler cannot drop.
#define KERNEL(name, T, SET1, FMA, ADD, RED, lanes, attr)                        \
	attr static double name(void) {                                        \
		T a0 = SET1(1.0), a1 = SET1(1.1), a2 = SET1(1.2), a3 = SET1(1.3);   \
		T a4 = SET1(1.4), a5 = SET1(1.5), a6 = SET1(1.6), a7 = SET1(1.7);   \
		T a8 = SET1(1.8), a9 = SET1(1.9), aa = SET1(2.0), ab = SET1(2.1);   \
		T ac = SET1(2.2), ad = SET1(2.3), ae = SET1(2.4), af = SET1(2.5);   \
		T m = SET1(0.9999999), c = SET1(1e-7);                              \
		for (long i = 0; i < ITERS; i++) {                                  \
			a0 = FMA(a0, m, c); a1 = FMA(a1, m, c); a2 = FMA(a2, m, c); \
			a3 = FMA(a3, m, c); a4 = FMA(a4, m, c); a5 = FMA(a5, m, c); \
			a6 = FMA(a6, m, c); a7 = FMA(a7, m, c); a8 = FMA(a8, m, c); \
			a9 = FMA(a9, m, c); aa = FMA(aa, m, c); ab = FMA(ab, m, c); \
			ac = FMA(ac, m, c); ad = FMA(ad, m, c); ae = FMA(ae, m, c); \
			af = FMA(af, m, c);                                         \
			__asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3)); \
		}                                                                   \
		T s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7))); \
		T t = ADD(ADD(ADD(a8, a9), ADD(aa, ab)), ADD(ADD(ac, ad), ADD(ae, af))); \
		return RED(ADD(s, t));                                              \
	}

__attribute__((target("avx512f"))) static double red512s(__m512 v) { return _mm512_reduce_add_ps(v); }
__attribute__((target("avx512f"))) static double red512d(__m512d v) { return _mm512_reduce_add_pd(v); }
__attribute__((target("avx2,fma"))) static double red256s(__m256 v) { float f[8]; _mm256_storeu_ps(f, v); return f[0]; }
__attribute__((target("avx2,fma"))) static double red256d(__m256d v) { double f[4]; _mm256_storeu_pd(f, v); return f[0]; }

KERNEL(k512s, __m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, red512s, 16, __attribute__((target("avx512f"))))
KERNEL(k512d, __m512d, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_add_pd, red512d, 8, __attribute__((target("avx512f"))))
KERNEL(k256s, __m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, red256s, 8, __attribute__((target("avx2,fma"))))
KERNEL(k256d, __m256d, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_add_pd, red256d, 4, __attribute__((target("avx2,fma"))))

struct job { double (*f)(void); double r; };
static void *runjob(void *p) { struct job *j = p; j->r = j->f(); return NULL; }

int main(void) {
	struct { const char *name; double (*f)(void); int lanes; } ks[] = {
		{"avx512 float32", k512s, 16}, {"avx512 float64", k512d, 8},
		{"avx2   float32", k256s, 8}, {"avx2   float64", k256d, 4},
	};
	int has512 = __builtin_cpu_supports("avx512f");
	double sink = 0;
	for (int k = 0; k < 4; k++) {
		if (k < 2 && !has512) { printf("%s: no AVX-512 on this CPU\n", ks[k].name); continue; }
		for (int threads = 1; threads <= 2; threads++) {
			double best = 0;
			for (int rep = 0; rep < 3; rep++) {
				pthread_t th[2]; struct job j[2];
				double t0 = now();
				for (int i = 0; i < threads; i++) { j[i].f = ks[k].f; pthread_create(&th[i], NULL, runjob, &j[i]); }
				for (int i = 0; i < threads; i++) { pthread_join(th[i], NULL); sink += j[i].r; }
				double g = threads * 16.0 * ITERS * ks[k].lanes * 2 / (now() - t0) / 1e9;
				if (g > best) best = g;
			}
			printf("%s %d thread%s: %6.1f GFLOP/s\n", ks[k].name, threads, threads > 1 ? "s" : " ", best);
		}
	}
	if (sink == 42) printf("\n");
	return 0;
}
