/// VGG19's convolution stack for synthesis: forward to any set of layers (features after
/// ReLU), and backward from gradients given at any set of layers to the gradient with
/// respect to the input image. Only input gradients: the weights never change.
///
/// Images are `[3, H, W]` RGB in 0...255. Two implementations compute the same thing: oneDNN's
/// kernels (the default: chosen by the CPU's features, never by its model name) and the plain
/// im2col + sgemm reference. Everything one image size needs is made on first use of that size
/// and reused by every later call with it.
public final class VGG19 {
    public enum Implementation: String, Sendable, CaseIterable {
        case oneDNN = "onednn", reference
    }

    public let weights: VGG19Weights
    public let pooling: Pooling2x2.Kind
    public let implementation: Implementation
    public let precision: NetworkPrecision
    public let algorithm: ConvolutionAlgorithm
    private var sized: Sized?
    /// Collect seconds per layer (oneDNN only), read by `layerSeconds`.
    public var profiling = false {
        didSet { if case .oneDNN(let n) = sized { n.layerSeconds = profiling ? Self.zeroProfile : nil } }
    }
    private static let zeroProfile = ([Double](repeating: 0, count: 16), [Double](repeating: 0, count: 16))
    private var lastForwardDepth = VGGLayer.conv1_1

    /// The per-size network of either implementation.
    private enum Sized {
        case oneDNN(OneDNNNetwork)
        case reference(ReferenceNetwork)

        var size: (height: Int, width: Int) {
            switch self {
            case .oneDNN(let n): return (n.height, n.width)
            case .reference(let n): return (n.height, n.width)
            }
        }
    }

    public init(weights: VGG19Weights, pooling: Pooling2x2.Kind = .average,
                implementation: Implementation = .oneDNN, precision: NetworkPrecision = .fp32,
                algorithm: ConvolutionAlgorithm = .winograd) {
        self.weights = weights
        self.pooling = pooling
        self.implementation = implementation
        self.algorithm = algorithm
        self.precision = implementation == .reference ? .fp32 : precision
    }

    /// True when oneDNN runs every layer in `precision` on this CPU with a native (JIT) kernel.
    public static func supports(_ precision: NetworkPrecision, weights: VGG19Weights) -> Bool {
        let probe = OneDNNNetwork(weights: weights, pooling: .average, height: 48, width: 64, precision: precision)
        guard (try? probe.build(through: .conv5_1)) != nil else { return false }
        return !probe.primitives(through: .conv5_1).contains(where: \.isGeneric)
    }

    /// Multiply-adds x2 of one forward pass to `layer` (the backward pass costs the same).
    public static func flops(height: Int, width: Int, through layer: VGGLayer) -> Double {
        VGGLayer.allCases.filter { $0 <= layer }.reduce(0) { sum, l in sum + flops(height: height, width: width, of: l) }
    }

    /// Multiply-adds x2 of one layer's convolution.
    public static func flops(height: Int, width: Int, of l: VGGLayer) -> Double {
        let pixels = Double((height / l.stride) * (width / l.stride))
        return 2 * 9 * Double(l.inChannels * l.outChannels) * pixels
    }

    /// Features after ReLU at `layers`, each `[C, H >> (block-1), W >> (block-1)]`.
    public func forward(_ image: Tensor, to layers: Set<VGGLayer>) -> [VGGLayer: Tensor] {
        precondition(image.shape.count == 3 && image.shape[0] == 3, "image must be [3, H, W]")
        guard let deepest = layers.max() else { return [:] }
        let (h, w) = (image.height, image.width)
        var input = [Float](repeating: 0, count: 3 * h * w)
        input.withUnsafeMutableBufferPointer { applyInputMap(image, into: $0.baseAddress!) }
        lastForwardDepth = deepest
        let features: [VGGLayer: [Float]] = input.withUnsafeBufferPointer { x in
            switch network(height: h, width: w) {
            case .oneDNN(let n): return n.forward(x.baseAddress!, through: deepest, read: layers)
            case .reference(let n): return n.forward(x.baseAddress!, through: deepest, read: layers)
            }
        }
        var result: [VGGLayer: Tensor] = [:]
        for (l, values) in features {
            result[l] = Tensor(shape: [l.outChannels, h / l.stride, w / l.stride], data: values)
        }
        return result
    }

