#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer entry for the netCDF reader. HDF5 inputs are skipped unless
/// TIDEMARK_FUZZ_HDF5=1: HDF5 1.10.8 aborts on some corrupted files (see README.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNetCDF(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    if size >= 4, data.load(as: UInt8.self) == 0x89, getenv("TIDEMARK_FUZZ_HDF5") == nil { return -1 }
    let path = fuzzFile(data, size, suffix: ".nc")
    check { try NetCDFReader().read(path: path) }
    return 0
}
