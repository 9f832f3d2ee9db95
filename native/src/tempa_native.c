// tempa's native kernels for TensorFlow.js: GEMM through the system BLAS (OpenBLAS on Linux, Accelerate
// on macOS), on float32 data that JavaScript owns (the tfjs wasm heap or any typed array), so nothing is
// copied in or out. Called synchronously from kernel functions; BLAS uses its own threads.
#define _POSIX_C_SOURCE 200809L
#define NAPI_VERSION 8
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#ifdef TEMPA_ACCELERATE
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif

#define CHECK(call)                                                       \
  do {                                                                    \
    if ((call) != napi_ok) {                                              \
      napi_throw_error(env, NULL, "tempa_native: bad arguments to " #call); \
      return NULL;                                                        \
    }                                                                     \
  } while (0)

static int64_t int_arg(napi_env env, napi_value v, int *ok) {
  int64_t out = 0;
  if (napi_get_value_int64(env, v, &out) != napi_ok) *ok = 0;
  return out;
}

/* The bytes behind an ArrayBuffer or a typed array (its own offset applied). */
static char *bytes_of(napi_env env, napi_value v, size_t *length) {
  bool is_typed = false;
  napi_is_typedarray(env, v, &is_typed);
  if (is_typed) {
    napi_typedarray_type type;
    size_t count, offset;
    napi_value buffer;
    void *data;
    if (napi_get_typedarray_info(env, v, &type, &count, &data, &buffer, &offset) != napi_ok) return NULL;
    size_t element = type == napi_float32_array || type == napi_int32_array || type == napi_uint32_array ? 4 : 1;
    *length = count * element;
    return (char *)data;
  }
  void *data;
  if (napi_get_arraybuffer_info(env, v, &data, length) != napi_ok) return NULL;
  return (char *)data;
}

/*
 * gemm(memory, aOffset, bOffset, cOffset, batch, m, n, k, transA, transB, strideA, strideB, beta)
 * For each batch slice i: C_i (m x n) = op(A_i) op(B_i) + beta * C_i, row-major, with
 * A_i = A + i * strideA and B_i = B + i * strideB (strides in elements; 0 broadcasts one matrix).
 * Offsets are in bytes into `memory`; bounds are checked so a bad call throws instead of corrupting memory.
 */
static napi_value gemm(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 13) {
    napi_throw_error(env, NULL, "tempa_native.gemm expects 13 arguments");
    return NULL;
  }
  size_t length = 0;
  char *base = bytes_of(env, argv[0], &length);
  int ok = 1;
  int64_t a_off = int_arg(env, argv[1], &ok), b_off = int_arg(env, argv[2], &ok), c_off = int_arg(env, argv[3], &ok);
  int64_t batch = int_arg(env, argv[4], &ok), m = int_arg(env, argv[5], &ok), n = int_arg(env, argv[6], &ok), k = int_arg(env, argv[7], &ok);
  bool trans_a = false, trans_b = false;
  double beta = 0;
  napi_get_value_bool(env, argv[8], &trans_a);
  napi_get_value_bool(env, argv[9], &trans_b);
  int64_t stride_a = int_arg(env, argv[10], &ok), stride_b = int_arg(env, argv[11], &ok);
  napi_get_value_double(env, argv[12], &beta);
  if (!base || !ok || batch < 0 || m < 0 || n < 0 || k < 0 || stride_a < 0 || stride_b < 0 || a_off < 0 || b_off < 0 || c_off < 0) {
    napi_throw_error(env, NULL, "tempa_native.gemm: invalid arguments");
    return NULL;
  }
  if (batch == 0 || m == 0 || n == 0) return NULL;
  int64_t a_end = a_off + 4 * ((batch - 1) * stride_a + m * k);
  int64_t b_end = b_off + 4 * ((batch - 1) * stride_b + k * n);
  int64_t c_end = c_off + 4 * batch * m * n;
  if (a_end > (int64_t)length || b_end > (int64_t)length || c_end > (int64_t)length) {
    napi_throw_range_error(env, NULL, "tempa_native.gemm: operand outside memory");
    return NULL;
  }
  float *a = (float *)(base + a_off), *b = (float *)(base + b_off), *c = (float *)(base + c_off);
  if (k == 0) {
    if (beta == 0) memset(c, 0, (size_t)(4 * batch * m * n));
    return NULL;
  }
  const int lda = trans_a ? (int)m : (int)k, ldb = trans_b ? (int)k : (int)n;
  const enum CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans, tb = trans_b ? CblasTrans : CblasNoTrans;
  if (stride_b == 0 && !trans_a && batch > 1 && stride_a == m * k) {
    /* One right-hand matrix for every slice: the slices stack into one tall GEMM. */
    cblas_sgemm(CblasRowMajor, ta, tb, (int)(batch * m), (int)n, (int)k, 1.0f, a, lda, b, ldb, (float)beta, c, (int)n);
    return NULL;
  }
  for (int64_t i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, 1.0f, a + i * stride_a, lda, b + i * stride_b, ldb, (float)beta, c + i * m * n, (int)n);
  }
  return NULL;
}

