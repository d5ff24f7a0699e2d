import NIOCore
import Testing
@testable import TidemarkPostgres

/// The scan's COPY encoding writes numbers and bytes without making Strings: it must write
/// exactly what the plain conversions write.
@Suite struct CopyTextTests {
    @Test func decimalsAreThoseOfString() {
        var values: [Int64] = [0, 1, -1, 9, 10, -10, 99, 100, Int64.max, Int64.min, Int64.max - 1, Int64.min + 1]
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<10_000 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(Int64(bitPattern: x) >> Int64(x % 64))
        }
        var buffer = ByteBufferAllocator().buffer(capacity: 16)
        for v in values {
            buffer.clear()
            buffer.writeDecimal(v)
            #expect(String(buffer: buffer) == String(v))
        }
    }

    @Test func bytesAreHexWithTheirPrefix() {
        var buffer = ByteBufferAllocator().buffer(capacity: 4)
        buffer.writeCopyHex([0x00, 0x0f, 0xa0, 0xff, 0x2f])
        buffer.writeCopyHex([UInt8]())
        #expect(String(buffer: buffer) == #"\\x000fa0ff2f\\x"#)
    }
}
