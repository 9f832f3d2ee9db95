/* tempa's GEMM, so the addon needs only a C compiler: the GotoBLAS/BLIS structure (Goto & van de Geijn,
 * "Anatomy of high-performance matrix multiplication", 2008; BLIS's five loops). B is packed in KC x NC
 * panels of NR-wide slivers (kept in L3), A in MC x KC blocks of MR-tall slivers (kept in L2), and the
 * micro-kernel streams one of each from L1. Unlike BLIS, KC is fixed, never fitted to the shape, so a
 * row's k-sum has the same blocks whichever rows and threads share the call. */
#define _POSIX_C_SOURCE 200809L
#include "sgemm.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* KC x NR floats of B (32 KiB at NR 32) plus MR x NR of C fill L1; MC x KC of A (128 KiB) sits in L2;
 * NC x KC of B (2 MiB) in L3. MC and NC change no result, only speed; KC fixes the order of the sums. */
#define KC 256
#define MC 128
#define NC 2048
/* A block is packed when more than this many B slivers reuse it (n > 512 at NR 32); below, the
 * micro-kernel reads A where it lies. Measured in CPU time on the model's shapes here, packing A cost
 * NN and NT 2048x256x1024 a third of their speed (~135 against ~205 GFLOP/s) and helped none. */
#define PACK_A_SLIVERS 16

/* Packing buffers, one per thread: pool threads live as long as the process and reuse theirs; a Node
 * worker thread's is freed when it exits. */
typedef struct {
  float *data;
  size_t floats;
} pack_buffer;
static pthread_key_t buffer_key;
static pthread_once_t buffer_once = PTHREAD_ONCE_INIT;
static void free_buffer(void *p) {
  pack_buffer *buffer = p;
  free(buffer->data);
  free(buffer);
}
static void make_key(void) { pthread_key_create(&buffer_key, free_buffer); }

/* At least `floats` floats, 64-byte aligned; NULL without memory. */
static float *thread_buffer(size_t floats) {
  pthread_once(&buffer_once, make_key);
  pack_buffer *buffer = pthread_getspecific(buffer_key);
  if (!buffer) {
    if (!(buffer = calloc(1, sizeof *buffer))) return NULL;
    pthread_setspecific(buffer_key, buffer);
  }
  if (buffer->floats < floats) {
    free(buffer->data);
    buffer->floats = 0;
    buffer->data = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
    if (!buffer->data) return NULL;
    buffer->floats = floats;
  }
  return buffer->data;
}

/* op(A) rows i0.. (mc of them), columns p0.. (kc), as MR-tall slivers: sliver s holds, for each p, the MR
 * values of its rows (zeros past mc). Loops read A along its rows, where its values lie side by side. */
static void pack_a(const float *a, int lda, int trans, int i0, int mc, int p0, int kc, int mr, float *restrict out) {
  for (int s = 0; s < mc; s += mr, out += (int64_t)kc * mr) {
    const int rows = mc - s < mr ? mc - s : mr;
    if (trans) { /* op(A)(i, p) = A[p][i] */
      for (int p = 0; p < kc; p++) {
        const float *src = a + (int64_t)(p0 + p) * lda + i0 + s;
        for (int i = 0; i < rows; i++) out[(int64_t)p * mr + i] = src[i];
        for (int i = rows; i < mr; i++) out[(int64_t)p * mr + i] = 0.0f;
      }
      continue;
    }
    for (int i = 0; i < mr; i++) {
      const float *src = a + (int64_t)(i0 + s + i) * lda + p0;
      for (int p = 0; p < kc; p++) out[(int64_t)p * mr + i] = i < rows ? src[p] : 0.0f;
    }
  }
}

/* op(B) rows p0.. (kc), columns j0.. (nc), as NR-wide slivers: sliver s holds, for each p, NR values of
 * row p (zeros past nc). */
