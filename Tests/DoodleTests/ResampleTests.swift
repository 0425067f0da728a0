import Doodle
import Foundation
import XCTest
import Net

final class ResampleTests: XCTestCase {
    /// Brute-force 2-D area average, independent of the separable implementation:
    /// integrates the piecewise-constant input over each output cell.
    private func referenceArea(_ image: Image, width: Int, height: Int) -> [Double] {
        let sx = Double(image.width) / Double(width), sy = Double(image.height) / Double(height)
        var out = [Double]()
        for c in 0..<image.channels {
            for oy in 0..<height {
                for ox in 0..<width {
                    let x0 = Double(ox) * sx, x1 = Double(ox + 1) * sx
                    let y0 = Double(oy) * sy, y1 = Double(oy + 1) * sy
                    var sum = 0.0
                    for y in 0..<image.height {
                        let wy = max(0, min(y1, Double(y + 1)) - max(y0, Double(y)))
                        if wy == 0 { continue }
                        for x in 0..<image.width {
                            let wx = max(0, min(x1, Double(x + 1)) - max(x0, Double(x)))
                            sum += wx * wy * Double(image.pixel(c: c, x: x, y: y))
                        }
                    }
                    out.append(sum / (sx * sy))
                }
            }
        }
        return out
    }

    private func randomImage(width: Int, height: Int, channels: Int, seed: UInt64) -> Image {
        var generator = SplitMix64(seed: seed)
        return Image(width: width, height: height, channels: channels) { _, _, _ in Float(generator.next() % 256) }
    }

    private func assertClose(_ a: [Float], _ b: [Double], accuracy: Double,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (i, (x, y)) in zip(a, b).enumerated() where abs(Double(x) - y) > accuracy {
            XCTFail("sample \(i): \(x), expected \(y)", file: file, line: line)
            return
        }
    }

    // MARK: Area averaging

    func testAreaDownscale7x5To3x2MatchesHandComputedValues() {
        // v(x, y) = x + 10 y. Output cells are 7/3 wide and 5/2 high.
        let image = Image(width: 7, height: 5, channels: 1) { _, x, y in Float(x + 10 * y) }
        let small = image.downscaled(toWidth: 3, height: 2)
        XCTAssertEqual(small.width, 3)
        XCTAssertEqual(small.height, 2)
        // (0, 0): x in [0, 7/3): columns 0, 1 whole and 1/3 of 2 -> (0 + 1 + 2/3) / (7/3) = 5/7;
        //         y in [0, 5/2): rows 0, 1 whole and 1/2 of 2 -> (0 + 1 + 1) / (5/2) = 0.8.
        XCTAssertEqual(small.pixel(c: 0, x: 0, y: 0), 5.0 / 7.0 + 8, accuracy: 1e-4)
        // (1, 1): x in [7/3, 14/3): 2/3 of 2, 3, 2/3 of 4 -> (4/3 + 3 + 8/3) / (7/3) = 3;
        //         y in [5/2, 5): 1/2 of 2, 3, 4 -> (1 + 3 + 4) / (5/2) = 3.2.
        XCTAssertEqual(small.pixel(c: 0, x: 1, y: 1), 3 + 32, accuracy: 1e-4)
        // (2, 0): x in [14/3, 7): 1/3 of 4, 5, 6 -> (4/3 + 11) / (7/3) = 37/7.
        XCTAssertEqual(small.pixel(c: 0, x: 2, y: 0), 37.0 / 7.0 + 8, accuracy: 1e-4)
        assertClose(small.pixels, referenceArea(image, width: 3, height: 2), accuracy: 1e-4)
        // The mean of x + 10 y over the 7x5 grid is 3 + 20 = 23, and so is the mean of the result.
        XCTAssertEqual(small.mean(channel: 0), 23, accuracy: 1e-4)
    }

