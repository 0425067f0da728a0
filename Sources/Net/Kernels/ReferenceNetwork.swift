/// VGG19 as im2col + sgemm in plain `[C, H, W]` float buffers: the readable reference the
/// oneDNN network is tested against. One instance serves one image size.
final class ReferenceNetwork {
    let weights: VGG19Weights
    let pooling: Pooling2x2.Kind
    /// Per layer: `[Cin, Cout, 3, 3]` kernels that give the input gradient (see `transposedFlipped`).
    private let backwardKernels: [[Float]]
    private let ws: Workspace
    var height: Int { ws.height }
    var width: Int { ws.width }

    init(weights: VGG19Weights, pooling: Pooling2x2.Kind, height: Int, width: Int) {
        self.weights = weights
        self.pooling = pooling
        backwardKernels = VGGLayer.allCases.map {
            Convolution3x3.transposedFlipped(weights.convWeights[$0.rawValue],
                                             outChannels: $0.outChannels, inChannels: $0.inChannels)
        }
        ws = Workspace(height: height, width: width)
    }

    /// Runs the layers up to `deepest` on the network input `[3, H, W]`; features at `read`.
    func forward(_ image: UnsafePointer<Float>, through deepest: VGGLayer, read: Set<VGGLayer>) -> [VGGLayer: [Float]] {
        ws.input.values.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: image, count: $0.count) }
        for layer in VGGLayer.allCases where layer <= deepest {
            if layer.followsPooling { poolForward(into: layer, ws: ws) }
            convolveForward(layer, ws: ws)
        }
        var result: [VGGLayer: [Float]] = [:]
        for layer in read { result[layer] = ws.activations[layer.rawValue].values }
        return result
    }

    /// d(loss)/d(network input) from d(loss)/d(features) at some layers, each `[C, h, w]`.
    func backward(_ gradients: [VGGLayer: UnsafePointer<Float>], into result: UnsafeMutablePointer<Float>) {
        guard let deepest = gradients.keys.max() else { preconditionFailure("no gradient") }
        // `current` holds d(loss)/d(output of the layer being walked through).
        var current = ws.gradientA, other = ws.gradientB
        current.fill(0, count: ws.activations[deepest.rawValue].values.count)
        for layer in VGGLayer.allCases.reversed() where layer <= deepest {
            let count = ws.activations[layer.rawValue].values.count
            if let extra = gradients[layer] { current.add(extra, count: count) }
            current.maskWhereNotPositive(ws.activations[layer.rawValue], count: count)
            convolveBackward(layer, gradient: current, into: other, ws: ws)
            swap(&current, &other)
            if layer.followsPooling {
                poolBackward(below: layer, gradient: current, into: other, ws: ws)
                swap(&current, &other)
            }
        }
        current.values.withUnsafeBufferPointer { result.update(from: $0.baseAddress!, count: 3 * ws.height * ws.width) }
    }

    // MARK: - Layers

    private func convolveForward(_ layer: VGGLayer, ws: Workspace) {
        let (h, w) = ws.size(of: layer)
        let source: Buffer = layer == .conv1_1 ? ws.input
            : layer.followsPooling ? ws.pooled[layer.block - 2] : ws.activations[layer.rawValue - 1]
        source.values.withUnsafeBufferPointer { input in
            ws.activations[layer.rawValue].values.withUnsafeMutableBufferPointer { out in
                ws.columns.values.withUnsafeMutableBufferPointer { col in
                    weights.convWeights[layer.rawValue].withUnsafeBufferPointer { k in
                        weights.convBiases[layer.rawValue].withUnsafeBufferPointer { b in
                            Convolution3x3.forward(
                                input: input.baseAddress!, inChannels: layer.inChannels, height: h, width: w,
                                weights: k.baseAddress!, bias: b.baseAddress!, outChannels: layer.outChannels,
                                output: out.baseAddress!, relu: true,
                                columns: col.baseAddress!, columnCapacity: col.count)
                        }
                    }
                }
            }
        }
    }

    private func convolveBackward(_ layer: VGGLayer, gradient: Buffer, into result: Buffer, ws: Workspace) {
        let (h, w) = ws.size(of: layer)
        gradient.values.withUnsafeBufferPointer { g in
            result.values.withUnsafeMutableBufferPointer { d in
                ws.columns.values.withUnsafeMutableBufferPointer { col in
                    backwardKernels[layer.rawValue].withUnsafeBufferPointer { k in
                        Convolution3x3.forward(
                            input: g.baseAddress!, inChannels: layer.outChannels, height: h, width: w,
                            weights: k.baseAddress!, bias: nil, outChannels: layer.inChannels,
                            output: d.baseAddress!, relu: false,
                            columns: col.baseAddress!, columnCapacity: col.count)
                    }
                }
            }
        }
    }

    /// Pools the layer before `layer` into the buffer `layer` reads.
    private func poolForward(into layer: VGGLayer, ws: Workspace) {
        let previous = VGGLayer(rawValue: layer.rawValue - 1)!
        let (h, w) = ws.size(of: previous)
        ws.activations[previous.rawValue].values.withUnsafeBufferPointer { input in
            ws.pooled[layer.block - 2].values.withUnsafeMutableBufferPointer { out in
                Pooling2x2.forward(pooling, input: input.baseAddress!, channels: previous.outChannels,
                                   height: h, width: w, output: out.baseAddress!)
            }
        }
    }

    private func poolBackward(below layer: VGGLayer, gradient: Buffer, into result: Buffer, ws: Workspace) {
        let previous = VGGLayer(rawValue: layer.rawValue - 1)!
        let (h, w) = ws.size(of: previous)
        gradient.values.withUnsafeBufferPointer { g in
            ws.activations[previous.rawValue].values.withUnsafeBufferPointer { a in
                result.values.withUnsafeMutableBufferPointer { d in
                    Pooling2x2.backward(pooling, outputGradient: g.baseAddress!, input: a.baseAddress!,
                                        channels: previous.outChannels, height: h, width: w,
                                        inputGradient: d.baseAddress!)
                }
            }
        }
    }

    /// One float array per object, so that two buffers can be borrowed at once.
    private final class Buffer {
        var values: [Float]
        init(count: Int) { values = [Float](repeating: 0, count: count) }

        func fill(_ value: Float, count: Int) {
            values.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: value, count: count) }
        }

        func add(_ other: UnsafePointer<Float>, count: Int) {
            values.withUnsafeMutableBufferPointer { v in
                for i in 0..<count { v[i] += other[i] }
            }
        }

        /// ReLU's gradient: zero where the layer's output was not positive.
        func maskWhereNotPositive(_ activation: Buffer, count: Int) {
            values.withUnsafeMutableBufferPointer { v in
                activation.values.withUnsafeBufferPointer { a in
                    for i in 0..<count where a[i] <= 0 { v[i] = 0 }
                }
            }
        }
    }

    /// Every buffer one image size needs.
    private final class Workspace {
        let height: Int, width: Int
        let input: Buffer
        let activations: [Buffer]   // per layer, [Cout, H/s, W/s] after ReLU
        let pooled: [Buffer]        // inputs of conv2_1 ... conv5_1
        let columns: Buffer         // one band of im2col
        let gradientA: Buffer, gradientB: Buffer

        init(height: Int, width: Int) {
            self.height = height
            self.width = width
            input = Buffer(count: 3 * height * width)
            activations = VGGLayer.allCases.map { layer in
                Buffer(count: layer.outChannels * (height / layer.stride) * (width / layer.stride))
            }
            pooled = (2...5).map { block in
                let s = 1 << (block - 1)
                return Buffer(count: VGGLayer.blockChannels[block - 2] * (height / s) * (width / s))
            }
            var capacity = 0, largest = 0
            for layer in VGGLayer.allCases {
                let h = height / layer.stride, w = width / layer.stride
                let widest = max(layer.inChannels, layer.outChannels)
                capacity = max(capacity, Convolution3x3.columnCapacity(inChannels: widest, width: w, height: h))
                largest = max(largest, widest * h * w)
            }
            columns = Buffer(count: capacity)
            gradientA = Buffer(count: largest)
            gradientB = Buffer(count: largest)
        }

        func size(of layer: VGGLayer) -> (Int, Int) { (height / layer.stride, width / layer.stride) }
        func shape(of layer: VGGLayer) -> [Int] { [layer.outChannels, height / layer.stride, width / layer.stride] }
    }
}
