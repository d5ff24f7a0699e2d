#ifndef TIDEMARK_CFITSIO_SHIM_H
#define TIDEMARK_CFITSIO_SHIM_H
// cfitsio's long names (fits_open_diskfile, ...) are macros Swift cannot see;
// TidemarkCore calls the short names (ffdkopn, ffgkyn, ffmahd, ffclos, ...).
#include <fitsio.h>
#endif
