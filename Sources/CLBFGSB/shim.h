// Debian's liblbfgsb: the Fortran reference L-BFGS-B 3.0 (Byrd, Lu, Nocedal, Zhu), which
// ships no header. gfortran passes every argument by reference and appends the lengths of
// the two CHARACTER*60 arguments (task, csave) as trailing size_t values.
#include <stddef.h>
void setulb_(const int *n, const int *m, double *x, const double *l, const double *u,
             const int *nbd, double *f, double *g, const double *factr, const double *pgtol,
             double *wa, int *iwa, char *task, const int *iprint, char *csave, int *lsave,
             int *isave, double *dsave, size_t task_len, size_t csave_len);