    func testAreaDownscalePreservesTheMeanForNonIntegerFactors() {
        let image = randomImage(width: 512, height: 384, channels: 3, seed: 1)
        let small = image.downscaled(toWidth: 300, height: 217)
        XCTAssertEqual(small.width, 300)
        XCTAssertEqual(small.height, 217)
        for c in 0..<3 {
            XCTAssertEqual(small.mean(channel: c), image.mean(channel: c), accuracy: 1e-3)
        }
        let tiny = randomImage(width: 23, height: 17, channels: 2, seed: 2)
        assertClose(tiny.downscaled(toWidth: 7, height: 5).pixels, referenceArea(tiny, width: 7, height: 5),
                    accuracy: 1e-3)
    }

    func testDownscaleByExactlyTwoEquals2x2Averaging() {
        let image = randomImage(width: 10, height: 8, channels: 3, seed: 3)
        let half = image.downscaled(toWidth: 5, height: 4)
        for c in 0..<3 {
            for y in 0..<4 {
                for x in 0..<5 {
                    let sum = image.pixel(c: c, x: 2 * x, y: 2 * y) + image.pixel(c: c, x: 2 * x + 1, y: 2 * y)
                        + image.pixel(c: c, x: 2 * x, y: 2 * y + 1) + image.pixel(c: c, x: 2 * x + 1, y: 2 * y + 1)
                    XCTAssertEqual(half.pixel(c: c, x: x, y: y), sum / 4, "(\(c), \(x), \(y))")
                }
            }
        }
    }

    func testDownscaledLabelMapGivesCoverageFractions() {
        // A one-hot map whose left 3 of 8 columns are class 0: at 3x1 the first cell
        // (8/3 columns wide) is all class 0, the second is 1/3 class 0.
        let map = Image(width: 8, height: 2, channels: 2) { c, x, _ in (x < 3) == (c == 0) ? 255 : 0 }
        let small = map.downscaled(toWidth: 3, height: 1)
        XCTAssertEqual(small.pixel(c: 0, x: 0, y: 0), 255, accuracy: 1e-3)
        XCTAssertEqual(small.pixel(c: 0, x: 1, y: 0), 255.0 / 8.0, accuracy: 1e-3)
        XCTAssertEqual(small.pixel(c: 0, x: 2, y: 0), 0, accuracy: 1e-3)
        for x in 0..<3 {
            XCTAssertEqual(small.pixel(c: 0, x: x, y: 0) + small.pixel(c: 1, x: x, y: 0), 255, accuracy: 1e-3)
        }
    }

    // MARK: Bicubic

    func testBicubicKeepsAConstantImageConstant() {
        for (w, h) in [(5, 4), (1, 1), (2, 7)] {
            let image = Image(width: w, height: h, channels: 3, repeating: 123.4)
            let big = image.upscaled(toWidth: 17, height: 11)
            XCTAssertEqual(big.width, 17)
            XCTAssertEqual(big.height, 11)
            for value in big.pixels { XCTAssertEqual(value, 123.4, accuracy: 1e-4) }
        }
    }

