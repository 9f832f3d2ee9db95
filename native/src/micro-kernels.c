/* The register-blocked inner loops of tempa's GEMM (sgemm.c), one per instruction set, the best this
 * CPU runs picked once at load. Each multiplies a packed MR x kc sliver of A by a packed kc x NR sliver
 * of B into a tile of C held in registers, one fused multiply-add per element and k, in k order. */
#include "sgemm.h"
#include <string.h>

/* C tile = beta C + alpha acc (beta 0: C is not read, it may hold garbage). A partial tile (rows < MR or
 * cols < NR, at the edges of C) goes through a full-size copy so each element gets the same instructions
 * whether its tile is full or not: a row split over more threads moves tile edges, never results. */
#define TILE_WRITE(MR, NR, FULL_UPDATE)                                                                     \
  if (rows == MR && cols == NR) {                                                                           \
    FULL_UPDATE(c, ldc);                                                                                    \
  } else {                                                                                                  \
    float tile[MR * NR] __attribute__((aligned(64)));                                                       \
    memset(tile, 0, sizeof tile);                                                                           \
    if (beta != 0.0f)                                                                                       \
      for (int i = 0; i < rows; i++) memcpy(tile + i * NR, c + i * ldc, sizeof(float) * (size_t)cols);     \
    FULL_UPDATE(tile, NR);                                                                                  \
    for (int i = 0; i < rows; i++) memcpy(c + i * ldc, tile + i * NR, sizeof(float) * (size_t)cols);       \
  }

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* AVX-512: 8 rows x 32 columns in 16 of the 32 zmm registers; per k, two loads of B and eight
 * broadcasts of A feed 16 FMAs. */
