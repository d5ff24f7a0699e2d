#ifndef TIDEMARK_CNETCDF_SHIM_H
#define TIDEMARK_CNETCDF_SHIM_H
// netCDF-C is not thread-safe: TidemarkCore calls it only under one global lock.
#include <netcdf.h>
#endif
