/* Batched, transposed and broadcast matrix products on the system BLAS, which threads them itself. */
#include "kernels.h"

static void gemm_run(const float *a, const float *b, float *c, int64_t batch, int m, int n, int k, int trans_a,
                     int trans_b, int64_t stride_a, int64_t stride_b, float beta);

/* c (n) = a (k) op(B) + beta c for one row a, as decoding a token does for every weight matrix. OpenBLAS
 * 0.3.21 runs such products as full GEMMs, which first pack a copy of B; this streams B once. */
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

#ifndef SMALL_GEMM
#define SMALL_GEMM 4000000
#endif

/* For each slice i: C_i (m x n) = op(A_i) op(B_i) + beta C_i, row-major, A_i = A + i stride_a,
 * B_i = B + i stride_b (a stride of 0 broadcasts one matrix), C_i = C + i m n. */
void gemm_batched(const float *a, const float *b, float *c, int64_t batch, int m, int n, int k, int trans_a,
                  int trans_b, int64_t stride_a, int64_t stride_b, float beta) {
  /* Small products (decoding a token) on one thread: the second would have to be woken for each. */
  const int threads = (int64_t)m * n * k * batch < SMALL_GEMM ? blas_single() : -1;
  gemm_run(a, b, c, batch, m, n, k, trans_a, trans_b, stride_a, stride_b, beta);
  if (threads >= 0) blas_restore(threads);
}

static void gemm_run(const float *a, const float *b, float *c, int64_t batch, int m, int n, int k, int trans_a,
                     int trans_b, int64_t stride_a, int64_t stride_b, float beta) {
  if (m == 1) {
    for (int64_t i = 0; i < batch; i++) row_times_matrix(a + i * stride_a, b + i * stride_b, c + i * n, n, k, trans_b, beta);
    return;
  }
  const int lda = trans_a ? m : k, ldb = trans_b ? k : n;
  const enum CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans, tb = trans_b ? CblasTrans : CblasNoTrans;
  if (stride_b == 0 && !trans_a && batch > 1 && stride_a == (int64_t)m * k) {
    /* One right-hand matrix for every slice: the slices stack into one tall GEMM. */
    cblas_sgemm(CblasRowMajor, ta, tb, (int)(batch * m), n, k, 1.0f, a, lda, b, ldb, beta, c, n);
    return;
  }
  for (int64_t i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a + i * stride_a, lda, b + i * stride_b, ldb, beta, c + i * (int64_t)m * n, n);
  }
}
