import CDNNL
import Dispatch

/// VGG19's sixteen convolutions (each with its ReLU) and four poolings through oneDNN, for one
/// image size: forward to any layer, and the input gradient back from gradients at any layers.
///
/// oneDNN picks its kernels from the CPU's feature flags and its own layouts (blocked, e.g.
/// `nChw8c` on AVX2, `nChw16c` on AVX-512). Activations stay in those layouts between layers;
/// only the features read and the gradients given are converted to and from plain `[C, H, W]`
/// float. With `.bf16`, activations and gradients are bfloat16 with float accumulation.
/// In fp32, the convolutions from conv2_1 on run as Winograd F(4x4, 3x3) (`WinogradConvolution`)
/// unless `algorithm` is `.direct`: about twice as fast as oneDNN's direct kernels where those
/// already run at the CPU's peak (measured with `doodle bench net`); conv1_x stay direct (three
/// input channels, and at full resolution the transforms cost what they save).
/// Primitives and memory are made once (per size) and reused by every call.
final class OneDNNNetwork {
    let height: Int, width: Int
    let precision: NetworkPrecision
    let algorithm: ConvolutionAlgorithm
    private let weights: VGG19Weights
    private let pooling: Pooling2x2.Kind
    private let stream = DNNLStream()
    private var layers: [LayerPlan] = []   // conv1_1 ... as deep as any pass went
    private var pools: [PoolPlan] = []     // before conv2_1 ... conv5_1
    private let input: DNNLMemory          // plain [1, 3, H, W] float: the network's input
    /// Two buffers the backward pass alternates between, each as large as any gradient.
    private var scratch: (UnsafeMutableRawPointer, UnsafeMutableRawPointer)?
    private var scratchBytes = 0
    /// The Winograd layers' transform buffers (one band at a time, shared by all layers).
    private var winogradScratch: UnsafeMutablePointer<Float>?
    private var winogradScratchCount = 0
    /// Conversions to and from plain float, made on first use: (layout, accumulate, to plain, ...).
    private var plainReorders: [(DNNLLayout, Bool, Bool, DNNLPrimitive, DNNLMemory, DNNLMemory)] = []
    private(set) var lastForwardDepth = VGGLayer.conv1_1
    /// When set, seconds spent per layer (index = layer) accumulate here: forward counts the
    /// pooling before the layer, backward the ReLU, the convolution and that pooling.
    var layerSeconds: (forward: [Double], backward: [Double])?

    init(weights: VGG19Weights, pooling: Pooling2x2.Kind, height: Int, width: Int, precision: NetworkPrecision,
         algorithm: ConvolutionAlgorithm = .winograd) {
        self.weights = weights
        self.pooling = pooling
        self.height = height
        self.width = width
        self.precision = precision
        self.algorithm = algorithm
        input = DNNLMemory(.plain([1, 3, height, width]))
    }

    deinit {
        scratch?.0.deallocate()
        scratch?.1.deallocate()
        winogradScratch?.deallocate()
    }

    /// Makes the layers up to `deepest` (and the poolings between them) on first use: a small
    /// image has no room for the deepest blocks, and a shallow pass needs none of them.
    func build(through deepest: VGGLayer) throws {
        precondition(height >> (deepest.block - 1) >= 1 && width >> (deepest.block - 1) >= 1,
                     "\(width)x\(height) is too small to reach \(deepest)")
        while let next = VGGLayer(rawValue: layers.count), next <= deepest {
            var produced = layers.last?.output.layout ?? input.layout
            if next.followsPooling {
                let pool = try PoolPlan(kind: pooling, source: produced, type: precision.dataType, name: "pool\(next.block - 1)")
                pools.append(pool)
                produced = pool.output.layout
            }
            let winograd = algorithm == .winograd && precision == .fp32 && next.block >= 2
            let plan = try LayerPlan(layer: next, weights: weights, height: height / next.stride,
                                     width: width / next.stride, produced: produced, type: precision.dataType,
                                     winograd: winograd)
            layers.append(plan)
            if let needed = plan.winogradScratchCount, needed > winogradScratchCount {
                winogradScratch?.deallocate()
                winogradScratch = .allocate(capacity: needed)
                winogradScratchCount = needed
            }
            let bytes = max(plan.output.layout.bytes, plan.backwardSourceLayout.bytes, produced.bytes)
            if bytes > scratchBytes {
                scratch?.0.deallocate()
                scratch?.1.deallocate()
                scratch = (.allocate(byteCount: bytes, alignment: 64), .allocate(byteCount: bytes, alignment: 64))
                scratchBytes = bytes
            }
        }
    }

