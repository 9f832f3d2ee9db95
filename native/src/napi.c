/* The addon's JavaScript face: each function takes the memory (the tfjs wasm heap or any typed array),
 * byte offsets into it and sizes, checks that every operand lies inside the memory (a bad call throws
 * instead of corrupting it), and runs one kernel in place. Nothing is copied in or out. */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>
#include "kernels.h"
#include <stdio.h>
#include <string.h>

#define MAX_ARGS 15

typedef struct {
  napi_env env;
  const char *name;
  napi_value argv[MAX_ARGS];
  size_t argc;
  char *base;
  size_t length;
  const char *error; /* the first problem found; the call throws it */
} call;

/* The bytes behind an ArrayBuffer or a typed array (its own offset applied). */
static char *bytes_of(napi_env env, napi_value v, size_t *length) {
  bool is_typed = false;
  napi_is_typedarray(env, v, &is_typed);
  void *data = NULL;
  if (is_typed) {
    napi_typedarray_type type;
    size_t count, offset;
    napi_value buffer;
    if (napi_get_typedarray_info(env, v, &type, &count, &data, &buffer, &offset) != napi_ok) return NULL;
    const size_t element = type == napi_float32_array || type == napi_int32_array || type == napi_uint32_array ? 4 : 1;
    *length = count * element;
    return (char *)data;
  }
  if (napi_get_arraybuffer_info(env, v, &data, length) != napi_ok) return NULL;
  return (char *)data;
}

/* Reads the arguments; argument 0 is the memory. */
static bool open_call(call *c, napi_env env, napi_callback_info info, const char *name, size_t min_args, size_t max_args) {
  c->env = env;
  c->name = name;
  c->argc = MAX_ARGS;
  c->error = NULL;
  if (napi_get_cb_info(env, info, &c->argc, c->argv, NULL, NULL) != napi_ok || c->argc < min_args || c->argc > max_args) {
    c->error = "wrong number of arguments";
  } else if (!(c->base = bytes_of(env, c->argv[0], &c->length))) {
    c->error = "argument 0 must be an ArrayBuffer or a typed array";
  }
  return c->error == NULL;
}

static int64_t integer(call *c, size_t index) {
  int64_t out = 0;
  if (napi_get_value_int64(c->env, c->argv[index], &out) != napi_ok || out < 0) c->error = c->error ? c->error : "sizes and offsets must be non-negative integers";
  return out;
}

static double number(call *c, size_t index) {
  double out = 0;
  if (napi_get_value_double(c->env, c->argv[index], &out) != napi_ok) c->error = c->error ? c->error : "expected a number";
  return out;
}

static bool boolean(call *c, size_t index) {
  bool out = false;
  if (napi_get_value_bool(c->env, c->argv[index], &out) != napi_ok) c->error = c->error ? c->error : "expected a boolean";
  return out;
}

/* The float32 operand at the byte offset in argument `index`, holding `count` floats. */
static float *operand(call *c, size_t index, int64_t count) {
  const int64_t offset = integer(c, index);
  if (c->error) return NULL;
  if (offset % 4 != 0 || count < 0 || offset + 4 * count > (int64_t)c->length) {
    c->error = "operand outside memory";
    return NULL;
  }
  return (float *)(c->base + offset);
}

/* Throws the call's error, if any; true when the kernel may run. */
static bool ready(call *c) {
  if (!c->error) return true;
  char message[160];
  snprintf(message, sizeof message, "tempa_native.%s: %s", c->name, c->error);
  napi_throw_error(c->env, NULL, message);
  return false;
}

static napi_value out_of_memory(call *c) {
  c->error = "out of memory";
  ready(c);
  return NULL;
}

/* gemm(memory, aOffset, bOffset, cOffset, batch, m, n, k, transA, transB, strideA, strideB[, biasOffset]):
 * C = op(A) op(B) per slice, plus a bias of n values on every row when given. */
