/* Attention for generation with a KV cache: t new tokens (a prompt, then one per step) attend to the
 * cached keys and values and to each other, causally. One kernel per layer and step replaces the ~18
 * small tfjs ops of the composite path (split, transposes, concats, two matmuls, mask, softmax), whose
 * fixed cost per op dominated decoding. The caches are preallocated and written in place: copying them
 * into a grown tensor at every step cost more than the attention itself. Each batch row decodes into its
 * own slot of the caches, so a row that ends just stops being fed, with nothing copied. Rows of different
 * prompt lengths share one batch left-padded: row b's keys before starts[b] are padding and are skipped,
 * never weighted by 0. Scores are dot products over the head, which beats a BLAS call per (batch, head)
 * at these sizes. */
#include "kernels.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
  const attention_shape *s; /* batch = rows fed now, seq = t, the new tokens */
  int cached, capacity;
  const float *qkv;
  const int32_t *slots, *starts;
  float *y, *k, *v;
  float *scratch; /* keys floats per part */
} cached_job;

VECTORIZED static void attend_slices(void *arg, int64_t begin, int64_t end, int part) {
  const cached_job *job = (const cached_job *)arg;
  const attention_shape *s = job->s;
  const int t = s->seq, hs = s->head_size, C = s->heads * hs, ld = 3 * C, keys = job->cached + t;
  float *restrict scores = job->scratch + (int64_t)part * keys;
  for (int64_t slice = begin; slice < end; slice++) {
    const int64_t b = slice / s->heads, h = slice % s->heads, cache = (int64_t)job->slots[b] * s->heads + h;
    const float *q = job->qkv + b * t * ld + h * hs;
    const int start = job->starts[b];
    float *restrict k = job->k + cache * job->capacity * hs, *restrict v = job->v + cache * job->capacity * hs;
    for (int i = 0; i < t; i++) {
      memcpy(k + (int64_t)(job->cached + i) * hs, q + (int64_t)i * ld + C, sizeof(float) * hs);
      memcpy(v + (int64_t)(job->cached + i) * hs, q + (int64_t)i * ld + 2 * C, sizeof(float) * hs);
    }
    for (int i = 0; i < t; i++) {
      const float *restrict qi = q + (int64_t)i * ld;
      const int valid = job->cached + i + 1 - start; /* keys start..cached+i */
      float *restrict yi = job->y + (b * t + i) * C + h * hs;
      for (int d = 0; d < hs; d++) yi[d] = 0.0f;
      if (valid <= 0) continue; /* a padding query: nothing to attend to, its output is never read */
      const float *restrict ks = k + (int64_t)start * hs, *restrict vs = v + (int64_t)start * hs;
      for (int j = 0; j < valid; j++) {
        const float *restrict kj = ks + (int64_t)j * hs;
        float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
        for (int d = 0; d < hs; d++) dot += qi[d] * kj[d];
        scores[j] = dot * s->scale;
      }
      float max;
      const float inv = 1.0f / exp_minus_max(scores, scores, valid, &max);
      for (int j = 0; j < valid; j++) {
        const float p = scores[j] * inv;
        const float *restrict vj = vs + (int64_t)j * hs;
        for (int d = 0; d < hs; d++) yi[d] += p * vj[d];
      }
    }
  }
}

/* y (B*t, C) from the new queries, keys and values in qkv (B*t, 3C); row b writes its keys and values
 * into slot slots[b] of k, v (slots*heads, capacity, head_size) at columns cached..cached+t-1 and attends
 * to columns starts[b]..its own. The caller checks slots and starts. Returns -1 without memory. */
int cached_attention(const attention_shape *s, int cached, int capacity, const float *qkv, const int32_t *slots,
                     const int32_t *starts, float *k, float *v, float *y) {
  const int64_t slices = (int64_t)s->batch * s->heads, keys = cached + s->seq;
  const int parallel = slices > 1 && slices * s->seq * keys * s->head_size >= PARALLEL_ELEMENTS;
  cached_job job = {s, cached, capacity, qkv, slots, starts, y, k, v, malloc(sizeof(float) * (size_t)(keys * pool_parts(slices, parallel)))};
  if (!job.scratch) return -1;
  run_parts(attend_slices, &job, slices, parallel);
  free(job.scratch);
  return 0;
}