    /// Callers check `VGG19.supports(precision)` first: a missing kernel here is a programming error.
    private func buildOrStop(through deepest: VGGLayer) {
        do { try build(through: deepest) } catch { fatalError("\(error)") }
    }

    /// Every primitive, in the order a pass to conv5_4 runs them.
    func primitives(through deepest: VGGLayer) -> [DNNLPrimitive] {
        buildOrStop(through: deepest)
        var all: [DNNLPrimitive] = []
        for plan in layers where plan.layer <= deepest {
            if plan.layer.followsPooling { all += [pools[plan.layer.block - 2].forward, pools[plan.layer.block - 2].backward] }
            if case .direct(let forward, let backward) = plan.convolution { all += [forward, backward] }
            all += [plan.reluBackward].compactMap { $0 }
            all += [plan.sourceReorder, plan.gradientReorder].compactMap { $0 }
        }
        return all
    }

    /// What runs a layer's convolution, forward and backward: oneDNN's implementation names, or
    /// Winograd's.
    func kernels(of layer: VGGLayer) -> (forward: String, backward: String) {
        buildOrStop(through: layer)
        return layers[layer.rawValue].kernels
    }

    // MARK: - Passes

    /// Runs the layers up to `deepest` on `image` (plain `[3, H, W]` network input) and returns
    /// the features at `read`, each plain `[C, h, w]` float.
    func forward(_ image: UnsafePointer<Float>, through deepest: VGGLayer, read: Set<VGGLayer>) -> [VGGLayer: [Float]] {
        input.data.copyMemory(from: image, byteCount: 3 * height * width * MemoryLayout<Float>.size)
        buildOrStop(through: deepest)
        lastForwardDepth = deepest
        for plan in layers where plan.layer <= deepest {
            let started = DispatchTime.now()
            defer { record(forward: true, plan.layer, since: started) }
            if plan.layer.followsPooling {
                let pool = pools[plan.layer.block - 2]
                pool.forward.execute(stream, [(DNNLArgument.src, layers[plan.layer.rawValue - 1].output),
                                              (DNNLArgument.dst, pool.output)] + pool.workspaceArgument)
            }
            plan.runForward(stream, scratch: winogradScratch, producer: plan.layer == .conv1_1 ? input
                            : plan.layer.followsPooling ? pools[plan.layer.block - 2].output
                            : layers[plan.layer.rawValue - 1].output)
        }
        var features: [VGGLayer: [Float]] = [:]
        for layer in read {
            let plan = layers[layer.rawValue]
            var values = [Float](repeating: 0, count: plan.output.layout.elementCount)
            values.withUnsafeMutableBytes { convert(plan.output, toPlain: $0.baseAddress!) }
            features[layer] = values
        }
        return features
    }

    /// d(loss)/d(network input), plain `[3, H, W]`, from d(loss)/d(features) at some layers
    /// (plain `[C, h, w]`), for the input of the last `forward`.
    func backward(_ gradients: [VGGLayer: UnsafePointer<Float>], into result: UnsafeMutablePointer<Float>) {
        guard let deepest = gradients.keys.max() else { preconditionFailure("no gradient") }
        precondition(deepest <= lastForwardDepth, "gradient at \(deepest), forward stopped at \(lastForwardDepth)")
        var (current, other) = scratch!
        for plan in layers.reversed() where plan.layer <= deepest {
            let started = DispatchTime.now()
            defer { record(forward: false, plan.layer, since: started) }
            let atOutput = plan.outputGradient
            atOutput.point(to: current)
            if let g = gradients[plan.layer] {
                add(plain: g, into: atOutput, overwrite: plan.layer == deepest)
            }
            plan.runBackward(stream, scratch: winogradScratch, current: &current, other: &other)
            if plan.layer.followsPooling {
                let pool = pools[plan.layer.block - 2]
                pool.outputGradient.point(to: current)
                pool.inputGradient.point(to: other)
                pool.backward.execute(stream, [(DNNLArgument.diffDst, pool.outputGradient),
                                               (DNNLArgument.diffSrc, pool.inputGradient)] + pool.workspaceArgument)
                swap(&current, &other)
            }
        }
        let first = layers[0].producedGradient
        first.point(to: current)
        convert(first, toPlain: UnsafeMutableRawPointer(result))
    }

