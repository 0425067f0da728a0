import Foundation
import Net
import XCTest

final class CheckpointErrorTests: XCTestCase {
    /// Loads `path`, expects a CheckpointError, and checks its one-line description names the
    /// file and contains every fragment.
    private func assertFails(_ path: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        do {
            let c = try Checkpoint.load(path: path)
            XCTFail("loaded \(c.tensors.count) tensors from \(path), expected an error", file: file, line: line)
        } catch let error as CheckpointError {
            let text = error.description
            XCTAssertFalse(text.contains("\n"), "not one line: \(text)", file: file, line: line)
            XCTAssertTrue(text.hasPrefix("'\(path)': "), text, file: file, line: line)
            XCTAssertEqual(error.path, path, file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(text.contains(fragment), "\(text)\n  lacks: \(fragment)", file: file, line: line)
            }
        } catch {
            XCTFail("unexpected error type: \(error)", file: file, line: line)
        }
    }

    private func fixture(_ name: String) -> String { checkpointFixturePath(name) }

    func testNoSuchFile() {
        assertFails(fixture("does_not_exist.pth"), ["does_not_exist.pth", "no such file"])
    }

    func testDirectory() {
        assertFails(checkpointFixturePath(""), ["is a directory"])
    }

    func testNotACheckpoint() {
        assertFails(fixture("not_a_checkpoint.pth"), ["not_a_checkpoint.pth': not a checkpoint (neither torch nor safetensors)"])
    }

    func testWrongMagic() {
        assertFails(fixture("wrong_magic.pth"), ["wrong_magic.pth", "not a checkpoint", "magic number"])
    }

    func testTruncatedLegacy() throws {
        let size = try FileManager.default.attributesOfItem(atPath: fixture("legacy_truncated.pth"))[.size] as! Int
        // Storage '2' (10 floats) starts 40 + 10 - 10 bytes before the cut end.
        assertFails(fixture("legacy_truncated.pth"),
                    ["legacy_truncated.pth", "truncated: storage 2 needs 40 bytes at offset \(size - 30), file ends at \(size)"])
    }

    func testUnknownOpcode() {
        assertFails(fixture("bad_opcode.pth"), ["bad_opcode.pth", "unsupported pickle opcode EXT1 (0x82)"])
    }

    func testUnsupportedStorageType() {
        assertFails(fixture("legacy_double.pth"),
                    ["legacy_double.pth", "tensor 'x' has storage type torch.DoubleStorage; only torch.FloatStorage"])
    }

    func testDeflatedZip() {
        assertFails(fixture("zip_deflated.pth"),
                    ["zip_deflated.pth", "zip entry 'archive/data.pkl' is compressed (deflate); only stored"])
    }

    func testBFloat16Safetensors() {
        assertFails(fixture("bf16.safetensors"),
                    ["bf16.safetensors': tensor 'a' has dtype BF16; only F32 (and F16, converted) are supported"])
    }

    func testSafetensorsOffsetsPastEnd() {
        assertFails(fixture("bad_offsets.safetensors"),
                    ["bad_offsets.safetensors", "truncated: tensor 'a' needs 800 bytes at offset 72, file ends at 80"])
    }

    func testEmptyFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doodle-ckpt-\(getpid())-empty")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("empty.pth").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        assertFails(path, ["empty.pth", "empty file"])
    }

    func testTruncatedZipAndSafetensors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doodle-ckpt-\(getpid())-cut")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["torch_zip.pth", "tensors.safetensors"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: fixture(name)))
            let path = dir.appendingPathComponent("cut_" + name).path
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: data.prefix(data.count - 3)))
            assertFails(path, ["cut_" + name, "truncated"])
        }
    }
}
