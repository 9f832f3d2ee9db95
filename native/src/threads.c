/* The two-thread split every kernel uses, and the BLAS thread setting around it. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include "kernels.h"

typedef struct {
  range_fn fn;
  void *ctx;
  int64_t begin, end;
} range_job;

/* One worker thread, started on first use and kept: creating a thread per call cost ~30 us here, as
 * much as a 65,536-element kernel takes. `busy` admits one caller at a time (Node worker threads share
 * the addon); another caller meanwhile runs its whole range itself. */
static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_posted = PTHREAD_COND_INITIALIZER, job_finished = PTHREAD_COND_INITIALIZER;
static range_job pending;
static int has_job, worker_state; /* worker_state: 0 not started, 1 running, -1 could not start */

static void *worker_main(void *unused) {
  (void)unused;
  pthread_mutex_lock(&lock);
  for (;;) {
    while (!has_job) pthread_cond_wait(&job_posted, &lock);
    const range_job job = pending;
    pthread_mutex_unlock(&lock);
    job.fn(job.ctx, job.begin, job.end);
    pthread_mutex_lock(&lock);
    has_job = 0;
    pthread_cond_signal(&job_finished);
  }
  return NULL;
}

static int worker_ready(void) {
  if (worker_state == 0) {
    pthread_t thread;
    worker_state = pthread_create(&thread, NULL, worker_main, NULL) == 0 ? 1 : -1;
    if (worker_state == 1) pthread_detach(thread);
  }
  return worker_state == 1;
}

void run_halves(range_fn fn, void *ctx, int64_t tasks, int parallel) {
  if (tasks <= 0) return;
  if (!parallel || tasks < 2 || pthread_mutex_trylock(&busy) != 0) {
    fn(ctx, 0, tasks);
    return;
  }
  const int64_t split = tasks / 2;
  if (!worker_ready()) {
    pthread_mutex_unlock(&busy);
    fn(ctx, 0, split);
    fn(ctx, split, tasks);
    return;
  }
  pthread_mutex_lock(&lock);
  pending = (range_job){fn, ctx, 0, split};
  has_job = 1;
  pthread_cond_signal(&job_posted);
  pthread_mutex_unlock(&lock);
  fn(ctx, split, tasks);
  pthread_mutex_lock(&lock);
  while (has_job) pthread_cond_wait(&job_finished, &lock);
  pthread_mutex_unlock(&lock);
  pthread_mutex_unlock(&busy);
}

#ifdef TEMPA_ACCELERATE
int blas_single(void) { return 0; }
void blas_restore(int threads) { (void)threads; }
int blas_threads(void) { return 0; }
const char *blas_name(void) { return "Accelerate"; }
const char *blas_core(void) { return ""; }
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
const char *blas_core(void) { return openblas_get_corename(); }
#endif