static napi_value gemm(napi_env env, napi_callback_info info) {
  call c;
  if (!open_call(&c, env, info, "gemm", 12, 13)) return ready(&c), NULL;
  const int64_t batch = integer(&c, 4), m = integer(&c, 5), n = integer(&c, 6), k = integer(&c, 7);
  const bool trans_a = boolean(&c, 8), trans_b = boolean(&c, 9);
  const int64_t stride_a = integer(&c, 10), stride_b = integer(&c, 11);
  const int64_t slices = batch > 0 ? batch - 1 : 0;
  float *a = operand(&c, 1, batch ? slices * stride_a + m * k : 0), *b = operand(&c, 2, batch ? slices * stride_b + k * n : 0);
  float *out = operand(&c, 3, batch * m * n), *bias = c.argc == 13 ? operand(&c, 12, n) : NULL;
  if (!ready(&c) || batch == 0 || m == 0 || n == 0) return NULL;
  if (k > 0) {
    gemm_batched(a, b, bias, out, batch, (int)m, (int)n, (int)k, trans_a, trans_b, stride_a, stride_b);
  } else if (bias) {
    for (int64_t row = 0; row < batch * m; row++) memcpy(out + row * n, bias, sizeof(float) * (size_t)n);
  } else {
    memset(out, 0, sizeof(float) * (size_t)(batch * m * n));
  }
  return NULL;
}

/* A matrix stored row-major as `rows` rows of `cols` floats, `ld` apart: the floats it spans, or -1 when
 * ld < cols. */
static int64_t matrix_extent(int64_t rows, int64_t cols, int64_t ld) {
  if (ld < cols || ld < 1) return -1;
  return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
}

/* sgemm(memory, library, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc): one
 * single-threaded C = alpha op(A) op(B) + beta C on the named library (gemmLibrary().choices), so
 * tests and benchmarks can run each micro-kernel and the system BLAS side by side. */
static napi_value sgemm_fn(napi_env env, napi_callback_info info) {
  call c;
  if (!open_call(&c, env, info, "sgemm", 15, 15)) return ready(&c), NULL;
  char library[32] = "", unknown[96];
  if (napi_get_value_string_utf8(env, c.argv[1], library, sizeof library, NULL) != napi_ok) c.error = "library must be a string";
  const bool trans_a = boolean(&c, 2), trans_b = boolean(&c, 3);
  const int64_t m = integer(&c, 4), n = integer(&c, 5), k = integer(&c, 6);
  const float alpha = (float)number(&c, 7), beta = (float)number(&c, 12);
  const int64_t lda = integer(&c, 9), ldb = integer(&c, 11), ldc = integer(&c, 14);
  const int64_t a_count = trans_a ? matrix_extent(k, m, lda) : matrix_extent(m, k, lda);
  const int64_t b_count = trans_b ? matrix_extent(n, k, ldb) : matrix_extent(k, n, ldb), c_count = matrix_extent(m, n, ldc);
  if (a_count < 0 || b_count < 0 || c_count < 0) c.error = c.error ? c.error : "a leading dimension is shorter than its row";
  if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX || lda > INT32_MAX || ldb > INT32_MAX || ldc > INT32_MAX) c.error = c.error ? c.error : "sizes must fit in 32 bits";
  float *a = operand(&c, 8, a_count), *b = operand(&c, 10, b_count), *out = operand(&c, 13, c_count);
  if (!ready(&c)) return NULL;
  if (sgemm_named(library, trans_a, trans_b, (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, out, (int)ldc) != 0) {
    snprintf(unknown, sizeof unknown, "no GEMM library '%s' on this machine (see gemmLibrary().choices)", library);
    c.error = unknown;
    ready(&c);
  }
  return NULL;
}

/* adamw(memory, p, g, m, v, pOut, mOut, vOut, count, consts: Float32Array(9)); see adamw.c. */
static napi_value adamw(napi_env env, napi_callback_info info) {
  call c;
  if (!open_call(&c, env, info, "adamw", 10, 10)) return ready(&c), NULL;
  const int64_t count = integer(&c, 8);
  float *t[7];
  for (size_t i = 0; i < 7; i++) t[i] = operand(&c, 1 + i, count);
  size_t consts_length = 0;
  const float *consts = (const float *)bytes_of(env, c.argv[9], &consts_length);
  if (!consts || consts_length < 8 * sizeof(float)) c.error = c.error ? c.error : "consts must be a Float32Array of 8 or more";
  if (!ready(&c)) return NULL;
  adamw_update(t[0], t[1], t[2], t[3], t[4], t[5], t[6], count, consts);
  return NULL;
}

