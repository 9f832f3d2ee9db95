/* Which GEMM the addon's matrix products run on: tempa's own (sgemm.c) with the best micro-kernel this
 * CPU runs, or the system BLAS the addon was linked with (OpenBLAS, Accelerate). Chosen once at load,
 * by measurement where we could measure: on a 2-vCPU AMD EPYC (AVX-512) the bundled AVX-512 kernel ran the
 * model's shapes at 0.8-1.0x OpenBLAS 0.3.21's own AVX-512 kernels and ~1.9x the Haswell kernels that
 * OPENBLAS_CORETYPE=Haswell forces, so it is the default wherever a vector kernel runs. Accelerate
 * (Apple's matrix units) is not measured here and stays the default on macOS. TEMPA_BLAS overrides. */
#include "kernels.h"
#include "sgemm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef TEMPA_ACCELERATE
#include <Accelerate/Accelerate.h>
#define TEMPA_SYSTEM_BLAS "Accelerate"
#elif defined(TEMPA_OPENBLAS)
#include <cblas.h>
#define TEMPA_SYSTEM_BLAS "OpenBLAS"
#endif

static const micro_kernel *chosen; /* NULL: the system BLAS */
static char name_text[96], reason_text[256];

#ifdef TEMPA_SYSTEM_BLAS
static void system_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                         int ldb, float beta, float *c, int ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b,
              ldb, beta, c, ldc);
}
#endif

#ifdef TEMPA_SYSTEM_BLAS
static int is_system_name(const char *name) {
  return strcmp(name, "system") == 0 || strcmp(name, "openblas") == 0 || strcmp(name, "accelerate") == 0;
}
#endif

/* What TEMPA_BLAS may name here: "bundled", each micro-kernel this CPU runs, and "system" when linked. */
static void list_choices(char *out, size_t size) {
  const micro_kernel *kernels[8];
  const int count = micro_kernel_list(kernels, 8);
  snprintf(out, size, "bundled");
  for (int i = 0; i < count; i++) snprintf(out + strlen(out), size - strlen(out), ", %s", kernels[i]->name);
#ifdef TEMPA_SYSTEM_BLAS
  snprintf(out + strlen(out), size - strlen(out), ", system");
#endif
}

void gemm_library_init(void) {
  const char *asked = getenv("TEMPA_BLAS");
  const micro_kernel *best = micro_kernel_named(NULL);
  const int vector_kernel = strcmp(best->name, "portable") != 0;
  chosen = best;
#ifdef TEMPA_SYSTEM_BLAS
#ifdef TEMPA_ACCELERATE
  chosen = NULL;
  snprintf(reason_text, sizeof reason_text, "the macOS default");
#else
  openblas_set_num_threads(1); /* it runs inside the pool's parts, one thread each (threads.c) */
  if (!vector_kernel) {
    chosen = NULL;
    snprintf(reason_text, sizeof reason_text, "no vector micro-kernel of tempa's runs on this CPU");
  } else {
    snprintf(reason_text, sizeof reason_text, "the default where a vector micro-kernel runs; TEMPA_BLAS=openblas for OpenBLAS");
  }
#endif
#else
  snprintf(reason_text, sizeof reason_text, "no system BLAS linked at build");
  (void)vector_kernel;
#endif
  if (asked && *asked) {
    const micro_kernel *named = micro_kernel_named(asked);
    if (strcmp(asked, "bundled") == 0 || named) {
      chosen = named ? named : best;
      snprintf(reason_text, sizeof reason_text, "TEMPA_BLAS=%s", asked);
#ifdef TEMPA_SYSTEM_BLAS
    } else if (is_system_name(asked)) {
      chosen = NULL;
      snprintf(reason_text, sizeof reason_text, "TEMPA_BLAS=%s", asked);
#endif
    } else {
      char choices[128];
      list_choices(choices, sizeof choices);
      snprintf(reason_text, sizeof reason_text, "TEMPA_BLAS=%s is not available here (choices: %s)", asked, choices);
    }
  }
  if (chosen) {
    snprintf(name_text, sizeof name_text, "tempa GEMM, %s micro-kernel %dx%d", chosen->name, chosen->mr, chosen->nr);
  } else {
#ifdef TEMPA_ACCELERATE
    snprintf(name_text, sizeof name_text, "Accelerate");
#elif defined(TEMPA_OPENBLAS)
    /* "OpenBLAS 0.3.21 ... Haswell": its version, then the kernel family it picked (or was told to) */
    const char *config = openblas_get_config();
    const char *space = strchr(config, ' ');
    const int version_end = space && strchr(space + 1, ' ') ? (int)(strchr(space + 1, ' ') - config) : (int)strlen(config);
    snprintf(name_text, sizeof name_text, "%.*s, %s kernels", version_end, config, openblas_get_corename());
#endif
  }
}

const char *gemm_library_name(void) { return name_text; }
const char *gemm_library_reason(void) { return reason_text; }

void sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta,
           float *c, int ldc) {
#ifdef TEMPA_SYSTEM_BLAS
  if (!chosen) {
    system_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
#endif
  sgemm_with(chosen, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

int sgemm_named(const char *library, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                const float *b, int ldb, float beta, float *c, int ldc) {
#ifdef TEMPA_SYSTEM_BLAS
  if (is_system_name(library)) {
    system_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return 0;
  }
#endif
  const micro_kernel *kernel = strcmp(library, "bundled") == 0 ? micro_kernel_named(NULL) : micro_kernel_named(library);
  if (!kernel) return -1;
  sgemm_with(kernel, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  return 0;
}

int gemm_libraries(const char **out, int max) {
  const micro_kernel *kernels[8];
  const int count = micro_kernel_list(kernels, 8);
  int found = 0;
  for (int i = 0; i < count && found < max; i++) out[found++] = kernels[i]->name;
#ifdef TEMPA_SYSTEM_BLAS
  if (found < max) out[found++] = "system";
#endif
  return found;
}