    private func record(forward: Bool, _ layer: VGGLayer, since start: DispatchTime) {
        guard layerSeconds != nil else { return }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        if forward { layerSeconds!.forward[layer.rawValue] += elapsed } else { layerSeconds!.backward[layer.rawValue] += elapsed }
    }

    // MARK: - Plain views

    /// Converts `memory` (any layout and type) to plain float at `target`.
    private func convert(_ memory: DNNLMemory, toPlain target: UnsafeMutableRawPointer) {
        let (reorder, source, plain) = plainReorder(from: memory.layout, accumulate: false, toPlain: true)
        source.point(to: memory.data)
        plain.point(to: target)
        reorder.execute(stream, [(DNNLArgument.src, source), (DNNLArgument.dst, plain)])
    }

    /// Writes (or adds) plain float values into `memory`'s layout.
    private func add(plain values: UnsafePointer<Float>, into memory: DNNLMemory, overwrite: Bool) {
        let (reorder, target, plain) = plainReorder(from: memory.layout, accumulate: !overwrite, toPlain: false)
        plain.point(to: UnsafeMutableRawPointer(mutating: values))
        target.point(to: memory.data)
        reorder.execute(stream, [(DNNLArgument.src, plain), (DNNLArgument.dst, target)])
    }

    private func plainReorder(from layout: DNNLLayout, accumulate: Bool, toPlain: Bool)
        -> (DNNLPrimitive, DNNLMemory, DNNLMemory) {
        if let c = plainReorders.first(where: { $0.0 == layout && $0.1 == accumulate && $0.2 == toPlain }) {
            return (c.3, c.4, c.5)
        }
        let dims = layout.dims
        let plain = DNNLLayout.plain(dims)
        let reorder = toPlain ? DNNLPrimitive.reorder(from: layout, to: plain, name: "to plain \(dims)")
            : DNNLPrimitive.reorder(from: plain, to: layout, accumulate: accumulate, name: "from plain \(dims)")
        let (view, plainView) = (DNNLMemory(layout, owning: false), DNNLMemory(plain, owning: false))
        plainReorders.append((layout, accumulate, toPlain, reorder, view, plainView))
        return (reorder, view, plainView)
    }
}

/// Float or bfloat16 (with float accumulation) activations and gradients.
public enum NetworkPrecision: String, Sendable, CaseIterable, Codable {
    case fp32, bf16

    var dataType: dnnl_data_type_t { self == .fp32 ? dnnl_f32 : dnnl_bf16 }
}

/// How the convolutions are computed (fp32): Winograd's F(4x4, 3x3) where it pays, or oneDNN's
/// direct kernels everywhere.
public enum ConvolutionAlgorithm: String, Sendable, CaseIterable {
    case winograd, direct
}

/// One convolution with its ReLU: forward, ReLU's gradient and the input gradient.
private final class LayerPlan {
    enum Convolution {
        case direct(forward: DNNLPrimitive, backward: DNNLPrimitive)
        /// Its input gradient is its exact adjoint (`runAdjoint`), through the same filters.
        case winograd(WinogradConvolution)
    }
    static let winogradKernel = "winograd:f4x4+sgemm"
    let layer: VGGLayer
    let convolution: Convolution
    /// The ReLU's gradient, for the direct convolution (Winograd's adjoint takes it itself).
    let reluBackward: DNNLPrimitive?
    /// Converts what the layer below produced to the convolution's source layout, if they differ.
    let sourceReorder: DNNLPrimitive?
    let source: DNNLMemory              // the convolution's source when it needs its own copy
    /// oneDNN's copies of the filters (direct only).
    let weights: DNNLMemory?, backwardWeights: DNNLMemory?
    let bias: DNNLMemory
    let output: DNNLMemory              // after ReLU
    /// Views into the backward pass's scratch buffers.
    let outputGradient: DNNLMemory
    let backwardOutputGradient: DNNLMemory
    let sourceGradient: DNNLMemory
    let producedGradient: DNNLMemory
    /// Converts layouts in the backward pass where the convolution's gradient layouts differ.
    let outputGradientReorder: DNNLPrimitive?
    let gradientReorder: DNNLPrimitive?
    var backwardSourceLayout: DNNLLayout { sourceGradient.layout }

