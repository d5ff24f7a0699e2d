/// libFuzzer entry for the FITS reader (cfitsio, the .gz/.Z prefixes, the keyword rules).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFITS(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let path = fuzzFile(data, size, suffix: ".fits")
    check { try FITSReader().read(path: path) }
    return 0
}
