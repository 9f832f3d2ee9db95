/* Batched, transposed and broadcast matrix products, split over tempa's thread pool: the rows of one
 * product (or of the slices stacked into one), or whole slices of a batch, each part a single-threaded
 * GEMM (see threads.c for why). Each row's sums do not depend on the split (sgemm.c), so neither do
 * the results on the thread count. */
#include "kernels.h"
#include <string.h>

/* c (n) = a (k) op(B) + beta c for one row a, as decoding a token does for every weight matrix. A GEMM
 * would first pack a copy of B; this streams B once. */
VECTORIZED static void row_times_matrix(const float *restrict a, const float *restrict b, float *restrict c, int n, int k,
                                        int trans_b, float beta) {
  if (trans_b) { /* B is (n, k): a dot product per output */
    for (int j = 0; j < n; j++) {
      const float *restrict row = b + (int64_t)j * k;
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (int d = 0; d < k; d++) dot += a[d] * row[d];
      c[j] = beta == 0.0f ? dot : dot + beta * c[j];
    }
    return;
  }
  for (int j = 0; j < n; j++) c[j] = beta == 0.0f ? 0.0f : beta * c[j];
  for (int d = 0; d < k; d++) { /* B is (k, n): add a[d] times row d */
    const float *restrict row = b + (int64_t)d * n;
    const float scale = a[d];
    for (int j = 0; j < n; j++) c[j] += scale * row[j];
  }
}

/* Below this many multiply-adds a product runs on the calling thread alone (decoding a token): waking
 * the pool would cost more than it saves. */
#ifndef SMALL_GEMM
#define SMALL_GEMM 4000000
#endif

typedef struct {
  const float *a, *b, *bias; /* bias: n values added to every row of C, or NULL */
  float *c;
  int64_t batch, stride_a, stride_b;
  int m, n, k, trans_a, trans_b;
} gemm_job;

/* Rows begin..end of C = op(A) op(B) (+ the bias), for one (m x n) product whose A rows are contiguous. */
static void gemm_rows(const gemm_job *j, const float *a, const float *b, float *c, int64_t begin, int64_t end, int m) {
  if (end <= begin) return;
  /* Each part starts its own rows at the bias, so the copy is split too and still warm for the GEMM. */
  if (j->bias) for (int64_t r = begin; r < end; r++) memcpy(c + r * j->n, j->bias, sizeof(float) * (size_t)j->n);
  const int lda = j->trans_a ? m : j->k, ldb = j->trans_b ? j->k : j->n;
  const float *a_rows = j->trans_a ? a + begin : a + begin * j->k; /* op(A) row r: a row of A, or a column of stored A */
  sgemm(j->trans_a, j->trans_b, (int)(end - begin), j->n, j->k, 1.0f, a_rows, lda, b, ldb, j->bias ? 1.0f : 0.0f, c + begin * j->n,
        j->n);
}

/* Tasks are rows of C (batch 1, or slices stacked under one shared B). */
static void row_part(void *arg, int64_t begin, int64_t end, int part) {
  (void)part;
  const gemm_job *j = (const gemm_job *)arg;
  gemm_rows(j, j->a, j->b, j->c, begin, end, (int)(j->batch * j->m));
}

/* Tasks are slices of the batch. */
static void slice_part(void *arg, int64_t begin, int64_t end, int part) {
  (void)part;
  const gemm_job *j = (const gemm_job *)arg;
  for (int64_t i = begin; i < end; i++) {
    const float *a = j->a + i * j->stride_a, *b = j->b + i * j->stride_b;
    float *c = j->c + i * (int64_t)j->m * j->n;
    if (j->m == 1) {
      if (j->bias) memcpy(c, j->bias, sizeof(float) * (size_t)j->n);
      row_times_matrix(a, b, c, j->n, j->k, j->trans_b, j->bias ? 1.0f : 0.0f);
    }
    else gemm_rows(j, a, b, c, 0, j->m, j->m);
  }
}

/* For each slice i: C_i (m x n) = op(A_i) op(B_i) (+ bias on every row), row-major, A_i = A + i stride_a,
 * B_i = B + i stride_b (a stride of 0 broadcasts one matrix), C_i = C + i m n. k > 0. */
void gemm_batched(const float *a, const float *b, const float *bias, float *c, int64_t batch, int m, int n, int k,
                  int trans_a, int trans_b, int64_t stride_a, int64_t stride_b) {
  gemm_job job = {a, b, bias, c, batch, stride_a, stride_b, m, n, k, trans_a, trans_b};
  const int parallel = (int64_t)m * n * k * batch >= SMALL_GEMM;
  /* One right-hand matrix for every slice: the slices stack into one tall product. */
  const int stacked = batch > 1 && stride_b == 0 && !trans_a && stride_a == (int64_t)m * k;
  if ((batch == 1 || stacked) && m > 1) run_parts(row_part, &job, batch * m, parallel);
  else run_parts(slice_part, &job, batch, parallel);
}
