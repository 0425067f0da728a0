// Small numeric kernels that need the CPU's wider vector units: Swift compiles for the x86-64
// baseline (SSE2), so the AVX2 + FMA versions live here and are chosen at run time from the
// CPU's feature flags (never from its model name).
#ifndef DOODLE_KERNELS_H
#define DOODLE_KERNELS_H

// Sum of a[i] * b[i] for i < n, with the widest kernel this CPU runs.
float doodle_dot(const float *a, const float *b, long n);

// The same with the baseline kernel (SSE2 on x86-64), whatever the CPU: for tests and benchmarks.
float doodle_dot_baseline(const float *a, const float *b, long n);

// The kernel doodle_dot runs on this CPU: "avx2+fma" or "sse2" (or "plain" off x86-64).
const char *doodle_dot_kernel(void);

// Blocks the asynchronous signals doodle or its libraries handle (SIGINT, SIGTERM, SIGHUP,
// SIGQUIT, SIGWINCH) on the calling thread, for threads that run oneDNN's JIT kernels: a
// handler run on such a thread can find its stack pointer in use by the kernel, and write its
// frame over the heap. Another thread (the UI's, or Dispatch's) takes those signals instead.
void doodle_shield_compute_thread(void);

#endif
