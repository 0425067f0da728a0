// oneDNN (Debian libdnnl-dev): convolutions, pooling, reorders and sgemm, through its C API.
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

// OpenMP (libgomp, oneDNN's threads): how many threads the calling thread's next parallel
// region may use. Set per thread, so that an sgemm inside one of doodle's parallel loops runs
// on the thread that calls it.
int omp_get_max_threads(void);
int omp_get_thread_num(void);
void omp_set_num_threads(int threads);

// libgomp's entry for `#pragma omp parallel` (the ABI GCC compiles that pragma to): runs
// fn(data) on every thread of a team, the calling thread included. doodle's own parallel
// loops run on this team too, so that one pool of threads serves oneDNN and doodle alike.
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
