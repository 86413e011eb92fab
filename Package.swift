// swift-tools-version: 6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "reconciler",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "reconciler", targets: ["reconciler"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // The daemon: HTTP server, services, metrics, HMAC. Traits off: no swift-configuration in the build.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .target(
            name: "Git",
            dependencies: ["CLibGit2", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReconcilerCore",
            dependencies: [
                "Git",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReconcilerServer",
            dependencies: [
                "ReconcilerCore",
                "Git",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReconcilerCommands",
            dependencies: [
                "ReconcilerCore",
                "ReconcilerServer",
                "Git",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "reconciler",
            dependencies: [
                "ReconcilerCommands",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReconcilerTesting",
            dependencies: ["Git", "ReconcilerCore"],
            path: "Tests/ReconcilerTesting",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GitTests",
            dependencies: ["Git", "ReconcilerTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconcilerCoreTests",
            dependencies: [
                "ReconcilerCore", "ReconcilerTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EngineTests",
            dependencies: ["ReconcilerCore", "ReconcilerTesting", "Git"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconcilerServerTests",
            dependencies: [
                "ReconcilerServer",
                "ReconcilerCore",
                "ReconcilerTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconcilerIntegrationTests",
            dependencies: ["ReconcilerCore", "ReconcilerServer", "ReconcilerTesting"],
            swiftSettings: swiftSettings
        ),
    ]
)
