// swift-tools-version:5.9
import PackageDescription

// Data flows one way: Net -> Patches -> Doodle -> (doodle CLI, TUI, Benchmarks).
let package = Package(
    name: "doodle",
    products: [
        .executable(name: "doodle", targets: ["DoodleCLI"]),
        // The engine without the front ends, for the fuzz targets in Fuzz/ (a package of its own).
        .library(name: "DoodleEngine", targets: ["Net", "Doodle"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // C libraries from Debian, each behind a module map.
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses"),
        .systemLibrary(name: "CLBFGSB", path: "Sources/CLBFGSB"),
        // libpng and libjpeg report errors by longjmp, which Swift cannot catch:
        // a small C target wraps them and turns each failure into a message.
        .target(name: "CImageCodecs", path: "Sources/CImageCodecs",
                linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]),

        // Kernels that need AVX2 + FMA, chosen at run time (Swift compiles for the SSE2 baseline).
        .target(name: "CKernels", path: "Sources/CKernels"),

        .target(name: "Net", dependencies: ["CDNNL", "CKernels"]),
        .target(name: "Patches", dependencies: ["Net", "CKernels"]),
        .target(name: "Doodle", dependencies: ["Net", "Patches", "CImageCodecs", "CLBFGSB",
                                               .product(name: "Yams", package: "Yams")]),
        .target(name: "TUI", dependencies: ["Net", "Patches", "Doodle", "CNcurses"]),
        // `doodle bench`: the measurements, apart from the code they measure.
        .target(name: "Benchmarks", dependencies: ["Net", "Patches", "Doodle"]),
        .executableTarget(name: "DoodleCLI", dependencies: [
            "Net", "Patches", "Doodle", "TUI", "Benchmarks",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "NetTests", dependencies: ["Net"]),
        .testTarget(name: "PatchesTests", dependencies: ["Patches", "Doodle"]),
        .testTarget(name: "DoodleTests", dependencies: ["Doodle"]),
        // Runs the built `doodle` binary as a user would (exit codes, messages, files).
        .testTarget(name: "CLITests", dependencies: ["Doodle"]),
        // Model and screen tests of the terminal studio (the screen ones drive tmux).
        .testTarget(name: "TUITests", dependencies: ["TUI", "Doodle"]),
    ]
)
