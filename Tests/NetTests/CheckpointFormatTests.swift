import Foundation
import Net
import XCTest

/// Absolute path of a file in Tests/Fixtures/checkpoints (made by make_checkpoints.py there).
func checkpointFixturePath(_ name: String, file: StaticString = #filePath) -> String {
    URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/checkpoints/\(name)").path
}

/// The values make_checkpoints.py writes; float16 ones are exactly representable.
enum CheckpointFixtureValues {
    static let half: [Float] = [0.5, -2, 65504, 0x1p-24]
}

final class CheckpointFormatTests: XCTestCase {
    private func assertTensor(_ checkpoint: Checkpoint, _ name: String, _ shape: [Int], _ data: [Float],
                              file: StaticString = #filePath, line: UInt = #line) {
        guard let t = checkpoint[name] else {
            return XCTFail("no tensor \(name) in \(checkpoint.tensors.map(\.name))", file: file, line: line)
        }
        XCTAssertEqual(t.shape, shape, name, file: file, line: line)
        XCTAssertEqual(t.data, data, name, file: file, line: line)
    }

    private func checkLegacy(_ fixture: String) throws {
        let c = try Checkpoint.load(path: checkpointFixturePath(fixture))
        XCTAssertEqual(c.format, .torchLegacy)
        XCTAssertEqual(c.path, checkpointFixturePath(fixture))
        XCTAssertEqual(c.tensors.map(\.name), ["a", "b", "c", "d"])
        assertTensor(c, "a", [2, 3], [0, 1, 2, 3, 4, 5])
        assertTensor(c, "b", [4], CheckpointFixtureValues.half)
        // c: storage 100 + 0.5·i (10 elements), offset 1, size (3, 2), stride (1, 3).
        assertTensor(c, "c", [3, 2], [100.5, 102, 101, 102.5, 101.5, 103])
        // d: view of elements 4..<8 of that storage, offset 1, stride 2.
        assertTensor(c, "d", [2], [102.5, 103.5])
        XCTAssertNil(c["missing"])
    }

    func testLegacyProtocol2() throws { try checkLegacy("legacy.pth") }

    func testLegacyProtocol4() throws { try checkLegacy("legacy_proto4.pth") }

    private func checkZip(_ fixture: String) throws {
        let c = try Checkpoint.load(path: checkpointFixturePath(fixture))
        XCTAssertEqual(c.format, .torchZip)
        XCTAssertEqual(c.tensors.map(\.name), ["features.0.weight", "features.0.bias", "features.2.weight"])
        assertTensor(c, "features.0.weight", [2, 1, 2, 2], (0 ..< 8).map { Float($0) * 0.25 - 1 })
        assertTensor(c, "features.0.bias", [2], [1.5, -0.25])
        // Transposed view of storage 10...15: [[10, 13], [11, 14], [12, 15]].
        assertTensor(c, "features.2.weight", [3, 2], [10, 13, 11, 14, 12, 15])
    }

    func testTorchZip() throws { try checkZip("torch_zip.pth") }

    func testTorchZip64() throws { try checkZip("torch_zip64.pth") }

    func testSafetensors() throws {
        let c = try Checkpoint.load(path: checkpointFixturePath("tensors.safetensors"))
        XCTAssertEqual(c.format, .safetensors)
        XCTAssertEqual(c.tensors.map(\.name), ["a", "b", "s"])
        assertTensor(c, "a", [2, 3], [0, 1, 2, 3, 4, 5])
        assertTensor(c, "b", [4], CheckpointFixtureValues.half)
        assertTensor(c, "s", [], [3.25])
    }
}
