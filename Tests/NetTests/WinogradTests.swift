import XCTest
import Net

/// Winograd's F(4x4, 3x3) against the direct seven loops, on channel-blocked buffers.
final class WinogradTests: XCTestCase {
    /// Sizes with partial tiles on both edges, a single pixel, and bands of one tile row.
    func testMatchesTheDirectConvolution() {
        var rng = SplitMix64(seed: 7)
        let cases: [(cin: Int, cout: Int, h: Int, w: Int, relu: Bool, bandBytes: Int)] = [
            (8, 16, 13, 10, true, 16 << 20),   // 4x3 tiles, the last row and column partial
            (16, 8, 9, 17, false, 1),          // one tile row per band
            (8, 8, 1, 1, true, 16 << 20),      // one pixel: all neighbours are padding
            (24, 8, 4, 8, false, 16 << 20),    // whole tiles only
        ]
        for c in cases {
            let input = rng.floats(c.cin * c.h * c.w, in: -1...1)
            let weights = rng.floats(c.cout * c.cin * 9, in: -0.5...0.5)
            let bias = rng.floats(c.cout, in: -0.5...0.5)
            let expected = Convolution3x3.reference(input: input, inChannels: c.cin, height: c.h, width: c.w,
                                                    weights: weights, bias: bias, outChannels: c.cout, relu: c.relu)
            let got = winograd(input, weights, bias, c.cin, c.cout, c.h, c.w, relu: c.relu, bandBytes: c.bandBytes)
            let scale = expected.map(abs).max()!
            XCTAssertGreaterThan(scale, 0.5, "\(c): the reference checks nothing")
            XCTAssertLessThan(maxDifference(got, expected) / scale, 1e-5, "\(c)")
            if c.relu { XCTAssertGreaterThan(expected.filter { $0 == 0 }.count, 0, "\(c): ReLU should clip some outputs") }
        }
    }

    /// The layout: pixel (y, x) of channel c sits at [c / 8, y, x, c % 8].
    func testBlockedLayoutRoundTrips() {
        let plain = (0..<16 * 3 * 2).map(Float.init)
        let blocked = Self.blocked(plain, channels: 16, height: 3, width: 2)
        XCTAssertEqual(blocked[0..<9].map { $0 }, [0, 6, 12, 18, 24, 30, 36, 42, 1])
        XCTAssertEqual(blocked[6 * 8], plain[8 * 6])  // block 1 starts with channel 8's first pixel
        XCTAssertEqual(Self.plain(blocked, channels: 16, height: 3, width: 2), plain)
    }

    private func winograd(_ input: [Float], _ weights: [Float], _ bias: [Float], _ cin: Int, _ cout: Int,
                          _ h: Int, _ w: Int, relu: Bool, bandBytes: Int) -> [Float] {
        let conv = weights.withUnsafeBufferPointer { wp in
            bias.withUnsafeBufferPointer { bp in
                WinogradConvolution(weights: wp.baseAddress!, bias: bp.baseAddress!, inChannels: cin, outChannels: cout,
                                    height: h, width: w, relu: relu, bandBytes: bandBytes)
            }
        }
        if bandBytes == 1 { XCTAssertEqual(conv.bandRows, 1) }
        let source = Self.blocked(input, channels: cin, height: h, width: w)
        var output = [Float](repeating: .nan, count: cout * h * w)
        var scratch = [Float](repeating: .nan, count: conv.scratchCount)
        source.withUnsafeBufferPointer { s in
            output.withUnsafeMutableBufferPointer { o in
                scratch.withUnsafeMutableBufferPointer { conv.run(input: s.baseAddress!, output: o.baseAddress!, scratch: $0.baseAddress!) }
            }
        }
        return Self.plain(output, channels: cout, height: h, width: w)
    }

    static func blocked(_ plain: [Float], channels: Int, height: Int, width: Int) -> [Float] {
        var out = [Float](repeating: 0, count: plain.count)
        for c in 0..<channels {
            for p in 0..<height * width { out[((c / 8) * height * width + p) * 8 + c % 8] = plain[c * height * width + p] }
        }
        return out
    }

    static func plain(_ blocked: [Float], channels: Int, height: Int, width: Int) -> [Float] {
        var out = [Float](repeating: 0, count: blocked.count)
        for c in 0..<channels {
            for p in 0..<height * width { out[c * height * width + p] = blocked[((c / 8) * height * width + p) * 8 + c % 8] }
        }
        return out
    }
}

