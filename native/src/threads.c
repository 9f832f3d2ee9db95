/* The two-thread split every kernel uses, and the BLAS thread setting around it. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include "kernels.h"

typedef struct {
  range_fn fn;
  void *ctx;
  int64_t begin, end;
} range_job;

static void *run_range(void *arg) {
  const range_job *job = (const range_job *)arg;
  job->fn(job->ctx, job->begin, job->end);
  return NULL;
}

void run_halves(range_fn fn, void *ctx, int64_t tasks, int parallel) {
  if (tasks <= 0) return;
  const int64_t split = parallel && tasks > 1 ? tasks / 2 : 0;
  range_job first = {fn, ctx, 0, split};
  pthread_t worker;
  const int started = split > 0 && pthread_create(&worker, NULL, run_range, &first) == 0;
  if (split > 0 && !started) run_range(&first);
  fn(ctx, split, tasks);
  if (started) pthread_join(worker, NULL);
}

#ifdef TEMPA_ACCELERATE
int blas_single(void) { return 0; }
void blas_restore(int threads) { (void)threads; }
int blas_threads(void) { return 0; }
const char *blas_name(void) { return "Accelerate"; }
#else
int blas_single(void) {
  const int threads = openblas_get_num_threads();
  if (threads != 1) openblas_set_num_threads(1);
  return threads;
}
void blas_restore(int threads) {
  if (threads != 1) openblas_set_num_threads(threads);
}
int blas_threads(void) { return openblas_get_num_threads(); }
const char *blas_name(void) { return openblas_get_config(); }
#endif
