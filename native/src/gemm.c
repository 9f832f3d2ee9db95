/* Batched, transposed and broadcast matrix products on the system BLAS, which threads them itself. */
#include "kernels.h"

/* For each slice i: C_i (m x n) = op(A_i) op(B_i) + beta C_i, row-major, A_i = A + i stride_a,
 * B_i = B + i stride_b (a stride of 0 broadcasts one matrix), C_i = C + i m n. */
void gemm_batched(const float *a, const float *b, float *c, int64_t batch, int m, int n, int k, int trans_a,
                  int trans_b, int64_t stride_a, int64_t stride_b, float beta) {
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
