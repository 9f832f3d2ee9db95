/* LayerNorm over the last axis and its gradient, column sums (bias gradients) and sums of squares
 * (the gradient norm): one pass each
 * where composite ops make several. Gradients of weights and biases are
 * summed per thread and added in a fixed order, so they repeat exactly. */
#include "kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const float *x, *w, *b, *dy, *mean, *rstd;
  float *y, *mean_out, *rstd_out, *dx;
  float *dw[2], *db[2];
  int cols;
  float eps;
} layer_norm_job;

VECTORIZED static void forward_rows(void *arg, int64_t begin, int64_t end) {
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
VECTORIZED static void backward_rows(void *arg, int64_t begin, int64_t end) {
  const layer_norm_job *j = (const layer_norm_job *)arg;
  const int C = j->cols;
  const float *restrict w = j->w;
  float *restrict dw = j->dw[begin == 0 ? 0 : 1], *restrict db = j->db[begin == 0 ? 0 : 1];
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
  run_halves(forward_rows, &job, rows, rows * cols >= PARALLEL_ELEMENTS);
}

/* Returns -1 without memory for the second thread's sums. */
int layer_norm_backward(const float *dy, const float *x, const float *w, const float *mean, const float *rstd,
                        float *dx, float *dw, float *db, int64_t rows, int cols) {
  const int parallel = rows > 1 && rows * cols >= PARALLEL_ELEMENTS;
  float *second = parallel ? calloc(2 * (size_t)cols, sizeof(float)) : NULL;
  if (parallel && !second) return -1;
  memset(dw, 0, sizeof(float) * cols);
  memset(db, 0, sizeof(float) * cols);
  layer_norm_job job = {.x = x, .w = w, .dy = dy, .mean = mean, .rstd = rstd, .dx = dx, .cols = cols,
                        .dw = {dw, second}, .db = {db, second ? second + cols : NULL}};
  /* The range starting at row 0 sums into dw and db directly, the other one into `second`. */
  run_halves(backward_rows, &job, rows, parallel);
  if (second) {
    for (int c = 0; c < cols; c++) {
      dw[c] += second[c];
      db[c] += second[cols + c];
    }
    free(second);
  }
  return 0;
}

typedef struct {
  const float *x;
  double *sums[2];
  int64_t cols;
} column_sum_job;

/* Sums in double: thousands of rows go into each column. */
VECTORIZED static void column_sum_rows(void *arg, int64_t begin, int64_t end) {
  const column_sum_job *j = (const column_sum_job *)arg;
  double *restrict sums = j->sums[begin == 0 ? 0 : 1];
  for (int64_t r = begin; r < end; r++) {
    const float *restrict x = j->x + r * j->cols;
    for (int64_t c = 0; c < j->cols; c++) sums[c] += x[c];
  }
}

/* out (cols) = the sum of x's rows; -1 without memory. The bias gradient of a linear layer. */
int column_sum(const float *x, float *out, int64_t rows, int64_t cols) {
  const int parallel = rows > 1 && rows * cols >= PARALLEL_ELEMENTS;
  double *sums = calloc((size_t)(parallel ? 2 : 1) * (size_t)cols, sizeof(double));
  if (!sums) return -1;
  column_sum_job job = {x, {sums, sums + cols}, cols};
  run_halves(column_sum_rows, &job, rows, parallel);
  for (int64_t c = 0; c < cols; c++) out[c] = (float)(parallel ? sums[c] + sums[cols + c] : sums[c]);
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