    init(layer: VGGLayer, weights: VGG19Weights, height: Int, width: Int, produced: DNNLLayout,
         type: dnnl_data_type_t, winograd: Bool) throws {
        self.layer = layer
        let (cin, cout) = (layer.inChannels, layer.outChannels)
        let srcDims = [1, cin, height, width], dstDims = [1, cout, height, width], wDims = [cout, cin, 3, 3]
        let sourceLayout: DNNLLayout, outputLayout: DNNLLayout, sourceGradientLayout: DNNLLayout
        if winograd {
            let blocked = dnnl_aBcd8b  // nChw8c: one pixel of 8 channels is one SIMD8<Float>
            sourceLayout = DNNLLayout(dims: srcDims, tag: blocked)
            outputLayout = DNNLLayout(dims: dstDims, tag: blocked)
            sourceGradientLayout = sourceLayout
            let winograd = weights.convWeights[layer.rawValue].withUnsafeBufferPointer { w in
                weights.convBiases[layer.rawValue].withUnsafeBufferPointer { b in
                    WinogradConvolution(weights: w.baseAddress!, bias: b.baseAddress!, inChannels: cin,
                                        outChannels: cout, height: height, width: width, relu: true)
                }
            }
            convolution = .winograd(winograd)
            self.weights = nil
            backwardWeights = nil
        } else {
            let direct = try Self.directPrimitives(layer: layer, weights: weights, srcDims: srcDims,
                                                   dstDims: dstDims, wDims: wDims, type: type)
            convolution = .direct(forward: direct.forward, backward: direct.backward)
            sourceLayout = direct.forward.layout(dnnl_query_src_md)
            outputLayout = direct.forward.layout(dnnl_query_dst_md)
            sourceGradientLayout = direct.backward.layout(dnnl_query_diff_src_md)
            self.weights = Self.load(weights.convWeights[layer.rawValue], dims: wDims,
                                     into: direct.forward.layout(dnnl_query_weights_md))
            backwardWeights = Self.load(weights.convWeights[layer.rawValue], dims: wDims,
                                        into: direct.backward.layout(dnnl_query_weights_md))
        }
        output = DNNLMemory(outputLayout)
        bias = DNNLMemory(.plain([cout]))
        bias.data.copyMemory(from: weights.convBiases[layer.rawValue], byteCount: cout * 4)

        let wanted = sourceLayout
        if wanted == produced {
            sourceReorder = nil
            source = DNNLMemory(wanted, owning: false)
        } else {
            sourceReorder = DNNLPrimitive.reorder(from: produced, to: wanted, name: "\(layer) source")
            source = DNNLMemory(wanted)
        }

        reluBackward = winograd ? nil : try Self.reluGradient(output.layout, layer: layer)
        outputGradient = DNNLMemory(output.layout, owning: false)
        let wantedDiff: DNNLLayout
        switch convolution {
        case .direct(_, let backward): wantedDiff = backward.layout(dnnl_query_diff_dst_md)
        case .winograd: wantedDiff = output.layout
        }
        backwardOutputGradient = DNNLMemory(wantedDiff, owning: false)
        outputGradientReorder = wantedDiff == output.layout ? nil
            : DNNLPrimitive.reorder(from: output.layout, to: wantedDiff, name: "\(layer) output gradient")
        sourceGradient = DNNLMemory(sourceGradientLayout, owning: false)
        producedGradient = DNNLMemory(produced, owning: false)
        gradientReorder = sourceGradient.layout == produced ? nil
            : DNNLPrimitive.reorder(from: sourceGradient.layout, to: produced, name: "\(layer) source gradient")
    }

    var kernels: (forward: String, backward: String) {
        switch convolution {
        case .direct(let forward, let backward): return (forward.implementation, backward.implementation)
        case .winograd: return (Self.winogradKernel, Self.winogradKernel)
        }
    }

    /// Floats of transform scratch the Winograd convolutions need (nil when direct).
    var winogradScratchCount: Int? {
        guard case .winograd(let winograd) = convolution else { return nil }
        return winograd.scratchCount
    }

