/*
 * Splitting an element-wise loop of numkeras's C extensions across the cores.
 *
 *     static void body(void *context, Py_ssize_t start, Py_ssize_t end)
 *     {
 *         ... the loop over elements [start, end) ...
 *     }
 *     split_loop(body, &context, n);  // with the GIL held; it releases the GIL while looping
 *
 * Why: over arrays larger than the caches (Adam over a 2048x2048 kernel is 4.2 M weights, about
 * 120 MB read and written per step) a fused loop is bound by memory, not arithmetic, and one core
 * cannot draw the memory bandwidth that the machine has: the loads one core can keep in flight
 * cap its share. Contiguous chunks on several cores draw more of it. A loop of under two
 * SPLIT_MIN_CHUNKs runs whole on the calling thread.
 *
 * Threads: the CPUs this process may run on (sched_getaffinity), or the environment variable
 * NUMKERAS_KERNEL_THREADS (a positive integer; 1 turns the splitting off), read at each call that
 * is large enough to split, at most SPLIT_MAX_THREADS. The calling thread runs the first chunk; a
 * chunk whose thread cannot be created runs on the calling thread too. Threads are started for
 * the call and joined before it returns, not pooled: a start costs tens of microseconds against
 * the milliseconds of a loop this long, and no idle thread outlives the call (to spin on a core
 * that BLAS wants, or to be lost in a fork()).
 *
 * Every element is computed by the code a single pass would run, so the split changes no bit,
 * provided that the body writes only elements of its own range and accumulates nothing across
 * them (a sum would change its order of additions).
 */
#ifndef NUMKERAS_PARALLEL_H
#define NUMKERAS_PARALLEL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <stdlib.h>

#ifndef _WIN32
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#endif

/* The fewest elements worth a thread of their own. Below two such chunks the arrays of a loop fit
 * in the last-level cache (Adam's four: under 32 MB), where one core already runs the loop at
 * about 50 GB/s, and a thread's start and the wait for a free core cost more than the split
 * saves; beyond, one core draws under 30 GB/s (benchmarks/kernel_threads.py, 2-core Xeon). */
#define SPLIT_MIN_CHUNK ((Py_ssize_t)1 << 20)
#define SPLIT_MAX_THREADS 64
/* Chunks start on a 64-byte line of float32s, so no two threads write one cache line. */
#define SPLIT_ALIGN ((Py_ssize_t)16)

typedef void (*LoopBody)(void *context, Py_ssize_t start, Py_ssize_t end);

/* The number of threads to use: NUMKERAS_KERNEL_THREADS, else the CPUs this process may use;
 * -1 with a ValueError set if the variable is not a positive integer. GIL held. */
static inline int split_threads(void)
{
    const char *setting = getenv("NUMKERAS_KERNEL_THREADS");
    if (setting != NULL && *setting != '\0') {
        char *rest;
        errno = 0;
        long threads = strtol(setting, &rest, 10);
        if (*rest != '\0' || errno != 0 || threads < 1) {
            PyErr_Format(PyExc_ValueError,
                         "NUMKERAS_KERNEL_THREADS must be a positive integer, got '%s'", setting);
            return -1;
        }
        return threads < SPLIT_MAX_THREADS ? (int)threads : SPLIT_MAX_THREADS;
    }
#if defined(__linux__)
    cpu_set_t cpus;
    if (sched_getaffinity(0, sizeof cpus, &cpus) == 0)
        return CPU_COUNT(&cpus) < SPLIT_MAX_THREADS ? CPU_COUNT(&cpus) : SPLIT_MAX_THREADS;
#elif !defined(_WIN32)
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (online > 0)
        return online < SPLIT_MAX_THREADS ? (int)online : SPLIT_MAX_THREADS;
#endif
    return 1;
}

#ifndef _WIN32
/* One chunk of a split loop, as a thread runs it. */
typedef struct {
    LoopBody body;
    void *context;
    Py_ssize_t start, end;
    pthread_t thread;
    int started;
} Chunk;

static void *run_chunk(void *chunk_ptr)
{
    Chunk *chunk = chunk_ptr;
    chunk->body(chunk->context, chunk->start, chunk->end);
    return NULL;
}
#endif

/* Run body(context, start, end) over [0, n) in contiguous chunks, one per thread (see the top of
 * this file), with the GIL released. Called with the GIL held; on a bad NUMKERAS_KERNEL_THREADS
 * it runs nothing and leaves a ValueError set. */
static inline void split_loop(LoopBody body, void *context, Py_ssize_t n)
{
    int threads = 1;
#ifndef _WIN32
    if (n >= 2 * SPLIT_MIN_CHUNK) {
        threads = split_threads();
        if (threads < 0)
            return;
        if (threads > n / SPLIT_MIN_CHUNK)
            threads = (int)(n / SPLIT_MIN_CHUNK);
    }
#endif
    if (threads == 1) {
        Py_BEGIN_ALLOW_THREADS
        body(context, 0, n);
        Py_END_ALLOW_THREADS
        return;
    }
#ifndef _WIN32
    Chunk chunks[SPLIT_MAX_THREADS];
    const Py_ssize_t size = ((n + threads - 1) / threads + SPLIT_ALIGN - 1) / SPLIT_ALIGN
                            * SPLIT_ALIGN;
    Py_BEGIN_ALLOW_THREADS
    for (int t = 0; t < threads; t++) {
        const Py_ssize_t start = t * size < n ? t * size : n;
        chunks[t] = (Chunk){.body = body, .context = context, .start = start,
                            .end = start + size < n ? start + size : n, .started = 0};
        if (t > 0)
            chunks[t].started = pthread_create(&chunks[t].thread, NULL, run_chunk, &chunks[t]) == 0;
    }
    body(context, chunks[0].start, chunks[0].end);
    for (int t = 1; t < threads; t++) {
        if (chunks[t].started)
            pthread_join(chunks[t].thread, NULL);
        else
            body(context, chunks[t].start, chunks[t].end);
    }
    Py_END_ALLOW_THREADS
#endif
}

#endif /* NUMKERAS_PARALLEL_H */
