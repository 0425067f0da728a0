// oneDNN (Debian libdnnl-dev): convolutions, pooling, reorders and sgemm, through its C API.
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

// OpenMP (libgomp, oneDNN's threads): how many threads the calling thread's next parallel
// region may use. Set per thread, so that sgemm can run on one thread inside doodle's own
// parallel loops instead of waking OpenMP's pool beside them.
int omp_get_max_threads(void);
void omp_set_num_threads(int threads);
