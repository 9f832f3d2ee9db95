/* LayerNorm over the last axis and its gradient, column sums (bias gradients) and sums of squares
 * (the gradient norm): one pass each where composite ops make several. Gradients of weights and biases
 * are summed per part of the rows and the parts added in a fixed order, so they repeat exactly. */
#include "kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const float *x, *w, *b, *dy, *mean, *rstd;
  float *y, *mean_out, *rstd_out, *dx;
  float *partials; /* per part: cols weight-gradient sums, then cols bias-gradient sums */
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
VECTORIZED static void backward_rows(void *arg, int64_t begin, int64_t end, int part) {
  const layer_norm_job *j = (const layer_norm_job *)arg;
  const int C = j->cols;
  const float *restrict w = j->w;
  float *restrict dw = j->partials + (int64_t)part * 2 * C, *restrict db = dw + C;
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

void layer_norm_forward(const float *x, const float *w, const float *b, float *y, float *mean, float *rstd,
                        int64_t rows, int cols, float eps) {
  layer_norm_job job = {.x = x, .w = w, .b = b, .y = y, .mean_out = mean, .rstd_out = rstd, .cols = cols, .eps = eps};
  run_parts(forward_rows, &job, rows, rows * cols >= PARALLEL_ELEMENTS);
}

/* Returns -1 without memory for the per-part sums. */
int layer_norm_backward(const float *dy, const float *x, const float *w, const float *mean, const float *rstd,
                        float *dx, float *dw, float *db, int64_t rows, int cols) {
  const int parallel = rows * cols >= PARALLEL_ELEMENTS, parts = pool_parts(rows, parallel);
  float *partials = calloc((size_t)parts * 2 * (size_t)cols, sizeof(float));
  if (!partials) return -1;
  layer_norm_job job = {.x = x, .w = w, .dy = dy, .mean = mean, .rstd = rstd, .dx = dx, .cols = cols, .partials = partials};
  run_parts(backward_rows, &job, rows, parallel);
  for (int c = 0; c < cols; c++) {
    float sum_w = 0.0f, sum_b = 0.0f;
    for (int p = 0; p < parts; p++) {
      sum_w += partials[(int64_t)p * 2 * cols + c];
      sum_b += partials[(int64_t)p * 2 * cols + cols + c];
    }
    dw[c] = sum_w;
    db[c] = sum_b;
  }
  free(partials);
  return 0;
}

typedef struct {
  const float *x;
  double *sums; /* cols per part */
  int64_t cols;
} column_sum_job;

/* Sums in double: thousands of rows go into each column. */
VECTORIZED static void column_sum_rows(void *arg, int64_t begin, int64_t end, int part) {
  const column_sum_job *j = (const column_sum_job *)arg;
  double *restrict sums = j->sums + part * j->cols;
  for (int64_t r = begin; r < end; r++) {
    const float *restrict x = j->x + r * j->cols;
    for (int64_t c = 0; c < j->cols; c++) sums[c] += x[c];
  }
}

/* out (cols) = the sum of x's rows; -1 without memory. The bias gradient of a linear layer. */
int column_sum(const float *x, float *out, int64_t rows, int64_t cols) {
  const int parallel = rows * cols >= PARALLEL_ELEMENTS, parts = pool_parts(rows, parallel);
  double *sums = calloc((size_t)parts * (size_t)cols, sizeof(double));
  if (!sums) return -1;
  column_sum_job job = {x, sums, cols};
  run_parts(column_sum_rows, &job, rows, parallel);
  for (int64_t c = 0; c < cols; c++) {
    double total = 0.0;
    for (int p = 0; p < parts; p++) total += sums[p * cols + c];
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
