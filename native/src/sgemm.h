/* tempa's own single-precision GEMM (sgemm.c) and its micro-kernels (micro-kernels.c): the matrix
 * products of the addon without a system BLAS. */
#ifndef TEMPA_SGEMM_H
#define TEMPA_SGEMM_H
#include <stdint.h>

/* c (rows x cols, row stride ldc) = beta c + alpha (A sliver) (B sliver); A sliver element (i, p) at
 * a[i rs_a + p cs_a] (packed: rs_a 1, cs_a MR), all MR rows readable; b: kc x NR packed; scale: {alpha, beta}. */
typedef void (*micro_fn)(int64_t kc, const float *a, int64_t rs_a, int64_t cs_a, const float *b, float *c, int64_t ldc, int rows,
                         int cols, const float *scale);
typedef struct {
  const char *name; /* "avx512", "avx2", "neon", "portable" */
  int mr, nr;
  micro_fn run;
} micro_kernel;

/* The kernel of that name if this CPU runs it (NULL: the best it runs), else NULL. */
const micro_kernel *micro_kernel_named(const char *name);
/* The kernels this CPU runs, best first; returns how many. */
int micro_kernel_list(const micro_kernel **out, int max);

/* Row-major C (m x n) = alpha op(A) op(B) + beta C, as cblas_sgemm(CblasRowMajor, ...), on the calling
 * thread with the given micro-kernel. Each element's k-sum runs in k order, in blocks of a fixed KC, so it
 * does not depend on m, on which rows of C a call covers, or on the thread that runs it. */
void sgemm_with(const micro_kernel *kernel, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                const float *b, int ldb, float beta, float *c, int ldc);
#endif
