#ifndef TIDEMARK_CNETCDF_SHIM_H
#define TIDEMARK_CNETCDF_SHIM_H
// netCDF-C is not thread-safe: TidemarkCore calls it only under one global lock.
#include <netcdf.h>
#include <hdf5.h>

// HDF5 prints its error stack to stderr on every failure (a truncated netCDF-4 file),
// and its thread-safe build keeps that setting per thread: netCDF-C turns it off only on
// the thread that first opened a file. A library must not print, so each open calls this.
static inline void tidemark_hdf5_quiet(void) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
#endif
