/* Softmax cross-entropy over a vocabulary in one pass each way: the composite's max, softmax, log, one-hot,
 * products and sums over the (tokens, V) logits become one read of the logits forward (which keeps the
 * probabilities) and one write of their gradient backward. Rows split over the pool; the loss is summed
 * per chunk of REDUCE_ROWS rows in double and the chunks added in order, the same on any thread count. */
#include "kernels.h"
#include <math.h>
#include <stdlib.h>

typedef struct {
  const float *logits, *probs, *weights;
  const int32_t *targets;
  float *probs_out, *dlogits;
  double *chunk_loss;
  int64_t rows, vocab;
  float dy;
} ce_job;

VECTORIZED static void forward_rows(const ce_job *j, int64_t chunk) {
  const int64_t V = j->vocab;
  const int64_t begin = chunk * REDUCE_ROWS, end = begin + REDUCE_ROWS < j->rows ? begin + REDUCE_ROWS : j->rows;
  double loss = 0.0;
  for (int64_t r = begin; r < end; r++) {
    const float *restrict x = j->logits + r * V;
    float *restrict p = j->probs_out + r * V;
    float max;
    const float sum = exp_minus_max(x, p, V, &max);
    const float inv = 1.0f / sum;
    for (int64_t c = 0; c < V; c++) p[c] *= inv;
    const int32_t t = j->targets[r];
    /* Ignored rows (target < 0 or masked) have weight 0 and no target to look up. */
    if (t >= 0 && t < V && j->weights[r] != 0.0f) loss += (double)j->weights[r] * ((double)max + log((double)sum) - (double)x[t]);
  }
  j->chunk_loss[chunk] = loss;
}

static void forward_chunks(void *arg, int64_t begin, int64_t end, int part) {
  (void)part;
  for (int64_t chunk = begin; chunk < end; chunk++) forward_rows((const ce_job *)arg, chunk);
}

VECTORIZED static void backward_rows(void *arg, int64_t begin, int64_t end, int part) {
  (void)part;
  const ce_job *j = (const ce_job *)arg;
  const int64_t V = j->vocab;
  for (int64_t r = begin; r < end; r++) {
    const float *restrict p = j->probs + r * V;
    float *restrict d = j->dlogits + r * V;
    const float scale = j->weights[r] * j->dy;
    for (int64_t c = 0; c < V; c++) d[c] = p[c] * scale;
    const int32_t t = j->targets[r];
    if (t >= 0 && t < V) d[t] = (p[t] - 1.0f) * scale;
  }
}

/* loss = sum_r weights[r] * (logsumexp(logits[r]) - logits[r][targets[r]]); probs = softmax(logits).
 * Returns -1 without memory. */
int cross_entropy_forward(const float *logits, const int32_t *targets, const float *weights, float *probs, float *loss,
                          int64_t rows, int64_t vocab) {
  const int64_t chunks = reduce_chunks(rows);
  double *chunk_loss = calloc((size_t)chunks, sizeof(double));
  if (!chunk_loss) return -1;
  ce_job job = {.logits = logits, .targets = targets, .weights = weights, .probs_out = probs, .chunk_loss = chunk_loss, .rows = rows, .vocab = vocab};
  run_parts(forward_chunks, &job, chunks, rows * vocab >= PARALLEL_ELEMENTS);
  double total = 0.0;
  for (int64_t p = 0; p < chunks; p++) total += chunk_loss[p];
  *loss = (float)total;
  free(chunk_loss);
  return 0;
}

/* dlogits = (probs - onehot(targets)) * weights * dy. */
void cross_entropy_backward(const float *probs, const int32_t *targets, const float *weights, float dy, float *dlogits,
                            int64_t rows, int64_t vocab) {
  ce_job job = {.probs = probs, .targets = targets, .weights = weights, .dlogits = dlogits, .vocab = vocab, .dy = dy};
  run_parts(backward_rows, &job, rows, rows * vocab >= PARALLEL_ELEMENTS);
}
