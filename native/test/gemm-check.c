/* tempa's GEMM checked in C, so it can run on another architecture under an emulator (CI cross-builds the
 * NEON kernel for AArch64 and runs it under qemu where both are installed): every micro-kernel against a
 * double reference on odd shapes, transposes, padded rows, alpha and beta, and C's rows split in three
 * parts as the thread pool splits them giving the same bits as one call. Exits 1 on any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "sgemm.h"
static float rnd(unsigned *s) { *s = *s * 1664525u + 1013904223u; return (float)(*s >> 8) / (1 << 23) - 1.0f; }
int main(void) {
  const micro_kernel *ks[8]; int nk = micro_kernel_list(ks, 8);
  int sizes[] = {1, 3, 17, 63, 129, 257}; int fails = 0; unsigned seed = 1;
  for (int x = 0; x < nk; x++) {
    double worst = 0; int cases = 0;
    for (int mi = 0; mi < 6; mi++) for (int ni = 0; ni < 6; ni++) for (int t = 0; t < 4; t++) {
      int m = sizes[mi], n = sizes[ni], k = sizes[(mi + ni + t) % 6], ta = t & 1, tb = t >> 1, pad = cases % 2 ? 3 : 0;
      float alpha = (cases % 3 == 0) ? 1.0f : -1.5f, beta = (cases % 4 == 0) ? 0.0f : 0.5f;
      int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
      int ar = ta ? k : m, br = tb ? n : k;
      float *a = malloc(4L * ar * lda), *b = malloc(4L * br * ldb), *c = malloc(4L * m * ldc), *c0 = malloc(4L * m * ldc), *c2 = malloc(4L * m * ldc);
      for (long i = 0; i < (long)ar * lda; i++) a[i] = rnd(&seed);
      for (long i = 0; i < (long)br * ldb; i++) b[i] = rnd(&seed);
      for (long i = 0; i < (long)m * ldc; i++) c0[i] = rnd(&seed);
      memcpy(c, c0, 4L * m * ldc); memcpy(c2, c0, 4L * m * ldc);
      sgemm_with(ks[x], ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      /* the same rows in three parts, as three threads would take them */
      int cuts[4] = {0, m / 3, 2 * m / 3, m};
      for (int p = 0; p < 3; p++) {
        int r0 = cuts[p], rows = cuts[p + 1] - cuts[p];
        if (rows > 0) sgemm_with(ks[x], ta, tb, rows, n, k, alpha, ta ? a + r0 : a + (long)r0 * lda, lda, b, ldb, beta, c2 + (long)r0 * ldc, ldc);
      }
      if (memcmp(c, c2, 4L * m * ldc)) { printf("%s: split differs m%d n%d k%d t%d\n", ks[x]->name, m, n, k, t); fails++; }
      for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
        double s = 0, mag = 0;
        for (int p = 0; p < k; p++) { double v = (double)(ta ? a[(long)p * lda + i] : a[(long)i * lda + p]) * (tb ? b[(long)j * ldb + p] : b[(long)p * ldb + j]); s += v; mag += fabs(v); }
        double want = alpha * s + beta * c0[(long)i * ldc + j], bound = (k + 2) * 1.2e-7 * (fabs(alpha) * mag + fabs(beta * c0[(long)i * ldc + j])) + 1e-30;
        double e = fabs(c[(long)i * ldc + j] - want) / bound; if (!(e <= worst)) worst = e;
      }
      for (int i = 0; i < m; i++) for (int j = n; j < ldc; j++) if (c[(long)i * ldc + j] != c0[(long)i * ldc + j]) { printf("pad written\n"); fails++; }
      free(a); free(b); free(c); free(c0); free(c2); cases++;
    }
    printf("%s (%dx%d): %d cases, worst error %.3f of bound\n", ks[x]->name, ks[x]->mr, ks[x]->nr, cases, worst);
    if (!(worst <= 1)) fails++;
  }
  printf(fails ? "FAIL %d\n" : "OK\n", fails);
  return fails != 0;
}
