/// VGG19's convolution stack for synthesis: forward to any set of layers (features after
/// ReLU), and backward from gradients given at any set of layers to the gradient with
/// respect to the input image. Only input gradients: the weights never change.
///
/// Images are `[3, H, W]` RGB in 0...255. Buffers for one image size are allocated on first
/// use and reused by every later call with that size.
public final class VGG19 {
    public let weights: VGG19Weights
    public let pooling: Pooling2x2.Kind
    /// Per layer: `[Cin, Cout, 3, 3]` kernels that give the input gradient (see `transposedFlipped`).
    private let backwardKernels: [[Float]]
    private var workspace: Workspace?

    public init(weights: VGG19Weights, pooling: Pooling2x2.Kind = .average) {
        self.weights = weights
        self.pooling = pooling
        backwardKernels = VGGLayer.allCases.map {
            Convolution3x3.transposedFlipped(weights.convWeights[$0.rawValue],
                                             outChannels: $0.outChannels, inChannels: $0.inChannels)
        }
    }

    /// Multiply-adds x2 of one forward pass to `layer` (the backward pass costs the same).
    public static func flops(height: Int, width: Int, through layer: VGGLayer) -> Double {
        VGGLayer.allCases.filter { $0 <= layer }.reduce(0) { sum, l in
            let pixels = Double((height / l.stride) * (width / l.stride))
            return sum + 2 * 9 * Double(l.inChannels * l.outChannels) * pixels
        }
    }

    /// Features after ReLU at `layers`, each `[C, H >> (block-1), W >> (block-1)]`.
    public func forward(_ image: Tensor, to layers: Set<VGGLayer>) -> [VGGLayer: Tensor] {
        precondition(image.shape.count == 3 && image.shape[0] == 3, "image must be [3, H, W]")
        guard let deepest = layers.max() else { return [:] }
        let ws = workspace(height: image.height, width: image.width)
        ws.lastForwardDepth = deepest

        applyInputMap(image, into: ws.input)
        for layer in VGGLayer.allCases where layer <= deepest {
            if layer.followsPooling { poolForward(into: layer, ws: ws) }
            convolveForward(layer, ws: ws)
        }
        var result: [VGGLayer: Tensor] = [:]
        for layer in layers {
            result[layer] = Tensor(shape: ws.shape(of: layer), data: ws.activations[layer.rawValue].values)
        }
        return result
    }

    /// d(loss)/d(image) for the image of the last `forward`, given d(loss)/d(features) at
    /// some layers (each shaped like that layer's features), no deeper than that pass went.
    public func backward(_ gradients: [VGGLayer: Tensor]) -> Tensor {
        guard let ws = workspace, let deepest = gradients.keys.max() else {
            preconditionFailure("backward needs a forward pass and at least one gradient")
        }
        precondition(deepest <= ws.lastForwardDepth, "gradient at \(deepest), forward stopped at \(ws.lastForwardDepth)")
        for (layer, g) in gradients {
            precondition(g.shape == ws.shape(of: layer), "gradient at \(layer) has shape \(g.shape)")
        }
        // `current` holds d(loss)/d(output of the layer being walked through).
        var current = ws.gradientA, other = ws.gradientB
        current.fill(0, count: ws.activations[deepest.rawValue].values.count)
        for layer in VGGLayer.allCases.reversed() where layer <= deepest {
            if let extra = gradients[layer] { current.add(extra.data) }
            current.maskWhereNotPositive(ws.activations[layer.rawValue], count: ws.activations[layer.rawValue].values.count)
            convolveBackward(layer, gradient: current, into: other, ws: ws)
            swap(&current, &other)
            if layer.followsPooling {
                poolBackward(below: layer, gradient: current, into: other, ws: ws)
                swap(&current, &other)
            }
        }
        return applyInputMapTransposed(current, height: ws.height, width: ws.width)
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

    /// Net input = A * rgb + b at every pixel.
    private func applyInputMap(_ image: Tensor, into out: Buffer) {
        let plane = image.height * image.width
        let a = weights.inputMatrix, b = weights.inputOffset
        image.data.withUnsafeBufferPointer { x in
            out.values.withUnsafeMutableBufferPointer { y in
                for c in 0..<3 {
                    let (a0, a1, a2, bc) = (a[c * 3], a[c * 3 + 1], a[c * 3 + 2], b[c])
                    for i in 0..<plane {
                        y[c * plane + i] = a0 * x[i] + a1 * x[plane + i] + a2 * x[2 * plane + i] + bc
                    }
                }
            }
        }
    }

    /// d/d(rgb) = A^T * d/d(net input).
    private func applyInputMapTransposed(_ gradient: Buffer, height: Int, width: Int) -> Tensor {
        let plane = height * width
        let a = weights.inputMatrix
        var out = [Float](repeating: 0, count: 3 * plane)
        gradient.values.withUnsafeBufferPointer { g in
            out.withUnsafeMutableBufferPointer { y in
                for c in 0..<3 {
                    let (a0, a1, a2) = (a[c], a[3 + c], a[6 + c])
                    for i in 0..<plane {
                        y[c * plane + i] = a0 * g[i] + a1 * g[plane + i] + a2 * g[2 * plane + i]
                    }
                }
            }
        }
        return Tensor(shape: [3, height, width], data: out)
    }

    private func workspace(height: Int, width: Int) -> Workspace {
        if let ws = workspace, ws.height == height, ws.width == width { return ws }
        let ws = Workspace(height: height, width: width)
        workspace = ws
        return ws
    }

    /// One float array per object, so that two buffers can be borrowed at once.
    private final class Buffer {
        var values: [Float]
        init(count: Int) { values = [Float](repeating: 0, count: count) }

        func fill(_ value: Float, count: Int) {
            values.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: value, count: count) }
        }

        func add(_ other: [Float]) {
            values.withUnsafeMutableBufferPointer { v in
                other.withUnsafeBufferPointer { o in
                    for i in 0..<o.count { v[i] += o[i] }
                }
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
        var lastForwardDepth = VGGLayer.conv1_1

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
