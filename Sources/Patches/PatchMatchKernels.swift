import CKernels
import Net

// The kernels of `PatchMatchMatcher`'s search, each checked against the plain computation
// (`keyScore`, `scalarDot`) in the tests.
extension PatchMatchMatcher {
    // MARK: - Layout

    /// 1 / |patch| of every 3x3 patch of `[H, W, C]` pixels (0 for an all-zero patch), as the
    /// keys are normalised.
    static func inverseNorms(pixels: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
                             pixelNorms: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        PatchKernels.patchSquares(pixels: pixels, channels: c, height: h, width: w, scratch: pixelNorms, into: out)
        let n = PatchKernels.patchCount(height: h, width: w)
        for i in 0..<n { out[i] = out[i] > 1e-12 ? 1 / out[i].squareRoot() : 0 }
    }


    // MARK: - Kernels

    /// Sum of `a[i] * b[i]`, with the widest kernel this CPU runs (`CKernels`: AVX2 + FMA where the
    /// CPU has them, chosen at run time, else SSE2). PatchMatch's scores read style patches
    /// scattered over megabytes, and the wider kernel keeps more of those reads in flight.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        doodle_dot(a, b, n)
    }

    /// The same with the x86-64 baseline kernel (SSE2) on any CPU.
    public static func baselineDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        doodle_dot_baseline(a, b, n)
    }

    /// "avx2+fma" or "sse2": the kernel `dot` runs here.
    public static var dotKernel: String { String(cString: doodle_dot_kernel()) }

    /// The plain loop, for comparison with `dot`.
    public static func scalarDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        var sum: Float = 0
        for i in 0..<n { sum += a[i] * b[i] }
        return sum
    }

    /// The key dot product of target patch `t` and style patch `s` computed directly from
    /// the banks' keys (what the exact matcher's sgemm computes), for checks and benchmarks.
    public static func keyScore(target: PatchBank, _ t: Int, style: PatchBank, _ s: Int) -> Float {
        let d = target.keyDimension
        return target.keys.withUnsafeBufferPointer { a in
            style.keys.withUnsafeBufferPointer { b in
                dot(a.baseAddress! + t * d, b.baseAddress! + s * d, count: d)
            }
        }
    }

    /// Mean `keyScore` of the matched pairs.
    public static func meanScore(target: PatchBank, style: PatchBank, matches: [Int32]) -> Double {
        precondition(matches.count == target.count, "one match per target patch")
        guard !matches.isEmpty else { return 0 }
        let d = target.keyDimension
        var partial = [Double](repeating: 0, count: 8)
        target.keys.withUnsafeBufferPointer { a in
            style.keys.withUnsafeBufferPointer { b in
                partial.withUnsafeMutableBufferPointer { p in
                    let n = matches.count
                    parallelChunks(n, chunks: 8) { chunk, range in
                        var sum = 0.0
                        for t in range {
                            sum += Double(dot(a.baseAddress! + t * d, b.baseAddress! + Int(matches[t]) * d, count: d))
                        }
                        p[chunk] = sum
                    }
                }
            }
        }
        return partial.reduce(0, +) / Double(matches.count)
    }
}
