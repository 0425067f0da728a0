import XCTest
import Net
import Patches
import Doodle

/// Each loss's gradient against central differences of its own value.
final class LossTests: XCTestCase {
    func testSmoothnessGradientMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 5)
        let image = Tensor(shape: [3, 7, 9], data: (0..<189).map { _ in Float.random(in: 0...255, using: &rng) })
        let tv = Smoothness(weight: 2)
        let (value, gradient) = tv.evaluate(image: image)
        XCTAssertGreaterThan(value, 0)
        for index in [0, 10, 40, 62, 100, 188] {
            let h: Float = 0.05
            var plus = image, minus = image
            plus.data[index] += h
            minus.data[index] -= h
            let numeric = (tv.evaluate(image: plus).loss - tv.evaluate(image: minus).loss) / Double(2 * h)
            XCTAssertEqual(Double(gradient.data[index]), numeric, accuracy: 5e-3 * abs(numeric) + 1e-9, "pixel \(index)")
        }
        // A flat image is perfectly smooth.
        XCTAssertEqual(tv.evaluate(image: Tensor(shape: [3, 4, 4], data: [Float](repeating: 7, count: 48))).loss, 0)
    }

    /// Smoothness is calibrated for the normalised VGG19 (see README, "Tuning").
    func testSmoothnessScaleOfOneNoiseImage() {
        // Differences of 10 in x and y on every pixel: (100 + 100)^1.25 per term.
        let (h, w) = (5, 5)
        let image = Tensor(shape: [1, h, w], data: (0..<h * w).map { Float(($0 / w) * 10 + ($0 % w) * 10) })
        let loss = Smoothness(weight: 1).evaluate(image: image).loss
        XCTAssertEqual(loss, pow(200, 1.25) * Double(Smoothness.scale), accuracy: 1e-3)
    }

    func testContentLossGradient() {
        let content = Tensor(shape: [2, 2, 2], data: [1, 2, 3, 4, 5, 6, 7, 8])
        let features = Tensor(shape: [2, 2, 2], data: [1, 2, 3, 4, 5, 6, 7, 10])
        let (value, gradient) = ContentLoss(layer: .conv4_2, weight: 10, content: content).evaluate(features: features)
        let k = Double(ContentLoss.scale)
        XCTAssertEqual(value, 10 * k * 4 / 8, accuracy: 1e-5)
        XCTAssertEqual(gradient.data.prefix(7), [0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Double(gradient.data[7]), 10 * k * 2 * 2 / 8, accuracy: 1e-5)
    }

    /// The style loss of an image against itself is zero: every patch finds itself.
    func testStyleLossOfTheStyleItselfIsZero() {
        var rng = SplitMix64(seed: 6)
        let features = Tensor(shape: [4, 6, 7], data: (0..<168).map { _ in Float.random(in: 0...2, using: &rng) })
        let bank = PatchBank(features: features, map: nil, mapWeight: 10)
        let loss = StyleLoss(layer: .conv3_1, weight: 25, style: bank, targetSize: (6, 7), targetMap: nil,
                             matcher: ExactPatchMatcher(style: bank))
        var timing = StageTiming()
        let (value, gradient) = loss.evaluate(features: features, timing: &timing)
        // The loss is a sum of squares expanded (|t|^2 - 2 t.s + |s|^2): zero up to rounding.
        XCTAssertEqual(value, 0, accuracy: 1e-6)
        XCTAssertEqual(gradient.data.map(abs).max()!, 0, accuracy: 1e-6)
        XCTAssertEqual(loss.matches, (0..<20).map(Int32.init))
    }

    /// With the matches held (small steps do not change them) the gradient is exact.
    func testStyleLossGradientMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 7)
        let style = Tensor(shape: [3, 8, 8], data: (0..<192).map { _ in Float.random(in: 0...1, using: &rng) })
        let target = Tensor(shape: [3, 6, 7], data: (0..<126).map { _ in Float.random(in: 0...1, using: &rng) })
        let bank = PatchBank(features: style, map: nil, mapWeight: 10)
        let loss = StyleLoss(layer: .conv3_1, weight: 25, style: bank, targetSize: (6, 7), targetMap: nil,
                             matcher: ExactPatchMatcher(style: bank))
        var timing = StageTiming()
        let (value, gradient) = loss.evaluate(features: target, timing: &timing)
        let matches = loss.matches
        XCTAssertGreaterThan(value, 0)
        var checked = 0
        for index in stride(from: 0, to: 126, by: 9) {
            let h: Float = 1e-3
            var plus = target, minus = target
            plus.data[index] += h
            minus.data[index] -= h
            let up = loss.evaluate(features: plus, timing: &timing).loss
            let sameUp = loss.matches == matches
            let down = loss.evaluate(features: minus, timing: &timing).loss
            guard sameUp, loss.matches == matches else { continue }
            checked += 1
            XCTAssertEqual(Double(gradient.data[index]), (up - down) / Double(2 * h),
                           accuracy: 2e-2 * abs(Double(gradient.data[index])) + 1e-4, "element \(index)")
        }
        XCTAssertGreaterThan(checked, 10)
    }

    /// The map channels steer matching: a target patch labelled "B" picks a style patch
    /// labelled "B" even when a "A" patch has identical features.
    func testSemanticWeightSteersMatching() {
        // Style: left half class 0, right half class 1, same features everywhere.
        let (h, w) = (5, 10)
        let features = Tensor(shape: [2, h, w], data: [Float](repeating: 1, count: 2 * h * w))
        var styleMap = Tensor(zeros: [2, h, w])
        for y in 0..<h { for x in 0..<w { styleMap.data[(x < 5 ? 0 : 1) * h * w + y * w + x] = 1 } }
        let bank = PatchBank(features: features, map: styleMap, mapWeight: 10)
        // Target: all class 1.
        var targetMap = Tensor(zeros: [2, 3, 3])
        for i in 0..<9 { targetMap.data[9 + i] = 1 }
        let loss = StyleLoss(layer: .conv3_1, weight: 1, style: bank, targetSize: (3, 3), targetMap: targetMap,
                             matcher: ExactPatchMatcher(style: bank))
        var timing = StageTiming()
        _ = loss.evaluate(features: Tensor(shape: [2, 3, 3], data: [Float](repeating: 1, count: 18)), timing: &timing)
        let chosen = Int(loss.matches[0])
        let patchX = chosen % (w - 2)
        XCTAssertGreaterThanOrEqual(patchX, 5, "patch \(chosen) should lie wholly in the class-1 half (x >= 5)")
    }
}

