/* GELU, GPT-2's tanh form written as x sigmoid(z), z = x (c2 + c1 x^2), and its gradient: one pass each
 * where the composite tfjs ops make ~6 and ~13 passes over the (tokens, 4C) activations. */
#include "kernels.h"

typedef struct {
  const float *x, *dy;
  float *out;
  float c1, c2;
} gelu_job;

VECTORIZED static void gelu_forward_range(void *arg, int64_t begin, int64_t end, int part) {
  (void)part;
  const gelu_job *j = (const gelu_job *)arg;
  const float *restrict x = j->x;
  float *restrict y = j->out;
  const float c1 = j->c1, c2 = j->c2;
  for (int64_t i = begin; i < end; i++) {
    const float xi = x[i];
    y[i] = xi / (1.0f + exp_poly(-(xi * (xi * xi * c1 + c2))));
  }
}

VECTORIZED static void gelu_backward_range(void *arg, int64_t begin, int64_t end, int part) {
  (void)part;
  const gelu_job *j = (const gelu_job *)arg;
  const float *restrict x = j->x, *restrict dy = j->dy;
  float *restrict dx = j->out;
  const float c1 = j->c1, c2 = j->c2;
  for (int64_t i = begin; i < end; i++) {
    const float xi = x[i], x2 = xi * xi;
    const float s = 1.0f / (1.0f + exp_poly(-(xi * (x2 * c1 + c2))));
    dx[i] = dy[i] * (s + xi * s * (1.0f - s) * (x2 * (3.0f * c1) + c2)); /* d/dx x s(z) */
  }
}

void gelu_forward(const float *x, float *y, int64_t count, float c1, float c2) {
  gelu_job job = {x, NULL, y, c1, c2};
  run_parts(gelu_forward_range, &job, count, count >= PARALLEL_ELEMENTS);
}

void gelu_backward(const float *x, const float *dy, float *dx, int64_t count, float c1, float c2) {
  gelu_job job = {x, dy, dx, c1, c2};
  run_parts(gelu_backward_range, &job, count, count >= PARALLEL_ELEMENTS);
}
