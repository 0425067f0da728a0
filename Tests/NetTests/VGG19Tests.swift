import Foundation
import XCTest
import Net

/// VGG19 on the real weights: activations against numpy's, gradients against finite differences.
final class VGG19Tests: XCTestCase {
    static var network: VGG19?

    func realWeights() throws -> VGG19Weights {
        let path = WeightStore().defaultWeightsPath
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("weights missing at \(path): run scripts/setup")
            throw XCTSkip("no weights")
        }
        return try VGG19Weights.load(path: path)
    }

    func testLayerNames() {
        XCTAssertEqual(VGGLayer(name: "3_1"), .conv3_1)
        XCTAssertEqual(VGGLayer(name: "conv4_2"), .conv4_2)
        XCTAssertEqual(VGGLayer(name: "relu5_4"), .conv5_4)
        XCTAssertNil(VGGLayer(name: "2_3"))
        XCTAssertNil(VGGLayer(name: "6_1"))
        XCTAssertEqual(VGGLayer.conv4_1.inChannels, 256)
        XCTAssertEqual(VGGLayer.conv4_1.stride, 8)
        XCTAssertTrue(VGGLayer.conv4_1.followsPooling)
        XCTAssertFalse(VGGLayer.conv4_2.followsPooling)
        XCTAssertEqual(VGGLayer.allCases.map(\.name).last, "conv5_4")
    }

    func testRealCheckpointIsNormalisedVGG19() throws {
        let weights = try realWeights()
        XCTAssertEqual(weights.preprocessing, .normalisedWithInputConv)
        // RGB white (255) maps to BGR*255 minus the ImageNet mean (103.939, 116.779, 123.68).
        var white: [Float] = weights.inputOffset
        for c in 0..<3 {
            for i in 0..<3 { white[c] += weights.inputMatrix[c * 3 + i] * 255 }
        }
        XCTAssertEqual(white[0], 255 - 103.939, accuracy: 1e-3)
        XCTAssertEqual(white[1], 255 - 116.779, accuracy: 1e-3)
        XCTAssertEqual(white[2], 255 - 123.68, accuracy: 1e-3)
        XCTAssertEqual(weights.inputMatrix[2], 1, "blue output reads the red input's partner: BGR order")
        XCTAssertEqual(weights.convWeights[VGGLayer.conv5_4.rawValue].count, 512 * 512 * 9)
    }

    /// Activations from `Tests/Fixtures/vgg/make_reference.py` (numpy, float64, own reader).
    func testForwardMatchesNumpyReference() throws {
        let weights = try realWeights()
        for implementation in VGG19.Implementation.allCases {
            try checkAgainstNumpy(VGG19(weights: weights, implementation: implementation))
        }
    }

    private func checkAgainstNumpy(_ net: VGG19) throws {
        let records = try readReference()
        let image = try XCTUnwrap(records["image"])
        let features = net.forward(image, to: [.conv1_1, .conv3_1, .conv4_1])
        for layer in [VGGLayer.conv1_1, .conv3_1, .conv4_1] {
            let expected = try XCTUnwrap(records[layer.name])
            let got = try XCTUnwrap(features[layer])
            XCTAssertEqual(got.shape, expected.shape, "\(layer)")
            let scale = expected.data.map(abs).max()!
            XCTAssertGreaterThan(scale, 0.5, "\(layer) reference should not be all zeros")
            let error = maxDifference(got.data, expected.data) / scale
            XCTAssertLessThan(error, 2e-5, "\(net.implementation) \(layer): max error \(error) of the largest value \(scale)")
        }
    }

    /// oneDNN's network against the im2col reference, features and input gradients, at sizes
    /// that are odd at some pooling (the last row or column dropped) and for both poolings.
    func testOneDNNMatchesTheReference() throws {
        let weights = try realWeights()
        let read: [VGGLayer] = [.conv1_1, .conv2_2, .conv3_1, .conv4_1, .conv4_2, .conv5_1]
        for (pooling, (h, w), algorithm) in [(Pooling2x2.Kind.average, (37, 50), ConvolutionAlgorithm.winograd),
                                             (.max, (34, 27), .winograd), (.average, (37, 50), .direct)] {
            let fast = VGG19(weights: weights, pooling: pooling, algorithm: algorithm)
            let reference = VGG19(weights: weights, pooling: pooling, implementation: .reference)
            var rng = SplitMix64(seed: 21)
            let image = Tensor(shape: [3, h, w], data: rng.floats(3 * h * w, in: 0...255))
            let a = fast.forward(image, to: Set(read)), b = reference.forward(image, to: Set(read))
            var gradients: [VGGLayer: Tensor] = [:]
            for layer in read {
                let (x, y) = (try XCTUnwrap(a[layer]), try XCTUnwrap(b[layer]))
                XCTAssertEqual(x.shape, y.shape)
                let scale = y.data.map(abs).max()!
                XCTAssertGreaterThan(scale, 0.1, "\(layer) is all zeros: it checks nothing")
                XCTAssertLessThan(maxDifference(x.data, y.data) / scale, 1e-4, "\(pooling) \(algorithm) \(layer) forward")
                gradients[layer] = Tensor(shape: y.shape, data: rng.floats(y.count, in: -1...1))
            }
            let gx = fast.backward(gradients), gy = reference.backward(gradients)
            let scale = gy.data.map(abs).max()!
            XCTAssertGreaterThan(scale, 0)
            XCTAssertLessThan(maxDifference(gx.data, gy.data) / scale, 1e-4, "\(pooling) \(algorithm) input gradient")
            // A shallower pass with the same network reuses the same buffers.
            let shallow = [VGGLayer.conv2_1: Tensor(shape: [128, h / 2, w / 2], data: rng.floats(128 * (h / 2) * (w / 2), in: -1...1))]
            _ = fast.forward(image, to: [.conv2_1]); _ = reference.forward(image, to: [.conv2_1])
            let sx = fast.backward(shallow), sy = reference.backward(shallow)
            XCTAssertLessThan(maxDifference(sx.data, sy.data) / sy.data.map(abs).max()!, 1e-4, "\(pooling) shallow gradient")
        }
    }

    /// The convolutions run oneDNN's JIT kernels for this CPU, never its reference loops; from
    /// conv2_1 on, fp32 runs Winograd's unless asked for the direct kernels.
    func testOneDNNRunsNoGenericKernel() throws {
        let weights = try realWeights()
        for algorithm in ConvolutionAlgorithm.allCases {
            let net = VGG19(weights: weights, algorithm: algorithm)
            let kernels = net.kernels(height: 48, width: 64)
            XCTAssertEqual(kernels.count, 16)
            for k in kernels {
                if algorithm == .winograd && k.layer.block >= 2 {
                    XCTAssertEqual(k.forward, "winograd:f4x4+sgemm", "\(k.layer)")
                    XCTAssertEqual(k.backward, "winograd:f4x4+sgemm", "\(k.layer)")
                } else {
                    XCTAssertTrue(k.forward.hasPrefix("jit") || k.forward.hasPrefix("brg"), "\(k.layer) forward runs \(k.forward)")
                }
            }
            XCTAssertEqual(net.genericKernels(height: 48, width: 64), [])
        }
    }

    /// The same image twice gives the same features, and a second size reuses nothing stale.
    func testRepeatedAndResizedForwardAreConsistent() throws {
        let net = VGG19(weights: try realWeights())
        let records = try readReference()
        let image = try XCTUnwrap(records["image"])
        let first = net.forward(image, to: [.conv3_1])[.conv3_1]!
        var rng = SplitMix64(seed: 9)
        _ = net.forward(Tensor(shape: [3, 8, 8], data: rng.floats(192, in: 0...255)), to: [.conv3_1])
        let again = net.forward(image, to: [.conv3_1])[.conv3_1]!
        XCTAssertEqual(first, again)
    }

    /// d(loss)/d(image) by backward against central differences of the forward pass, for
    /// a loss that reads several layers (input map, conv, ReLU and pooling all in the path).
    func testBackwardMatchesFiniteDifferences() throws {
        let weights = try realWeights()
        for pooling in Pooling2x2.Kind.allCases {
            let net = VGG19(weights: weights, pooling: pooling)
            var rng = SplitMix64(seed: 3)
            let (h, w) = (16, 20)
            let image = Tensor(shape: [3, h, w], data: rng.floats(3 * h * w, in: 30...220))
            let layers: [VGGLayer] = [.conv1_2, .conv2_1, .conv3_1, .conv4_1]
            var projections: [VGGLayer: Tensor] = [:]
            for layer in layers {
                let shape = [layer.outChannels, h / layer.stride, w / layer.stride]
                projections[layer] = Tensor(shape: shape, data: rng.floats(shape.reduce(1, *), in: -1...1))
            }
            func loss(_ x: Tensor) -> Double {
                let f = net.forward(x, to: Set(layers))
                return layers.reduce(0.0) { sum, l in
                    zip(f[l]!.data, projections[l]!.data).reduce(sum) { $0 + Double($1.0) * Double($1.1) }
                }
            }
            _ = net.forward(image, to: Set(layers))
            let gradient = net.backward(projections)
            XCTAssertEqual(gradient.shape, image.shape)

            // Directions along the gradient plus noise: the derivative is then large next to
            // float32 rounding in the loss, and any wrong pixel still shows.
            let largest = gradient.data.map(abs).max()!
            XCTAssertGreaterThan(largest, 0)
            for (trial, noise) in [Float(0.3), 1.0].enumerated() {
                let random = rng.floats(image.count, in: -1...1)
                let direction = (0..<image.count).map { gradient.data[$0] / largest + noise * random[$0] }
                let eps: Float = 0.1
                var plus = image, minus = image
                for i in 0..<image.count {
                    plus.data[i] += eps * direction[i]
                    minus.data[i] -= eps * direction[i]
                }
                let numeric = (loss(plus) - loss(minus)) / Double(2 * eps)
                let analytic = zip(gradient.data, direction).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                XCTAssertEqual(analytic, numeric, accuracy: 5e-3 * abs(numeric),
                               "\(pooling) pooling, direction \(trial)")
                XCTAssertGreaterThan(abs(numeric), 1, "a derivative this small checks nothing")
            }
        }
    }

    func testWrongArchitectureIsAnErrorNamingTheFile() {
        let tensors: [(name: String, tensor: Tensor)] = [
            ("0.weight", Tensor(zeros: [64, 3, 3, 3])), ("0.bias", Tensor(zeros: [64])),
            ("2.weight", Tensor(zeros: [64, 64, 3, 3])), ("2.bias", Tensor(zeros: [64])),
        ]
        XCTAssertThrowsError(try VGG19Weights(tensors: tensors, source: "tiny.pth")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("'tiny.pth'"), text)
            XCTAssertTrue(text.contains("found 2 3x3 convolutions"), text)
        }
    }

    private func readReference() throws -> [String: Tensor] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/vgg/reference.bin").standardized
        let bytes = [UInt8](try Data(contentsOf: url))
        var records: [String: Tensor] = [:]
        var at = 0
        func u32() -> Int {
            defer { at += 4 }
            return Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        while at < bytes.count {
            let nameLength = u32()
            let name = String(decoding: bytes[at..<at + nameLength], as: UTF8.self)
            at += nameLength
            let shape = (0..<u32()).map { _ in u32() }
            let n = shape.reduce(1, *)
            let values = (0..<n).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: u32())) }
            records[name] = Tensor(shape: shape, data: values)
        }
        return records
    }
}
