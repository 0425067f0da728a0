#include "image_codecs.h"
int image_codecs_version(void) { return 1; }
