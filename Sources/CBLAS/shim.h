// OpenBLAS (Debian libopenblas-dev): cblas_sgemm and the thread count controls.
#include <x86_64-linux-gnu/cblas.h>
