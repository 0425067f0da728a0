// Only the header matters: LLVMFuzzerRunDriver comes from libFuzzer's runtime.
#include "fuzz_driver.h"