#define Z_MR 8
#define Z_NR 32
__attribute__((target("avx512f,fma"))) static void kernel_avx512(int64_t kc, const float *restrict a, int64_t rs_a, int64_t cs_a, const float *restrict b,
    float *restrict c, int64_t ldc, int rows, int cols, const float *scale) {
  __m512 acc[Z_MR][2];
#pragma GCC unroll 8
  for (int i = 0; i < Z_MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; p++, a += cs_a, b += Z_NR) {
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 8
    for (int i = 0; i < Z_MR; i++) {
      const __m512 ai = _mm512_set1_ps(a[i * rs_a]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  const float alpha = scale[0], beta = scale[1]; /* read after the loop: in registers they cost AVX2 a spill */
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#define Z_UPDATE(dst, ld)                                                                                          \
  _Pragma("GCC unroll 8") for (int i = 0; i < Z_MR; i++) for (int h = 0; h < 2; h++) {                              \
    float *at = (dst) + i * (ld) + 16 * h;                                                                          \
    const __m512 scaled = _mm512_mul_ps(va, acc[i][h]);                                                             \
    _mm512_storeu_ps(at, beta == 0.0f ? scaled : _mm512_fmadd_ps(vb, _mm512_loadu_ps(at), scaled));                 \
  }
  TILE_WRITE(Z_MR, Z_NR, Z_UPDATE)
}

/* AVX2 + FMA: 6 rows x 16 columns in 12 of the 16 ymm registers (the classic Haswell shape). */
#define Y_MR 6
#define Y_NR 16
__attribute__((target("avx2,fma"))) static void kernel_avx2(int64_t kc, const float *restrict a, int64_t rs_a, int64_t cs_a, const float *restrict b,
    float *restrict c, int64_t ldc, int rows, int cols, const float *scale) {
  __m256 acc[Y_MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < Y_MR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; p++, a += cs_a, b += Y_NR) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < Y_MR; i++) {
      const __m256 ai = _mm256_broadcast_ss(a + i * rs_a);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  const float alpha = scale[0], beta = scale[1]; /* read after the loop: in registers they cost AVX2 a spill */
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#define Y_UPDATE(dst, ld)                                                                                          \
  _Pragma("GCC unroll 6") for (int i = 0; i < Y_MR; i++) for (int h = 0; h < 2; h++) {                              \
    float *at = (dst) + i * (ld) + 8 * h;                                                                           \
    const __m256 scaled = _mm256_mul_ps(va, acc[i][h]);                                                             \
    _mm256_storeu_ps(at, beta == 0.0f ? scaled : _mm256_fmadd_ps(vb, _mm256_loadu_ps(at), scaled));                 \
  }
  TILE_WRITE(Y_MR, Y_NR, Y_UPDATE)
}
#endif

#if defined(__aarch64__)
#include <arm_neon.h>

/* NEON: 8 rows x 12 columns in 24 of the 32 q registers. */
#define N_MR 8
#define N_NR 12
static void kernel_neon(int64_t kc, const float *restrict a, int64_t rs_a, int64_t cs_a, const float *restrict b,
    float *restrict c, int64_t ldc, int rows, int cols, const float *scale) {
  float32x4_t acc[N_MR][3];
  for (int i = 0; i < N_MR; i++) acc[i][0] = acc[i][1] = acc[i][2] = vdupq_n_f32(0.0f);
  for (int64_t p = 0; p < kc; p++, a += cs_a, b += N_NR) {
    const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
    for (int i = 0; i < N_MR; i++) {
      const float32x4_t ai = vld1q_dup_f32(a + i * rs_a);
      acc[i][0] = vfmaq_f32(acc[i][0], b0, ai);
      acc[i][1] = vfmaq_f32(acc[i][1], b1, ai);
      acc[i][2] = vfmaq_f32(acc[i][2], b2, ai);
    }
  }
  const float alpha = scale[0], beta = scale[1]; /* read after the loop: in registers they cost AVX2 a spill */
  const float32x4_t va = vdupq_n_f32(alpha), vb = vdupq_n_f32(beta);
#define N_UPDATE(dst, ld)                                                                     \
  for (int i = 0; i < N_MR; i++) for (int h = 0; h < 3; h++) {                                \
    float *at = (dst) + i * (ld) + 4 * h;                                                     \
    const float32x4_t scaled = vmulq_f32(va, acc[i][h]);                                      \
    vst1q_f32(at, beta == 0.0f ? scaled : vfmaq_f32(scaled, vb, vld1q_f32(at)));              \
  }
  TILE_WRITE(N_MR, N_NR, N_UPDATE)
}
#endif

/* Portable C, for CPUs without the above (or to check them): 2 x 16 in GNU C vectors of 4, which
 * compilers map to whatever SIMD the baseline has (SSE2 on x86-64) or to scalars. Plain loops were
 * vectorised over k instead, and ran at 3-6 GFLOP/s here against ~40 for these. */
#define P_MR 2
#define P_NR 16
typedef float v4f __attribute__((vector_size(16)));
static inline v4f load4(const float *p) {
  v4f v;
  memcpy(&v, p, sizeof v);
  return v;
}
static void kernel_portable(int64_t kc, const float *restrict a, int64_t rs_a, int64_t cs_a, const float *restrict b,
    float *restrict c, int64_t ldc, int rows, int cols, const float *scale) {
  v4f acc[P_MR][4] = {{{0}}};
  for (int64_t p = 0; p < kc; p++, a += cs_a, b += P_NR) {
    const v4f bv[4] = {load4(b), load4(b + 4), load4(b + 8), load4(b + 12)};
    for (int i = 0; i < P_MR; i++) {
      const v4f ai = (v4f){0, 0, 0, 0} + a[i * rs_a];
      for (int h = 0; h < 4; h++) acc[i][h] += ai * bv[h];
    }
  }
  const float alpha = scale[0], beta = scale[1];
#define P_UPDATE(dst, ld)                                                                     \
  for (int i = 0; i < P_MR; i++) for (int h = 0; h < 4; h++) {                                \
    float *at = (dst) + i * (ld) + 4 * h;                                                     \
    const v4f scaled = alpha * acc[i][h];                                                     \
    const v4f out = beta == 0.0f ? scaled : beta * load4(at) + scaled;                        \
    memcpy(at, &out, sizeof out);                                                             \
  }
  TILE_WRITE(P_MR, P_NR, P_UPDATE)
}

/* Best first; each entry runs only where the CPU reports its instructions. */
static const micro_kernel KERNELS[] = {
#if defined(__x86_64__) && defined(__GNUC__)
    {"avx512", Z_MR, Z_NR, kernel_avx512},
    {"avx2", Y_MR, Y_NR, kernel_avx2},
#endif
#if defined(__aarch64__)
    {"neon", N_MR, N_NR, kernel_neon},
#endif
    {"portable", P_MR, P_NR, kernel_portable},
};
#define KERNEL_COUNT ((int)(sizeof KERNELS / sizeof KERNELS[0]))

static int runs_here(const micro_kernel *k) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (k->run == kernel_avx512) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  if (k->run == kernel_avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  (void)k;
  return 1; /* NEON is part of every AArch64 CPU; portable runs anywhere */
}

const micro_kernel *micro_kernel_named(const char *name) {
  for (int i = 0; i < KERNEL_COUNT; i++)
    if ((name == NULL || strcmp(KERNELS[i].name, name) == 0) && runs_here(&KERNELS[i])) return &KERNELS[i];
  return NULL;
}

int micro_kernel_list(const micro_kernel **out, int max) {
  int found = 0;
  for (int i = 0; i < KERNEL_COUNT && found < max; i++)
    if (runs_here(&KERNELS[i])) out[found++] = &KERNELS[i];
  return found;
}
