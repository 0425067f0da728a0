import XCTest
import Net

/// The fast im2col + sgemm kernel against the direct loops, and the adjoint used for gradients.
final class ConvolutionTests: XCTestCase {
    func testFastKernelMatchesReferenceAcrossBands() {
        var rng = SplitMix64(seed: 1)
        let (cin, cout, h, w) = (5, 7, 9, 11)
        let input = rng.floats(cin * h * w, in: -1...1)
        let weights = rng.floats(cout * cin * 9, in: -1...1)
        let bias = rng.floats(cout, in: -0.5...0.5)
        let expected = Convolution3x3.reference(input: input, inChannels: cin, height: h, width: w,
                                                weights: weights, bias: bias, outChannels: cout, relu: true)
        // One band for the whole image, then bands of one and four rows.
        for capacity in [cin * 9 * w * h, cin * 9 * w, cin * 9 * w * 4] {
            let got = fastConvolution(input, cin, h, w, weights, bias, cout, relu: true, capacity: capacity)
            XCTAssertEqual(got.count, expected.count)
            XCTAssertLessThan(maxDifference(got, expected), 1e-5, "capacity \(capacity)")
        }
        XCTAssertGreaterThan(expected.filter { $0 == 0 }.count, 0, "ReLU should clip some outputs")
        XCTAssertGreaterThan(expected.filter { $0 > 0 }.count, expected.count / 4)
    }

    /// <conv(x), y> == <x, conv'(y)>: the flipped, transposed kernel is the exact adjoint.
    func testTransposedFlippedKernelIsTheAdjoint() {
        var rng = SplitMix64(seed: 2)
        let (cin, cout, h, w) = (3, 4, 6, 5)
        let x = rng.floats(cin * h * w, in: -1...1)
        let y = rng.floats(cout * h * w, in: -1...1)
        let k = rng.floats(cout * cin * 9, in: -1...1)
        let kt = Convolution3x3.transposedFlipped(k, outChannels: cout, inChannels: cin)
        let cx = Convolution3x3.reference(input: x, inChannels: cin, height: h, width: w,
                                          weights: k, bias: nil, outChannels: cout, relu: false)
        let cty = fastConvolution(y, cout, h, w, kt, nil, cin, relu: false, capacity: cout * 9 * w * h)
        let lhs = zip(cx, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let rhs = zip(x, cty).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)))
        XCTAssertGreaterThan(abs(lhs), 0.1)
    }

    func testPoolingForwardAndBackward() {
        // One channel 3x5: the odd last row and column are dropped.
        let input: [Float] = [1, 2, 3, 9, 7,
                              4, 5, 6, 0, 7,
                              8, 8, 8, 8, 8]
        var avg = [Float](repeating: 0, count: 2), mx = [Float](repeating: 0, count: 2)
        input.withUnsafeBufferPointer { i in
            avg.withUnsafeMutableBufferPointer { Pooling2x2.forward(.average, input: i.baseAddress!, channels: 1, height: 3, width: 5, output: $0.baseAddress!) }
            mx.withUnsafeMutableBufferPointer { Pooling2x2.forward(.max, input: i.baseAddress!, channels: 1, height: 3, width: 5, output: $0.baseAddress!) }
        }
        XCTAssertEqual(avg, [3, 4.5])
        XCTAssertEqual(mx, [5, 9])
        let g: [Float] = [4, 8]
        var gAvg = [Float](repeating: -1, count: 15), gMax = [Float](repeating: -1, count: 15)
        input.withUnsafeBufferPointer { i in
            g.withUnsafeBufferPointer { gp in
                gAvg.withUnsafeMutableBufferPointer { Pooling2x2.backward(.average, outputGradient: gp.baseAddress!, input: i.baseAddress!, channels: 1, height: 3, width: 5, inputGradient: $0.baseAddress!) }
                gMax.withUnsafeMutableBufferPointer { Pooling2x2.backward(.max, outputGradient: gp.baseAddress!, input: i.baseAddress!, channels: 1, height: 3, width: 5, inputGradient: $0.baseAddress!) }
            }
        }
        XCTAssertEqual(gAvg, [1, 1, 2, 2, 0,
                              1, 1, 2, 2, 0,
                              0, 0, 0, 0, 0])
        XCTAssertEqual(gMax, [0, 0, 0, 8, 0,
                              0, 4, 0, 0, 0,
                              0, 0, 0, 0, 0])
    }

    private func fastConvolution(_ input: [Float], _ cin: Int, _ h: Int, _ w: Int, _ weights: [Float],
                                 _ bias: [Float]?, _ cout: Int, relu: Bool, capacity: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: cout * h * w)
        var columns = [Float](repeating: .nan, count: capacity)
        input.withUnsafeBufferPointer { i in
            weights.withUnsafeBufferPointer { k in
                out.withUnsafeMutableBufferPointer { o in
                    columns.withUnsafeMutableBufferPointer { c in
                        if let bias {
                            bias.withUnsafeBufferPointer { b in
                                Convolution3x3.forward(input: i.baseAddress!, inChannels: cin, height: h, width: w,
                                                       weights: k.baseAddress!, bias: b.baseAddress!, outChannels: cout,
                                                       output: o.baseAddress!, relu: relu,
                                                       columns: c.baseAddress!, columnCapacity: capacity)
                            }
                        } else {
                            Convolution3x3.forward(input: i.baseAddress!, inChannels: cin, height: h, width: w,
                                                   weights: k.baseAddress!, bias: nil, outChannels: cout,
                                                   output: o.baseAddress!, relu: relu,
                                                   columns: c.baseAddress!, columnCapacity: capacity)
                        }
                    }
                }
            }
        }
        return out
    }
}

func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

