// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "fleet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fleet", targets: ["fleet"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2", exact: "1.46.0"),
        .package(url: "https://github.com/apple/swift-collections", exact: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-certificates", exact: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", exact: "1.7.4"),
    ],
    targets: [
        .target(
            name: "FleetMigrations",
            path: "migrations",
            resources: [
                .embedInCode("0001_schema.sql"), .embedInCode("0002_runs_waves_executions.sql"),
                .embedInCode("0003_database_identity.sql"), .embedInCode("0004_holds.sql"),
                .embedInCode("0005_change_record.sql"), .embedInCode("0006_cheaper_checks.sql"),
            ]
        ),
        .target(
            name: "FleetSamples",
            path: "samples",
            // Files the README's walkthrough imports to show how a bad file is refused.
            exclude: ["typo.csv", "broken.csv"],
            resources: [
                .embedInCode("projects.csv"), .embedInCode("profile.json"), .embedInCode("corrected-tokens.csv"),
            ]
        ),
        // The layers, each on the ones above it and nothing else:
        // FleetModel: values (profile, fields, template, options, outcomes, errors, JSON, time).
        .target(
            name: "FleetModel",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // FleetStore: the SQLite file through GRDB (records, migrations, queries, the recorder).
        .target(
            name: "FleetStore",
            dependencies: [
                "FleetModel", "FleetMigrations",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // FleetEngine: requests and their scheduling (transport, step, scheduler, rate, breaker,
        // gate); it records through `TaskRecorder` and knows nothing of the store.
        .target(
            name: "FleetEngine",
            dependencies: [
                "FleetModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        // FleetCore: the session (plan, rollout, retry, rollback, verify) and its reports.
        .target(
            name: "FleetCore",
            dependencies: [
                "FleetModel", "FleetStore", "FleetEngine", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "FleetSimulator",
            dependencies: [
                "FleetModel", "FleetStore", "FleetEngine",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "fleet",
            dependencies: [
                "FleetModel", "FleetStore", "FleetEngine", "FleetCore", "FleetSimulator", "FleetSamples",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "FleetTestSupport",
            dependencies: [
                "FleetModel", "FleetStore", "FleetEngine", "FleetCore", "FleetSimulator",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ],
            path: "Tests/FleetTestSupport"
        ),
        .testTarget(
            name: "FleetCoreTests",
            dependencies: [
                "FleetMigrations", "FleetModel", "FleetStore", "FleetEngine", "FleetCore", "FleetSimulator",
                "FleetTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "FleetSimulatorTests",
            dependencies: [
                "FleetModel", "FleetStore", "FleetEngine", "FleetCore", "FleetSimulator", "FleetTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "FleetCommandTests",
            dependencies: [
                "fleet", "FleetModel", "FleetStore", "FleetEngine", "FleetCore", "FleetSimulator", "FleetTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "FleetEndToEndTests",
            dependencies: [
                "FleetModel", "FleetStore", "FleetEngine", "FleetCore", "FleetSimulator", "FleetTestSupport",
            ]
        ),
    ]
)
