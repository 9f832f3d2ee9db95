/* The AdamW update of one parameter in a single pass, its elements split over the thread pool. */
#include "kernels.h"
#include <math.h>

typedef struct {
  const float *p, *g, *m, *v, *consts;
  float *p_out, *m_out, *v_out;
} adamw_job;

/* consts = beta1, 1-beta1, beta2, 1-beta2, decay (1 - lr*wd, or 1), sqrt(bias correction 2), eps, step
 * size. Every operation rounds to float32 in the order of optim.ts's composite (no FMA: -std=c11 turns
 * contraction off), so the result is bit-identical to the tfjs ops it replaces. */
static void adamw_range(void *arg, int64_t begin, int64_t end, int part) {
  (void)part;
  const adamw_job *j = (const adamw_job *)arg;
  const float *c = j->consts;
  const float beta1 = c[0], one_minus_beta1 = c[1], beta2 = c[2], one_minus_beta2 = c[3];
  const float decay = c[4], sqrt_bc2 = c[5], eps = c[6], step_size = c[7];
  for (int64_t i = begin; i < end; i++) {
    const float gi = j->g[i];
    const float m1 = j->m[i] * beta1 + gi * one_minus_beta1;
    const float v1 = j->v[i] * beta2 + (gi * gi) * one_minus_beta2;
    const float denom = sqrtf(v1) / sqrt_bc2 + eps;
    const float decayed = decay == 1.0f ? j->p[i] : j->p[i] * decay;
    j->p_out[i] = decayed - (m1 / denom) * step_size;
    j->m_out[i] = m1;
    j->v_out[i] = v1;
  }
}

void adamw_update(const float *p, const float *g, const float *m, const float *v, float *p_out, float *m_out,
                  float *v_out, int64_t count, const float *consts) {
  adamw_job job = {p, g, m, v, consts, p_out, m_out, v_out};
  run_parts(adamw_range, &job, count, count >= PARALLEL_ELEMENTS);
}