static void pack_b(const float *b, int ldb, int trans, int p0, int kc, int j0, int nc, int nr, float *restrict out) {
  for (int s = 0; s < nc; s += nr, out += (int64_t)kc * nr) {
    const int cols = nc - s < nr ? nc - s : nr;
    if (trans) { /* op(B)(p, j) = B[j][p]: read B's rows, write the sliver's columns */
      for (int j = 0; j < nr; j++) {
        const float *src = b + (int64_t)(j0 + s + j) * ldb + p0;
        for (int p = 0; p < kc; p++) out[(int64_t)p * nr + j] = j < cols ? src[p] : 0.0f;
      }
      continue;
    }
    for (int p = 0; p < kc; p++) {
      float *restrict dst = out + (int64_t)p * nr;
      memcpy(dst, b + (int64_t)(p0 + p) * ldb + j0 + s, sizeof(float) * (size_t)cols);
      for (int j = cols; j < nr; j++) dst[j] = 0.0f;
    }
  }
}

/* C = beta C (k == 0: no product to add; beta 0 clears C without reading it). */
static void scale_c(float *c, int ldc, int m, int n, float beta) {
  for (int i = 0; i < m; i++) {
    float *row = c + (int64_t)i * ldc;
    for (int j = 0; j < n; j++) row[j] = beta == 0.0f ? 0.0f : beta * row[j];
  }
}

static int round_up(int x, int to) { return (x + to - 1) / to * to; }

void sgemm_with(const micro_kernel *kernel, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                const float *b, int ldb, float beta, float *c, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) {
    scale_c(c, ldc, m, n, beta);
    return;
  }
  const int mr = kernel->mr, nr = kernel->nr, mc_max = round_up(MC, mr);
  const int nc_max = n < NC ? round_up(n, nr) : NC, kc_max = k < KC ? k : KC;
  /* Unpacked, A's last sliver is still packed when short, as the kernel reads all MR rows. */
  const int pack_all_a = n > PACK_A_SLIVERS * nr;
  const int mc_alloc = pack_all_a ? (m < mc_max ? round_up(m, mr) : mc_max) : mr;
  float *packed = thread_buffer((size_t)kc_max * ((size_t)nc_max + (size_t)mc_alloc));
  if (!packed) abort(); /* a few MiB at most; the kernels' other scratch is checked by their callers */
  float *packed_b = packed, *packed_a = packed + (size_t)kc_max * nc_max;
  const int64_t rs_a = trans_a ? 1 : lda, cs_a = trans_a ? lda : 1; /* op(A)(i, p) at a[i rs_a + p cs_a] */
  for (int j0 = 0; j0 < n; j0 += NC) {
    const int nc = n - j0 < NC ? n - j0 : NC;
    for (int p0 = 0; p0 < k; p0 += KC) {
      const int kc = k - p0 < KC ? k - p0 : KC;
      const float scale[2] = {alpha, p0 == 0 ? beta : 1.0f}; /* later k blocks add onto the first */
      pack_b(b, ldb, trans_b, p0, kc, j0, nc, nr, packed_b);
      for (int i0 = 0; i0 < m; i0 += mc_max) {
        const int mc = m - i0 < mc_max ? m - i0 : mc_max;
        if (pack_all_a) pack_a(a, lda, trans_a, i0, mc, p0, kc, mr, packed_a);
        else if (mc % mr) pack_a(a, lda, trans_a, i0 + mc / mr * mr, mc % mr, p0, kc, mr, packed_a);
        for (int js = 0; js < nc; js += nr) {
          const int cols = nc - js < nr ? nc - js : nr;
          const float *bs = packed_b + (int64_t)(js / nr) * kc * nr;
          for (int is = 0; is < mc; is += mr) {
            const int rows = mc - is < mr ? mc - is : mr;
            float *cs = c + (int64_t)(i0 + is) * ldc + j0 + js;
            if (pack_all_a) kernel->run(kc, packed_a + (int64_t)(is / mr) * kc * mr, 1, mr, bs, cs, ldc, rows, cols, scale);
            else if (rows < mr) kernel->run(kc, packed_a, 1, mr, bs, cs, ldc, rows, cols, scale);
            else kernel->run(kc, a + (i0 + is) * rs_a + p0 * cs_a, rs_a, cs_a, bs, cs, ldc, rows, cols, scale);
          }
        }
      }
    }
  }
}
