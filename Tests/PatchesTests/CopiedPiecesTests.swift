import XCTest
import Patches

/// `CopiedPieces` and the copy-breaking part of `VarietyPenalty`, on hand-made match fields.
final class CopiedPiecesTests: XCTestCase {
    /// A 10x8 target grid into a 20x20 style grid: a 4x5 block copies at offset (+3, +2); the
    /// other cells point at scattered places whose neighbours never share an offset.
    private static let (width, height, styleWidth) = (10, 8, 20)
    private static func field() -> [Int32] {
        var matches = [Int32](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let inBlock = (2..<6).contains(x) && (1..<6).contains(y)
                let (sx, sy) = inBlock ? (x + 3, y + 2) : ((x * 7 + y * 3) % styleWidth, (x * 5 + y * 11) % styleWidth)
                matches[y * width + x] = Int32(sy * styleWidth + sx)
            }
        }
        return matches
    }

    func testPiecesFollowOneOffset() {
        let pieces = CopiedPieces(matches: Self.field(), width: Self.width, height: Self.height, styleWidth: Self.styleWidth)
        XCTAssertEqual(pieces.largest.size, 20)
        XCTAssertEqual(pieces.largest.offset.x, 3)
        XCTAssertEqual(pieces.largest.offset.y, 2)
        XCTAssertEqual(pieces.sizes.reduce(0, +), Self.width * Self.height)
        // Every cell outside the block is a piece of its own.
        XCTAssertEqual(pieces.sizes.count, Self.width * Self.height - 20 + 1)
    }

    func testVarietyPenalisesTheStylePatchesOfALargeCopy() {
        let matches = Self.field()
        let penalty = VarietyPenalty(strength: 0.5, styleCount: Self.styleWidth * Self.styleWidth, refreshEvery: 1)
        penalty.record(matches, targetWidth: Self.width, styleWidth: Self.styleWidth)
        // The block (20 of 80 patches) is over the limit: its style patches take the full strength.
        for y in 1..<6 {
            for x in 2..<6 {
                XCTAssertEqual(penalty.values[(y + 2) * Self.styleWidth + x + 3], 0.5)
            }
        }
        // Scattered patches keep the usage penalty (each used once or twice, at most 0.5).
        let blockSet = Set((1..<6).flatMap { y in (2..<6).map { x in (y + 2) * Self.styleWidth + x + 3 } })
        let others = matches.map(Int.init).filter { !blockSet.contains($0) }
        XCTAssertTrue(others.allSatisfy { penalty.values[$0] > 0 && penalty.values[$0] <= 0.5 })
        // The mark stays when the copy is gone (the next call matches elsewhere).
        penalty.record([Int32](repeating: 399, count: matches.count), targetWidth: Self.width, styleWidth: Self.styleWidth)
        XCTAssertEqual(penalty.values[(1 + 2) * Self.styleWidth + 2 + 3], 0.5)
    }

    func testSmallPiecesAreNotPenalised() {
        // A 2x2 copy among 80 patches is under the limit of max(4, 3%).
        var matches = Self.field()
        for y in 0..<Self.height {
            for x in 0..<Self.width where !((2..<4).contains(x) && (1..<3).contains(y)) {
                matches[y * Self.width + x] = Int32((x * 7 + y * 3) % 20 + 20 * ((x * 5 + y * 11) % 20))
            }
        }
        // Two far-apart cells share one style patch: the most used patch is used twice.
        matches[0] = 399
        matches[Self.width * Self.height - 1] = 399
        let penalty = VarietyPenalty(strength: 0.5, styleCount: 400, refreshEvery: 1)
        penalty.record(matches, targetWidth: Self.width, styleWidth: Self.styleWidth)
        let blockPatch = (1 + 2) * Self.styleWidth + 2 + 3
        var usage = [Int: Int]()
        for m in matches { usage[Int(m), default: 0] += 1 }
        let most = usage.values.max()!
        XCTAssertGreaterThan(most, 1)
        XCTAssertEqual(penalty.values[blockPatch], 0.5 * Float(usage[blockPatch]!) / Float(most), accuracy: 1e-6)
    }
}
