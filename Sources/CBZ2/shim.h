#ifndef TIDEMARK_CBZ2_SHIM_H
#define TIDEMARK_CBZ2_SHIM_H
// bzip2 has no pkg-config file on Debian; the module map links libbz2 directly.
#include <bzlib.h>
#endif