    func testBicubicUpscaleOfALinearRampIsLinearInTheInterior() {
        let (w, h, bigW, bigH) = (8, 6, 29, 23)
        let ramp = Image(width: w, height: h, channels: 1) { _, x, y in Float(3 + 10 * x + 7 * y) }
        let big = ramp.upscaled(toWidth: bigW, height: bigH)
        func position(_ i: Int, _ from: Int, _ to: Int) -> Double { (Double(i) + 0.5) * Double(from) / Double(to) - 0.5 }
        func interior(_ p: Double, _ count: Int) -> Bool { p.rounded(.down) - 1 >= 0 && p.rounded(.down) + 2 <= Double(count - 1) }
        var checked = 0
        for y in 0..<bigH where interior(position(y, h, bigH), h) {
            for x in 0..<bigW where interior(position(x, w, bigW), w) {
                let want = 3 + 10 * position(x, w, bigW) + 7 * position(y, h, bigH)
                XCTAssertEqual(Double(big.pixel(c: 0, x: x, y: y)), want, accuracy: 1e-3, "(\(x), \(y))")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 100)
    }

    func testBicubicUsesTheKeysKernel() {
        // Upscaling an impulse by 2 samples the kernel at distances 0.25, 0.75, 1.25 and 1.75:
        // W(0.25) = 0.8671875, W(0.75) = 0.2265625, W(1.25) = -0.0703125, W(1.75) = -0.0234375 (a = -0.5).
        let impulse = Image(width: 5, height: 1, channels: 1, pixels: [0, 0, 1, 0, 0])
        let big = impulse.upscaled(toWidth: 10, height: 1)
        let want: [Float] = [0, -0.0234375, -0.0703125, 0.2265625, 0.8671875,
                             0.8671875, 0.2265625, -0.0703125, -0.0234375, 0]
        for (got, value) in zip(big.pixels, want) { XCTAssertEqual(got, value, accuracy: 1e-6) }
    }

    func testBicubicAtAnOddIntegerFactorPassesThroughTheSamples() {
        let image = randomImage(width: 6, height: 4, channels: 1, seed: 4)
        let big = image.upscaled(toWidth: 18, height: 12)
        for y in 0..<4 {
            for x in 0..<6 {
                XCTAssertEqual(big.pixel(c: 0, x: 3 * x + 1, y: 3 * y + 1), image.pixel(c: 0, x: x, y: y), accuracy: 1e-3)
            }
        }
    }

    // MARK: Choosing filters, channels, speed

    func testResizedPicksAreaForShrinkingAndBicubicForGrowingPerAxis() {
        let image = randomImage(width: 12, height: 6, channels: 3, seed: 5)
        XCTAssertEqual(image.resized(toWidth: 8, height: 9), image.downscaled(toWidth: 8, height: 6).upscaled(toWidth: 8, height: 9))
        XCTAssertEqual(image.resized(toWidth: 20, height: 4), image.upscaled(toWidth: 20, height: 6).downscaled(toWidth: 20, height: 4))
        XCTAssertEqual(image.resized(toWidth: 5, height: 5), image.downscaled(toWidth: 5, height: 5))
        XCTAssertEqual(image.resized(toWidth: 30, height: 7), image.upscaled(toWidth: 30, height: 7))
        XCTAssertEqual(image.resized(toWidth: 12, height: 6), image)
        XCTAssertEqual(image.downscaled(toWidth: 12, height: 6), image)
        XCTAssertEqual(image.upscaled(toWidth: 12, height: 6), image)
    }

    func testEveryChannelIsResampledIndependently() {
        let image = randomImage(width: 9, height: 7, channels: 5, seed: 6)
        let down = image.downscaled(toWidth: 4, height: 3), up = image.upscaled(toWidth: 20, height: 15)
        for c in 0..<5 {
            let single = Image(width: 9, height: 7, channels: 1, pixels: Array(image.plane(c)))
            XCTAssertEqual(Array(down.plane(c)), single.downscaled(toWidth: 4, height: 3).pixels)
            XCTAssertEqual(Array(up.plane(c)), single.upscaled(toWidth: 20, height: 15).pixels)
        }
    }

    /// Sizes and ranges at 512x384 (their speed is `doodle bench kernels`').
    func testResamplingA512x384RGBImage() {
        let image = randomImage(width: 512, height: 384, channels: 3, seed: 7)
        let half = image.downscaled(toWidth: 256, height: 192)
        for (result, w, h) in [(half, 256, 192), (image.downscaled(toWidth: 301, height: 227), 301, 227),
                               (half.upscaled(toWidth: 512, height: 384), 512, 384), (image.resized(toWidth: 700, height: 200), 700, 200)] {
            XCTAssertEqual(result.width, w)
            XCTAssertEqual(result.height, h)
            XCTAssertEqual(result.pixels.count, w * h * 3)
            XCTAssertTrue(result.pixels.allSatisfy { $0.isFinite })
        }
    }
}
