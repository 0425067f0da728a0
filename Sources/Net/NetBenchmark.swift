import Foundation

/// Times the network the way synthesis uses it (forward to a layer, then the input gradient
/// back from it) next to this machine's plain sgemm speed, measured in the same run so that
/// the ratio survives a noisy, shared machine.
public struct NetBenchmark {
    public struct Result: Codable, Sendable {
        public let width: Int
        public let height: Int
        public let layer: String
        public let pooling: String
        public let runs: Int
        public let threads: Int
        /// Median seconds of one forward + backward pass, and its parts.
        public let seconds: Double
        public let forwardSeconds: Double
        public let backwardSeconds: Double
        public let gflop: Double
        public let gflops: Double
        /// Median GFLOP/s of one 2048x2048x2048 sgemm.
        public let sgemmGflops: Double
        public let ratio: Double
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
        for run in 0...runs {  // run 0 warms up buffers and caches
            let t0 = DispatchTime.now()
            _ = network.forward(image, to: [layer])
            let t1 = DispatchTime.now()
            _ = network.backward([layer: gradient])
            let t2 = DispatchTime.now()
            guard run > 0 else { continue }
            forward.append(seconds(t0, t1))
            backward.append(seconds(t1, t2))
            total.append(seconds(t0, t2))
        }
        let flop = 2 * VGG19.flops(height: height, width: width, through: layer)
        let sgemm = Self.sgemmGflops(size: 2048, runs: runs)
        let t = median(total)
        return Result(width: width, height: height, layer: layer.name, pooling: network.pooling.rawValue,
                      runs: runs, threads: BLAS.threads, seconds: t, forwardSeconds: median(forward),
                      backwardSeconds: median(backward), gflop: flop / 1e9, gflops: flop / 1e9 / t,
                      sgemmGflops: sgemm, ratio: flop / 1e9 / t / sgemm)
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

func seconds(_ a: DispatchTime, _ b: DispatchTime) -> Double {
    Double(b.uptimeNanoseconds - a.uptimeNanoseconds) / 1e9
}

public func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// SplitMix64: small, fast, reproducible random numbers (the same seed, the same stream),
/// for noise seeds and benchmark data.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// `n` floats, uniform in `range`.
    public mutating func floats(_ n: Int, in range: ClosedRange<Float>) -> [Float] {
        (0..<n).map { _ in Float.random(in: range, using: &self) }
    }
}
