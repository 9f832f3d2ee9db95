/* What the kernel files share: the GEMM, the compiler hints that vectorise their loops, a fast exp and the
 * thread pool. Each kernel file holds pure compute; napi.c turns JavaScript calls into them. */
#ifndef TEMPA_KERNELS_H
#define TEMPA_KERNELS_H
#include <stddef.h>
#include <math.h>
#include <stdint.h>

/* One build serves every x86-64 CPU: GCC compiles an AVX-512, an AVX2 and a baseline copy of each marked
 * function and the loader picks one for this CPU. Reductions vectorise through `#pragma omp simd` (the
 * compiler flag -fopenmp-simd, no OpenMP runtime), so their order is fixed per machine and runs repeat. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__GLIBC__) /* ifunc needs glibc */
#define VECTORIZED __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTORIZED
#endif

/* exp(x) as a range-reduced polynomial (relative error ~1e-7), branch-free so loops vectorise. The clamps
 * are written `x > lo ? x : lo` because that is exactly vmaxps: the other order made GCC blend two copies
 * of every caller's arithmetic (4x slower GELU). */
static inline __attribute__((always_inline)) float exp_poly(float x) {
  x = x > -87.0f ? x : -87.0f;
  x = x < 88.0f ? x : 88.0f;
  const float n = rintf(x * 1.44269504088896341f);
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  union { int32_t i; float f; } scale;
  scale.i = ((int32_t)n + 127) << 23;
  return p * scale.f;
}

/* out[j] = exp(x[j] - max(x)) over a row of n (x and out may be the same row); returns the sum of out and
 * the max through *max_out. The softmax of attention and of the loss both start with it. */
static inline __attribute__((always_inline)) float exp_minus_max(const float *x, float *out, int64_t n, float *max_out) {
  float max = x[0];
#pragma omp simd reduction(max : max)
  for (int64_t j = 0; j < n; j++) max = x[j] > max ? x[j] : max;
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < n; j++) {
    out[j] = exp_poly(x[j] - max);
    sum += out[j];
  }
  *max_out = max;
  return sum;
}

/* Below this many elements splitting costs more than it saves: waking a pool thread takes ~20-30 us on
 * the 2-vCPU VMs measured, and a GELU over 262,144 floats took 91 us on one thread, 83 us on two. */
#ifndef PARALLEL_ELEMENTS
#define PARALLEL_ELEMENTS 262144
#endif

/* Splits `tasks` into contiguous parts, one per pool thread (fewer when `parallel` is 0 or there are
 * fewer tasks), and runs fn(ctx, begin, end, part) for each, part 0 on the calling thread. Which tasks
 * form a part depends only on `tasks` and the pool size, so results repeat run to run. */
typedef void (*range_fn)(void *ctx, int64_t begin, int64_t end, int part);
void run_parts(range_fn fn, void *ctx, int64_t tasks, int parallel);
/* How many parts run_parts will use at most: size per-part scratch with it (part < pool_parts). */
int pool_parts(int64_t tasks, int parallel);
/* A reduction over rows sums each chunk of REDUCE_ROWS rows on its own, then the chunks' sums in chunk
 * order: the same additions in the same order whatever the pool size, so 1, 2, 3 or 16 threads give the
 * same bits (per-part sums would change with the number of parts). Chunks, not rows, are the tasks. */
#define REDUCE_ROWS 64
static inline int64_t reduce_chunks(int64_t rows) { return (rows + REDUCE_ROWS - 1) / REDUCE_ROWS; }
/* Called once when the addon loads: sizes the pool. */
void threads_init(void);
int pool_size(void);

/* Row-major C (m x n) = alpha op(A) op(B) + beta C on the calling thread, as cblas_sgemm(CblasRowMajor,
 * ...) does, on the GEMM chosen at load (gemm-library.c). */
void sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta,
           float *c, int ldc);
/* The same on a named library: "bundled", a micro-kernel ("avx512", "avx2", "neon", "portable") or
 * "system"; -1 where that one does not run here. */
int sgemm_named(const char *library, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                const float *b, int ldb, float beta, float *c, int ldc);
/* Called once when the addon loads: picks the GEMM (TEMPA_BLAS, else the faster where measured). */
void gemm_library_init(void);
/* For logs: what runs ("tempa GEMM, avx512 micro-kernel 8x32", "OpenBLAS 0.3.21, Haswell kernels") and why. */
const char *gemm_library_name(void);
const char *gemm_library_reason(void);
/* The names sgemm_named takes here, best micro-kernel first; returns how many. */
int gemm_libraries(const char **out, int max);

void gemm_batched(const float *a, const float *b, const float *bias, float *c, int64_t batch, int m, int n, int k,
                  int trans_a, int trans_b, int64_t stride_a, int64_t stride_b);
void adamw_update(const float *p, const float *g, const float *m, const float *v, float *p_out, float *m_out,
                  float *v_out, int64_t count, const float *consts);
void gelu_forward(const float *x, float *y, int64_t count, float c1, float c2);
void gelu_backward(const float *x, const float *dy, float *dx, int64_t count, float c1, float c2);

typedef struct {
  int batch, seq, heads, head_size;
  float scale;
} attention_shape;
void attention_forward(const attention_shape *s, const float *qkv, float *y, float *probs);
int cached_attention(const attention_shape *s, int cached, int capacity, const float *qkv, const int32_t *slots,
                     const int32_t *starts, float *k, float *v, float *y);
int attention_backward(const attention_shape *s, const float *qkv, const float *probs, const float *dy, float *dqkv);

void layer_norm_forward(const float *x, const float *w, const float *b, float *y, float *mean, float *rstd,
                        int64_t rows, int cols, float eps);
int layer_norm_backward(const float *dy, const float *x, const float *w, const float *mean, const float *rstd,
                         float *dx, float *dw, float *db, int64_t rows, int cols);
int column_sum(const float *x, float *out, int64_t rows, int64_t cols);
double sum_squares(const float *x, int64_t count);
int cross_entropy_forward(const float *logits, const int32_t *targets, const float *weights, float *probs, float *loss,
                          int64_t rows, int64_t vocab);
void cross_entropy_backward(const float *probs, const int32_t *targets, const float *weights, float dy, float *dlogits,
                            int64_t rows, int64_t vocab);
#endif
