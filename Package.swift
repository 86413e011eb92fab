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
    ],
    targets: [
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .target(
            name: "Git",
            dependencies: ["CLibGit2"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReconcilerCore",
            dependencies: [
                "Git",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReconcilerCommands",
            dependencies: [
                "ReconcilerCore",
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
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EngineTests",
            dependencies: ["ReconcilerCore", "ReconcilerTesting", "Git"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconcilerIntegrationTests",
            dependencies: ["ReconcilerCore", "ReconcilerTesting"],
            swiftSettings: swiftSettings
        ),
    ]
)
