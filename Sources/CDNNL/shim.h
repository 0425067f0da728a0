// oneDNN (Debian libdnnl-dev): convolutions, pooling, reorders and sgemm, through its C API.
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
