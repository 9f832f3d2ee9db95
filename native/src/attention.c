/* Causal multi-head attention in one kernel each way, reading queries, keys and values in place from the
 * c_attn output (tokens, 3C) and writing heads already merged (tokens, C): no split, no transposes, and
 * the softmax and its gradient fused between the GEMMs. Queries go in blocks of BLOCK rows, and a block
 * multiplies only the keys at or before its last row, so ~40% of the work above the causal diagonal is
 * skipped (PyTorch's flash attention skips it too). Each thread takes whole (batch, head) slices, which
 * keeps a slice's (T, T) scores in its core's cache, and runs its GEMMs on its own thread. */
#include "kernels.h"
#include <stdlib.h>
#include <string.h>

#define BLOCK 64

VECTORIZED static void softmax_causal_rows(float *p, int rows, int first, int seq) {
  for (int i = 0; i < rows; i++) {
    float *restrict row = p + (int64_t)i * seq;
    const int valid = first + i + 1;
    float max;
    const float inv = 1.0f / exp_minus_max(row, row, valid, &max);
    for (int j = 0; j < valid; j++) row[j] *= inv;
    for (int j = valid; j < seq; j++) row[j] = 0.0f;
  }
}

/* dS = P (dP - rowsum(dP P)), in place over dP; the masked entries become 0. */
VECTORIZED static void softmax_causal_backward_rows(float *ds, const float *p, int rows, int first, int keys, int seq) {
  for (int i = 0; i < rows; i++) {
    float *restrict d = ds + (int64_t)i * seq;
    const float *restrict pr = p + (int64_t)i * seq;
    const int valid = first + i + 1;
    float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
    for (int j = 0; j < valid; j++) dot += d[j] * pr[j];
    for (int j = 0; j < valid; j++) d[j] = pr[j] * (d[j] - dot);
    for (int j = valid; j < keys; j++) d[j] = 0.0f;
  }
}

typedef struct {
  const attention_shape *s;
  const float *qkv, *probs, *dy;
  float *y, *probs_out, *dqkv;
  float *scratch; /* BLOCK x seq floats per part */
} attention_job;

/* Where slice `slice` (= batch * heads + head) finds its queries and its row of the merged output. */
#define SLICE_POINTERS                                                                      \
  const int C = s->heads * s->head_size, ld = 3 * C, T = s->seq, hs = s->head_size;        \
  const int64_t b = slice / s->heads, h = slice % s->heads;                                 \
  const int64_t q_at = b * T * ld + h * hs, o_at = b * T * C + h * hs, p_at = slice * T * T

static void forward_slices(void *arg, int64_t begin, int64_t end, int part) {
  (void)part;
  const attention_job *job = (const attention_job *)arg;
  const attention_shape *s = job->s;
  for (int64_t slice = begin; slice < end; slice++) {
    SLICE_POINTERS;
    const float *q = job->qkv + q_at, *k = q + C, *v = q + 2 * C;
    float *p = job->probs_out + p_at, *o = job->y + o_at;
    for (int r0 = 0; r0 < T; r0 += BLOCK) {
      const int rows = T - r0 < BLOCK ? T - r0 : BLOCK, keys = r0 + rows;
      float *pb = p + (int64_t)r0 * T;
      sgemm(0, 1, rows, keys, hs, s->scale, q + (int64_t)r0 * ld, ld, k, ld, 0.0f, pb, T);
      softmax_causal_rows(pb, rows, r0, T);
      sgemm(0, 0, rows, hs, keys, 1.0f, pb, T, v, ld, 0.0f, o + (int64_t)r0 * C, C);
    }
  }
}

static void backward_slices(void *arg, int64_t begin, int64_t end, int part) {
  const attention_job *job = (const attention_job *)arg;
  const attention_shape *s = job->s;
  float *ds = job->scratch + (int64_t)part * BLOCK * s->seq;
  for (int64_t slice = begin; slice < end; slice++) {
    SLICE_POINTERS;
    const float *q = job->qkv + q_at, *k = q + C, *v = q + 2 * C, *p = job->probs + p_at, *dout = job->dy + o_at;
    float *dq = job->dqkv + q_at, *dk = dq + C, *dv = dq + 2 * C;
    for (int t = 0; t < T; t++) {
      memset(dk + (int64_t)t * ld, 0, sizeof(float) * hs);
      memset(dv + (int64_t)t * ld, 0, sizeof(float) * hs);
    }
    for (int r0 = 0; r0 < T; r0 += BLOCK) {
      const int rows = T - r0 < BLOCK ? T - r0 : BLOCK, keys = r0 + rows;
      const float *pb = p + (int64_t)r0 * T, *qb = q + (int64_t)r0 * ld, *dob = dout + (int64_t)r0 * C;
      sgemm(0, 1, rows, keys, hs, 1.0f, dob, C, v, ld, 0.0f, ds, T); /* dP */
      softmax_causal_backward_rows(ds, pb, rows, r0, keys, T);
      sgemm(0, 0, rows, hs, keys, s->scale, ds, T, k, ld, 0.0f, dq + (int64_t)r0 * ld, ld);
      sgemm(1, 0, keys, hs, rows, s->scale, ds, T, qb, ld, 1.0f, dk, ld);
      sgemm(1, 0, keys, hs, rows, 1.0f, pb, T, dob, C, 1.0f, dv, ld);
    }
  }
}

static int64_t slices(const attention_shape *s) { return (int64_t)s->batch * s->heads; }

/* Attention does ~4 head_size multiply-adds per score, so it pays for a thread on far fewer scores. */
static int parallel(const attention_shape *s) {
  return slices(s) > 1 && slices(s) * s->seq * s->seq * s->head_size >= PARALLEL_ELEMENTS;
}

/* y (B*T, C) and the attention probabilities (B*heads, T, T), kept for the backward pass. */
void attention_forward(const attention_shape *s, const float *qkv, float *y, float *probs) {
  attention_job job = {s, qkv, NULL, NULL, y, probs, NULL, NULL};
  run_parts(forward_slices, &job, slices(s), parallel(s));
}

/* dqkv (B*T, 3C) from the forward's inputs, its probabilities and dy (B*T, C). Returns -1 without memory. */
int attention_backward(const attention_shape *s, const float *qkv, const float *probs, const float *dy, float *dqkv) {
  attention_job job = {s, qkv, probs, dy, NULL, NULL, dqkv, NULL};
  job.scratch = malloc(sizeof(float) * BLOCK * (size_t)s->seq * (size_t)pool_parts(slices(s), parallel(s)));
  if (!job.scratch) return -1;
  run_parts(backward_slices, &job, slices(s), parallel(s));
  free(job.scratch);
  return 0;
}
