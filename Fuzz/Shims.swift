// Stand-ins for the scanner's types that Coverage.swift names, so the fuzzers compile the
// reader sources alone (no GRDB, no TOMLKit). Keep in step with TidemarkCore's own.
public enum TimeSource: String, Sendable { case name, fits, netcdf, nidas, nidasSamples = "nidas-samples", header, mtime, dataset }
public struct FileStat: Sendable {}
public struct Classification: Sendable {}
