import Foundation
import XCTest

/// The built `doodle` binary, run as a user runs it: `.build/release/doodle`, or the one the
/// environment variable DOODLE_BIN names (relative to the package root).
enum DoodleBinary {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    struct Run { let status: Int32; let stdout: String; let stderr: String }

    static func url() throws -> URL {
        let binary = ProcessInfo.processInfo.environment["DOODLE_BIN"].map { URL(fileURLWithPath: $0, relativeTo: packageRoot) }
            ?? packageRoot.appendingPathComponent(".build/release/doodle")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            XCTFail("\(binary.path) is missing: build with `swift build -c release` (scripts/test does), or set DOODLE_BIN")
            throw XCTSkip("no binary")
        }
        return binary
    }

    /// Runs to the end and collects both streams.
    static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = try url()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Starts the binary, waits until its standard output contains `marker` (nil: 0.3 s), sends
    /// `signal`, and returns the exit status and everything it printed.
    static func interrupted(_ arguments: [String], in directory: URL, after marker: String?,
                            signal: Int32 = SIGINT) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try url()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        var seen = Data()
        if let marker {
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline, !String(decoding: seen, as: UTF8.self).contains(marker) {
                seen.append(out.fileHandleForReading.availableData)
            }
        } else {
            Thread.sleep(forTimeInterval: 0.3)
        }
        kill(process.processIdentifier, signal)
        seen.append(out.fileHandleForReading.readDataToEndOfFile())
        seen.append(err.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: seen, as: UTF8.self))
    }
}
