import Doodle
import Foundation
import Net
import XCTest

/// Every input a fuzz target once failed on (`Fuzz/Regressions/TARGET/`), through the same
/// reader and the same checks as the target (Fuzz/Sources/FuzzSupport): read, or refused with
/// one line naming the file. `scripts/fuzz` replays them too, under the sanitizers.
final class FuzzRegressionTests: XCTestCase {
    static let regressions = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions")
    let inputName = "fuzz-input"

    private func inputs(_ target: String) throws -> [(file: String, bytes: [UInt8])] {
        let folder = Self.regressions.appendingPathComponent(target)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return try files.sorted().map { ($0, [UInt8](try Data(contentsOf: folder.appendingPathComponent($0)))) }
    }

    private func assertOneLine(_ error: Error, _ file: String, line: UInt = #line) {
        let text = "\(error)"
        XCTAssertFalse(text.contains(where: \.isNewline), "\(file): several lines: \(text.debugDescription)", line: line)
        XCTAssertTrue(text.contains(inputName), "\(file): the message does not name the file: \(text)", line: line)
    }

    func testPresetRegressionsAreRefusedWithOneLine() throws {
        let cases = try inputs("fuzz-preset")
        XCTAssertFalse(cases.isEmpty, "the multi-line message case is kept")
        for (file, bytes) in cases {
            let text = String(decoding: bytes, as: UTF8.self)
            let path = "/nonexistent-doodle-fuzz/\(inputName).yaml"
            XCTAssertThrowsError(try Preset.parse(yaml: text, path: path), file) { assertOneLine($0, file) }
            XCTAssertThrowsError(try JobFile.parse(yaml: text, path: path), file) { assertOneLine($0, file) }
        }
    }

    /// JPEGs whose scan data stops early (found as 20-second units: libjpeg padded a claimed
    /// 65292x246 image with gray). Refused as truncated.
    func testJPEGsWithMissingScanDataAreRefusedAsTruncated() throws {
        let cases = try inputs("fuzz-jpeg")
        XCTAssertFalse(cases.isEmpty)
        for (file, bytes) in cases {
            XCTAssertThrowsError(try Image.decode(bytes: bytes, path: inputName), file) { error in
                assertOneLine(error, file)
                XCTAssertEqual((error as? ImageError)?.kind, .truncated, "\(error)")
            }
        }
    }

    /// A legacy checkpoint whose pickle names a global with control characters: the message
    /// quoted them raw (a vertical tab broke the line). Escaped now.
    func testCheckpointRegressionsAreRefusedWithOneLine() throws {
        let cases = try inputs("fuzz-torch-legacy")
        XCTAssertFalse(cases.isEmpty)
        for (file, bytes) in cases {
            XCTAssertThrowsError(try bytes.withUnsafeBytes { try Checkpoint.decode($0, path: inputName) }, file) { error in
                assertOneLine(error, file)
                XCTAssertTrue("\(error)".contains("\\u{b}"), "the vertical tab shows escaped: \(error)")
            }
        }
    }
}