/* gelu(memory, x, y, count, c1, c2), or gelu(memory, x, dy, dx, count, c1, c2) for the gradient. */
static napi_value gelu(napi_env env, napi_callback_info info) {
  call c;
  if (!open_call(&c, env, info, "gelu", 6, 7)) return ready(&c), NULL;
  const size_t buffers = c.argc == 7 ? 3 : 2;
  const int64_t count = integer(&c, 1 + buffers);
  const float c1 = (float)number(&c, 2 + buffers), c2 = (float)number(&c, 3 + buffers);
  float *t[3];
  for (size_t i = 0; i < buffers; i++) t[i] = operand(&c, 1 + i, count);
  if (!ready(&c)) return NULL;
  if (buffers == 2) gelu_forward(t[0], t[1], count, c1, c2);
  else gelu_backward(t[0], t[1], t[2], count, c1, c2);
  return NULL;
}

/* Reads (batch, seq, heads, headSize, scale) from arguments `first`.. */
static attention_shape attention_args(call *c, size_t first) {
  attention_shape s = {(int)integer(c, first), (int)integer(c, first + 1), (int)integer(c, first + 2), (int)integer(c, first + 3),
                       (float)number(c, first + 4)};
  return s;
}

/* attention(memory, qkv, y, probs, batch, seq, heads, headSize, scale) */
static napi_value attention(napi_env env, napi_callback_info info) {
  call c;
  if (!open_call(&c, env, info, "attention", 9, 9)) return ready(&c), NULL;
  const attention_shape s = attention_args(&c, 4);
  const int64_t tokens = (int64_t)s.batch * s.seq, C = (int64_t)s.heads * s.head_size;
  float *qkv = operand(&c, 1, tokens * 3 * C), *y = operand(&c, 2, tokens * C);
  float *probs = operand(&c, 3, (int64_t)s.batch * s.heads * s.seq * s.seq);
  if (!ready(&c) || tokens == 0 || C == 0) return NULL;
  attention_forward(&s, qkv, y, probs);
  return NULL;
}

/* attentionBackward(memory, qkv, probs, dy, dqkv, batch, seq, heads, headSize, scale) */
static napi_value attention_grad(napi_env env, napi_callback_info info) {
  call c;
  if (!open_call(&c, env, info, "attentionBackward", 10, 10)) return ready(&c), NULL;
  const attention_shape s = attention_args(&c, 5);
  const int64_t tokens = (int64_t)s.batch * s.seq, C = (int64_t)s.heads * s.head_size;
  float *qkv = operand(&c, 1, tokens * 3 * C), *probs = operand(&c, 2, (int64_t)s.batch * s.heads * s.seq * s.seq);
  float *dy = operand(&c, 3, tokens * C), *dqkv = operand(&c, 4, tokens * 3 * C);
  if (!ready(&c) || tokens == 0 || C == 0) return NULL;
  if (attention_backward(&s, qkv, probs, dy, dqkv) != 0) return out_of_memory(&c);
  return NULL;
}

/* cachedAttention(memory, qkv, k, v, y, slots, starts, batch, seq, heads, headSize, scale, cached, capacity, slotCount):
 * k and v (slotCount*heads, capacity, headSize) are written in place; slots and starts are int32, one per
 * row: the row's slot in the caches and the column where its real keys begin. */
static napi_value cached_attention_fn(napi_env env, napi_callback_info info) {
  call c;
  if (!open_call(&c, env, info, "cachedAttention", 15, 15)) return ready(&c), NULL;
  const attention_shape s = attention_args(&c, 7);
  const int64_t cached = integer(&c, 12), capacity = integer(&c, 13), slot_count = integer(&c, 14);
  const int64_t tokens = (int64_t)s.batch * s.seq, C = (int64_t)s.heads * s.head_size, cache = slot_count * s.heads * capacity * s.head_size;
  float *qkv = operand(&c, 1, tokens * 3 * C), *k = operand(&c, 2, cache), *v = operand(&c, 3, cache), *y = operand(&c, 4, tokens * C);
  const int32_t *slots = (const int32_t *)operand(&c, 5, s.batch), *starts = (const int32_t *)operand(&c, 6, s.batch);
  if (!c.error && cached + s.seq > capacity) c.error = "cached + seq columns exceed the capacity";
  for (int b = 0; !c.error && b < s.batch; b++) {
    if (slots[b] < 0 || slots[b] >= slot_count) c.error = "slots must lie in 0..slotCount-1";
    else if (starts[b] < 0 || starts[b] > cached + s.seq) c.error = "starts must lie in 0..cached+seq";
  }
  if (!ready(&c) || tokens == 0 || C == 0) return NULL;
  if (cached_attention(&s, (int)cached, (int)capacity, qkv, slots, starts, k, v, y) != 0) return out_of_memory(&c);
  return NULL;
}