extension WinogradTests {
    /// <conv(x), y> == <x, adjoint(y)> for the Winograd convolution itself (no bias, no ReLU):
    /// the input gradient is the transpose of exactly the map the forward pass computes.
    func testAdjointIsTheTransposeOfTheForwardPass() {
        var rng = SplitMix64(seed: 11)
        for (cin, cout, h, w, bandBytes) in [(8, 16, 13, 10, 16 << 20), (16, 8, 9, 17, 1), (8, 8, 2, 3, 16 << 20)] {
            let x = rng.floats(cin * h * w, in: -1...1), y = rng.floats(cout * h * w, in: -1...1)
            let weights = rng.floats(cout * cin * 9, in: -0.5...0.5)
            let conv = weights.withUnsafeBufferPointer {
                WinogradConvolution(weights: $0.baseAddress!, bias: nil, inChannels: cin, outChannels: cout,
                                    height: h, width: w, relu: false, bandBytes: bandBytes)
            }
            var scratch = [Float](repeating: .nan, count: conv.scratchCount)
            var cx = [Float](repeating: .nan, count: cout * h * w), cty = [Float](repeating: .nan, count: cin * h * w)
            let bx = Self.blocked(x, channels: cin, height: h, width: w), by = Self.blocked(y, channels: cout, height: h, width: w)
            scratch.withUnsafeMutableBufferPointer { s in
                bx.withUnsafeBufferPointer { i in cx.withUnsafeMutableBufferPointer { conv.run(input: i.baseAddress!, output: $0.baseAddress!, scratch: s.baseAddress!) } }
                by.withUnsafeBufferPointer { i in cty.withUnsafeMutableBufferPointer { conv.runAdjoint(outputGradient: i.baseAddress!, inputGradient: $0.baseAddress!, scratch: s.baseAddress!) } }
            }
            let lhs = zip(cx, by).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let rhs = zip(bx, cty).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertGreaterThan(abs(lhs), 0.1, "checks nothing")
            XCTAssertEqual(lhs, rhs, accuracy: 1e-5 * abs(lhs), "\(cin)->\(cout) \(h)x\(w)")
            // And it is the flipped, transposed direct convolution, as a gradient should be.
            let flipped = Convolution3x3.transposedFlipped(weights, outChannels: cout, inChannels: cin)
            let direct = Convolution3x3.reference(input: y, inChannels: cout, height: h, width: w, weights: flipped,
                                                  bias: nil, outChannels: cin, relu: false)
            let got = Self.plain(cty, channels: cin, height: h, width: w)
            XCTAssertLessThan(maxDifference(got, direct) / direct.map(abs).max()!, 1e-5, "\(cin)->\(cout) \(h)x\(w)")
        }
    }
}

extension WinogradTests {
    /// With the layer's rectified output given, the adjoint counts the output gradient only
    /// where that output is positive: the ReLU's gradient, taken inside.
    func testAdjointTakesTheReLUGradientFromTheOutput() {
        var rng = SplitMix64(seed: 13)
        let (cin, cout, h, w) = (8, 8, 7, 9)
        let weights = rng.floats(cout * cin * 9, in: -0.5...0.5)
        let conv = weights.withUnsafeBufferPointer {
            WinogradConvolution(weights: $0.baseAddress!, bias: nil, inChannels: cin, outChannels: cout,
                                height: h, width: w, relu: true)
        }
        let gradient = rng.floats(cout * h * w, in: -1...1)
        let output = rng.floats(cout * h * w, in: -1...1).map { max($0, 0) }  // as a ReLU leaves it
        let masked = zip(gradient, output).map { $1 > 0 ? $0 : 0 }
        var scratch = [Float](repeating: 0, count: conv.scratchCount)
        func adjoint(_ g: [Float], rectified: [Float]?) -> [Float] {
            var result = [Float](repeating: .nan, count: cin * h * w)
            g.withUnsafeBufferPointer { gp in
                result.withUnsafeMutableBufferPointer { r in
                    scratch.withUnsafeMutableBufferPointer { s in
                        if let rectified {
                            rectified.withUnsafeBufferPointer {
                                conv.runAdjoint(outputGradient: gp.baseAddress!, rectifiedOutput: $0.baseAddress!,
                                                inputGradient: r.baseAddress!, scratch: s.baseAddress!)
                            }
                        } else {
                            conv.runAdjoint(outputGradient: gp.baseAddress!, inputGradient: r.baseAddress!, scratch: s.baseAddress!)
                        }
                    }
                }
            }
            return result
        }
        let inside = adjoint(gradient, rectified: output), outside = adjoint(masked, rectified: nil)
        XCTAssertEqual(inside, outside)
        XCTAssertGreaterThan(maxDifference(adjoint(gradient, rectified: nil), outside), 0.1, "the mask should matter")
    }
}
