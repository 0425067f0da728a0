import Foundation
import XCTest
import Net

/// `--precision auto`: measured once per CPU and kept; bf16 only where oneDNN runs it natively.
final class PrecisionChoiceTests: XCTestCase {
    func weights() throws -> VGG19Weights {
        let path = WeightStore().defaultWeightsPath
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("weights missing at \(path): run scripts/setup")
            throw XCTSkip("no weights")
        }
        return try VGG19Weights.load(path: path)
    }

    func testAutoIsMeasuredOnceAndKept() throws {
        let w = try weights()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("doodle-precision-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = PrecisionChoice.resolve(.auto, weights: w, cacheDirectory: directory)
        let file = directory + "/" + PrecisionChoice.cacheFileName
        XCTAssertTrue(FileManager.default.fileExists(atPath: file))
        if VGG19.supports(.bf16, weights: w) {
            XCTAssertNotNil(first.fp32Seconds)
            XCTAssertNotNil(first.bf16Seconds)
        } else {
            XCTAssertEqual(first.precision, .fp32)
            XCTAssertTrue(first.reason.contains("no native bf16"), first.reason)
        }
        // The second call reads the file: an edited reason proves nothing was measured again.
        let text = try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: first.reason, with: "kept")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(PrecisionChoice.resolve(.auto, weights: w, cacheDirectory: directory).reason, "kept")
        // A damaged file is measured again and rewritten.
        try "{".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(PrecisionChoice.resolve(.auto, weights: w, cacheDirectory: directory).cpu, first.cpu)
        XCTAssertNotEqual(try String(contentsOfFile: file, encoding: .utf8), "{")
        XCTAssertEqual(PrecisionChoice.resolve(.fp32, weights: w, cacheDirectory: nil).precision, .fp32)
    }

    func testBF16IsRefusedWhereNotNative() throws {
        let w = try weights()
        try XCTSkipIf(VGG19.supports(.bf16, weights: w), "this CPU has native bf16 kernels")
        XCTAssertThrowsError(try PrecisionChoice.resolveChecked(.bf16, weights: w, cacheDirectory: nil)) { error in
            XCTAssertTrue("\(error)".contains("use auto or fp32"), "\(error)")
        }
    }
}
