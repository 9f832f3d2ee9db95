/* The AdamW update of one parameter in a single pass. */
#include "kernels.h"
#include <math.h>

/* consts = beta1, 1-beta1, beta2, 1-beta2, decay (1 - lr*wd, or 1), sqrt(bias correction 2), eps, step
 * size. Every operation rounds to float32 in the order of optim.ts's composite (no FMA: -std=c11 turns
 * contraction off), so the result is bit-identical to the tfjs ops it replaces. */
void adamw_update(const float *p, const float *g, const float *m, const float *v, float *p_out, float *m_out,
                  float *v_out, int64_t count, const float *consts) {
  const float beta1 = consts[0], one_minus_beta1 = consts[1], beta2 = consts[2], one_minus_beta2 = consts[3];
  const float decay = consts[4], sqrt_bc2 = consts[5], eps = consts[6], step_size = consts[7];
  for (int64_t i = 0; i < count; i++) {
    const float gi = g[i];
    const float m1 = m[i] * beta1 + gi * one_minus_beta1;
    const float v1 = v[i] * beta2 + (gi * gi) * one_minus_beta2;
    const float denom = sqrtf(v1) / sqrt_bc2 + eps;
    const float decayed = decay == 1.0f ? p[i] : p[i] * decay;
    p_out[i] = decayed - (m1 / denom) * step_size;
    m_out[i] = m1;
    v_out[i] = v1;
  }
}
