import XCTest
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Net

/// Fetches from a throwaway `python3 -m http.server` bound to 127.0.0.1 on a free port,
/// into a temporary DOODLE_HOME.
final class WeightStoreTests: XCTestCase {
    private var root: URL!       // everything this test writes
    private var served: URL!     // the directory the server serves
    private var home: String!    // DOODLE_HOME for the store
    private var server: Process?
    private var port = 0
    private var payload = Data()
    private var payloadSHA = ""

    private var store: WeightStore { WeightStore(environment: ["DOODLE_HOME": home, "HOME": "/nonexistent"]) }
    private var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/")! }

    override func setUpWithError() throws {
        let fm = FileManager.default
        root = fm.temporaryDirectory.appendingPathComponent("weightstore-\(UUID().uuidString)")
        served = root.appendingPathComponent("served")
        home = root.appendingPathComponent("home").path
        try fm.createDirectory(at: served, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: home, withIntermediateDirectories: true)

        // ~300 KB, so it arrives in several pieces.
        payload = Data((0..<300_001).map { UInt8(truncatingIfNeeded: ($0 &* 7919) >> 3) })
        payloadSHA = SHA256.hexDigest(of: payload)
        try payload.write(to: served.appendingPathComponent("weights.bin"))
        try startServer()
    }

    override func tearDownWithError() throws {
        stopServer()
        if let root { try? FileManager.default.removeItem(at: root) }
    }

    // MARK: - Tests

    func testHomeComesFromEnvironment() {
        XCTAssertEqual(WeightStore(environment: ["DOODLE_HOME": "/tmp/x", "HOME": "/h"]).home, "/tmp/x")
        XCTAssertEqual(WeightStore(environment: ["HOME": "/h"]).home, "/h/.cache/doodle")
        XCTAssertEqual(WeightStore(environment: ["DOODLE_HOME": "", "HOME": "/h"]).home, "/h/.cache/doodle")
        XCTAssertEqual(WeightStore(environment: ["HOME": "/h"]).defaultWeightsPath, "/h/.cache/doodle/vgg_normalised.pth")
    }