/* layerNorm(memory, x, weight, bias, y, mean, rstd, rows, cols, eps) */
static napi_value layer_norm(napi_env env, napi_callback_info info) {
  call c;
  if (!open_call(&c, env, info, "layerNorm", 10, 10)) return ready(&c), NULL;
  const int64_t rows = integer(&c, 7), cols = integer(&c, 8);
  const float eps = (float)number(&c, 9);
  float *x = operand(&c, 1, rows * cols), *w = operand(&c, 2, cols), *b = operand(&c, 3, cols);
  float *y = operand(&c, 4, rows * cols), *mean = operand(&c, 5, rows), *rstd = operand(&c, 6, rows);
  if (!ready(&c) || rows == 0 || cols == 0) return NULL;
  layer_norm_forward(x, w, b, y, mean, rstd, rows, (int)cols, eps);
  return NULL;
}

/* layerNormBackward(memory, dy, x, weight, mean, rstd, dx, dweight, dbias, rows, cols) */
static napi_value layer_norm_grad(napi_env env, napi_callback_info info) {
  call c;
  if (!open_call(&c, env, info, "layerNormBackward", 11, 11)) return ready(&c), NULL;
  const int64_t rows = integer(&c, 9), cols = integer(&c, 10);
  float *dy = operand(&c, 1, rows * cols), *x = operand(&c, 2, rows * cols), *w = operand(&c, 3, cols);
  float *mean = operand(&c, 4, rows), *rstd = operand(&c, 5, rows), *dx = operand(&c, 6, rows * cols);
  float *dw = operand(&c, 7, cols), *db = operand(&c, 8, cols);
  if (!ready(&c) || cols == 0) return NULL;
  if (layer_norm_backward(dy, x, w, mean, rstd, dx, dw, db, rows, (int)cols) != 0) return out_of_memory(&c);
  return NULL;
}

/* columnSum(memory, x, out, rows, cols) */
static napi_value column_sum_fn(napi_env env, napi_callback_info info) {
  call c;
  if (!open_call(&c, env, info, "columnSum", 5, 5)) return ready(&c), NULL;
  const int64_t rows = integer(&c, 3), cols = integer(&c, 4);
  float *x = operand(&c, 1, rows * cols), *out = operand(&c, 2, cols);
  if (!ready(&c) || cols == 0) return NULL;
  if (column_sum(x, out, rows, cols) != 0) return out_of_memory(&c);
  return NULL;
}

/* crossEntropy(memory, logits, targets (int32), weights, probs, loss, rows, vocab) */
static napi_value cross_entropy_fn(napi_env env, napi_callback_info info) {
  call c;
  if (!open_call(&c, env, info, "crossEntropy", 8, 8)) return ready(&c), NULL;
  const int64_t rows = integer(&c, 6), vocab = integer(&c, 7);
  float *logits = operand(&c, 1, rows * vocab), *targets = operand(&c, 2, rows), *weights = operand(&c, 3, rows);
  float *probs = operand(&c, 4, rows * vocab), *loss = operand(&c, 5, 1);
  if (!ready(&c)) return NULL;
  if (rows == 0 || vocab == 0) {
    *loss = 0.0f;
    return NULL;
  }
  if (cross_entropy_forward(logits, (const int32_t *)targets, weights, probs, loss, rows, vocab) != 0) return out_of_memory(&c);
  return NULL;
}

