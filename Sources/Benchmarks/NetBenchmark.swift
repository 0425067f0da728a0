import Foundation
import Net

/// Times the network the way synthesis uses it (forward to a layer, then the input gradient
/// back from it), per layer and in all, next to the machine's peak: one large oneDNN
/// convolution timed in the same run, so that the ratio survives a noisy, shared machine and
/// does not depend on any library recognising the CPU.
public struct NetBenchmark {
    public struct Layer: Codable, Sendable {
        public let layer: String
        /// Median seconds; forward includes the pooling before the layer, backward its ReLU,
        /// convolution and that pooling.
        public let forwardSeconds: Double
        public let backwardSeconds: Double
        public let gflop: Double
        public let forwardGflops: Double
        public let backwardGflops: Double
        /// oneDNN's implementation, e.g. "jit:avx2".
        public let forwardKernel: String
        public let backwardKernel: String
    }

    public struct Result: Codable, Sendable {
        public let width: Int
        public let height: Int
        public let layer: String
        public let pooling: String
        public let implementation: String
        /// "winograd" or "direct": how the fp32 convolutions from conv2_1 on were computed.
        public let algorithm: String
        public let precision: String
        public let runs: Int
        public let threads: Int
        public let cpu: CPUInfo
        public let oneDNNVersion: String
        /// Median seconds of one forward + backward pass, and its parts. GFLOP counts a direct
        /// convolution's multiply-adds whatever the algorithm, so Winograd layers exceed the peak.
        public let seconds: Double
        public let forwardSeconds: Double
        public let backwardSeconds: Double
        public let gflop: Double
        public let gflops: Double
        public let layers: [Layer]
        public let peak: PeakConvolution.Result
        /// The network's GFLOP/s over the peak convolution's.
        public let peakRatio: Double
        /// Median GFLOP/s of one 2048x2048x2048 sgemm (oneDNN's, as matching uses it).
        public let sgemmGflops: Double
        /// Primitives running a reference or generic kernel, and other reasons to distrust the figures.
        public let warnings: [String]
    }

    public let width: Int
    public let height: Int
    public let layer: VGGLayer
    public let runs: Int

    public init(width: Int, height: Int, layer: VGGLayer = .conv4_2, runs: Int = 5) {
        self.width = width
        self.height = height
        self.layer = layer
        self.runs = runs
    }

    public func run(network: VGG19) -> Result {
        var rng = SplitMix64(seed: 42)
        let image = Tensor(shape: [3, height, width], data: (0..<3 * height * width).map { _ in Float(rng.next() % 256) })
        let shape = [layer.outChannels, height / layer.stride, width / layer.stride]
        let gradient = Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float(rng.next() % 1000) / 1000 - 0.5 })

        var forward: [Double] = [], backward: [Double] = [], total: [Double] = []
        var perLayer: [[(layer: VGGLayer, forward: Double, backward: Double)]] = []
        network.profiling = true
        defer { network.profiling = false }
        for run in 0...runs {  // run 0 makes the primitives and warms the caches
            network.resetLayerSeconds()
            let t0 = DispatchTime.now()
            _ = network.forward(image, to: [layer])
            let t1 = DispatchTime.now()
            _ = network.backward([layer: gradient])
            let t2 = DispatchTime.now()
            guard run > 0 else { continue }
            forward.append(seconds(t0, t1))
            backward.append(seconds(t1, t2))
            total.append(seconds(t0, t2))
            perLayer.append(network.layerSeconds)
        }
        let kernels = network.kernels(height: height, width: width, through: layer)
        let layers: [Layer] = kernels.map { k in
            let f = median(perLayer.map { $0[k.layer.rawValue].forward })
            let b = median(perLayer.map { $0[k.layer.rawValue].backward })
            let flop = VGG19.flops(height: height, width: width, of: k.layer) / 1e9
            return Layer(layer: k.layer.name, forwardSeconds: f, backwardSeconds: b, gflop: flop,
                         forwardGflops: flop / f, backwardGflops: flop / b,
                         forwardKernel: k.forward, backwardKernel: k.backward)
        }
        let flop = 2 * VGG19.flops(height: height, width: width, through: layer)
        let t = median(total)
        let peak = PeakConvolution.measure(precision: network.precision, runs: runs)!
        var warnings = network.genericKernels(height: height, width: width, through: layer)
            .map { "\($0) is a reference or generic kernel: this CPU's vector units sit idle" }
        if ["generic", "sse41", "avx"].contains(CPUInfo.current.oneDNNISA) {
            warnings.append("oneDNN dispatches to \(CPUInfo.current.oneDNNISA) only on this CPU")
        }
        return Result(width: width, height: height, layer: layer.name, pooling: network.pooling.rawValue,
                      implementation: network.implementation.rawValue,
                      algorithm: network.implementation == .reference || network.precision != .fp32 ? "direct" : network.algorithm.rawValue,
                      precision: network.precision.rawValue,
                      runs: runs, threads: BLAS.threads, cpu: .current, oneDNNVersion: DNNL.version,
                      seconds: t, forwardSeconds: median(forward), backwardSeconds: median(backward),
                      gflop: flop / 1e9, gflops: flop / 1e9 / t, layers: layers, peak: peak,
                      peakRatio: flop / 1e9 / t / peak.gflops,
                      sgemmGflops: Self.sgemmGflops(size: 2048, runs: runs), warnings: warnings)
    }

    /// Median GFLOP/s of C = A * B for square `size` matrices, after one warm-up product.
    public static func sgemmGflops(size n: Int, runs: Int) -> Double {
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var rates: [Double] = []
        for run in 0...runs {
            let t0 = DispatchTime.now()
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BLAS.sgemm(m: n, n: n, k: n, a: pa.baseAddress!, lda: n, b: pb.baseAddress!, ldb: n,
                                   c: pc.baseAddress!, ldc: n)
                    }
                }
            }
            let dt = seconds(t0, DispatchTime.now())
            if run > 0 { rates.append(2 * Double(n * n * n) / dt / 1e9) }
        }
        return median(rates)
    }
}