    func testFetchWithRightChecksum() throws {
        var reports: [(Int64, Int64?)] = []
        let lock = NSLock()
        let path = try store.fetch(url: baseURL.appendingPathComponent("weights.bin"), sha256: payloadSHA,
                                  progress: { done, total in
            lock.lock(); reports.append((done, total)); lock.unlock()
        })
        XCTAssertEqual(path, home + "/weights.bin")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), payload)
        XCTAssertEqual(try directoryEntries(), ["weights.bin"], "no temporary file may be left")
        lock.lock(); defer { lock.unlock() }
        XCTAssertFalse(reports.isEmpty)
        XCTAssertEqual(reports.last?.0, Int64(payload.count))
        XCTAssertEqual(reports.last?.1, Int64(payload.count))
        XCTAssertEqual(reports.map(\.0), reports.map(\.0).sorted(), "progress only grows")
    }

    func testFetchToExplicitDestinationCreatesDirectories() throws {
        let destination = home + "/nested/dir/model.pth"
        let path = try store.fetch(url: baseURL.appendingPathComponent("weights.bin"), sha256: payloadSHA.uppercased(),
                                   to: destination)
        XCTAssertEqual(path, destination)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: destination)), payload)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: home + "/nested/dir"), ["model.pth"])
    }

    func testWrongChecksumLeavesNothingInPlace() throws {
        let wrong = String(repeating: "ab", count: 32)
        XCTAssertThrowsError(try store.fetch(url: baseURL.appendingPathComponent("weights.bin"), sha256: wrong)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(wrong), text)
            XCTAssertTrue(text.contains(payloadSHA), text)
            XCTAssertTrue(text.contains("weights.bin"), text)
            XCTAssertEqual((error as? WeightStoreError)?.kind, .checksumMismatch(expected: wrong, actual: payloadSHA))
        }
        XCTAssertEqual(try directoryEntries(), [], "neither the file nor a temporary may be left")
    }

    func testWrongChecksumKeepsPriorFile() throws {
        let prior = Data("an older file".utf8)
        let destination = home + "/weights.bin"
        try prior.write(to: URL(fileURLWithPath: destination))
        let wrong = String(repeating: "0", count: 64)
        XCTAssertThrowsError(try store.fetch(url: baseURL.appendingPathComponent("weights.bin"), sha256: wrong))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: destination)), prior)
        XCTAssertEqual(try directoryEntries(), ["weights.bin"])
    }

    func testGoodDownloadReplacesStaleFile() throws {
        let destination = home + "/weights.bin"
        try Data("stale".utf8).write(to: URL(fileURLWithPath: destination))
        try store.fetch(url: baseURL.appendingPathComponent("weights.bin"), sha256: payloadSHA)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: destination)), payload)
        XCTAssertEqual(try directoryEntries(), ["weights.bin"])
    }

    func testExistingGoodFileIsNotDownloadedAgain() throws {
        let url = baseURL.appendingPathComponent("weights.bin")
        try store.fetch(url: url, sha256: payloadSHA)
        try FileManager.default.removeItem(at: served.appendingPathComponent("weights.bin"))
        // The server would now answer 404: success shows that nothing was requested.
        XCTAssertEqual(try store.fetch(url: url, sha256: payloadSHA), home + "/weights.bin")
    }

    func testValidateRunsBeforeTheFileIsPutInPlace() throws {
        struct Rejected: Error {}
        let destination = home + "/weights.bin"
        let prior = Data("an older file".utf8)
        try prior.write(to: URL(fileURLWithPath: destination))
        var seen: [String] = []
        XCTAssertThrowsError(try store.fetch(url: baseURL.appendingPathComponent("weights.bin"), sha256: payloadSHA,
                                             validate: { candidate in
            seen.append(candidate)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: candidate)), self.payload)
            throw Rejected()
        })) { error in
            XCTAssertTrue(error is Rejected, "validate's error propagates unchanged: \(error)")
        }
        XCTAssertEqual(seen.count, 1)
        XCTAssertNotEqual(seen.first, destination, "validate sees the temporary file, not the destination")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: destination)), prior)
        XCTAssertEqual(try directoryEntries(), ["weights.bin"])

        // Accepted: in place; and an already good file is validated again.
        try store.fetch(url: baseURL.appendingPathComponent("weights.bin"), sha256: payloadSHA, validate: { _ in })
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: destination)), payload)
        seen = []
        try store.fetch(url: baseURL.appendingPathComponent("weights.bin"), sha256: payloadSHA, validate: { seen.append($0) })
        XCTAssertEqual(seen, [destination])
    }

    func testNotFoundIsAClearError() throws {
        let url = baseURL.appendingPathComponent("missing.pth")
        XCTAssertThrowsError(try store.fetch(url: url, sha256: payloadSHA)) { error in
            let text = "\(error)"
            XCTAssertEqual((error as? WeightStoreError)?.kind, .httpStatus(404), text)
            XCTAssertTrue(text.contains("404"), text)
            XCTAssertTrue(text.contains(url.absoluteString), text)
            XCTAssertFalse(text.contains("\n"), "one line: \(text)")
        }
        XCTAssertEqual(try directoryEntries(), [])
    }

    func testConnectionRefusedIsATransferError() throws {
        let url = baseURL.appendingPathComponent("weights.bin")
        stopServer()
        XCTAssertThrowsError(try store.fetch(url: url, sha256: payloadSHA)) { error in
            XCTAssertEqual((error as? WeightStoreError)?.kind, .transfer, "\(error)")
            XCTAssertTrue("\(error)".contains(url.absoluteString), "\(error)")
        }
        XCTAssertEqual(try directoryEntries(), [])
    }

    func testFileURL() throws {
        let source = served.appendingPathComponent("weights.bin")
        let path = try store.fetch(url: source, sha256: payloadSHA)
        XCTAssertEqual(path, home + "/weights.bin")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), payload)

        let missing = served.appendingPathComponent("absent.bin")
        XCTAssertThrowsError(try store.fetch(url: missing, sha256: payloadSHA)) { error in
            XCTAssertEqual((error as? WeightStoreError)?.kind, .transfer, "\(error)")
            XCTAssertTrue("\(error)".contains("absent.bin"), "\(error)")
        }
        XCTAssertEqual(try directoryEntries(), ["weights.bin"])
    }

    func testRejectsBadInput() {
        XCTAssertThrowsError(try store.fetch(url: baseURL.appendingPathComponent("weights.bin"), sha256: "abc")) { error in
            XCTAssertEqual((error as? WeightStoreError)?.kind, .invalidChecksum)
        }
        XCTAssertThrowsError(try store.fetch(url: URL(string: "ftp://127.0.0.1/weights.bin")!, sha256: payloadSHA)) { error in
            XCTAssertEqual((error as? WeightStoreError)?.kind, .unsupportedURL)
        }
    }

    // MARK: - Helpers

    private func directoryEntries() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: home).sorted()
    }

    /// Starts `python3 -m http.server` on 127.0.0.1, port chosen by the system, reads the port
    /// from its first line of output and waits until it answers.
    private func startServer() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
                             "--directory", served.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        server = process

        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        var text = ""
        let deadline = Date().addingTimeInterval(20)
        while port == 0 {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty, Date() < deadline else {
                throw ServerError(message: "python3 -m http.server did not start (output: \(text)); python3 is needed for this test")
            }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: #"port (\d+)"#, options: .regularExpression) {
                port = Int(text[range].dropFirst(5)) ?? 0
            }
        }
        while !serverAnswers() {
            guard Date() < deadline, process.isRunning else { throw ServerError(message: "python3 -m http.server on 127.0.0.1:\(port) does not answer") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    private func serverAnswers() -> Bool {
        let done = DispatchSemaphore(value: 0)
        let answered = LockedFlag()
        let task = URLSession.shared.dataTask(with: baseURL) { _, response, _ in
            if response != nil { answered.set() }
            done.signal()
        }
        task.resume()
        _ = done.wait(timeout: .now() + 2)
        return answered.value
    }

    private func stopServer() {
        guard let server else { return }
        if server.isRunning {
            server.terminate() // SIGTERM to this process id only
            server.waitUntilExit()
        }
        self.server = nil
    }
}

private struct ServerError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

private final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.lock(); flag = true; lock.unlock() }
    var value: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}