    /// oneDNN's direct convolution (with ReLU) and its backward-data, layouts of its choosing.
    private static func directPrimitives(layer: VGGLayer, weights: VGG19Weights, srcDims: [Int], dstDims: [Int],
                                         wDims: [Int], type: dnnl_data_type_t)
        throws -> (forward: DNNLPrimitive, backward: DNNLPrimitive) {
        let cout = layer.outChannels
        let strides: [Int64] = [1, 1], padding: [Int64] = [1, 1]

        // Forward: convolution + ReLU.
        var conv = dnnl_convolution_desc_t()
        var src = DNNLLayout.any(srcDims, type: type).raw, wts = DNNLLayout.any(wDims, type: type).raw
        var b = DNNLLayout.plain([cout]).raw, dst = DNNLLayout.any(dstDims, type: type).raw
        DNNL.check(dnnl_convolution_forward_desc_init(&conv, dnnl_forward_training, dnnl_convolution_direct,
                                                      &src, &wts, &b, &dst, strides, padding, padding),
                   "convolution_forward_desc_init \(layer)")
        let attr = Self.reluAttributes()
        defer { dnnl_primitive_attr_destroy(attr) }
        let forward = try DNNLPrimitive.make(name: "\(layer) forward", operation: &conv, attributes: attr)

        // Input gradient: the same convolution's backward-data.
        var back = dnnl_convolution_desc_t()
        var dsrc = DNNLLayout.any(srcDims, type: type).raw, bw = DNNLLayout.any(wDims, type: type).raw
        var ddst = DNNLLayout.any(dstDims, type: type).raw
        DNNL.check(dnnl_convolution_backward_data_desc_init(&back, dnnl_convolution_direct, &dsrc, &bw, &ddst,
                                                            strides, padding, padding),
                   "convolution_backward_data_desc_init \(layer)")
        let backward = try DNNLPrimitive.make(name: "\(layer) backward", operation: &back, hint: forward)
        return (forward, backward)
    }

    func runForward(_ stream: DNNLStream, scratch: UnsafeMutablePointer<Float>?, producer: DNNLMemory) {
        if let sourceReorder {
            sourceReorder.execute(stream, [(DNNLArgument.src, producer), (DNNLArgument.dst, source)])
        } else {
            source.point(to: producer.data)
        }
        switch convolution {
        case .direct(let forward, _):
            forward.execute(stream, [(DNNLArgument.src, source), (DNNLArgument.weights, weights!),
                                     (DNNLArgument.bias, bias), (DNNLArgument.dst, output)])
        case .winograd(let winograd):
            winograd.run(input: source.data.assumingMemoryBound(to: Float.self),
                        output: output.data.assumingMemoryBound(to: Float.self), scratch: scratch!)
        }
    }

    /// `current` holds d/d(output) in the output's layout; leaves d/d(what the layer below
    /// produced) in `current`, in that producer's layout.
    func runBackward(_ stream: DNNLStream, scratch: UnsafeMutablePointer<Float>?,
                     current: inout UnsafeMutableRawPointer, other: inout UnsafeMutableRawPointer) {
        switch convolution {
        case .winograd(let winograd):
            // The ReLU's gradient is taken inside the adjoint, from the layer's output.
            winograd.runAdjoint(outputGradient: current.assumingMemoryBound(to: Float.self),
                                rectifiedOutput: output.data.assumingMemoryBound(to: Float.self),
                                inputGradient: other.assumingMemoryBound(to: Float.self), scratch: scratch!)
        case .direct(_, let backward):
            outputGradient.point(to: current)
            reluBackward!.execute(stream, [(DNNLArgument.dst, output), (DNNLArgument.diffDst, outputGradient),
                                           (DNNLArgument.diffSrc, outputGradient)])
            if let outputGradientReorder {
                backwardOutputGradient.point(to: other)
                outputGradientReorder.execute(stream, [(DNNLArgument.src, outputGradient), (DNNLArgument.dst, backwardOutputGradient)])
                swap(&current, &other)
            }
            backwardOutputGradient.point(to: current)
            sourceGradient.point(to: other)
            backward.execute(stream, [(DNNLArgument.diffDst, backwardOutputGradient), (DNNLArgument.weights, backwardWeights!),
                                      (DNNLArgument.diffSrc, sourceGradient)])
        }
        swap(&current, &other)
        if let gradientReorder {
            sourceGradient.point(to: current)
            producedGradient.point(to: other)
            gradientReorder.execute(stream, [(DNNLArgument.src, sourceGradient), (DNNLArgument.dst, producedGradient)])
            swap(&current, &other)
        }
    }

