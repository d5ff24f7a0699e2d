// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "tidemark",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tidemark", targets: ["tidemark"]),
        .library(name: "TidemarkCore", targets: ["TidemarkCore"]),
        .library(name: "TidemarkPostgres", targets: ["TidemarkPostgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        // postgres-nio's own dependencies, named because the adapter imports them.
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // The HTTP server of `tidemark serve`.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        // The library: catalog, scanner, time coverage. No printing, no argv.
        .target(
            name: "TidemarkCore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                // The scan's hot loops bind and step statements directly.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                "CFITSIO", "CNetCDF", "CBZ2", "CZlib",
            ]
        ),
        // The PostgreSQL catalog (a shared server), behind the same store protocols.
        .target(
            name: "TidemarkPostgres",
            dependencies: [
                "TidemarkCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `tidemark serve`: the JSON API, the OpenAPI document and the status page (Hummingbird).
        .target(
            name: "TidemarkServer",
            dependencies: [
                "TidemarkCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // C libraries of the header readers, reached only through TidemarkCore.
        .systemLibrary(name: "CFITSIO", pkgConfig: "cfitsio", providers: [.apt(["libcfitsio-dev"])]),
        .systemLibrary(name: "CNetCDF", pkgConfig: "netcdf", providers: [.apt(["libnetcdf-dev"])]),
        .systemLibrary(name: "CBZ2", providers: [.apt(["libbz2-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The command: one file per subcommand, nothing else.
        .executableTarget(
            name: "tidemark",
            dependencies: [
                "TidemarkCore", "TidemarkPostgres", "TidemarkServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Benchmarks and the example-archive builder live outside the tests.
        .executableTarget(
            name: "tidemark-bench",
            dependencies: [
                "TidemarkCore",
                "TidemarkPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Benchmarks/tidemark-bench"
        ),
        .target(name: "TestSupport", dependencies: ["TidemarkCore"], path: "Tests/TestSupport"),
        // The behaviour suites run on both stores.
        .testTarget(name: "TidemarkCoreTests", dependencies: ["TidemarkCore", "TidemarkPostgres", "TestSupport"]),
        // Against the suite's real PostgreSQL server (scripts/test-postgres).
        // (tidemark-bench: its hidden hold-lock mode is the holder the tests kill.)
        .testTarget(name: "TidemarkPostgresTests", dependencies: ["TidemarkPostgres", "TidemarkCore", "TestSupport", "tidemark-bench"]),
        // Runs the built `tidemark` binary, as users and cron do (and checks the benchmarks' child runner).
        .testTarget(name: "tidemarkTests", dependencies: ["TidemarkCore", "TidemarkPostgres", "TestSupport", "tidemark", "tidemark-bench",
                                                         "CFITSIO"]),
    ]
)