/*
 * adamw(memory, pOff, gOff, mOff, vOff, pOut, mOut, vOut, count, consts: Float32Array[9])
 * One AdamW update of `count` floats, written to the three outputs. consts = beta1, 1-beta1, beta2,
 * 1-beta2, decay (1 - lr*wd, or 1), sqrt(bias correction 2), eps, step size, unused. Every operation
 * rounds to float32 in the order of optim.ts's composite (no FMA: -std=c11 turns contraction off),
 * so the result is bit-identical to the tfjs ops it replaces.
 */
static napi_value adamw(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 10) {
    napi_throw_error(env, NULL, "tempa_native.adamw expects 10 arguments");
    return NULL;
  }
  size_t length = 0, consts_length = 0;
  char *base = bytes_of(env, argv[0], &length);
  float *c = (float *)bytes_of(env, argv[9], &consts_length);
  int ok = 1;
  int64_t off[7];
  for (int i = 0; i < 7; i++) off[i] = int_arg(env, argv[1 + i], &ok);
  int64_t count = int_arg(env, argv[8], &ok);
  if (!base || !c || consts_length < 36 || !ok || count < 0) {
    napi_throw_error(env, NULL, "tempa_native.adamw: invalid arguments");
    return NULL;
  }
  for (int i = 0; i < 7; i++) {
    if (off[i] < 0 || off[i] + 4 * count > (int64_t)length) {
      napi_throw_range_error(env, NULL, "tempa_native.adamw: operand outside memory");
      return NULL;
    }
  }
  const float *p = (const float *)(base + off[0]), *g = (const float *)(base + off[1]);
  const float *m = (const float *)(base + off[2]), *v = (const float *)(base + off[3]);
  float *p_out = (float *)(base + off[4]), *m_out = (float *)(base + off[5]), *v_out = (float *)(base + off[6]);
  const float beta1 = c[0], one_minus_beta1 = c[1], beta2 = c[2], one_minus_beta2 = c[3], decay = c[4], sqrt_bc2 = c[5], eps = c[6], step_size = c[7];
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
  return NULL;
}

/*
 * GELU, GPT-2's tanh form written as x * sigmoid(z), z = x (c2 + c1 x^2), and its gradient: one pass
 * each where the composite tfjs ops make ~6 and ~13 passes over the (tokens, 4C) activations. exp is
 * a range-reduced polynomial (relative error ~1e-7), branch-free so GCC vectorises the loops; the
 * AVX-512 and AVX2 versions are picked at run time. Two threads take one half each.
 */
static inline __attribute__((always_inline)) float exp_poly(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float t = x * 1.44269504088896341f;
  /* t + 128.5 > 0, so truncation rounds t to the nearest integer without a branch. */
  const int32_t ni = (int32_t)(t + 128.5f) - 128;
  const float n = (float)ni;
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  union { int32_t i; float f; } scale;
  scale.i = (ni + 127) << 23;
  return p * scale.f;
}

#define GELU_BODY(ATTR)                                                                                    \
  ATTR static void gelu_loop_##ATTR##_(const float *restrict x, const float *restrict dy, float *restrict out, \
                                      int64_t count, float c1, float c2) {                                 \
    if (dy == NULL) {                                                                                      \
      for (int64_t i = 0; i < count; i++) {                                                                \
        const float xi = x[i];                                                                             \
        out[i] = xi / (1.0f + exp_poly(-(xi * (xi * xi * c1 + c2))));                                      \
      }                                                                                                    \
    } else {                                                                                               \
      for (int64_t i = 0; i < count; i++) {                                                                \
        const float xi = x[i], x2 = xi * xi;                                                               \
        const float s = 1.0f / (1.0f + exp_poly(-(xi * (x2 * c1 + c2))));                                  \
        out[i] = dy[i] * (s + xi * s * (1.0f - s) * (x2 * (3.0f * c1) + c2));                              \
      }                                                                                                    \
    }                                                                                                      \
  }

