// tempa's native kernels for TensorFlow.js: GEMM through the system BLAS (OpenBLAS on Linux, Accelerate
// on macOS), on float32 data that JavaScript owns (the tfjs wasm heap or any typed array), so nothing is
// copied in or out. Called synchronously from kernel functions; BLAS uses its own threads.
#define NAPI_VERSION 8
#include <node_api.h>
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
      {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
      {"blas", NULL, blas, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
