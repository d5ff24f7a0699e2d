import Foundation

/// Directory of the built products (the `tidemark` and `tidemark-bench` binaries live
/// beside the test bundle).
public let productsDirectory: String = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    if !FileManager.default.fileExists(atPath: url.appendingPathComponent("tidemark").path) {
        url = Bundle.main.bundleURL.deletingLastPathComponent()
    }
    return url.path
}()
