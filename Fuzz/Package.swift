// swift-tools-version:5.9
import PackageDescription

// libFuzzer targets for doodle's readers: every file format a user can hand it.
// Built apart from the main package, with the fuzzer and address sanitizer: `scripts/fuzz`.
let targets = [
    "fuzz-png", "fuzz-jpeg",
    "fuzz-torch-legacy", "fuzz-torch-zip", "fuzz-safetensors",
    "fuzz-resume-state", "fuzz-preset",
]

let engine = Target.Dependency.product(name: "DoodleEngine", package: "doodle")

let package = Package(
    name: "doodle-fuzz",
    dependencies: [.package(name: "doodle", path: "..")],
    targets: [
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: [engine, "CFuzzDriver"]),
    ] + targets.map { name in
        // Each main.swift hands its check to libFuzzer's driver.
        .executableTarget(name: name, dependencies: [engine, "FuzzSupport"], path: "Sources/\(name)")
    }
)
