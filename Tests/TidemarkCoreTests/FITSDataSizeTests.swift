import Foundation
import Testing
@testable import TidemarkCore

/// The primary HDU's data end computed from its mandatory cards must agree with cfitsio's
/// for every real FITS sample, and step aside (nil) for anything it does not size itself.
@Suite struct FITSDataSizeTests {
    @Test func agreesWithCfitsioOnEverySample() throws {
        var compared = 0
        for folder in ["fits", "bad"] {
            for name in SampleFiles.names(in: folder) {
                let path = SampleFiles.path(folder, name)
                guard let file = try? ReadOnlyFile(path: path), let head = try? file.read(count: 2880 * 36, at: 0),
                      head.starts(with: FITSReader.simple), let end = FITSHeaderGuard.headerEnd(head),
                      let cfitsio = try? FITSFile(diskPath: path).dataEnd() else { continue }
                let ours = FITSDataSize.primaryDataEnd(Array(head.prefix(end)), headerEnd: end)
                #expect(ours == nil || ours == cfitsio, "\(folder)/\(name): \(ours.map(String.init) ?? "nil") vs cfitsio \(cfitsio)")
                if ours != nil { compared += 1 }
            }
        }
        #expect(compared >= 12, "only \(compared) samples were sized")
    }

    func header(_ cards: [String]) -> [UInt8] {
        var bytes = (["SIMPLE  =                    T"] + cards + ["END"]).flatMap { Array($0.padding(toLength: 80, withPad: " ", startingAt: 0).utf8) }
        while bytes.count % 2880 != 0 { bytes.append(UInt8(ascii: " ")) }
        return bytes
    }

    @Test func sizesFromBitpixAndAxes() {
        let h = header(["BITPIX  =                  -32 / float", "NAXIS   =                    2", "NAXIS1  =                  100", "NAXIS2  =                   50"])
        #expect(FITSDataSize.primaryDataEnd(h, headerEnd: h.count) == Int64(2880 + 20_160))
        let empty = header(["BITPIX  =                    8", "NAXIS   =                    0"])
        #expect(FITSDataSize.primaryDataEnd(empty, headerEnd: empty.count) == 2880)
    }

    @Test(arguments: [
        ["BITPIX  =                    7", "NAXIS   =                    0"],                            // not a BITPIX
        ["BITPIX  =                   16", "NAXIS   =                    1"],                            // NAXIS1 missing
        ["BITPIX  =                   16", "NAXIS   =                    1", "NAXIS1  =                 -5"], // negative
        ["BITPIX  =                   16", "NAXIS   =                    1", "NAXIS1  = 'ten'"],           // not an integer
        ["BITPIX  =                    8", "NAXIS   =                    2", "NAXIS1  =                    0",
         "NAXIS2  =                   10", "GROUPS  =                    T"],                            // random groups
        ["BITPIX  =                   64", "NAXIS   =                    2", "NAXIS1  =  9223372036854775807",
         "NAXIS2  =                    2"],                                                             // overflows
    ])
    func leavesWhatItCannotSizeToCfitsio(_ cards: [String]) {
        let h = header(cards)
        #expect(FITSDataSize.primaryDataEnd(h, headerEnd: h.count) == nil)
    }
}