/* crossEntropyBackward(memory, probs, targets (int32), weights, dy (one float), dlogits, rows, vocab) */
static napi_value cross_entropy_grad(napi_env env, napi_callback_info info) {
  call c;
  if (!open_call(&c, env, info, "crossEntropyBackward", 8, 8)) return ready(&c), NULL;
  const int64_t rows = integer(&c, 6), vocab = integer(&c, 7);
  float *probs = operand(&c, 1, rows * vocab), *targets = operand(&c, 2, rows), *weights = operand(&c, 3, rows);
  float *dy = operand(&c, 4, 1), *dlogits = operand(&c, 5, rows * vocab);
  if (!ready(&c) || rows == 0 || vocab == 0) return NULL;
  cross_entropy_backward(probs, (const int32_t *)targets, weights, *dy, dlogits, rows, vocab);
  return NULL;
}

/* sumSquares(memory, x, count): the sum of x's squares, as a number. */
static napi_value sum_squares_fn(napi_env env, napi_callback_info info) {
  call c;
  if (!open_call(&c, env, info, "sumSquares", 3, 3)) return ready(&c), NULL;
  const int64_t count = integer(&c, 2);
  const float *x = operand(&c, 1, count);
  if (!ready(&c)) return NULL;
  napi_value out;
  napi_create_double(env, sum_squares(x, count), &out);
  return out;
}

/* threads(): how many threads the kernels split their work over. */
static napi_value threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_int32(env, pool_size(), &out);
  return out;
}

/* interfaceVersion(): bumped whenever a kernel's arguments change, so that a build left over from an older
 * checkout is refused by name (addon.ts) instead of failing inside a call with "wrong number of arguments". */
#define TEMPA_ADDON_INTERFACE 2

static napi_value interface_version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_int32(env, TEMPA_ADDON_INTERFACE, &out);
  return out;
}

/* gemmLibrary(): {name, reason, choices}: the GEMM the matrix products run on, why, and what sgemm() and
 * TEMPA_BLAS can name here. */
static napi_value gemm_library_fn(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, name, reason, choices, choice;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, gemm_library_name(), NAPI_AUTO_LENGTH, &name);
  napi_create_string_utf8(env, gemm_library_reason(), NAPI_AUTO_LENGTH, &reason);
  const char *names[8];
  const int count = gemm_libraries(names, 8);
  napi_create_array_with_length(env, (size_t)count, &choices);
  for (int i = 0; i < count; i++) {
    napi_create_string_utf8(env, names[i], NAPI_AUTO_LENGTH, &choice);
    napi_set_element(env, choices, (uint32_t)i, choice);
  }
  napi_set_named_property(env, out, "name", name);
  napi_set_named_property(env, out, "reason", reason);
  napi_set_named_property(env, out, "choices", choices);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  threads_init();
  gemm_library_init();
  napi_property_descriptor props[] = {
      {"gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL},
      {"adamw", NULL, adamw, NULL, NULL, NULL, napi_default, NULL},
      {"gelu", NULL, gelu, NULL, NULL, NULL, napi_default, NULL},
      {"attention", NULL, attention, NULL, NULL, NULL, napi_default, NULL},
      {"attentionBackward", NULL, attention_grad, NULL, NULL, NULL, napi_default, NULL},
      {"cachedAttention", NULL, cached_attention_fn, NULL, NULL, NULL, napi_default, NULL},
      {"layerNorm", NULL, layer_norm, NULL, NULL, NULL, napi_default, NULL},
      {"layerNormBackward", NULL, layer_norm_grad, NULL, NULL, NULL, napi_default, NULL},
      {"columnSum", NULL, column_sum_fn, NULL, NULL, NULL, napi_default, NULL},
      {"crossEntropy", NULL, cross_entropy_fn, NULL, NULL, NULL, napi_default, NULL},
      {"crossEntropyBackward", NULL, cross_entropy_grad, NULL, NULL, NULL, napi_default, NULL},
      {"sumSquares", NULL, sum_squares_fn, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
      {"sgemm", NULL, sgemm_fn, NULL, NULL, NULL, napi_default, NULL},
      {"gemmLibrary", NULL, gemm_library_fn, NULL, NULL, NULL, napi_default, NULL},
      {"interfaceVersion", NULL, interface_version, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
