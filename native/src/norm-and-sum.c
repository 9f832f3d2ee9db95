/* LayerNorm over the last axis and its gradient, column sums (bias gradients) and sums of squares
 * (the gradient norm): one pass each where composite ops make several. Gradients of weights and biases
 * are summed per chunk of REDUCE_ROWS rows and the chunks added in order, so they repeat exactly on any
 * number of threads. */
#include "kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const float *x, *w, *b, *dy, *mean, *rstd;
  float *y, *mean_out, *rstd_out, *dx;
  float *partials; /* per chunk: cols weight-gradient sums, then cols bias-gradient sums */
  int64_t rows;
  int cols;
  float eps;
} layer_norm_job;

VECTORIZED static void forward_rows(void *arg, int64_t begin, int64_t end, int part) {
  (void)part;
  const layer_norm_job *j = (const layer_norm_job *)arg;
  const int C = j->cols;
  const float *restrict w = j->w, *restrict bias = j->b;
  for (int64_t r = begin; r < end; r++) {
    const float *restrict x = j->x + r * C;
    float *restrict y = j->y + r * C;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int c = 0; c < C; c++) sum += x[c];
    const float mean = sum / (float)C;
    float squares = 0.0f;
#pragma omp simd reduction(+ : squares)
    for (int c = 0; c < C; c++) squares += (x[c] - mean) * (x[c] - mean);
    const float rstd = 1.0f / sqrtf(squares / (float)C + j->eps);
    for (int c = 0; c < C; c++) y[c] = (x[c] - mean) * rstd * w[c] + bias[c];
    j->mean_out[r] = mean;
    j->rstd_out[r] = rstd;
  }
}

/* dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy w (llm.c layernorm_backward). */
VECTORIZED static void backward_rows(const layer_norm_job *j, int64_t chunk) {
  const int C = j->cols;
  const float *restrict w = j->w;
  float *restrict dw = j->partials + chunk * 2 * C, *restrict db = dw + C;
  const int64_t begin = chunk * REDUCE_ROWS, end = begin + REDUCE_ROWS < j->rows ? begin + REDUCE_ROWS : j->rows;
  for (int64_t r = begin; r < end; r++) {
    const float *restrict x = j->x + r * C, *restrict dy = j->dy + r * C;
    float *restrict dx = j->dx + r * C;
    const float mean = j->mean[r], rstd = j->rstd[r];
    float mean_dxhat = 0.0f, mean_dxhat_xhat = 0.0f;
#pragma omp simd reduction(+ : mean_dxhat, mean_dxhat_xhat)
    for (int c = 0; c < C; c++) {
      const float dxhat = dy[c] * w[c];
      mean_dxhat += dxhat;
      mean_dxhat_xhat += dxhat * ((x[c] - mean) * rstd);
    }
    mean_dxhat /= (float)C;
    mean_dxhat_xhat /= (float)C;
    for (int c = 0; c < C; c++) {
      const float xhat = (x[c] - mean) * rstd;
      dx[c] = rstd * (dy[c] * w[c] - mean_dxhat - xhat * mean_dxhat_xhat);
      dw[c] += dy[c] * xhat;
      db[c] += dy[c];
    }
  }
}

static void backward_chunks(void *arg, int64_t begin, int64_t end, int part) {
  (void)part;
  for (int64_t chunk = begin; chunk < end; chunk++) backward_rows((const layer_norm_job *)arg, chunk);
}

void layer_norm_forward(const float *x, const float *w, const float *b, float *y, float *mean, float *rstd,
                        int64_t rows, int cols, float eps) {
  layer_norm_job job = {.x = x, .w = w, .b = b, .y = y, .mean_out = mean, .rstd_out = rstd, .cols = cols, .eps = eps};
  run_parts(forward_rows, &job, rows, rows * cols >= PARALLEL_ELEMENTS);
}

/* Returns -1 without memory for the per-chunk sums. */
int layer_norm_backward(const float *dy, const float *x, const float *w, const float *mean, const float *rstd,
                        float *dx, float *dw, float *db, int64_t rows, int cols) {
  const int64_t chunks = reduce_chunks(rows);
  float *partials = calloc((size_t)chunks * 2 * (size_t)cols, sizeof(float));
  if (!partials) return -1;
  layer_norm_job job = {.x = x, .w = w, .dy = dy, .mean = mean, .rstd = rstd, .dx = dx, .cols = cols, .partials = partials, .rows = rows};
  run_parts(backward_chunks, &job, chunks, rows * cols >= PARALLEL_ELEMENTS);
  for (int c = 0; c < cols; c++) {
    float sum_w = 0.0f, sum_b = 0.0f;
    for (int64_t p = 0; p < chunks; p++) {
      sum_w += partials[p * 2 * cols + c];
      sum_b += partials[p * 2 * cols + cols + c];
    }
    dw[c] = sum_w;
    db[c] = sum_b;
  }
  free(partials);
  return 0;
}

typedef struct {
  const float *x;
  double *sums; /* cols per chunk */
  int64_t rows, cols;
} column_sum_job;

/* Sums in double: thousands of rows go into each column. */
VECTORIZED static void column_sum_rows(const column_sum_job *j, int64_t chunk) {
  double *restrict sums = j->sums + chunk * j->cols;
  const int64_t begin = chunk * REDUCE_ROWS, end = begin + REDUCE_ROWS < j->rows ? begin + REDUCE_ROWS : j->rows;
  for (int64_t r = begin; r < end; r++) {
    const float *restrict x = j->x + r * j->cols;
    for (int64_t c = 0; c < j->cols; c++) sums[c] += x[c];
  }
}

static void column_sum_chunks(void *arg, int64_t begin, int64_t end, int part) {
  (void)part;
  for (int64_t chunk = begin; chunk < end; chunk++) column_sum_rows((const column_sum_job *)arg, chunk);
}

/* out (cols) = the sum of x's rows; -1 without memory. The bias gradient of a linear layer. */
int column_sum(const float *x, float *out, int64_t rows, int64_t cols) {
  const int64_t chunks = reduce_chunks(rows);
  double *sums = calloc((size_t)chunks * (size_t)cols, sizeof(double));
  if (!sums) return -1;
  column_sum_job job = {x, sums, rows, cols};
  run_parts(column_sum_chunks, &job, chunks, rows * cols >= PARALLEL_ELEMENTS);
  for (int64_t c = 0; c < cols; c++) {
    double total = 0.0;
    for (int64_t p = 0; p < chunks; p++) total += sums[p * cols + c];
    out[c] = (float)total;
  }
  free(sums);
  return 0;
}

/* The sum of squares of x, in double: the global gradient norm adds up millions of them. */
VECTORIZED double sum_squares(const float *x, int64_t count) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < count; i++) sum += (double)x[i] * (double)x[i];
  return sum;
}
