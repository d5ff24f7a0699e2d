#ifndef TIDEMARK_CZLIB_SHIM_H
#define TIDEMARK_CZLIB_SHIM_H
#include <zlib.h>

// inflateInit2 is a macro; this wrapper passes the version and struct size it adds.
static inline int tidemark_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
#endif