    /// ReLU's gradient from its output, in place on the output's gradient.
    private static func reluGradient(_ layout: DNNLLayout, layer: VGGLayer) throws -> DNNLPrimitive {
        var reluForward = dnnl_eltwise_desc_t(), reluBack = dnnl_eltwise_desc_t()
        var data = layout.raw, diff = layout.raw
        DNNL.check(dnnl_eltwise_forward_desc_init(&reluForward, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd,
                                                  &data, 0, 0), "eltwise_forward_desc_init")
        DNNL.check(dnnl_eltwise_backward_desc_init(&reluBack, dnnl_eltwise_relu_use_dst_for_bwd, &diff, &data, 0, 0),
                   "eltwise_backward_desc_init")
        let reluHint = try DNNLPrimitive.make(name: "\(layer) relu", operation: &reluForward)
        return try DNNLPrimitive.make(name: "\(layer) relu backward", operation: &reluBack, hint: reluHint)
    }

    private static func reluAttributes() -> dnnl_primitive_attr_t {
        var attr: dnnl_primitive_attr_t?, ops: dnnl_post_ops_t?
        DNNL.check(dnnl_primitive_attr_create(&attr), "primitive_attr_create")
        DNNL.check(dnnl_post_ops_create(&ops), "post_ops_create")
        DNNL.check(dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_relu, 0, 0), "post_ops_append_eltwise")
        DNNL.check(dnnl_primitive_attr_set_post_ops(attr, ops), "primitive_attr_set_post_ops")
        dnnl_post_ops_destroy(ops)
        return attr!
    }

    /// Plain `[O, I, 3, 3]` float weights converted into the layout (and type) a primitive wants.
    private static func load(_ values: [Float], dims: [Int], into layout: DNNLLayout) -> DNNLMemory {
        let plain = DNNLMemory(.plain(dims)), memory = DNNLMemory(layout)
        values.withUnsafeBytes { plain.data.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let stream = DNNLStream()
        DNNLPrimitive.reorder(from: plain.layout, to: layout, name: "weights")
            .execute(stream, [(DNNLArgument.src, plain), (DNNLArgument.dst, memory)])
        return memory
    }
}

/// One 2x2 pooling with stride 2, forward and backward (max pooling keeps where each maximum was).
private final class PoolPlan {
    let forward: DNNLPrimitive, backward: DNNLPrimitive
    let output: DNNLMemory
    let workspace: DNNLMemory?
    let outputGradient: DNNLMemory, inputGradient: DNNLMemory  // scratch views

    init(kind: Pooling2x2.Kind, source: DNNLLayout, type: dnnl_data_type_t, name: String) throws {
        let dims = source.dims
        let outDims = [dims[0], dims[1], dims[2] / 2, dims[3] / 2]
        let alg = kind == .max ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding
        let two: [Int64] = [2, 2], zero: [Int64] = [0, 0]
        // An odd last row or column is dropped, as in VGG (the output size rounds down).
        let right = zero
        var desc = dnnl_pooling_v2_desc_t()
        var src = source.raw, dst = DNNLLayout.any(outDims, type: type).raw
        DNNL.check(dnnl_pooling_v2_forward_desc_init(&desc, dnnl_forward_training, alg, &src, &dst, two, two, zero, zero, right),
                   "pooling_v2_forward_desc_init \(name)")
        forward = try DNNLPrimitive.make(name: "\(name) forward", operation: &desc)
        output = DNNLMemory(forward.layout(dnnl_query_dst_md))
        let ws = forward.layout(dnnl_query_workspace_md)
        workspace = ws.bytes > 0 ? DNNLMemory(ws) : nil

        var back = dnnl_pooling_v2_desc_t()
        var dsrc = source.raw, ddst = output.layout.raw
        DNNL.check(dnnl_pooling_v2_backward_desc_init(&back, alg, &dsrc, &ddst, two, two, zero, zero, right),
                   "pooling_v2_backward_desc_init \(name)")
        backward = try DNNLPrimitive.make(name: "\(name) backward", operation: &back, hint: forward)
        outputGradient = DNNLMemory(output.layout, owning: false)
        inputGradient = DNNLMemory(source, owning: false)
    }

    var workspaceArgument: [(Int32, DNNLMemory)] {
        workspace.map { [(DNNLArgument.workspace, $0)] } ?? []
    }
}
