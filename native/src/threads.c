/* tempa's thread pool, which every kernel splits its work over, GEMMs included (each part a
 * single-threaded GEMM). One pool for everything: OpenBLAS's own threads spin for ~0.1 s after each
 * call, so with both pools busy a 2-core machine ran GEMMs and the kernels between them on three
 * threads; and splitting a GEMM's rows over the pool, each part on single-threaded OpenBLAS, measured
 * 0-35% faster than OpenBLAS's own threading on the model's shapes. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "kernels.h"

#define MAX_THREADS 64

typedef struct {
  range_fn fn;
  void *ctx;
  int64_t tasks;
  int parts;
} pool_job;

/* Workers start on first use and stay: creating threads per call cost ~30 us here, as much as a
 * 65,536-element kernel takes. `busy` admits one caller at a time (Node worker threads share the
 * addon); another caller meanwhile runs its whole range itself. */
static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_posted = PTHREAD_COND_INITIALIZER, job_finished = PTHREAD_COND_INITIALIZER;
static pool_job job;
static int64_t generation;
static int64_t unfinished;
static int started_workers, pool_threads = 1;

static void run_part(const pool_job *j, int part) {
  if (part >= j->parts) return;
  j->fn(j->ctx, j->tasks * part / j->parts, j->tasks * (part + 1) / j->parts, part);
}

/* Spins up to SPIN_NS (~50 us) for a value to change before a thread sleeps: kernels come back to back
 * within a training step, and waking a sleeping thread cost ~20-30 us here each time. */
#ifndef SPIN_NS
#define SPIN_NS 50000
#endif
static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}
static inline void pause_briefly(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}
/* Spins while *value == from (equal != 0) or while *value != from (equal == 0). */
static void spin(const int64_t *value, int64_t from, int equal) {
  const int64_t end = now_ns() + SPIN_NS;
  for (;;) {
    for (int i = 0; i < 32; i++) {
      if ((__atomic_load_n(value, __ATOMIC_ACQUIRE) == from) != equal) return;
      pause_briefly();
    }
    if (now_ns() > end) return;
  }
}

static void *worker_main(void *arg) {
  const int part = (int)(intptr_t)arg;
  int64_t seen = 0;
  for (;;) {
    spin(&generation, seen, 1);
    pthread_mutex_lock(&lock);
    while (generation == seen) pthread_cond_wait(&job_posted, &lock);
    seen = generation;
    const pool_job current = job;
    pthread_mutex_unlock(&lock);
    run_part(&current, part);
    pthread_mutex_lock(&lock);
    if (__atomic_sub_fetch(&unfinished, 1, __ATOMIC_ACQ_REL) == 0) pthread_cond_signal(&job_finished);
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

/* Starts the workers still missing; returns how many threads (with the caller) can take parts. */
static int start_workers(void) {
  while (started_workers + 1 < pool_threads) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, worker_main, (void *)(intptr_t)(started_workers + 1)) != 0) break;
    pthread_detach(thread);
    started_workers++;
  }
  return started_workers + 1;
}

int pool_parts(int64_t tasks, int parallel) {
  const int threads = parallel ? pool_threads : 1;
  return tasks < threads ? (tasks < 1 ? 1 : (int)tasks) : threads;
}

void run_parts(range_fn fn, void *ctx, int64_t tasks, int parallel) {
  if (tasks <= 0) return;
  const int parts = pool_parts(tasks, parallel);
  if (parts == 1 || pthread_mutex_trylock(&busy) != 0) {
    fn(ctx, 0, tasks, 0);
    return;
  }
  const int threads = start_workers();
  pool_job posted = {fn, ctx, tasks, parts < threads ? parts : threads};
  if (posted.parts == 1) {
    pthread_mutex_unlock(&busy);
    fn(ctx, 0, tasks, 0);
    return;
  }
  pthread_mutex_lock(&lock);
  job = posted;
  __atomic_store_n(&unfinished, threads - 1, __ATOMIC_RELEASE);
  __atomic_store_n(&generation, generation + 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&job_posted);
  pthread_mutex_unlock(&lock);
  run_part(&posted, 0);
  spin(&unfinished, 0, 0);
  pthread_mutex_lock(&lock);
  while (unfinished > 0) pthread_cond_wait(&job_finished, &lock);
  pthread_mutex_unlock(&lock);
  pthread_mutex_unlock(&busy);
}

static int clamp_threads(long threads) { return threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : (int)threads; }

/* TEMPA_THREADS, when set to a positive number, sizes the pool instead (tests use it to split work
 * three ways on two cores). */
static long tempa_threads(long fallback) {
  const char *set = getenv("TEMPA_THREADS");
  const long threads = set ? strtol(set, NULL, 10) : 0;
  return threads >= 1 ? threads : fallback;
}

/* As many threads as online cores (OpenBLAS's default too), or TEMPA_THREADS. */
void threads_init(void) { pool_threads = clamp_threads(tempa_threads(sysconf(_SC_NPROCESSORS_ONLN))); }
int pool_size(void) { return pool_threads; }
