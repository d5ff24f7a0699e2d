extension CoverageResolver {
    /// The FITS, netCDF and NIDAS header readers (NIDAS without time tags: its header
    /// holds no time, so NIDAS files take their coverage from the name).
    public static var standard: CoverageResolver { standard(readNIDASTimeTags: false) }

    /// The standard readers; `readNIDASTimeTags` walks NIDAS samples for true coverage.
    /// `nidas-samples` in a rule always walks the samples.
    public static func standard(readNIDASTimeTags: Bool) -> CoverageResolver {
        CoverageResolver(readersBySource: [
            .fits: FITSReader(), .netcdf: NetCDFReader(),
            .nidas: NIDASReader(readTimeTags: readNIDASTimeTags), .nidasSamples: NIDASReader(readTimeTags: true),
        ])
    }
}
