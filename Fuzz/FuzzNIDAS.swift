/// libFuzzer entry for the NIDAS reader, header and every sample's time tag (bzip2 too).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNIDAS(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let path = fuzzFile(data, size, suffix: ".dat")
    check { try NIDASReader(readTimeTags: true).read(path: path) }
    return 0
}