    /// d(loss)/d(image) for the image of the last `forward`, given d(loss)/d(features) at
    /// some layers (each shaped like that layer's features), no deeper than that pass went.
    public func backward(_ gradients: [VGGLayer: Tensor]) -> Tensor {
        guard let sized, let deepest = gradients.keys.max() else {
            preconditionFailure("backward needs a forward pass and at least one gradient")
        }
        precondition(deepest <= lastForwardDepth, "gradient at \(deepest), forward stopped at \(lastForwardDepth)")
        let (h, w) = sized.size
        for (layer, g) in gradients {
            precondition(g.shape == [layer.outChannels, h / layer.stride, w / layer.stride],
                         "gradient at \(layer) has shape \(g.shape)")
        }
        var result = [Float](repeating: 0, count: 3 * h * w)
        withPointers(gradients) { pointers in
            result.withUnsafeMutableBufferPointer { out in
                switch sized {
                case .oneDNN(let n): n.backward(pointers, into: out.baseAddress!)
                case .reference(let n): n.backward(pointers, into: out.baseAddress!)
                }
            }
        }
        return result.withUnsafeBufferPointer { applyInputMapTransposed($0.baseAddress!, height: h, width: w) }
    }

    /// What runs each layer's convolution at this size (forward, backward): oneDNN's kernel,
    /// e.g. "jit:avx2", or Winograd's; empty for the reference implementation.
    public func kernels(height: Int, width: Int, through deepest: VGGLayer = .conv5_4)
        -> [(layer: VGGLayer, forward: String, backward: String)] {
        guard case .oneDNN(let n) = network(height: height, width: width) else { return [] }
        return VGGLayer.allCases.filter { $0 <= deepest }.map { l in
            let k = n.kernels(of: l)
            return (l, k.forward, k.backward)
        }
    }

    /// Names of every oneDNN primitive at this size that runs a reference or generic kernel.
    public func genericKernels(height: Int, width: Int, through deepest: VGGLayer = .conv5_4) -> [String] {
        guard case .oneDNN(let n) = network(height: height, width: width) else { return [] }
        return n.primitives(through: deepest).filter(\.isGeneric).map { "\($0.name): \($0.implementation)" }
    }

    /// Seconds per layer since profiling started or was last reset (forward, backward).
    public var layerSeconds: [(layer: VGGLayer, forward: Double, backward: Double)] {
        guard case .oneDNN(let n) = sized, let p = n.layerSeconds else { return [] }
        return VGGLayer.allCases.map { ($0, p.forward[$0.rawValue], p.backward[$0.rawValue]) }
    }

    public func resetLayerSeconds() {
        if case .oneDNN(let n) = sized, n.layerSeconds != nil { n.layerSeconds = Self.zeroProfile }
    }

    private func withPointers<R>(_ gradients: [VGGLayer: Tensor],
                                 _ body: ([VGGLayer: UnsafePointer<Float>]) -> R) -> R {
        var pointers: [VGGLayer: UnsafePointer<Float>] = [:]
        var remaining = Array(gradients)
        func next() -> R {
            guard let (layer, tensor) = remaining.popLast() else { return body(pointers) }
            return tensor.data.withUnsafeBufferPointer { p in
                pointers[layer] = p.baseAddress!
                return next()
            }
        }
        return next()
    }

    private func network(height: Int, width: Int) -> Sized {
        if let sized, sized.size == (height, width) { return sized }
        sized = nil  // free the previous size's buffers first
        let made: Sized
        if implementation == .oneDNN {
            let n = OneDNNNetwork(weights: weights, pooling: pooling, height: height, width: width,
                                  precision: precision, algorithm: algorithm)
            n.layerSeconds = profiling ? Self.zeroProfile : nil
            made = .oneDNN(n)
        } else {
            made = .reference(ReferenceNetwork(weights: weights, pooling: pooling, height: height, width: width))
        }
        sized = made
        return made
    }

    /// Net input = A * rgb + b at every pixel.
    private func applyInputMap(_ image: Tensor, into y: UnsafeMutablePointer<Float>) {
        let plane = image.height * image.width
        let a = weights.inputMatrix, b = weights.inputOffset
        image.data.withUnsafeBufferPointer { x in
            for c in 0..<3 {
                let (a0, a1, a2, bc) = (a[c * 3], a[c * 3 + 1], a[c * 3 + 2], b[c])
                for i in 0..<plane {
                    y[c * plane + i] = a0 * x[i] + a1 * x[plane + i] + a2 * x[2 * plane + i] + bc
                }
            }
        }
    }

    /// d/d(rgb) = A^T * d/d(net input).
    private func applyInputMapTransposed(_ g: UnsafePointer<Float>, height: Int, width: Int) -> Tensor {
        let plane = height * width
        let a = weights.inputMatrix
        var out = [Float](repeating: 0, count: 3 * plane)
        out.withUnsafeMutableBufferPointer { y in
            for c in 0..<3 {
                let (a0, a1, a2) = (a[c], a[3 + c], a[6 + c])
                for i in 0..<plane {
                    y[c * plane + i] = a0 * g[i] + a1 * g[plane + i] + a2 * g[2 * plane + i]
                }
            }
        }
        return Tensor(shape: [3, height, width], data: out)
    }

}
