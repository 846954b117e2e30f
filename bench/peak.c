/* bench/peak.c - the compute roofline of this CPU, for bench/run.py (a measuring tool, not
 * part of qopt: nothing here is linked into generated code).
 *
 * Each loop keeps 16 independent accumulators in zmm registers (enough to hide the
 * latency of every instruction measured) and runs on T OpenMP threads:
 *   fma   vfmadd231ps   16 lanes x 2 flops          = 32 FLOP per instruction
 *   bf16  vdpbf16ps     16 lanes x 2 products x 2   = 64 FLOP per instruction
 *   vnni  vpdpbusd      16 lanes x 4 products x 2   = 128 OP per instruction
 * and the read bandwidth of a 512 MB buffer (far larger than any L3): each thread sums its
 * half with 4 independent zmm accumulators of aligned 64-byte loads, best of 5 passes.
 * usage: peak T   prints "fma GFLOP/s bf16 GFLOP/s vnni GOP/s read GB/s" for T threads. */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define ITERS 20000000L

#define REP16(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

static double fma_loop(void) {
  __m512 a = _mm512_set1_ps(1.0001f), b = _mm512_set1_ps(0.9999f);
#define DECL(i) __m512 c##i = _mm512_set1_ps((float)i);
  REP16(DECL)
#undef DECL
  for (long i = 0; i < ITERS; ++i) {
#define STEP(i) c##i = _mm512_fmadd_ps(a, b, c##i); __asm__ volatile("" : "+v"(c##i));
    REP16(STEP)
#undef STEP
  }
  __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, c##i);
  REP16(SUM)
#undef SUM
  return _mm512_reduce_add_ps(s) * 1e-30;
}

static double bf16_loop(void) {
  __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3f80);
#define DECL(i) __m512 c##i = _mm512_set1_ps((float)i);
  REP16(DECL)
#undef DECL
  for (long i = 0; i < ITERS; ++i) {
#define STEP(i) c##i = _mm512_dpbf16_ps(c##i, a, b); __asm__ volatile("" : "+v"(c##i));
    REP16(STEP)
#undef STEP
  }
  __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, c##i);
  REP16(SUM)
#undef SUM
  return _mm512_reduce_add_ps(s) * 1e-30;
}

static double vnni_loop(void) {
  __m512i a = _mm512_set1_epi8(1), b = _mm512_set1_epi8(1);
#define DECL(i) __m512i c##i = _mm512_set1_epi32(i);
  REP16(DECL)
#undef DECL
  for (long i = 0; i < ITERS; ++i) {
#define STEP(i) c##i = _mm512_dpbusd_epi32(c##i, a, b); __asm__ volatile("" : "+v"(c##i));
    REP16(STEP)
#undef STEP
  }
  __m512i s = _mm512_setzero_si512();
#define SUM(i) s = _mm512_add_epi32(s, c##i);
  REP16(SUM)
#undef SUM
  return (double)_mm512_reduce_add_epi32(s) * 1e-30;
}

static double rate(double (*loop)(void), int threads, double ops_per_instr) {
  volatile double sink = 0;
  double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
  sink += loop();
  double dt = omp_get_wtime() - t0;
  return threads * (double)ITERS * 16 * ops_per_instr / dt / 1e9;
}

#define READ_BYTES (512L << 20)

static double read_gbs(int threads) {
  float *buf = aligned_alloc(64, READ_BYTES);
  long n = READ_BYTES / 4, chunk = n / threads / 64 * 64;
  double best = 0;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (long i = 0; i < n; ++i)
    buf[i] = 1.0f; /* fault the pages in */
  for (int pass = 0; pass < 5; ++pass) {
    volatile float sink = 0;
    double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads)
    {
      const float *p = buf + omp_get_thread_num() * chunk;
      __m512 a = _mm512_setzero_ps(), b = a, c = a, d = a;
      for (long i = 0; i < chunk; i += 64) {
        a = _mm512_add_ps(a, _mm512_load_ps(p + i));
        b = _mm512_add_ps(b, _mm512_load_ps(p + i + 16));
        c = _mm512_add_ps(c, _mm512_load_ps(p + i + 32));
        d = _mm512_add_ps(d, _mm512_load_ps(p + i + 48));
      }
      float s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a, b), _mm512_add_ps(c, d)));
#pragma omp atomic
      sink += s;
    }
    double gbs = (double)chunk * threads * 4 / (omp_get_wtime() - t0) / 1e9;
    best = gbs > best ? gbs : best;
  }
  free(buf);
  return best;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  rate(fma_loop, threads, 32); /* warm up clocks and the thread pool */
  printf("%.1f %.1f %.1f %.1f\n", rate(fma_loop, threads, 32), rate(bf16_loop, threads, 64),
         rate(vnni_loop, threads, 128), read_gbs(threads));
  return 0;
}