#define PLAIN
GELU_BODY(PLAIN)
#if defined(__x86_64__) && defined(__GNUC__)
#define AVX512 __attribute__((target("avx512f")))
#define AVX2 __attribute__((target("avx2,fma")))
GELU_BODY(AVX512)
GELU_BODY(AVX2)
#endif

typedef struct {
  const float *x, *dy;
  float *out;
  int64_t count;
  float c1, c2;
} gelu_job_t;

static void *gelu_job(void *arg) {
  const gelu_job_t *j = (const gelu_job_t *)arg;
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx512f")) return gelu_loop_AVX512_(j->x, j->dy, j->out, j->count, j->c1, j->c2), NULL;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return gelu_loop_AVX2_(j->x, j->dy, j->out, j->count, j->c1, j->c2), NULL;
#endif
  gelu_loop_PLAIN_(j->x, j->dy, j->out, j->count, j->c1, j->c2);
  return NULL;
}

/* Below this many elements a second thread costs more than it saves. */
#define PARALLEL_ELEMENTS 65536

/* gelu(memory, xOff, yOff, count, c1, c2); gelu(memory, xOff, dyOff, dxOff, count, c1, c2) for the gradient. */
static napi_value gelu(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 6 && argc != 7) {
    napi_throw_error(env, NULL, "tempa_native.gelu expects 6 or 7 arguments");
    return NULL;
  }
  const int buffers = argc == 7 ? 3 : 2;
  size_t length = 0;
  char *base = bytes_of(env, argv[0], &length);
  int ok = 1;
  int64_t off[3] = {0, 0, 0};
  for (int i = 0; i < buffers; i++) off[i] = int_arg(env, argv[1 + i], &ok);
  const int64_t count = int_arg(env, argv[1 + buffers], &ok);
  double c1 = 0, c2 = 0;
  napi_get_value_double(env, argv[2 + buffers], &c1);
  napi_get_value_double(env, argv[3 + buffers], &c2);
  if (!base || !ok || count < 0) {
    napi_throw_error(env, NULL, "tempa_native.gelu: invalid arguments");
    return NULL;
  }
  for (int i = 0; i < buffers; i++) {
    if (off[i] < 0 || off[i] + 4 * count > (int64_t)length) {
      napi_throw_range_error(env, NULL, "tempa_native.gelu: operand outside memory");
      return NULL;
    }
  }
  const float *x = (const float *)(base + off[0]);
  const float *dy = buffers == 3 ? (const float *)(base + off[1]) : NULL;
  float *out = (float *)(base + off[buffers - 1]);
  const int64_t half = count < PARALLEL_ELEMENTS ? count : count / 2;
  gelu_job_t jobs[2] = {{x, dy, out, half, (float)c1, (float)c2},
                        {x + half, dy ? dy + half : NULL, out + half, count - half, (float)c1, (float)c2}};
  pthread_t worker;
  const int started = jobs[1].count > 0 && pthread_create(&worker, NULL, gelu_job, &jobs[1]) == 0;
  gelu_job(&jobs[0]);
  if (started) pthread_join(worker, NULL);
  else if (jobs[1].count > 0) gelu_job(&jobs[1]);
  return NULL;
}

/* threads(): how many threads BLAS uses. */
static napi_value threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
#ifdef TEMPA_ACCELERATE
  napi_create_int32(env, 0, &out);
#else
  napi_create_int32(env, openblas_get_num_threads(), &out);
#endif
  return out;
}

/* blas(): which BLAS library and build, for logs. */
static napi_value blas(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
#ifdef TEMPA_ACCELERATE
  napi_create_string_utf8(env, "Accelerate", NAPI_AUTO_LENGTH, &out);
#else
  napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &out);
#endif
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL},
      {"adamw", NULL, adamw, NULL, NULL, NULL, napi_default, NULL},
      {"gelu", NULL, gelu, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
      {"blas", NULL, blas, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
