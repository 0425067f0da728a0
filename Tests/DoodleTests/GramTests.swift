import XCTest
import Net
import Doodle

/// The Gram loss, its masks, colour control, Adam and map colour clustering, each against a
/// plain computation or a known answer.
final class GramTests: XCTestCase {
    private func random(_ shape: [Int], seed: UInt64, in range: ClosedRange<Float> = 0...2) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float.random(in: range, using: &rng) })
    }

    func testGramLossOfTheStyleItselfIsZero() {
        let style = random([4, 5, 6], seed: 1)
        let loss = GramLoss(layer: .conv3_1, weight: 25, styleFeatures: style, styleMasks: nil, targetMasks: nil, shares: nil)
        let (value, gradient) = loss.evaluate(features: style)
        XCTAssertEqual(value, 0, accuracy: 1e-9)
        XCTAssertEqual(gradient.data.map(abs).max()!, 0, accuracy: 1e-6)
    }

    /// The value against a Gram matrix written out by hand, and the gradient against central
    /// differences, unguided and with soft masks on both sides.
    func testGramLossValueAndGradient() {
        let style = random([3, 4, 5], seed: 2)
        let target = random([3, 3, 4], seed: 3)
        func plainGram(_ f: Tensor, _ mask: [Float]?) -> [Double] {
            let n = f.width * f.height
            let w = mask ?? [Float](repeating: 1, count: n)
            let norm = w.reduce(0.0) { $0 + Double($1 * $1) }
            return (0..<9).map { ij in
                (0..<n).reduce(0.0) { $0 + Double(f.data[(ij / 3) * n + $1] * f.data[(ij % 3) * n + $1] * w[$1] * w[$1]) } / norm
            }
        }
        let plain = zip(plainGram(target, nil), plainGram(style, nil)).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let unguided = GramLoss(layer: .conv2_1, weight: 2, styleFeatures: style, styleMasks: nil, targetMasks: nil, shares: nil)
        let unguidedValue = 2 * Double(GramLoss.scale) * plain / 9
        XCTAssertEqual(unguided.evaluate(features: target).loss, unguidedValue, accuracy: 1e-3 * unguidedValue)

        var rng = SplitMix64(seed: 4)
        let styleMasks = (0..<2).map { _ in (0..<20).map { _ in Float.random(in: 0...1, using: &rng) } }
        let targetMasks = (0..<2).map { _ in (0..<12).map { _ in Float.random(in: 0...1, using: &rng) } }
        let guided = GramLoss(layer: .conv2_1, weight: 2, styleFeatures: style, styleMasks: styleMasks,
                              targetMasks: targetMasks, shares: [0.3, 0.7])
        let expected = (0..<2).reduce(0.0) { sum, k in
            let d = zip(plainGram(target, targetMasks[k]), plainGram(style, styleMasks[k])).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            return sum + [0.3, 0.7][k] * d
        }
        let guidedValue = 2 * Double(GramLoss.scale) * expected / 9
        XCTAssertEqual(guided.evaluate(features: target).loss, guidedValue, accuracy: 1e-3 * guidedValue)

        for loss in [unguided, guided] {
            let (_, gradient) = loss.evaluate(features: target)
            for index in [0, 5, 13, 22, 35] {
                let h: Float = 1e-2
                var plus = target, minus = target
                plus.data[index] += h
                minus.data[index] -= h
                let numeric = (loss.evaluate(features: plus).loss - loss.evaluate(features: minus).loss) / Double(2 * h)
                XCTAssertEqual(Double(gradient.data[index]), numeric, accuracy: 2e-2 * abs(numeric) + 1e-2, "element \(index)")
            }
        }
    }

    func testGatherScaleAndScatterMatchPlainLoops() {
        let (c, n) = (5, 37)
        let features = random([c, 1, n], seed: 11).data
        let cells = [0, 3, 4, 10, 36, 20]
        let weights: [Float] = [1, 0.5, 0.25, 2, 0.75, 1.5]
        let gathered = GramKernels.gather(features, channels: c, cells: cells, weights: weights)
        var expected: [Float] = []
        for ch in 0..<c { for (j, cell) in cells.enumerated() { expected.append(features[ch * n + cell] * weights[j]) } }
        XCTAssertEqual(gathered, expected)
        var scaled = gathered
        GramKernels.scale(&scaled, channels: c, by: weights)
        XCTAssertEqual(scaled, expected.enumerated().map { $0.element * weights[$0.offset % cells.count] })
        var plane = features
        GramKernels.scatterAdd(gathered, channels: c, cells: cells, into: &plane)
        var plain = features
        for ch in 0..<c { for (j, cell) in cells.enumerated() { plain[ch * n + cell] += expected[ch * cells.count + j] } }
        XCTAssertEqual(plane, plain)
    }

    func testReceptiveFields() {
        // 3 at conv1_1, two more per 3x3 convolution, doubling steps after each pooling.
        XCTAssertEqual(ClassLabels.receptiveField(of: .conv1_1), 3)
        XCTAssertEqual(ClassLabels.receptiveField(of: .conv1_2), 5)
        XCTAssertEqual(ClassLabels.receptiveField(of: .conv2_1), 10)
        XCTAssertEqual(ClassLabels.receptiveField(of: .conv3_1), 24)
        XCTAssertEqual(ClassLabels.receptiveField(of: .conv4_1), 68)
        XCTAssertEqual(ClassLabels.receptiveField(of: .conv5_1), 156)
    }

    /// Left half class 0, right half class 1, 32x16 pixels: at conv2_1 (cells of 2 pixels,
    /// field 10) each way of carrying the mask down gives its own border.
    func testMaskPropagationAtABorder() {
        let (w, h) = (32, 16)
        let labels = ClassLabels(width: w, height: h, labels: (0..<w * h).map { Int32(($0 % w) >= 16 ? 1 : 0) }, classCount: 2)
        XCTAssertEqual(labels.shares, [0.5, 0.5])
        func row(_ mode: MaskPropagation) -> [Float] { Array(labels.masks(at: .conv2_1, mode)[0].prefix(16)) }
        // Resized: cells 0..7 are wholly class 0.
        XCTAssertEqual(row(.simple), [Float](repeating: 1, count: 8) + [Float](repeating: 0, count: 8))
        // A cell's field spans pixels 2x-4 ... 2x+5: wholly left of 16 up to x = 5, touching it up to x = 9.
        XCTAssertEqual(row(.inside), [Float](repeating: 1, count: 6) + [Float](repeating: 0, count: 10))
        XCTAssertEqual(row(.all), [Float](repeating: 1, count: 10) + [Float](repeating: 0, count: 6))
        // Through the network: 1 far inside, 0 far outside, falling in between.
        let mean = row(.mean)
        XCTAssertEqual(mean[0], 1, accuracy: 1e-6)
        XCTAssertEqual(mean[15], 0, accuracy: 1e-6)
        XCTAssertTrue(zip(mean, mean.dropFirst()).allSatisfy { $0 >= $1 }, "\(mean)")
        XCTAssertTrue(mean[7] > 0.5 && mean[8] < 0.5, "\(mean)")
        // Each class's masks cover the grid once for the resized and averaged masks.
        for mode in [MaskPropagation.simple, .mean] {
            let masks = labels.masks(at: .conv3_1, mode)
            for i in 0..<masks[0].count { XCTAssertEqual(masks[0][i] + masks[1][i], 1, accuracy: 1e-5) }
        }
    }

    func testLuminanceTransferKeepsTheContentsColours() {
        let content = Image(width: 8, height: 6, channels: 3) { c, x, y in Float([200, 90, 40][c] + x * 3 - y) }
        let grey = ColourControl.grey(content)
        XCTAssertEqual(grey.pixels[0], grey.pixels[48])
        // Recolouring the content's own luminance gives the content back.
        let back = ColourControl.recolour(grey, withColoursOf: content)
        for i in 0..<content.pixels.count { XCTAssertEqual(back.pixels[i], content.pixels[i], accuracy: 1) }
    }

    func testHistogramMatchingGivesTheContentsMeanAndCovariance() {
        let style = Image(width: 16, height: 16, channels: 3) { c, x, y in Float((x * 13 + y * 7 * (c + 1) + c * 50) % 256) }
        let content = Image(width: 16, height: 16, channels: 3) { c, x, y in Float(60 + ((x * 5 + y * 3) % 40) * (c + 1) / 2 + (c == 2 ? x : 0)) }
        let matched = ColourControl.matchColours(style, to: content)
        let (m, cov) = ColourControl.statistics(matched)
        let (mc, covc) = ColourControl.statistics(content)
        for c in 0..<3 { XCTAssertEqual(m[c], mc[c], accuracy: 1) }
        for i in 0..<9 { XCTAssertEqual(cov[i], covc[i], accuracy: 0.05 * abs(covc[i]) + 3) }
    }

    func testAdamFindsTheMinimumOfAQuadraticWithinBounds() {
        let target: [Float] = [10, 200, 300, -5]
        let adam = AdamMinimizer(count: 4, lower: 0, upper: 255, learningRate: 5)
        adam.fix([3], at: [42])
        var x: [Float] = [100, 100, 100, 100]
        let result = adam.minimize(x: &x, maxEvaluations: 400) { point, gradient in
            var f: Float = 0
            for i in 0..<3 {
                f += (point[i] - target[i]) * (point[i] - target[i])
                gradient[i] = 2 * (point[i] - target[i])
            }
            gradient[3] = 1
            return f
        }
        XCTAssertEqual(result.evaluations, 400)
        XCTAssertEqual(x[0], 10, accuracy: 1)
        XCTAssertEqual(x[1], 200, accuracy: 1)
        XCTAssertEqual(x[2], 255, accuracy: 0.01)   // held at the bound
        XCTAssertEqual(x[3], 42)                    // fixed
    }

    /// Three flat regions blurred and noised like a JPEG guide, in two maps: clustering into
    /// three colours labels every pixel by its region, the same colours in both maps.
    func testMapColourClusteringSeparatesKnownRegions() {
        let colours: [[Float]] = [[220, 30, 30], [30, 200, 40], [40, 40, 210]]
        var rng = SplitMix64(seed: 9)
        func map(_ width: Int, _ region: (Int, Int) -> Int) -> (Image, [Int]) {
            let h = 20
            var regions: [Int] = []
            var pixels = [Float](repeating: 0, count: 3 * width * h)
            for y in 0..<h { for x in 0..<width { regions.append(region(x, y)) } }
            for p in 0..<width * h {
                for c in 0..<3 { pixels[c * width * h + p] = colours[regions[p]][c] + Float.random(in: -25...25, using: &rng) }
            }
            return (Image(width: width, height: h, channels: 3, pixels: pixels).clamped(), regions)
        }
        let (a, ra) = map(30) { x, _ in x / 10 }
        let (b, rb) = map(24) { x, y in y < 10 ? 2 : x < 12 ? 0 : 1 }
        let flat = MapColourClustering.flatten([a, b], classes: 3, seed: 1)
        func colour(_ image: Image, _ p: Int) -> [Float] { (0..<3).map { image.pixels[$0 * image.planeSize + p] } }
        var byRegion: [Int: [Float]] = [:]
        for (image, regions) in [(flat[0], ra), (flat[1], rb)] {
            for (p, region) in regions.enumerated() {
                let c = colour(image, p)
                if let seen = byRegion[region] { XCTAssertEqual(seen, c, "region \(region)") } else { byRegion[region] = c }
            }
        }
        XCTAssertEqual(Set(byRegion.values.map { $0.map(Int.init) }).count, 3)
        // Deterministic: the same seed, the same maps.
        XCTAssertEqual(MapColourClustering.flatten([a, b], classes: 3, seed: 1), flat)
    }

    func testBlackAndWhiteMasks() {
        let mask = Image(width: 10, height: 10, channels: 3) { _, x, _ in x < 4 ? 8 : 250 }
        XCTAssertTrue(mask.isBlackAndWhiteMask)
        XCTAssertEqual(mask.maskWeights(width: 10, height: 10).prefix(10), [0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
        let colourful = Image(width: 10, height: 10, channels: 3) { c, x, _ in c == 0 && x < 5 ? 255 : 0 }
        XCTAssertFalse(colourful.isBlackAndWhiteMask)
    }
}
