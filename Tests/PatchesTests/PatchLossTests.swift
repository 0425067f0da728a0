import XCTest
import Net
import Patches

/// The patch loss computed from pixel-major features against the plain definition: cut every
/// patch, subtract its matched style patch, square and sum; fold the differences back.
final class PatchLossTests: XCTestCase {
    func testMatchedPatchLossEqualsThePlainDefinition() {
        let (c, h, w, sh, sw) = (5, 9, 11, 8, 10)
        var rng = SplitMix64(seed: 31)
        let target = PatchBank(features: Tensor(shape: [c, h, w], data: rng.floats(c * h * w, in: -1...2)), map: nil, mapWeight: 0)
        let style = PatchBank(features: Tensor(shape: [c, sh, sw], data: rng.floats(c * sh * sw, in: -1...2)), map: nil, mapWeight: 0)
        let matches = (0..<target.count).map { _ in Int32(rng.next() % UInt64(style.count)) }
        let scale: Float = 0.37

        // Plain: rows, differences, fold.
        let d = c * 9
        let (t, s) = (target.features, style.features)
        var plainLoss = 0.0
        var differences = [Float](repeating: 0, count: target.count * d)
        for i in 0..<target.count {
            for j in 0..<d {
                let diff = t[i * d + j] - s[Int(matches[i]) * d + j]
                plainLoss += Double(diff * diff)
                differences[i * d + j] = 2 * scale * diff
            }
        }
        plainLoss *= Double(scale)
        var plainGradient = [Float](repeating: 0, count: c * h * w)
        differences.withUnsafeBufferPointer { rows in
            plainGradient.withUnsafeMutableBufferPointer { out in
                PatchKernels.fold(rows.baseAddress!, rowStride: d, channels: c, height: h, width: w, into: out.baseAddress!)
            }
        }

        // Fast: straight from the pixels.
        var squares = [Float](repeating: 0, count: style.count)
        var gather = [Float](repeating: .nan, count: h * w * c)
        var gradient = [Float](repeating: .nan, count: c * h * w)
        var loss = 0.0
        style.pixels.withUnsafeBufferPointer { sp in
            squares.withUnsafeMutableBufferPointer { sq in
                var scratch = [Float](repeating: 0, count: sh * sw)
                PatchKernels.patchSquares(pixels: sp.baseAddress!, channels: c, height: sh, width: sw,
                                          scratch: &scratch, into: sq.baseAddress!)
            }
            target.pixels.withUnsafeBufferPointer { tp in
                loss = PatchKernels.matchedPatchLoss(target: tp.baseAddress!, height: h, width: w, style: sp.baseAddress!,
                                                     styleWidth: sw, channels: c, matches: matches, styleSquares: squares,
                                                     scale: scale, gather: &gather, gradient: &gradient)
            }
        }
        XCTAssertGreaterThan(plainLoss, 1)
        XCTAssertEqual(loss, plainLoss, accuracy: 1e-5 * plainLoss)
        let largest = plainGradient.map(abs).max()!
        XCTAssertLessThan(zip(gradient, plainGradient).map { abs($0 - $1) }.max()!, 1e-5 * largest)
    }

    /// The pixel-major copy, and the rows cut from it again after an update.
    func testBankPixelsAndRowsFollowUpdates() {
        let (c, h, w) = (3, 4, 5)
        var rng = SplitMix64(seed: 4)
        let first = Tensor(shape: [c, h, w], data: rng.floats(c * h * w, in: 0...1))
        let bank = PatchBank(features: first, map: nil, mapWeight: 0)
        XCTAssertEqual(bank.pixels[(2 * w + 3) * c + 1], first.data[1 * h * w + 2 * w + 3])
        let rowsBefore = bank.features
        let second = Tensor(shape: [c, h, w], data: rng.floats(c * h * w, in: 0...1))
        bank.update(features: second)
        XCTAssertNotEqual(bank.features, rowsBefore)
        // Patch (row 1, column 2), channel 2, kernel position (2, 0).
        XCTAssertEqual(bank.features[(1 * (w - 2) + 2) * c * 9 + 2 * 9 + 2 * 3 + 0], second.data[2 * h * w + 3 * w + 2])
        XCTAssertEqual(bank.pixels[(3 * w + 4) * c + 2], second.data[2 * h * w + 3 * w + 4])
    }
}
