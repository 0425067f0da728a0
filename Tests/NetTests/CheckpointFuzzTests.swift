import Foundation
import Net
import XCTest

/// Corrupts every fixture in many ways and checks that `Checkpoint.load` either succeeds or
/// throws a one-line `CheckpointError` — it must never trap (a trap would kill the test run).
final class CheckpointFuzzTests: XCTestCase {
    static let fixtures = [
        "legacy.pth", "legacy_proto4.pth", "torch_zip.pth", "torch_zip64.pth", "tensors.safetensors",
        "legacy_double.pth", "bad_opcode.pth", "wrong_magic.pth", "zip_deflated.pth", "bf16.safetensors",
    ]

    private var directory: URL!

    override func setUpWithError() throws {
        // Thousands of small rewrites: prefer a RAM file system, rewriting on disk can be slow.
        var isDirectory: ObjCBool = false
        let base = FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory) && isDirectory.boolValue
            && FileManager.default.isWritableFile(atPath: "/dev/shm")
            ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        directory = base.appendingPathComponent("doodle-ckpt-fuzz-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private struct Counts { var loaded = 0; var failed = 0 }

    private func attempt(_ bytes: [UInt8], _ path: String, _ counts: inout Counts, _ label: @autoclosure () -> String) {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            return XCTFail("cannot write \(path): \(error)")
        }
        do {
            let c = try Checkpoint.load(path: path)
            for (name, t) in c.tensors {
                XCTAssertEqual(t.shape.reduce(1, *), t.data.count, "\(label()): \(name)")
            }
            counts.loaded += 1
        } catch let error as CheckpointError {
            let text = error.description
            if text.contains("\n") || !text.hasPrefix("'\(path)': ") {
                XCTFail("\(label()): bad message \(text)")
            }
            counts.failed += 1
        } catch {
            XCTFail("\(label()): unexpected error \(error)")
        }
    }

    /// Every truncation length, and at every position: xor 0x01, xor 0x80, set 0x00, set 0xFF.
    func testTruncatedAndFlippedBytes() throws {
        for fixture in Self.fixtures {
            let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: checkpointFixturePath(fixture))))
            let path = directory.appendingPathComponent("fuzz_" + fixture).path
            var counts = Counts()
            for length in 0 ..< original.count {
                attempt(Array(original[..<length]), path, &counts, "\(fixture) cut to \(length)")
            }
            for position in original.indices {
                for mutation in 0 ..< 4 {
                    var bytes = original
                    switch mutation {
                    case 0: bytes[position] ^= 0x01
                    case 1: bytes[position] ^= 0x80
                    case 2: bytes[position] = 0x00
                    default: bytes[position] = 0xFF
                    }
                    if bytes == original { continue }
                    attempt(bytes, path, &counts, "\(fixture) byte \(position) mutation \(mutation)")
                }
            }
            XCTAssertGreaterThan(counts.failed, 0, fixture)
        }
    }

    /// Several random byte changes at once, plus random splices (deterministic seed).
    func testRandomCorruption() throws {
        var rng = SplitMix64(seed: 0x5EED_D00D)
        for fixture in Self.fixtures {
            let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: checkpointFixturePath(fixture))))
            let path = directory.appendingPathComponent("random_" + fixture).path
            var counts = Counts()
            for trial in 0 ..< 300 {
                var bytes = original
                let changes = 1 + Int(rng.next() % 8)
                for _ in 0 ..< changes {
                    let p = Int(rng.next() % UInt64(bytes.count))
                    bytes[p] = UInt8(truncatingIfNeeded: rng.next())
                }
                if trial % 3 == 0 {  // also duplicate or drop a chunk
                    let a = Int(rng.next() % UInt64(bytes.count))
                    let n = min(bytes.count - a, 1 + Int(rng.next() % 32))
                    if rng.next() % 2 == 0 {
                        bytes.insert(contentsOf: bytes[a ..< a + n], at: a)
                    } else {
                        bytes.removeSubrange(a ..< a + n)
                    }
                }
                attempt(bytes, path, &counts, "\(fixture) random trial \(trial)")
            }
        }
    }
}

